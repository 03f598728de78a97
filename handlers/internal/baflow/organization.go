package baflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/orgaccess"
)

// TemplateOrganizationInvitation is the mail of an invitation to an organization; it gets
// data.url (where to accept), data.invitationId, data.organizationId, data.organizationName,
// data.role, data.email, data.inviterName and data.inviterEmail.
const TemplateOrganizationInvitation = "betterauth-organization-invitation"

// Limits of the organization plugin (Better Auth's defaults).
const (
	orgMembershipLimit = 100
	orgInvitationLimit = 100
	orgInvitationTTL   = 48 * time.Hour
	orgMembersDefault  = 100
)

// Errors of the organization plugin (org/error-codes.mjs), with the statuses its routes use.
var (
	ErrOrgAlreadyExists       = baError(http.StatusBadRequest, "ORGANIZATION_ALREADY_EXISTS", "Organization already exists")
	ErrOrgSlugTaken           = baError(http.StatusBadRequest, "ORGANIZATION_SLUG_ALREADY_TAKEN", "Organization slug already taken")
	ErrOrgNotFound            = baError(http.StatusBadRequest, "ORGANIZATION_NOT_FOUND", "Organization not found")
	ErrOrgUserNotMember       = baError(http.StatusForbidden, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", "User is not a member of the organization")
	ErrOrgNotAMember          = baError(http.StatusForbidden, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION", "You are not a member of this organization")
	ErrOrgCannotUpdate        = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION", "You are not allowed to update this organization")
	ErrOrgCannotDelete        = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION", "You are not allowed to delete this organization")
	ErrOrgNoActive            = baError(http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION", "No active organization")
	ErrOrgMemberNotFound      = baError(http.StatusBadRequest, "MEMBER_NOT_FOUND", "Member not found")
	ErrOrgRoleNotFound        = baError(http.StatusBadRequest, "ROLE_NOT_FOUND", "Role not found")
	ErrOrgAlreadyMember       = baError(http.StatusBadRequest, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION", "User is already a member of this organization")
	ErrOrgOnlyOwner           = baError(http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "You cannot leave the organization as the only owner")
	ErrOrgWithoutOwner        = baError(http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER", "You cannot leave the organization without an owner")
	ErrOrgCannotDeleteMember  = baError(http.StatusUnauthorized, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER", "You are not allowed to delete this member")
	ErrOrgCannotUpdateMember  = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER", "You are not allowed to update this member")
	ErrOrgCannotInvite        = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", "You are not allowed to invite users to this organization")
	ErrOrgCannotInviteRole    = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE", "You are not allowed to invite a user with this role")
	ErrOrgAlreadyInvited      = baError(http.StatusBadRequest, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION", "User is already invited to this organization")
	ErrOrgInvitationLimit     = baError(http.StatusForbidden, "INVITATION_LIMIT_REACHED", "Invitation limit reached")
	ErrOrgMembershipLimit     = baError(http.StatusForbidden, "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED", "Organization membership limit reached")
	ErrOrgInvitationNotFound  = baError(http.StatusBadRequest, "INVITATION_NOT_FOUND", "Invitation not found")
	ErrOrgInvitationNotFound2 = baError(http.StatusBadRequest, "INVITATION_NOT_FOUND", "Invitation not found!")
	ErrOrgNotRecipient        = baError(http.StatusForbidden, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION", "You are not the recipient of the invitation")
	ErrOrgCannotCancel        = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION", "You are not allowed to cancel this invitation")
	ErrOrgCannotList          = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS", "You are not allowed to list invitations for this organization")
	ErrOrgInviterGone         = baError(http.StatusBadRequest, "INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION", "Inviter is no longer a member of the organization")
	ErrOrgEmailNotVerified    = baError(http.StatusForbidden, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION", "Email verification required to view or list invitations for the session email")
	// The answers Better Auth gives without a code.
	ErrOrgIDRequired        = baError(http.StatusBadRequest, "", "Organization ID is required")
	ErrOrgNotAMemberNoCode  = baError(http.StatusForbidden, "", "You are not a member of this organization")
	ErrOrgEmailParam        = baError(http.StatusBadRequest, "", "User email cannot be passed for client side API calls.")
	ErrOrgNoSessionOrEmail  = baError(http.StatusBadRequest, "", "Missing session headers, or email query parameter.")
	ErrOrgNotAuthenticated  = baError(http.StatusUnauthorized, "", "Not authenticated")
	ErrOrgUserNotFoundNoSes = baError(http.StatusUnauthorized, "", "User not found")
)

// errUnknownRole is Better Auth's refusal of a role it does not define; invite-member sends it
// without a code, update-member-role with one.
func errUnknownRole(role string, withCode bool) *apierror.Error {
	code := ""
	if withCode {
		code = "ROLE_NOT_FOUND"
	}
	return baError(http.StatusBadRequest, code, "ROLE_NOT_FOUND: "+role)
}

// Organization, Member and Invitation are the plugin's rows as stored.
type (
	Organization = dbsqlc.BetterauthOrganization
	Member       = dbsqlc.BetterauthMember
	Invitation   = dbsqlc.BetterauthInvitation
)

// MemberWithUser is a member with its user's public fields.
type MemberWithUser struct {
	Member
	Name, Email string
	Image       *string
}

// FullOrganization is an organization with its members and the invitations the caller may see.
type FullOrganization struct {
	Organization
	Members     []MemberWithUser
	Invitations []Invitation
}

// NewOrganization is the input of CreateOrganization; Metadata is nil when none was sent.
type NewOrganization struct {
	Name, Slug  string
	Logo        *string
	Metadata    map[string]any
	KeepCurrent bool
}

// OrganizationUpdate is the input of UpdateOrganization; nil fields stay as they are.
type OrganizationUpdate struct {
	Name, Slug *string
	SetLogo    bool
	Logo       *string
	Metadata   map[string]any
}

// OrgRef names an organization by id or slug; the slug wins, and with neither the session's
// active organization is meant.
type OrgRef struct{ ID, Slug string }

func metadataString(m map[string]any) (*string, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// activeID is the id of ref, or the session's active organization.
func activeID(a *Auth, id string) string {
	if id == "" && a.Session.ActiveOrganizationID != nil {
		return *a.Session.ActiveOrganizationID
	}
	return id
}

// resolve finds the organization ref names (none named and none active: nil).
func (s *Service) resolveOrg(ctx context.Context, a *Auth, ref OrgRef) (*Organization, error) {
	var (
		org Organization
		err error
	)
	switch {
	case ref.Slug != "":
		org, err = s.store.BetterauthOrganizationGetBySlug(ctx, s.store.Pool(), ref.Slug)
	case activeID(a, ref.ID) != "":
		org, err = s.store.BetterauthOrganizationGet(ctx, s.store.Pool(), activeID(a, ref.ID))
	default:
		return nil, nil
	}
	if notFound(err) {
		return nil, ErrOrgNotFound
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return &org, nil
}

// memberAllowed returns userID's membership of orgID once its role grants want; notMember
// and denied are the refusals when it is not a member, or its role falls short.
func (s *Service) memberAllowed(ctx context.Context, orgID, userID string, want orgaccess.Permissions, notMember, denied error) (*Member, error) {
	m, err := s.member(ctx, s.store.Pool(), orgID, userID)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, notMember
	}
	if !orgaccess.Allows(m.Role, want) {
		return nil, denied
	}
	return m, nil
}

// member is the membership of userID in orgID, or nil.
func (s *Service) member(ctx context.Context, q db.DB, orgID, userID string) (*Member, error) {
	m, err := s.store.BetterauthMemberGet(ctx, q, dbsqlc.BetterauthMemberGetParams{OrganizationID: orgID, UserID: userID})
	if notFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return &m, nil
}

// setActive stores orgID (nil: none) as a's active organization.
func (s *Service) setActive(ctx context.Context, q db.DB, a *Auth, orgID *string) error {
	sess, err := s.store.BetterauthSessionSetActiveOrganization(ctx, q, dbsqlc.BetterauthSessionSetActiveOrganizationParams{
		ID: a.Session.ID, OrganizationID: orgID})
	if err != nil {
		return db.Translate(err)
	}
	a.Session.ActiveOrganizationID, a.Session.UpdatedAt = sess.ActiveOrganizationID, sess.UpdatedAt
	return nil
}

// clearActive unsets a's active organization, if any.
func (s *Service) clearActive(ctx context.Context, q db.DB, a *Auth) error {
	if a.Session.ActiveOrganizationID == nil {
		return nil
	}
	return s.setActive(ctx, q, a, nil)
}

// clearActiveIf unsets a's active organization when it is orgID.
func (s *Service) clearActiveIf(ctx context.Context, q db.DB, a *Auth, orgID string) error {
	if a.Session.ActiveOrganizationID != nil && *a.Session.ActiveOrganizationID == orgID {
		return s.setActive(ctx, q, a, nil)
	}
	return nil
}

// clearActiveEverywhere unsets orgID as the active organization of every session of userID
// (every session, when userID is empty), so that no session keeps pointing at an organization
// that is gone or that its user has left.
func (s *Service) clearActiveEverywhere(ctx context.Context, q db.DB, orgID, userID string) error {
	var user *string
	if userID != "" {
		user = &userID
	}
	return s.store.BetterauthSessionClearActiveOrganization(ctx, q, dbsqlc.BetterauthSessionClearActiveOrganizationParams{
		OrganizationID: &orgID, UserID: user})
}

// CreateOrganization creates an organization owned by a's user and, unless KeepCurrent, makes
// it the session's active organization.
func (s *Service) CreateOrganization(ctx context.Context, a *Auth, in NewOrganization) (Organization, Member, error) {
	var (
		org Organization
		mem Member
	)
	meta, err := metadataString(in.Metadata)
	if err != nil {
		return org, mem, err
	}
	err = s.store.InTx(ctx, func(tx db.DB) error {
		if _, err := s.store.BetterauthOrganizationGetBySlug(ctx, tx, in.Slug); err == nil {
			return ErrOrgAlreadyExists
		} else if !notFound(err) {
			return err
		}
		if org, err = s.store.BetterauthOrganizationCreate(ctx, tx, dbsqlc.BetterauthOrganizationCreateParams{
			ID: newID(), Name: in.Name, Slug: in.Slug, Logo: in.Logo, Metadata: meta}); err != nil {
			return err
		}
		if mem, err = s.store.BetterauthMemberCreate(ctx, tx, dbsqlc.BetterauthMemberCreateParams{
			ID: newID(), OrganizationID: org.ID, UserID: a.User.ID, Role: orgaccess.Owner}); err != nil {
			return err
		}
		if in.KeepCurrent && a.Session.ActiveOrganizationID != nil {
			return nil
		}
		return s.setActive(ctx, tx, a, &org.ID)
	})
	if db.IsConflict(db.Translate(err), "") {
		return org, mem, ErrOrgAlreadyExists
	}
	return org, mem, db.Translate(err)
}

// CheckOrganizationSlug fails with ErrOrgSlugTaken when an organization has slug.
func (s *Service) CheckOrganizationSlug(ctx context.Context, slug string) error {
	_, err := s.store.BetterauthOrganizationGetBySlug(ctx, s.store.Pool(), slug)
	if err == nil {
		return ErrOrgSlugTaken
	} else if notFound(err) {
		return nil
	}
	return db.Translate(err)
}

// ListOrganizations lists the organizations a's user is a member of.
func (s *Service) ListOrganizations(ctx context.Context, a *Auth) ([]Organization, error) {
	rows, err := s.store.BetterauthOrganizationListByUser(ctx, s.store.Pool(), a.User.ID)
	return rows, db.Translate(err)
}

// SetActiveOrganization makes the organization ref names the session's active one and returns
// it; unset (organizationId null) clears it and returns nil, as does a call naming none while
// none is active. As in Better Auth, an id is checked for membership before it is looked up.
func (s *Service) SetActiveOrganization(ctx context.Context, a *Auth, ref OrgRef, unset bool) (*Organization, error) {
	if unset {
		return nil, s.clearActive(ctx, s.store.Pool(), a)
	}
	id := ref.ID
	switch {
	case id == "" && ref.Slug == "":
		if id = activeID(a, ""); id == "" {
			return nil, nil
		}
	case id == "":
		org, err := s.store.BetterauthOrganizationGetBySlug(ctx, s.store.Pool(), ref.Slug)
		if notFound(err) {
			return nil, ErrOrgNotFound
		} else if err != nil {
			return nil, db.Translate(err)
		}
		id = org.ID
	}
	if err := s.requireMember(ctx, a, id); err != nil {
		return nil, err
	}
	org, err := s.store.BetterauthOrganizationGet(ctx, s.store.Pool(), id)
	if notFound(err) {
		return nil, ErrOrgNotFound
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return &org, s.setActive(ctx, s.store.Pool(), a, &org.ID)
}

// requireMember fails with ErrOrgUserNotMember when a's user is not a member of orgID, and then
// unsets the session's active organization (whichever it is), as Better Auth does.
func (s *Service) requireMember(ctx context.Context, a *Auth, orgID string) error {
	m, err := s.member(ctx, s.store.Pool(), orgID, a.User.ID)
	if err != nil {
		return err
	}
	if m == nil {
		if err := s.clearActive(ctx, s.store.Pool(), a); err != nil {
			return err
		}
		return ErrOrgUserNotMember
	}
	return nil
}

// GetOrganization returns the organization ref names (nil when none is named or active).
func (s *Service) GetOrganization(ctx context.Context, a *Auth, ref OrgRef) (*Organization, error) {
	org, err := s.resolveOrg(ctx, a, ref)
	if err != nil || org == nil {
		return nil, err
	}
	return org, s.requireMember(ctx, a, org.ID)
}

// GetFullOrganization returns the organization ref names with at most membersLimit members
// (0: 100) and, when a's user may create invitations, its invitations.
func (s *Service) GetFullOrganization(ctx context.Context, a *Auth, ref OrgRef, membersLimit int) (*FullOrganization, error) {
	org, err := s.resolveOrg(ctx, a, ref)
	if err != nil || org == nil {
		return nil, err
	}
	me, err := s.member(ctx, s.store.Pool(), org.ID, a.User.ID)
	if err != nil {
		return nil, err
	}
	if me == nil {
		if err := s.clearActive(ctx, s.store.Pool(), a); err != nil {
			return nil, err
		}
		return nil, ErrOrgUserNotMember
	}
	members, err := s.membersOf(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	if membersLimit <= 0 {
		membersLimit = orgMembersDefault
	}
	if len(members) > membersLimit {
		members = members[:membersLimit]
	}
	out := &FullOrganization{Organization: *org, Members: members, Invitations: []Invitation{}}
	if orgaccess.Allows(me.Role, orgaccess.Permissions{"invitation": {"create"}}) {
		invs, err := s.invitationsFor(ctx, org.ID, me.Role)
		if err != nil {
			return nil, err
		}
		if len(invs) > orgInvitationLimit {
			invs = invs[:orgInvitationLimit]
		}
		out.Invitations = invs
	}
	return out, nil
}

// invitationsFor lists the invitations of orgID that a member with role may see: those
// granting owner only to owners.
func (s *Service) invitationsFor(ctx context.Context, orgID, role string) ([]Invitation, error) {
	invs, err := s.store.BetterauthInvitationListByOrganization(ctx, s.store.Pool(), orgID)
	if err != nil {
		return nil, db.Translate(err)
	}
	out := []Invitation{}
	for _, inv := range invs {
		if orgaccess.Has(role, orgaccess.Owner) || inv.Role == nil || !orgaccess.Has(*inv.Role, orgaccess.Owner) {
			out = append(out, inv)
		}
	}
	return out, nil
}

func (s *Service) membersOf(ctx context.Context, orgID string) ([]MemberWithUser, error) {
	rows, err := s.store.BetterauthMemberListWithUser(ctx, s.store.Pool(), orgID)
	if err != nil {
		return nil, db.Translate(err)
	}
	out := make([]MemberWithUser, 0, len(rows))
	for _, r := range rows {
		out = append(out, MemberWithUser{Member: r.BetterauthMember, Name: r.UserName, Email: r.UserEmail, Image: r.UserImage})
	}
	return out, nil
}

// UpdateOrganization changes the organization orgID (default the active one); it needs
// organization:update.
func (s *Service) UpdateOrganization(ctx context.Context, a *Auth, orgID string, in OrganizationUpdate) (Organization, error) {
	var out Organization
	if orgID = activeID(a, orgID); orgID == "" {
		return out, ErrOrgNotFound
	}
	_, err := s.memberAllowed(ctx, orgID, a.User.ID, orgaccess.Permissions{"organization": {"update"}}, ErrOrgUserNotMember.WithStatus(http.StatusBadRequest), ErrOrgCannotUpdate)
	if err != nil {
		return out, err
	}
	if in.Slug != nil {
		other, err := s.store.BetterauthOrganizationGetBySlug(ctx, s.store.Pool(), *in.Slug)
		if err == nil && other.ID != orgID {
			return out, ErrOrgSlugTaken
		} else if err != nil && !notFound(err) {
			return out, db.Translate(err)
		}
	}
	meta, err := metadataString(in.Metadata)
	if err != nil {
		return out, err
	}
	out, err = s.store.BetterauthOrganizationUpdate(ctx, s.store.Pool(), dbsqlc.BetterauthOrganizationUpdateParams{
		SetName: in.Name != nil, Name: deref(in.Name), SetSlug: in.Slug != nil, Slug: deref(in.Slug),
		SetLogo: in.SetLogo, Logo: in.Logo, SetMetadata: in.Metadata != nil, Metadata: meta, ID: orgID})
	switch {
	case notFound(err):
		return out, ErrOrgNotFound
	case db.IsConflict(db.Translate(err), ""):
		return out, ErrOrgSlugTaken
	}
	return out, db.Translate(err)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// DeleteOrganization deletes orgID with its members and invitations; it needs
// organization:delete. It returns the deleted row.
func (s *Service) DeleteOrganization(ctx context.Context, a *Auth, orgID string) (Organization, error) {
	var out Organization
	if orgID == "" {
		return out, ErrOrgNotFound
	}
	_, err := s.memberAllowed(ctx, orgID, a.User.ID, orgaccess.Permissions{"organization": {"delete"}}, ErrOrgUserNotMember.WithStatus(http.StatusBadRequest), ErrOrgCannotDelete)
	if err != nil {
		return out, err
	}
	err = s.store.InTx(ctx, func(tx db.DB) error {
		if out, err = s.store.BetterauthOrganizationDelete(ctx, tx, orgID); err != nil {
			return err
		}
		if err := s.clearActiveEverywhere(ctx, tx, orgID, ""); err != nil {
			return err
		}
		return s.clearActiveIf(ctx, tx, a, orgID)
	})
	if notFound(err) {
		return out, ErrOrgNotFound
	}
	return out, db.Translate(err)
}

// ---- members

// MemberQuery pages, sorts and filters ListMembers.
type MemberQuery struct {
	Org                                      OrgRef
	Limit, Offset                            int
	SortBy, SortDirection                    string
	FilterField, FilterValue, FilterOperator string
}

// ListMembers lists the members of the organization q names (default the active one) and
// counts those the filter keeps.
func (s *Service) ListMembers(ctx context.Context, a *Auth, q MemberQuery) ([]MemberWithUser, int, error) {
	org, err := s.resolveOrg(ctx, a, q.Org)
	if err != nil {
		return nil, 0, err
	}
	if org == nil {
		return nil, 0, ErrOrgNoActive
	}
	me, err := s.member(ctx, s.store.Pool(), org.ID, a.User.ID)
	if err != nil {
		return nil, 0, err
	}
	if me == nil {
		return nil, 0, ErrOrgNotAMember
	}
	all, err := s.membersOf(ctx, org.ID)
	if err != nil {
		return nil, 0, err
	}
	kept := all[:0:0]
	for _, m := range all {
		if q.FilterField == "" || memberMatches(m, q.FilterField, q.FilterOperator, q.FilterValue) {
			kept = append(kept, m)
		}
	}
	if q.SortBy != "" {
		sort.SliceStable(kept, func(i, j int) bool {
			c := compareMember(kept[i], kept[j], q.SortBy)
			if q.SortDirection == "desc" {
				return c > 0
			}
			return c < 0
		})
	}
	total := len(kept)
	limit := q.Limit
	if limit <= 0 {
		limit = orgMembersDefault
	}
	start := min(q.Offset, total)
	end := min(start+limit, total)
	return kept[start:end], total, nil
}

// memberField is the text of a member's field for filters and sorting.
func memberField(m MemberWithUser, f string) string {
	switch f {
	case "role":
		return m.Role
	case "userId":
		return m.UserID
	case "organizationId":
		return m.OrganizationId
	case "id":
		return m.ID
	}
	return ""
}

// compareMember orders a and b by field (dates by time, the rest as text).
func compareMember(a, b MemberWithUser, field string) int {
	if field == "createdAt" {
		return a.CreatedAt.Compare(b.CreatedAt)
	}
	return strings.Compare(memberField(a, field), memberField(b, field))
}

// memberMatches applies a list-members filter with Better Auth's where operators (eq when op is
// empty); in and not_in take a comma-separated list, createdAt compares as a date.
func memberMatches(m MemberWithUser, field, op, value string) bool {
	var c int
	if field == "createdAt" {
		t, err := time.Parse(time.RFC3339Nano, value)
		if err != nil {
			return false
		}
		c = m.CreatedAt.Compare(t)
	} else {
		c = strings.Compare(memberField(m, field), value)
	}
	v := memberField(m, field)
	switch op {
	case "ne":
		return c != 0
	case "lt":
		return c < 0
	case "lte":
		return c <= 0
	case "gt":
		return c > 0
	case "gte":
		return c >= 0
	case "in", "not_in":
		in := false
		for _, w := range strings.Split(value, ",") {
			in = in || strings.TrimSpace(w) == v
		}
		return in == (op == "in")
	case "contains":
		return strings.Contains(v, value)
	case "starts_with":
		return strings.HasPrefix(v, value)
	case "ends_with":
		return strings.HasSuffix(v, value)
	}
	return c == 0
}

// GetActiveMember is a's membership in the active organization.
func (s *Service) GetActiveMember(ctx context.Context, a *Auth) (MemberWithUser, error) {
	orgID := activeID(a, "")
	if orgID == "" {
		return MemberWithUser{}, ErrOrgNoActive
	}
	m, err := s.member(ctx, s.store.Pool(), orgID, a.User.ID)
	if err != nil {
		return MemberWithUser{}, err
	}
	if m == nil {
		return MemberWithUser{}, ErrOrgMemberNotFound
	}
	return MemberWithUser{Member: *m, Name: a.User.Name, Email: a.User.Email, Image: a.User.Image}, nil
}

// GetActiveMemberRole is the role of userID (default a's user) in the organization ref names.
func (s *Service) GetActiveMemberRole(ctx context.Context, a *Auth, ref OrgRef, userID string) (string, error) {
	org, err := s.resolveOrg(ctx, a, ref)
	if err != nil {
		return "", err
	}
	if org == nil {
		return "", ErrOrgNoActive
	}
	me, err := s.member(ctx, s.store.Pool(), org.ID, a.User.ID)
	if err != nil {
		return "", err
	}
	if me == nil {
		return "", ErrOrgNotAMember
	}
	if userID == "" || userID == a.User.ID {
		return me.Role, nil
	}
	other, err := s.member(ctx, s.store.Pool(), org.ID, userID)
	if err != nil {
		return "", err
	}
	if other == nil {
		return "", ErrOrgNotAMember
	}
	return other.Role, nil
}

// checkRoles refuses an empty role list (ROLE_NOT_FOUND) or one naming roles Better Auth does
// not define ("ROLE_NOT_FOUND: a, b"; withCode says whether the code goes with it).
func checkRoles(roles []string, withCode bool) error {
	if len(roles) == 0 {
		return ErrOrgRoleNotFound
	}
	var unknown []string
	for _, r := range roles {
		if !orgaccess.Known(r) {
			unknown = append(unknown, r)
		}
	}
	if len(unknown) > 0 {
		return errUnknownRole(strings.Join(unknown, ", "), withCode)
	}
	return nil
}

func countOwners(members []Member) int {
	n := 0
	for _, m := range members {
		if orgaccess.Has(m.Role, orgaccess.Owner) {
			n++
		}
	}
	return n
}

// orgMembersTx locks orgID and returns its members, for changes that must see every owner.
func (s *Service) orgMembersTx(ctx context.Context, tx db.DB, orgID string) ([]Member, error) {
	if _, err := s.store.BetterauthOrganizationLock(ctx, tx, orgID); err != nil {
		if notFound(err) {
			return nil, ErrOrgNotFound
		}
		return nil, err
	}
	rows, err := s.store.BetterauthMemberListWithUser(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.BetterauthMember)
	}
	return out, nil
}

func findMember(members []Member, pred func(Member) bool) *Member {
	for i := range members {
		if pred(members[i]) {
			return &members[i]
		}
	}
	return nil
}

// UpdateMemberRole gives memberID the roles in orgID (default the active organization). The
// checks run in Better Auth's order: membership, owner rules, permission, then role names.
func (s *Service) UpdateMemberRole(ctx context.Context, a *Auth, orgID, memberID string, roles []string) (Member, error) {
	var out Member
	if len(roles) == 0 {
		return out, ErrOrgRoleNotFound
	}
	orgID = activeID(a, orgID)
	if orgID == "" {
		return out, ErrOrgNoActive
	}
	err := s.store.InTx(ctx, func(tx db.DB) error {
		members, err := s.orgMembersTx(ctx, tx, orgID)
		if errors.Is(err, ErrOrgNotFound) {
			return ErrOrgMemberNotFound
		} else if err != nil {
			return err
		}
		me := findMember(members, func(m Member) bool { return m.UserID == a.User.ID })
		if me == nil {
			return ErrOrgMemberNotFound
		}
		target := findMember(members, func(m Member) bool { return m.ID == memberID })
		if target == nil {
			if _, err := s.store.BetterauthMemberGetByID(ctx, tx, memberID); err == nil {
				return ErrOrgCannotUpdateMember // a member of another organization
			} else if !notFound(err) {
				return err
			}
			return ErrOrgMemberNotFound
		}
		callerOwner := orgaccess.Has(me.Role, orgaccess.Owner)
		grantsOwner := slices.Contains(roles, orgaccess.Owner)
		targetOwner := orgaccess.Has(target.Role, orgaccess.Owner)
		if (targetOwner || grantsOwner) && !callerOwner {
			return ErrOrgCannotUpdateMember
		}
		if targetOwner && !grantsOwner && countOwners(members) <= 1 {
			return ErrOrgWithoutOwner
		}
		if !callerOwner && !orgaccess.Allows(me.Role, orgaccess.Permissions{"member": {"update"}}) {
			return ErrOrgCannotUpdateMember
		}
		if err := checkRoles(roles, true); err != nil {
			return err
		}
		out, err = s.store.BetterauthMemberUpdateRole(ctx, tx, dbsqlc.BetterauthMemberUpdateRoleParams{
			Role: orgaccess.Join(roles), ID: target.ID})
		return err
	})
	return out, db.Translate(err)
}

// RemoveMember removes idOrEmail (a member id, or an email when it holds "@") from orgID
// (default the active organization).
func (s *Service) RemoveMember(ctx context.Context, a *Auth, orgID, idOrEmail string) (Member, error) {
	var out Member
	orgID = activeID(a, orgID)
	if orgID == "" {
		return out, ErrOrgNoActive
	}
	var targetUser string
	if strings.Contains(idOrEmail, "@") {
		u, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), normalizeEmail(idOrEmail))
		if notFound(err) {
			return out, ErrOrgMemberNotFound
		} else if err != nil {
			return out, db.Translate(err)
		}
		targetUser = u.ID
	}
	err := s.store.InTx(ctx, func(tx db.DB) error {
		members, err := s.orgMembersTx(ctx, tx, orgID)
		if errors.Is(err, ErrOrgNotFound) {
			return ErrOrgMemberNotFound
		} else if err != nil {
			return err
		}
		me := findMember(members, func(m Member) bool { return m.UserID == a.User.ID })
		target := findMember(members, func(m Member) bool {
			if targetUser != "" {
				return m.UserID == targetUser
			}
			return m.ID == idOrEmail
		})
		if me == nil {
			return ErrOrgMemberNotFound
		}
		if target == nil && targetUser == "" {
			// Better Auth finds a member id in any organization, and refuses it only after the
			// owner and permission checks.
			other, err := s.store.BetterauthMemberGetByID(ctx, tx, idOrEmail)
			if notFound(err) {
				return ErrOrgMemberNotFound
			} else if err != nil {
				return err
			}
			target = &other
		}
		if target == nil {
			return ErrOrgMemberNotFound
		}
		if orgaccess.Has(target.Role, orgaccess.Owner) &&
			(!orgaccess.Has(me.Role, orgaccess.Owner) || countOwners(members) <= 1) {
			return ErrOrgOnlyOwner
		}
		if !orgaccess.Allows(me.Role, orgaccess.Permissions{"member": {"delete"}}) {
			return ErrOrgCannotDeleteMember
		}
		if target.OrganizationId != orgID {
			return ErrOrgMemberNotFound
		}
		if out, err = s.store.BetterauthMemberDelete(ctx, tx, target.ID); err != nil {
			return err
		}
		if err := s.clearActiveEverywhere(ctx, tx, orgID, target.UserID); err != nil {
			return err
		}
		if target.UserID == a.User.ID {
			return s.clearActiveIf(ctx, tx, a, orgID)
		}
		return nil
	})
	return out, db.Translate(err)
}

// LeaveOrganization removes a's user from orgID; the only owner cannot leave.
func (s *Service) LeaveOrganization(ctx context.Context, a *Auth, orgID string) (MemberWithUser, error) {
	var out MemberWithUser
	err := s.store.InTx(ctx, func(tx db.DB) error {
		members, err := s.orgMembersTx(ctx, tx, orgID)
		if errors.Is(err, ErrOrgNotFound) {
			return ErrOrgMemberNotFound
		} else if err != nil {
			return err
		}
		me := findMember(members, func(m Member) bool { return m.UserID == a.User.ID })
		if me == nil {
			return ErrOrgMemberNotFound
		}
		if orgaccess.Has(me.Role, orgaccess.Owner) && countOwners(members) <= 1 {
			return ErrOrgOnlyOwner
		}
		if _, err := s.store.BetterauthMemberDelete(ctx, tx, me.ID); err != nil {
			return err
		}
		if err := s.clearActiveEverywhere(ctx, tx, orgID, me.UserID); err != nil {
			return err
		}
		out = MemberWithUser{Member: *me, Name: a.User.Name, Email: a.User.Email, Image: a.User.Image}
		return s.clearActiveIf(ctx, tx, a, orgID)
	})
	return out, db.Translate(err)
}

// errPermissionsXor is Better Auth's schema refusal of a has-permission body with both or
// neither of permissions and permission.
var errPermissionsXor = baError(http.StatusBadRequest, "VALIDATION_ERROR", "[body] Invalid input")

// OrgHasPermission reports whether a's role in orgID (default the active organization) grants
// every action in perms. Exactly one of perms and the deprecated legacy form must be given;
// the legacy form always yields false, as in Better Auth.
func (s *Service) OrgHasPermission(ctx context.Context, a *Auth, orgID string, perms orgaccess.Permissions, legacy bool) (bool, error) {
	if (perms == nil) == !legacy {
		return false, errPermissionsXor
	}
	orgID = activeID(a, orgID)
	if orgID == "" {
		return false, ErrOrgNoActive
	}
	me, err := s.member(ctx, s.store.Pool(), orgID, a.User.ID)
	if err != nil {
		return false, err
	}
	if me == nil {
		return false, ErrOrgUserNotMember.WithStatus(http.StatusUnauthorized)
	}
	return perms != nil && orgaccess.Allows(me.Role, perms), nil
}
