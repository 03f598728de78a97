package betterauth_test

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"testing"
	"time"

	"gatehouse/handlers/internal/webauthntest"
)

// Registration options are simplewebauthn's creation options for the session user, and the
// challenge goes in a signed cookie and a verification row that expires with it.
func TestPasskeyRegistrationOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	ann := a.signUp("ann@example.com", "correct horse", nil).User

	r := a.get(registrationPath)
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	wantChallengeCookie(t, a)
	body := r.JSON(t)
	var o registrationOptions
	r.Decode(t, &o)
	if !b64url43.MatchString(o.Challenge) || o.RP.Name != "Gatehouse" || o.RP.ID != passkeyRPID ||
		o.User.Name != "ann@example.com" || o.User.DisplayName != "ann@example.com" {
		t.Fatalf("options %s", r.Body)
	}
	handle, err := base64.RawURLEncoding.DecodeString(o.User.ID)
	if err != nil || !regexp.MustCompile(`^[a-z0-9]{32}$`).Match(handle) || o.User.ID == ann.ID {
		t.Fatalf("user.id %q: want base64url of 32 random [a-z0-9]", o.User.ID)
	}
	for key, want := range map[string]string{
		"pubKeyCredParams":       `[{"alg":-8,"type":"public-key"},{"alg":-7,"type":"public-key"},{"alg":-257,"type":"public-key"}]`,
		"timeout":                `60000`,
		"attestation":            `"none"`,
		"excludeCredentials":     `[]`,
		"authenticatorSelection": `{"requireResidentKey":false,"residentKey":"preferred","userVerification":"preferred"}`,
		"extensions":             `{"credProps":true}`,
		"hints":                  `[]`,
	} {
		if got := string(mustJSON(t, body[key])); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	if len(body) != 10 {
		t.Errorf("%d keys in %s", len(body), r.Body)
	}

	value, expires, ok := challengeRow(t, h, a)
	if !ok {
		t.Fatal("no challenge stored")
	}
	want := `{"context":null,"expectedChallenge":"` + o.Challenge + `","type":"registration","userData":{"displayName":"ann@example.com","id":"` + ann.ID + `","name":"ann@example.com"}}`
	if got := string(mustJSON(t, value)); got != want {
		t.Fatalf("challenge value %s\nwant %s", got, want)
	}
	if d := time.Until(expires); d < 290*time.Second || d > 301*time.Second {
		t.Fatalf("challenge expires in %v, want 300 s", d)
	}

	// The query's name, attachment and context; each call makes a new challenge.
	o2 := a.registrationOptions("name=Work+laptop&authenticatorAttachment=cross-platform&context=onboarding")
	if o2.User.Name != "Work laptop" || o2.User.DisplayName != "ann@example.com" || o2.Challenge == o.Challenge ||
		o2.AuthenticatorSelection["authenticatorAttachment"] != "cross-platform" {
		t.Fatalf("options with a query: %+v", o2)
	}
	if value, _, _ := challengeRow(t, h, a); value["context"] != "onboarding" {
		t.Fatalf("context not kept: %v", value)
	}

	// Registered passkeys are excluded, with their transports.
	auth := webauthntest.New()
	a.registerPasskey(auth, "")
	bare := webauthntest.New()
	bare.Transports = nil
	a.registerPasskey(bare, "")
	o3 := a.registrationOptions("")
	if len(o3.ExcludeCredentials) != 2 || o3.ExcludeCredentials[0].ID != auth.ID() || o3.ExcludeCredentials[0].Type != "public-key" ||
		string(mustJSON(t, o3.ExcludeCredentials[0].Transports)) != `["internal","hybrid"]` ||
		o3.ExcludeCredentials[1].ID != bare.ID() || string(mustJSON(t, o3.ExcludeCredentials[1].Transports)) != `[""]` {
		t.Fatalf("excludeCredentials %+v", o3.ExcludeCredentials)
	}
}

// Registering needs a session signed in within a day, and refusals store no challenge.
func TestPasskeyRegistrationOptionsNeedAFreshSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	before := dbState(t, h)
	r := newBrowser(t, h).get(registrationPath)
	wantError(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
	wantNoCookies(t, r)
	stale(h)
	before = dbState(t, h)
	r = a.get(registrationPath)
	wantError(t, r, http.StatusForbidden, "SESSION_NOT_FRESH")
	wantNoCookies(t, r)
	wantUnchanged(t, h, before)
}

// A bad query is 400 VALIDATION_ERROR that does not repeat it, and stores nothing.
func TestPasskeyRegistrationOptionsBadQuery(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	before := dbState(t, h)
	for _, q := range []string{"authenticatorAttachment=" + canary, "authenticatorAttachment=", "authenticatorAttachment=PLATFORM"} {
		r := a.get(registrationPath + "?" + q)
		wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
		if regexp.MustCompile(canary).Match(r.Body) {
			t.Fatalf("the error repeats the query: %s", r.Body)
		}
		wantNoCookies(t, r)
	}
	wantUnchanged(t, h, before)
}
