package betterauth_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/oauth/oidctest"
)

var gus = oidctest.User{Sub: "sub-1", Email: "gus@example.com", EmailVerified: true, Name: "Gus", Picture: "https://img.example/gus.png"}

func TestSocialSignIn(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, oidctest.User{Sub: "sub-1", Email: "gus@example.com", EmailVerified: true, Name: "Gus"})
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
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "accessToken" LIKE 'sealed.v1:%'`) != 1 {
		t.Fatal("provider tokens are not sealed at rest")
	}
	// ID-token sign-in on another browser.
	tok := idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")
	a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}})
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

func TestSocialSignInStart(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	authURL := a.socialStart("/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home",
		"scopes": []string{"offline_access"}, "loginHint": "gus@example.com"})
	u, err := url.Parse(authURL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != idp.URL()+"/authorize" {
		t.Fatalf("authorization URL %s", authURL)
	}
	q := u.Query()
	scopes := strings.Fields(q.Get("scope"))
	for k, v := range map[string]string{"client_id": idp.ClientID(), "response_type": "code", "code_challenge_method": "S256",
		"redirect_uri": origin + base + "/callback/idp", "login_hint": "gus@example.com"} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	for _, s := range []string{"openid", "email", "profile", "offline_access"} {
		if !slices.Contains(scopes, s) {
			t.Errorf("scope %q lacks %s", q.Get("scope"), s)
		}
	}
	if len(q.Get("code_challenge")) != 43 || q.Get("nonce") == "" || !id32.MatchString(q.Get("state")) {
		t.Fatalf("PKCE, nonce or state missing: %v", q)
	}
	// The state cookie holds the state, signed, for five minutes (Better Auth's Max-Age=300); the
	// state is stored for ten minutes under its hash.
	c := a.last["better-auth.state"]
	if c == nil || !strings.HasPrefix(c.Value, q.Get("state")+".") || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode ||
		c.MaxAge != 300 {
		t.Fatalf("state cookie %+v", c)
	}
	if h.Count(`SELECT count(*) FROM betterauth.verification WHERE identifier = $1
		AND "expiresAt" BETWEEN now() + interval '9 minutes' AND now() + interval '10 minutes'`, "oauth-state:"+hashHex(q.Get("state"))) != 1 {
		t.Fatal("state not stored for ten minutes under its hash")
	}
	if h.Count(`SELECT count(*) FROM betterauth.verification WHERE value LIKE '%' || $1 || '%'`, q.Get("state")) != 0 {
		t.Fatal("the state is stored in clear")
	}
	// disableRedirect: the same URL in the body, no Location.
	r := a.post("/sign-in/social", map[string]any{"provider": "idp", "disableRedirect": true})
	var start struct {
		URL      string `json:"url"`
		Redirect bool   `json:"redirect"`
	}
	r.Decode(t, &start)
	if r.Status != http.StatusOK || start.Redirect || !strings.HasPrefix(start.URL, idp.URL()+"/authorize?") || r.Header.Get("Location") != "" {
		t.Fatalf("disableRedirect: %d %v %s", r.Status, r.Header, r.Body)
	}
	if !strings.Contains(string(r.Body), `"redirect":false`) || a.last["better-auth.state"] == nil {
		t.Fatalf("disableRedirect: %s", r.Body)
	}
	// Starting creates no user, account or session.
	if h.Count(`SELECT count(*) FROM betterauth."user"`)+h.Count(`SELECT count(*) FROM betterauth.session`) != 0 {
		t.Fatal("starting a flow stored a user or session")
	}
}

func TestSocialSignInCreatesTheUser(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	r := a.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home", "newUserCallbackURL": "/welcome"})
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/welcome" || len(r.Body) != 0 {
		t.Fatalf("callback for a new user: %d %v", r.Status, r.Header)
	}
	// Signed in, the state cookie expired, the state used up.
	if c := a.last["better-auth.state"]; c == nil || c.MaxAge >= 0 {
		t.Fatalf("state cookie not expired: %+v", c)
	}
	wantSessionCookie(t, a, a.token(), 604800)
	if h.Count(`SELECT count(*) FROM betterauth.verification`) != 0 {
		t.Fatal("the state is still stored")
	}
	s := a.session()
	if s == nil || s.User.Email != "gus@example.com" || !s.User.EmailVerified || s.User.Name != "Gus" ||
		s.User.Image == nil || *s.User.Image != gus.Picture || s.User.Role != "user" {
		t.Fatalf("user %+v", s)
	}
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "providerId" = 'idp' AND "accountId" = 'sub-1'
		AND "accessToken" LIKE 'sealed.v1:%' AND "refreshToken" LIKE 'sealed.v1:%' AND "idToken" IS NOT NULL
		AND "accessTokenExpiresAt" > now() AND password IS NULL`, s.User.ID) != 1 {
		t.Fatal("no idp account with sealed tokens")
	}
	// The same identity again: the same user, no second account, and the callbackURL (not the new-user one).
	b := newBrowser(t, h)
	r = b.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home", "newUserCallbackURL": "/welcome"})
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/home" {
		t.Fatalf("callback for a returning user: %d %v", r.Status, r.Header)
	}
	if b.session().User.ID != s.User.ID || h.Count(`SELECT count(*) FROM betterauth.account`) != 1 || h.Count(`SELECT count(*) FROM betterauth."user"`) != 1 {
		t.Fatal("a returning user got a new user or account")
	}
	// The password-less user cannot sign in with a password.
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "gus@example.com", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
}

