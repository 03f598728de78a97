// Package custodianflow holds the flows of the Custodian API: registration, password and
// login-token login, password and email changes, profiles, notification settings, the events
// recorded on an account and per-user rate limits. Flows take and return domain values and
// domain errors; handlers/custodian translates the wire format.
package custodianflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/password"
	"gatehouse/handlers/internal/ratelimit"
	"gatehouse/handlers/internal/reqctx"
	"gatehouse/handlers/internal/token"
)

// Errors of the Custodian flows.
var (
	// ErrInvalidCredentials: wrong email, password or login token.
	ErrInvalidCredentials = errors.New("custodianflow: invalid credentials")
	// ErrWrongOldPassword: a password change gave a wrong old password.
	ErrWrongOldPassword = errors.New("custodianflow: wrong old password")
	// ErrEmailTaken: another account has the address.
	ErrEmailTaken = errors.New("custodianflow: email taken")
	// ErrRegistrationClosed: the server takes no registrations.
	ErrRegistrationClosed = errors.New("custodianflow: registration closed")
	// ErrUnauthenticated: no valid token, or its session is gone.
	ErrUnauthenticated = errors.New("custodianflow: not signed in")
	// ErrForbidden: the user may not do this.
	ErrForbidden = errors.New("custodianflow: forbidden")
	// ErrUserNotFound: no user has the id.
	ErrUserNotFound = errors.New("custodianflow: no such user")
)

// InputError is bad input the spec cannot express; its message says which rule failed.
type InputError struct{ Message string }

// Error returns the message.
func (e *InputError) Error() string { return e.Message }

func badInput(format string, args ...any) error {
	return &InputError{Message: fmt.Sprintf(format, args...)}
}

// Config tunes the Custodian flows; zero fields take the documented defaults.
type Config struct {
	// RegistrationClosed refuses new accounts (CUSTODIAN_OPEN_REGISTRATION=false).
	RegistrationClosed bool
	// SessionTTL is the life of a session and its token (30 days).
	SessionTTL time.Duration
	// LoginTokenTTL is how long an emailed login token works (15 minutes).
	LoginTokenTTL time.Duration
	// LoginTokenAnswerTime is the least time a login-token request, and a login with a token,
	// take to answer (200ms), known address or not, so that the time does not tell whether an
	// address has an account.
	LoginTokenAnswerTime time.Duration
	// LoginURL is the page of the client app a login-token mail links to, with `email` and
	// `token` in its query (default BASE_URL/login).
	LoginURL string
	// LoginPerIP limits login and registration attempts per client IP (30 a minute).
	LoginPerIP ratelimit.Rule
	// TokenPerEmail and TokenPerIP limit login-token requests (5 per address and 30 per IP per 15 minutes).
	TokenPerEmail, TokenPerIP ratelimit.Rule
	// CredentialLimitsOff turns the three limits above off (CUSTODIAN_RATE_LIMIT=off, for load
	// tests); per-user limits set by admins still hold.
	CredentialLimitsOff bool
}

// WithDefaults fills the zero fields of c; baseURL is the server's BASE_URL.
func (c Config) WithDefaults(baseURL string) Config {
	if c.SessionTTL == 0 {
		c.SessionTTL = 30 * 24 * time.Hour
	}
	if c.LoginTokenTTL == 0 {
		c.LoginTokenTTL = 15 * time.Minute
	}
	if c.LoginTokenAnswerTime == 0 {
		c.LoginTokenAnswerTime = 200 * time.Millisecond
	}
	if c.LoginURL == "" {
		c.LoginURL = baseURL + "/login"
	}
	if c.LoginPerIP.Name == "" {
		c.LoginPerIP = ratelimit.Rule{Name: "custodian-login-ip", Limit: 30, Window: time.Minute}
	}
	if c.TokenPerEmail.Name == "" {
		c.TokenPerEmail = ratelimit.Rule{Name: "custodian-token-email", Limit: 5, Window: 15 * time.Minute}
	}
	if c.TokenPerIP.Name == "" {
		c.TokenPerIP = ratelimit.Rule{Name: "custodian-token-ip", Limit: 30, Window: 15 * time.Minute}
	}
	if c.CredentialLimitsOff {
		c.LoginPerIP.Limit, c.TokenPerEmail.Limit, c.TokenPerIP.Limit = 0, 0, 0
	}
	return c
}

// Service implements the Custodian flows.
type Service struct {
	store   *db.Store
	tokens  *token.Issuer
	ring    *keyring.Keyring
	outbox  *mail.Outbox
	limiter *ratelimit.Limiter
	hasher  *password.Hasher
	cfg     Config
}

// New returns the flows over their dependencies. tokens must be an issuer of its own (its
// `iss` differs from the other APIs'), over the shared signing keys.
func New(store *db.Store, tokens *token.Issuer, ring *keyring.Keyring, outbox *mail.Outbox,
	limiter *ratelimit.Limiter, baseURL string, cfg Config) *Service {
	return &Service{store: store, tokens: tokens, ring: ring, outbox: outbox, limiter: limiter,
		hasher: password.New(password.Argon2id), cfg: cfg.WithDefaults(baseURL)}
}

// Audience is the `aud` of Custodian tokens.
const Audience = "custodian"

// Event types.
const (
	EventAuthSuccess         = "auth/success"
	EventAuthFailure         = "auth/failure"
	EventLoginTokenRequested = "auth/login-token-requested"
	EventPasswordChanged     = "auth/password-changed"
	EventEmailChanged        = "auth/email-changed"
	EventProfileUpdated      = "profile/updated"
	EventRateLimitExceeded   = "rate-limit/exceeded"
	defaultEventPage         = 50
	maxEventPage             = 100
	userRateLimitRuleName    = "custodian-user"
	loginTokenMACPurpose     = "custodian/login-token"
	loginTokenBytes          = 32
)

// event records what happened to userID, with the request's ip and user agent, on tx.
func (f *Service) event(ctx context.Context, tx db.DB, userID int64, typ string, extra map[string]any) error {
	info := reqctx.From(ctx)
	data := map[string]any{"ip": info.ClientIP, "userAgent": info.UserAgent}
	for k, v := range extra {
		data[k] = v
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return f.store.CustodianEventInsert(ctx, tx, dbsqlc.CustodianEventInsertParams{UserID: userID, Type: typ, Data: raw})
}

// SetAdmin gives (or takes) the admin right to the account of email.
func (f *Service) SetAdmin(ctx context.Context, email string, admin bool) (dbsqlc.CustodianUser, error) {
	u, err := f.store.CustodianUserSetAdmin(ctx, f.store.Pool(), dbsqlc.CustodianUserSetAdminParams{
		Email: NormalizeEmail(email), IsAdmin: admin})
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return u, fmt.Errorf("no Custodian user with email %s", NormalizeEmail(email))
	}
	return u, db.Translate(err)
}

// Sweep deletes expired sessions and login tokens.
func (f *Service) Sweep(ctx context.Context) error {
	if _, err := f.store.CustodianSessionDeleteExpired(ctx, f.store.Pool()); err != nil {
		return db.Translate(err)
	}
	_, err := f.store.CustodianLoginTokenDeleteExpired(ctx, f.store.Pool())
	return db.Translate(err)
}
