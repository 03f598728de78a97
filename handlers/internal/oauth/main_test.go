package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

// callback is the redirect URI the tests use; nothing listens there, the provider only redirects
// to it.
const callback = "http://127.0.0.1:9/api/auth/callback/acme"

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newProvider builds cfg's provider, failing the test on any error.
func newProvider(t *testing.T, cfg oauth.Config) *oauth.Provider {
	t.Helper()
	p, err := oauth.New(t.Context(), &http.Client{Timeout: 5 * time.Second}, cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.ID, err)
	}
	return p
}

// login runs the browser part of the flow: it builds the authorization URL, lets the provider
// approve it and returns the callback's query, checked to carry the state back.
func login(t *testing.T, srv *oidctest.Server, p *oauth.Provider, req oauth.AuthRequest) url.Values {
	t.Helper()
	if req.State == "" {
		req.State = oauth.NewNonce()
	}
	if req.RedirectURI == "" {
		req.RedirectURI = callback
	}
	u, err := p.AuthCodeURL(t.Context(), req)
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	loc, err := srv.Authorize(u)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	q := loc.Query()
	if got := q.Get("state"); got != req.State {
		t.Fatalf("callback state = %q, want %q (callback %s)", got, req.State, loc)
	}
	return q
}

// codeFlow runs a whole authorization and exchange, returning the tokens and the nonce sent.
func codeFlow(t *testing.T, srv *oidctest.Server, p *oauth.Provider) (*oauth.Tokens, string) {
	t.Helper()
	verifier, challenge := oauth.PKCE()
	nonce := ""
	if p.SupportsIDTokens() {
		nonce = oauth.NewNonce()
	}
	q := login(t, srv, p, oauth.AuthRequest{CodeChallenge: challenge, Nonce: nonce})
	if q.Get("code") == "" {
		t.Fatalf("callback without code: %v", q)
	}
	tok, err := p.Exchange(t.Context(), q.Get("code"), verifier, callback)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok, nonce
}

// contextWithCancel is a context derived from the test's, with its cancel function.
func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
