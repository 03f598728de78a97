package betterauth

import (
	"context"
	"encoding/json"
	"net/http"

	"gatehouse/gen/betterauthapi"
	"gatehouse/handlers/betterauth/jstime"
	"gatehouse/handlers/internal/baflow"
	"gatehouse/handlers/internal/orgaccess"
)

// jsonNull is an answer of the literal null (200), as Better Auth sends when no organization is
// active.
type jsonNull struct{}

func (jsonNull) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(nullJSON)
	return err
}

func (n jsonNull) VisitSetActiveOrganizationResponse(w http.ResponseWriter) error { return n.write(w) }
func (n jsonNull) VisitGetFullOrganizationResponse(w http.ResponseWriter) error   { return n.write(w) }
func (n jsonNull) VisitGetOrganizationResponse(w http.ResponseWriter) error       { return n.write(w) }

func toOrganization(o baflow.Organization) betterauthapi.Organization {
	return betterauthapi.Organization{Id: o.ID, Name: o.Name, Slug: o.Slug, Logo: o.Logo,
		CreatedAt: jstime.From(o.CreatedAt), Metadata: o.Metadata}
}

// parsedMetadata is the stored metadata as an object, nil when there is none.
func parsedMetadata(o baflow.Organization) *map[string]any {
	if o.Metadata == nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(*o.Metadata), &m); err != nil || m == nil {
		return nil
	}
	return &m
}

func toMember(m baflow.Member) betterauthapi.OrganizationMember {
	return betterauthapi.OrganizationMember{Id: m.ID, OrganizationId: m.OrganizationId, UserId: m.UserID,
		Role: m.Role, CreatedAt: jstime.From(m.CreatedAt)}
}

func toMemberWithUser(m baflow.MemberWithUser) betterauthapi.OrganizationMemberWithUser {
	return betterauthapi.OrganizationMemberWithUser{Id: m.ID, OrganizationId: m.OrganizationId, UserId: m.UserID,
		Role: m.Role, CreatedAt: jstime.From(m.CreatedAt),
		User: betterauthapi.MemberUser{Id: m.UserID, Name: m.Name, Email: m.Email, Image: m.Image}}
}

func toInvitation(i baflow.Invitation) betterauthapi.OrganizationInvitation {
	return betterauthapi.OrganizationInvitation{Id: i.ID, OrganizationId: i.OrganizationId, Email: i.Email, Role: i.Role,
		Status: betterauthapi.OrganizationInvitationStatus(i.Status), ExpiresAt: jstime.From(i.ExpiresAt),
		CreatedAt: jstime.From(i.CreatedAt), InviterId: i.InviterId}
}

// roles reads a role value sent as a string or an array of strings.
func roles(r betterauthapi.OrganizationRoles) []string {
	if list, err := r.AsOrganizationRoles1(); err == nil {
		return orgaccess.Parse(list...)
	}
	one, _ := r.AsOrganizationRoles0()
	return orgaccess.Parse(one)
}

func orgRef(id, slug *string) baflow.OrgRef { return baflow.OrgRef{ID: str(id), Slug: str(slug)} }

// CreateOrganization creates an organization owned by the session user.
func (s *Server) CreateOrganization(ctx context.Context, req betterauthapi.CreateOrganizationRequestObject) (betterauthapi.CreateOrganizationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := baflow.NewOrganization{Name: b.Name, Slug: b.Slug, Logo: b.Logo, KeepCurrent: isTrue(b.KeepCurrentActiveOrganization)}
	if b.Metadata != nil {
		in.Metadata = *b.Metadata
	}
	org, mem, err := s.flows.CreateOrganization(ctx, a, in)
	if err != nil {
		return nil, err
	}
	return betterauthapi.CreateOrganization200JSONResponse{Id: org.ID, Name: org.Name, Slug: org.Slug, Logo: org.Logo,
		CreatedAt: jstime.From(org.CreatedAt), Metadata: parsedMetadata(org),
		Members: []betterauthapi.OrganizationMember{toMember(mem)}}, nil
}

// CheckOrganizationSlug tells whether a slug is free.
func (s *Server) CheckOrganizationSlug(ctx context.Context, req betterauthapi.CheckOrganizationSlugRequestObject) (betterauthapi.CheckOrganizationSlugResponseObject, error) {
	if _, err := s.requireSession(ctx); err != nil {
		return nil, err
	}
	if err := s.flows.CheckOrganizationSlug(ctx, req.Body.Slug); err != nil {
		return nil, err
	}
	return betterauthapi.CheckOrganizationSlug200JSONResponse{Status: true}, nil
}

