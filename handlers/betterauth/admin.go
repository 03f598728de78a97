package betterauth

import (
	"context"
	"strings"
	"time"

	"gatehouse/gen/betterauthapi"
	"gatehouse/handlers/internal/baaccess"
	"gatehouse/handlers/internal/bacookie"
	"gatehouse/handlers/internal/baflow"
)

// adminSessionCookie is the admin plugin's cookie holding the admin's session during an
// impersonation: "<admin session token>:<admin's dont_remember value or empty>", signed.
const adminSessionCookie = "admin_session"

// adminAuth is the admin plugin's gate: the session, or 401 with an empty body.
func (s *Server) adminAuth(ctx context.Context) (*baflow.Auth, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, baflow.ErrAdminUnauthorized
	}
	return a, nil
}

// adminRoles reads a role or a list of roles.
func adminRoles(r *betterauthapi.AdminRole) []string {
	if r == nil {
		return nil
	}
	if list, err := r.AsAdminRole1(); err == nil {
		return list
	}
	one, _ := r.AsAdminRole0()
	return []string{one}
}

var adminSuccess = betterauthapi.AdminSuccess{Success: true}

// AdminListUsers lists users with search, filter, order and paging.
func (s *Server) AdminListUsers(ctx context.Context, req betterauthapi.AdminListUsersRequestObject) (betterauthapi.AdminListUsersResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	q := baflow.UserQuery{SearchValue: str(p.SearchValue), SearchField: strOf(p.SearchField), SearchOperator: strOf(p.SearchOperator),
		FilterField: strOf(p.FilterField), FilterOperator: strOf(p.FilterOperator), SortBy: strOf(p.SortBy),
		SortDirection: strOf(p.SortDirection)}
	if p.FilterValue != nil {
		q.FilterValues = *p.FilterValue
	}
	if p.Limit != nil {
		q.Limit = *p.Limit
	}
	if p.Offset != nil {
		q.Offset = *p.Offset
	}
	users, total, err := s.flows.AdminListUsers(ctx, a, q)
	if err != nil {
		return nil, err
	}
	out := betterauthapi.AdminListUsers200JSONResponse{Users: make([]betterauthapi.User, 0, len(users)), Total: total}
	for _, u := range users {
		out.Users = append(out.Users, toUser(u))
	}
	if q.Limit > 0 {
		out.Limit = &q.Limit
	}
	if q.Offset > 0 {
		out.Offset = &q.Offset
	}
	return out, nil
}

