package oauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

func TestPKCE(t *testing.T) {
	// RFC 7636 Appendix B.
	if got := oauth.CodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("CodeChallenge = %q", got)
	}
	v1, c1 := oauth.PKCE()
	v2, _ := oauth.PKCE()
	if len(v1) < 43 || len(v1) > 128 || v1 == v2 {
		t.Errorf("verifiers %q, %q", v1, v2)
	}
	if c1 != oauth.CodeChallenge(v1) {
		t.Error("challenge is not S256 of the verifier")
	}
	if n := oauth.NewNonce(); len(n) != 43 || n == oauth.NewNonce() {
		t.Errorf("NewNonce = %q", n)
	}
}

func TestDiscoveryAndAuthURL(t *testing.T) {
	srv := oidctest.New(t)
	cfg := srv.Config("acme")
	cfg.AuthParams = map[string]string{"prompt": "consent"}
	p := newProvider(t, cfg)
	if p.ID() != "acme" || p.Kind() != oauth.KindOIDC || !p.SupportsIDTokens() {
		t.Errorf("ID, Kind, SupportsIDTokens = %q, %q, %v", p.ID(), p.Kind(), p.SupportsIDTokens())
	}
	if p.Issuer() != srv.Issuer() {
		t.Errorf("Issuer = %q, want %q", p.Issuer(), srv.Issuer())
	}
	if n := srv.Requests(oidctest.PathDiscovery); n != 1 {
		t.Errorf("%d discovery requests, want 1", n)
	}
	raw, err := p.AuthCodeURL(t.Context(), oauth.AuthRequest{
		State: "st", CodeChallenge: "ch", RedirectURI: callback, Nonce: "nn", LoginHint: "ada@example.test",
		Scopes: []string{"email", "offline_access"},
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	if got := u.Scheme + "://" + u.Host + u.Path; got != srv.Issuer()+oidctest.PathAuthorize {
		t.Errorf("authorization endpoint %s", got)
	}
	want := url.Values{
		"response_type": {"code"}, "client_id": {srv.ClientID()}, "redirect_uri": {callback},
		"scope": {"openid email profile offline_access"}, "state": {"st"}, "code_challenge": {"ch"},
		"code_challenge_method": {"S256"}, "nonce": {"nn"}, "login_hint": {"ada@example.test"}, "prompt": {"consent"},
	}
	if got := u.Query(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("query\n got %v\nwant %v", got, want)
	}
	if _, err := p.AuthCodeURL(t.Context(), oauth.AuthRequest{State: "st", RedirectURI: callback}); err == nil {
		t.Error("AuthCodeURL without a code challenge succeeded")
	}
	if n := srv.Requests(oidctest.PathDiscovery); n != 1 {
		t.Errorf("%d discovery requests after use, want 1", n)
	}
}

func TestAuthURLKeepsEndpointQuery(t *testing.T) {
	cfg := oauth.Config{
		ID: "x", Kind: oauth.KindOIDC, ClientID: "c", ClientSecret: "s", Issuer: "https://x.test",
		AuthURL:  "https://x.test/auth?tenant=a%20b&state=stale&x=%2F",
		TokenURL: "https://x.test/token", JWKSURL: "https://x.test/jwks",
		Scopes: []string{"openid", "groups"},
	}
	p := newProvider(t, cfg) // every endpoint given: no discovery
	raw, err := p.AuthCodeURL(t.Context(), oauth.AuthRequest{State: "new", CodeChallenge: "c", RedirectURI: callback})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "https://x.test/auth?tenant=a%20b&x=%2F&") {
		t.Errorf("URL %s does not keep the endpoint's own query as written", raw)
	}
	u, _ := url.Parse(raw)
	if q := u.Query(); q.Get("state") != "new" || len(q["state"]) != 1 || q.Get("scope") != "openid groups" {
		t.Errorf("query %v", q)
	}
}

func TestAuthURLParams(t *testing.T) {
	cfg := oauth.Config{
		ID: "x", Kind: oauth.KindOIDC, ClientID: "c", ClientSecret: "s", Issuer: "https://x.test",
		AuthURL: "https://x.test/auth", TokenURL: "https://x.test/token", JWKSURL: "https://x.test/jwks",
		AuthParams: map[string]string{"prompt": "consent", "access_type": "offline"},
	}
	p := newProvider(t, cfg)
	// A request's Params override the config's and login_hint; reserved ones are skipped.
	params := map[string]string{"prompt": "none", "hd": "example.test", "login_hint": "b@x.test"}
	for _, k := range oauth.ReservedParams {
		params[k] = "forged"
	}
	raw, err := p.AuthCodeURL(t.Context(), oauth.AuthRequest{State: "st", CodeChallenge: "ch", RedirectURI: callback,
		Nonce: "nn", LoginHint: "a@x.test", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	want := url.Values{
		"response_type": {"code"}, "client_id": {"c"}, "redirect_uri": {callback}, "scope": {"openid email profile"},
		"state": {"st"}, "code_challenge": {"ch"}, "code_challenge_method": {"S256"}, "nonce": {"nn"},
		"login_hint": {"b@x.test"}, "prompt": {"none"}, "access_type": {"offline"}, "hd": {"example.test"},
	}
	if got := u.Query(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("query\n got %v\nwant %v", got, want)
	}
}

func TestCodeFlow(t *testing.T) {
	srv := oidctest.New(t)
	user := oidctest.User{Sub: "u-42", Email: "Grace@Example.test", EmailVerified: true, Name: "Grace Hopper", Picture: "https://img.test/g.png"}
	srv.SetUser(user)
	p := newProvider(t, srv.Config("acme"))

	start := time.Now()
	tok, nonce := codeFlow(t, srv, p)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("tokens %+v", tok)
	}
	if tok.AccessTokenExpiresAt == nil || tok.AccessTokenExpiresAt.Sub(start) < 59*time.Minute || tok.AccessTokenExpiresAt.Sub(start) > 61*time.Minute {
		t.Errorf("access token expires at %v, want in an hour", tok.AccessTokenExpiresAt)
	}
	if tok.RefreshTokenExpiresAt != nil {
		t.Errorf("refresh token expires at %v, want no expiry", tok.RefreshTokenExpiresAt)
	}
	if !slices.Equal(tok.Scopes, []string{"openid", "email", "profile"}) {
		t.Errorf("scopes %v", tok.Scopes)
	}
	if got := srv.LastTokenAuth(); got != oauth.AuthBasic {
		t.Errorf("token endpoint auth %q, want basic", got)
	}
	ui, err := p.UserInfo(t.Context(), tok, nonce)
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	want := oauth.UserInfo{ID: "u-42", Email: "Grace@Example.test", EmailVerified: true, Name: "Grace Hopper", Image: "https://img.test/g.png"}
	if *ui != want {
		t.Errorf("UserInfo = %+v, want %+v", *ui, want)
	}
	if n := srv.Requests(oidctest.PathUserInfo); n != 0 {
		t.Errorf("%d user info requests, want 0 (the ID token has everything)", n)
	}
	if _, err := p.UserInfo(t.Context(), tok, "another-nonce"); !errors.Is(err, oauth.ErrInvalidIDToken) {
		t.Errorf("UserInfo with the wrong nonce: %v", err)
	}
	// The access token works at the user info endpoint.
	ui2, err := p.UserInfo(t.Context(), &oauth.Tokens{AccessToken: tok.AccessToken}, "")
	if err != nil || *ui2 != want {
		t.Errorf("UserInfo from the endpoint = %+v, %v", ui2, err)
	}
}

func TestCodeFlowRefusals(t *testing.T) {
	srv := oidctest.New(t)
	p := newProvider(t, srv.Config("acme"))

	begin := func() (code, verifier string) {
		verifier, challenge := oauth.PKCE()
		q := login(t, srv, p, oauth.AuthRequest{CodeChallenge: challenge})
		if q.Get("iss") != srv.Issuer() {
			t.Errorf("callback iss = %q, want %q", q.Get("iss"), p.Issuer())
		}
		return q.Get("code"), verifier
	}
	refused := func(t *testing.T, err error, status int, code string) {
		t.Helper()
		var te *oauth.TokenError
		if !errors.As(err, &te) || te.Status != status || te.Code != code || te.Op != "exchange" {
			t.Fatalf("error %v, want a %d %s TokenError", err, status, code)
		}
	}

	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := begin()
		other, _ := oauth.PKCE()
		_, err := p.Exchange(t.Context(), code, other, callback)
		refused(t, err, 400, "invalid_grant")
		if !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Error("not ErrInvalidGrant")
		}
	})
	t.Run("no verifier", func(t *testing.T) {
		code, _ := begin()
		_, err := p.Exchange(t.Context(), code, "", callback)
		refused(t, err, 400, "invalid_grant")
	})
	t.Run("other redirect URI", func(t *testing.T) {
		code, verifier := begin()
		_, err := p.Exchange(t.Context(), code, verifier, callback+"x")
		refused(t, err, 400, "invalid_grant")
	})
	t.Run("code used twice", func(t *testing.T) {
		code, verifier := begin()
		tok, err := p.Exchange(t.Context(), code, verifier, callback)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Exchange(t.Context(), code, verifier, callback)
		refused(t, err, 400, "invalid_grant")
		// The replay revoked what the code gave.
		if _, err := p.Refresh(t.Context(), tok.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Errorf("refresh after replay: %v", err)
		}
	})
	t.Run("unknown code", func(t *testing.T) {
		_, verifier := begin()
		_, err := p.Exchange(t.Context(), "nope", verifier, callback)
		refused(t, err, 400, "invalid_grant")
	})
	t.Run("empty code", func(t *testing.T) {
		_, err := p.Exchange(t.Context(), "", "v", callback)
		if !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		cfg := srv.Config("acme")
		cfg.ClientSecret = "wrong"
		bad := newProvider(t, cfg)
		code, verifier := begin()
		_, err := bad.Exchange(t.Context(), code, verifier, callback)
		refused(t, err, 401, "invalid_client")
		if errors.Is(err, oauth.ErrInvalidGrant) {
			t.Error("invalid_client is ErrInvalidGrant")
		}
	})
}