// ListOrganizations lists the session user's organizations.
func (s *Server) ListOrganizations(ctx context.Context, _ betterauthapi.ListOrganizationsRequestObject) (betterauthapi.ListOrganizationsResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := s.flows.ListOrganizations(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make(betterauthapi.ListOrganizations200JSONResponse, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, toOrganization(o))
	}
	return out, nil
}

// SetActiveOrganization sets or unsets the session's active organization.
func (s *Server) SetActiveOrganization(ctx context.Context, req betterauthapi.SetActiveOrganizationRequestObject) (betterauthapi.SetActiveOrganizationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	unset := b.OrganizationId.IsSpecified() && b.OrganizationId.IsNull()
	ref := baflow.OrgRef{Slug: str(b.OrganizationSlug)}
	if id, err := b.OrganizationId.Get(); err == nil {
		ref = baflow.OrgRef{ID: id}
	}
	had := a.Session.ActiveOrganizationID != nil
	org, err := s.flows.SetActiveOrganization(ctx, a, ref, unset)
	if err != nil {
		return nil, err
	}
	if org == nil {
		if unset && had {
			s.resendSession(ctx, a)
		}
		return jsonNull{}, nil
	}
	s.resendSession(ctx, a)
	return betterauthapi.SetActiveOrganization200JSONResponse{Body: betterauthapi.NullableOrganization(toOrganization(*org))}, nil
}

// GetFullOrganization returns an organization with its members and invitations.
func (s *Server) GetFullOrganization(ctx context.Context, req betterauthapi.GetFullOrganizationRequestObject) (betterauthapi.GetFullOrganizationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	limit := 0
	if p.MembersLimit != nil {
		limit = *p.MembersLimit
	}
	full, err := s.flows.GetFullOrganization(ctx, a, orgRef(p.OrganizationId, p.OrganizationSlug), limit)
	if err != nil || full == nil {
		return jsonNull{}, err
	}
	o := toOrganization(full.Organization)
	out := betterauthapi.GetFullOrganization200JSONResponse{Id: o.Id, Name: o.Name, Slug: o.Slug, Logo: o.Logo,
		CreatedAt: o.CreatedAt, Metadata: o.Metadata,
		Members:     make([]betterauthapi.OrganizationMemberWithUser, 0, len(full.Members)),
		Invitations: make([]betterauthapi.OrganizationInvitation, 0, len(full.Invitations))}
	for _, m := range full.Members {
		out.Members = append(out.Members, toMemberWithUser(m))
	}
	for _, i := range full.Invitations {
		out.Invitations = append(out.Invitations, toInvitation(i))
	}
	return out, nil
}

// GetOrganization returns an organization.
func (s *Server) GetOrganization(ctx context.Context, req betterauthapi.GetOrganizationRequestObject) (betterauthapi.GetOrganizationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.flows.GetOrganization(ctx, a, orgRef(req.Params.OrganizationId, req.Params.OrganizationSlug))
	if err != nil || org == nil {
		return jsonNull{}, err
	}
	return betterauthapi.GetOrganization200JSONResponse(toOrganization(*org)), nil
}

// UpdateOrganization changes an organization.
func (s *Server) UpdateOrganization(ctx context.Context, req betterauthapi.UpdateOrganizationRequestObject) (betterauthapi.UpdateOrganizationResponseObject, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, baflow.ErrOrgUserNotFoundNoSes
	}
	d := req.Body.Data
	in := baflow.OrganizationUpdate{Name: d.Name, Slug: d.Slug}
	if d.Metadata != nil {
		in.Metadata = *d.Metadata
	}
	if d.Logo.IsSpecified() {
		in.SetLogo = true // null clears it
		if logo, err := d.Logo.Get(); err == nil {
			in.Logo = &logo
		}
	}
	org, err := s.flows.UpdateOrganization(ctx, a, str(req.Body.OrganizationId), in)
	if err != nil {
		return nil, err
	}
	return betterauthapi.UpdateOrganization200JSONResponse{Id: org.ID, Name: org.Name, Slug: org.Slug, Logo: org.Logo,
		CreatedAt: jstime.From(org.CreatedAt), Metadata: parsedMetadata(org)}, nil
}

