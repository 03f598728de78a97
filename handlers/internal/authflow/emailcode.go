// Package authflow holds the sign-in flows shared by the auth-flavoured APIs. Flows take and
// return domain values and domain errors; the API packages translate the wire formats.
package authflow

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/ratelimit"
	"gatehouse/handlers/internal/reqctx"
	"gatehouse/handlers/internal/token"
)

// Errors of the email-code flows.
var (
	// ErrInvalidCode: the code is wrong, expired, used, or dead after too many tries.
	ErrInvalidCode = errors.New("authflow: invalid or expired code")
	// ErrUnauthenticated: no valid token, or its session or user is gone.
	ErrUnauthenticated = errors.New("authflow: not signed in")
	// ErrUnknownUser: a dashboard sign-in for an address with no account.
	ErrUnknownUser = errors.New("authflow: no such user")
	// ErrNotAdmin: a dashboard sign-in by a user who is not an admin.
	ErrNotAdmin = errors.New("authflow: dashboard access requires the admin role")
)

// EmailCodeConfig tunes the email-code flows; zero fields take the documented defaults.
type EmailCodeConfig struct {
	CodeTTL     time.Duration // how long a code works (10 minutes)
	MaxAttempts int           // wrong tries that kill a code (5)
	SessionTTL  time.Duration // lifetime of a session and its token (30 days)
	GuestTTL    time.Duration // guests unused this long are deleted (30 days)
	PerEmail    ratelimit.Rule
	PerIP       ratelimit.Rule
}

// WithDefaults fills the zero fields of c.
func (c EmailCodeConfig) WithDefaults() EmailCodeConfig {
	if c.CodeTTL == 0 {
		c.CodeTTL = 10 * time.Minute
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 30 * 24 * time.Hour
	}
	if c.GuestTTL == 0 {
		c.GuestTTL = 30 * 24 * time.Hour
	}
	if c.PerEmail.Name == "" {
		c.PerEmail = ratelimit.Rule{Name: "emailcode-request-email", Limit: 5, Window: 10 * time.Minute}
	}
	if c.PerIP.Name == "" {
		c.PerIP = ratelimit.Rule{Name: "emailcode-request-ip", Limit: 30, Window: 10 * time.Minute}
	}
	return c
}

// EmailCode implements sign-in with an emailed one-time code, and guest accounts.
type EmailCode struct {
	store   *db.Store
	tokens  *token.Issuer
	ring    *keyring.Keyring
	outbox  *mail.Outbox
	limiter *ratelimit.Limiter
	cfg     EmailCodeConfig
}

// NewEmailCode returns the flows over their dependencies.
func NewEmailCode(store *db.Store, tokens *token.Issuer, ring *keyring.Keyring, outbox *mail.Outbox,
	limiter *ratelimit.Limiter, cfg EmailCodeConfig) *EmailCode {
	return &EmailCode{store: store, tokens: tokens, ring: ring, outbox: outbox, limiter: limiter, cfg: cfg.WithDefaults()}
}

const emailCodeAudience = "emailcode"

// User is an account of the email-code API.
type User = dbsqlc.EmailcodeUser

// NormalizeEmail is the form addresses are stored and compared in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// RequestCode sends a new code to email, replacing any earlier one, and returns when it expires.
// With dashboard set, the user must exist and be an admin, and nothing is sent otherwise.
func (f *EmailCode) RequestCode(ctx context.Context, email string, dashboard bool) (time.Time, error) {
	email = NormalizeEmail(email)
	if err := f.limiter.Check(ctx, f.cfg.PerIP, reqctx.From(ctx).ClientIP); err != nil {
		return time.Time{}, err
	}
	if err := f.limiter.Check(ctx, f.cfg.PerEmail, email); err != nil {
		return time.Time{}, err
	}
	if dashboard {
		u, err := f.store.EmailcodeUserGetByEmail(ctx, f.store.Pool(), &email)
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			return time.Time{}, ErrUnknownUser
		} else if err != nil {
			return time.Time{}, db.Translate(err)
		}
		if u.Role != "admin" {
			return time.Time{}, ErrNotAdmin
		}
	}
	code := token.Digits(6)
	expires := time.Now().Add(f.cfg.CodeTTL).Truncate(time.Second)
	err := f.store.InTx(ctx, func(tx db.DB) error {
		if err := f.store.EmailcodeCodeUpsert(ctx, tx, dbsqlc.EmailcodeCodeUpsertParams{
			Email: email, CodeHash: f.codeHash(email, code), ExpiresAt: expires,
		}); err != nil {
			return err
		}
		return f.outbox.Enqueue(ctx, tx, mail.Message{To: email, Template: "emailcode-sign-in", Data: map[string]any{
			"code": code, "email": email, "expiresInMinutes": int(f.cfg.CodeTTL.Minutes()),
		}})
	})
	if err != nil {
		return time.Time{}, err
	}
	f.outbox.Wake()
	return expires, nil
}

