package betterauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

func TestAccountManagement(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", map[string]any{"username": "eve"})
	b := newBrowser(t, h)
	if r := b.post("/sign-in/email", map[string]any{"email": "eve@example.com", "password": "correct horse"}); r.Status != 200 {
		t.Fatalf("sign-in: %d", r.Status)
	}
	if r := a.get("/ok"); r.Status != 200 || !strings.Contains(string(r.Body), `"ok":true`) {
		t.Fatalf("ok: %d %s", r.Status, r.Body)
	}
	if r := a.post("/is-username-available", map[string]any{"username": "EVE"}); !strings.Contains(string(r.Body), `"available":false`) {
		t.Fatalf("is-username-available: %s", r.Body)
	}
	if r := a.post("/verify-password", map[string]any{"password": "correct horse"}); r.Status != 200 {
		t.Fatalf("verify-password: %d %s", r.Status, r.Body)
	}
	wantError(t, a.post("/verify-password", map[string]any{"password": "wrong horse"}), 400, "INVALID_PASSWORD")
	wantError(t, a.post("/update-session", map[string]any{}), 400, "NO_FIELDS_TO_UPDATE")
	if r := a.post("/update-user", map[string]any{"name": "Eve Two", "image": "https://img.example/e.png"}); r.Status != 200 {
		t.Fatalf("update-user: %d %s", r.Status, r.Body)
	}
	if s := b.session(); s.User.Name != "Eve Two" || s.User.Image == nil {
		t.Fatalf("update not seen by the other device: %+v", s.User)
	}
	var list []session
	a.get("/list-sessions").Decode(t, &list)
	if len(list) != 2 {
		t.Fatalf("list-sessions: %d sessions", len(list))
	}
	own := a.session().Session
	var other session
	for _, s := range list {
		if s.ID != own.ID {
			other = s
		} else if s.Token != own.Token {
			t.Fatal("own session listed without its token")
		}
	}
	if h.Count(`SELECT count(*) FROM betterauth.session WHERE token LIKE $1 || '%'`, other.Token) != 1 {
		t.Fatal("the other session's handle does not name it")
	}
	if r := a.post("/revoke-session", map[string]any{"token": other.Token}); r.Status != 200 {
		t.Fatalf("revoke-session: %d", r.Status)
	}
	if b.session() != nil {
		t.Fatal("revoked device still signed in")
	}
	b.post("/sign-in/email", map[string]any{"email": "eve@example.com", "password": "correct horse"})
	if r := a.post("/revoke-other-sessions", nil); r.Status != 200 || b.session() != nil || a.session() == nil {
		t.Fatalf("revoke-other-sessions: %d", r.Status)
	}
	wantError(t, a.post("/change-password", map[string]any{"currentPassword": "wrong horse", "newPassword": "new horse 1"}), 400, "INVALID_PASSWORD")
	r := a.post("/change-password", map[string]any{"currentPassword": "correct horse", "newPassword": "new horse 1", "revokeOtherSessions": true})
	var cp authResult
	r.Decode(t, &cp)
	if r.Status != 200 || cp.Token == nil || a.session().Session.Token != *cp.Token {
		t.Fatalf("change-password: %d %s", r.Status, r.Body)
	}
	if r := a.post("/revoke-sessions", nil); r.Status != 200 || a.session() != nil {
		t.Fatalf("revoke-sessions: %d", r.Status)
	}
	wantError(t, a.get("/list-sessions"), 401, "UNAUTHORIZED")
	// Sessions older than a day may not list sessions.
	a.post("/sign-in/email", map[string]any{"email": "eve@example.com", "password": "new horse 1"})
	h.Exec(`UPDATE betterauth.session SET "createdAt" = now() - interval '2 days'`)
	wantError(t, a.get("/list-sessions"), 403, "SESSION_NOT_FRESH")
}

