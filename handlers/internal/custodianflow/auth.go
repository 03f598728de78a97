package custodianflow

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/ratelimit"
	"gatehouse/handlers/internal/reqctx"
	"gatehouse/handlers/internal/token"
)

// User is a Custodian account.
type User = dbsqlc.CustodianUser

// Principal is the user a request's token names, and its session.
type Principal struct {
	UserID        int64
	Email         string
	IsAdmin       bool
	SessionID     uuid.UUID
	ViaLoginToken bool
}

// NormalizeEmail is the form addresses are stored and compared in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CheckPassword enforces the password rule: at least 8 characters, and characters of at least
// 2 of the 4 classes lower case, upper case, digits and symbols. field names the field in the
// message.
func CheckPassword(field, pw string) error {
	if len([]rune(pw)) < 8 {
		return badInput("%s must be at least 8 characters long", field)
	}
	var lower, upper, digit, symbol int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			symbol = 1
		}
	}
	if lower+upper+digit+symbol < 2 {
		return badInput("%s must mix at least 2 of: lower case letters, upper case letters, digits, symbols", field)
	}
	return nil
}

// Register creates an account; it does not log in.
func (f *Service) Register(ctx context.Context, email, pw string) (User, error) {
	if f.cfg.RegistrationClosed {
		return User{}, ErrRegistrationClosed
	}
	if err := CheckPassword("password", pw); err != nil {
		return User{}, err
	}
	if err := f.limiter.Check(ctx, f.cfg.LoginPerIP, reqctx.From(ctx).ClientIP); err != nil {
		return User{}, err
	}
	hash, err := f.hasher.Hash(pw)
	if err != nil {
		return User{}, err
	}
	u, err := f.store.CustodianUserCreate(ctx, f.store.Pool(), dbsqlc.CustodianUserCreateParams{
		Email: NormalizeEmail(email), PasswordHash: hash})
	if db.IsConflict(db.Translate(err), "") {
		return User{}, ErrEmailTaken
	}
	return u, db.Translate(err)
}

// Login checks email with exactly one of password or loginToken and returns a new session's JWT.
// Unknown addresses cost the same password hashing (or token lookup) as known ones.
func (f *Service) Login(ctx context.Context, email string, pw, loginToken *string) (string, error) {
	switch {
	case pw == nil && loginToken == nil:
		return "", badInput("Missing password or token")
	case pw != nil && loginToken != nil:
		return "", badInput("Give either password or token, not both")
	}
	if err := f.limiter.Check(ctx, f.cfg.LoginPerIP, reqctx.From(ctx).ClientIP); err != nil {
		return "", err
	}
	email = NormalizeEmail(email)
	if pw != nil {
		return f.loginPassword(ctx, email, *pw)
	}
	return f.loginToken(ctx, email, *loginToken)
}

func (f *Service) loginPassword(ctx context.Context, email, pw string) (string, error) {
	u, err := f.store.CustodianUserGetByEmail(ctx, f.store.Pool(), email)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		f.hasher.Burn(pw)
		return "", ErrInvalidCredentials
	} else if err != nil {
		return "", db.Translate(err)
	}
	ok, rehash, err := f.hasher.Verify(u.PasswordHash, pw)
	if err != nil {
		return "", err
	}
	if !ok {
		if err := f.event(ctx, f.store.Pool(), u.ID, EventAuthFailure, map[string]any{"method": "password"}); err != nil {
			return "", db.Translate(err)
		}
		return "", ErrInvalidCredentials
	}
	var session uuid.UUID
	err = f.store.InTx(ctx, func(tx db.DB) error {
		if rehash {
			hash, err := f.hasher.Hash(pw)
			if err != nil {
				return err
			}
			if err := f.store.CustodianUserSetPassword(ctx, tx, dbsqlc.CustodianUserSetPasswordParams{ID: u.ID, PasswordHash: hash}); err != nil {
				return err
			}
		}
		if session, err = f.createSession(ctx, tx, u.ID, false); err != nil {
			return err
		}
		return f.event(ctx, tx, u.ID, EventAuthSuccess, map[string]any{"method": "password"})
	})
	if err != nil {
		return "", err
	}
	return f.sign(u.ID, session)
}

func (f *Service) loginTokenHash(raw string) []byte {
	return f.ring.MAC(loginTokenMACPurpose, []byte(raw))
}

