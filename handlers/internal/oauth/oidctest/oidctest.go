// Package oidctest runs an OAuth 2.0 / OpenID Connect provider for tests, on 127.0.0.1 with
// net/http/httptest. It speaks the real wire formats: discovery, an authorization endpoint that
// approves at once (no UI) for the user set with SetUser, a token endpoint (authorization code
// with PKCE S256, refresh tokens with rotation, client_secret_basic and client_secret_post), a
// JWKS with an RS256 key that can be rotated, and a user info endpoint. The same server also
// speaks GitHub's dialect: /login/oauth/authorize, /login/oauth/access_token and the REST API's
// /user and /user/emails under GitHubAPIURL.
//
// Codes, tokens and users live in memory; every method is safe for concurrent use.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"gatehouse/handlers/internal/oauth"
)

// Paths of the endpoints, relative to URL.
const (
	PathDiscovery = "/.well-known/openid-configuration"
	PathAuthorize = "/authorize"
	PathToken     = "/token"
	PathJWKS      = "/jwks"
	PathUserInfo  = "/userinfo"

	PathGitHubAuthorize = "/login/oauth/authorize"
	PathGitHubToken     = "/login/oauth/access_token"
	PathGitHubAPI       = "/api/v3" // GitHub Enterprise Server's layout
	PathGitHubUser      = PathGitHubAPI + "/user"
	PathGitHubEmails    = PathGitHubAPI + "/user/emails"
)

const (
	codeTTL            = 10 * time.Minute
	gitHubAccessTTL    = 8 * time.Hour
	gitHubRefreshTTL   = 15897600 * time.Second // GitHub Apps' six months
	defaultAccessTTL   = time.Hour
	defaultIDTokenTTL  = time.Hour
	defaultClientID    = "oidctest-client"
	maxFormBytes       = 64 << 10
	contentTypeJSONUTF = "application/json; charset=utf-8"
)

// User is an identity the provider vouches for.
type User struct {
	Sub           string // OIDC subject; GitHub user id (a decimal number; other values are hashed to one)
	Email         string
	EmailVerified bool
	Name          string
	Picture       string

	// Login is the GitHub login; empty means the part of Email before '@'.
	Login string
	// PublicEmail makes GitHub's /user show Email; otherwise its email is null, as for most users.
	PublicEmail bool
	// Emails is GitHub's /user/emails; empty means the one entry {Email, primary, EmailVerified}.
	Emails []Email
}

// Email is an entry of GitHub's /user/emails.
type Email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// DefaultUser is the user until SetUser is called.
var DefaultUser = User{
	Sub: "1001", Email: "ada@example.test", EmailVerified: true, Name: "Ada Lovelace",
	Picture: "https://img.example.test/ada.png", Login: "ada",
}

// Option configures a Server.
type Option func(*Server)

// WithClient sets the one registered client's credentials (default "oidctest-client" and a random
// secret).
func WithClient(id, secret string) Option {
	return func(s *Server) { s.clientID, s.clientSecret = id, secret }
}

// WithTokenAuthMethods sets the client authentication methods the token endpoint advertises in
// discovery and accepts (default client_secret_basic and client_secret_post).
func WithTokenAuthMethods(methods ...string) Option {
	return func(s *Server) { s.authMethods = methods }
}

// WithRedirectURIs registers the client's redirect URIs; without it any absolute http(s) URI is
// accepted.
func WithRedirectURIs(uris ...string) Option {
	return func(s *Server) { s.redirectURIs = uris }
}

// WithAccessTokenTTL sets the lifetime of OIDC access tokens (expires_in), 1 h by default.
func WithAccessTokenTTL(d time.Duration) Option {
	return func(s *Server) { s.accessTTL = d }
}

// WithRefreshTokenTTL makes OIDC refresh tokens expire after d and announces it as
// refresh_token_expires_in (by default they do not expire).
func WithRefreshTokenTTL(d time.Duration) Option {
	return func(s *Server) { s.refreshTTL = d }
}

// WithMinimalIDToken leaves email, name and picture out of ID tokens issued by the token
// endpoint, so clients must read them from the user info endpoint.
func WithMinimalIDToken() Option {
	return func(s *Server) { s.minimalIDToken = true }
}

