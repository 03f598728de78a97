package oidctest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

const redirect = "http://127.0.0.1:9/cb"

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// post sends form to path, with basic credentials when user is not empty.
func post(t *testing.T, s *oidctest.Server, path string, form url.Values, user, pass string, accept string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return send(t, req)
}

func get(t *testing.T, s *oidctest.Server, path, auth string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return send(t, req)
}

// code runs an authorization at path with scope and returns the code and the verifier.
func code(t *testing.T, s *oidctest.Server, path, scope string) (string, string) {
	t.Helper()
	verifier, challenge := oauth.PKCE()
	q := url.Values{
		"client_id": {s.ClientID()}, "redirect_uri": {redirect}, "response_type": {"code"}, "state": {"st"},
		"scope": {scope}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	loc, err := s.Authorize(s.URL() + path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("code") == "" {
		t.Fatalf("no code in %s", loc)
	}
	return loc.Query().Get("code"), verifier
}

func TestDiscoveryDocument(t *testing.T) {
	s := oidctest.New(t, oidctest.WithTokenAuthMethods(oauth.AuthPost))
	r := get(t, s, oidctest.PathDiscovery, "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("discovery %d %s", r.status, r.header.Get("Content-Type"))
	}
	doc := r.json(t)
	for k, want := range map[string]string{
		"issuer": s.Issuer(), "authorization_endpoint": s.Issuer() + "/authorize", "token_endpoint": s.Issuer() + "/token",
		"jwks_uri": s.Issuer() + "/jwks", "userinfo_endpoint": s.Issuer() + "/userinfo",
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
	if m, _ := doc["token_endpoint_auth_methods_supported"].([]any); len(m) != 1 || m[0] != oauth.AuthPost {
		t.Errorf("auth methods %v", doc["token_endpoint_auth_methods_supported"])
	}
	jwks := get(t, s, oidctest.PathJWKS, "").json(t)
	keys, _ := jwks["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("jwks %v", jwks)
	}
	k := keys[0].(map[string]any)
	if k["kid"] != s.KeyID() || k["kty"] != "RSA" || k["alg"] != "RS256" || k["d"] != nil {
		t.Errorf("jwk %v", k)
	}
	s.RotateKey()
	if keys, _ := get(t, s, oidctest.PathJWKS, "").json(t)["keys"].([]any); len(keys) != 2 {
		t.Errorf("%d keys after rotation, want 2", len(keys))
	}
}

func TestTokenEndpoint(t *testing.T) {
	s := oidctest.New(t, oidctest.WithAccessTokenTTL(90*time.Second))
	id, secret := s.ClientID(), s.ClientSecret()
	for _, tc := range []struct {
		name         string
		form         url.Values
		user, pass   string
		status       int
		err          string
		authenticate bool
	}{
		{"no client authentication", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, "", "", 401, "invalid_client", true},
		{"wrong secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, id, "nope", 401, "invalid_client", true},
		{"two methods", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {id}, "client_secret": {secret}}, id, secret, 400, "invalid_request", false},
		{"unsupported grant", url.Values{"grant_type": {"password"}}, id, secret, 400, "unsupported_grant_type", false},
		{"no grant", url.Values{}, id, secret, 400, "invalid_request", false},
		{"repeated parameter", url.Values{"grant_type": {"refresh_token", "refresh_token"}}, id, secret, 400, "invalid_request", false},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, id, secret, 400, "invalid_grant", false},
		{"unknown code", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {redirect}}, id, secret, 400, "invalid_grant", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, oidctest.PathToken, tc.form, tc.user, tc.pass, "")
			if r.status != tc.status || r.json(t)["error"] != tc.err {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tc.status, tc.err)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Error("no Cache-Control: no-store")
			}
			if got := r.header.Get("WWW-Authenticate") != ""; got != tc.authenticate {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	c, verifier := code(t, s, oidctest.PathAuthorize, "openid email")
	r := post(t, s, oidctest.PathToken, url.Values{
		"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}, "code_verifier": {verifier},
		"client_id": {id}, "client_secret": {secret},
	}, "", "", "")
	body := r.json(t)
	if r.status != 200 || body["expires_in"] != 90.0 || body["token_type"] != "Bearer" || body["scope"] != "openid email" || body["id_token"] == nil {
		t.Fatalf("token answer %d %v", r.status, body)
	}
	at := body["access_token"].(string)
	ui := get(t, s, oidctest.PathUserInfo, "Bearer "+at).json(t)
	if ui["sub"] != oidctest.DefaultUser.Sub || ui["email"] != oidctest.DefaultUser.Email || ui["name"] != nil {
		t.Errorf("user info for scope openid email: %v", ui)
	}
	r = get(t, s, oidctest.PathUserInfo, "Bearer nope")
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("user info with a bad token: %d %v", r.status, r.header)
	}
	if r := post(t, s, oidctest.PathToken+"?code=x", url.Values{}, id, secret, ""); r.status != 400 {
		t.Errorf("parameters in the query: %d", r.status)
	}
}

func TestRegisteredRedirectURIs(t *testing.T) {
	s := oidctest.New(t, oidctest.WithRedirectURIs(redirect))
	code(t, s, oidctest.PathAuthorize, "openid")
	q := url.Values{
		"client_id": {s.ClientID()}, "redirect_uri": {redirect + "/other"}, "response_type": {"code"},
		"code_challenge": {"x"}, "code_challenge_method": {"S256"},
	}
	if loc, err := s.Authorize(s.URL() + oidctest.PathAuthorize + "?" + q.Encode()); err == nil {
		t.Errorf("unregistered redirect URI redirected to %s", loc)
	}
}

func TestGitHubDialect(t *testing.T) {
	s := oidctest.New(t)
	id, secret := s.ClientID(), s.ClientSecret()

	// Without Accept: application/json, GitHub answers form-encoded, errors with 200.
	r := post(t, s, oidctest.PathGitHubToken, url.Values{
		"code": {"nope"}, "client_id": {id}, "client_secret": {secret}, "grant_type": {"authorization_code"},
	}, "", "", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Fatalf("GitHub error answer %d %v", r.status, r.header)
	}
	if v, _ := url.ParseQuery(r.body); v.Get("error") != "bad_verification_code" {
		t.Errorf("GitHub error %q", r.body)
	}

	c, verifier := code(t, s, oidctest.PathGitHubAuthorize, "read:user")
	r = post(t, s, oidctest.PathGitHubToken, url.Values{
		"code": {c}, "client_id": {id}, "client_secret": {secret}, "redirect_uri": {redirect}, "code_verifier": {verifier},
	}, "", "", "application/json")
	body := r.json(t)
	at, _ := body["access_token"].(string)
	if r.status != 200 || !strings.HasPrefix(at, "ghu_") || body["scope"] != "read:user" || body["id_token"] != nil {
		t.Fatalf("GitHub token answer %d %v", r.status, body)
	}
	u := get(t, s, oidctest.PathGitHubUser, "token "+at).json(t)
	if u["id"] != 1001.0 || u["login"] != "ada" || u["email"] != nil {
		t.Errorf("/user %v", u)
	}
	if r := get(t, s, oidctest.PathGitHubEmails, "Bearer "+at); r.status != 404 {
		t.Errorf("/user/emails without user:email: %d", r.status)
	}
	if r := get(t, s, oidctest.PathGitHubUser, "Bearer nope"); r.status != 401 {
		t.Errorf("/user with a bad token: %d", r.status)
	}
	// OIDC tokens are no GitHub tokens, and the other way round.
	if r := get(t, s, oidctest.PathUserInfo, "Bearer "+at); r.status != 401 {
		t.Errorf("GitHub token at /userinfo: %d", r.status)
	}
}

func TestEnv(t *testing.T) {
	s := oidctest.New(t)
	env := s.Env("acme")
	cfgs, err := oauth.ConfigsFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 2 || cfgs[0].ID != "github" || cfgs[1].ID != "acme" {
		t.Fatalf("configs %+v", cfgs)
	}
	if !reflect.DeepEqual(cfgs[0], s.GitHubConfig("github")) {
		t.Errorf("github config %+v, want %+v", cfgs[0], s.GitHubConfig("github"))
	}
	if s.GitHubURL() != s.URL() || s.GitHubAPIURL() != s.URL()+oidctest.PathGitHubAPI {
		t.Errorf("GitHub URLs %s %s", s.GitHubURL(), s.GitHubAPIURL())
	}
	for _, c := range cfgs {
		p, err := oauth.New(t.Context(), nil, c)
		if err != nil {
			t.Fatalf("New(%s): %v", c.ID, err)
		}
		if len(p.Scopes()) < 2 {
			t.Errorf("%s scopes %v", c.ID, p.Scopes())
		}
	}
}
