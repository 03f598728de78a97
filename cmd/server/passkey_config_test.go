package main

import (
	"slices"
	"strings"
	"testing"
)

// BETTERAUTH_PASSKEY_RP_ID and BETTERAUTH_PASSKEY_ORIGINS reach the Better Auth config; both are
// empty by default (the server then derives them from BASE_URL), and a malformed origin stops
// the start.
func TestLoadSettingsPasskey(t *testing.T) {
	t.Parallel()
	s, err := loadSettings(envOf())
	if err != nil || s.App.BetterAuth.PasskeyRPID != "" || s.App.BetterAuth.PasskeyOrigins != nil {
		t.Fatalf("defaults: %q %v (%v)", s.App.BetterAuth.PasskeyRPID, s.App.BetterAuth.PasskeyOrigins, err)
	}
	s, err = loadSettings(envOf("BETTERAUTH_PASSKEY_RP_ID=example.com",
		"BETTERAUTH_PASSKEY_ORIGINS=https://app.example.com, https://admin.example.com:8443,"))
	if err != nil {
		t.Fatal(err)
	}
	if s.App.BetterAuth.PasskeyRPID != "example.com" ||
		!slices.Equal(s.App.BetterAuth.PasskeyOrigins, []string{"https://app.example.com", "https://admin.example.com:8443"}) {
		t.Fatalf("read %q %v", s.App.BetterAuth.PasskeyRPID, s.App.BetterAuth.PasskeyOrigins)
	}
	for _, bad := range []string{"app.example.com", "ftp://app.example.com", "https://app.example.com/login", "https://"} {
		_, err := loadSettings(envOf("BETTERAUTH_PASSKEY_ORIGINS=" + bad))
		if err == nil || !strings.Contains(err.Error(), "BETTERAUTH_PASSKEY_ORIGINS") {
			t.Errorf("%q: %v, want a BETTERAUTH_PASSKEY_ORIGINS error", bad, err)
		}
	}
}