// Server is a running provider.
type Server struct {
	srv *httptest.Server

	clientID, clientSecret string
	authMethods            []string
	redirectURIs           []string
	accessTTL, refreshTTL  time.Duration
	minimalIDToken         bool

	mu       sync.Mutex
	keys     []jwk.Key // private keys, the last one signs
	user     User
	deny     string
	codes    map[string]*grant
	access   map[string]*grant
	refresh  map[string]*grant
	requests map[string]int
	lastAuth string
}

// grant is what a code, an access token or a refresh token stands for.
type grant struct {
	user        User
	clientID    string
	scopes      []string
	github      bool
	redirectURI string // codes
	challenge   string // codes
	nonce       string // codes
	expires     time.Time
	used        bool     // codes
	issued      []string // codes: the tokens issued for it, revoked if it is replayed
}

// New starts a provider on 127.0.0.1, closed when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		clientID:     defaultClientID,
		clientSecret: randomString(24),
		authMethods:  []string{oauth.AuthBasic, oauth.AuthPost},
		accessTTL:    defaultAccessTTL,
		user:         DefaultUser,
		codes:        map[string]*grant{},
		access:       map[string]*grant{},
		refresh:      map[string]*grant{},
		requests:     map[string]int{},
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.addKey(); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oidctest: listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathDiscovery, s.discovery)
	mux.HandleFunc("GET "+PathAuthorize, s.authorize)
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("GET "+PathJWKS, s.jwks)
	mux.HandleFunc(PathUserInfo, s.userInfo)
	mux.HandleFunc("GET "+PathGitHubAuthorize, s.authorize)
	mux.HandleFunc("POST "+PathGitHubToken, s.token)
	mux.HandleFunc("GET "+PathGitHubUser, s.gitHubUser)
	mux.HandleFunc("GET "+PathGitHubEmails, s.gitHubEmails)
	s.srv = &httptest.Server{
		Listener: l,
		Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.requests[r.URL.Path]++
			s.mu.Unlock()
			mux.ServeHTTP(w, r)
		}), ReadHeaderTimeout: 10 * time.Second},
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.srv.URL }

// Issuer is the OIDC issuer, the base URL.
func (s *Server) Issuer() string { return s.srv.URL }

// GitHubURL is the base of the GitHub web endpoints (BETTERAUTH_GITHUB_URL).
func (s *Server) GitHubURL() string { return s.srv.URL }

// GitHubAPIURL is the base of the GitHub REST API (BETTERAUTH_GITHUB_API_URL).
func (s *Server) GitHubAPIURL() string { return s.srv.URL + PathGitHubAPI }

// ClientID is the registered client's id.
func (s *Server) ClientID() string { return s.clientID }

// ClientSecret is the registered client's secret.
func (s *Server) ClientSecret() string { return s.clientSecret }

// Config is the config of a generic OIDC provider id at this server, endpoints left to discovery.
func (s *Server) Config(id string) oauth.Config {
	return oauth.Config{
		ID: id, Kind: oauth.KindOIDC, ClientID: s.clientID, ClientSecret: s.clientSecret, Issuer: s.Issuer(),
	}
}

// GitHubConfig is the config of a GitHub provider id at this server.
func (s *Server) GitHubConfig(id string) oauth.Config {
	return oauth.Config{
		ID: id, Kind: oauth.KindGitHub, ClientID: s.clientID, ClientSecret: s.clientSecret,
		AuthURL:     s.srv.URL + PathGitHubAuthorize,
		TokenURL:    s.srv.URL + PathGitHubToken,
		UserInfoURL: s.srv.URL + PathGitHubUser,
		EmailsURL:   s.srv.URL + PathGitHubEmails,
	}
}

// Env is the environment that makes oauth.ConfigsFromEnv configure a generic OIDC provider id
// at this server and the github provider at its GitHub endpoints.
func (s *Server) Env(id string) map[string]string {
	prefix := "BETTERAUTH_OIDC_" + strings.ToUpper(strings.ReplaceAll(id, "-", "_")) + "_"
	return map[string]string{
		"BETTERAUTH_OIDC_PROVIDERS":       id,
		prefix + "ISSUER":                 s.Issuer(),
		prefix + "CLIENT_ID":              s.clientID,
		prefix + "CLIENT_SECRET":          s.clientSecret,
		"BETTERAUTH_GITHUB_CLIENT_ID":     s.clientID,
		"BETTERAUTH_GITHUB_CLIENT_SECRET": s.clientSecret,
		"BETTERAUTH_GITHUB_URL":           s.GitHubURL(),
		"BETTERAUTH_GITHUB_API_URL":       s.GitHubAPIURL(),
	}
}

