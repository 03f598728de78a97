package baflow

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/orgaccess"
)

// NewInvitation is the input of InviteMember.
type NewInvitation struct {
	OrgID, Email string
	Roles        []string
	Resend       bool
}

// InvitationDetail is an invitation with its organization and inviter, as get-invitation shows it.
type InvitationDetail struct {
	Invitation
	OrganizationName, OrganizationSlug, InviterEmail string
}

// UserInvitation is a pending invitation with its organization's name.
type UserInvitation = dbsqlc.BetterauthInvitationListPendingByEmailRow

var inviteEmail = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

// InviteMember invites an email to an organization (default the active one) with roles and
// mails the invitation; with Resend a pending invitation is renewed and mailed again.
func (s *Service) InviteMember(ctx context.Context, a *Auth, in NewInvitation) (Invitation, error) {
	var out Invitation
	orgID := activeID(a, in.OrgID)
	if orgID == "" {
		return out, ErrOrgNotFound
	}
	email := normalizeEmail(in.Email)
	if !inviteEmail.MatchString(email) {
		return out, ErrInvalidEmail
	}
	me, err := s.memberAllowed(ctx, orgID, a.User.ID, orgaccess.Permissions{"invitation": {"create"}}, ErrOrgMemberNotFound, ErrOrgCannotInvite)
	if err != nil {
		return out, err
	}
	if err := checkRoles(in.Roles, false); err != nil {
		return out, err
	}
	callerOwner := orgaccess.Has(me.Role, orgaccess.Owner)
	if slices.Contains(in.Roles, orgaccess.Owner) && !callerOwner {
		return out, ErrOrgCannotInviteRole
	}
	org, err := s.store.BetterauthOrganizationGet(ctx, s.store.Pool(), orgID)
	if notFound(err) {
		return out, ErrOrgNotFound
	} else if err != nil {
		return out, db.Translate(err)
	}
	if u, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), email); err == nil {
		m, err := s.member(ctx, s.store.Pool(), org.ID, u.ID)
		if err != nil {
			return out, err
		}
		if m != nil {
			return out, ErrOrgAlreadyMember
		}
	} else if !notFound(err) {
		return out, db.Translate(err)
	}
	err = s.store.InTx(ctx, func(tx db.DB) error {
		if _, err := s.store.BetterauthOrganizationLock(ctx, tx, org.ID); err != nil {
			return err
		}
		expires := time.Now().Add(orgInvitationTTL)
		pending, err := s.store.BetterauthInvitationFindPending(ctx, tx, dbsqlc.BetterauthInvitationFindPendingParams{
			OrganizationID: org.ID, Email: email})
		switch {
		case err == nil && !in.Resend:
			return ErrOrgAlreadyInvited
		case err == nil:
			if pending.Role != nil && orgaccess.Has(*pending.Role, orgaccess.Owner) && !callerOwner {
				return ErrOrgCannotInviteRole
			}
			if out, err = s.store.BetterauthInvitationRenew(ctx, tx, dbsqlc.BetterauthInvitationRenewParams{
				ExpiresAt: expires, ID: pending.ID}); err != nil {
				return err
			}
		case notFound(err):
			n, err := s.store.BetterauthInvitationCountPending(ctx, tx, org.ID)
			if err != nil {
				return err
			}
			if n >= orgInvitationLimit {
				return ErrOrgInvitationLimit
			}
			role := orgaccess.Join(in.Roles)
			if out, err = s.store.BetterauthInvitationCreate(ctx, tx, dbsqlc.BetterauthInvitationCreateParams{
				ID: newID(), OrganizationID: org.ID, Email: email, Role: &role, ExpiresAt: expires,
				InviterID: a.User.ID}); err != nil {
				return err
			}
		default:
			return err
		}
		return s.outbox.Enqueue(ctx, tx, mail.Message{To: email, Template: TemplateOrganizationInvitation, Data: map[string]any{
			"url":          s.ResolveURL("/accept-invitation/" + out.ID),
			"invitationId": out.ID, "organizationId": org.ID, "organizationName": org.Name,
			"organizationSlug": org.Slug, "role": deref(out.Role), "email": email,
			"inviterName": a.User.Name, "inviterEmail": a.User.Email, "inviterId": a.User.ID,
			"appName": s.cfg.AppName, "validFor": humanTTL(orgInvitationTTL),
			"expiresAt": out.ExpiresAt.UTC().Format(time.RFC3339),
		}})
	})
	if err != nil {
		return out, db.Translate(err)
	}
	s.outbox.Wake()
	return out, nil
}

