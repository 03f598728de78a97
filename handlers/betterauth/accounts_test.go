package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

// socialUser signs gus up through the provider in a new browser and returns it with the idp account.
func socialUser(t *testing.T, idp *oidctest.Server, b *browser) account {
	t.Helper()
	if r := b.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home"}); r.Header.Get("Location") != "/home" {
		t.Fatalf("social sign-in: %d %q", r.Status, r.Header.Get("Location"))
	}
	return b.accountOf("idp")
}

// userInfoStatus asks the provider's user info endpoint about accessToken.
func userInfoStatus(t *testing.T, idp *oidctest.Server, accessToken string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, idp.URL()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type accessToken struct {
	AccessToken           string   `json:"accessToken"`
	AccessTokenExpiresAt  *string  `json:"accessTokenExpiresAt"`
	RefreshToken          string   `json:"refreshToken"`
	RefreshTokenExpiresAt *string  `json:"refreshTokenExpiresAt"`
	Scopes                []string `json:"scopes"`
	Scope                 *string  `json:"scope"`
	IDToken               *string  `json:"idToken"`
	ProviderID            string   `json:"providerId"`
	AccountID             string   `json:"accountId"`
}

func TestListAccounts(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, oidctest.User{Sub: "sub-1", Email: "gus@example.com", EmailVerified: true, Name: "Gus"})
	a := newBrowser(t, h)
	var accounts []struct {
		ID         string   `json:"id"`
		ProviderID string   `json:"providerId"`
		AccountID  string   `json:"accountId"`
		Scopes     []string `json:"scopes"`
	}
	socialUser(t, idp, a)
	a.get("/list-accounts").Decode(t, &accounts)
	if len(accounts) != 1 || accounts[0].ProviderID != "idp" || accounts[0].AccountID != "sub-1" {
		t.Fatalf("accounts %+v", accounts)
	}
	// Scopes come split from the stored comma-separated scope.
	if got := accounts[0].Scopes; strings.Join(got, " ") != "openid email profile" {
		t.Fatalf("scopes %q", got)
	}
	// A password user's account: credential, accountId = user id, no scopes; no secret is ever shown.
	b := newBrowser(t, h)
	id := b.signUp("hal@example.com", "correct horse", nil).User.ID
	r := b.get("/list-accounts")
	var list []account
	r.Decode(t, &list)
	if r.Status != http.StatusOK || len(list) != 1 || list[0].ProviderID != "credential" || list[0].AccountID != id || list[0].UserID != id ||
		list[0].Scopes == nil || len(list[0].Scopes) != 0 || !id32.MatchString(list[0].ID) || !jsDate.MatchString(list[0].CreatedAt) {
		t.Fatalf("credential account: %s", r.Body)
	}
	for _, secret := range []string{"password", "accessToken", "refreshToken", "idToken", "argon2"} {
		if strings.Contains(string(r.Body), secret) || strings.Contains(string(a.get("/list-accounts").Body), secret) {
			t.Fatalf("list-accounts shows %s", secret)
		}
	}
	wantError(t, newBrowser(t, h).get("/list-accounts"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestUnlinkAccount(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	id := socialUser(t, idp, a).ID
	stranger := newBrowser(t, h)
	strangerAccount := func() string { return stranger.accountOf("credential").ID }
	stranger.signUp("zed@example.com", "correct horse", nil)
	// The only account cannot go, whatever the id.
	wantError(t, a.post("/unlink-account", map[string]any{"accountId": id}), 400, "FAILED_TO_UNLINK_LAST_ACCOUNT")
	wantError(t, a.post("/unlink-account", map[string]any{"accountId": "nope"}), 400, "FAILED_TO_UNLINK_LAST_ACCOUNT")
	// With a second identity linked.
	tok := idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")
	a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}})
	before := dbState(t, h)
	wantError(t, a.post("/unlink-account", map[string]any{"accountId": "nope"}), 400, "ACCOUNT_NOT_FOUND")
	wantError(t, a.post("/unlink-account", map[string]any{"accountId": strangerAccount()}), 400, "ACCOUNT_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/unlink-account", map[string]any{"accountId": id}), http.StatusUnauthorized, "UNAUTHORIZED")
	// A session older than a day may not unlink.
	h.Exec(`UPDATE betterauth.session SET "createdAt" = "createdAt" - interval '2 days' WHERE token = $1`, hashHex(a.token()))
	wantError(t, a.post("/unlink-account", map[string]any{"accountId": id}), http.StatusForbidden, "SESSION_NOT_FRESH")
	h.Exec(`UPDATE betterauth.session SET "createdAt" = "createdAt" + interval '2 days' WHERE token = $1`, hashHex(a.token()))
	wantUnchanged(t, h, before)
	r := a.post("/unlink-account", map[string]any{"accountId": id})
	if r.Status != 200 {
		t.Fatalf("unlink-account: %d %s", r.Status, r.Body)
	}
	wantJSON(t, r, `{"status":true}`)
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE id = $1`, id) != 0 || len(a.accounts()) != 1 || a.accounts()[0].AccountID != "sub-2" {
		t.Fatal("the account was not removed")
	}
	if a.session() == nil || stranger.session() == nil {
		t.Fatal("unlinking ended a session")
	}
}

func TestGetAccessToken(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	acct := socialUser(t, idp, a)
	r := a.post("/get-access-token", map[string]any{"accountId": acct.ID})
	if r.Status != 200 || !strings.Contains(string(r.Body), "accessToken") {
		t.Fatalf("get-access-token: %d %s", r.Status, r.Body)
	}
	var at accessToken
	r.Decode(t, &at)
	if at.AccessToken == "" || userInfoStatus(t, idp, at.AccessToken) != http.StatusOK || at.AccessTokenExpiresAt == nil ||
		!jsDate.MatchString(*at.AccessTokenExpiresAt) || strings.Join(at.Scopes, " ") != "openid email profile" || at.IDToken == nil {
		t.Fatalf("get-access-token: %s", r.Body)
	}
	if strings.Contains(string(r.Body), "refreshToken") {
		t.Fatal("get-access-token shows the refresh token")
	}
	// A token that has not expired is returned as is.
	var again accessToken
	a.post("/get-access-token", map[string]any{"accountId": acct.ID}).Decode(t, &again)
	if again.AccessToken != at.AccessToken {
		t.Fatal("a live token was refreshed")
	}
	// One that expires within five seconds is refreshed first, and the new tokens are stored.
	sealed := dbString(t, h, `SELECT "accessToken" FROM betterauth.account WHERE id = $1`, acct.ID)
	h.Exec(`UPDATE betterauth.account SET "accessTokenExpiresAt" = now() + interval '2 seconds' WHERE id = $1`, acct.ID)
	var fresh accessToken
	r = a.post("/get-access-token", map[string]any{"accountId": acct.ID})
	r.Decode(t, &fresh)
	if r.Status != http.StatusOK || fresh.AccessToken == at.AccessToken || userInfoStatus(t, idp, fresh.AccessToken) != http.StatusOK {
		t.Fatalf("expiring token not refreshed: %s", r.Body)
	}
	exp, _ := time.Parse(time.RFC3339, *fresh.AccessTokenExpiresAt)
	if time.Until(exp) < 50*time.Minute {
		t.Fatalf("refreshed token expires at %s", exp)
	}
	if dbString(t, h, `SELECT "accessToken" FROM betterauth.account WHERE id = $1`, acct.ID) == sealed {
		t.Fatal("the refreshed token was not stored")
	}
}

func TestGetAccessTokenRefusals(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	socialUser(t, idp, a)
	b := newBrowser(t, h)
	b.signUp("hal@example.com", "correct horse", nil)
	before := dbState(t, h)
	for _, c := range []struct {
		name   string
		b      *browser
		body   map[string]any
		status int
		code   string
	}{
		{"no session", newBrowser(t, h), map[string]any{"accountId": a.accountOf("idp").ID}, 401, "UNAUTHORIZED"},
		{"unknown account", a, map[string]any{"accountId": "nope"}, 400, "ACCOUNT_NOT_FOUND"},
		{"another user's account", b, map[string]any{"accountId": a.accountOf("idp").ID}, 400, "ACCOUNT_NOT_FOUND"},
		{"the password account", b, map[string]any{"accountId": b.accountOf("credential").ID}, 400, "PROVIDER_NOT_SUPPORTED"},
		{"account cookie", a, map[string]any{"useAccountCookie": true}, 400, "ACCOUNT_NOT_FOUND"},
		{"userId is ignored", b, map[string]any{"accountId": a.accountOf("idp").ID, "userId": a.session().User.ID}, 400, "ACCOUNT_NOT_FOUND"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, c.b.post("/get-access-token", c.body), c.status, c.code)
		})
	}
	wantUnchanged(t, h, before)
	// An expiring token whose refresh the provider refuses: Better Auth's getValidAccessToken
	// answers FAILED_TO_GET_ACCESS_TOKEN (not refresh-token's FAILED_TO_REFRESH_ACCESS_TOKEN).
	acct := a.accountOf("idp").ID
	idp.RevokeAll()
	h.Exec(`UPDATE betterauth.account SET "accessTokenExpiresAt" = now() WHERE id = $1`, acct)
	before = dbState(t, h)
	r := a.post("/get-access-token", map[string]any{"accountId": acct})
	wantError(t, r, http.StatusBadRequest, "FAILED_TO_GET_ACCESS_TOKEN")
	var body struct{ Message string }
	r.Decode(t, &body)
	if body.Message != "Failed to get a valid access token" {
		t.Fatalf("message %q", body.Message)
	}
	wantUnchanged(t, h, before)
}

func TestRefreshToken(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	acct := socialUser(t, idp, a)
	var before accessToken
	a.post("/get-access-token", map[string]any{"accountId": acct.ID}).Decode(t, &before)
	stored := dbString(t, h, `SELECT "refreshToken" FROM betterauth.account WHERE id = $1`, acct.ID)
	r := a.post("/refresh-token", map[string]any{"accountId": acct.ID})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"providerId":"idp"`) {
		t.Fatalf("refresh-token: %d %s", r.Status, r.Body)
	}
	var rt accessToken
	r.Decode(t, &rt)
	if rt.AccessToken == "" || rt.AccessToken == before.AccessToken || userInfoStatus(t, idp, rt.AccessToken) != http.StatusOK ||
		!strings.HasPrefix(rt.RefreshToken, "rt-") || rt.ProviderID != "idp" || rt.AccountID != acct.ID ||
		rt.AccessTokenExpiresAt == nil || !jsDate.MatchString(*rt.AccessTokenExpiresAt) || rt.Scope == nil || *rt.Scope != "openid,email,profile" {
		t.Fatalf("refresh-token: %s", r.Body)
	}
	// The new tokens are stored (sealed); the provider rotated the refresh token, so the old one is dead.
	if now := dbString(t, h, `SELECT "refreshToken" FROM betterauth.account WHERE id = $1`, acct.ID); now == stored || !strings.HasPrefix(now, "sealed.v1:") {
		t.Fatal("the rotated refresh token was not stored sealed")
	}
	var next accessToken
	a.post("/refresh-token", map[string]any{"accountId": acct.ID}).Decode(t, &next)
	if next.RefreshToken == rt.RefreshToken || next.AccessToken == rt.AccessToken {
		t.Fatal("a second refresh did not use the stored, rotated token")
	}
}