// SetUser sets the identity the next authorizations return.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// DenyNext makes the next authorization redirect back with error=code (e.g. "access_denied", a
// user who cancels) instead of a code.
func (s *Server) DenyNext(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = code
}

// Requests counts the requests made to path (e.g. PathToken, PathJWKS).
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// LastTokenAuth is the client authentication method of the last authenticated token request:
// "client_secret_basic" or "client_secret_post".
func (s *Server) LastTokenAuth() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuth
}

// RevokeAll revokes every access and refresh token issued so far.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
	clear(s.refresh)
}

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.access {
		g.expires = time.Now().Add(-time.Second)
	}
}

// KeyID is the kid of the key that signs ID tokens now.
func (s *Server) KeyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1].KeyID()
}

// RotateKey adds a new signing key and returns its kid. Tokens are signed with it from now on;
// the old keys stay in the JWKS.
func (s *Server) RotateKey() string {
	if err := s.addKey(); err != nil {
		panic("oidctest: " + err.Error())
	}
	return s.KeyID()
}

func (s *Server) addKey() error {
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	k, err := jwk.FromRaw(raw)
	if err != nil {
		return err
	}
	_ = k.Set(jwk.KeyIDKey, "k-"+randomString(9))
	_ = k.Set(jwk.AlgorithmKey, jwa.RS256)
	_ = k.Set(jwk.KeyUsageKey, "sig")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
	return nil
}

// IDTokenClaims are the claims of an ID token for u meant for aud, with nonce when not empty,
// valid for an hour from now.
func (s *Server) IDTokenClaims(u User, aud, nonce string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": s.Issuer(), "sub": u.Sub, "aud": aud, "azp": aud,
		"iat": now.Unix(), "exp": now.Add(defaultIDTokenTTL).Unix(), "auth_time": now.Unix(),
	}
	if u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
	}
	if u.Name != "" {
		c["name"] = u.Name
	}
	if u.Picture != "" {
		c["picture"] = u.Picture
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return c
}

// IDToken signs an ID token for u meant for aud, with nonce when not empty.
func (s *Server) IDToken(u User, aud, nonce string) string {
	return s.Sign(s.IDTokenClaims(u, aud, nonce))
}