// recipient checks that a's user is the one invited.
func recipient(a *Auth, inv Invitation) error {
	if !strings.EqualFold(inv.Email, a.User.Email) {
		return ErrOrgNotRecipient
	}
	return nil
}

func (s *Service) invitation(ctx context.Context, id string, notFoundErr error) (Invitation, error) {
	inv, err := s.store.BetterauthInvitationGet(ctx, s.store.Pool(), id)
	if notFound(err) {
		return inv, notFoundErr
	}
	return inv, db.Translate(err)
}

// AcceptInvitation makes a's user a member with the invitation's role and the organization the
// session's active one. Of concurrent accepts of one invitation, one succeeds.
func (s *Service) AcceptInvitation(ctx context.Context, a *Auth, id string) (Invitation, Member, error) {
	var (
		inv Invitation
		mem Member
	)
	inv, err := s.invitation(ctx, id, ErrOrgInvitationNotFound)
	if err != nil {
		return inv, mem, err
	}
	if inv.Status != "pending" || !inv.ExpiresAt.After(time.Now()) {
		return inv, mem, ErrOrgInvitationNotFound
	}
	if err := recipient(a, inv); err != nil {
		return inv, mem, err
	}
	err = s.store.InTx(ctx, func(tx db.DB) error {
		if _, err := s.store.BetterauthOrganizationLock(ctx, tx, inv.OrganizationId); err != nil {
			if notFound(err) {
				return ErrOrgInvitationNotFound
			}
			return err
		}
		n, err := s.store.BetterauthMemberCount(ctx, tx, inv.OrganizationId)
		if err != nil {
			return err
		}
		if n >= orgMembershipLimit {
			return ErrOrgMembershipLimit
		}
		if inv, err = s.store.BetterauthInvitationSetStatus(ctx, tx, dbsqlc.BetterauthInvitationSetStatusParams{
			Status: "accepted", ID: id, UnexpiredOnly: true}); notFound(err) {
			return ErrOrgInvitationNotFound
		} else if err != nil {
			return err
		}
		role := orgaccess.Member
		if inv.Role != nil && *inv.Role != "" {
			role = *inv.Role
		}
		if mem, err = s.store.BetterauthMemberCreate(ctx, tx, dbsqlc.BetterauthMemberCreateParams{
			ID: newID(), OrganizationID: inv.OrganizationId, UserID: a.User.ID, Role: role}); err != nil {
			if db.IsConflict(db.Translate(err), "") {
				// Already a member (under another email when invited): the invitation stays pending.
				return ErrOrgAlreadyMember
			}
			return err
		}
		return s.setActive(ctx, tx, a, &inv.OrganizationId)
	})
	return inv, mem, db.Translate(err)
}

// RejectInvitation marks a pending invitation to a's user rejected.
func (s *Service) RejectInvitation(ctx context.Context, a *Auth, id string) (Invitation, error) {
	inv, err := s.invitation(ctx, id, ErrOrgInvitationNotFound2)
	if err != nil {
		return inv, err
	}
	if inv.Status != "pending" {
		return inv, ErrOrgInvitationNotFound2
	}
	if err := recipient(a, inv); err != nil {
		return inv, err
	}
	return s.setInvitationStatus(ctx, id, "rejected", ErrOrgInvitationNotFound2)
}

