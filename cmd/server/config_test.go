package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// envOf is a getenv over the given NAME=value pairs.
func envOf(pairs ...string) func(string) string {
	m := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			panic("envOf: want NAME=value, got " + p)
		}
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestLoadSettingsDefaults(t *testing.T) {
	t.Parallel()
	s, err := loadSettings(envOf())
	if err != nil {
		t.Fatalf("loadSettings with an empty environment: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Env", s.Env, "development"},
		{"Addr", s.Addr, "127.0.0.1:8080"},
		{"BaseURL", s.App.BaseURL, "http://127.0.0.1:8080"},
		{"DataDir", s.DataDir, "./.data"},
		{"DatabaseURL", s.DatabaseURL, ""},
		{"LogLevel", s.LogLevel, "info"},
		{"MailTransport", s.App.MailTransport, "log"},
		{"BodyLimit", s.App.BodyLimit, int64(1 << 20)},
		{"RateLimitDisabled", s.App.RateLimitDisabled, false},
		{"ShutdownTimeout", s.ShutdownTimeout, 15 * time.Second},
		{"RequestTimeout", s.App.RequestTimeout, 30 * time.Second},
		{"Emailcode.CodeTTL", s.App.Emailcode.CodeTTL, 10 * time.Minute},
		{"Emailcode.SessionTTL", s.App.Emailcode.SessionTTL, 30 * 24 * time.Hour},
		{"Emailcode.GuestTTL", s.App.Emailcode.GuestTTL, 30 * 24 * time.Hour},
		{"len(APIs)", len(s.App.APIs), 0},
		{"len(TrustedProxies)", len(s.App.TrustedProxies), 0},
		{"len(Secret)", len(s.App.Secret), 0},
		{"DebugAddr", s.DebugAddr, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Fatalf("default %s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestLoadSettingsValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   []string
		check func(t *testing.T, s settings)
	}{
		{
			name: "BASE_URL defaults to http://ADDR",
			env:  []string{"ADDR=127.0.0.1:9999"},
			check: func(t *testing.T, s settings) {
				if s.App.BaseURL != "http://127.0.0.1:9999" {
					t.Fatalf("BaseURL = %q, want http://127.0.0.1:9999", s.App.BaseURL)
				}
			},
		},
		{
			name: "BASE_URL is taken without its trailing slash",
			env:  []string{"BASE_URL=https://auth.example.com/"},
			check: func(t *testing.T, s settings) {
				if s.App.BaseURL != "https://auth.example.com" {
					t.Fatalf("BaseURL = %q, want https://auth.example.com", s.App.BaseURL)
				}
			},
		},
		{
			name: "production with SECRET",
			env:  []string{"ENV=production", "SECRET=0123456789abcdef0123456789abcdef"},
			check: func(t *testing.T, s settings) {
				if s.Env != "production" || string(s.App.Secret) != "0123456789abcdef0123456789abcdef" {
					t.Fatalf("Env %q, Secret %q", s.Env, s.App.Secret)
				}
			},
		},
		{
			name: "APIS split and trimmed, empty entries dropped",
			env:  []string{"APIS= emailcode ,, emailcode ,"},
			check: func(t *testing.T, s settings) {
				if want := []string{"emailcode", "emailcode"}; !slices.Equal(s.App.APIs, want) {
					t.Fatalf("APIs = %q, want %q", s.App.APIs, want)
				}
			},
		},
		{
			name: "TRUSTED_PROXIES prefixes and single addresses",
			env:  []string{"TRUSTED_PROXIES=10.0.0.0/8, 192.168.1.7 ,::1"},
			check: func(t *testing.T, s settings) {
				want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("::1/128")}
				if !slices.Equal(s.App.TrustedProxies, want) {
					t.Fatalf("TrustedProxies = %v, want %v", s.App.TrustedProxies, want)
				}
			},
		},
		{
			name: "RATE_LIMIT=off",
			env:  []string{"RATE_LIMIT=off"},
			check: func(t *testing.T, s settings) {
				if !s.App.RateLimitDisabled {
					t.Fatalf("RateLimitDisabled = false with RATE_LIMIT=off")
				}
			},
		},
		{
			name: "RATE_LIMIT=on",
			env:  []string{"RATE_LIMIT=on"},
			check: func(t *testing.T, s settings) {
				if s.App.RateLimitDisabled {
					t.Fatalf("RateLimitDisabled = true with RATE_LIMIT=on")
				}
			},
		},
		{
			name: "Custodian settings",
			env:  []string{"CUSTODIAN_OPEN_REGISTRATION=false", "CUSTODIAN_RATE_LIMIT=off", "CUSTODIAN_SESSION_TTL=24h", "CUSTODIAN_LOGIN_TOKEN_TTL=5m", "CUSTODIAN_LOGIN_URL=https://app.example.com/login"},
			check: func(t *testing.T, s settings) {
				c := s.App.Custodian
				if !c.RegistrationClosed || !c.CredentialLimitsOff || c.SessionTTL != 24*time.Hour || c.LoginTokenTTL != 5*time.Minute || c.LoginURL != "https://app.example.com/login" {
					t.Fatalf("Custodian = %+v", c)
				}
			},
		},
		{
			name: "Custodian defaults",
			env:  nil,
			check: func(t *testing.T, s settings) {
				c := s.App.Custodian
				if c.RegistrationClosed || c.CredentialLimitsOff || c.SessionTTL != 30*24*time.Hour || c.LoginTokenTTL != 15*time.Minute {
					t.Fatalf("Custodian = %+v", c)
				}
			},
		},
		{
			name: "DEBUG_ADDR on loopback",
			env:  []string{"DEBUG_ADDR=127.0.0.1:6060"},
			check: func(t *testing.T, s settings) {
				if s.DebugAddr != "127.0.0.1:6060" {
					t.Fatalf("DebugAddr = %q, want 127.0.0.1:6060", s.DebugAddr)
				}
			},
		},
		{
			name: "every other variable",
			env: []string{"ENV=development", "ADDR=[::1]:7000", "DATABASE_URL=postgres://u@db/x", "DATA_DIR=/var/lib/gh",
				"LOG_LEVEL=debug", "MAIL_TRANSPORT=file:/tmp/mail.jsonl", "BODY_LIMIT=2048",
				"SHUTDOWN_TIMEOUT=5s", "REQUEST_TIMEOUT=1m30s", "EMAILCODE_CODE_TTL=15m",
				"EMAILCODE_SESSION_TTL=48h", "EMAILCODE_GUEST_TTL=1h"},
			check: func(t *testing.T, s settings) {
				checks := []struct {
					name      string
					got, want any
				}{
					{"Addr", s.Addr, "[::1]:7000"},
					{"BaseURL", s.App.BaseURL, "http://[::1]:7000"},
					{"DatabaseURL", s.DatabaseURL, "postgres://u@db/x"},
					{"DataDir", s.DataDir, "/var/lib/gh"},
					{"LogLevel", s.LogLevel, "debug"},
					{"MailTransport", s.App.MailTransport, "file:/tmp/mail.jsonl"},
					{"BodyLimit", s.App.BodyLimit, int64(2048)},
					{"ShutdownTimeout", s.ShutdownTimeout, 5 * time.Second},
					{"RequestTimeout", s.App.RequestTimeout, 90 * time.Second},
					{"CodeTTL", s.App.Emailcode.CodeTTL, 15 * time.Minute},
					{"SessionTTL", s.App.Emailcode.SessionTTL, 48 * time.Hour},
					{"GuestTTL", s.App.Emailcode.GuestTTL, time.Hour},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Fatalf("%s = %#v, want %#v", c.name, c.got, c.want)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := loadSettings(envOf(tt.env...))
			if err != nil {
				t.Fatalf("loadSettings(%q): %v", tt.env, err)
			}
			tt.check(t, s)
		})
	}
}

func TestLoadSettingsInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env   string // the one bad setting
		name  string // the variable the error must name
		shows string // the text the error must quote; empty: the value (none for SECRET)
	}{
		{"ENV=staging", "ENV", ""},
		{"ENV=Production", "ENV", ""},
		{"ADDR=localhost", "ADDR", ""},
		{"ADDR=127.0.0.1", "ADDR", ""},
		{"LOG_LEVEL=verbose", "LOG_LEVEL", ""},
		{"LOG_LEVEL=INFO", "LOG_LEVEL", ""},
		{"BODY_LIMIT=lots", "BODY_LIMIT", ""},
		{"BODY_LIMIT=0", "BODY_LIMIT", ""},
		{"BODY_LIMIT=-5", "BODY_LIMIT", ""},
		{"BODY_LIMIT=1.5", "BODY_LIMIT", ""},
		{"TRUSTED_PROXIES=bogus", "TRUSTED_PROXIES", ""},
		{"TRUSTED_PROXIES=10.0.0.0/8,10.0.0.0/99", "TRUSTED_PROXIES", "10.0.0.0/99"},
		{"RATE_LIMIT=maybe", "RATE_LIMIT", ""},
		{"RATE_LIMIT=true", "RATE_LIMIT", ""},
		{"CUSTODIAN_OPEN_REGISTRATION=no", "CUSTODIAN_OPEN_REGISTRATION", ""},
		{"CUSTODIAN_RATE_LIMIT=maybe", "CUSTODIAN_RATE_LIMIT", ""},
		{"CUSTODIAN_SESSION_TTL=0", "CUSTODIAN_SESSION_TTL", ""},
		{"SHUTDOWN_TIMEOUT=soon", "SHUTDOWN_TIMEOUT", ""},
		{"SHUTDOWN_TIMEOUT=0s", "SHUTDOWN_TIMEOUT", ""},
		{"REQUEST_TIMEOUT=-1s", "REQUEST_TIMEOUT", ""},
		{"REQUEST_TIMEOUT=30", "REQUEST_TIMEOUT", ""},
		{"EMAILCODE_CODE_TTL=ten minutes", "EMAILCODE_CODE_TTL", ""},
		{"EMAILCODE_SESSION_TTL=0", "EMAILCODE_SESSION_TTL", ""},
		{"EMAILCODE_GUEST_TTL=-720h", "EMAILCODE_GUEST_TTL", ""},
		{"DEBUG_ADDR=0.0.0.0:6060", "DEBUG_ADDR", ""},
		{"DEBUG_ADDR=:6060", "DEBUG_ADDR", ""},
		{"DEBUG_ADDR=localhost", "DEBUG_ADDR", ""},
		{"ENV=production", "SECRET", ""}, // SECRET is required in production
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Parallel()
			_, err := loadSettings(envOf(tt.env))
			if err == nil {
				t.Fatalf("loadSettings(%s) = nil error, want one naming %s", tt.env, tt.name)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.name) {
				t.Fatalf("loadSettings(%s) = %q, want an error that starts with %s", tt.env, msg, tt.name)
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("loadSettings(%s) = %q: want exactly one error for one bad setting", tt.env, msg)
			}
			shows := tt.shows
			if _, value, _ := strings.Cut(tt.env, "="); shows == "" && tt.name != "SECRET" {
				shows = value
			}
			if !strings.Contains(msg, shows) {
				t.Fatalf("loadSettings(%s) = %q: want it to show %q", tt.env, msg, shows)
			}
		})
	}
}