func (f *EmailCode) codeHash(email, code string) []byte {
	return f.ring.MAC("emailcode/code", []byte(email+"\x00"+code))
}

// VerifyCode redeems code for email and signs the user in, creating the account on first use.
// When guestToken is the token of a guest and email has no account yet, the guest becomes the
// email's account. Concurrent redemptions of one code: exactly one succeeds.
func (f *EmailCode) VerifyCode(ctx context.Context, email, code, guestToken string) (User, string, error) {
	email = NormalizeEmail(email)
	var guestID *uuid.UUID
	if guestToken != "" {
		if g, _, err := f.authenticate(ctx, guestToken); err == nil && g.IsAnonymous {
			guestID = &g.ID
		}
	}
	var (
		user    User
		session uuid.UUID
		outcome error
	)
	err := f.store.InTx(ctx, func(tx db.DB) error {
		row, err := f.store.EmailcodeCodeGetForUpdate(ctx, tx, email)
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			outcome = ErrInvalidCode
			return nil
		} else if err != nil {
			return err
		}
		if !time.Now().Before(row.ExpiresAt) || int(row.Attempts) >= f.cfg.MaxAttempts {
			outcome = ErrInvalidCode
			return f.store.EmailcodeCodeDelete(ctx, tx, email)
		}
		if !hmac.Equal(row.CodeHash, f.codeHash(email, code)) {
			outcome = ErrInvalidCode
			_, err := f.store.EmailcodeCodeRecordFailure(ctx, tx, email)
			return err // committed: the failed try counts
		}
		if err := f.store.EmailcodeCodeDelete(ctx, tx, email); err != nil {
			return err
		}
		if user, err = f.signInEmail(ctx, tx, email, guestID); err != nil {
			return err
		}
		session, err = f.createSession(ctx, tx, user.ID)
		return err
	})
	if err != nil {
		return User{}, "", err
	}
	if outcome != nil {
		return User{}, "", outcome
	}
	tok, err := f.sign(user.ID, session)
	return user, tok, err
}

// signInEmail finds, claims or creates the account of email.
func (f *EmailCode) signInEmail(ctx context.Context, tx db.DB, email string, guestID *uuid.UUID) (User, error) {
	u, err := f.store.EmailcodeUserGetByEmail(ctx, tx, &email)
	if err == nil {
		return f.store.EmailcodeUserMarkSignIn(ctx, tx, u.ID)
	}
	if !errors.Is(db.Translate(err), db.ErrNotFound) {
		return User{}, err
	}
	if guestID != nil {
		u, err := f.store.EmailcodeUserClaim(ctx, tx, dbsqlc.EmailcodeUserClaimParams{ID: *guestID, Email: &email})
		if err == nil {
			return u, nil
		}
		if !errors.Is(db.Translate(err), db.ErrNotFound) {
			return User{}, err
		}
		// The guest was claimed or deleted meanwhile: sign up a new account instead.
	}
	return f.store.EmailcodeUserCreate(ctx, tx, dbsqlc.EmailcodeUserCreateParams{ID: uuid.New(), Email: &email})
}

// SignInAnonymously creates a guest account and signs it in.
func (f *EmailCode) SignInAnonymously(ctx context.Context) (User, string, error) {
	var (
		user    User
		session uuid.UUID
	)
	err := f.store.InTx(ctx, func(tx db.DB) error {
		var err error
		user, err = f.store.EmailcodeUserCreate(ctx, tx, dbsqlc.EmailcodeUserCreateParams{ID: uuid.New(), IsAnonymous: true})
		if err != nil {
			return err
		}
		session, err = f.createSession(ctx, tx, user.ID)
		return err
	})
	if err != nil {
		return User{}, "", err
	}
	tok, err := f.sign(user.ID, session)
	return user, tok, err
}

