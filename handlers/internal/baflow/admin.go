package baflow

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/baaccess"
	"gatehouse/handlers/internal/reqctx"
	"gatehouse/handlers/internal/token"
)

// The admin plugin (Better Auth's plugins/admin) with its default options: roles "admin" and
// "user" (baaccess.Admin), new users "user" (or "admin" for Config.AdminEmails), admins not
// impersonable, impersonation sessions of one hour.

// adminRoles are the roles impersonation treats as admins.
var adminRoles = []string{"admin"}

// ImpersonationLife is how long an impersonation session lasts.
const ImpersonationLife = time.Hour

// admitUser is the admin plugin's check before any session is created: a banned user gets
// none (ErrBannedUser), unless the ban has expired, which lifts it (and *user shows that).
func (s *Service) admitUser(ctx context.Context, q db.DB, user *User) error {
	if user.Banned == nil || !*user.Banned {
		return nil
	}
	if user.BanExpires == nil || !user.BanExpires.Before(time.Now()) {
		return ErrBannedUser
	}
	u, err := s.store.BetterauthAdminUnban(ctx, q, user.ID)
	if err != nil {
		return db.Translate(err)
	}
	*user = u
	return nil
}

// allow fails with denied unless a's user has every permission in want.
func allow(a *Auth, want baaccess.Permissions, denied error) error {
	if !baaccess.Admin.Allows(roleOf(a.User), want) {
		return denied
	}
	return nil
}

func roleOf(u User) string {
	if u.Role == nil {
		return ""
	}
	return *u.Role
}

// AdminHasPermission reports whether a's user's role grants every action in want (admin plugin roles).
func (s *Service) AdminHasPermission(a *Auth, want baaccess.Permissions) bool {
	return baaccess.Admin.Allows(roleOf(a.User), want)
}

// joinRoles checks a role list and joins it as Better Auth stores it. Better Auth with its
// default roles stores any name; a role no one defined grants nothing, so this server refuses it.
func joinRoles(roles []string) (string, error) {
	var out []string
	for _, r := range roles {
		if !baaccess.Admin.IsRole(r) {
			return "", ErrNonExistentRole
		}
		out = append(out, r)
	}
	return strings.Join(out, ","), nil
}

// findUser is the user with id, or ErrUserNotFound.
func (s *Service) findUser(ctx context.Context, q db.DB, id string) (User, error) {
	u, err := s.store.BetterauthUserGet(ctx, q, id)
	if notFound(err) {
		return User{}, ErrUserNotFound
	}
	return u, db.Translate(err)
}

// AdminGetUser returns a user by id.
func (s *Service) AdminGetUser(ctx context.Context, a *Auth, id string) (User, error) {
	if err := allow(a, baaccess.Permissions{"user": {"get"}}, ErrNotAllowedGetUser); err != nil {
		return User{}, err
	}
	return s.findUser(ctx, s.store.Pool(), id)
}

// NewUser is an account an admin creates.
type NewUser struct {
	Email, Name string
	// Password, when set, gets a credential account.
	Password *string
	// Roles are the roles to give (nil for the default).
	Roles         []string
	Image         *string
	EmailVerified bool
}

func validEmail(email string) bool {
	_, err := mail.ParseAddress(email)
	return err == nil && !strings.ContainsAny(email, "<> ")
}

// AdminCreateUser creates an account without signing anyone in.
func (s *Service) AdminCreateUser(ctx context.Context, a *Auth, in NewUser) (User, error) {
	if err := allow(a, baaccess.Permissions{"user": {"create"}}, ErrNotAllowedCreateUsers); err != nil {
		return User{}, err
	}
	email := normalizeEmail(in.Email)
	role := s.roleFor(email)
	if in.Roles != nil {
		if err := allow(a, baaccess.Permissions{"user": {"set-role"}}, ErrNotAllowedChangeRole); err != nil {
			return User{}, err
		}
		var err error
		if role, err = joinRoles(in.Roles); err != nil {
			return User{}, err
		}
	}
	if !validEmail(email) {
		return User{}, ErrInvalidEmail
	}
	var hash *string
	if in.Password != nil {
		if len([]rune(*in.Password)) > s.cfg.MaxPasswordLength {
			return User{}, ErrPasswordTooLong
		}
		h, err := s.hasher.Hash(*in.Password)
		if err != nil {
			return User{}, err
		}
		hash = &h
	}
	var user User
	err := s.store.InTx(ctx, func(tx db.DB) error {
		var err error
		user, err = s.store.BetterauthUserCreate(ctx, tx, dbsqlc.BetterauthUserCreateParams{
			ID: newID(), Name: in.Name, Email: email, EmailVerified: in.EmailVerified, Image: in.Image, Role: &role})
		if err != nil || hash == nil {
			return err
		}
		_, err = s.store.BetterauthAccountCreate(ctx, tx, dbsqlc.BetterauthAccountCreateParams{
			ID: newID(), AccountID: user.ID, ProviderID: "credential", UserID: user.ID, Password: hash})
		return err
	})
	var conflict *db.ConflictError
	if errors.As(db.Translate(err), &conflict) {
		return User{}, ErrAdminUserExists
	}
	return user, db.Translate(err)
}

