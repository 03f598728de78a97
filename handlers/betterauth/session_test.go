package betterauth_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/internal/bacookie"
)

var (
	id32    = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	jsDate  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	cookieV = regexp.MustCompile(`^[A-Za-z0-9]{32}\.[A-Za-z0-9%]+%3D$`)
)

func TestSignUpSetsTheSignedSessionCookie(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	res := b.signUp("Ann@Example.com", "correct horse", map[string]any{"username": "Ann_1"})
	if res.Token == nil || !id32.MatchString(*res.Token) {
		t.Fatalf("token %v", res.Token)
	}
	u := res.User
	if u.Email != "ann@example.com" || *u.Username != "ann_1" || *u.DisplayUsername != "Ann_1" || u.EmailVerified ||
		u.Role != "user" || u.Image != nil || !id32.MatchString(u.ID) || !jsDate.MatchString(u.CreatedAt) {
		t.Fatalf("user %+v", u)
	}
	c := b.last["better-auth.session_token"]
	if c == nil || !cookieV.MatchString(c.Value) || !strings.HasPrefix(c.Value, *res.Token+".") ||
		c.MaxAge != 604800 || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Fatalf("session cookie %+v", c)
	}
	got := b.session()
	if got == nil || got.Session.Token != *res.Token || got.User.ID != u.ID || got.Session.UserID != u.ID {
		t.Fatalf("get-session %+v", got)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE token = $1`, *res.Token); n != 0 {
		t.Fatal("the session token is stored in clear")
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "providerId" = 'credential' AND password LIKE '$argon2id$%'`, u.ID); n != 1 {
		t.Fatal("no argon2id credential account")
	}
}

func TestGetSessionSignedOutAndSignOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	resp := b.get("/get-session")
	if resp.Status != http.StatusOK || string(resp.Body) != "null\n" || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("Pragma") != "no-cache" || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("signed out: %d %q %v", resp.Status, resp.Body, resp.Header)
	}
	b.signUp("bob@example.com", "correct horse", nil)
	other := newBrowser(t, h)
	other.cookies = map[string]string{"better-auth.session_token": b.cookies["better-auth.session_token"]}
	resp = b.post("/sign-out", nil)
	if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), `"success":true`) {
		t.Fatalf("sign-out: %d %s", resp.Status, resp.Body)
	}
	for _, name := range []string{"session_token", "session_data", "dont_remember"} {
		if c := b.last["better-auth."+name]; c == nil || c.MaxAge >= 0 {
			t.Errorf("sign-out does not expire %s: %+v", name, c)
		}
	}
	// Another browser holding the same cookie is signed out too, and told to drop the cookie.
	if s := other.session(); s != nil {
		t.Fatal("session alive after sign-out")
	}
	if c := other.last["better-auth.session_token"]; c == nil || c.MaxAge >= 0 {
		t.Fatal("a dead session's cookie is not expired")
	}
	// POST /get-session (Better Auth's deferred refresh) answers as GET does.
	if r := other.post("/get-session", nil); r.Status != http.StatusOK || string(r.Body) != "null\n" {
		t.Fatalf("POST get-session signed out: %d %q", r.Status, r.Body)
	}
	c := newBrowser(t, h)
	c.signUp("bob2@example.com", "correct horse", nil)
	if r := c.post("/get-session", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"email":"bob2@example.com"`) {
		t.Fatalf("POST get-session: %d %s", r.Status, r.Body)
	}
	// A cookie with a bad signature reads as signed out and changes nothing.
	forged := newBrowser(t, h)
	forged.cookies["better-auth.session_token"] = strings.Repeat("a", 32) + ".AAAA%3D"
	if forged.session() != nil || len(forged.last) != 0 {
		t.Fatal("forged cookie accepted or answered with cookies")
	}
}

func TestSignInEmailAndUsername(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("cat@example.com", "correct horse", map[string]any{"username": "Cat"})
	b := newBrowser(t, h)
	resp := b.post("/sign-in/email", map[string]any{"email": "CAT@example.com", "password": "correct horse", "callbackURL": "/dash"})
	var res authResult
	resp.Decode(t, &res)
	if resp.Status != http.StatusOK || !res.Redirect || resp.Header.Get("Location") != "/dash" || res.User.Email != "cat@example.com" {
		t.Fatalf("sign-in/email: %d %s", resp.Status, resp.Body)
	}
	resp = b.post("/sign-in/username", map[string]any{"username": "CAT", "password": "correct horse", "rememberMe": false})
	resp.Decode(t, &res)
	if resp.Status != http.StatusOK || res.Redirect || res.Token == nil {
		t.Fatalf("sign-in/username: %d %s", resp.Status, resp.Body)
	}
	if c := b.last["better-auth.session_token"]; c == nil || c.MaxAge != 0 {
		t.Fatalf("rememberMe false: session cookie %+v must have no Max-Age", c)
	}
	if v, ok := bacookie.New("", false, 0).Verify(b.cookies["better-auth.dont_remember"]); ok || v != "" {
		t.Fatal("dont_remember verified under a wrong secret")
	}
	if _, ok := b.cookies["better-auth.dont_remember"]; !ok {
		t.Fatal("no dont_remember cookie")
	}
	s := b.session()
	exp, _ := time.Parse(time.RFC3339, s.Session.ExpiresAt)
	if d := time.Until(exp); d > 25*time.Hour || d < 23*time.Hour {
		t.Fatalf("a session not remembered lives a day, not %s", d)
	}
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "cat@example.com", "password": "wrong horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "nobody@example.com", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	wantError(t, newBrowser(t, h).post("/sign-in/username", map[string]any{"username": "nobody", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_USERNAME_OR_PASSWORD")
	wantError(t, newBrowser(t, h).post("/sign-in/username", map[string]any{"username": "ab", "password": "correct horse"}),
		http.StatusUnprocessableEntity, "USERNAME_TOO_SHORT")
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "bad", "password": "correct horse"}),
		http.StatusBadRequest, "INVALID_EMAIL")
}

func TestSignUpRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("dan@example.com", "correct horse", map[string]any{"username": "dan"})
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"name": "D", "email": "DAN@example.com", "password": "correct horse"}, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"},
		{map[string]any{"name": "D", "email": "d2@example.com", "password": "correct horse", "username": "Dan"}, 400, "USERNAME_IS_ALREADY_TAKEN"},
		{map[string]any{"name": "D", "email": "d3@example.com", "password": "short"}, 400, "PASSWORD_TOO_SHORT"},
		{map[string]any{"name": "D", "email": "d4@example.com", "password": strings.Repeat("x", 129)}, 400, "PASSWORD_TOO_LONG"},
		{map[string]any{"name": "D", "email": "d5@example.com", "password": "correct horse", "username": "a b"}, 400, "INVALID_USERNAME"},
		{map[string]any{"name": "D", "email": "not-an-email", "password": "correct horse"}, 400, "VALIDATION_ERROR"},
		{map[string]any{"name": "D", "email": "d6@example.com", "password": "correct horse", "role": "admin"}, 400, "VALIDATION_ERROR"},
		{map[string]any{"name": "D", "email": "d7@example.com", "password": "correct horse", "callbackURL": "https://evil.example/x"}, 403, "INVALID_CALLBACK_URL"},
	} {
		wantError(t, newBrowser(t, h).post("/sign-up/email", c.body), c.status, c.code)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth."user"`); n != 1 {
		t.Fatalf("refused sign-ups stored users: %d", n)
	}
}