func (f *Service) loginToken(ctx context.Context, email, raw string) (string, error) {
	// A wrong token costs a failure event for a known address only: that must not show.
	defer f.answerNoSooner(ctx, time.Now().Add(f.cfg.LoginTokenAnswerTime))
	var (
		session uuid.UUID
		userID  int64
		outcome error
	)
	err := f.store.InTx(ctx, func(tx db.DB) error {
		var err error
		userID, err = f.store.CustodianLoginTokenRedeem(ctx, tx, dbsqlc.CustodianLoginTokenRedeemParams{
			TokenHash: f.loginTokenHash(raw), Email: email})
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			outcome = ErrInvalidCredentials
			return nil
		} else if err != nil {
			return err
		}
		if session, err = f.createSession(ctx, tx, userID, true); err != nil {
			return err
		}
		return f.event(ctx, tx, userID, EventAuthSuccess, map[string]any{"method": "token"})
	})
	if err != nil {
		return "", err
	}
	if outcome != nil {
		u, err := f.store.CustodianUserGetByEmail(ctx, f.store.Pool(), email)
		if err == nil {
			err = f.event(ctx, f.store.Pool(), u.ID, EventAuthFailure, map[string]any{"method": "token"})
		}
		if err != nil && !errors.Is(db.Translate(err), db.ErrNotFound) {
			return "", db.Translate(err)
		}
		return "", outcome
	}
	return f.sign(userID, session)
}

// RequestLoginToken mails a single-use login token to email when it has an account, replacing
// any token mailed before; the answer is the same when it has none, and comes no sooner than
// LoginTokenAnswerTime after the request either way (the mail's transaction takes longer than
// the lookup of an unknown address).
func (f *Service) RequestLoginToken(ctx context.Context, email string) error {
	email = NormalizeEmail(email)
	if err := f.limiter.Check(ctx, f.cfg.TokenPerIP, reqctx.From(ctx).ClientIP); err != nil {
		return err
	}
	if err := f.limiter.Check(ctx, f.cfg.TokenPerEmail, email); err != nil {
		return err
	}
	defer f.answerNoSooner(ctx, time.Now().Add(f.cfg.LoginTokenAnswerTime))
	u, err := f.store.CustodianUserGetByEmail(ctx, f.store.Pool(), email)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return nil
	} else if err != nil {
		return db.Translate(err)
	}
	raw := token.Opaque(loginTokenBytes)
	link := loginLink(f.cfg.LoginURL, email, raw)
	err = f.store.InTx(ctx, func(tx db.DB) error {
		// Under the account lock (taken by email changes too), the address must still be the
		// account's: else the token would go to an address the account just left.
		if err := f.store.CustodianUserLock(ctx, tx, u.ID); err != nil {
			return err
		}
		if now, err := f.store.CustodianUserGetByEmail(ctx, tx, email); errors.Is(db.Translate(err), db.ErrNotFound) || (err == nil && now.ID != u.ID) {
			return nil
		} else if err != nil {
			return err
		}
		// Only the newest token works: older mails lying in a mailbox are worth nothing.
		if _, err := f.store.CustodianLoginTokenDeleteForUser(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := f.store.CustodianLoginTokenCreate(ctx, tx, dbsqlc.CustodianLoginTokenCreateParams{
			TokenHash: f.loginTokenHash(raw), UserID: u.ID, ExpiresAt: time.Now().Add(f.cfg.LoginTokenTTL)}); err != nil {
			return err
		}
		if err := f.event(ctx, tx, u.ID, EventLoginTokenRequested, nil); err != nil {
			return err
		}
		return f.outbox.Enqueue(ctx, tx, mail.Message{To: email, Template: "custodian-login-token", Data: map[string]any{
			"token": raw, "url": link, "email": email, "expiresInMinutes": int(f.cfg.LoginTokenTTL.Minutes()),
		}})
	})
	if err != nil {
		return err
	}
	f.outbox.Wake()
	return nil
}

func (f *Service) createSession(ctx context.Context, tx db.DB, userID int64, viaToken bool) (uuid.UUID, error) {
	info := reqctx.From(ctx)
	id := uuid.New()
	return id, f.store.CustodianSessionCreate(ctx, tx, dbsqlc.CustodianSessionCreateParams{
		ID: id, UserID: userID, ViaLoginToken: viaToken, ExpiresAt: time.Now().Add(f.cfg.SessionTTL),
		Ip: info.ClientIP, UserAgent: info.UserAgent,
	})
}

func (f *Service) sign(userID int64, session uuid.UUID) (string, error) {
	return f.tokens.Sign(token.Claims{
		Subject: strconv.FormatInt(userID, 10), SessionID: session, Audience: Audience,
		ExpiresAt: time.Now().Add(f.cfg.SessionTTL),
	})
}