func TestSocialSignInLinksAnExistingUser(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	id := verifiedBrowser(t, a, "gus@example.com")
	// Both sides vouch for the address: the provider's identity joins the existing user.
	b := newBrowser(t, h)
	if r := b.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp"}); r.Status != http.StatusFound || strings.Contains(r.Header.Get("Location"), "error") {
		t.Fatalf("callback: %d %v", r.Status, r.Header)
	}
	if b.session().User.ID != id || len(b.accounts()) != 2 {
		t.Fatal("not linked to the existing user")
	}
	// A provider that does not vouch for the address may not take over an account.
	c := newBrowser(t, h)
	c.signUp("una@example.com", "correct horse", nil)
	idp.SetUser(oidctest.User{Sub: "sub-una", Email: "una@example.com", EmailVerified: false, Name: "Una"})
	r := newBrowser(t, h).socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp", "errorCallbackURL": "/oops"})
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/oops?error=account_not_linked" {
		t.Fatalf("unverified provider email: %d %q", r.Status, r.Header.Get("Location"))
	}
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "accountId" = 'sub-una'`) != 0 {
		t.Fatal("linked anyway")
	}
}

func TestSocialSignInWithAnIDToken(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	b := newBrowser(t, h)
	tok := idp.IDToken(gus, idp.ClientID(), "")
	r := b.post("/sign-in/social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}})
	var res authResult
	r.Decode(t, &res)
	if r.Status != http.StatusOK || res.Redirect || res.Token == nil || res.User.Email != "gus@example.com" || !res.User.EmailVerified ||
		r.Header.Get("Location") != "" {
		t.Fatalf("id-token sign-in: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, b, *res.Token, 604800)
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "providerId" = 'idp' AND "accountId" = 'sub-1'`, res.User.ID) != 1 {
		t.Fatal("no account for the id token's subject")
	}
	before := dbState(t, h)
	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"garbage", map[string]any{"provider": "idp", "idToken": map[string]any{"token": "a.b.c"}}, 401, "INVALID_TOKEN"},
		{"another audience", map[string]any{"provider": "idp", "idToken": map[string]any{"token": idp.IDToken(gus, "someone-else", "")}}, 401, "INVALID_TOKEN"},
		{"wrong nonce", map[string]any{"provider": "idp", "idToken": map[string]any{"token": idp.IDToken(gus, idp.ClientID(), "n1"), "nonce": "n2"}}, 401, "INVALID_TOKEN"},
		{"no email", map[string]any{"provider": "idp", "idToken": map[string]any{"token": idp.IDToken(oidctest.User{Sub: "sub-x"}, idp.ClientID(), "")}}, 401, "USER_EMAIL_NOT_FOUND"},
		{"unknown provider", map[string]any{"provider": "nope", "idToken": map[string]any{"token": tok}}, 404, "PROVIDER_NOT_FOUND"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newBrowser(t, h).post("/sign-in/social", c.body)
			wantError(t, r, c.status, c.code)
			wantNoCookies(t, r)
		})
	}
	// An unverified address of an existing password user is not linked through an id token.
	newBrowser(t, h).signUp("val@example.com", "correct horse", nil)
	before = dbState(t, h)
	unverified := idp.IDToken(oidctest.User{Sub: "sub-val", Email: "val@example.com", EmailVerified: false}, idp.ClientID(), "")
	wantError(t, newBrowser(t, h).post("/sign-in/social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": unverified}}),
		http.StatusUnauthorized, "OAUTH_LINK_ERROR")
	wantUnchanged(t, h, before)
}

