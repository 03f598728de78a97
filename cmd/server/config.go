package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse/handlers"
)

// settings is the process configuration read from the environment; every variable is listed in
// the README. Secrets are never logged.
type settings struct {
	Env             string
	Addr            string
	DatabaseURL     string
	DataDir         string
	LogLevel        string
	DebugAddr       string
	ShutdownTimeout time.Duration
	App             handlers.Config
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{
		Env:         or(getenv("ENV"), "development"),
		Addr:        or(getenv("ADDR"), "127.0.0.1:8080"),
		DatabaseURL: getenv("DATABASE_URL"),
		DataDir:     or(getenv("DATA_DIR"), "./.data"),
		LogLevel:    or(getenv("LOG_LEVEL"), "info"),
		DebugAddr:   getenv("DEBUG_ADDR"),
	}
	var errs []error
	if s.Env != "development" && s.Env != "production" {
		errs = append(errs, fmt.Errorf("ENV %q: want development or production", s.Env))
	}
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		errs = append(errs, fmt.Errorf("ADDR %q: want host:port", s.Addr))
	}
	if s.DebugAddr != "" {
		if host, _, err := net.SplitHostPort(s.DebugAddr); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
			errs = append(errs, fmt.Errorf("DEBUG_ADDR %q: want a loopback host:port", s.DebugAddr))
		}
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", s.LogLevel))
	}
	s.App.MailTransport = or(getenv("MAIL_TRANSPORT"), "log")
	s.App.BaseURL = strings.TrimSuffix(or(getenv("BASE_URL"), defaultBaseURL(s.Addr)), "/")
	if v := getenv("APIS"); v != "" {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				s.App.APIs = append(s.App.APIs, name)
			}
		}
	}
	if v := getenv("SECRET"); v != "" {
		s.App.Secret = []byte(v)
	} else if s.Env == "production" {
		errs = append(errs, errors.New("SECRET is required when ENV=production (at least 32 bytes, e.g. `openssl rand -hex 32`)"))
	}
	var err error
	if s.App.BodyLimit, err = intVar(getenv, "BODY_LIMIT", 1<<20); err != nil {
		errs = append(errs, err)
	}
	if v := getenv("TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			prefix, err := parsePrefix(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
				continue
			}
			s.App.TrustedProxies = append(s.App.TrustedProxies, prefix)
		}
	}
	switch v := or(getenv("RATE_LIMIT"), "on"); v {
	case "on":
	case "off":
		s.App.RateLimitDisabled = true
	default:
		errs = append(errs, fmt.Errorf("RATE_LIMIT %q: want on or off", v))
	}
	switch v := or(getenv("CUSTODIAN_OPEN_REGISTRATION"), "true"); v {
	case "true":
	case "false":
		s.App.Custodian.RegistrationClosed = true
	default:
		errs = append(errs, fmt.Errorf("CUSTODIAN_OPEN_REGISTRATION %q: want true or false", v))
	}
	switch v := or(getenv("CUSTODIAN_RATE_LIMIT"), "on"); v {
	case "on":
	case "off":
		s.App.Custodian.CredentialLimitsOff = true
	default:
		errs = append(errs, fmt.Errorf("CUSTODIAN_RATE_LIMIT %q: want on or off", v))
	}
	s.App.Custodian.LoginURL = getenv("CUSTODIAN_LOGIN_URL")
	errs = append(errs, loadBetterAuth(getenv, &s.App.BetterAuth)...)
	durations := []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"SHUTDOWN_TIMEOUT", &s.ShutdownTimeout, 15 * time.Second},
		{"REQUEST_TIMEOUT", &s.App.RequestTimeout, 30 * time.Second},
		{"EMAILCODE_CODE_TTL", &s.App.Emailcode.CodeTTL, 10 * time.Minute},
		{"EMAILCODE_SESSION_TTL", &s.App.Emailcode.SessionTTL, 30 * 24 * time.Hour},
		{"EMAILCODE_GUEST_TTL", &s.App.Emailcode.GuestTTL, 30 * 24 * time.Hour},
		{"CUSTODIAN_SESSION_TTL", &s.App.Custodian.SessionTTL, 30 * 24 * time.Hour},
		{"CUSTODIAN_LOGIN_TOKEN_TTL", &s.App.Custodian.LoginTokenTTL, 15 * time.Minute},
		{"BETTERAUTH_SESSION_EXPIRES_IN", &s.App.BetterAuth.ExpiresIn, 7 * 24 * time.Hour},
		{"BETTERAUTH_SESSION_UPDATE_AGE", &s.App.BetterAuth.UpdateAge, 24 * time.Hour},
	}
	for _, d := range durations {
		if *d.dst, err = durationVar(getenv, d.name, d.def); err != nil {
			errs = append(errs, err)
		}
	}
	// The server's own checks (SECRET length, BASE_URL, APIS, MAIL_TRANSPORT, ...) run here too,
	// so a bad setting stops the process before it starts a database.
	check := s.App.WithDefaults()
	if len(check.Secret) == 0 {
		check.Secret = make([]byte, 32) // generated later in development
	}
	if err := check.Validate(); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// loadBetterAuth reads the BETTERAUTH_* settings.
