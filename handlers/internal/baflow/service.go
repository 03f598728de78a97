// Package baflow implements the flows of the Better Auth-compatible API: accounts with email and
// password or username, sessions, verification and reset mails, and sign-in through OAuth 2.0 /
// OpenID Connect providers. It keeps Better Auth 1.7's data model (package db's betterauth
// schema) and its rules, so that its clients and its data work unchanged. Flows take and return
// domain values; errors are the *apierror.Error values of errors.go.
package baflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/password"
	"gatehouse/handlers/internal/token"
)

// Config tunes the flows; zero fields take Better Auth's defaults.
type Config struct {
	// BaseURL is the server's public origin (and path prefix, if any); the API is under
	// BaseURL + "/api/auth".
	BaseURL string
	// Secret is Better Auth's secret: it signs cookies and verification JWTs.
	Secret string
	// AppName is the issuer shown in mails and, later, in TOTP apps.
	AppName string
	// ExpiresIn is a session's life (7 days); UpdateAge is how often use extends it (1 day);
	// FreshAge is how recent a sign-in must be for sensitive reads (1 day).
	ExpiresIn, UpdateAge, FreshAge time.Duration
	// MinPasswordLength and MaxPasswordLength bound new passwords (8 and 128).
	MinPasswordLength, MaxPasswordLength int
	// RequireEmailVerification refuses sign-in until the address is verified; it also sends
	// the verification mail on sign-up.
	RequireEmailVerification bool
	// AdminEmails get the "admin" role when their account is created.
	AdminEmails []string
	// TrustedOrigins are the origins, besides BaseURL's, that may call with cookies and that
	// callback URLs may point to.
	TrustedOrigins []string
	// VerificationTTL, ResetTTL and DeleteTTL are the lives of the mailed links (1 h, 1 h, 1 day).
	VerificationTTL, ResetTTL, DeleteTTL time.Duration
	// Providers are the OAuth providers by id.
	Providers map[string]*oauth.Provider
	// PasskeyRPID is the WebAuthn relying party id (default: BaseURL's host name) and
	// PasskeyOrigins the origins passkey ceremonies may run on (default: BaseURL's origin).
	PasskeyRPID    string
	PasskeyOrigins []string
	// APIKeyRateLimitOff turns the per-key rate limits off: keys are created without one and
	// none is enforced (the api-key plugin's rateLimit.enabled: false).
	APIKeyRateLimitOff bool
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.ExpiresIn, 7*24*time.Hour)
	def(&c.UpdateAge, 24*time.Hour)
	def(&c.FreshAge, 24*time.Hour)
	def(&c.VerificationTTL, time.Hour)
	def(&c.ResetTTL, time.Hour)
	def(&c.DeleteTTL, 24*time.Hour)
	if c.MinPasswordLength == 0 {
		c.MinPasswordLength = 8
	}
	if c.MaxPasswordLength == 0 {
		c.MaxPasswordLength = 128
	}
	if c.AppName == "" {
		c.AppName = "Gatehouse"
	}
	return c
}

// Service runs the flows over the database, the mail outbox and the password hasher.
type Service struct {
	store   *db.Store
	outbox  *mail.Outbox
	hasher  *password.Hasher
	ring    *keyring.Keyring
	cfg     Config
	apiURL  string // BaseURL + "/api/auth"
	origins *originSet
	admins  map[string]bool
}

// New returns the flows; it fails when the base URL or a trusted origin is malformed.
func New(store *db.Store, outbox *mail.Outbox, hasher *password.Hasher, ring *keyring.Keyring, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("baflow: base URL %q is not an absolute URL", cfg.BaseURL)
	}
	origins, err := newOriginSet(base, cfg.TrustedOrigins)
	if err != nil {
		return nil, err
	}
	admins := map[string]bool{}
	for _, e := range cfg.AdminEmails {
		if e = normalizeEmail(e); e != "" {
			admins[e] = true
		}
	}
	return &Service{store: store, outbox: outbox, hasher: hasher, ring: ring, cfg: cfg,
		apiURL: strings.TrimSuffix(cfg.BaseURL, "/") + "/api/auth", origins: origins, admins: admins}, nil
}

// APIURL is the absolute URL of the API's mount, e.g. "https://example.com/api/auth".
func (s *Service) APIURL() string { return s.apiURL }

// ResolveURL resolves ref (a path, or an absolute URL) against the base URL.
func (s *Service) ResolveURL(ref string) string {
	base, err := url.Parse(s.cfg.BaseURL)
	if err != nil {
		return ref
	}
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

// Config is the configuration in effect, defaults filled.
func (s *Service) Config() Config { return s.cfg }

// User is an account as stored.
type User = dbsqlc.BetterauthUser

// Auth is a signed-in session and its user. Session.Token holds the token itself (the row
// stores only its hash).
type Auth struct {
	Session dbsqlc.BetterauthSession
	User    User
}

// newID is Better Auth's id shape: 32 characters of [A-Za-z0-9].
func newID() string { return token.Alnum(32) }

// tokenHash is how session tokens and mailed tokens are stored.
func tokenHash(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// notFound reports whether err is the database's "no row".
func notFound(err error) bool { return errors.Is(db.Translate(err), db.ErrNotFound) }

// checkNewPassword applies the length rules to a password being set.
func (s *Service) checkNewPassword(pw string) error {
	n := len([]rune(pw))
	if n < s.cfg.MinPasswordLength {
		return ErrPasswordTooShort
	}
	if n > s.cfg.MaxPasswordLength {
		return ErrPasswordTooLong
	}
	return nil
}

// roleFor is the role a new account with email gets.
func (s *Service) roleFor(email string) string {
	if s.admins[email] {
		return "admin"
	}
	return "user"
}

// Sweep deletes expired sessions and verifications.
func (s *Service) Sweep(ctx context.Context) error {
	if _, err := s.store.BetterauthSessionDeleteExpired(ctx, s.store.Pool()); err != nil {
		return db.Translate(err)
	}
	_, err := s.store.BetterauthVerificationDeleteExpired(ctx, s.store.Pool())
	return db.Translate(err)
}