func TestSocialSignInRefusals(t *testing.T) {
	t.Parallel()
	h, _ := idpHarness(t, gus)
	before := dbState(t, h)
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"provider": "nope"}, 404, "PROVIDER_NOT_FOUND"},
		{map[string]any{"provider": "idp", "callbackURL": "https://evil.example/"}, 403, "INVALID_CALLBACK_URL"},
		{map[string]any{"provider": "idp", "errorCallbackURL": "https://evil.example/"}, 403, "INVALID_ERROR_CALLBACK_URL"},
		{map[string]any{"provider": "idp", "newUserCallbackURL": "https://evil.example/"}, 403, "INVALID_NEW_USER_CALLBACK_URL"},
		{map[string]any{"provider": "idp", "callbackURL": "javascript:alert(1)"}, 403, "INVALID_CALLBACK_URL"},
	} {
		r := newBrowser(t, h).post("/sign-in/social", c.body)
		wantError(t, r, c.status, c.code)
		wantNoCookies(t, r)
	}
	wantUnchanged(t, h, before)
}

func TestOAuthCallbackFailures(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	errorPage := origin + base + "/error"
	// No state at all.
	r := newBrowser(t, h).get("/callback/idp?code=x")
	if r.Status != http.StatusFound || r.Header.Get("Location") != errorPage+"?error=state_not_found" {
		t.Fatalf("no state: %d %q", r.Status, r.Header.Get("Location"))
	}
	// The flow's state, but another browser (no state cookie): state_mismatch, to the flow's error URL.
	a := newBrowser(t, h)
	cb, err := idp.Authorize(a.socialStart("/sign-in/social", map[string]any{"provider": "idp", "errorCallbackURL": "/oops"}))
	if err != nil {
		t.Fatal(err)
	}
	r = newBrowser(t, h).do(http.MethodGet, pathOf(t, cb.String()), nil)
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/oops?error=state_mismatch" {
		t.Fatalf("no state cookie: %d %q", r.Status, r.Header.Get("Location"))
	}
	wantNoCookies(t, r)
	// The provider's own error, with its description.
	b := newBrowser(t, h)
	idp.DenyNext("access_denied")
	r = b.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp", "errorCallbackURL": "/oops"})
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != http.StatusFound || loc.Path != "/oops" || loc.Query().Get("error") != "access_denied" || loc.Query().Get("error_description") == "" {
		t.Fatalf("provider error: %d %q", r.Status, r.Header.Get("Location"))
	}
	// No code; and a code the provider does not know.
	c := newBrowser(t, h)
	state := mustQuery(t, c.socialStart("/sign-in/social", map[string]any{"provider": "idp"}), "state")
	if r := c.get("/callback/idp?state=" + state); r.Header.Get("Location") != errorPage+"?error=no_code" {
		t.Fatalf("no code: %q", r.Header.Get("Location"))
	}
	state = mustQuery(t, c.socialStart("/sign-in/social", map[string]any{"provider": "idp"}), "state")
	if r := c.get("/callback/idp?code=forged&state=" + state); r.Header.Get("Location") != errorPage+"?error=invalid_code" {
		t.Fatalf("forged code: %q", r.Header.Get("Location"))
	}
	// A state started for one provider does not complete at another path.
	state = mustQuery(t, c.socialStart("/sign-in/social", map[string]any{"provider": "idp"}), "state")
	if r := c.get("/callback/other?code=x&state=" + state); r.Header.Get("Location") != errorPage+"?error=oauth_provider_not_found" {
		t.Fatalf("other provider: %q", r.Header.Get("Location"))
	}
	// A replayed callback finds its state used up.
	d := newBrowser(t, h)
	cb, err = idp.Authorize(d.socialStart("/sign-in/social", map[string]any{"provider": "idp"}))
	if err != nil {
		t.Fatal(err)
	}
	saved := d.cookies["better-auth.state"]
	if r := d.do(http.MethodGet, pathOf(t, cb.String()), nil); strings.Contains(r.Header.Get("Location"), "error") {
		t.Fatalf("first callback: %q", r.Header.Get("Location"))
	}
	replay := newBrowser(t, h)
	replay.cookies["better-auth.state"] = saved
	if r := replay.do(http.MethodGet, pathOf(t, cb.String()), nil); !strings.Contains(r.Header.Get("Location"), "?error=") || replay.cookies["better-auth.session_token"] != "" {
		t.Fatalf("replayed callback: %q", r.Header.Get("Location"))
	}
	// Nothing but the one successful flow signed anybody in.
	if h.Count(`SELECT count(*) FROM betterauth.session`) != 1 {
		t.Fatalf("%d sessions, want 1", h.Count(`SELECT count(*) FROM betterauth.session`))
	}
	// A parameter given twice is a 400.
	wantError(t, newBrowser(t, h).get("/callback/idp?code=a&code=b&state=x"), http.StatusBadRequest, "VALIDATION_ERROR")
}