func TestRefreshTokenRefusals(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	acct := socialUser(t, idp, a)
	// An identity linked with an id token alone has no refresh token.
	tok := idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")
	a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}})
	var linked string
	for _, x := range a.accounts() {
		if x.AccountID == "sub-2" {
			linked = x.ID
		}
	}
	b := newBrowser(t, h)
	b.signUp("hal@example.com", "correct horse", nil)
	before := dbState(t, h)
	wantError(t, newBrowser(t, h).post("/refresh-token", map[string]any{"accountId": acct.ID}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, a.post("/refresh-token", map[string]any{"accountId": "nope"}), 400, "ACCOUNT_NOT_FOUND")
	wantError(t, b.post("/refresh-token", map[string]any{"accountId": acct.ID}), 400, "ACCOUNT_NOT_FOUND")
	wantError(t, b.post("/refresh-token", map[string]any{"accountId": b.accountOf("credential").ID}), 400, "PROVIDER_NOT_SUPPORTED")
	wantError(t, a.post("/refresh-token", map[string]any{"useAccountCookie": true}), 400, "ACCOUNT_NOT_FOUND")
	wantError(t, a.post("/refresh-token", map[string]any{"accountId": linked}), 400, "REFRESH_TOKEN_NOT_FOUND")
	// The provider refuses: every token it issued is revoked.
	idp.RevokeAll()
	wantError(t, a.post("/refresh-token", map[string]any{"accountId": acct.ID}), 400, "FAILED_TO_REFRESH_ACCESS_TOKEN")
	wantUnchanged(t, h, before)
}