func TestMailFlows(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("fay@example.com", "correct horse", nil)
	if r := a.post("/send-verification-email", map[string]any{"email": "fay@example.com", "callbackURL": "/verified"}); r.Status != 200 {
		t.Fatalf("send-verification-email: %d %s", r.Status, r.Body)
	}
	link := mailData(t, h, "fay@example.com", "betterauth-verify-email")["url"]
	if r := a.do(http.MethodGet, pathOf(t, link), nil); r.Status != 302 || r.Header.Get("Location") != "/verified" {
		t.Fatalf("verify-email: %d %v", r.Status, r.Header)
	}
	if !a.session().User.EmailVerified {
		t.Fatal("address not verified")
	}
	// Change of address: approve from the old address, confirm at the new one.
	if r := a.post("/change-email", map[string]any{"newEmail": "fay2@example.com"}); r.Status != 200 {
		t.Fatalf("change-email: %d %s", r.Status, r.Body)
	}
	a.do(http.MethodGet, pathOf(t, mailData(t, h, "fay@example.com", "betterauth-change-email")["url"]), nil)
	if r := a.do(http.MethodGet, pathOf(t, mailData(t, h, "fay2@example.com", "betterauth-verify-email")["url"]), nil); r.Status != 302 {
		t.Fatalf("confirm new address: %d %s", r.Status, r.Body)
	}
	if s := a.session(); s.User.Email != "fay2@example.com" {
		t.Fatalf("email is %s", s.User.Email)
	}
	// Password reset by both paths.
	for _, p := range []string{"/forget-password", "/request-password-reset"} {
		if r := newBrowser(t, h).post(p, map[string]any{"email": "fay2@example.com", "redirectTo": "/reset"}); r.Status != 200 {
			t.Fatalf("%s: %d", p, r.Status)
		}
	}
	data := mailData(t, h, "fay2@example.com", "betterauth-reset-password")
	r := newBrowser(t, h).do(http.MethodGet, pathOf(t, data["url"]), nil)
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != 302 || loc.Path != "/reset" || loc.Query().Get("token") != data["token"] {
		t.Fatalf("reset link: %d %v", r.Status, r.Header)
	}
	if r := newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "reset horse 1", "token": data["token"]}); r.Status != 200 {
		t.Fatalf("reset-password: %d %s", r.Status, r.Body)
	}
	wantError(t, newBrowser(t, h).post("/reset-password", map[string]any{"newPassword": "reset horse 2", "token": data["token"]}), 400, "INVALID_TOKEN")
	// Deletion through the mailed link.
	a.post("/sign-in/email", map[string]any{"email": "fay2@example.com", "password": "reset horse 1"})
	r = a.post("/delete-user", map[string]any{"callbackURL": "/bye"})
	if r.Status != 200 || !strings.Contains(string(r.Body), "Verification email sent") {
		t.Fatalf("delete-user: %d %s", r.Status, r.Body)
	}
	if r := a.do(http.MethodGet, pathOf(t, mailData(t, h, "fay2@example.com", "betterauth-delete-account")["url"]), nil); r.Status != 302 || r.Header.Get("Location") != "/bye" {
		t.Fatalf("delete-user/callback: %d %s", r.Status, r.Body)
	}
	if h.Count(`SELECT count(*) FROM betterauth."user"`) != 0 {
		t.Fatal("user not deleted")
	}
	if r := a.get("/error?error=access_denied"); r.Status != 200 || !strings.Contains(string(r.Body), "access_denied") {
		t.Fatalf("error page: %d", r.Status)
	}
}