func TestOAuthCallbackPost(t *testing.T) {
	t.Parallel()
	h, _ := idpHarness(t, gus)
	// A form post (Apple's form_post) becomes the GET callback; fields other than the known ones are dropped.
	r := newBrowser(t, h).send(http.MethodPost, base+"/callback/idp?iss=https%3A%2F%2Fquery.example",
		"code=c1&state=s1&id_token=secret-id-token&user=%7B%7D&iss=https%3A%2F%2Fbody.example", "application/x-www-form-urlencoded")
	if r.Status != http.StatusFound || len(r.Body) != 0 {
		t.Fatalf("form callback: %d %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != origin+base+"/callback/idp" {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("code") != "c1" || q.Get("state") != "s1" || q.Get("user") != "{}" || q.Has("id_token") ||
		q.Get("iss") != "https://query.example" { // the query wins over the body
		t.Fatalf("query %v", q)
	}
	wantNoCookies(t, r)
	// Without a body: the query alone.
	r = newBrowser(t, h).do(http.MethodPost, base+"/callback/idp?code=c2&state=s2", nil)
	if loc, _ := url.Parse(r.Header.Get("Location")); r.Status != http.StatusFound || loc.Query().Get("code") != "c2" || loc.Query().Get("state") != "s2" {
		t.Fatalf("bodiless callback: %d %q", r.Status, r.Header.Get("Location"))
	}
	// The provider id is escaped into the path.
	r = newBrowser(t, h).do(http.MethodPost, base+"/callback/a%20b", map[string]any{"code": "c3"})
	if r.Status != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), origin+base+"/callback/a%20b?") {
		t.Fatalf("escaped provider: %d %q", r.Status, r.Header.Get("Location"))
	}
	if h.Count(`SELECT count(*) FROM betterauth.verification`)+h.Count(`SELECT count(*) FROM betterauth.session`) != 0 {
		t.Fatal("the POST callback did work of its own")
	}
}

func mustQuery(t *testing.T, raw, key string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Query().Get(key) == "" {
		t.Fatalf("%s has no %s", raw, key)
	}
	return u.Query().Get(key)
}

// reservedAuthParamsMessage is Better Auth's refusal of additionalParams with a reserved key.
const reservedAuthParamsMessage = "[body.additionalParams] additionalParams cannot include reserved OAuth parameters: " +
	"state, client_id, redirect_uri, response_type, code_challenge, code_challenge_method, nonce, scope"