func TestLoadSettingsReportsEveryError(t *testing.T) {
	t.Parallel()
	const secretValue = "do-not-print-this-secret-value-0123456789"
	_, err := loadSettings(envOf("ENV=staging", "ADDR=nope", "LOG_LEVEL=loud", "BODY_LIMIT=x",
		"TRUSTED_PROXIES=x", "RATE_LIMIT=x", "SHUTDOWN_TIMEOUT=x", "EMAILCODE_GUEST_TTL=x", "SECRET="+secretValue))
	if err == nil {
		t.Fatalf("loadSettings with eight bad settings: nil error")
	}
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	want := []string{"ENV", "ADDR", "LOG_LEVEL", "BODY_LIMIT", "TRUSTED_PROXIES", "RATE_LIMIT", "SHUTDOWN_TIMEOUT", "EMAILCODE_GUEST_TTL"}
	if len(lines) != len(want) {
		t.Fatalf("loadSettings: %d error lines, want %d (one per bad setting):\n%s", len(lines), len(want), msg)
	}
	for _, name := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, name+" ") || strings.HasPrefix(l, name+":")
		}
		if !found {
			t.Fatalf("loadSettings: no error line names %s:\n%s", name, msg)
		}
	}
	if strings.Contains(msg, secretValue) {
		t.Fatalf("loadSettings: the error shows SECRET's value:\n%s", msg)
	}
}

