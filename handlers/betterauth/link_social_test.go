package betterauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/handlers/internal/oauth/oidctest"
)

func TestLinkSocialWithAnIDToken(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	id := a.signUp("gus@example.com", "correct horse", nil).User.ID
	tok := idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")
	// An ID token the client holds links a second identity at once.
	r := a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}})
	if r.Status != 200 {
		t.Fatalf("link-social: %d %s", r.Status, r.Body)
	}
	wantJSON(t, r, `{"url":"","status":true,"redirect":false}`)
	wantNoCookies(t, r)
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "providerId" = 'idp' AND "accountId" = 'sub-2' AND "idToken" = $2`, id, tok) != 1 {
		t.Fatal("no linked account holding the id token")
	}
	// Linking it again is fine (its tokens are updated), and adds no account.
	tok2 := idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "n")
	wantJSON(t, a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok2, "nonce": "n"}}),
		`{"url":"","status":true,"redirect":false}`)
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "accountId" = 'sub-2' AND "idToken" = $1`, tok2) != 1 ||
		h.Count(`SELECT count(*) FROM betterauth.account`) != 2 {
		t.Fatal("relinking added an account or kept the old token")
	}
	// The linked identity now signs in as this user.
	b := newBrowser(t, h)
	b.post("/sign-in/social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}})
	if s := b.session(); s == nil || s.User.ID != id {
		t.Fatal("the linked identity does not sign in as the user")
	}
}

