package emailcode_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/google/uuid"

	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/token"
)

func TestGetMeReturnsTheUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := signIn(t, h, "ann@example.com")
	resp := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: in.Data.Token})
	if resp.Status != http.StatusOK {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if !resp.JSONHas(t, "data.id", in.Data.User.ID) || !resp.JSONHas(t, "data.email", "ann@example.com") ||
		!resp.JSONHas(t, "data.isAnonymous", false) || !resp.JSONHas(t, "data.role", "user") {
		t.Fatalf("body %s", resp.Body)
	}
	// The token is a JWT naming the user, verifiable with the published JWKS.
	jwksResp := h.Do(handlertest.Request{Method: http.MethodGet, Path: "/.well-known/jwks.json"})
	set, err := jwk.Parse(jwksResp.Body)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Parse([]byte(in.Data.Token), jwt.WithKeySet(set, jws.WithInferAlgorithmFromKey(true)))
	if err != nil {
		t.Fatalf("the token does not verify with the JWKS: %v", err)
	}
	if tok.Subject() != in.Data.User.ID || tok.Issuer() != handlertest.BaseURL {
		t.Fatalf("sub %s iss %s", tok.Subject(), tok.Issuer())
	}
	if _, ok := tok.Get("sid"); !ok {
		t.Fatal("no session id in the token")
	}
}

func TestGetMeRefusesBadTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := signIn(t, h, "bo@example.com")
	good := in.Data.Token
	forged := forgeToken(t, in.Data.User.ID)
	tampered := good[:len(good)-4] + "AAAA"
	parts := strings.Split(good, ".")
	cases := map[string]http.Header{
		"missing":       nil,
		"not bearer":    {"Authorization": {"Basic Ym86cHc="}},
		"empty bearer":  {"Authorization": {"Bearer "}},
		"malformed":     {"Authorization": {"Bearer not-a-jwt"}},
		"tampered":      {"Authorization": {"Bearer " + tampered}},
		"unsigned":      {"Authorization": {"Bearer " + parts[0] + "." + parts[1] + "."}},
		"foreign key":   {"Authorization": {"Bearer " + forged}},
		"wrong subject": {"Authorization": {"Bearer " + resign(t, h, good, "00000000-0000-0000-0000-000000000000")}},
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			resp := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Header: header})
			wantError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
		})
	}
}

func TestGetMeRefusesExpiredRevokedAndOrphanedSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := func(tok string) *handlertest.Response {
		return h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: tok})
	}
	expired := signIn(t, h, "exp@example.com")
	h.Exec(`UPDATE emailcode.sessions SET expires_at = now() - interval '1 second'`)
	wantError(t, me(expired.Data.Token), http.StatusUnauthorized, "UNAUTHORIZED")

	revoked := signIn(t, h, "rev@example.com")
	h.Exec(`DELETE FROM emailcode.sessions WHERE user_id = $1`, revoked.Data.User.ID)
	wantError(t, me(revoked.Data.Token), http.StatusUnauthorized, "UNAUTHORIZED")

	gone := signIn(t, h, "gone@example.com")
	h.Exec(`DELETE FROM emailcode.users WHERE id = $1`, gone.Data.User.ID)
	wantError(t, me(gone.Data.Token), http.StatusUnauthorized, "UNAUTHORIZED")
}

// forgeToken signs a well-formed token with a key the server does not know.
func forgeToken(t *testing.T, sub string) string {
	t.Helper()
	raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := jwk.FromRaw(raw)
	_ = key.Set(jwk.KeyIDKey, "forged")
	tok, _ := jwt.NewBuilder().Issuer(handlertest.BaseURL).Subject(sub).Audience([]string{"emailcode"}).
		Expiration(time.Now().Add(time.Hour)).Claim("sid", "7f4177fa-5340-42bb-a1a4-f79862bf5447").Build()
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256, key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// resign re-signs good's claims with a different subject using the server's own key, as a
// server-side bug or a leaked key would: the session check must still refuse it.
func resign(t *testing.T, h *handlertest.Harness, good, sub string) string {
	t.Helper()
	parsed, err := jwt.Parse([]byte(good), jwt.WithVerify(false))
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := parsed.Get("sid")
	ring, err := keyring.New(h.Secret)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := token.NewIssuer(context.Background(), h.Store, ring, handlertest.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	out, err := issuer.Sign(token.Claims{Subject: sub, SessionID: uuid.MustParse(sid.(string)),
		Audience: "emailcode", ExpiresAt: parsed.Expiration()})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