func TestAccountInfo(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	acct := socialUser(t, idp, a)
	r := a.get("/account-info?accountId=" + acct.ID)
	if r.Status != 200 || !strings.Contains(string(r.Body), "gus@example.com") {
		t.Fatalf("account-info: %d %s", r.Status, r.Body)
	}
	var info struct {
		User    map[string]any `json:"user"`
		Data    map[string]any `json:"data"`
		Account map[string]any `json:"account"`
	}
	r.Decode(t, &info)
	// user is the mapped profile as Better Auth's providers give it (no id); data the provider's
	// raw profile, here its user info claims as they came.
	wantMap(t, "user", info.User, map[string]any{"name": "Gus", "email": "gus@example.com", "image": gus.Picture, "emailVerified": true})
	wantMap(t, "data", info.Data, map[string]any{"sub": "sub-1", "name": "Gus", "email": "gus@example.com", "email_verified": true, "picture": gus.Picture})
	if info.Account["id"] != acct.ID || info.Account["providerId"] != "idp" || info.Account["accountId"] != "sub-1" || len(info.Account) != 3 {
		t.Fatalf("account %v", info.Account)
	}
	wantNoCookies(t, r)
	// The access token is refreshed first when it is about to expire.
	idp.ExpireAccessTokens()
	h.Exec(`UPDATE betterauth.account SET "accessTokenExpiresAt" = now() WHERE id = $1`, acct.ID)
	if r := a.get("/account-info?accountId=" + acct.ID); r.Status != http.StatusOK {
		t.Fatalf("account-info with an expired token: %d %s", r.Status, r.Body)
	}
}

