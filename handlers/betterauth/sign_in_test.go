package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/internal/bacookie"
)

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
	if res.URL == nil || *res.URL != "/dash" || res.Token == nil {
		t.Fatalf("sign-in/email with callbackURL: url %v token %v", res.URL, res.Token)
	}
	wantSessionCookie(t, b, *res.Token, 604800)
	resp = b.post("/sign-in/username", map[string]any{"username": "CAT", "password": "correct horse", "rememberMe": false})
	res = authResult{}
	resp.Decode(t, &res)
	if resp.Status != http.StatusOK || res.Redirect || res.Token == nil {
		t.Fatalf("sign-in/username: %d %s", resp.Status, resp.Body)
	}
	if res.URL != nil || resp.Header.Get("Location") != "" || *res.User.Username != "cat" {
		t.Fatalf("sign-in/username without callbackURL: %s %v", resp.Body, resp.Header)
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
	// Signing in again with rememberMe expires the dont_remember cookie.
	b.post("/sign-in/email", map[string]any{"email": "cat@example.com", "password": "correct horse"})
	if c := b.last["better-auth.dont_remember"]; c == nil || c.MaxAge >= 0 {
		t.Fatalf("remembered sign-in after a forgotten one: dont_remember %+v not expired", c)
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

func TestSignInEmailCreatesASessionPerSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := newBrowser(t, h).signUp("dot@example.com", "correct horse", nil).User.ID
	b := newBrowser(t, h)
	resp := b.post("/sign-in/email", map[string]any{"email": "dot@example.com", "password": "correct horse"})
	var res authResult
	resp.Decode(t, &res)
	if resp.Status != http.StatusOK || res.Redirect || res.URL != nil || res.Token == nil || !id32.MatchString(*res.Token) ||
		res.User.ID != id || resp.Header.Get("Location") != "" {
		t.Fatalf("sign-in: %d %s", resp.Status, resp.Body)
	}
	if !strings.Contains(string(resp.Body), `"redirect":false`) {
		t.Fatalf("redirect must be sent as false: %s", resp.Body)
	}
	wantSessionCookie(t, b, *res.Token, 604800)
	if b.token() != *res.Token || b.session().Session.Token != *res.Token {
		t.Fatal("the cookie's session is not the answer's")
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, id); n != 2 {
		t.Fatalf("%d sessions, want the sign-up's and the sign-in's", n)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE token = $1`, hashHex(*res.Token)); n != 1 {
		t.Fatal("the new session is not stored under its token's hash")
	}
}

func TestSignInRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("eve@example.com", "correct horse", map[string]any{"username": "eve"})
	social := newBrowser(t, h).signUp("sol@example.com", "correct horse", map[string]any{"username": "sol"}).User.ID
	// An account without a password (signed up through a provider) cannot sign in with one.
	h.Exec(`DELETE FROM betterauth.account WHERE "userId" = $1`, social)
	before := dbState(t, h)
	for _, c := range []struct {
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{"/sign-in/email", map[string]any{"email": "eve@example.com", "password": "Correct horse"}, 401, "INVALID_EMAIL_OR_PASSWORD"},
		{"/sign-in/email", map[string]any{"email": "eve@example.com", "password": ""}, 401, "INVALID_EMAIL_OR_PASSWORD"},
		{"/sign-in/email", map[string]any{"email": "sol@example.com", "password": "correct horse"}, 401, "INVALID_EMAIL_OR_PASSWORD"},
		{"/sign-in/email", map[string]any{"email": "eve@example.com", "password": strings.Repeat("x", 129)}, 400, "PASSWORD_TOO_LONG"},
		{"/sign-in/email", map[string]any{"email": "eve@example.com", "password": "correct horse", "callbackURL": "https://evil.example/"}, 403, "INVALID_CALLBACK_URL"},
		{"/sign-in/email", map[string]any{"email": "eve@", "password": "correct horse"}, 400, "INVALID_EMAIL"},
		{"/sign-in/username", map[string]any{"username": "eve", "password": "wrong horse"}, 401, "INVALID_USERNAME_OR_PASSWORD"},
		{"/sign-in/username", map[string]any{"username": "sol", "password": "correct horse"}, 401, "INVALID_USERNAME_OR_PASSWORD"},
		{"/sign-in/username", map[string]any{"username": "eve", "password": strings.Repeat("x", 129)}, 400, "PASSWORD_TOO_LONG"},
		{"/sign-in/username", map[string]any{"username": strings.Repeat("e", 31), "password": "correct horse"}, 422, "USERNAME_TOO_LONG"},
		{"/sign-in/username", map[string]any{"username": "e-v-e", "password": "correct horse"}, 422, "INVALID_USERNAME"},
		{"/sign-in/username", map[string]any{"username": "eve", "password": "correct horse", "callbackURL": "https://evil.example/"}, 403, "INVALID_CALLBACK_URL"},
	} {
		t.Run(c.path+" "+c.code, func(t *testing.T) {
			r := newBrowser(t, h).post(c.path, c.body)
			wantError(t, r, c.status, c.code)
			wantNoCookies(t, r)
		})
	}
	wantUnchanged(t, h, before)
}

// nodeScryptHash is what Node Better Auth 1.7.25 stores for the password "ﬁne horse" (U+FB01 and
// "ne horse"): hashPassword from better-auth/crypto, scrypt N=16384 r=16 p=1 over the NFKC form,
// "saltHex:keyHex". Node's verifyPassword accepts "fine horse" for it.
const nodeScryptHash = "d86fa995e99e1362583afedfa6ca199e:be7c8d6ef9c5318e3e03ffe6104cae91db3963bf8f5a15559e37f70776a7ea1913aaa27f6c29b78be52cd565f127b30f113827755c3120e29dc2e15543aa175d"

func TestSignInWithAnImportedBetterAuthPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := newBrowser(t, h).signUp("imp@example.com", "placeholder pw", map[string]any{"username": "imp"}).User.ID
	// "ﬁ" (U+FB01) and "fi" are one password under NFKC, as in Better Auth.
	h.Exec(`UPDATE betterauth.account SET password = $1 WHERE "userId" = $2`, nodeScryptHash, id)
	newBrowser(t, h).signIn("imp@example.com", "fine horse")
	// The hash is upgraded to argon2id on that sign-in; the password still works, by username too.
	if pw := dbString(t, h, `SELECT password FROM betterauth.account WHERE "userId" = $1`, id); !strings.HasPrefix(pw, "$argon2id$") {
		t.Fatalf("hash not upgraded: %.20s…", pw)
	}
	if r := newBrowser(t, h).post("/sign-in/username", map[string]any{"username": "imp", "password": "ﬁne horse"}); r.Status != http.StatusOK {
		t.Fatalf("sign-in after the upgrade: %d %s", r.Status, r.Body)
	}
}

// An empty username or password on sign-in/username is 401 INVALID_USERNAME_OR_PASSWORD (the
// username plugin checks it before its rules); a short one is 422 USERNAME_TOO_SHORT.
func TestSignInUsernameEmpty(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	wantError(t, b.post("/sign-in/username", map[string]any{"username": "", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_USERNAME_OR_PASSWORD")
	wantError(t, b.post("/sign-in/username", map[string]any{"username": "ann_1", "password": ""}),
		http.StatusUnauthorized, "INVALID_USERNAME_OR_PASSWORD")
	wantError(t, b.post("/sign-in/username", map[string]any{"username": "an", "password": "correct horse"}),
		http.StatusUnprocessableEntity, "USERNAME_TOO_SHORT")
}
