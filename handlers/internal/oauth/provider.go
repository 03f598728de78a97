// Package oauth is the client side of signing in with an OAuth 2.0 / OpenID Connect provider:
// Google and generic OIDC providers found by discovery, and GitHub. It builds authorization URLs
// (authorization code with PKCE S256), exchanges codes, refreshes tokens, verifies ID tokens
// against the provider's JWKS and reads the user's identity, following Better Auth's choices of
// scopes and claims. It keeps no per-user state: the caller stores state, code verifier and nonce
// between the redirect and the callback, and the tokens afterwards.
//
// Every request goes through the caller's http.Client and context; redirects are refused (a
// misconfigured endpoint must not turn the server into a proxy) and response bodies are bounded.
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

const (
	// discoveryRetry is the least time between two discovery attempts after a failure.
	discoveryRetry = 5 * time.Second
	// defaultTimeout bounds requests when New is given no http.Client.
	defaultTimeout = 10 * time.Second
	// clockSkew is the leeway on exp, iat and nbf (Better Auth's, openid-client's).
	clockSkew = 30 * time.Second
)

// Provider is a configured provider, safe for concurrent use.
type Provider struct {
	cfg    Config
	hc     *http.Client
	scopes []string
	now    func() time.Time

	sem      chan struct{} // held while discovering
	mu       sync.Mutex
	ep       *endpoints // nil until resolved
	discoErr error
	discoAt  time.Time

	keys *keyCache
}

// endpoints are a provider's resolved endpoints and policies.
type endpoints struct {
	issuers    []string // acceptable iss values, first the canonical one
	auth       string
	token      string
	userInfo   string
	jwks       string
	emails     string
	authMethod string
	algs       []jwa.SignatureAlgorithm
}

// New returns the provider cfg describes. It validates cfg (a *ConfigError when unusable) and,
// for an OIDC provider missing an endpoint, runs discovery.
//
// When discovery fails New returns the error (wrapping ErrDiscovery) together with a usable
// Provider: a caller that must have every provider treats any error as fatal; a lenient one
// checks errors.Is(err, ErrDiscovery), logs, and keeps the Provider, which retries discovery when
// next used (at most once every 5 s; until then its methods fail with ErrDiscovery).
//
// hc carries the timeouts; nil means a client with a 10 s timeout. The Provider uses a copy of
// it that refuses redirects.
func New(ctx context.Context, hc *http.Client, cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Scopes = slices.Clone(cfg.Scopes)
	p := &Provider{
		cfg: cfg,
		hc:  &c,
		now: time.Now,
		sem: make(chan struct{}, 1),
	}
	p.scopes = cfg.Scopes
	if len(p.scopes) == 0 {
		p.scopes = DefaultScopes[cfg.Kind]
	}
	if cfg.Kind == KindOIDC && !slices.Contains(p.scopes, "openid") {
		p.scopes = append([]string{"openid"}, p.scopes...)
	}
	p.keys = &keyCache{p: p, sem: make(chan struct{}, 1)}

	switch cfg.Kind {
	case KindGitHub:
		ep := &endpoints{
			auth: cfg.AuthURL, token: cfg.TokenURL, userInfo: cfg.UserInfoURL, emails: cfg.EmailsURL,
			authMethod: AuthPost,
		}
		if ep.auth == "" {
			ep.auth = GitHubURL + "/login/oauth/authorize"
		}
		if ep.token == "" {
			ep.token = GitHubURL + "/login/oauth/access_token"
		}
		if ep.userInfo == "" {
			ep.userInfo = GitHubAPIURL + "/user"
		}
		if ep.emails == "" {
			ep.emails = ep.userInfo + "/emails"
		}
		if cfg.TokenAuthMethod != "" {
			ep.authMethod = cfg.TokenAuthMethod
		}
		p.ep = ep
		return p, nil
	default:
		_, err := p.resolve(ctx)
		return p, err
	}
}

// ID is the provider's id.
func (p *Provider) ID() string { return p.cfg.ID }

// Kind is the provider's kind.
func (p *Provider) Kind() Kind { return p.cfg.Kind }

// Issuer is an OIDC provider's issuer, "" for GitHub. When the callback carries an iss parameter
// (RFC 9207) it must equal this.
func (p *Provider) Issuer() string {
	if p.cfg.Kind != KindOIDC {
		return ""
	}
	if ep := p.resolved(); ep != nil {
		return ep.issuers[0]
	}
	return p.cfg.Issuer
}