func TestLoadSettingsProductionErrorsTogether(t *testing.T) {
	t.Parallel()
	_, err := loadSettings(envOf("ENV=production", "LOG_LEVEL=chatty"))
	if err == nil {
		t.Fatalf("ENV=production without SECRET and a bad LOG_LEVEL: nil error")
	}
	for _, name := range []string{"SECRET", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q does not name %s", err, name)
		}
	}
}

var hexSecret = regexp.MustCompile(`^[0-9a-f]{64}\n$`)

func TestSecretDevelopmentFile(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "not", "yet", "there")
	s, err := loadSettings(envOf("DATA_DIR=" + dataDir))
	if err != nil {
		t.Fatalf("loadSettings: %v", err)
	}
	if err := s.secret(); err != nil {
		t.Fatalf("first secret(): %v", err)
	}
	path := filepath.Join(dataDir, "secret")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("secret() made no %s: %v", path, err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %#o, want 0600", path, st.Mode().Perm())
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if !hexSecret.Match(content) {
		t.Fatalf("%s holds %q, want 64 hex digits and a newline", path, content)
	}
	if string(s.App.Secret) != strings.TrimSpace(string(content)) {
		t.Fatalf("Secret %q is not the file's %q", s.App.Secret, content)
	}

	// A second start (fresh settings) reuses the file and leaves it alone.
	s2, err := loadSettings(envOf("DATA_DIR=" + dataDir))
	if err != nil {
		t.Fatalf("loadSettings: %v", err)
	}
	if err := s2.secret(); err != nil {
		t.Fatalf("second secret(): %v", err)
	}
	if !bytes.Equal(s2.App.Secret, s.App.Secret) {
		t.Fatalf("second secret() = %q, want the first one %q", s2.App.Secret, s.App.Secret)
	}
	again, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(again, content) {
		t.Fatalf("%s changed on the second call: %q (%v), was %q", path, again, err, content)
	}
	// A second call on the same settings keeps its secret too.
	if err := s2.secret(); err != nil || !bytes.Equal(s2.App.Secret, s.App.Secret) {
		t.Fatalf("repeated secret(): %q, %v", s2.App.Secret, err)
	}
}