func TestLinkSocialThroughTheProvider(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	id := a.signUp("gus@example.com", "correct horse", nil).User.ID
	tok := a.token()
	if r := a.post("/link-social", map[string]any{"provider": "idp", "callbackURL": "/linked"}); r.Status != 200 {
		t.Fatalf("link-social redirect: %d %s", r.Status, r.Body)
	}
	r := a.socialFlow(idp, "/link-social", map[string]any{"provider": "idp", "callbackURL": "/linked"})
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/linked" {
		t.Fatalf("link callback: %d %q", r.Status, r.Header.Get("Location"))
	}
	// Linked to the signed-in user, who stays in the same session.
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "providerId" = 'idp' AND "accountId" = 'sub-1'
		AND "accessToken" LIKE 'sealed.v1:%'`, id) != 1 {
		t.Fatal("account not linked")
	}
	if s := a.session(); s == nil || s.Session.Token != tok || h.Count(`SELECT count(*) FROM betterauth.session`) != 1 {
		t.Fatal("linking started a new session")
	}
	// disableRedirect: the URL without Location.
	r = a.post("/link-social", map[string]any{"provider": "idp", "disableRedirect": true})
	if r.Status != http.StatusOK || r.Header.Get("Location") != "" || !strings.Contains(string(r.Body), `"redirect":false`) ||
		!strings.Contains(string(r.Body), idp.URL()+"/authorize?") {
		t.Fatalf("disableRedirect: %d %v %s", r.Status, r.Header, r.Body)
	}
}

func TestLinkSocialCallbackFailures(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	owner := newBrowser(t, h)
	owner.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp"}) // sub-1 belongs to gus
	a := newBrowser(t, h)
	a.signUp("hal@example.com", "correct horse", nil)
	// The provider's identity belongs to another user (its address at the provider is now hal's).
	idp.SetUser(oidctest.User{Sub: "sub-1", Email: "hal@example.com", EmailVerified: true})
	r := a.socialFlow(idp, "/link-social", map[string]any{"provider": "idp", "callbackURL": "/linked", "errorCallbackURL": "/oops"})
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/oops?error=account_already_linked_to_different_user" {
		t.Fatalf("taken identity: %d %q", r.Status, r.Header.Get("Location"))
	}
	// The provider's address is not the user's.
	idp.SetUser(oidctest.User{Sub: "sub-9", Email: "other@example.com", EmailVerified: true})
	r = a.socialFlow(idp, "/link-social", map[string]any{"provider": "idp", "errorCallbackURL": "/oops"})
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/oops?error=email_does_not_match" {
		t.Fatalf("other address: %d %q", r.Status, r.Header.Get("Location"))
	}
	// The provider does not vouch for the address (even the user's own): unable_to_link_account,
	// checked before the address is compared.
	for _, u := range []oidctest.User{
		{Sub: "sub-8", Email: "hal@example.com", EmailVerified: false},
		{Sub: "sub-8", Email: "other@example.com", EmailVerified: false},
	} {
		idp.SetUser(u)
		r = a.socialFlow(idp, "/link-social", map[string]any{"provider": "idp", "errorCallbackURL": "/oops"})
		if r.Status != http.StatusFound || r.Header.Get("Location") != "/oops?error=unable_to_link_account" {
			t.Fatalf("unverified %s: %d %q", u.Email, r.Status, r.Header.Get("Location"))
		}
	}
	if len(a.accounts()) != 1 {
		t.Fatal("a refused link stored an account")
	}
}

func TestLinkSocialRefusals(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	owner := newBrowser(t, h)
	owner.signUp("gus@example.com", "correct horse", nil)
	taken := idp.IDToken(oidctest.User{Sub: "sub-taken", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")
	owner.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": taken}})
	a := newBrowser(t, h)
	a.signUp("ivy@example.com", "correct horse", nil)
	// The identity is gus's, though the provider now gives it ivy's address.
	taken = idp.IDToken(oidctest.User{Sub: "sub-taken", Email: "ivy@example.com", EmailVerified: true}, idp.ClientID(), "")
	mine := idp.IDToken(oidctest.User{Sub: "sub-ivy", Email: "ivy@example.com", EmailVerified: true}, idp.ClientID(), "")
	takenElsewhere := idp.IDToken(oidctest.User{Sub: "sub-taken", Email: "zed@example.com", EmailVerified: false}, idp.ClientID(), "")
	elsewhere := idp.IDToken(oidctest.User{Sub: "sub-ivy", Email: "zed@example.com", EmailVerified: true}, idp.ClientID(), "")
	unverified := idp.IDToken(oidctest.User{Sub: "sub-ivy", Email: "ivy@example.com", EmailVerified: false}, idp.ClientID(), "")
	unverifiedElsewhere := idp.IDToken(oidctest.User{Sub: "sub-ivy", Email: "zed@example.com", EmailVerified: false}, idp.ClientID(), "")
	noEmail := idp.IDToken(oidctest.User{Sub: "sub-ivy"}, idp.ClientID(), "")
	before := dbState(t, h)
	for _, c := range []struct {
		name   string
		b      *browser
		body   map[string]any
		status int
		code   string
	}{
		{"no session", newBrowser(t, h), map[string]any{"provider": "idp"}, 401, "UNAUTHORIZED"},
		{"unknown provider", a, map[string]any{"provider": "nope"}, 404, "PROVIDER_NOT_FOUND"},
		{"unknown provider, id token", a, map[string]any{"provider": "nope", "idToken": map[string]any{"token": mine}}, 404, "PROVIDER_NOT_FOUND"},
		{"bad id token", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": "a.b.c"}}, 401, "INVALID_TOKEN"},
		{"foreign audience", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": idp.IDToken(gus, "x", "")}}, 401, "INVALID_TOKEN"},
		{"another user's identity", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": taken}}, 409, "SOCIAL_ACCOUNT_ALREADY_LINKED"},
		// Whose identity it is comes first, before the address is looked at.
		{"another user's identity, unverified elsewhere", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": takenElsewhere}}, 409, "SOCIAL_ACCOUNT_ALREADY_LINKED"},
		{"another address", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": elsewhere}}, 401, "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED"},
		{"unverified address", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": unverified}}, 401, "LINKING_NOT_ALLOWED"},
		{"unverified other address", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": unverifiedElsewhere}}, 401, "LINKING_NOT_ALLOWED"},
		{"no address", a, map[string]any{"provider": "idp", "idToken": map[string]any{"token": noEmail}}, 401, "USER_EMAIL_NOT_FOUND"},
		{"reserved additionalParams", a, map[string]any{"provider": "idp", "additionalParams": map[string]any{"redirect_uri": "https://evil.example/"}}, 400, "VALIDATION_ERROR"},
		{"reserved additionalParams, no session", newBrowser(t, h), map[string]any{"provider": "idp", "additionalParams": map[string]any{"code_challenge": "c"}}, 400, "VALIDATION_ERROR"},
		{"untrusted callbackURL", a, map[string]any{"provider": "idp", "callbackURL": "https://evil.example/"}, 403, "INVALID_CALLBACK_URL"},
		{"untrusted errorCallbackURL", a, map[string]any{"provider": "idp", "errorCallbackURL": "https://evil.example/"}, 403, "INVALID_ERROR_CALLBACK_URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.b.post("/link-social", c.body)
			wantError(t, r, c.status, c.code)
			wantNoCookies(t, r)
		})
	}
	wantUnchanged(t, h, before)
	// The address check is case-insensitive, and an identity already the user's is updated
	// whatever its address now says, as in Better Auth.
	wantJSON(t, a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{
		"token": idp.IDToken(oidctest.User{Sub: "sub-ivy", Email: "IVY@example.com", EmailVerified: true}, idp.ClientID(), "")}}),
		`{"url":"","status":true,"redirect":false}`)
	wantJSON(t, a.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": unverifiedElsewhere}}),
		`{"url":"","status":true,"redirect":false}`)
	if h.Count(`SELECT count(*) FROM betterauth.account WHERE "accountId" = 'sub-ivy' AND "idToken" = $1`, unverifiedElsewhere) != 1 {
		t.Fatal("the user's own identity was not updated")
	}
}

func TestLinkSocialAdditionalParams(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus)
	a := newBrowser(t, h)
	a.signUp("gus@example.com", "correct horse", nil)
	authURL := a.socialStart("/link-social", map[string]any{"provider": "idp", "callbackURL": "/linked",
		"additionalParams": map[string]any{"prompt": "consent", "access_type": "offline"}})
	u, err := url.Parse(authURL)
	if err != nil || u.Query().Get("prompt") != "consent" || u.Query().Get("access_type") != "offline" {
		t.Fatalf("authorization URL %s", authURL)
	}
	cb, err := idp.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.do(http.MethodGet, pathOf(t, cb.String()), nil); r.Status != http.StatusFound || r.Header.Get("Location") != "/linked" {
		t.Fatalf("link callback: %d %q", r.Status, r.Header.Get("Location"))
	}
	before := dbState(t, h)
	for _, k := range reservedAuthParams {
		t.Run(k, func(t *testing.T) {
			wantReservedParamsRefused(t, a.post("/link-social", map[string]any{"provider": "idp", "additionalParams": map[string]any{k: "x"}}))
		})
	}
	wantUnchanged(t, h, before)
}
