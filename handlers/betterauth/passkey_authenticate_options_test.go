package betterauth_test

import (
	"net/http"
	"testing"
	"time"

	"gatehouse/handlers/internal/webauthntest"
)

// Signed out, the request options name no credential; signed in, they list the user's passkeys.
// GET (the 1.7 client) and POST (the 1.1.0 document) answer alike.
func TestPasskeyAuthenticationOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	anon := newBrowser(t, h)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		var r = anon.get(authenticationPath)
		if method == http.MethodPost {
			r = anon.post(authenticationPath, nil)
		}
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", method, r.Status, r.Body)
		}
		wantChallengeCookie(t, anon)
		body := r.JSON(t)
		var o authenticationOptions
		r.Decode(t, &o)
		if len(body) != 4 || o.RPID != passkeyRPID || !b64url43.MatchString(o.Challenge) || o.Timeout != 60000 ||
			o.UserVerification != "preferred" || o.AllowCredentials != nil {
			t.Fatalf("%s: options %s", method, r.Body)
		}
		value, expires, ok := challengeRow(t, h, anon)
		if !ok || string(mustJSON(t, value)) != `{"expectedChallenge":"`+o.Challenge+`","type":"authentication","userData":{"id":""}}` {
			t.Fatalf("%s: challenge %v", method, value)
		}
		if d := time.Until(expires); d < 290*time.Second || d > 301*time.Second {
			t.Fatalf("challenge expires in %v", d)
		}
	}

	// Signed in without passkeys: still no allowCredentials; with passkeys: them.
	a := newBrowser(t, h)
	ann := a.signUp("ann@example.com", "correct horse", nil).User
	if o := a.authenticationOptions(); o.AllowCredentials != nil {
		t.Fatalf("allowCredentials %+v for a user without passkeys", o.AllowCredentials)
	}
	auth := webauthntest.New()
	a.registerPasskey(auth, "")
	newBrowser(t, h).signUp("bob@example.com", "correct horse", nil)
	o := a.authenticationOptions()
	if o.AllowCredentials == nil || len(*o.AllowCredentials) != 1 || (*o.AllowCredentials)[0].ID != auth.ID() ||
		string(mustJSON(t, (*o.AllowCredentials)[0].Transports)) != `["internal","hybrid"]` {
		t.Fatalf("allowCredentials %+v", o.AllowCredentials)
	}
	if value, _, _ := challengeRow(t, h, a); value["userData"].(map[string]any)["id"] != ann.ID {
		t.Fatalf("challenge user %v", value)
	}
	r := a.post(authenticationPath, nil)
	var po authenticationOptions
	r.Decode(t, &po)
	if r.Status != http.StatusOK || po.AllowCredentials == nil || len(*po.AllowCredentials) != 1 {
		t.Fatalf("POST signed in: %d %s", r.Status, r.Body)
	}

	// The POST with cookies needs a trusted origin, as every POST.
	evil := &browser{t: t, h: h, origin: "https://evil.example", cookies: a.cookies}
	wantError(t, evil.post(authenticationPath, nil), http.StatusForbidden, "INVALID_ORIGIN")
}
