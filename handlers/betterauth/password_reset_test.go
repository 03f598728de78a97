package betterauth_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

var resetToken = regexp.MustCompile(`^[A-Za-z0-9]{24}$`)

// otherToken is a token of the same shape as tok that differs from it in its last character.
func otherToken(tok string) string {
	last := "x"
	if strings.HasSuffix(tok, "x") {
		last = "y"
	}
	return tok[:len(tok)-1] + last
}

const resetMessage = `{"status":true,"message":"If this email exists in our system, check your email for the reset link"}`

// requestReset asks for a reset link for email through path and returns the mailed token.
func requestReset(t *testing.T, h *handlertest.Harness, path, email, redirectTo string) string {
	t.Helper()
	wantJSON(t, newBrowser(t, h).post(path, map[string]any{"email": email, "redirectTo": redirectTo}), resetMessage)
	return mailData(t, h, email, "betterauth-reset-password")["token"]
}

func TestPasswordResetByMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	id := a.signUp("fay2@example.com", "correct horse", nil).User.ID
	// Password reset by both paths.
	for _, p := range []string{"/forget-password", "/request-password-reset"} {
		r := newBrowser(t, h).post(p, map[string]any{"email": "Fay2@example.com", "redirectTo": "/reset"})
		if r.Status != 200 {
			t.Fatalf("%s: %d", p, r.Status)
		}
		wantJSON(t, r, resetMessage)
		wantNoCookies(t, r)
	}
	if n := mailCount(h, "fay2@example.com", "betterauth-reset-password"); n != 2 {
		t.Fatalf("%d reset mails, want one per request", n)
	}
	data := mailData(t, h, "fay2@example.com", "betterauth-reset-password")
	if !resetToken.MatchString(data["token"]) || data["url"] != origin+base+"/reset-password/"+data["token"]+"?callbackURL=%2Freset" {
		t.Fatalf("reset mail data %v", data)
	}
	// Stored as Better Auth does, under the token's hash here: reset-password:<sha256>, the user id, one hour.
	if n := h.Count(`SELECT count(*) FROM betterauth.verification WHERE identifier = $1 AND value = $2
		AND "expiresAt" BETWEEN now() + interval '59 minutes' AND now() + interval '1 hour'`,
		"reset-password:"+hashHex(data["token"]), id); n != 1 {
		t.Fatal("no verification row for the reset token")
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.verification WHERE identifier LIKE '%' || $1 || '%' OR value = $1`, data["token"]); n != 0 {
		t.Fatal("the reset token is stored in clear")
	}
	r := newBrowser(t, h).do(http.MethodGet, pathOf(t, data["url"]), nil)
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != 302 || loc.Path != "/reset" || loc.Query().Get("token") != data["token"] {
		t.Fatalf("reset link: %d %v", r.Status, r.Header)
	}
	if r := newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "reset horse 1", "token": data["token"]}); r.Status != 200 {
		t.Fatalf("reset-password: %d %s", r.Status, r.Body)
	}
	wantError(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "reset horse 2", "token": data["token"]}), 400, "INVALID_TOKEN")
	// The new password works, the old one does not; the signed-in device stays signed in.
	newBrowser(t, h).signIn("fay2@example.com", "reset horse 1")
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "fay2@example.com", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	if a.session() == nil {
		t.Fatal("resetting the password ended the existing session")
	}
	if h.Count(`SELECT count(*) FROM betterauth.verification WHERE identifier = $1`, "reset-password:"+hashHex(data["token"])) != 0 {
		t.Fatal("the used token is still stored")
	}
}

func TestRequestPasswordResetForUnknownEmails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("gwen@example.com", "correct horse", nil)
	before := dbState(t, h)
	for _, p := range []string{"/forget-password", "/request-password-reset"} {
		r := newBrowser(t, h).post(p, map[string]any{"email": "nobody@example.com", "redirectTo": "/reset"})
		wantJSON(t, r, resetMessage)
		wantNoCookies(t, r)
		wantJSON(t, newBrowser(t, h).post(p, map[string]any{"email": "nobody@example.com"}), resetMessage)
	}
	wantUnchanged(t, h, before)
	if len(h.MailTo("nobody@example.com")) != 0 {
		t.Fatal("mail to an unknown address")
	}
}

func TestRequestPasswordResetRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("hugo@example.com", "correct horse", nil)
	before := dbState(t, h)
	for _, p := range []string{"/forget-password", "/request-password-reset"} {
		wantError(t, newBrowser(t, h).post(p, map[string]any{"email": "hugo@example.com", "redirectTo": "https://evil.example/reset"}),
			http.StatusForbidden, "INVALID_REDIRECT_URL")
		wantError(t, newBrowser(t, h).post(p, map[string]any{"email": "hugo@example.com", "redirectTo": "//evil.example/reset"}),
			http.StatusForbidden, "INVALID_REDIRECT_URL")
		wantError(t, newBrowser(t, h).post(p, map[string]any{"email": "hugo"}), http.StatusBadRequest, "VALIDATION_ERROR")
	}
	wantUnchanged(t, h, before)
}

func TestResetPasswordCallback(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("ida@example.com", "correct horse", nil)
	tok := requestReset(t, h, "/request-password-reset", "ida@example.com", "/reset")
	for _, c := range []struct{ callbackURL, location string }{
		// A live token goes to the app's form with the token, resolved against the base URL.
		{"/reset", origin + "/reset?token=" + tok},
		{"/reset?lang=fr", origin + "/reset?lang=fr&token=" + tok},
		{origin + "/account/reset", origin + "/account/reset?token=" + tok},
		// An empty callbackURL leads to the error page.
		{"", origin + base + "/error?error=INVALID_TOKEN"},
	} {
		r := newBrowser(t, h).get("/reset-password/" + tok + "?callbackURL=" + url.QueryEscape(c.callbackURL))
		if r.Status != http.StatusFound || r.Header.Get("Location") != c.location || len(r.Body) != 0 {
			t.Fatalf("callbackURL %q: %d %q %q", c.callbackURL, r.Status, r.Header.Get("Location"), r.Body)
		}
		wantNoCookies(t, r)
	}
	// The link does not use the token up.
	if h.Count(`SELECT count(*) FROM betterauth.verification WHERE identifier = $1`, "reset-password:"+hashHex(tok)) != 1 {
		t.Fatal("following the link used the token up")
	}
	// An unknown token goes to the form with error=INVALID_TOKEN; so does an expired one.
	for _, bad := range []string{"nope", otherToken(tok)} {
		r := newBrowser(t, h).get("/reset-password/" + bad + "?callbackURL=%2Freset")
		if r.Status != http.StatusFound || r.Header.Get("Location") != origin+"/reset?error=INVALID_TOKEN" {
			t.Fatalf("token %q: %d %q", bad, r.Status, r.Header.Get("Location"))
		}
	}
	h.Exec(`UPDATE betterauth.verification SET "expiresAt" = now() - interval '1 second'`)
	if r := newBrowser(t, h).get("/reset-password/" + tok + "?callbackURL=%2Freset"); r.Header.Get("Location") != origin+"/reset?error=INVALID_TOKEN" {
		t.Fatalf("expired token: %d %q", r.Status, r.Header.Get("Location"))
	}
	// Refusals: no callbackURL, or one outside the trusted origins.
	wantError(t, newBrowser(t, h).get("/reset-password/"+tok), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, newBrowser(t, h).get("/reset-password/"+tok+"?callbackURL="+url.QueryEscape("https://evil.example/reset")),
		http.StatusForbidden, "INVALID_CALLBACK_URL")
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	id := b.signUp("jan@example.com", "correct horse", nil).User.ID
	tok := requestReset(t, h, "/request-password-reset", "jan@example.com", "/reset")
	// A password breaking the rules is refused and leaves the token usable.
	wantError(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "short", "token": tok}), 400, "PASSWORD_TOO_SHORT")
	wantError(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": strings.Repeat("x", 129), "token": tok}), 400, "PASSWORD_TOO_LONG")
	wantError(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "reset horse 1"}), 400, "INVALID_TOKEN")
	wantError(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "reset horse 1", "token": "nope"}), 400, "INVALID_TOKEN")
	hash := dbString(t, h, `SELECT password FROM betterauth.account WHERE "userId" = $1`, id)
	// The token may come in the query; no session is created.
	anon := newBrowser(t, h)
	r := anon.do(http.MethodPost, base+"/reset-password?token="+tok, map[string]any{"newPassword": "reset horse 1"})
	wantJSON(t, r, `{"status":true}`)
	wantNoCookies(t, r)
	if h.Count(`SELECT count(*) FROM betterauth.session`) != 1 {
		t.Fatal("reset-password created a session")
	}
	if dbString(t, h, `SELECT password FROM betterauth.account WHERE "userId" = $1`, id) == hash {
		t.Fatal("the password hash did not change")
	}
	newBrowser(t, h).signIn("jan@example.com", "reset horse 1")
	wantError(t, newBrowser(t, h).post("/reset-password?token="+tok, map[string]any{"newPassword": "reset horse 2"}), 400, "INVALID_TOKEN")
	// An expired token is refused.
	tok = requestReset(t, h, "/forget-password", "jan@example.com", "/reset")
	h.Exec(`UPDATE betterauth.verification SET "expiresAt" = now() - interval '1 second'`)
	wantError(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "reset horse 3", "token": tok}), 400, "INVALID_TOKEN")
	newBrowser(t, h).signIn("jan@example.com", "reset horse 1")
}

func TestResetPasswordGivesASocialOnlyUserAPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := newBrowser(t, h).signUp("kai@example.com", "correct horse", nil).User.ID
	// As if the account came from a provider: no credential account.
	h.Exec(`DELETE FROM betterauth.account WHERE "userId" = $1`, id)
	tok := requestReset(t, h, "/request-password-reset", "kai@example.com", "")
	wantJSON(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "first horse", "token": tok}), `{"status":true}`)
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "accountId" = $1 AND "providerId" = 'credential'
		AND password LIKE '$argon2id$%'`, id) != 1 {
		t.Fatal("no credential account created")
	}
	newBrowser(t, h).signIn("kai@example.com", "first horse")
}