// DeleteOrganization deletes an organization.
func (s *Server) DeleteOrganization(ctx context.Context, req betterauthapi.DeleteOrganizationRequestObject) (betterauthapi.DeleteOrganizationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.flows.DeleteOrganization(ctx, a, req.Body.OrganizationId)
	if err != nil {
		return nil, err
	}
	return betterauthapi.DeleteOrganization200JSONResponse(toOrganization(org)), nil
}

// ListOrganizationMembers lists an organization's members.
func (s *Server) ListOrganizationMembers(ctx context.Context, req betterauthapi.ListOrganizationMembersRequestObject) (betterauthapi.ListOrganizationMembersResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	q := baflow.MemberQuery{Org: orgRef(p.OrganizationId, p.OrganizationSlug), FilterValue: str(p.FilterValue)}
	if p.Limit != nil {
		q.Limit = *p.Limit
	}
	if p.Offset != nil {
		q.Offset = *p.Offset
	}
	if p.SortBy != nil {
		q.SortBy = string(*p.SortBy)
	}
	if p.SortDirection != nil {
		q.SortDirection = string(*p.SortDirection)
	}
	if p.FilterField != nil {
		q.FilterField = string(*p.FilterField)
	}
	if p.FilterOperator != nil {
		q.FilterOperator = string(*p.FilterOperator)
	}
	members, total, err := s.flows.ListMembers(ctx, a, q)
	if err != nil {
		return nil, err
	}
	out := betterauthapi.ListOrganizationMembers200JSONResponse{Total: total,
		Members: make([]betterauthapi.OrganizationMemberWithUser, 0, len(members))}
	for _, m := range members {
		out.Members = append(out.Members, toMemberWithUser(m))
	}
	return out, nil
}

// GetActiveMember returns the session user's membership in the active organization.
func (s *Server) GetActiveMember(ctx context.Context, _ betterauthapi.GetActiveMemberRequestObject) (betterauthapi.GetActiveMemberResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.flows.GetActiveMember(ctx, a)
	if err != nil {
		return nil, err
	}
	return betterauthapi.GetActiveMember200JSONResponse(toMemberWithUser(m)), nil
}

// GetActiveMemberRole returns a member's role.
func (s *Server) GetActiveMemberRole(ctx context.Context, req betterauthapi.GetActiveMemberRoleRequestObject) (betterauthapi.GetActiveMemberRoleResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	role, err := s.flows.GetActiveMemberRole(ctx, a, orgRef(p.OrganizationId, p.OrganizationSlug), str(p.UserId))
	if err != nil {
		return nil, err
	}
	return betterauthapi.GetActiveMemberRole200JSONResponse{Role: role}, nil
}

// UpdateMemberRole changes a member's role.
func (s *Server) UpdateMemberRole(ctx context.Context, req betterauthapi.UpdateMemberRoleRequestObject) (betterauthapi.UpdateMemberRoleResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	m, err := s.flows.UpdateMemberRole(ctx, a, str(b.OrganizationId), b.MemberId, roles(b.Role))
	if err != nil {
		return nil, err
	}
	return betterauthapi.UpdateMemberRole200JSONResponse(toMember(m)), nil
}

// RemoveMember removes a member.
func (s *Server) RemoveMember(ctx context.Context, req betterauthapi.RemoveMemberRequestObject) (betterauthapi.RemoveMemberResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.flows.RemoveMember(ctx, a, str(req.Body.OrganizationId), req.Body.MemberIdOrEmail)
	if err != nil {
		return nil, err
	}
	return betterauthapi.RemoveMember200JSONResponse{Member: toMember(m)}, nil
}

// LeaveOrganization removes the session user from an organization.
func (s *Server) LeaveOrganization(ctx context.Context, req betterauthapi.LeaveOrganizationRequestObject) (betterauthapi.LeaveOrganizationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.flows.LeaveOrganization(ctx, a, req.Body.OrganizationId)
	if err != nil {
		return nil, err
	}
	return betterauthapi.LeaveOrganization200JSONResponse(toMemberWithUser(m)), nil
}

// HasOrganizationPermission checks the session user's permissions in an organization.
func (s *Server) HasOrganizationPermission(ctx context.Context, req betterauthapi.HasOrganizationPermissionRequestObject) (betterauthapi.HasOrganizationPermissionResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	var perms orgaccess.Permissions
	if req.Body.Permissions != nil {
		perms = *req.Body.Permissions
	}
	ok, err := s.flows.OrgHasPermission(ctx, a, str(req.Body.OrganizationId), perms, req.Body.Permission != nil)
	if err != nil {
		return nil, err
	}
	return betterauthapi.HasOrganizationPermission200JSONResponse{Success: ok}, nil
}