func TestSecretKeepsAnOperatorsFile(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	const mine = "an-operator-chosen-secret-of-40-bytes-xx"
	if err := os.WriteFile(filepath.Join(dataDir, "secret"), []byte("  "+mine+"\n\n"), 0o600); err != nil {
		t.Fatalf("write secret: %v", err)
	}
	s, err := loadSettings(envOf("DATA_DIR=" + dataDir))
	if err != nil {
		t.Fatalf("loadSettings: %v", err)
	}
	if err := s.secret(); err != nil {
		t.Fatalf("secret(): %v", err)
	}
	if string(s.App.Secret) != mine {
		t.Fatalf("Secret = %q, want the file's %q (trimmed)", s.App.Secret, mine)
	}
}

func TestSecretFromEnvironmentWritesNoFile(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	const secret = "0123456789abcdef0123456789abcdef-from-env"
	s, err := loadSettings(envOf("DATA_DIR="+dataDir, "SECRET="+secret))
	if err != nil {
		t.Fatalf("loadSettings: %v", err)
	}
	if err := s.secret(); err != nil {
		t.Fatalf("secret(): %v", err)
	}
	if string(s.App.Secret) != secret {
		t.Fatalf("Secret = %q, want SECRET's value", s.App.Secret)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("secret() with SECRET set touched DATA_DIR (stat: %v)", err)
	}
}

func TestDefaultBaseURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":8080":          "http://localhost:8080",
		"0.0.0.0:9000":   "http://localhost:9000",
		"[::]:9000":      "http://localhost:9000",
		"[::1]:9000":     "http://[::1]:9000",
	} {
		if got := defaultBaseURL(addr); got != want {
			t.Errorf("defaultBaseURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestBadSecretFileIsNotReplaced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := settings{DataDir: dir}
	if err := s.secret(); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("secret() with a damaged file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "short\n" {
		t.Fatalf("the damaged secret file was overwritten with %q", b)
	}
}

func TestServerChecksRunBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	for _, env := range [][]string{{"SECRET=short"}, {"BASE_URL=/relative"}, {"APIS=nope"}, {"MAIL_TRANSPORT=smtp:"}, {"BODY_LIMIT=10"}} {
		if _, err := loadSettings(envOf(env...)); err == nil {
			t.Errorf("%v accepted by loadSettings", env)
		}
	}
}