// wantMap checks that got has exactly the entries of want.
func wantMap(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s %v, want %v", what, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s.%s = %v, want %v (%v)", what, k, got[k], v, got)
		}
	}
}

func TestAccountInfoGitHub(t *testing.T) {
	t.Parallel()
	idp := oidctest.New(t)
	idp.SetUser(oidctest.User{Sub: "583231", Email: "octo@example.com", EmailVerified: true, Name: "The Octocat", Login: "octocat",
		Picture: "https://avatars.example/583231"})
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.Providers = []oauth.Config{idp.GitHubConfig("github")} })
	a := newBrowser(t, h)
	if r := a.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "github", "callbackURL": "/home"}); r.Header.Get("Location") != "/home" {
		t.Fatalf("github sign-in: %d %q", r.Status, r.Header.Get("Location"))
	}
	r := a.get("/account-info?accountId=" + a.accountOf("github").ID)
	var info struct {
		User map[string]any `json:"user"`
		Data map[string]any `json:"data"`
	}
	r.Decode(t, &info)
	if r.Status != http.StatusOK {
		t.Fatalf("account-info: %d %s", r.Status, r.Body)
	}
	wantMap(t, "user", info.User, map[string]any{"name": "The Octocat", "email": "octo@example.com", "image": "https://avatars.example/583231", "emailVerified": true})
	// data is GitHub's /user object, its hidden address filled in from /user/emails.
	if info.Data["login"] != "octocat" || info.Data["id"] != float64(583231) || info.Data["email"] != "octo@example.com" ||
		info.Data["avatar_url"] != "https://avatars.example/583231" || info.Data["type"] != "User" || info.Data["emailVerified"] != nil {
		t.Fatalf("data %v", info.Data)
	}
}

func TestAccountInfoRefusals(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	acct := socialUser(t, idp, a)
	b := newBrowser(t, h)
	b.signUp("hal@example.com", "correct horse", nil)
	before := dbState(t, h)
	wantError(t, newBrowser(t, h).get("/account-info?accountId="+acct.ID), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, a.get("/account-info"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, a.get("/account-info?accountId=nope"), http.StatusBadRequest, "ACCOUNT_NOT_FOUND")
	wantError(t, b.get("/account-info?accountId="+acct.ID), http.StatusBadRequest, "ACCOUNT_NOT_FOUND")
	wantError(t, b.get("/account-info?accountId="+acct.ID+"&userId="+a.session().User.ID), http.StatusBadRequest, "ACCOUNT_NOT_FOUND")
	// The password account has no provider.
	wantError(t, b.get("/account-info?accountId="+b.accountOf("credential").ID), http.StatusBadRequest, "PROVIDER_NOT_CONFIGURED")
	wantUnchanged(t, h, before)
	// An identity linked with an id token alone has no access token.
	a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{
		"token": idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")}})
	var linked string
	for _, x := range a.accounts() {
		if x.AccountID == "sub-2" {
			linked = x.ID
		}
	}
	before = dbState(t, h)
	wantError(t, a.get("/account-info?accountId="+linked), http.StatusBadRequest, "ACCESS_TOKEN_NOT_FOUND")
	// The provider no longer knows the token: no profile.
	idp.RevokeAll()
	wantError(t, a.get("/account-info?accountId="+acct.ID), http.StatusUnauthorized, "FAILED_TO_GET_USER_INFO")
	wantUnchanged(t, h, before)
	// An expiring token whose refresh fails.
	h.Exec(`UPDATE betterauth.account SET "accessTokenExpiresAt" = now() WHERE id = $1`, acct.ID)
	before = dbState(t, h)
	wantError(t, a.get("/account-info?accountId="+acct.ID), http.StatusBadRequest, "FAILED_TO_GET_ACCESS_TOKEN")
	wantUnchanged(t, h, before)
}