func (s *Service) setInvitationStatus(ctx context.Context, id, status string, notFoundErr error) (Invitation, error) {
	inv, err := s.store.BetterauthInvitationSetStatus(ctx, s.store.Pool(), dbsqlc.BetterauthInvitationSetStatusParams{
		Status: status, ID: id})
	if notFound(err) {
		return inv, notFoundErr
	}
	return inv, db.Translate(err)
}

// CancelInvitation marks an invitation canceled; it needs invitation:cancel in its organization.
func (s *Service) CancelInvitation(ctx context.Context, a *Auth, id string) (Invitation, error) {
	inv, err := s.invitation(ctx, id, ErrOrgInvitationNotFound)
	if err != nil {
		return inv, err
	}
	_, err = s.memberAllowed(ctx, inv.OrganizationId, a.User.ID, orgaccess.Permissions{"invitation": {"cancel"}}, ErrOrgMemberNotFound, ErrOrgCannotCancel)
	if err != nil {
		return inv, err
	}
	inv, err = s.store.BetterauthInvitationCancel(ctx, s.store.Pool(), id)
	if notFound(err) {
		return inv, ErrOrgInvitationNotFound
	}
	return inv, db.Translate(err)
}

// GetInvitation returns a pending invitation to a's user with its organization and inviter.
func (s *Service) GetInvitation(ctx context.Context, a *Auth, id string) (InvitationDetail, error) {
	var out InvitationDetail
	inv, err := s.invitation(ctx, id, ErrOrgInvitationNotFound)
	if err != nil {
		return out, err
	}
	if inv.Status != "pending" || !inv.ExpiresAt.After(time.Now()) {
		return out, ErrOrgInvitationNotFound
	}
	if err := recipient(a, inv); err != nil {
		return out, err
	}
	org, err := s.store.BetterauthOrganizationGet(ctx, s.store.Pool(), inv.OrganizationId)
	if notFound(err) {
		return out, ErrOrgNotFound
	} else if err != nil {
		return out, db.Translate(err)
	}
	m, err := s.member(ctx, s.store.Pool(), inv.OrganizationId, inv.InviterId)
	if err != nil {
		return out, err
	}
	if m == nil {
		return out, ErrOrgInviterGone
	}
	inviter, err := s.store.BetterauthUserGet(ctx, s.store.Pool(), inv.InviterId)
	if notFound(err) {
		return out, ErrOrgInviterGone
	} else if err != nil {
		return out, db.Translate(err)
	}
	return InvitationDetail{Invitation: inv, OrganizationName: org.Name, OrganizationSlug: org.Slug, InviterEmail: inviter.Email}, nil
}

// ListInvitations lists the invitations of orgID (default the active organization); it needs
// invitation:create, and invitations granting owner show only to owners.
func (s *Service) ListInvitations(ctx context.Context, a *Auth, orgID string) ([]Invitation, error) {
	orgID = activeID(a, orgID)
	if orgID == "" {
		return nil, ErrOrgIDRequired
	}
	me, err := s.memberAllowed(ctx, orgID, a.User.ID, orgaccess.Permissions{"invitation": {"create"}}, ErrOrgNotAMemberNoCode, ErrOrgCannotList)
	if err != nil {
		return nil, err
	}
	return s.invitationsFor(ctx, orgID, me.Role)
}

// ListUserInvitations lists the pending invitations to a's (verified) email. a may be nil;
// emailGiven reports an email query parameter, which HTTP callers may not send.
func (s *Service) ListUserInvitations(ctx context.Context, a *Auth, emailGiven bool) ([]UserInvitation, error) {
	if emailGiven {
		return nil, ErrOrgEmailParam
	}
	if a == nil {
		return nil, ErrOrgNoSessionOrEmail
	}
	if !a.User.EmailVerified {
		return nil, ErrOrgEmailNotVerified
	}
	rows, err := s.store.BetterauthInvitationListPendingByEmail(ctx, s.store.Pool(), normalizeEmail(a.User.Email))
	return rows, db.Translate(err)
}
