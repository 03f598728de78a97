package oauth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Kind tells which protocol a provider speaks.
type Kind string

// The kinds of provider.
const (
	// KindOIDC is an OpenID Connect provider found by discovery (Google, Keycloak, Okta, ...).
	KindOIDC Kind = "oidc"
	// KindGitHub is GitHub's OAuth apps and GitHub Apps: no ID tokens, identity from the REST API.
	KindGitHub Kind = "github"
)

// Token endpoint client authentication methods (RFC 8414 token_endpoint_auth_methods_supported).
const (
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
)

// Defaults of ConfigsFromEnv.
const (
	GoogleIssuer     = "https://accounts.google.com"
	GitHubURL        = "https://github.com"
	GitHubAPIURL     = "https://api.github.com"
	maxProviderIDLen = 64
)

// DefaultScopes are the scopes a provider asks for when its Config has none, per kind; they are
// Better Auth's.
var DefaultScopes = map[Kind][]string{
	KindOIDC:   {"openid", "email", "profile"},
	KindGitHub: {"read:user", "user:email"},
}

// Config describes one provider. ConfigsFromEnv builds them from the environment; tests build
// them directly (oidctest.Server.Config).
type Config struct {
	// ID names the provider in URLs (/sign-in/social {provider}, /callback/{ID}) and in
	// account rows (providerId): "google", "github", or a generic provider's id ([a-z0-9-]+).
	ID   string
	Kind Kind

	ClientID     string
	ClientSecret string

	// Issuer is an OIDC provider's issuer; discovery is at Issuer + "/.well-known/openid-configuration"
	// and ID tokens must carry it as iss. Empty for GitHub.
	Issuer string

	// Endpoints. OIDC: the empty ones are filled by discovery (UserInfoURL may stay empty).
	// GitHub: empty ones default to github.com and api.github.com.
	AuthURL     string
	TokenURL    string
	UserInfoURL string
	JWKSURL     string
	// EmailsURL is GitHub's /user/emails; empty means UserInfoURL + "/emails".
	EmailsURL string

	// Scopes replace DefaultScopes[Kind] when not empty. OIDC always asks for "openid".
	Scopes []string

	// AuthParams are extra authorization URL parameters, e.g. Google's access_type=offline and
	// prompt=consent to get refresh tokens. Parameters the flow sets itself may not appear.
	AuthParams map[string]string

	// TokenAuthMethod is AuthBasic or AuthPost. Empty: OIDC picks from discovery's
	// token_endpoint_auth_methods_supported, preferring basic (the default when absent);
	// GitHub uses post.
	TokenAuthMethod string
}

var providerID = regexp.MustCompile(`^[a-z0-9-]+$`)

// reservedAuthParams are the authorization URL parameters the flow itself sets.
var reservedAuthParams = map[string]bool{
	"state": true, "client_id": true, "redirect_uri": true, "response_type": true,
	"code_challenge": true, "code_challenge_method": true, "nonce": true, "scope": true,
	"login_hint": true, "login": true,
}

