package handlers

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"gatehouse/handlers/betterauth"
	"gatehouse/handlers/internal/authflow"
	"gatehouse/handlers/internal/custodianflow"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/password"
)

// Config is the server's behaviour, read from the environment by cmd/server.
type Config struct {
	// BaseURL is the public URL of the server; the `iss` of its tokens. Default http://ADDR.
	BaseURL string
	// APIs lists the APIs to serve by name; empty serves every API.
	APIs []string
	// Secret is the server secret every other key is derived from (at least 32 bytes).
	Secret []byte
	// BodyLimit caps request bodies, in bytes (default 1 MiB).
	BodyLimit int64
	// RequestTimeout bounds the work of one request (default 30 s).
	RequestTimeout time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// RateLimitDisabled turns every rate limit off (for load tests).
	RateLimitDisabled bool
	// SweepInterval is how often expired rows (guests, sessions, codes, counters) are deleted (default 1 h).
	SweepInterval time.Duration
	// MailTransport names the mail transport: "log" or "file:PATH".
	MailTransport string
	// MailPoll is how often the mail dispatcher looks at the outbox (default 2 s).
	MailPoll time.Duration
	// Emailcode tunes the email-code API.
	Emailcode authflow.EmailCodeConfig
	// Custodian tunes the Custodian API.
	Custodian custodianflow.Config
	// BetterAuth tunes the Better Auth-compatible API.
	BetterAuth BetterAuthConfig
}

// BetterAuthConfig is the BETTERAUTH_* settings.
type BetterAuthConfig struct {
	// Secret is Better Auth's secret (BETTERAUTH_SECRET): it signs cookies and verification
	// links exactly as Node Better Auth does. Empty derives one from SECRET.
	Secret string
	// TrustedOrigins may call with cookies and be redirected to, besides BASE_URL's origin.
	TrustedOrigins []string
	// RateLimitOff turns Better Auth's rate limits off (BETTERAUTH_RATE_LIMIT=off).
	RateLimitOff bool
	// RateRules are the limits when on (Better Auth's defaults).
	RateRules betterauth.RateRules
	// PasswordHash is the format of new password hashes (argon2id, or Better Auth's scrypt).
	PasswordHash password.Algorithm
	// AdminEmails get the admin role when their account is created.
	AdminEmails []string
	// RequireEmailVerification refuses password sign-in until the address is verified.
	RequireEmailVerification bool
	// ExpiresIn and UpdateAge are a session's life (7 days) and how often use extends it (1 day).
	ExpiresIn, UpdateAge time.Duration
	// Providers are the OAuth / OpenID Connect providers.
	Providers []oauth.Config
	// PasskeyRPID is the WebAuthn relying party id (BETTERAUTH_PASSKEY_RP_ID, default BASE_URL's
	// host name); PasskeyOrigins the origins passkeys may be used on (BETTERAUTH_PASSKEY_ORIGINS,
	// default BASE_URL's origin).
	PasskeyRPID    string
	PasskeyOrigins []string
	// APIKeyRateLimitOff turns the per-key rate limits of API keys off
	// (BETTERAUTH_API_KEY_RATE_LIMIT=off; on by default: 10 requests a day per key).
	APIKeyRateLimitOff bool
}

// WithDefaults fills the zero fields of c.
func (c Config) WithDefaults() Config {
	if c.BodyLimit == 0 {
		c.BodyLimit = 1 << 20
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = time.Hour
	}
	if c.MailPoll == 0 {
		c.MailPoll = 2 * time.Second
	}
	c.Emailcode = c.Emailcode.WithDefaults()
	if c.BetterAuth.PasswordHash == "" {
		c.BetterAuth.PasswordHash = password.Argon2id
	}
	if c.BetterAuth.RateRules == (betterauth.RateRules{}) {
		c.BetterAuth.RateRules = betterauth.DefaultRateRules
	}
	if c.BetterAuth.ExpiresIn == 0 {
		c.BetterAuth.ExpiresIn = 7 * 24 * time.Hour
	}
	if c.BetterAuth.UpdateAge == 0 {
		c.BetterAuth.UpdateAge = 24 * time.Hour
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("BASE_URL %q: want an absolute http(s) URL", c.BaseURL)
	}
	if len(c.Secret) < 32 {
		return errors.New("SECRET: want at least 32 bytes")
	}
	known := map[string]bool{}
	for _, a := range allAPIs {
		known[a.name] = true
	}
	for _, name := range c.APIs {
		if !known[name] {
			return fmt.Errorf("APIS: unknown API %q", name)
		}
	}
	if _, err := mail.NewSender(c.MailTransport, nil); err != nil {
		return err
	}
	if s := c.BetterAuth.Secret; s != "" && len(s) < 32 {
		return errors.New("BETTERAUTH_SECRET: want at least 32 characters")
	}
	if _, err := password.ParseAlgorithm(string(c.BetterAuth.PasswordHash)); err != nil {
		return fmt.Errorf("BETTERAUTH_PASSWORD_HASH: %w", err)
	}
	for _, p := range c.BetterAuth.Providers {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	for _, o := range c.BetterAuth.PasskeyOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("BETTERAUTH_PASSKEY_ORIGINS: %q is not an origin like https://app.example.com", o)
		}
	}
	if c.BodyLimit < 1024 {
		return errors.New("BODY_LIMIT: want at least 1024 bytes")
	}
	return nil
}

func (c Config) enabled(name string) bool {
	if len(c.APIs) == 0 {
		return true
	}
	for _, n := range c.APIs {
		if n == name {
			return true
		}
	}
	return false
}

// ParsePasswordHash reads BETTERAUTH_PASSWORD_HASH: argon2id (also for "") or scrypt.
func ParsePasswordHash(v string) (password.Algorithm, error) { return password.ParseAlgorithm(v) }

// OAuthProvidersFromEnv reads the OAuth providers' settings (BETTERAUTH_GOOGLE_*,
// BETTERAUTH_GITHUB_*, BETTERAUTH_OIDC_*) through lookup.
func OAuthProvidersFromEnv(lookup func(string) (string, bool)) ([]oauth.Config, error) {
	return oauth.ConfigsFromEnv(lookup)
}