func TestSocialSignIn(t *testing.T) {
	t.Parallel()
	idp := oidctest.New(t)
	idp.SetUser(oidctest.User{Sub: "sub-1", Email: "gus@example.com", EmailVerified: true, Name: "Gus"})
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.Providers = []oauth.Config{idp.Config("idp")} })
	a := newBrowser(t, h)
	r := a.post("/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home"})
	var start struct {
		URL      string `json:"url"`
		Redirect bool   `json:"redirect"`
	}
	r.Decode(t, &start)
	if r.Status != 200 || !start.Redirect || a.cookies["better-auth.state"] == "" {
		t.Fatalf("sign-in/social: %d %s", r.Status, r.Body)
	}
	cb, err := idp.Authorize(start.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The provider posts back (form_post): the POST callback turns into the GET one.
	r = a.do(http.MethodPost, base+"/callback/idp", map[string]any{"code": cb.Query().Get("code"), "state": cb.Query().Get("state")})
	if r.Status != 302 {
		t.Fatalf("POST callback: %d %s", r.Status, r.Body)
	}
	r = a.do(http.MethodGet, pathOf(t, r.Header.Get("Location")), nil)
	if r.Status != 302 || r.Header.Get("Location") != "/home" {
		t.Fatalf("callback: %d %v %s", r.Status, r.Header, r.Body)
	}
	s := a.session()
	if s == nil || s.User.Email != "gus@example.com" || !s.User.EmailVerified {
		t.Fatalf("not signed in as the provider's user: %+v", s)
	}
	var accounts []struct {
		ID         string   `json:"id"`
		ProviderID string   `json:"providerId"`
		AccountID  string   `json:"accountId"`
		Scopes     []string `json:"scopes"`
	}
	a.get("/list-accounts").Decode(t, &accounts)
	if len(accounts) != 1 || accounts[0].ProviderID != "idp" || accounts[0].AccountID != "sub-1" {
		t.Fatalf("accounts %+v", accounts)
	}
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "accessToken" LIKE 'sealed.v1:%'`) != 1 {
		t.Fatal("provider tokens are not sealed at rest")
	}
	id := accounts[0].ID
	if r := a.post("/get-access-token", map[string]any{"accountId": id}); r.Status != 200 || !strings.Contains(string(r.Body), "accessToken") {
		t.Fatalf("get-access-token: %d %s", r.Status, r.Body)
	}
	if r := a.post("/refresh-token", map[string]any{"accountId": id}); r.Status != 200 || !strings.Contains(string(r.Body), `"providerId":"idp"`) {
		t.Fatalf("refresh-token: %d %s", r.Status, r.Body)
	}
	if r := a.get("/account-info?accountId=" + id); r.Status != 200 || !strings.Contains(string(r.Body), "gus@example.com") {
		t.Fatalf("account-info: %d %s", r.Status, r.Body)
	}
	wantError(t, a.post("/unlink-account", map[string]any{"accountId": id}), 400, "FAILED_TO_UNLINK_LAST_ACCOUNT")
	// An ID token the client holds links a second identity at once; it can then be unlinked.
	tok := idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")
	if r := a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}}); r.Status != 200 {
		t.Fatalf("link-social: %d %s", r.Status, r.Body)
	}
	if r := a.post("/link-social", map[string]any{"provider": "idp", "callbackURL": "/linked"}); r.Status != 200 {
		t.Fatalf("link-social redirect: %d %s", r.Status, r.Body)
	}
	if r := a.post("/unlink-account", map[string]any{"accountId": id}); r.Status != 200 {
		t.Fatalf("unlink-account: %d %s", r.Status, r.Body)
	}
	// ID-token sign-in on another browser.
	b := newBrowser(t, h)
	r = b.post("/sign-in/social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}})
	if r.Status != 200 || b.session().User.Email != "gus@example.com" {
		t.Fatalf("id-token sign-in: %d %s", r.Status, r.Body)
	}
	wantError(t, b.post("/sign-in/social", map[string]any{"provider": "nope"}), 404, "PROVIDER_NOT_FOUND")
	// A callback whose state the browser does not hold is refused.
	r = newBrowser(t, h).get("/callback/idp?code=x&state=unknown")
	if r.Status != 302 || !strings.Contains(r.Header.Get("Location"), "error=") {
		t.Fatalf("forged callback: %d %v", r.Status, r.Header)
	}
}

func TestOriginChecksAndUnknownPaths(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("hal@example.com", "correct horse", nil)
	a.origin = "https://evil.example"
	wantError(t, a.post("/sign-out", nil), 403, "INVALID_ORIGIN")
	a.origin = ""
	wantError(t, a.post("/sign-out", nil), 403, "MISSING_OR_NULL_ORIGIN")
	if a.session() == nil {
		t.Fatal("a refused sign-out signed out")
	}
	r := a.get("/no-such-thing")
	if r.Status != 404 || len(r.Body) != 0 {
		t.Fatalf("unknown path: %d %q", r.Status, r.Body)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.RateLimitOff = false })
	for i := range 4 {
		r := newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "x@example.com", "password": "whatever1"})
		if i < 3 && r.Status != 401 {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
		if i == 3 && (r.Status != 429 || r.Header.Get("X-Retry-After") == "") {
			t.Fatalf("4th attempt: %d %v", r.Status, r.Header)
		}
	}
}