// Authenticate returns the principal of the request's bearer token, and counts the request
// against the user's rate limit when they have one (a *ratelimit.LimitedError when over it).
// The session lookup reads the limit too, so users without one cost no further query.
func (f *Service) Authenticate(ctx context.Context) (Principal, error) {
	raw := reqctx.From(ctx).Bearer
	if raw == "" {
		return Principal{}, ErrUnauthenticated
	}
	claims, err := f.tokens.Verify(ctx, raw, Audience)
	if errors.Is(err, token.ErrInvalid) {
		return Principal{}, ErrUnauthenticated
	} else if err != nil {
		return Principal{}, err
	}
	row, err := f.store.CustodianSessionGetUser(ctx, f.store.Pool(), claims.SessionID)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	} else if err != nil {
		return Principal{}, db.Translate(err)
	}
	if strconv.FormatInt(row.ID, 10) != claims.Subject {
		return Principal{}, ErrUnauthenticated
	}
	if row.RateWindowSeconds != nil && row.RateRequestsPerWindow != nil {
		if err := f.meter(ctx, row.ID, int(*row.RateWindowSeconds), int(*row.RateRequestsPerWindow)); err != nil {
			return Principal{}, err
		}
	}
	return Principal{UserID: row.ID, Email: row.Email, IsAdmin: row.IsAdmin, SessionID: claims.SessionID,
		ViaLoginToken: row.ViaLoginToken}, nil
}

type principalKey struct{}

type authOutcome struct {
	p   Principal
	err error
}

// Resolve authenticates the request's bearer token, if it has one, once for the whole request:
// it counts the request against the user's rate limit and returns ctx carrying the principal
// for Principal. It fails only when the request must stop here (over the limit, or the
// database failed); a bad token is left for the operation to refuse, since the operations
// that need no token ignore it.
func (f *Service) Resolve(ctx context.Context) (context.Context, error) {
	if reqctx.From(ctx).Bearer == "" {
		return ctx, nil
	}
	p, err := f.Authenticate(ctx)
	if err != nil && !errors.Is(err, ErrUnauthenticated) {
		return ctx, err
	}
	return context.WithValue(ctx, principalKey{}, authOutcome{p: p, err: err}), nil
}

// Principal returns the principal Resolve found for the request, or authenticates now when
// Resolve did not run.
func (f *Service) Principal(ctx context.Context) (Principal, error) {
	if o, ok := ctx.Value(principalKey{}).(authOutcome); ok {
		return o.p, o.err
	}
	return f.Authenticate(ctx)
}

// meter counts one request of the user in the shared fixed-window counters (core.rate_limits,
// common to every instance). The first refused request of a window is recorded as an event;
// later ones are not, so that a client hammering the API cannot flood the event log.
// The hit and the event are one transaction: a refusal whose event failed is not counted, so
// the next request is the first refused one again and records it.
func (f *Service) meter(ctx context.Context, userID int64, window, limit int) error {
	var row dbsqlc.RateLimitHitRow
	err := f.store.InTx(ctx, func(tx db.DB) error {
		var err error
		row, err = f.store.RateLimitHit(ctx, tx, dbsqlc.RateLimitHitParams{
			Key: userRateLimitRuleName + ":" + strconv.FormatInt(userID, 10), WindowSeconds: float64(window)})
		if err != nil || int(row.Hits) != limit+1 {
			return err
		}
		return f.event(ctx, tx, userID, EventRateLimitExceeded, map[string]any{
			"window_seconds": window, "requests_per_window": limit})
	})
	if err != nil {
		return db.Translate(err)
	}
	if int(row.Hits) <= limit {
		return nil
	}
	wait := time.Until(row.WindowEnd)
	if wait < time.Second {
		wait = time.Second
	}
	return &ratelimit.LimitedError{Rule: userRateLimitRuleName, RetryAfter: wait}
}