// Sign signs claims as a JWT with the current key (RS256, kid in the header).
func (s *Server) Sign(claims map[string]any) string {
	s.mu.Lock()
	key := s.keys[len(s.keys)-1]
	s.mu.Unlock()
	payload, err := json.Marshal(claims)
	if err != nil {
		panic("oidctest: " + err.Error())
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.KeyIDKey, key.KeyID())
	_ = hdr.Set(jws.TypeKey, "JWT")
	out, err := jws.Sign(payload, jws.WithKey(jwa.RS256, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		panic("oidctest: " + err.Error())
	}
	return string(out)
}

// Authorize follows authURL as a browser would, without following the redirect back, and
// returns where the provider redirects to: the redirect URI with code and state, or with error.
// A request the provider refuses without redirecting (bad client_id or redirect_uri) is an error.
func (s *Server) Authorize(authURL string) (*url.URL, error) {
	c := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Get(authURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("oidctest: authorize answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return url.Parse(resp.Header.Get("Location"))
}

func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	iss := s.Issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + PathAuthorize,
		"token_endpoint":                        iss + PathToken,
		"userinfo_endpoint":                     iss + PathUserInfo,
		"jwks_uri":                              iss + PathJWKS,
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile", "offline_access"},
		"token_endpoint_auth_methods_supported": s.authMethods,
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported": []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp",
			"email", "email_verified", "name", "picture",
		},
		"authorization_response_iss_parameter_supported": true,
	})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	set := jwk.NewSet()
	for _, k := range s.keys {
		pub, err := k.PublicKey()
		if err != nil {
			s.mu.Unlock()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = set.AddKey(pub)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// authorize serves both /authorize and GitHub's /login/oauth/authorize.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	github := r.URL.Path == PathGitHubAuthorize
	q := r.URL.Query()
	if dup := repeated(q); dup != "" {
		http.Error(w, "invalid_request: repeated parameter "+dup, http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != s.clientID {
		http.Error(w, "invalid_request: unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !s.validRedirect(redirectURI) {
		http.Error(w, "invalid_request: missing or unregistered redirect_uri", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "error_description": {desc}}
		s.redirect(w, r, redirectURI, v, state, github)
	}
	s.mu.Lock()
	deny, user := s.deny, s.user
	s.deny = ""
	s.mu.Unlock()
	switch {
	case !github && q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	case github && q.Has("response_type") && q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	case q.Get("code_challenge") == "":
		fail("invalid_request", "code_challenge is required")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case deny != "":
		fail(deny, "the user refused")
		return
	}
	var scopes []string
	if github {
		scopes = strings.FieldsFunc(q.Get("scope"), func(r rune) bool { return r == ' ' || r == ',' })
	} else {
		scopes = strings.Fields(q.Get("scope"))
	}
	code := randomString(24)
	s.mu.Lock()
	s.codes[code] = &grant{
		user: user, clientID: s.clientID, scopes: scopes, github: github,
		redirectURI: redirectURI, challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
		expires: time.Now().Add(codeTTL),
	}
	s.mu.Unlock()
	s.redirect(w, r, redirectURI, url.Values{"code": {code}}, state, github)
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request, redirectURI string, v url.Values, state string, github bool) {
	if state != "" {
		v.Set("state", state)
	}
	if !github {
		v.Set("iss", s.Issuer()) // RFC 9207
	}
	u, _ := url.Parse(redirectURI)
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) validRedirect(uri string) bool {
	if uri == "" {
		return false
	}
	if len(s.redirectURIs) > 0 {
		return slices.Contains(s.redirectURIs, uri)
	}
	u, err := url.Parse(uri)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Fragment == ""
}

// tokenError is an RFC 6749 §5.2 error answer; GitHub answers them with 200.
type tokenError struct {
	status int
	code   string
	desc   string
}

// token serves both /token and GitHub's /login/oauth/access_token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	github := r.URL.Path == PathGitHubToken
	answer := func(status int, body map[string]any) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		if github && !strings.Contains(r.Header.Get("Accept"), "json") {
			// GitHub answers form-encoded unless asked for JSON.
			v := url.Values{}
			for k, x := range body {
				v.Set(k, fmt.Sprint(x))
			}
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, v.Encode())
			return
		}
		writeJSON(w, status, body)
	}
	fail := func(e tokenError) {
		if github {
			// GitHub's codes, sent with 200.
			e.status = http.StatusOK
			switch {
			case e.code == "invalid_client":
				e.code = "incorrect_client_credentials"
			case e.code == "invalid_grant" && strings.HasPrefix(e.desc, "redirect_uri"):
				e.code = "redirect_uri_mismatch"
			case e.code == "invalid_grant" && r.PostForm.Get("grant_type") != "refresh_token":
				e.code = "bad_verification_code"
			}
		}
		if e.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="oidctest"`)
		}
		answer(e.status, map[string]any{"error": e.code, "error_description": e.desc})
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		fail(tokenError{http.StatusBadRequest, "invalid_request", "unreadable form"})
		return
	}
	if len(r.URL.RawQuery) > 0 {
		fail(tokenError{http.StatusBadRequest, "invalid_request", "parameters belong in the body"})
		return
	}
	if dup := repeated(r.PostForm); dup != "" {
		fail(tokenError{http.StatusBadRequest, "invalid_request", "repeated parameter " + dup})
		return
	}
	if e := s.authenticate(r, github); e != nil {
		fail(*e)
		return
	}
	var (
		g   *grant
		e   *tokenError
		rtk string
	)
	grantType := r.PostForm.Get("grant_type")
	if github && grantType == "" {
		grantType = "authorization_code" // GitHub does not require it
	}
	switch grantType {
	case "authorization_code":
		g, e = s.redeemCode(r.PostForm, github)
	case "refresh_token":
		rtk = r.PostForm.Get("refresh_token")
		g, e = s.redeemRefresh(rtk, github)
	case "":
		e = &tokenError{http.StatusBadRequest, "invalid_request", "grant_type is required"}
	default:
		e = &tokenError{http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type"}
	}
	if e != nil {
		fail(*e)
		return
	}
	answer(http.StatusOK, s.issue(g, rtk != ""))
}

// authenticate checks the client's credentials: HTTP Basic (form-encoded halves, RFC 6749
// §2.3.1) or client_id and client_secret in the body, never both.
func (s *Server) authenticate(r *http.Request, github bool) *tokenError {
	id, secret, basic := r.BasicAuth()
	post := r.PostForm.Has("client_secret")
	method := oauth.AuthPost
	switch {
	case basic && post:
		return &tokenError{http.StatusBadRequest, "invalid_request", "more than one client authentication method"}
	case basic:
		method = oauth.AuthBasic
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return &tokenError{http.StatusUnauthorized, "invalid_client", "malformed basic credentials"}
		}
		if cid := r.PostForm.Get("client_id"); cid != "" && cid != id {
			return &tokenError{http.StatusBadRequest, "invalid_request", "client_id differs from the authenticated client"}
		}
	case post:
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	default:
		return &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication required"}
	}
	if !github && !slices.Contains(s.authMethods, method) {
		return &tokenError{http.StatusUnauthorized, "invalid_client", method + " is not allowed"}
	}
	if id != s.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) != 1 {
		return &tokenError{http.StatusUnauthorized, "invalid_client", "bad client credentials"}
	}
	s.mu.Lock()
	s.lastAuth = method
	s.mu.Unlock()
	return nil
}

func (s *Server) redeemCode(f url.Values, github bool) (*grant, *tokenError) {
	badGrant := func(desc string) (*grant, *tokenError) {
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", desc}
	}
	code := f.Get("code")
	if code == "" {
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "code is required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.codes[code]
	switch {
	case g == nil || g.github != github:
		return badGrant("unknown code")
	case g.used:
		// RFC 6749 §4.1.2: a replayed code revokes what it gave.
		for _, tk := range g.issued {
			delete(s.access, tk)
			delete(s.refresh, tk)
		}
		return badGrant("code already used")
	case time.Now().After(g.expires):
		delete(s.codes, code)
		return badGrant("code expired")
	}
	g.used = true
	switch {
	case f.Get("redirect_uri") != g.redirectURI:
		return badGrant("redirect_uri differs from the authorization request's")
	case f.Get("code_verifier") == "":
		return badGrant("code_verifier is required")
	case !validVerifier(f.Get("code_verifier")):
		return badGrant("malformed code_verifier")
	case s256(f.Get("code_verifier")) != g.challenge:
		return badGrant("code_verifier does not match the code_challenge")
	}
	return g, nil
}

func (s *Server) redeemRefresh(tk string, github bool) (*grant, *tokenError) {
	if tk == "" {
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "refresh_token is required"}
	}
	code := "invalid_grant"
	if github {
		code = "bad_refresh_token"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.refresh[tk]
	if g == nil || g.github != github {
		return nil, &tokenError{http.StatusBadRequest, code, "unknown or revoked refresh token"}
	}
	delete(s.refresh, tk) // rotation: a refresh token is good once
	if !g.expires.IsZero() && time.Now().After(g.expires) {
		return nil, &tokenError{http.StatusBadRequest, code, "refresh token expired"}
	}
	return g, nil
}

// issue makes the tokens for g: an access token, a new refresh token, and for an OIDC grant with
// the openid scope an ID token (with the authorization request's nonce, none on refresh).
func (s *Server) issue(g *grant, refreshed bool) map[string]any {
	now := time.Now()
	accessTTL, refreshTTL := s.accessTTL, s.refreshTTL
	prefixA, prefixR := "at-", "rt-"
	if g.github {
		accessTTL, refreshTTL = gitHubAccessTTL, gitHubRefreshTTL
		prefixA, prefixR = "ghu_", "ghr_"
	}
	at, rt := prefixA+randomString(24), prefixR+randomString(24)
	base := grant{user: g.user, clientID: g.clientID, scopes: g.scopes, github: g.github}
	a, ref := base, base
	a.expires = now.Add(accessTTL)
	if refreshTTL > 0 {
		ref.expires = now.Add(refreshTTL)
	}
	s.mu.Lock()
	s.access[at], s.refresh[rt] = &a, &ref
	if !refreshed {
		g.issued = append(g.issued, at, rt)
	}
	s.mu.Unlock()

	body := map[string]any{
		"access_token":  at,
		"token_type":    "Bearer",
		"expires_in":    int(accessTTL / time.Second),
		"refresh_token": rt,
	}
	if refreshTTL > 0 {
		body["refresh_token_expires_in"] = int(refreshTTL / time.Second)
	}
	if g.github {
		body["token_type"] = "bearer"
		body["scope"] = strings.Join(g.scopes, ",")
		return body
	}
	body["scope"] = strings.Join(g.scopes, " ")
	if slices.Contains(g.scopes, "openid") {
		nonce := g.nonce
		if refreshed {
			nonce = ""
		}
		claims := s.IDTokenClaims(s.scoped(g.user, g.scopes, s.minimalIDToken), g.clientID, nonce)
		body["id_token"] = s.Sign(claims)
	}
	return body
}

// scoped keeps of u what scopes grant: email with "email", name and picture with "profile";
// nothing but the subject when minimal.
func (s *Server) scoped(u User, scopes []string, minimal bool) User {
	out := User{Sub: u.Sub}
	if minimal {
		return out
	}
	if slices.Contains(scopes, "email") {
		out.Email, out.EmailVerified = u.Email, u.EmailVerified
	}
	if slices.Contains(scopes, "profile") {
		out.Name, out.Picture = u.Name, u.Picture
	}
	return out
}

// bearer returns the live grant of the request's access token, or nil.
func (s *Server) bearer(r *http.Request, github bool) *grant {
	auth := r.Header.Get("Authorization")
	scheme, tk, ok := strings.Cut(auth, " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || github && strings.EqualFold(scheme, "token")) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.access[strings.TrimSpace(tk)]
	if g == nil || g.github != github || time.Now().After(g.expires) {
		return nil
	}
	return g
}

func (s *Server) userInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	g := s.bearer(r, false)
	if g == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_token"})
		return
	}
	u := s.scoped(g.user, g.scopes, false)
	c := map[string]any{"sub": u.Sub}
	if u.Email != "" {
		c["email"], c["email_verified"] = u.Email, u.EmailVerified
	}
	if u.Name != "" {
		c["name"] = u.Name
	}
	if u.Picture != "" {
		c["picture"] = u.Picture
	}
	writeJSON(w, http.StatusOK, c)
}

func gitHubID(sub string) int64 {
	if n, err := strconv.ParseInt(sub, 10, 64); err == nil && n > 0 {
		return n
	}
	h := fnv.New64a()
	_, _ = io.WriteString(h, sub)
	return int64(h.Sum64()>>12) + 1
}

func gitHubLogin(u User) string {
	if u.Login != "" {
		return u.Login
	}
	if local, _, ok := strings.Cut(u.Email, "@"); ok && local != "" {
		return local
	}
	return "user" + strconv.FormatInt(gitHubID(u.Sub), 10)
}

func (s *Server) gitHubUser(w http.ResponseWriter, r *http.Request) {
	g := s.bearer(r, true)
	if g == nil {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401",
		})
		return
	}
	u := g.user
	id := gitHubID(u.Sub)
	login := gitHubLogin(u)
	body := map[string]any{
		"login": login, "id": id, "node_id": "U_" + base64.RawURLEncoding.EncodeToString([]byte(login)),
		"avatar_url": u.Picture, "type": "User", "site_admin": false,
		"name": nil, "email": nil,
		"html_url": s.srv.URL + "/" + login,
	}
	if u.Name != "" {
		body["name"] = u.Name
	}
	if u.PublicEmail && u.Email != "" {
		body["email"] = u.Email
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) gitHubEmails(w http.ResponseWriter, r *http.Request) {
	g := s.bearer(r, true)
	if g == nil {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "status": "401"})
		return
	}
	if !slices.Contains(g.scopes, "user:email") && !slices.Contains(g.scopes, "user") {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "status": "404"})
		return
	}
	type entry struct {
		Email
		Visibility *string `json:"visibility"`
	}
	list := g.user.Emails
	if len(list) == 0 && g.user.Email != "" {
		list = []Email{{Email: g.user.Email, Primary: true, Verified: g.user.EmailVerified}}
	}
	out := make([]entry, 0, len(list))
	for _, e := range list {
		var vis *string
		if e.Primary {
			v := "private"
			if g.user.PublicEmail {
				v = "public"
			}
			vis = &v
		}
		out = append(out, entry{Email: e, Visibility: vis})
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentTypeJSONUTF)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// repeated returns a parameter given more than once (RFC 6749 §3.1, §3.2), or "".
func repeated(v url.Values) string {
	for k, vs := range v {
		if len(vs) > 1 {
			return k
		}
	}
	return ""
}

// validVerifier tells whether v is an RFC 7636 code verifier: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', strings.ContainsRune("-._~", c):
		default:
			return false
		}
	}
	return true
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