// UserChanges are the fields update-user changes; a nil field stays. Set* say that a nullable
// field is to be stored (nil then clears it). Password and ID record that the client sent those
// keys, which are refused.
type UserChanges struct {
	Name          *string
	Email         *string
	EmailVerified *bool
	SetImage      bool
	Image         *string
	Roles         []string
	Banned        *bool
	SetBanReason  bool
	BanReason     *string
	SetBanExpires bool
	BanExpires    *time.Time
	Password, ID  bool
}

func (c UserChanges) empty() bool {
	return c.Name == nil && c.Email == nil && c.EmailVerified == nil && !c.SetImage && c.Roles == nil &&
		c.Banned == nil && !c.SetBanReason && !c.SetBanExpires && !c.Password && !c.ID
}

// AdminUpdateUser changes a user's fields, in Better Auth's order of checks. Banning the user
// this way also ends their sessions.
func (s *Service) AdminUpdateUser(ctx context.Context, a *Auth, userID string, c UserChanges) (User, error) {
	if err := allow(a, baaccess.Permissions{"user": {"update"}}, ErrNotAllowedUpdateUsers); err != nil {
		return User{}, err
	}
	switch {
	case c.empty():
		return User{}, ErrNoDataToUpdate
	case c.Password:
		return User{}, ErrPasswordViaUpdateUser
	case c.ID:
		return User{}, ErrUserIDCannotBeUpdated
	}
	p := dbsqlc.BetterauthAdminUpdateUserParams{ID: userID, SetImage: c.SetImage, Image: c.Image}
	if c.Roles != nil {
		if err := allow(a, baaccess.Permissions{"user": {"set-role"}}, ErrNotAllowedChangeRole); err != nil {
			return User{}, err
		}
		role, err := joinRoles(c.Roles)
		if err != nil {
			return User{}, err
		}
		p.SetRole, p.Role = true, &role
	}
	if c.Banned != nil || c.SetBanReason || c.SetBanExpires {
		if err := allow(a, baaccess.Permissions{"user": {"ban"}}, ErrNotAllowedBanUsers); err != nil {
			return User{}, err
		}
		if c.Banned != nil && *c.Banned && userID == a.User.ID {
			return User{}, ErrCannotBanYourself
		}
		p.SetBanned, p.Banned = c.Banned != nil, c.Banned
		p.SetBanReason, p.BanReason = c.SetBanReason, c.BanReason
		p.SetBanExpires, p.BanExpires = c.SetBanExpires, c.BanExpires
	}
	if c.Email != nil || c.EmailVerified != nil {
		if err := allow(a, baaccess.Permissions{"user": {"set-email"}}, ErrNotAllowedSetEmail); err != nil {
			return User{}, err
		}
		if c.Email != nil {
			email := normalizeEmail(*c.Email)
			if !validEmail(email) {
				return User{}, ErrInvalidEmail
			}
			other, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), email)
			if err == nil && other.ID != userID {
				return User{}, ErrAdminUserExists
			} else if err != nil && !notFound(err) {
				return User{}, db.Translate(err)
			}
			p.SetEmail, p.Email = true, email
		}
		if c.EmailVerified != nil {
			p.SetEmailVerified, p.EmailVerified = true, *c.EmailVerified
		}
	}
	if c.Name != nil {
		p.SetName, p.Name = true, *c.Name
	}
	var user User
	err := s.store.InTx(ctx, func(tx db.DB) error {
		var err error
		if user, err = s.store.BetterauthAdminUpdateUser(ctx, tx, p); notFound(err) {
			return ErrUserNotFound
		} else if err != nil {
			return err
		}
		if c.Banned != nil && *c.Banned {
			err = s.endSessions(ctx, tx, userID)
		}
		return err
	})
	var conflict *db.ConflictError
	if errors.As(db.Translate(err), &conflict) {
		return User{}, ErrAdminUserExists
	}
	return user, db.Translate(err)
}

// AdminSetRole gives a user a role, or several.
func (s *Service) AdminSetRole(ctx context.Context, a *Auth, userID string, roles []string) (User, error) {
	if err := allow(a, baaccess.Permissions{"user": {"set-role"}}, ErrNotAllowedChangeRole); err != nil {
		return User{}, err
	}
	role, err := joinRoles(roles)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.BetterauthAdminSetRole(ctx, s.store.Pool(), dbsqlc.BetterauthAdminSetRoleParams{ID: userID, Role: &role})
	if notFound(err) {
		return User{}, ErrUserNotFound
	}
	return u, db.Translate(err)
}