// ChangePassword sets a new password. oldPassword is required unless the session began with a
// login token, and checked when given. Every other session ends; pending login tokens die; the
// current session no longer counts as a login-token session.
func (f *Service) ChangePassword(ctx context.Context, p Principal, oldPassword *string, newPassword string) error {
	if oldPassword == nil && !p.ViaLoginToken {
		return badInput("Missing old_password: required unless you logged in with a login token")
	}
	if err := CheckPassword("new_password", newPassword); err != nil {
		return err
	}
	if oldPassword != nil {
		// Like a login: else a stolen token would guess the password (reused elsewhere, maybe)
		// as fast as the server hashes.
		if err := f.limiter.Check(ctx, f.cfg.LoginPerIP, reqctx.From(ctx).ClientIP); err != nil {
			return err
		}
		u, err := f.store.CustodianUserGet(ctx, f.store.Pool(), p.UserID)
		if err != nil {
			return db.Translate(err)
		}
		ok, _, err := f.hasher.Verify(u.PasswordHash, *oldPassword)
		if err != nil {
			return err
		}
		if !ok {
			if err := f.event(ctx, f.store.Pool(), p.UserID, EventAuthFailure, map[string]any{"method": "old_password"}); err != nil {
				return db.Translate(err)
			}
			return ErrWrongOldPassword
		}
	}
	hash, err := f.hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	return f.store.InTx(ctx, func(tx db.DB) error {
		if err := f.lockLiveSession(ctx, tx, p); err != nil {
			return err
		}
		if err := f.store.CustodianUserSetPassword(ctx, tx, dbsqlc.CustodianUserSetPasswordParams{ID: p.UserID, PasswordHash: hash}); err != nil {
			return err
		}
		if _, err := f.store.CustodianSessionDeleteOthers(ctx, tx, dbsqlc.CustodianSessionDeleteOthersParams{UserID: p.UserID, Keep: p.SessionID}); err != nil {
			return err
		}
		if err := f.store.CustodianSessionClearLoginToken(ctx, tx, p.SessionID); err != nil {
			return err
		}
		if _, err := f.store.CustodianLoginTokenDeleteForUser(ctx, tx, p.UserID); err != nil {
			return err
		}
		return f.event(ctx, tx, p.UserID, EventPasswordChanged, nil)
	})
}

// ChangeEmail moves the account to email, ends every session of the user (the caller's too),
// cancels pending login tokens, and tells the old address.
func (f *Service) ChangeEmail(ctx context.Context, p Principal, email string) (User, error) {
	email = NormalizeEmail(email)
	if email == p.Email {
		return User{}, badInput("email is already the account's address")
	}
	var u User
	err := f.store.InTx(ctx, func(tx db.DB) error {
		if err := f.lockLiveSession(ctx, tx, p); err != nil {
			return err
		}
		old, err := f.store.CustodianUserSetEmail(ctx, tx, dbsqlc.CustodianUserSetEmailParams{ID: p.UserID, Email: email})
		if db.IsConflict(db.Translate(err), "") {
			return ErrEmailTaken
		} else if err != nil {
			return err
		}
		if _, err := f.store.CustodianSessionDeleteAll(ctx, tx, p.UserID); err != nil {
			return err
		}
		if _, err := f.store.CustodianLoginTokenDeleteForUser(ctx, tx, p.UserID); err != nil {
			return err
		}
		if err := f.event(ctx, tx, p.UserID, EventEmailChanged, map[string]any{"old_email": old, "new_email": email}); err != nil {
			return err
		}
		if u, err = f.store.CustodianUserGet(ctx, tx, p.UserID); err != nil {
			return err
		}
		return f.outbox.Enqueue(ctx, tx, mail.Message{To: old, Template: "custodian-email-changed", Data: map[string]any{
			"oldEmail": old, "newEmail": email,
		}})
	})
	if err != nil {
		return User{}, err
	}
	f.outbox.Wake()
	return u, nil
}

// lockLiveSession locks p's account for the rest of tx and checks that p's session is still
// live: a session revoked while its request was in flight (by a password change from another
// session, say) changes nothing. The account lock comes first, so two changes of one account
// run one after the other, and the second sees the sessions the first ended.
func (f *Service) lockLiveSession(ctx context.Context, tx db.DB, p Principal) error {
	if err := f.store.CustodianUserLock(ctx, tx, p.UserID); err != nil {
		return err
	}
	// A statement of its own, so that it reads what committed while it waited for the lock.
	_, err := f.store.CustodianSessionGetUser(ctx, tx, p.SessionID)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return ErrUnauthenticated
	}
	return err
}

// answerNoSooner waits until at (or until ctx ends), for answers whose time must not tell
// whether an address has an account.
func (f *Service) answerNoSooner(ctx context.Context, at time.Time) {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// loginLink adds email and token to the query of the client app's login page, keeping the
// query the page's address may already have.
func loginLink(page, email, raw string) string {
	u, err := url.Parse(page)
	if err != nil {
		return page + "?" + url.Values{"email": {email}, "token": {raw}}.Encode()
	}
	q := u.Query()
	q.Set("email", email)
	q.Set("token", raw)
	u.RawQuery = q.Encode()
	return u.String()
}
