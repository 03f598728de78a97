package oauth_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gatehouse/handlers/internal/oauth"
)

func envLookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestConfigsFromEnv(t *testing.T) {
	google := oauth.Config{
		ID: "google", Kind: oauth.KindOIDC, ClientID: "gid", ClientSecret: "gsecret",
		Issuer: "https://accounts.google.com", AuthParams: map[string]string{"include_granted_scopes": "true"},
	}
	github := oauth.Config{
		ID: "github", Kind: oauth.KindGitHub, ClientID: "hid", ClientSecret: "hsecret",
		AuthURL:     "https://github.com/login/oauth/authorize",
		TokenURL:    "https://github.com/login/oauth/access_token",
		UserInfoURL: "https://api.github.com/user",
		EmailsURL:   "https://api.github.com/user/emails",
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    []oauth.Config
		wantErr []string // substrings of the error, each required
	}{
		{name: "nothing", env: map[string]string{}},
		{name: "empty values are unset", env: map[string]string{
			"BETTERAUTH_GOOGLE_CLIENT_ID": "", "BETTERAUTH_GOOGLE_CLIENT_SECRET": " ", "BETTERAUTH_OIDC_PROVIDERS": "",
		}},
		{name: "google", env: map[string]string{
			"BETTERAUTH_GOOGLE_CLIENT_ID": "gid", "BETTERAUTH_GOOGLE_CLIENT_SECRET": "gsecret",
		}, want: []oauth.Config{google}},
		{name: "google with issuer", env: map[string]string{
			"BETTERAUTH_GOOGLE_CLIENT_ID": "gid", "BETTERAUTH_GOOGLE_CLIENT_SECRET": "gsecret",
			"BETTERAUTH_GOOGLE_ISSUER": "http://127.0.0.1:5556/",
		}, want: []oauth.Config{func() oauth.Config { c := google; c.Issuer = "http://127.0.0.1:5556"; return c }()}},
		{name: "github", env: map[string]string{
			"BETTERAUTH_GITHUB_CLIENT_ID": "hid", "BETTERAUTH_GITHUB_CLIENT_SECRET": "hsecret",
		}, want: []oauth.Config{github}},
		{name: "github enterprise", env: map[string]string{
			"BETTERAUTH_GITHUB_CLIENT_ID": "hid", "BETTERAUTH_GITHUB_CLIENT_SECRET": "hsecret",
			"BETTERAUTH_GITHUB_URL": "https://ghe.example.com/", "BETTERAUTH_GITHUB_API_URL": "https://ghe.example.com/api/v3",
		}, want: []oauth.Config{{
			ID: "github", Kind: oauth.KindGitHub, ClientID: "hid", ClientSecret: "hsecret",
			AuthURL:     "https://ghe.example.com/login/oauth/authorize",
			TokenURL:    "https://ghe.example.com/login/oauth/access_token",
			UserInfoURL: "https://ghe.example.com/api/v3/user",
			EmailsURL:   "https://ghe.example.com/api/v3/user/emails",
		}}},
		{name: "all in order", env: map[string]string{
			"BETTERAUTH_OIDC_PROVIDERS":          " acme-sso , kc",
			"BETTERAUTH_OIDC_ACME_SSO_ISSUER":    "https://sso.acme.test/",
			"BETTERAUTH_OIDC_ACME_SSO_CLIENT_ID": "a", "BETTERAUTH_OIDC_ACME_SSO_CLIENT_SECRET": "as",
			"BETTERAUTH_OIDC_ACME_SSO_SCOPES": "openid, email  groups",
			"BETTERAUTH_OIDC_KC_ISSUER":       "https://kc.test/realms/x",
			"BETTERAUTH_OIDC_KC_CLIENT_ID":    "k", "BETTERAUTH_OIDC_KC_CLIENT_SECRET": "ks",
			"BETTERAUTH_GOOGLE_CLIENT_ID": "gid", "BETTERAUTH_GOOGLE_CLIENT_SECRET": "gsecret",
			"BETTERAUTH_GITHUB_CLIENT_ID": "hid", "BETTERAUTH_GITHUB_CLIENT_SECRET": "hsecret",
		}, want: []oauth.Config{google, github,
			{ID: "acme-sso", Kind: oauth.KindOIDC, ClientID: "a", ClientSecret: "as", Issuer: "https://sso.acme.test",
				Scopes: []string{"openid", "email", "groups"}},
			{ID: "kc", Kind: oauth.KindOIDC, ClientID: "k", ClientSecret: "ks", Issuer: "https://kc.test/realms/x"},
		}},
		{name: "google without secret", env: map[string]string{"BETTERAUTH_GOOGLE_CLIENT_ID": "gid"},
			wantErr: []string{"BETTERAUTH_GOOGLE_CLIENT_ID is set but BETTERAUTH_GOOGLE_CLIENT_SECRET is not"}},
		{name: "github without id", env: map[string]string{"BETTERAUTH_GITHUB_CLIENT_SECRET": "x"},
			wantErr: []string{"BETTERAUTH_GITHUB_CLIENT_SECRET is set but BETTERAUTH_GITHUB_CLIENT_ID is not"}},
		{name: "google issuer alone", env: map[string]string{"BETTERAUTH_GOOGLE_ISSUER": "https://x.test"},
			wantErr: []string{"BETTERAUTH_GOOGLE_ISSUER is set but"}},
		{name: "github api url alone", env: map[string]string{"BETTERAUTH_GITHUB_API_URL": "https://x.test"},
			wantErr: []string{"BETTERAUTH_GITHUB_API_URL is set but"}},
		{name: "oidc missing variables", env: map[string]string{
			"BETTERAUTH_OIDC_PROVIDERS": "acme", "BETTERAUTH_OIDC_ACME_CLIENT_ID": "a",
		}, wantErr: []string{`"acme"`, "BETTERAUTH_OIDC_ACME_ISSUER, BETTERAUTH_OIDC_ACME_CLIENT_SECRET not set"}},
		{name: "bad id", env: map[string]string{"BETTERAUTH_OIDC_PROVIDERS": "Acme_SSO"},
			wantErr: []string{`"Acme_SSO"`, "[a-z0-9-]+"}},
		{name: "duplicate id", env: map[string]string{
			"BETTERAUTH_OIDC_PROVIDERS":   "acme,acme",
			"BETTERAUTH_OIDC_ACME_ISSUER": "https://a.test", "BETTERAUTH_OIDC_ACME_CLIENT_ID": "a", "BETTERAUTH_OIDC_ACME_CLIENT_SECRET": "s",
		}, wantErr: []string{"configured twice"}},
		{name: "generic id shadows google", env: map[string]string{
			"BETTERAUTH_GOOGLE_CLIENT_ID": "gid", "BETTERAUTH_GOOGLE_CLIENT_SECRET": "gsecret",
			"BETTERAUTH_OIDC_PROVIDERS": "google",
		}, wantErr: []string{`"google"`, "configured twice"}},
		{name: "plain http issuer", env: map[string]string{
			"BETTERAUTH_OIDC_PROVIDERS":   "acme",
			"BETTERAUTH_OIDC_ACME_ISSUER": "http://sso.acme.test", "BETTERAUTH_OIDC_ACME_CLIENT_ID": "a", "BETTERAUTH_OIDC_ACME_CLIENT_SECRET": "s",
		}, wantErr: []string{"http is only allowed for loopback"}},
		{name: "every problem reported", env: map[string]string{
			"BETTERAUTH_GOOGLE_CLIENT_ID": "gid", "BETTERAUTH_GITHUB_CLIENT_SECRET": "x", "BETTERAUTH_OIDC_PROVIDERS": "ok,BAD",
		}, wantErr: []string{"BETTERAUTH_GOOGLE_CLIENT_SECRET", "BETTERAUTH_GITHUB_CLIENT_ID", `"BAD"`, "BETTERAUTH_OIDC_OK_ISSUER"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := oauth.ConfigsFromEnv(envLookup(tc.env))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, configs %+v", got)
				}
				var ce *oauth.ConfigError
				if !errors.As(err, &ce) {
					t.Errorf("error %v is not a *ConfigError", err)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				if got != nil {
					t.Errorf("configs %+v returned with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("configs\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := oauth.Config{ID: "x", Kind: oauth.KindOIDC, ClientID: "c", ClientSecret: "s", Issuer: "https://x.test"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	tests := []struct {
		name   string
		change func(*oauth.Config)
		want   string
	}{
		{"no id", func(c *oauth.Config) { c.ID = "" }, "[a-z0-9-]+"},
		{"long id", func(c *oauth.Config) { c.ID = strings.Repeat("a", 65) }, "at most 64"},
		{"no secret", func(c *oauth.Config) { c.ClientSecret = "" }, "client secret is empty"},
		{"no issuer", func(c *oauth.Config) { c.Issuer = "" }, "issuer is empty"},
		{"issuer with query", func(c *oauth.Config) { c.Issuer = "https://x.test/?a=b" }, "query or fragment"},
		{"unknown kind", func(c *oauth.Config) { c.Kind = "saml" }, `unknown kind "saml"`},
		{"github with issuer", func(c *oauth.Config) { c.Kind = oauth.KindGitHub }, "no issuer"},
		{"reserved param", func(c *oauth.Config) { c.AuthParams = map[string]string{"state": "x"} }, `"state" is set by the flow`},
		{"bad auth method", func(c *oauth.Config) { c.TokenAuthMethod = "private_key_jwt" }, "token auth method"},
		{"bad scope", func(c *oauth.Config) { c.Scopes = []string{"a b"} }, "invalid scope"},
		{"ftp url", func(c *oauth.Config) { c.TokenURL = "ftp://x.test/token" }, "scheme must be https"},
		{"relative url", func(c *oauth.Config) { c.AuthURL = "/authorize" }, "absolute"},
		{"credentials in url", func(c *oauth.Config) { c.JWKSURL = "https://u:p@x.test/jwks" }, "without credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error with %q", err, tc.want)
			}
			if _, nerr := oauth.New(t.Context(), nil, c); nerr == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
	for _, u := range []string{"http://localhost:8080", "http://127.0.0.1:1", "http://[::1]:2"} {
		c := ok
		c.Issuer = u
		if err := c.Validate(); err != nil {
			t.Errorf("loopback issuer %s: %v", u, err)
		}
	}
}
