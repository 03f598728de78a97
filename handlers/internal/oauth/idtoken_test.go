package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

// signWith signs claims with key under alg, naming kid in the header.
func signWith(t *testing.T, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, _ := json.Marshal(claims)
	hdr := jws.NewHeaders()
	if kid != "" {
		_ = hdr.Set(jws.KeyIDKey, kid)
	}
	out, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyIDToken(t *testing.T) {
	srv := oidctest.New(t)
	p := newProvider(t, srv.Config("acme"))
	u := oidctest.User{Sub: "s-1", Email: "a@x.test", EmailVerified: true, Name: "A", Picture: "https://p.test/a"}

	ui, err := p.VerifyIDToken(t.Context(), srv.IDToken(u, srv.ClientID(), "n-1"), "n-1")
	if err != nil {
		t.Fatalf("VerifyIDToken: %v", err)
	}
	if want := (oauth.UserInfo{ID: "s-1", Email: "a@x.test", EmailVerified: true, Name: "A", Image: "https://p.test/a"}); *ui != want {
		t.Errorf("UserInfo = %+v, want %+v", *ui, want)
	}
	// Without an expected nonce the token's nonce is not looked at (Better Auth's behaviour).
	if _, err := p.VerifyIDToken(t.Context(), srv.IDToken(u, srv.ClientID(), "n-1"), ""); err != nil {
		t.Errorf("no nonce expected: %v", err)
	}

	claims := func(change func(c map[string]any)) string {
		c := srv.IDTokenClaims(u, srv.ClientID(), "n-1")
		change(c)
		return srv.Sign(c)
	}
	now := time.Now()
	good := srv.IDToken(u, srv.ClientID(), "n-1")
	parts := strings.Split(good, ".")
	foreign, _ := rsa.GenerateKey(rand.Reader, 2048)
	hmacKey := []byte(strings.Repeat("k", 32))

	accepted := []struct {
		name, token string
	}{
		{"expired within the leeway", claims(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Second).Unix() })},
		{"several audiences with azp", claims(func(c map[string]any) { c["aud"] = []string{"other", srv.ClientID()} })},
		{"string email_verified", claims(func(c map[string]any) { c["email_verified"] = "true" })},
		{"fractional dates", claims(func(c map[string]any) { c["iat"] = float64(now.Unix()) + 0.5 })},
	}
	for _, tc := range accepted {
		if _, err := p.VerifyIDToken(t.Context(), tc.token, "n-1"); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if ui, _ := p.VerifyIDToken(t.Context(), accepted[2].token, ""); !ui.EmailVerified {
		t.Error(`email_verified "true" read as false`)
	}

	refused := []struct {
		name, token, nonce string
	}{
		{"wrong audience", srv.IDToken(u, "someone-else", "n-1"), "n-1"},
		{"wrong issuer", claims(func(c map[string]any) { c["iss"] = "https://evil.test" }), "n-1"},
		{"expired", claims(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), "n-1"},
		{"no exp", claims(func(c map[string]any) { delete(c, "exp") }), "n-1"},
		{"no iat", claims(func(c map[string]any) { delete(c, "iat") }), "n-1"},
		{"issued in the future", claims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), "n-1"},
		{"not yet valid", claims(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() }), "n-1"},
		{"no subject", claims(func(c map[string]any) { delete(c, "sub") }), "n-1"},
		{"several audiences, other azp", claims(func(c map[string]any) {
			c["aud"] = []string{"other", srv.ClientID()}
			c["azp"] = "other"
		}), "n-1"},
		{"wrong nonce", good, "n-2"},
		{"no nonce", srv.IDToken(u, srv.ClientID(), ""), "n-1"},
		{"tampered payload", parts[0] + "." + b64(map[string]any{"iss": srv.Issuer(), "sub": "admin", "aud": srv.ClientID(),
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nonce": "n-1"}) + "." + parts[2], "n-1"},
		{"foreign key under the server's kid", signWith(t, jwa.RS256, foreign, srv.KeyID(), srv.IDTokenClaims(u, srv.ClientID(), "n-1")), "n-1"},
		{"HS256 with a guessable secret", signWith(t, jwa.HS256, hmacKey, srv.KeyID(), srv.IDTokenClaims(u, srv.ClientID(), "n-1")), "n-1"},
		{"alg none", b64(map[string]string{"alg": "none", "kid": srv.KeyID()}) + "." + parts[1] + ".", "n-1"},
		{"unknown kid", signWith(t, jwa.RS256, foreign, "nobody", srv.IDTokenClaims(u, srv.ClientID(), "n-1")), "n-1"},
		{"not a JWT", "hello", ""},
		{"JWE shape", "a.b.c.d.e", ""},
		{"garbage segments", "!!.??.**", ""},
		{"huge", strings.Repeat("a", 20000) + ".b.c", ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.VerifyIDToken(t.Context(), tc.token, tc.nonce)
			if !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Errorf("VerifyIDToken = %v, want ErrInvalidIDToken", err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	srv := oidctest.New(t)
	p := newProvider(t, srv.Config("acme"))
	clk := newClock()
	oauth.SetClock(p, clk.Now)
	u := oidctest.DefaultUser
	verify := func(tok string) error {
		_, err := p.VerifyIDToken(t.Context(), tok, "")
		return err
	}
	fetches := func() int { return srv.Requests(oidctest.PathJWKS) }

	old := srv.IDToken(u, srv.ClientID(), "")
	if err := verify(old); err != nil {
		t.Fatal(err)
	}
	if err := verify(old); err != nil || fetches() != 1 {
		t.Fatalf("second verification: %v, %d JWKS fetches (want 1: cached)", err, fetches())
	}

	// A new kid is fetched at once.
	srv.RotateKey()
	rotated := srv.IDToken(u, srv.ClientID(), "")
	if err := verify(rotated); err != nil || fetches() != 2 {
		t.Fatalf("token of a rotated-in key: %v, %d JWKS fetches (want 2)", err, fetches())
	}
	if err := verify(old); err != nil || fetches() != 2 {
		t.Fatalf("token of the old key: %v, %d fetches", err, fetches())
	}

	// Unknown kids do not refetch more than once per cooldown.
	srv.RotateKey()
	again := srv.IDToken(u, srv.ClientID(), "")
	if err := verify(again); !errors.Is(err, oauth.ErrInvalidIDToken) || fetches() != 2 {
		t.Fatalf("second new kid within the cooldown: %v, %d fetches (want refused, 2)", err, fetches())
	}
	if err := verify(signWith(t, jwa.RS256, mustRSA(t), "made-up", srv.IDTokenClaims(u, srv.ClientID(), ""))); !errors.Is(err, oauth.ErrInvalidIDToken) || fetches() != 2 {
		t.Fatalf("made-up kid within the cooldown: %v, %d fetches", err, fetches())
	}
	clk.Advance(oauth.JWKSCooldown + time.Second)
	if err := verify(again); err != nil || fetches() != 3 {
		t.Fatalf("after the cooldown: %v, %d fetches (want 3)", err, fetches())
	}

	// The set is refetched when it grows old even for known kids.
	clk.Advance(oauth.JWKSTTL)
	if err := verify(again); err != nil || fetches() != 4 {
		t.Fatalf("after the TTL: %v, %d fetches (want 4)", err, fetches())
	}
}

func TestJWKSConcurrent(t *testing.T) {
	srv := oidctest.New(t)
	p := newProvider(t, srv.Config("acme"))
	u := oidctest.DefaultUser
	verifyAll := func(tok string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				_, err := p.VerifyIDToken(t.Context(), tok, "")
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	}
	// The first fetch is shared.
	verifyAll(srv.IDToken(u, srv.ClientID(), ""))
	if n := srv.Requests(oidctest.PathJWKS); n != 1 {
		t.Errorf("%d JWKS fetches, want 1 (concurrent first fetches shared)", n)
	}
	// So is the refetch for a new kid.
	srv.RotateKey()
	verifyAll(srv.IDToken(u, srv.ClientID(), ""))
	if n := srv.Requests(oidctest.PathJWKS); n != 2 {
		t.Errorf("%d JWKS fetches, want 2 (concurrent refetches shared)", n)
	}
}

func TestJWKSUnavailable(t *testing.T) {
	srv := oidctest.New(t)
	tr := &flaky{}
	p, err := oauth.New(t.Context(), &http.Client{Transport: tr, Timeout: 5 * time.Second}, srv.Config("acme"))
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	oauth.SetClock(p, clk.Now)
	tok := srv.IDToken(oidctest.DefaultUser, srv.ClientID(), "")

	tr.down.Store(true)
	if _, err := p.VerifyIDToken(t.Context(), tok, ""); !errors.Is(err, oauth.ErrUpstream) || errors.Is(err, oauth.ErrInvalidIDToken) {
		t.Fatalf("JWKS down: %v, want ErrUpstream", err)
	}
	tr.down.Store(false)
	clk.Advance(oauth.JWKSCooldown + time.Second)
	if _, err := p.VerifyIDToken(t.Context(), tok, ""); err != nil {
		t.Fatalf("JWKS back: %v", err)
	}
	// A stale set whose refetch fails is still used.
	tr.down.Store(true)
	clk.Advance(oauth.JWKSTTL + time.Second)
	if _, err := p.VerifyIDToken(t.Context(), tok, ""); err != nil {
		t.Fatalf("stale set with JWKS down: %v", err)
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestJWKSKeyAlgPinned(t *testing.T) {
	// A JWKS key pinned to RS384 cannot verify an RS256 token, even with the right kid.
	priv := mustRSA(t)
	k, _ := jwk.FromRaw(priv)
	_ = k.Set(jwk.KeyIDKey, "pinned")
	pub, _ := k.PublicKey()
	_ = pub.Set(jwk.AlgorithmKey, jwa.RS384)
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	ts := jwksServer(t, set)
	p := newProvider(t, oauth.Config{
		ID: "x", Kind: oauth.KindOIDC, ClientID: "c", ClientSecret: "s", Issuer: ts,
		AuthURL: ts + "/a", TokenURL: ts + "/t", JWKSURL: ts + "/jwks",
	})
	claims := map[string]any{"iss": ts, "aud": "c", "sub": "x", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	if _, err := p.VerifyIDToken(t.Context(), signWith(t, jwa.RS256, priv, "pinned", claims), ""); !errors.Is(err, oauth.ErrInvalidIDToken) {
		t.Errorf("RS256 with an RS384 key: %v", err)
	}
	if _, err := p.VerifyIDToken(t.Context(), signWith(t, jwa.RS384, priv, "pinned", claims), ""); err != nil {
		t.Errorf("RS384: %v", err)
	}
	// Without a kid every key is tried.
	if _, err := p.VerifyIDToken(t.Context(), signWith(t, jwa.RS384, priv, "", claims), ""); err != nil {
		t.Errorf("RS384 without kid: %v", err)
	}
}

// jwksServer serves set at /jwks and returns the server's URL.
func jwksServer(t *testing.T, set jwk.Set) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}
