package oauth_test

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

func TestGitHubFlow(t *testing.T) {
	srv := oidctest.New(t)
	srv.SetUser(oidctest.User{
		Sub: "583231", Name: "The Octocat", Login: "octocat", Picture: "https://avatars.test/u/583231",
		Email: "octo@public.test", PublicEmail: true,
		Emails: []oidctest.Email{
			{Email: "octo@public.test", Verified: true},
			{Email: "octo@primary.test", Primary: true, Verified: true},
			{Email: "octo@unverified.test"},
		},
	})
	p := newProvider(t, srv.GitHubConfig("github"))
	if p.SupportsIDTokens() || p.Issuer() != "" || p.Kind() != oauth.KindGitHub {
		t.Errorf("SupportsIDTokens %v, Issuer %q, Kind %q", p.SupportsIDTokens(), p.Issuer(), p.Kind())
	}

	raw, err := p.AuthCodeURL(t.Context(), oauth.AuthRequest{
		State: "st", CodeChallenge: "ch", RedirectURI: callback, LoginHint: "octocat", Nonce: "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if u.Path != oidctest.PathGitHubAuthorize || q.Get("scope") != "read:user user:email" || q.Get("login") != "octocat" ||
		q.Has("login_hint") || q.Has("nonce") || q.Get("code_challenge_method") != "S256" {
		t.Errorf("authorization URL %s", raw)
	}

	start := time.Now()
	tok, _ := codeFlow(t, srv, p)
	if tok.IDToken != "" || tok.TokenType != "bearer" || !slices.Equal(tok.Scopes, []string{"read:user", "user:email"}) {
		t.Errorf("tokens %+v", tok)
	}
	if tok.AccessTokenExpiresAt == nil || tok.AccessTokenExpiresAt.Sub(start) < 8*time.Hour-time.Minute ||
		tok.RefreshTokenExpiresAt == nil || tok.RefreshTokenExpiresAt.Sub(start) < 180*24*time.Hour {
		t.Errorf("expiries %v, %v", tok.AccessTokenExpiresAt, tok.RefreshTokenExpiresAt)
	}
	if got := srv.LastTokenAuth(); got != oauth.AuthPost {
		t.Errorf("token auth %q, want post", got)
	}
	ui, err := p.UserInfo(t.Context(), tok, "")
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.UserInfo{ID: "583231", Email: "octo@primary.test", EmailVerified: true, Name: "The Octocat", Image: "https://avatars.test/u/583231"}
	if *ui != want {
		t.Errorf("UserInfo = %+v, want %+v", *ui, want)
	}

	if _, err := p.VerifyIDToken(t.Context(), srv.IDToken(oidctest.DefaultUser, srv.ClientID(), ""), ""); !errors.Is(err, oauth.ErrIDTokenNotSupported) {
		t.Errorf("VerifyIDToken on GitHub: %v", err)
	}

	next, err := p.Refresh(t.Context(), tok.RefreshToken)
	if err != nil || next.AccessToken == tok.AccessToken || next.RefreshToken == "" {
		t.Fatalf("Refresh = %+v, %v", next, err)
	}
	_, err = p.Refresh(t.Context(), tok.RefreshToken)
	var te *oauth.TokenError
	if !errors.As(err, &te) || te.Code != "bad_refresh_token" || te.Status != 200 || !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("reused GitHub refresh token: %v", err)
	}
	if _, err := p.UserInfo(t.Context(), &oauth.Tokens{AccessToken: "gho_bogus"}, ""); !errors.Is(err, oauth.ErrUserInfo) {
		t.Errorf("bogus token: %v", err)
	}
}

func TestGitHubBadCode(t *testing.T) {
	srv := oidctest.New(t)
	p := newProvider(t, srv.GitHubConfig("github"))
	verifier, challenge := oauth.PKCE()
	q := login(t, srv, p, oauth.AuthRequest{CodeChallenge: challenge})
	other, _ := oauth.PKCE()
	_, err := p.Exchange(t.Context(), q.Get("code"), other, callback)
	var te *oauth.TokenError
	if !errors.As(err, &te) || te.Code != "bad_verification_code" || te.Status != 200 || !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("wrong verifier: %v", err)
	}
	if _, err := p.Exchange(t.Context(), q.Get("code"), verifier, callback); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("code after a failed attempt: %v", err)
	}
	// An OIDC code is no GitHub code.
	op := newProvider(t, srv.Config("acme"))
	v2, c2 := oauth.PKCE()
	q2 := login(t, srv, op, oauth.AuthRequest{CodeChallenge: c2})
	if _, err := p.Exchange(t.Context(), q2.Get("code"), v2, callback); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("OIDC code at GitHub's token endpoint: %v", err)
	}
	cfg := srv.GitHubConfig("github")
	cfg.ClientSecret = "wrong"
	bad := newProvider(t, cfg)
	v3, c3 := oauth.PKCE()
	q3 := login(t, srv, bad, oauth.AuthRequest{CodeChallenge: c3})
	if _, err := bad.Exchange(t.Context(), q3.Get("code"), v3, callback); !errors.As(err, &te) || te.Code != "incorrect_client_credentials" {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestGitHubEmailChoice(t *testing.T) {
	tests := []struct {
		name     string
		user     oidctest.User
		scopes   []string
		email    string
		verified bool
		nameWant string
	}{
		{name: "single primary verified", user: oidctest.User{Sub: "7", Email: "a@x.test", EmailVerified: true, Name: "A"},
			email: "a@x.test", verified: true, nameWant: "A"},
		{name: "primary unverified, public verified", user: oidctest.User{Sub: "7", Email: "pub@x.test", PublicEmail: true, Emails: []oidctest.Email{
			{Email: "prim@x.test", Primary: true}, {Email: "pub@x.test", Verified: true},
		}}, email: "pub@x.test", verified: true},
		{name: "primary unverified, no public", user: oidctest.User{Sub: "7", Emails: []oidctest.Email{
			{Email: "other@x.test", Verified: true}, {Email: "prim@x.test", Primary: true},
		}}, email: "prim@x.test", verified: false},
		{name: "no user:email scope, public address", scopes: []string{"read:user"},
			user:  oidctest.User{Sub: "7", Email: "pub@x.test", EmailVerified: true, PublicEmail: true},
			email: "pub@x.test", verified: false},
		{name: "no user:email scope, private address", scopes: []string{"read:user"},
			user: oidctest.User{Sub: "7", Email: "priv@x.test", EmailVerified: true}, email: "", verified: false},
		{name: "no name uses login", user: oidctest.User{Sub: "7", Email: "a@x.test", EmailVerified: true, Login: "the-login"},
			email: "a@x.test", verified: true, nameWant: "the-login"},
		{name: "non-numeric sub is hashed", user: oidctest.User{Sub: "alice", Email: "alice@x.test", EmailVerified: true},
			email: "alice@x.test", verified: true, nameWant: "alice"},
	}
	srv := oidctest.New(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.SetUser(tc.user)
			cfg := srv.GitHubConfig("github")
			cfg.Scopes = tc.scopes
			p := newProvider(t, cfg)
			tok, _ := codeFlow(t, srv, p)
			ui, err := p.UserInfo(t.Context(), tok, "")
			if err != nil {
				t.Fatal(err)
			}
			if ui.Email != tc.email || ui.EmailVerified != tc.verified {
				t.Errorf("email %q verified %v, want %q %v", ui.Email, ui.EmailVerified, tc.email, tc.verified)
			}
			if tc.nameWant != "" && ui.Name != tc.nameWant {
				t.Errorf("name %q, want %q", ui.Name, tc.nameWant)
			}
			if n, err := strconv.ParseInt(ui.ID, 10, 64); err != nil || n <= 0 {
				t.Errorf("id %q is not a GitHub id", ui.ID)
			}
		})
	}
}
