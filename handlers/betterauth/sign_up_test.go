package betterauth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/bacookie"
)

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

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

func TestSignUpStoresUserAccountAndSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	before := time.Now()
	res := b.signUp("Bea@Example.com", "correct horse", map[string]any{"name": "Bea B", "image": "https://img.example/b.png"})
	u := res.User
	if u.Name != "Bea B" || u.Image == nil || *u.Image != "https://img.example/b.png" || u.Username != nil || u.DisplayUsername != nil ||
		u.CreatedAt != u.UpdatedAt {
		t.Fatalf("user %+v", u)
	}
	// The user row holds what the answer says, the address in lower case.
	if n := h.Count(`SELECT count(*) FROM betterauth."user" WHERE id = $1 AND email = 'bea@example.com' AND name = 'Bea B'
		AND image = 'https://img.example/b.png' AND NOT "emailVerified" AND username IS NULL AND role = 'user'
		AND NOT banned AND NOT "twoFactorEnabled"`, u.ID); n != 1 {
		t.Fatal("user row does not match the answer")
	}
	// The credential account is Better Auth's: accountId is the user id; no provider tokens.
	if n := h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "accountId" = $1 AND "providerId" = 'credential'
		AND "accessToken" IS NULL AND "refreshToken" IS NULL`, u.ID); n != 1 {
		t.Fatal("no credential account with accountId = user id")
	}
	if pw := dbString(t, h, `SELECT password FROM betterauth.account WHERE "userId" = $1`, u.ID); strings.Contains(pw, "correct horse") {
		t.Fatal("password stored in clear")
	}
	// The session row: the token's SHA-256, a week's life, the client's address.
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1 AND token = $2 AND "ipAddress" = '192.0.2.1'
		AND "expiresAt" BETWEEN $3::timestamptz + interval '7 days' - interval '1 minute' AND now() + interval '7 days'`,
		u.ID, hashHex(*res.Token), before); n != 1 {
		t.Fatal("no session row under the token's hash with a 7-day expiry")
	}
	if len(h.Mail()) != 0 {
		t.Fatal("sign-up sent mail although verification is not required")
	}
	if _, ok := b.cookies["better-auth.dont_remember"]; ok {
		t.Fatal("dont_remember set for a remembered session")
	}
}

func TestSignUpWithRememberMeFalse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	res := b.signUp("cy@example.com", "correct horse", map[string]any{"rememberMe": false})
	wantSessionCookie(t, b, *res.Token, 0)
	dr := b.last["better-auth.dont_remember"]
	if dr == nil || dr.MaxAge != 0 || !dr.HttpOnly || dr.Path != "/" || !strings.HasPrefix(dr.Value, "true.") {
		t.Fatalf("dont_remember cookie %+v", dr)
	}
	if v, ok := bacookie.New("not-the-secret-not-the-secret-not", false, 0).Verify(dr.Value); ok || v != "" {
		t.Fatal("dont_remember verifies under a wrong secret")
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE "expiresAt" BETWEEN now() + interval '23 hours' AND now() + interval '25 hours'`); n != 1 {
		t.Fatal("a session not remembered must live one day")
	}
	// The session is not extended by use, and its cookie is not turned into a lasting one.
	h.Exec(`UPDATE betterauth.session SET "expiresAt" = now() + interval '2 hours'`)
	if s := b.session(); s == nil || len(b.last) != 0 {
		t.Fatalf("get-session of a session not remembered: %+v, cookies %v", s, b.last)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE "expiresAt" < now() + interval '3 hours'`); n != 1 {
		t.Fatal("a session not remembered was extended")
	}
}

func TestSignUpUsernames(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A valid display name alone becomes the username too.
	u := newBrowser(t, h).signUp("dee@example.com", "correct horse", map[string]any{"displayUsername": "Dee.D"}).User
	if u.Username == nil || *u.Username != "dee.d" || *u.DisplayUsername != "Dee.D" {
		t.Fatalf("display name only: %+v", u)
	}
	// One that is not a valid username stays a display name.
	u = newBrowser(t, h).signUp("eli@example.com", "correct horse", map[string]any{"displayUsername": "Eli the Great"}).User
	if u.Username != nil || *u.DisplayUsername != "Eli the Great" {
		t.Fatalf("invalid display name: %+v", u)
	}
	// Both given: each kept.
	u = newBrowser(t, h).signUp("flo@example.com", "correct horse", map[string]any{"username": "Flo_1", "displayUsername": "Flo!"}).User
	if *u.Username != "flo_1" || *u.DisplayUsername != "Flo!" {
		t.Fatalf("username and display name: %+v", u)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth."user" WHERE username IN ('dee.d', 'flo_1')`); n != 2 {
		t.Fatal("usernames not stored lower-cased")
	}
	// A username differing only in case is taken.
	wantError(t, newBrowser(t, h).post("/sign-up/email", map[string]any{"name": "x", "email": "x@example.com",
		"password": "correct horse", "username": "DEE.D"}), http.StatusBadRequest, "USERNAME_IS_ALREADY_TAKEN")
}

func TestSignUpRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("dan@example.com", "correct horse", map[string]any{"username": "dan"})
	before := dbState(t, h)
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
		{map[string]any{"name": "D", "email": "d5@example.com", "password": "correct horse", "username": "ab"}, 400, "USERNAME_TOO_SHORT"},
		{map[string]any{"name": "D", "email": "d5@example.com", "password": "correct horse", "username": strings.Repeat("a", 31)}, 400, "USERNAME_TOO_LONG"},
		{map[string]any{"name": "D", "email": "not-an-email", "password": "correct horse"}, 400, "VALIDATION_ERROR"},
		{map[string]any{"name": "D", "email": "Dan <d8@example.com>", "password": "correct horse"}, 400, "VALIDATION_ERROR"},
		{map[string]any{"name": "D", "email": "d6@example.com", "password": "correct horse", "role": "admin"}, 400, "VALIDATION_ERROR"},
		{map[string]any{"name": "D", "email": "d7@example.com", "password": "correct horse", "callbackURL": "https://evil.example/x"}, 403, "INVALID_CALLBACK_URL"},
		{map[string]any{"name": "D", "email": "d7@example.com", "password": "correct horse", "callbackURL": "//evil.example/x"}, 403, "INVALID_CALLBACK_URL"},
	} {
		r := newBrowser(t, h).post("/sign-up/email", c.body)
		wantError(t, r, c.status, c.code)
		wantNoCookies(t, r)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth."user"`); n != 1 {
		t.Fatalf("refused sign-ups stored users: %d", n)
	}
	wantUnchanged(t, h, before)
	// A password of exactly 8 and of exactly 128 characters is fine; lengths count characters.
	newBrowser(t, h).signUp("d9@example.com", "12345678", nil)
	newBrowser(t, h).signUp("d10@example.com", strings.Repeat("é", 128), nil)
}

func TestSignUpWithEmailVerificationRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.RequireEmailVerification = true })
	b := newBrowser(t, h)
	r := b.post("/sign-up/email", map[string]any{"name": "Gil", "email": "gil@example.com", "password": "correct horse", "callbackURL": "/welcome"})
	var res authResult
	r.Decode(t, &res)
	if r.Status != http.StatusOK || res.Token != nil || res.User.Email != "gil@example.com" || res.User.EmailVerified {
		t.Fatalf("sign-up: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(r.Body), `"token":null`) {
		t.Fatalf("token must be an explicit null: %s", r.Body)
	}
	wantNoCookies(t, r)
	if h.Count(`SELECT count(*) FROM betterauth.session`) != 0 || h.Count(`SELECT count(*) FROM betterauth."user"`) != 1 {
		t.Fatal("the user must exist without a session")
	}
	// The verification mail leads to /verify-email with the sign-up's callbackURL.
	link, err := url.Parse(mailData(t, h, "gil@example.com", "betterauth-verify-email")["url"])
	if err != nil || link.Scheme+"://"+link.Host+link.Path != origin+base+"/verify-email" || link.Query().Get("callbackURL") != "/welcome" ||
		link.Query().Get("token") == "" {
		t.Fatalf("verification link %v", link)
	}
	// Signing in before verifying is refused, and mails a new link.
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "gil@example.com", "password": "correct horse"}),
		http.StatusForbidden, "EMAIL_NOT_VERIFIED")
	if n := mailCount(h, "gil@example.com", "betterauth-verify-email"); n != 2 {
		t.Fatalf("%d verification mails, want 2", n)
	}
	// Following the link verifies the address; then sign-in works.
	if r := b.do(http.MethodGet, pathOf(t, link.String()), nil); r.Status != http.StatusFound || r.Header.Get("Location") != "/welcome" {
		t.Fatalf("verify-email: %d %v", r.Status, r.Header)
	}
	newBrowser(t, h).signIn("gil@example.com", "correct horse")
	// A wrong password for an unverified account is still a wrong password (no mail, no hint).
	newBrowser(t, h).signUp("hil@example.com", "correct horse", nil)
	n := len(h.Mail())
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "hil@example.com", "password": "wrong horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	if len(h.Mail()) != n {
		t.Fatal("a wrong password sent a verification mail")
	}
}

func TestSignUpAdminEmailsGetTheAdminRole(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.AdminEmails = []string{"Boss@Example.com"} })
	if u := newBrowser(t, h).signUp("boss@example.com", "correct horse", nil).User; u.Role != "admin" {
		t.Fatalf("role %q, want admin", u.Role)
	}
	if u := newBrowser(t, h).signUp("staff@example.com", "correct horse", nil).User; u.Role != "user" {
		t.Fatalf("role %q, want user", u.Role)
	}
}

// With email verification required, signing up with a taken address answers like a new sign-up
// (200, token null, a made-up user) so that sign-up does not tell which addresses have accounts;
// nothing is stored and nobody is mailed.
func TestSignUpWithVerificationDoesNotRevealTakenEmails(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.RequireEmailVerification = true })
	first := newBrowser(t, h).signUp("taken@example.com", "correct horse", nil)
	mails := mailCount(h, "taken@example.com", "betterauth-verify-email")
	r := newBrowser(t, h).post("/sign-up/email", map[string]any{"name": "X", "email": "Taken@example.com", "password": "other horse"})
	var res authResult
	r.Decode(t, &res)
	if r.Status != http.StatusOK || res.Token != nil || res.User.Email != "taken@example.com" || res.User.EmailVerified ||
		res.User.Name != "X" || res.User.ID == first.User.ID || res.User.Role != "user" {
		t.Fatalf("sign-up with a taken address: %d %s", r.Status, r.Body)
	}
	wantNoCookies(t, r)
	if n := h.Count(`SELECT count(*) FROM betterauth."user"`); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	if got := mailCount(h, "taken@example.com", "betterauth-verify-email"); got != mails {
		t.Fatalf("%d verification mails after the duplicate sign-up, want %d", got, mails)
	}
	// Without required verification the taken address is refused, as in Better Auth.
	h2 := newHarness(t)
	newBrowser(t, h2).signUp("taken@example.com", "correct horse", nil)
	wantError(t, newBrowser(t, h2).post("/sign-up/email", map[string]any{"name": "X", "email": "taken@example.com", "password": "other horse"}),
		http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
}