// SupportsIDTokens tells whether the provider issues ID tokens: whether AuthRequest.Nonce is
// worth sending and VerifyIDToken can succeed.
func (p *Provider) SupportsIDTokens() bool { return p.cfg.Kind == KindOIDC }

// Scopes are the scopes every authorization URL asks for.
func (p *Provider) Scopes() []string { return slices.Clone(p.scopes) }

func (p *Provider) resolved() *endpoints {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ep
}

// resolve returns the endpoints, running discovery when they are not known yet.
func (p *Provider) resolve(ctx context.Context) (*endpoints, error) {
	if ep := p.resolved(); ep != nil {
		return ep, nil
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrDiscovery, ctx.Err())
	}
	defer func() { <-p.sem }()
	p.mu.Lock()
	if p.ep != nil {
		defer p.mu.Unlock()
		return p.ep, nil
	}
	if p.discoErr != nil && p.now().Sub(p.discoAt) < discoveryRetry {
		defer p.mu.Unlock()
		return nil, p.discoErr
	}
	p.mu.Unlock()

	ep, err := p.discover(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.discoErr, p.discoAt = err, p.now()
		return nil, err
	}
	p.ep, p.discoErr = ep, nil
	return ep, nil
}

// AuthRequest is what an authorization URL carries.
type AuthRequest struct {
	State         string   // required; the caller generates and stores it
	CodeChallenge string   // required; from PKCE, the verifier stored with the state
	RedirectURI   string   // required; the callback URL, e.g. https://host/api/auth/callback/google
	Scopes        []string // asked for in addition to the provider's scopes
	LoginHint     string   // login_hint (GitHub: login), optional
	Nonce         string   // OIDC nonce, optional; stored with the state and passed to UserInfo
	// Params are extra parameters (Better Auth's additionalParams); they override the ones the
	// Config adds and login_hint, but never the ReservedParams, which are skipped.
	Params map[string]string
}

// ReservedParams are the authorization URL parameters a request's Params may not set (Better
// Auth's RESERVED_AUTHORIZATION_PARAMS, in its order): they carry the flow's own correlation
// and PKCE binding.
var ReservedParams = []string{
	"state", "client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "nonce", "scope",
}