// Validate reports what makes c unusable, as a *ConfigError (several joined with errors.Join).
// Endpoint URLs must be https, or http on a loopback address (for tests).
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, &ConfigError{ID: c.ID, Msg: fmt.Sprintf(format, args...)})
	}
	if !validID(c.ID) {
		bad("id must match [a-z0-9-]+ (at most %d characters)", maxProviderIDLen)
	}
	if c.ClientID == "" {
		bad("client id is empty")
	}
	if c.ClientSecret == "" {
		bad("client secret is empty")
	}
	switch c.Kind {
	case KindOIDC:
		if c.Issuer == "" {
			bad("issuer is empty")
		} else if err := checkURL(c.Issuer); err != nil {
			bad("issuer: %v", err)
		} else if u, _ := url.Parse(c.Issuer); u.RawQuery != "" || u.Fragment != "" {
			bad("issuer %q has a query or fragment", c.Issuer)
		}
	case KindGitHub:
		if c.Issuer != "" {
			bad("a github provider has no issuer")
		}
		if c.JWKSURL != "" {
			bad("a github provider has no JWKS")
		}
	default:
		bad("unknown kind %q (want %q or %q)", c.Kind, KindOIDC, KindGitHub)
	}
	for _, e := range []struct{ name, v string }{
		{"authorization URL", c.AuthURL}, {"token URL", c.TokenURL}, {"user info URL", c.UserInfoURL},
		{"JWKS URL", c.JWKSURL}, {"emails URL", c.EmailsURL},
	} {
		if e.v == "" {
			continue
		}
		if err := checkURL(e.v); err != nil {
			bad("%s: %v", e.name, err)
		}
	}
	switch c.TokenAuthMethod {
	case "", AuthBasic, AuthPost:
	default:
		bad("token auth method %q (want %q or %q)", c.TokenAuthMethod, AuthBasic, AuthPost)
	}
	for k := range c.AuthParams {
		if reservedAuthParams[k] || k == "" {
			bad("authorization parameter %q is set by the flow", k)
		}
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			bad("invalid scope %q", s)
		}
	}
	return errors.Join(errs...)
}

func validID(id string) bool {
	return len(id) <= maxProviderIDLen && providerID.MatchString(id)
}

// checkURL accepts absolute https URLs, and http ones whose host is a loopback address or
// localhost.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute URL without credentials", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("%q: http is only allowed for loopback addresses", raw)
	}
	return fmt.Errorf("%q: scheme must be https", raw)
}