// AdminBanUser bans a user (for expiresIn, or for good when zero) and ends their sessions.
func (s *Service) AdminBanUser(ctx context.Context, a *Auth, userID, reason string, expiresIn time.Duration) (User, error) {
	if err := allow(a, baaccess.Permissions{"user": {"ban"}}, ErrNotAllowedBanUsers); err != nil {
		return User{}, err
	}
	if _, err := s.findUser(ctx, s.store.Pool(), userID); err != nil {
		return User{}, err
	}
	if userID == a.User.ID {
		return User{}, ErrCannotBanYourself
	}
	if reason == "" {
		reason = "No reason"
	}
	var expires *time.Time
	if expiresIn > 0 {
		t := time.Now().Add(expiresIn)
		expires = &t
	}
	var user User
	err := s.store.InTx(ctx, func(tx db.DB) error {
		var err error
		if user, err = s.store.BetterauthAdminBan(ctx, tx, dbsqlc.BetterauthAdminBanParams{
			ID: userID, BanReason: &reason, BanExpires: expires}); notFound(err) {
			return ErrUserNotFound
		} else if err != nil {
			return err
		}
		return s.endSessions(ctx, tx, userID)
	})
	return user, db.Translate(err)
}

// endSessions ends a banned user's sessions and the impersonations they opened: Better Auth
// deletes only the former, which let a banned admin go on as the users they impersonate.
func (s *Service) endSessions(ctx context.Context, tx db.DB, userID string) error {
	if _, err := s.store.BetterauthSessionDeleteByUser(ctx, tx, userID); err != nil {
		return err
	}
	_, err := s.store.BetterauthAdminDeleteImpersonations(ctx, tx, userID)
	return err
}

// AdminUnbanUser lifts a user's ban.
func (s *Service) AdminUnbanUser(ctx context.Context, a *Auth, userID string) (User, error) {
	if err := allow(a, baaccess.Permissions{"user": {"ban"}}, ErrNotAllowedBanUsers); err != nil {
		return User{}, err
	}
	u, err := s.store.BetterauthAdminUnban(ctx, s.store.Pool(), userID)
	if notFound(err) {
		return User{}, ErrUserNotFound
	}
	return u, db.Translate(err)
}

// AdminListUserSessions returns a user's live sessions, each token replaced by its handle.
func (s *Service) AdminListUserSessions(ctx context.Context, a *Auth, userID string) ([]dbsqlc.BetterauthSession, error) {
	if err := allow(a, baaccess.Permissions{"session": {"list"}}, ErrNotAllowedListSessions); err != nil {
		return nil, err
	}
	rows, err := s.store.BetterauthSessionListByUser(ctx, s.store.Pool(), userID)
	if err != nil {
		return nil, db.Translate(err)
	}
	for i := range rows {
		rows[i].Token = SessionHandle(rows[i].Token)
		if a.Session.ID == rows[i].ID {
			rows[i].Token = a.Session.Token
		}
	}
	return rows, nil
}

// AdminRevokeUserSession ends the session named by tok (its token or its handle), whoever's it
// is; an unknown one changes nothing.
func (s *Service) AdminRevokeUserSession(ctx context.Context, a *Auth, tok string) error {
	if err := allow(a, baaccess.Permissions{"session": {"revoke"}}, ErrNotAllowedRevokeSessions); err != nil {
		return err
	}
	q := s.store.Pool()
	n, err := s.store.BetterauthAdminDeleteSessionByToken(ctx, q, tokenHash(tok))
	if err == nil && n == 0 && len(tok) == 32 {
		if n, err = s.store.BetterauthAdminDeleteSessionByToken(ctx, q, tok); err == nil && n == 0 {
			_, err = s.store.BetterauthAdminDeleteSessionByHandle(ctx, q, tok)
		}
	}
	return db.Translate(err)
}

// AdminRevokeUserSessions ends every session of a user.
func (s *Service) AdminRevokeUserSessions(ctx context.Context, a *Auth, userID string) error {
	if err := allow(a, baaccess.Permissions{"session": {"revoke"}}, ErrNotAllowedRevokeSessions); err != nil {
		return err
	}
	_, err := s.store.BetterauthSessionDeleteByUser(ctx, s.store.Pool(), userID)
	return db.Translate(err)
}