func loadBetterAuth(getenv func(string) string, c *handlers.BetterAuthConfig) []error {
	var errs []error
	c.Secret = getenv("BETTERAUTH_SECRET")
	c.TrustedOrigins = list(getenv("BETTERAUTH_TRUSTED_ORIGINS"))
	c.AdminEmails = list(getenv("BETTERAUTH_ADMIN_EMAILS"))
	c.PasskeyRPID = getenv("BETTERAUTH_PASSKEY_RP_ID")
	c.PasskeyOrigins = list(getenv("BETTERAUTH_PASSKEY_ORIGINS"))
	switch v := or(getenv("BETTERAUTH_RATE_LIMIT"), "on"); v {
	case "on":
	case "off":
		c.RateLimitOff = true
	default:
		errs = append(errs, fmt.Errorf("BETTERAUTH_RATE_LIMIT %q: want on or off", v))
	}
	switch v := or(getenv("BETTERAUTH_API_KEY_RATE_LIMIT"), "on"); v {
	case "on":
	case "off":
		c.APIKeyRateLimitOff = true
	default:
		errs = append(errs, fmt.Errorf("BETTERAUTH_API_KEY_RATE_LIMIT %q: want on or off", v))
	}
	switch v := or(getenv("BETTERAUTH_REQUIRE_EMAIL_VERIFICATION"), "false"); v {
	case "false":
	case "true":
		c.RequireEmailVerification = true
	default:
		errs = append(errs, fmt.Errorf("BETTERAUTH_REQUIRE_EMAIL_VERIFICATION %q: want true or false", v))
	}
	alg, err := handlers.ParsePasswordHash(getenv("BETTERAUTH_PASSWORD_HASH"))
	if err != nil {
		errs = append(errs, fmt.Errorf("BETTERAUTH_PASSWORD_HASH: %w", err))
	}
	c.PasswordHash = alg
	providers, err := handlers.OAuthProvidersFromEnv(func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	})
	if err != nil {
		errs = append(errs, err)
	}
	c.Providers = providers
	return errs
}

// list splits a comma-separated setting, dropping empty items.
func list(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// defaultBaseURL is http://ADDR, with localhost for a wildcard or empty host.
func defaultBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// secret returns SECRET, or in development the one kept in DATA_DIR/secret (made on first use).
func (s *settings) secret() error {
	if len(s.App.Secret) > 0 {
		return nil
	}
	path := filepath.Join(s.DataDir, "secret")
	if b, err := os.ReadFile(path); err == nil {
		kept := strings.TrimSpace(string(b))
		if len(kept) < 32 {
			return fmt.Errorf("%s holds no valid secret (under 32 bytes): restore it, or remove it only if no data was sealed with it", path)
		}
		s.App.Secret = []byte(kept)
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("DATA_DIR: read the development secret: %w", err)
	}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return fmt.Errorf("DATA_DIR: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("DATA_DIR: keep the development secret: %w", err)
	}
	s.App.Secret = []byte(secret)
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func intVar(getenv func(string) string, name string, def int64) (int64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return def, fmt.Errorf("%s %q: want a positive integer", name, v)
	}
	return n, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s %q: want a positive duration such as 90s, 15m or 720h", name, v)
	}
	return d, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