func TestAuthorizeErrors(t *testing.T) {
	srv := oidctest.New(t)
	p := newProvider(t, srv.Config("acme"))
	_, challenge := oauth.PKCE()

	srv.DenyNext("access_denied")
	q := login(t, srv, p, oauth.AuthRequest{CodeChallenge: challenge})
	if q.Get("error") != "access_denied" || q.Has("code") {
		t.Errorf("denied callback %v", q)
	}
	q = login(t, srv, p, oauth.AuthRequest{CodeChallenge: challenge})
	if q.Get("code") == "" {
		t.Errorf("DenyNext lasted: %v", q)
	}

	// Errors the provider can report to a valid redirect URI come back there.
	base := srv.Issuer() + oidctest.PathAuthorize + "?"
	valid := url.Values{
		"client_id": {srv.ClientID()}, "redirect_uri": {callback}, "response_type": {"code"}, "state": {"s1"},
		"scope": {"openid"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	with := func(k, v string) string {
		q := url.Values{}
		for kk, vv := range valid {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return base + q.Encode()
	}
	for _, tc := range []struct{ url, err string }{
		{with("code_challenge", ""), "invalid_request"},
		{with("code_challenge_method", "plain"), "invalid_request"},
		{with("response_type", "token"), "unsupported_response_type"},
	} {
		loc, err := srv.Authorize(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if q := loc.Query(); q.Get("error") != tc.err || q.Get("state") != "s1" || !strings.HasPrefix(loc.String(), callback+"?") {
			t.Errorf("%s: redirected to %s, want error %s", tc.url, loc, tc.err)
		}
	}
	// Without a valid client or redirect URI there is nowhere to redirect to.
	for _, u := range []string{with("client_id", "someone-else"), with("redirect_uri", ""), with("redirect_uri", "javascript:alert(1)")} {
		if loc, err := srv.Authorize(u); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: redirected to %v, %v; want a 400", u, loc, err)
		}
	}
}

func TestTokenEndpointAuthMethods(t *testing.T) {
	t.Run("post only", func(t *testing.T) {
		srv := oidctest.New(t, oidctest.WithTokenAuthMethods(oauth.AuthPost))
		p := newProvider(t, srv.Config("acme"))
		codeFlow(t, srv, p)
		if got := srv.LastTokenAuth(); got != oauth.AuthPost {
			t.Errorf("auth %q, want post", got)
		}
	})
	t.Run("basic with reserved characters", func(t *testing.T) {
		srv := oidctest.New(t, oidctest.WithClient("client:1", "s3cr+t/with:colon% and space"))
		p := newProvider(t, srv.Config("acme"))
		codeFlow(t, srv, p)
		if got := srv.LastTokenAuth(); got != oauth.AuthBasic {
			t.Errorf("auth %q, want basic", got)
		}
	})
	t.Run("configured method wins", func(t *testing.T) {
		srv := oidctest.New(t, oidctest.WithTokenAuthMethods(oauth.AuthBasic))
		cfg := srv.Config("acme")
		cfg.TokenAuthMethod = oauth.AuthPost
		p := newProvider(t, cfg)
		verifier, challenge := oauth.PKCE()
		q := login(t, srv, p, oauth.AuthRequest{CodeChallenge: challenge})
		var te *oauth.TokenError
		if _, err := p.Exchange(t.Context(), q.Get("code"), verifier, callback); !errors.As(err, &te) || te.Code != "invalid_client" {
			t.Errorf("post to a basic-only provider: %v", err)
		}
	})
}

func TestUserInfoEndpoint(t *testing.T) {
	srv := oidctest.New(t, oidctest.WithMinimalIDToken())
	p := newProvider(t, srv.Config("acme"))
	tok, nonce := codeFlow(t, srv, p)
	if ui, err := p.VerifyIDToken(t.Context(), tok.IDToken, nonce); err != nil || ui.Email != "" || ui.ID != oidctest.DefaultUser.Sub {
		t.Fatalf("minimal ID token gives %+v, %v", ui, err)
	}
	ui, err := p.UserInfo(t.Context(), tok, nonce)
	if err != nil {
		t.Fatal(err)
	}
	u := oidctest.DefaultUser
	want := oauth.UserInfo{ID: u.Sub, Email: u.Email, EmailVerified: true, Name: u.Name, Image: u.Picture}
	if *ui != want {
		t.Errorf("UserInfo = %+v, want %+v", *ui, want)
	}
	if n := srv.Requests(oidctest.PathUserInfo); n != 1 {
		t.Errorf("%d user info requests, want 1", n)
	}

	// A user info subject other than the ID token's is refused.
	other := srv.IDToken(oidctest.User{Sub: "someone-else"}, srv.ClientID(), "")
	if _, err := p.UserInfo(t.Context(), &oauth.Tokens{AccessToken: tok.AccessToken, IDToken: other}, ""); !errors.Is(err, oauth.ErrUserInfo) {
		t.Errorf("mismatched subjects: %v", err)
	}
	// A dead access token.
	srv.ExpireAccessTokens()
	if _, err := p.UserInfo(t.Context(), tok, nonce); !errors.Is(err, oauth.ErrUserInfo) {
		t.Errorf("expired access token: %v", err)
	}
	if _, err := p.UserInfo(t.Context(), &oauth.Tokens{}, ""); !errors.Is(err, oauth.ErrUserInfo) {
		t.Errorf("no tokens: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	srv := oidctest.New(t, oidctest.WithRefreshTokenTTL(30*24*time.Hour))
	p := newProvider(t, srv.Config("acme"))
	tok, _ := codeFlow(t, srv, p)
	if tok.RefreshTokenExpiresAt == nil || time.Until(*tok.RefreshTokenExpiresAt) < 29*24*time.Hour {
		t.Errorf("refresh token expires at %v", tok.RefreshTokenExpiresAt)
	}
	next, err := p.Refresh(t.Context(), tok.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.AccessToken == "" || next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Errorf("refreshed tokens %+v", next)
	}
	if next.AccessTokenExpiresAt == nil || next.IDToken == "" {
		t.Errorf("refreshed tokens %+v", next)
	}
	if ui, err := p.UserInfo(t.Context(), next, ""); err != nil || ui.ID != oidctest.DefaultUser.Sub {
		t.Errorf("UserInfo after refresh = %+v, %v", ui, err)
	}
	// Rotation: the old refresh token is spent.
	_, err = p.Refresh(t.Context(), tok.RefreshToken)
	var te *oauth.TokenError
	if !errors.As(err, &te) || te.Op != "refresh" || !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("reused refresh token: %v", err)
	}
	srv.RevokeAll()
	if _, err := p.Refresh(t.Context(), next.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("revoked refresh token: %v", err)
	}
	if _, err := p.Refresh(t.Context(), ""); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("empty refresh token: %v", err)
	}
}

// flaky is a transport that fails while down is set, counting requests.
type flaky struct {
	down  atomic.Bool
	calls atomic.Int32
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, errors.New("connection refused")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestLazyDiscovery(t *testing.T) {
	srv := oidctest.New(t)
	tr := &flaky{}
	tr.down.Store(true)
	p, err := oauth.New(t.Context(), &http.Client{Transport: tr, Timeout: 5 * time.Second}, srv.Config("acme"))
	if !errors.Is(err, oauth.ErrDiscovery) || !errors.Is(err, oauth.ErrUpstream) || p == nil {
		t.Fatalf("New = %v, %v; want a provider and ErrDiscovery", p, err)
	}
	clk := newClock()
	oauth.SetClock(p, clk.Now)
	if p.Issuer() != srv.Issuer() {
		t.Errorf("Issuer before discovery = %q", p.Issuer())
	}
	req := oauth.AuthRequest{State: "s", CodeChallenge: "c", RedirectURI: callback}

	// Within the retry interval the failure is remembered.
	if _, err := p.AuthCodeURL(t.Context(), req); !errors.Is(err, oauth.ErrDiscovery) {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	clk.Advance(oauth.DiscoveryRetry + time.Second)
	if _, err := p.AuthCodeURL(t.Context(), req); !errors.Is(err, oauth.ErrDiscovery) {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	if _, err := p.VerifyIDToken(t.Context(), "a.b.c", ""); !errors.Is(err, oauth.ErrDiscovery) {
		t.Fatalf("VerifyIDToken: %v", err)
	}
	if n := tr.calls.Load(); n != 2 {
		t.Errorf("%d discovery attempts, want 2 (one at New, one after the retry interval)", n)
	}
	tr.down.Store(false)
	if _, err := p.AuthCodeURL(t.Context(), req); !errors.Is(err, oauth.ErrDiscovery) {
		t.Fatalf("AuthCodeURL within the interval: %v", err)
	}
	clk.Advance(oauth.DiscoveryRetry + time.Second)
	if _, err := p.AuthCodeURL(t.Context(), req); err != nil {
		t.Fatalf("AuthCodeURL once the provider is back: %v", err)
	}
	codeFlow(t, srv, p)
}

func TestDiscoveryRefusals(t *testing.T) {
	var doc atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, doc.Load().(string))
		case "/moved/.well-known/openid-configuration":
			http.Redirect(w, r, "/.well-known/openid-configuration", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	iss := ts.URL
	for _, tc := range []struct {
		name, issuer, doc, want string
	}{
		{"other issuer", iss, `{"issuer":"https://evil.test","authorization_endpoint":"` + iss + `/a","token_endpoint":"` + iss + `/t","jwks_uri":"` + iss + `/k"}`, "document is for issuer"},
		{"no token endpoint", iss, `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/a","jwks_uri":"` + iss + `/k"}`, "no token_endpoint"},
		{"plain http endpoint", iss, `{"issuer":"` + iss + `","authorization_endpoint":"http://evil.test/a","token_endpoint":"` + iss + `/t","jwks_uri":"` + iss + `/k"}`, "http is only allowed"},
		{"only symmetric algs", iss, `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/a","token_endpoint":"` + iss + `/t","jwks_uri":"` + iss + `/k","id_token_signing_alg_values_supported":["HS256","none"]}`, "no supported ID token signature algorithm"},
		{"private_key_jwt only", iss, `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/a","token_endpoint":"` + iss + `/t","jwks_uri":"` + iss + `/k","token_endpoint_auth_methods_supported":["private_key_jwt"]}`, "neither"},
		{"not JSON", iss, `<html>`, ""},
		{"not found", iss + "/nowhere", `{}`, "answered 404"},
		{"redirect", iss + "/moved", `{}`, "redirects are not followed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc.Store(tc.doc)
			cfg := oauth.Config{ID: "x", Kind: oauth.KindOIDC, ClientID: "c", ClientSecret: "s", Issuer: tc.issuer}
			_, err := oauth.New(t.Context(), nil, cfg)
			if !errors.Is(err, oauth.ErrDiscovery) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want ErrDiscovery with %q", err, tc.want)
			}
		})
	}
}

func TestTokenResponses(t *testing.T) {
	var answer atomic.Value // func(http.ResponseWriter)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer.Load().(func(http.ResponseWriter))(w)
	}))
	t.Cleanup(ts.Close)
	cfg := oauth.Config{
		ID: "x", Kind: oauth.KindOIDC, ClientID: "c", ClientSecret: "s", Issuer: ts.URL,
		AuthURL: ts.URL + "/a", TokenURL: ts.URL + "/t", JWKSURL: ts.URL + "/k",
	}
	p := newProvider(t, cfg)
	reply := func(status int, ctype, body string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	t.Run("string expires_in and array scope", func(t *testing.T) {
		answer.Store(reply(200, "application/json", `{"access_token":"a","token_type":"bearer","expires_in":"120","scope":["x"," y "],"refresh_token_expires_in":0}`))
		tok, err := p.Exchange(t.Context(), "c", "v", callback)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessTokenExpiresAt == nil || time.Until(*tok.AccessTokenExpiresAt) > 121*time.Second || !slices.Equal(tok.Scopes, []string{"x", "y"}) || tok.RefreshTokenExpiresAt != nil {
			t.Errorf("tokens %+v", tok)
		}
	})
	t.Run("form encoded", func(t *testing.T) {
		answer.Store(reply(200, "application/x-www-form-urlencoded", `access_token=a&scope=x+y&expires_in=60`))
		tok, err := p.Exchange(t.Context(), "c", "v", callback)
		if err != nil || tok.AccessToken != "a" || !slices.Equal(tok.Scopes, []string{"x", "y"}) || tok.AccessTokenExpiresAt == nil {
			t.Errorf("tokens %+v, %v", tok, err)
		}
	})
	t.Run("error with 200", func(t *testing.T) {
		answer.Store(reply(200, "application/json", `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}`))
		_, err := p.Exchange(t.Context(), "c", "v", callback)
		var te *oauth.TokenError
		if !errors.As(err, &te) || te.Status != 200 || te.Description == "" || !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Errorf("error %v", err)
		}
	})
	for _, tc := range []struct {
		name string
		f    func(http.ResponseWriter)
	}{
		{"server error", reply(503, "application/json", `{"error":"temporarily_unavailable"}`)},
		{"html", reply(502, "text/html", `<h1>bad gateway</h1>`)},
		{"4xx without error", reply(400, "application/json", `{}`)},
		{"no access token", reply(200, "application/json", `{"token_type":"bearer"}`)},
		{"bad expires_in", reply(200, "application/json", `{"access_token":"a","expires_in":"soon"}`)},
		{"redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.test/")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}},
		{"huge body", reply(200, "application/json", `{"access_token":"`+strings.Repeat("a", 2<<20)+`"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer.Store(tc.f)
			_, err := p.Exchange(t.Context(), "c", "v", callback)
			var te *oauth.TokenError
			if !errors.Is(err, oauth.ErrUpstream) || errors.As(err, &te) {
				t.Errorf("error %v, want ErrUpstream", err)
			}
		})
	}
	t.Run("canceled context", func(t *testing.T) {
		answer.Store(reply(200, "application/json", `{"access_token":"a"}`))
		ctx, cancel := contextWithCancel(t)
		cancel()
		if _, err := p.Exchange(ctx, "c", "v", callback); !errors.Is(err, oauth.ErrUpstream) || ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
			t.Errorf("error %v", err)
		}
	})
}