func (f *EmailCode) createSession(ctx context.Context, tx db.DB, userID uuid.UUID) (uuid.UUID, error) {
	info := reqctx.From(ctx)
	id := uuid.New()
	return id, f.store.EmailcodeSessionCreate(ctx, tx, dbsqlc.EmailcodeSessionCreateParams{
		ID: id, UserID: userID, ExpiresAt: time.Now().Add(f.cfg.SessionTTL),
		Ip: info.ClientIP, UserAgent: info.UserAgent,
	})
}

func (f *EmailCode) sign(userID, session uuid.UUID) (string, error) {
	return f.tokens.Sign(token.Claims{
		Subject: userID.String(), SessionID: session, Audience: emailCodeAudience,
		ExpiresAt: time.Now().Add(f.cfg.SessionTTL),
	})
}

// CurrentUser returns the user whose live session the token names.
func (f *EmailCode) CurrentUser(ctx context.Context, raw string) (User, error) {
	u, _, err := f.authenticate(ctx, raw)
	return u, err
}

func (f *EmailCode) authenticate(ctx context.Context, raw string) (User, uuid.UUID, error) {
	if raw == "" {
		return User{}, uuid.Nil, ErrUnauthenticated
	}
	claims, err := f.tokens.Verify(ctx, raw, emailCodeAudience)
	if errors.Is(err, token.ErrInvalid) {
		return User{}, uuid.Nil, ErrUnauthenticated
	} else if err != nil {
		return User{}, uuid.Nil, err
	}
	row, err := f.store.EmailcodeSessionGetUser(ctx, f.store.Pool(), claims.SessionID)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return User{}, uuid.Nil, ErrUnauthenticated
	} else if err != nil {
		return User{}, uuid.Nil, db.Translate(err)
	}
	u := row.EmailcodeUser
	if u.ID.String() != claims.Subject {
		return User{}, uuid.Nil, ErrUnauthenticated
	}
	if time.Since(u.LastSeenAt) > time.Hour {
		if err := f.store.EmailcodeSessionTouchUser(ctx, f.store.Pool(), u.ID); err != nil {
			return User{}, uuid.Nil, db.Translate(err)
		}
	}
	return u, claims.SessionID, nil
}

// SignOut ends the session the token names.
func (f *EmailCode) SignOut(ctx context.Context, raw string) error {
	_, session, err := f.authenticate(ctx, raw)
	if err != nil {
		return err
	}
	n, err := f.store.EmailcodeSessionDelete(ctx, f.store.Pool(), session)
	if err != nil {
		return db.Translate(err)
	}
	if n == 0 {
		return ErrUnauthenticated
	}
	return nil
}

// DeleteAccount deletes the token's user, their sessions and any pending code.
func (f *EmailCode) DeleteAccount(ctx context.Context, raw string) error {
	u, _, err := f.authenticate(ctx, raw)
	if err != nil {
		return err
	}
	return f.store.InTx(ctx, func(tx db.DB) error {
		email, err := f.store.EmailcodeUserDelete(ctx, tx, u.ID)
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			return ErrUnauthenticated
		} else if err != nil {
			return err
		}
		if email != nil {
			return f.store.EmailcodeCodeDelete(ctx, tx, *email)
		}
		return nil
	})
}

// SetRole gives the account of email the role ("user" or "admin").
func (f *EmailCode) SetRole(ctx context.Context, email, role string) (User, error) {
	if role != "user" && role != "admin" {
		return User{}, fmt.Errorf("unknown role %q (want user or admin)", role)
	}
	email = NormalizeEmail(email)
	u, err := f.store.EmailcodeUserSetRole(ctx, f.store.Pool(), dbsqlc.EmailcodeUserSetRoleParams{Email: &email, Role: role})
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return User{}, fmt.Errorf("no user with email %s", email)
	}
	return u, db.Translate(err)
}

// Sweep deletes guests unused for GuestTTL, expired sessions and expired codes.
func (f *EmailCode) Sweep(ctx context.Context) (guests int64, err error) {
	guests, err = f.store.EmailcodeUserDeleteStaleGuests(ctx, f.store.Pool(), time.Now().Add(-f.cfg.GuestTTL))
	if err != nil {
		return 0, db.Translate(err)
	}
	if _, err := f.store.EmailcodeSessionDeleteExpired(ctx, f.store.Pool()); err != nil {
		return guests, db.Translate(err)
	}
	_, err = f.store.EmailcodeCodeDeleteExpired(ctx, f.store.Pool())
	return guests, db.Translate(err)
}
