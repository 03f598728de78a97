package baflow

import (
	"context"
	"slices"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/reqctx"
	"gatehouse/handlers/internal/token"
)

// createSession starts a session for user on q. A session the user asked not to be remembered
// lives one day, as in Better Auth; others live ExpiresIn.
func (s *Service) createSession(ctx context.Context, q db.DB, user User, dontRemember bool) (*Auth, error) {
	if err := s.admitUser(ctx, q, &user); err != nil { // the admin plugin's ban, see admin.go
		return nil, err
	}
	life := s.cfg.ExpiresIn
	if dontRemember {
		life = 24 * time.Hour
	}
	info := reqctx.From(ctx)
	tok := token.Alnum(32)
	row, err := s.store.BetterauthSessionCreate(ctx, q, dbsqlc.BetterauthSessionCreateParams{
		ID: newID(), Token: tokenHash(tok), UserID: user.ID, ExpiresAt: time.Now().Add(life),
		IpAddress: &info.ClientIP, UserAgent: &info.UserAgent,
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	row.Token = tok
	return &Auth{Session: row, User: user}, nil
}

// replaceSession starts a new session for user on q and ends old, for changes to the account
// that Better Auth seals with a fresh session.
func (s *Service) replaceSession(ctx context.Context, q db.DB, user User, old dbsqlc.BetterauthSession) (*Auth, error) {
	a, err := s.createSession(ctx, q, user, false)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.BetterauthSessionDelete(ctx, q, old.ID); err != nil {
		return nil, db.Translate(err)
	}
	return a, nil
}

// SessionOptions say how Authenticate treats the session it finds.
type SessionOptions struct {
	// NoRefresh leaves the expiry alone (the client asked, or the user chose not to be
	// remembered).
	NoRefresh bool
}

// Authenticate returns the live session of tok and whether its expiry was pushed back (the
// caller then sends the cookie again). A missing or expired session is ErrUnauthorized, and an
// expired one is deleted.
func (s *Service) Authenticate(ctx context.Context, tok string, opt SessionOptions) (*Auth, bool, error) {
	if tok == "" {
		return nil, false, ErrUnauthorized
	}
	row, err := s.findSession(ctx, tok, true)
	if notFound(err) {
		return nil, false, ErrUnauthorized
	} else if err != nil {
		return nil, false, db.Translate(err)
	}
	sess, user := row.BetterauthSession, row.BetterauthUser
	now := time.Now()
	if !sess.ExpiresAt.After(now) {
		if _, err := s.store.BetterauthSessionDelete(ctx, s.store.Pool(), sess.ID); err != nil {
			return nil, false, db.Translate(err)
		}
		return nil, false, ErrUnauthorized
	}
	refreshed := false
	// An impersonation session (admin plugin) keeps its one hour.
	if !opt.NoRefresh && sess.ImpersonatedBy == nil && !sess.ExpiresAt.Add(-s.cfg.ExpiresIn).Add(s.cfg.UpdateAge).After(now) {
		sess, err = s.store.BetterauthSessionRefresh(ctx, s.store.Pool(), dbsqlc.BetterauthSessionRefreshParams{
			ID: sess.ID, ExpiresAt: now.Add(s.cfg.ExpiresIn)})
		if notFound(err) {
			return nil, false, ErrUnauthorized // signed out meanwhile
		} else if err != nil {
			return nil, false, db.Translate(err)
		}
		refreshed = true
	}
	sess.Token = tok
	return &Auth{Session: sess, User: user}, refreshed, nil
}

// findSession looks up the session of tok and its user, expired or not. A session moved over
// from Node Better Auth still holds its token in clear; with upgrade its row then gets the
// hash, after which it is found like any other.
func (s *Service) findSession(ctx context.Context, tok string, upgrade bool) (dbsqlc.BetterauthSessionGetWithUserRow, error) {
	row, err := s.store.BetterauthSessionGetWithUser(ctx, s.store.Pool(), tokenHash(tok))
	if !notFound(err) || len(tok) != 32 {
		return row, err
	}
	row, err = s.store.BetterauthSessionGetWithUser(ctx, s.store.Pool(), tok)
	if err == nil && upgrade {
		_, err = s.store.BetterauthSessionHashToken(ctx, s.store.Pool(), dbsqlc.BetterauthSessionHashTokenParams{
			Hash: tokenHash(tok), Token: tok})
	}
	return row, err
}

// RequireFresh fails with ErrSessionNotFresh when a's sign-in is older than FreshAge.
func (s *Service) RequireFresh(a *Auth) error {
	if s.cfg.FreshAge > 0 && time.Since(a.Session.CreatedAt) >= s.cfg.FreshAge {
		return ErrSessionNotFresh
	}
	return nil
}

// SignOut ends the session of tok, if there is one.
func (s *Service) SignOut(ctx context.Context, tok string) error {
	if tok == "" {
		return nil
	}
	row, err := s.findSession(ctx, tok, false)
	if notFound(err) {
		return nil
	} else if err != nil {
		return db.Translate(err)
	}
	_, err = s.store.BetterauthSessionDelete(ctx, s.store.Pool(), row.BetterauthSession.ID)
	return db.Translate(err)
}

// SessionHandle is what list-sessions shows as the token of a session other than the caller's:
// 32 characters of the token's stored hash, shaped like a token, which revoke-session accepts
// but which cannot sign anyone in. (Better Auth shows every session's bearer token; we do not.)
func SessionHandle(stored string) string {
	if len(stored) != 64 {
		stored = tokenHash(stored) // a clear token moved over from Node Better Auth
	}
	return stored[:32]
}

// ListSessions returns the live sessions of a's user, a's own with its token.
func (s *Service) ListSessions(ctx context.Context, a *Auth) ([]dbsqlc.BetterauthSession, error) {
	rows, err := s.store.BetterauthSessionListByUser(ctx, s.store.Pool(), a.User.ID)
	if err != nil {
		return nil, db.Translate(err)
	}
	// The admin plugin hides impersonation sessions from this list.
	rows = slices.DeleteFunc(rows, func(r dbsqlc.BetterauthSession) bool { return r.ImpersonatedBy != nil })
	for i := range rows {
		if rows[i].ID == a.Session.ID {
			rows[i].Token = a.Session.Token
		} else {
			rows[i].Token = SessionHandle(rows[i].Token)
		}
	}
	return rows, nil
}

// RevokeSession ends the session of a's user named by tok (its token, or its handle from
// ListSessions) and reports whether it was a's own. Naming another user's session, or none,
// changes nothing.
func (s *Service) RevokeSession(ctx context.Context, a *Auth, tok string) (bool, error) {
	del := func(stored string) (int64, error) {
		return s.store.BetterauthSessionDeleteByToken(ctx, s.store.Pool(), dbsqlc.BetterauthSessionDeleteByTokenParams{
			UserID: a.User.ID, Token: stored})
	}
	n, err := del(tokenHash(tok))
	if err == nil && n == 0 && len(tok) == 32 {
		n, err = del(tok) // a clear token moved over from Node Better Auth
	}
	if err == nil && n == 0 && len(tok) == 32 {
		_, err = s.store.BetterauthSessionDeleteByHandle(ctx, s.store.Pool(), dbsqlc.BetterauthSessionDeleteByHandleParams{
			UserID: a.User.ID, Handle: tok})
	}
	if err != nil {
		return false, db.Translate(err)
	}
	return tok == a.Session.Token || tok == SessionHandle(tokenHash(a.Session.Token)), nil
}

// RevokeSessions ends every session of a's user, a's included.
func (s *Service) RevokeSessions(ctx context.Context, a *Auth) error {
	_, err := s.store.BetterauthSessionDeleteByUser(ctx, s.store.Pool(), a.User.ID)
	return db.Translate(err)
}

// RevokeOtherSessions ends every session of a's user but a.
func (s *Service) RevokeOtherSessions(ctx context.Context, a *Auth) error {
	_, err := s.store.BetterauthSessionDeleteOthers(ctx, s.store.Pool(), dbsqlc.BetterauthSessionDeleteOthersParams{
		UserID: a.User.ID, KeepID: a.Session.ID})
	return db.Translate(err)
}