// AdminRemoveUser deletes a user with everything of theirs.
func (s *Service) AdminRemoveUser(ctx context.Context, a *Auth, userID string) error {
	if err := allow(a, baaccess.Permissions{"user": {"delete"}}, ErrNotAllowedDeleteUsers); err != nil {
		return err
	}
	if userID == a.User.ID {
		return ErrCannotRemoveYourself
	}
	var n int64
	err := s.store.InTx(ctx, func(tx db.DB) error {
		var err error
		if n, err = s.store.BetterauthUserDelete(ctx, tx, userID); err != nil || n == 0 {
			return err
		}
		// The impersonations a removed admin opened end with them (no foreign key does it).
		_, err = s.store.BetterauthAdminDeleteImpersonations(ctx, tx, userID)
		return err
	})
	if err == nil && n == 0 {
		return ErrUserNotFound
	}
	return db.Translate(err)
}

// AdminSetUserPassword sets a user's password, creating their credential account if need be.
func (s *Service) AdminSetUserPassword(ctx context.Context, a *Auth, userID, password string) error {
	if password == "" { // Better Auth's body schema refuses it, before any other check
		return baError(400, "VALIDATION_ERROR", "[body.newPassword] newPassword cannot be empty")
	}
	if err := allow(a, baaccess.Permissions{"user": {"set-password"}}, ErrNotAllowedSetPassword); err != nil {
		return err
	}
	if err := s.checkNewPassword(password); err != nil {
		return err
	}
	if _, err := s.findUser(ctx, s.store.Pool(), userID); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx db.DB) error {
		n, err := s.store.BetterauthCredentialSetPassword(ctx, tx, dbsqlc.BetterauthCredentialSetPasswordParams{
			UserID: userID, Password: &hash})
		if err != nil || n > 0 {
			return err
		}
		_, err = s.store.BetterauthAccountCreate(ctx, tx, dbsqlc.BetterauthAccountCreateParams{
			ID: newID(), AccountID: userID, ProviderID: "credential", UserID: userID, Password: &hash})
		if notFound(err) {
			return ErrUserNotFound
		}
		return err
	})
}

// Impersonate starts a session of another user for a's admin: it lasts ImpersonationLife and
// records the admin in impersonatedBy. Users with an admin role cannot be impersonated.
func (s *Service) Impersonate(ctx context.Context, a *Auth, userID string) (*Auth, error) {
	if err := allow(a, baaccess.Permissions{"user": {"impersonate"}}, ErrNotAllowedImpersonate); err != nil {
		return nil, err
	}
	target, err := s.findUser(ctx, s.store.Pool(), userID)
	if err != nil {
		return nil, err
	}
	role := roleOf(target)
	if role == "" {
		role = "user"
	}
	if baaccess.HasRole(role, adminRoles...) && !s.AdminHasPermission(a, baaccess.Permissions{"user": {"impersonate-admins"}}) {
		return nil, ErrCannotImpersonateAdmins
	}
	if err := s.admitUser(ctx, s.store.Pool(), &target); err != nil {
		return nil, err
	}
	info := reqctx.From(ctx)
	tok := token.Alnum(32)
	row, err := s.store.BetterauthSessionCreate(ctx, s.store.Pool(), dbsqlc.BetterauthSessionCreateParams{
		ID: newID(), Token: tokenHash(tok), UserID: target.ID, ExpiresAt: time.Now().Add(ImpersonationLife),
		IpAddress: &info.ClientIP, UserAgent: &info.UserAgent, ImpersonatedBy: &a.User.ID,
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	row.Token = tok
	return &Auth{Session: row, User: target}, nil
}

// StopImpersonating ends a's impersonation session and returns the admin's session named by
// adminToken (from the admin_session cookie; ok false when that cookie was missing or forged).
func (s *Service) StopImpersonating(ctx context.Context, a *Auth, adminToken string, ok bool) (*Auth, error) {
	if a.Session.ImpersonatedBy == nil {
		return nil, ErrNotImpersonating
	}
	adminID := *a.Session.ImpersonatedBy
	if _, err := s.store.BetterauthUserGet(ctx, s.store.Pool(), adminID); notFound(err) {
		return nil, ErrImpersonatorNotFound
	} else if err != nil {
		return nil, db.Translate(err)
	}
	if !ok || adminToken == "" {
		return nil, ErrAdminSessionNotFound
	}
	admin, _, err := s.Authenticate(ctx, adminToken, SessionOptions{NoRefresh: true})
	if errors.Is(err, ErrUnauthorized) || err == nil && admin.User.ID != adminID {
		return nil, ErrAdminSessionNotFound
	} else if err != nil {
		return nil, err
	}
	if _, err := s.store.BetterauthSessionDelete(ctx, s.store.Pool(), a.Session.ID); err != nil {
		return nil, db.Translate(err)
	}
	return admin, nil
}