// strOf is the string of an optional enum parameter ("" when absent).
func strOf[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// AdminGetUser returns one user, bare.
func (s *Server) AdminGetUser(ctx context.Context, req betterauthapi.AdminGetUserRequestObject) (betterauthapi.AdminGetUserResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.flows.AdminGetUser(ctx, a, req.Params.Id)
	if err != nil {
		return nil, err
	}
	return betterauthapi.AdminGetUser200JSONResponse(toUser(u)), nil
}

// AdminCreateUser creates a user.
func (s *Server) AdminCreateUser(ctx context.Context, req betterauthapi.AdminCreateUserRequestObject) (betterauthapi.AdminCreateUserResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := baflow.NewUser{Email: b.Email, Name: b.Name, Password: b.Password, Roles: adminRoles(b.Role)}
	if b.Data != nil {
		in.Image, in.EmailVerified = b.Data.Image, isTrue(b.Data.EmailVerified)
	}
	u, err := s.flows.AdminCreateUser(ctx, a, in)
	if err != nil {
		return nil, err
	}
	return betterauthapi.AdminCreateUser200JSONResponse{User: toUser(u)}, nil
}

// AdminUpdateUser changes a user's fields and answers the bare user.
func (s *Server) AdminUpdateUser(ctx context.Context, req betterauthapi.AdminUpdateUserRequestObject) (betterauthapi.AdminUpdateUserResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	d := req.Body.Data
	c := baflow.UserChanges{Name: d.Name, Email: d.Email, EmailVerified: d.EmailVerified, Roles: adminRoles(d.Role),
		Banned: d.Banned, Password: d.Password != nil, ID: d.Id != nil}
	if d.Image.IsSpecified() {
		c.SetImage = true
		if v, err := d.Image.Get(); err == nil {
			c.Image = &v
		}
	}
	if d.BanReason.IsSpecified() {
		c.SetBanReason = true
		if v, err := d.BanReason.Get(); err == nil {
			c.BanReason = &v
		}
	}
	if d.BanExpires.IsSpecified() {
		c.SetBanExpires = true
		if v, err := d.BanExpires.Get(); err == nil {
			c.BanExpires = &v
		}
	}
	u, err := s.flows.AdminUpdateUser(ctx, a, req.Body.UserId, c)
	if err != nil {
		return nil, err
	}
	return betterauthapi.AdminUpdateUser200JSONResponse(toUser(u)), nil
}

// AdminSetRole sets a user's role.
func (s *Server) AdminSetRole(ctx context.Context, req betterauthapi.AdminSetRoleRequestObject) (betterauthapi.AdminSetRoleResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.flows.AdminSetRole(ctx, a, req.Body.UserId, adminRoles(&req.Body.Role))
	if err != nil {
		return nil, err
	}
	return betterauthapi.AdminSetRole200JSONResponse{User: toUser(u)}, nil
}

// AdminBanUser bans a user.
func (s *Server) AdminBanUser(ctx context.Context, req betterauthapi.AdminBanUserRequestObject) (betterauthapi.AdminBanUserResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	var life time.Duration
	if b := req.Body.BanExpiresIn; b != nil {
		life = time.Duration(float64(*b) * float64(time.Second))
	}
	u, err := s.flows.AdminBanUser(ctx, a, req.Body.UserId, str(req.Body.BanReason), life)
	if err != nil {
		return nil, err
	}
	return betterauthapi.AdminBanUser200JSONResponse{User: toUser(u)}, nil
}

// AdminUnbanUser lifts a ban.
func (s *Server) AdminUnbanUser(ctx context.Context, req betterauthapi.AdminUnbanUserRequestObject) (betterauthapi.AdminUnbanUserResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.flows.AdminUnbanUser(ctx, a, req.Body.UserId)
	if err != nil {
		return nil, err
	}
	return betterauthapi.AdminUnbanUser200JSONResponse{User: toUser(u)}, nil
}

// AdminListUserSessions lists a user's sessions.
func (s *Server) AdminListUserSessions(ctx context.Context, req betterauthapi.AdminListUserSessionsRequestObject) (betterauthapi.AdminListUserSessionsResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.flows.AdminListUserSessions(ctx, a, req.Body.UserId)
	if err != nil {
		return nil, err
	}
	out := betterauthapi.AdminListUserSessions200JSONResponse{Sessions: make([]betterauthapi.Session, 0, len(rows))}
	for _, r := range rows {
		out.Sessions = append(out.Sessions, toSession(r))
	}
	return out, nil
}

// AdminRevokeUserSession ends one session of any user.
func (s *Server) AdminRevokeUserSession(ctx context.Context, req betterauthapi.AdminRevokeUserSessionRequestObject) (betterauthapi.AdminRevokeUserSessionResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.AdminRevokeUserSession(ctx, a, req.Body.SessionToken); err != nil {
		return nil, err
	}
	return betterauthapi.AdminRevokeUserSession200JSONResponse(adminSuccess), nil
}

// AdminRevokeUserSessions ends every session of a user.
func (s *Server) AdminRevokeUserSessions(ctx context.Context, req betterauthapi.AdminRevokeUserSessionsRequestObject) (betterauthapi.AdminRevokeUserSessionsResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.AdminRevokeUserSessions(ctx, a, req.Body.UserId); err != nil {
		return nil, err
	}
	return betterauthapi.AdminRevokeUserSessions200JSONResponse(adminSuccess), nil
}

// AdminRemoveUser deletes a user.
func (s *Server) AdminRemoveUser(ctx context.Context, req betterauthapi.AdminRemoveUserRequestObject) (betterauthapi.AdminRemoveUserResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.AdminRemoveUser(ctx, a, req.Body.UserId); err != nil {
		return nil, err
	}
	return betterauthapi.AdminRemoveUser200JSONResponse(adminSuccess), nil
}

// AdminSetUserPassword sets a user's password.
func (s *Server) AdminSetUserPassword(ctx context.Context, req betterauthapi.AdminSetUserPasswordRequestObject) (betterauthapi.AdminSetUserPasswordResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.AdminSetUserPassword(ctx, a, req.Body.UserId, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return betterauthapi.AdminSetUserPassword200JSONResponse{Status: true}, nil
}

// AdminImpersonateUser signs the browser in as another user, keeping the admin's session in
// the admin_session cookie.
func (s *Server) AdminImpersonateUser(ctx context.Context, req betterauthapi.AdminImpersonateUserRequestObject) (betterauthapi.AdminImpersonateUserResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	imp, err := s.flows.Impersonate(ctx, a, req.Body.UserId)
	if err != nil {
		return nil, err
	}
	dontRemember, _ := s.jar.Read(request(ctx), bacookie.DontRemember)
	setCookies(ctx, s.jar.ExpireSession()...)
	setCookies(ctx, s.jar.Signed(adminSessionCookie, a.Session.Token+":"+dontRemember, s.flows.Config().ExpiresIn))
	setCookies(ctx, s.jar.Session(imp.Session.Token, true, false)...)
	return betterauthapi.AdminImpersonateUser200JSONResponse{Body: betterauthapi.AdminSessionAndUser{
		Session: toSession(imp.Session), User: toUser(imp.User)}}, nil
}

// AdminStopImpersonating ends an impersonation and signs the browser back into the admin's
// session.
func (s *Server) AdminStopImpersonating(ctx context.Context, _ betterauthapi.AdminStopImpersonatingRequestObject) (betterauthapi.AdminStopImpersonatingResponseObject, error) {
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	r := request(ctx)
	raw, ok := s.jar.Read(r, adminSessionCookie)
	adminTok, dontRemember, _ := strings.Cut(raw, ":")
	admin, err := s.flows.StopImpersonating(ctx, a, adminTok, ok)
	if err != nil {
		return nil, err
	}
	setCookies(ctx, s.jar.Session(admin.Session.Token, dontRemember != "", s.jar.Present(r, bacookie.DontRemember))...)
	setCookies(ctx, s.jar.Expired(adminSessionCookie))
	return betterauthapi.AdminStopImpersonating200JSONResponse{Body: betterauthapi.AdminSessionAndUser{
		Session: toSession(admin.Session), User: toUser(admin.User)}}, nil
}

// AdminHasPermission tells whether the session user's role grants the permissions asked about.
func (s *Server) AdminHasPermission(ctx context.Context, req betterauthapi.AdminHasPermissionRequestObject) (betterauthapi.AdminHasPermissionResponseObject, error) {
	b := req.Body
	switch {
	case (b.Permission == nil) == (b.Permissions == nil):
		return nil, baflow.ErrPermissionBodyInvalid
	case b.Permissions == nil:
		return nil, baflow.ErrNoPermissionsPassed
	}
	a, err := s.adminAuth(ctx)
	if err != nil {
		return nil, err
	}
	ok := s.flows.AdminHasPermission(a, baaccess.Permissions(*b.Permissions))
	return betterauthapi.AdminHasPermission200JSONResponse{Success: ok}, nil
}