// InviteMember invites someone to an organization.
func (s *Server) InviteMember(ctx context.Context, req betterauthapi.InviteMemberRequestObject) (betterauthapi.InviteMemberResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	inv, err := s.flows.InviteMember(ctx, a, baflow.NewInvitation{OrgID: str(b.OrganizationId), Email: b.Email,
		Roles: roles(b.Role), Resend: isTrue(b.Resend)})
	if err != nil {
		return nil, err
	}
	return betterauthapi.InviteMember200JSONResponse(toInvitation(inv)), nil
}

// AcceptInvitation accepts an invitation to the session user.
func (s *Server) AcceptInvitation(ctx context.Context, req betterauthapi.AcceptInvitationRequestObject) (betterauthapi.AcceptInvitationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	inv, m, err := s.flows.AcceptInvitation(ctx, a, req.Body.InvitationId)
	if err != nil {
		return nil, err
	}
	return betterauthapi.AcceptInvitation200JSONResponse{Invitation: toInvitation(inv), Member: toMember(m)}, nil
}

// RejectInvitation rejects an invitation to the session user.
func (s *Server) RejectInvitation(ctx context.Context, req betterauthapi.RejectInvitationRequestObject) (betterauthapi.RejectInvitationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := s.flows.RejectInvitation(ctx, a, req.Body.InvitationId)
	if err != nil {
		return nil, err
	}
	return betterauthapi.RejectInvitation200JSONResponse{Invitation: toInvitation(inv)}, nil
}

// CancelInvitation cancels an invitation.
func (s *Server) CancelInvitation(ctx context.Context, req betterauthapi.CancelInvitationRequestObject) (betterauthapi.CancelInvitationResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := s.flows.CancelInvitation(ctx, a, req.Body.InvitationId)
	if err != nil {
		return nil, err
	}
	return betterauthapi.CancelInvitation200JSONResponse(toInvitation(inv)), nil
}

// GetInvitation returns an invitation to the session user.
func (s *Server) GetInvitation(ctx context.Context, req betterauthapi.GetInvitationRequestObject) (betterauthapi.GetInvitationResponseObject, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, baflow.ErrOrgNotAuthenticated
	}
	d, err := s.flows.GetInvitation(ctx, a, req.Params.Id)
	if err != nil {
		return nil, err
	}
	i := toInvitation(d.Invitation)
	return betterauthapi.GetInvitation200JSONResponse{Id: i.Id, OrganizationId: i.OrganizationId, Email: i.Email,
		Role: i.Role, Status: betterauthapi.InvitationDetailStatus(i.Status), ExpiresAt: i.ExpiresAt,
		CreatedAt: i.CreatedAt, InviterId: i.InviterId, OrganizationName: d.OrganizationName,
		OrganizationSlug: d.OrganizationSlug, InviterEmail: d.InviterEmail}, nil
}

// ListInvitations lists an organization's invitations.
func (s *Server) ListInvitations(ctx context.Context, req betterauthapi.ListInvitationsRequestObject) (betterauthapi.ListInvitationsResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	invs, err := s.flows.ListInvitations(ctx, a, str(req.Params.OrganizationId))
	if err != nil {
		return nil, err
	}
	out := make(betterauthapi.ListInvitations200JSONResponse, 0, len(invs))
	for _, i := range invs {
		out = append(out, toInvitation(i))
	}
	return out, nil
}

// ListUserInvitations lists the pending invitations to the session user.
func (s *Server) ListUserInvitations(ctx context.Context, req betterauthapi.ListUserInvitationsRequestObject) (betterauthapi.ListUserInvitationsResponseObject, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	rows, err := s.flows.ListUserInvitations(ctx, a, req.Params.Email != nil)
	if err != nil {
		return nil, err
	}
	out := make(betterauthapi.ListUserInvitations200JSONResponse, 0, len(rows))
	for _, r := range rows {
		i := toInvitation(r.BetterauthInvitation)
		out = append(out, betterauthapi.UserInvitation{Id: i.Id, OrganizationId: i.OrganizationId, Email: i.Email,
			Role: i.Role, Status: betterauthapi.UserInvitationStatus(i.Status), ExpiresAt: i.ExpiresAt,
			CreatedAt: i.CreatedAt, InviterId: i.InviterId, OrganizationName: r.OrganizationName})
	}
	return out, nil
}