// ConfigsFromEnv reads the providers configured in the environment through lookup (os.LookupEnv
// in production). Empty values count as unset. It reads:
//
//	BETTERAUTH_GOOGLE_CLIENT_ID, BETTERAUTH_GOOGLE_CLIENT_SECRET      google (oidc)
//	BETTERAUTH_GOOGLE_ISSUER                                          default https://accounts.google.com
//	BETTERAUTH_GITHUB_CLIENT_ID, BETTERAUTH_GITHUB_CLIENT_SECRET      github
//	BETTERAUTH_GITHUB_URL, BETTERAUTH_GITHUB_API_URL                  default https://github.com, https://api.github.com
//	BETTERAUTH_OIDC_PROVIDERS=id1,id2                                 generic OIDC providers, ids [a-z0-9-]+
//	BETTERAUTH_OIDC_<ID>_ISSUER, _CLIENT_ID, _CLIENT_SECRET           required for each
//	BETTERAUTH_OIDC_<ID>_SCOPES                                       optional, space or comma separated
//
// where <ID> is the id upper-cased with '-' as '_'. The configs come in that order: google,
// github, then the generic ones as listed. Every problem found is reported, as *ConfigError values
// joined with errors.Join: a provider with only one of its client id and secret, options set for
// a provider without credentials, a bad or repeated id, a bad URL.
func ConfigsFromEnv(lookup func(string) (string, bool)) ([]Config, error) {
	get := func(name string) string {
		v, ok := lookup(name)
		if !ok {
			return ""
		}
		return strings.TrimSpace(v)
	}
	var (
		out  []Config
		errs []error
	)
	bad := func(id, format string, args ...any) {
		errs = append(errs, &ConfigError{ID: id, Msg: fmt.Sprintf(format, args...)})
	}
	// builtin reads a provider with a client id and secret and optional extra variables.
	builtin := func(id, prefix string, extra ...string) (clientID, secret string, ok bool) {
		clientID, secret = get(prefix+"CLIENT_ID"), get(prefix+"CLIENT_SECRET")
		switch {
		case clientID != "" && secret != "":
			return clientID, secret, true
		case clientID != "":
			bad(id, "%sCLIENT_ID is set but %sCLIENT_SECRET is not", prefix, prefix)
		case secret != "":
			bad(id, "%sCLIENT_SECRET is set but %sCLIENT_ID is not", prefix, prefix)
		default:
			for _, name := range extra {
				if get(prefix+name) != "" {
					bad(id, "%s%s is set but %sCLIENT_ID and %sCLIENT_SECRET are not", prefix, name, prefix, prefix)
				}
			}
		}
		return "", "", false
	}

	if id, secret, ok := builtin("google", "BETTERAUTH_GOOGLE_", "ISSUER"); ok {
		iss := strings.TrimRight(get("BETTERAUTH_GOOGLE_ISSUER"), "/")
		if iss == "" {
			iss = GoogleIssuer
		}
		out = append(out, Config{
			ID: "google", Kind: KindOIDC, ClientID: id, ClientSecret: secret, Issuer: iss,
			// Better Auth's Google provider asks for incremental authorization by default.
			AuthParams: map[string]string{"include_granted_scopes": "true"},
		})
	}
	if id, secret, ok := builtin("github", "BETTERAUTH_GITHUB_", "URL", "API_URL"); ok {
		web := strings.TrimRight(get("BETTERAUTH_GITHUB_URL"), "/")
		if web == "" {
			web = GitHubURL
		}
		api := strings.TrimRight(get("BETTERAUTH_GITHUB_API_URL"), "/")
		if api == "" {
			api = GitHubAPIURL
		}
		out = append(out, gitHubConfig("github", id, secret, web, api))
	}

	seen := map[string]bool{}
	for _, c := range out {
		seen[c.ID] = true
	}
	for _, raw := range strings.Split(get("BETTERAUTH_OIDC_PROVIDERS"), ",") {
		id := strings.TrimSpace(raw)
		if id == "" {
			continue
		}
		if !validID(id) {
			bad(id, "BETTERAUTH_OIDC_PROVIDERS: id must match [a-z0-9-]+ (at most %d characters)", maxProviderIDLen)
			continue
		}
		if seen[id] {
			bad(id, "BETTERAUTH_OIDC_PROVIDERS: provider id configured twice")
			continue
		}
		seen[id] = true
		prefix := "BETTERAUTH_OIDC_" + strings.ToUpper(strings.ReplaceAll(id, "-", "_")) + "_"
		c := Config{
			ID: id, Kind: KindOIDC,
			Issuer:       strings.TrimRight(get(prefix+"ISSUER"), "/"),
			ClientID:     get(prefix + "CLIENT_ID"),
			ClientSecret: get(prefix + "CLIENT_SECRET"),
			Scopes:       splitScopes(get(prefix + "SCOPES")),
		}
		var missing []string
		for _, v := range []struct{ name, val string }{
			{"ISSUER", c.Issuer}, {"CLIENT_ID", c.ClientID}, {"CLIENT_SECRET", c.ClientSecret},
		} {
			if v.val == "" {
				missing = append(missing, prefix+v.name)
			}
		}
		if len(missing) > 0 {
			bad(id, "listed in BETTERAUTH_OIDC_PROVIDERS but %s not set", strings.Join(missing, ", "))
			continue
		}
		out = append(out, c)
	}

	for _, c := range out {
		if err := c.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// gitHubConfig is the config of a GitHub (or GitHub Enterprise Server) provider at web and api,
// base URLs without a trailing slash.
func gitHubConfig(id, clientID, secret, web, api string) Config {
	return Config{
		ID: id, Kind: KindGitHub, ClientID: clientID, ClientSecret: secret,
		AuthURL:     web + "/login/oauth/authorize",
		TokenURL:    web + "/login/oauth/access_token",
		UserInfoURL: api + "/user",
		EmailsURL:   api + "/user/emails",
	}
}

// splitScopes splits a list of scopes separated by spaces or commas; nil when there are none.
func splitScopes(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(out) == 0 {
		return nil
	}
	return out
}
