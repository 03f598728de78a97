package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestSignOutEndsTheSessionEverywhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	tok := *b.signUp("bob@example.com", "correct horse", nil).Token
	laptop := newBrowser(t, h)
	laptop.signIn("bob@example.com", "correct horse")
	other := newBrowser(t, h)
	other.cookies = map[string]string{"better-auth.session_token": b.cookies["better-auth.session_token"]}
	resp := b.post("/sign-out", nil)
	if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), `"success":true`) {
		t.Fatalf("sign-out: %d %s", resp.Status, resp.Body)
	}
	wantJSON(t, resp, `{"success":true}`)
	for _, name := range []string{"session_token", "session_data", "dont_remember"} {
		if c := b.last["better-auth."+name]; c == nil || c.MaxAge >= 0 {
			t.Errorf("sign-out does not expire %s: %+v", name, c)
		}
	}
	wantSignedOutCookies(t, b)
	if resp.Header.Get("Location") != "" {
		t.Fatal("sign-out without a provider logout redirects")
	}
	// Another browser holding the same cookie is signed out too, and told to drop the cookie.
	if s := other.session(); s != nil {
		t.Fatal("session alive after sign-out")
	}
	if c := other.last["better-auth.session_token"]; c == nil || c.MaxAge >= 0 {
		t.Fatal("a dead session's cookie is not expired")
	}
	// Only that session ended: the row is gone, the user's other device is still signed in.
	if h.Count(`SELECT count(*) FROM betterauth.session WHERE token = $1`, hashHex(tok)) != 0 {
		t.Fatal("the session row is still there")
	}
	if laptop.session() == nil || h.Count(`SELECT count(*) FROM betterauth.session`) != 1 {
		t.Fatal("sign-out ended another session of the user")
	}
}

func TestSignOutWithoutASession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// No cookie at all: still success, still the expired cookies (the client posts {}).
	b := newBrowser(t, h)
	wantJSON(t, b.post("/sign-out", nil), `{"success":true}`)
	wantSignedOutCookies(t, b)
	// Without a body, as some clients send it.
	r := b.do(http.MethodPost, base+"/sign-out", nil)
	wantJSON(t, r, `{"success":true}`)
	// A stale cookie: success, and nothing else is touched.
	live := newBrowser(t, h)
	live.signUp("cal@example.com", "correct horse", nil)
	stale := newBrowser(t, h)
	stale.cookies = map[string]string{"better-auth.session_token": live.cookies["better-auth.session_token"]}
	live.post("/sign-out", nil)
	live.signIn("cal@example.com", "correct horse")
	wantJSON(t, stale.post("/sign-out", nil), `{"success":true}`)
	wantSignedOutCookies(t, stale)
	if live.session() == nil {
		t.Fatal("a stale cookie's sign-out ended the user's new session")
	}
	// A forged cookie signs nobody out.
	forged := newBrowser(t, h)
	forged.cookies["better-auth.session_token"] = live.token() + ".AAAA%3D"
	wantJSON(t, forged.post("/sign-out", nil), `{"success":true}`)
	if live.session() == nil {
		t.Fatal("a forged cookie's sign-out ended the session")
	}
}

func TestSignOutRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	b.signUp("dov@example.com", "correct horse", nil)
	// An untrusted post-logout callback is refused before anything happens.
	r := b.post("/sign-out", map[string]any{"callbackURL": "https://evil.example/bye"})
	wantError(t, r, http.StatusForbidden, "INVALID_CALLBACK_URL")
	wantNoCookies(t, r)
	if b.session() == nil {
		t.Fatal("a refused sign-out signed out")
	}
	// A trusted one is accepted (no provider logout here, so no redirect).
	r = b.post("/sign-out", map[string]any{"callbackURL": "/bye", "disableRedirect": true})
	wantJSON(t, r, `{"success":true}`)
	if b.session() != nil || h.Count(`SELECT count(*) FROM betterauth.session`) != 0 {
		t.Fatal("sign-out with a callbackURL did not sign out")
	}
}