// AuthCodeURL returns the URL to send the user to. It needs the endpoints, so it can fail with
// ErrDiscovery when discovery has not succeeded yet.
func (p *Provider) AuthCodeURL(ctx context.Context, r AuthRequest) (string, error) {
	if r.State == "" || r.CodeChallenge == "" || r.RedirectURI == "" {
		return "", &ConfigError{ID: p.cfg.ID, Msg: "authorization URL needs a state, a code challenge and a redirect URI"}
	}
	ep, err := p.resolve(ctx)
	if err != nil {
		return "", err
	}
	scopes := slices.Clone(p.scopes)
	for _, s := range r.Scopes {
		if s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	params := url.Values{}
	params.Set("response_type", "code")
	params.Set("client_id", p.cfg.ClientID)
	params.Set("redirect_uri", r.RedirectURI)
	params.Set("scope", strings.Join(scopes, " "))
	params.Set("state", r.State)
	params.Set("code_challenge", r.CodeChallenge)
	params.Set("code_challenge_method", "S256")
	if r.LoginHint != "" {
		if p.cfg.Kind == KindGitHub {
			params.Set("login", r.LoginHint)
		} else {
			params.Set("login_hint", r.LoginHint)
		}
	}
	if r.Nonce != "" && p.cfg.Kind == KindOIDC {
		params.Set("nonce", r.Nonce)
	}
	for k, v := range p.cfg.AuthParams {
		params.Set(k, v)
	}
	for k, v := range r.Params {
		if !slices.Contains(ReservedParams, k) {
			params.Set(k, v)
		}
	}
	return appendQuery(ep.auth, params), nil
}

// appendQuery adds params to endpoint's query, dropping the pairs of endpoint's own query they
// replace and keeping the others as written (re-encoding could break signed queries).
func appendQuery(endpoint string, params url.Values) string {
	base, query, _ := strings.Cut(endpoint, "?")
	var kept []string
	if query != "" {
		for _, pair := range strings.Split(query, "&") {
			if pair == "" {
				continue
			}
			name, _, _ := strings.Cut(pair, "=")
			if n, err := url.QueryUnescape(name); err == nil && params.Has(n) {
				continue
			}
			kept = append(kept, pair)
		}
	}
	kept = append(kept, params.Encode())
	return base + "?" + strings.Join(kept, "&")
}

// PKCE returns a fresh RFC 7636 code verifier (64 characters) and its S256 challenge. The
// verifier is stored with the state; the challenge goes into AuthRequest.
func PKCE() (verifier, challenge string) {
	verifier = randomString(48)
	return verifier, CodeChallenge(verifier)
}

// CodeChallenge is the S256 code challenge of verifier: BASE64URL(SHA256(verifier)).
func CodeChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewNonce returns a fresh random value for AuthRequest.Nonce (or a state): 256 bits, 43
// URL-safe characters.
func NewNonce() string { return randomString(32) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// discoveryDoc is the part of an OpenID Provider Metadata document the client reads.
type discoveryDoc struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserInfoEndpoint      string   `json:"userinfo_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
}

// asymmetricAlgs are the ID token signature algorithms the client accepts; discovery narrows them.
var asymmetricAlgs = []jwa.SignatureAlgorithm{
	jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512,
	jwa.ES256, jwa.ES384, jwa.ES512, jwa.EdDSA,
}

// discover resolves an OIDC provider's endpoints: the configured ones, the rest from discovery
// when any of authorization, token and JWKS endpoints is missing.
func (p *Provider) discover(ctx context.Context) (*endpoints, error) {
	c := p.cfg
	issuer := strings.TrimRight(c.Issuer, "/")
	ep := &endpoints{
		issuers: []string{c.Issuer},
		auth:    c.AuthURL, token: c.TokenURL, userInfo: c.UserInfoURL, jwks: c.JWKSURL,
		authMethod: c.TokenAuthMethod,
		algs:       []jwa.SignatureAlgorithm{jwa.RS256},
	}
	if c.AuthURL == "" || c.TokenURL == "" || c.JWKSURL == "" {
		var doc discoveryDoc
		status, err := p.getJSON(ctx, issuer+"/.well-known/openid-configuration", nil, &doc)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("%w: %w: %s answered %d", ErrDiscovery, ErrUpstream, issuer, status)
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%w: %s: %s", ErrDiscovery, issuer, fmt.Sprintf(format, args...))
		}
		if strings.TrimRight(doc.Issuer, "/") != issuer {
			return nil, fail("document is for issuer %q", doc.Issuer)
		}
		ep.issuers[0] = doc.Issuer
		for _, f := range []struct {
			dst  *string
			name string
			v    string
			opt  bool
		}{
			{&ep.auth, "authorization_endpoint", doc.AuthorizationEndpoint, false},
			{&ep.token, "token_endpoint", doc.TokenEndpoint, false},
			{&ep.jwks, "jwks_uri", doc.JWKSURI, false},
			{&ep.userInfo, "userinfo_endpoint", doc.UserInfoEndpoint, true},
		} {
			if *f.dst != "" {
				continue
			}
			if f.v == "" {
				if f.opt {
					continue
				}
				return nil, fail("no %s", f.name)
			}
			if err := checkURL(f.v); err != nil {
				return nil, fail("%s: %v", f.name, err)
			}
			*f.dst = f.v
		}
		if ep.authMethod == "" {
			switch {
			case len(doc.TokenAuthMethods) == 0 || slices.Contains(doc.TokenAuthMethods, AuthBasic):
				ep.authMethod = AuthBasic
			case slices.Contains(doc.TokenAuthMethods, AuthPost):
				ep.authMethod = AuthPost
			default:
				return nil, fail("token endpoint supports neither %s nor %s but %v", AuthBasic, AuthPost, doc.TokenAuthMethods)
			}
		}
		if len(doc.IDTokenAlgs) > 0 {
			ep.algs = nil
			for _, a := range doc.IDTokenAlgs {
				if alg := jwa.SignatureAlgorithm(a); slices.Contains(asymmetricAlgs, alg) {
					ep.algs = append(ep.algs, alg)
				}
			}
			if len(ep.algs) == 0 {
				return nil, fail("no supported ID token signature algorithm in %v", doc.IDTokenAlgs)
			}
		}
	} else {
		ep.algs = asymmetricAlgs
	}
	if ep.authMethod == "" {
		ep.authMethod = AuthBasic
	}
	// Google's ID tokens carry either form of its issuer.
	if issuer == GoogleIssuer {
		ep.issuers = append(ep.issuers, "accounts.google.com")
	}
	return ep, nil
}