// reservedAuthParams are Better Auth's RESERVED_AUTHORIZATION_PARAMS.
var reservedAuthParams = []string{"state", "client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "nonce", "scope"}

// wantReservedParamsRefused checks Better Auth's answer to additionalParams with a reserved key.
func wantReservedParamsRefused(t *testing.T, r *handlertest.Response) {
	t.Helper()
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	var body struct{ Message string }
	r.Decode(t, &body)
	if body.Message != reservedAuthParamsMessage {
		t.Fatalf("message %q", body.Message)
	}
	wantNoCookies(t, r)
}

func TestSocialSignInAdditionalParams(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	// Extra keys reach the authorization URL; they override login_hint (not reserved), as in Better Auth.
	authURL := a.socialStart("/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home", "loginHint": "gus@example.com",
		"additionalParams": map[string]any{"prompt": "select_account", "hd": "example.com", "login_hint": "other@example.com"}})
	q, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"prompt": "select_account", "hd": "example.com", "login_hint": "other@example.com"} {
		if got := q.Query()[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q (%s)", k, got, v, authURL)
		}
	}
	// The flow completes with them.
	cb, err := idp.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.do(http.MethodGet, pathOf(t, cb.String()), nil); r.Status != http.StatusFound || r.Header.Get("Location") != "/home" {
		t.Fatalf("callback: %d %q", r.Status, r.Header.Get("Location"))
	}
	// Reserved keys are refused before anything else (Better Auth's body schema): with an id
	// token, for an unknown provider, and whatever the value.
	before := dbState(t, h)
	for _, k := range reservedAuthParams {
		t.Run(k, func(t *testing.T) {
			wantReservedParamsRefused(t, newBrowser(t, h).post("/sign-in/social",
				map[string]any{"provider": "idp", "additionalParams": map[string]any{"prompt": "none", k: "x"}}))
		})
	}
	tok := idp.IDToken(gus, idp.ClientID(), "")
	wantReservedParamsRefused(t, newBrowser(t, h).post("/sign-in/social",
		map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}, "additionalParams": map[string]any{"nonce": ""}}))
	wantReservedParamsRefused(t, newBrowser(t, h).post("/sign-in/social",
		map[string]any{"provider": "nope", "additionalParams": map[string]any{"state": "s"}}))
	wantUnchanged(t, h, before)
}

// TestOAuthCallbackStates checks the callback's answers for a state that does not fit, as Better
// Auth's parseGenericState gives them: always state_mismatch.
func TestOAuthCallbackStates(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	errorPage := origin + base + "/error"
	// An unknown state, without a state cookie and with one: the /error page, no cookie touched.
	for i := range 2 {
		b := newBrowser(t, h)
		if i == 1 {
			b.socialStart("/sign-in/social", map[string]any{"provider": "idp"})
		}
		r := b.get("/callback/idp?code=x&state=unknown")
		if r.Status != http.StatusFound || r.Header.Get("Location") != errorPage+"?error=state_mismatch" {
			t.Fatalf("unknown state: %d %q", r.Status, r.Header.Get("Location"))
		}
		wantNoCookies(t, r)
	}
	// A browser whose state cookie is another flow's: the flow's error URL; the state stays, so
	// the browser that started the flow still completes it.
	a, b := newBrowser(t, h), newBrowser(t, h)
	cb, err := idp.Authorize(a.socialStart("/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home", "errorCallbackURL": "/oops"}))
	if err != nil {
		t.Fatal(err)
	}
	b.socialStart("/sign-in/social", map[string]any{"provider": "idp"})
	r := b.do(http.MethodGet, pathOf(t, cb.String()), nil)
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/oops?error=state_mismatch" {
		t.Fatalf("another flow's cookie: %d %q", r.Status, r.Header.Get("Location"))
	}
	wantNoCookies(t, r)
	if r := a.do(http.MethodGet, pathOf(t, cb.String()), nil); r.Status != http.StatusFound || r.Header.Get("Location") != "/home" {
		t.Fatalf("the flow's own browser after a refused callback: %d %q", r.Status, r.Header.Get("Location"))
	}
	// An expired state, with the right cookie.
	c := newBrowser(t, h)
	cb, err = idp.Authorize(c.socialStart("/sign-in/social", map[string]any{"provider": "idp", "errorCallbackURL": "/oops"}))
	if err != nil {
		t.Fatal(err)
	}
	h.Exec(`UPDATE betterauth.verification SET "expiresAt" = now() - interval '1 second' WHERE identifier = $1`,
		"oauth-state:"+hashHex(cb.Query().Get("state")))
	r = c.do(http.MethodGet, pathOf(t, cb.String()), nil)
	if r.Status != http.StatusFound || r.Header.Get("Location") != errorPage+"?error=state_mismatch" || c.cookies["better-auth.session_token"] != "" {
		t.Fatalf("expired state: %d %q", r.Status, r.Header.Get("Location"))
	}
	if h.Count(`SELECT count(*) FROM betterauth.session`) != 1 {
		t.Fatal("a refused callback signed someone in")
	}
}
