package token_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"gatehouse/db"
	"gatehouse/db/dbtest"
	"gatehouse/handlers/internal/token"
)

func claims(aud string, exp time.Time) token.Claims {
	return token.Claims{Subject: "user-" + uuid.NewString(), SessionID: uuid.New(), Audience: aud, ExpiresAt: exp}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	iss := newIssuer(t, dbtest.NewStore(t), ring(t, 1), issuerURL)
	want := claims("emailcode", time.Now().Add(time.Hour))
	raw, err := iss.Sign(want)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if strings.Count(raw, ".") != 2 {
		t.Fatalf("Sign = %q, not a compact JWS", raw)
	}
	got, err := iss.Verify(ctx, raw, "emailcode")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Subject != want.Subject || got.SessionID != want.SessionID || got.Audience != want.Audience {
		t.Fatalf("Verify = %+v, want %+v", got, want)
	}
	if !got.ExpiresAt.Equal(want.ExpiresAt.Truncate(time.Second)) {
		t.Fatalf("ExpiresAt = %v, want %v", got.ExpiresAt, want.ExpiresAt.Truncate(time.Second))
	}

	// The token says what it should, in the header and the payload.
	header, payload := decodePart(t, raw, 0), decodePart(t, raw, 1)
	if header["alg"] != "ES256" || header["kid"] == nil || header["kid"] == "" {
		t.Fatalf("header = %v, want alg ES256 and a kid", header)
	}
	if payload["iss"] != issuerURL || payload["sub"] != want.Subject || payload["sid"] != want.SessionID.String() {
		t.Fatalf("payload = %v", payload)
	}
	if kid := header["kid"].(string); !slices.Contains(kids(t, iss), kid) {
		t.Fatalf("token kid %s is not in the JWKS", kid)
	}
}

func decodePart(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("part %d of %q: %v", i, raw, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("part %d: %v", i, err)
	}
	return m
}

func encodePart(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	iss := newIssuer(t, store, ring(t, 2), issuerURL)
	sign := func(i *token.Issuer, c token.Claims) string {
		t.Helper()
		raw, err := i.Sign(c)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		return raw
	}
	good := sign(iss, claims("emailcode", time.Now().Add(time.Hour)))
	if _, err := iss.Verify(ctx, good, "emailcode"); err != nil {
		t.Fatalf("Verify of a good token: %v", err)
	}
	parts := strings.Split(good, ".")

	// The payload changed, the signature kept.
	payload := decodePart(t, good, 1)
	payload["sub"] = "admin"
	forgedPayload := parts[0] + "." + encodePart(t, payload) + "." + parts[2]

	// The signature changed.
	sig := []byte(parts[2])
	sig[len(sig)/2] ^= 0x01
	if sig[len(sig)/2] == parts[2][len(sig)/2] {
		t.Fatal("signature unchanged")
	}
	forgedSig := parts[0] + "." + parts[1] + "." + string(sig)

	// An unsigned token.
	header := decodePart(t, good, 0)
	header["alg"] = "none"
	unsigned := encodePart(t, header) + "." + parts[1] + "."

	// HS256 with the public key as the HMAC secret (algorithm confusion).
	hsHeader := map[string]any{"alg": "HS256", "typ": "JWT", "kid": header["kid"]}
	var pubJWK []byte
	for _, k := range jwks(t, iss) {
		if k["kid"] == header["kid"] {
			pubJWK, _ = json.Marshal(k)
		}
	}
	hsInput := encodePart(t, hsHeader) + "." + parts[1]
	mac := hmac.New(sha256.New, pubJWK)
	mac.Write([]byte(hsInput))
	confused := hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	// A token of another deployment, signed with a key this one does not know.
	stranger := newIssuer(t, dbtest.NewStore(t), ring(t, 3), issuerURL)
	foreign := sign(stranger, claims("emailcode", time.Now().Add(time.Hour)))

	// Same keys (same database), other issuer name.
	otherIss := newIssuer(t, store, ring(t, 2), "https://elsewhere.test")
	wrongIssuer := sign(otherIss, claims("emailcode", time.Now().Add(time.Hour)))
	if _, err := otherIss.Verify(ctx, wrongIssuer, "emailcode"); err != nil {
		t.Fatalf("the other issuer rejects its own token: %v", err)
	}

	cases := map[string]struct{ raw, aud string }{
		"tampered payload":    {forgedPayload, "emailcode"},
		"tampered signature":  {forgedSig, "emailcode"},
		"signature removed":   {parts[0] + "." + parts[1] + ".", "emailcode"},
		"alg none":            {unsigned, "emailcode"},
		"alg HS256":           {confused, "emailcode"},
		"wrong audience":      {good, "usersadmin"},
		"empty audience":      {good, ""},
		"wrong issuer":        {wrongIssuer, "emailcode"},
		"expired":             {sign(iss, claims("emailcode", time.Now().Add(-2*time.Minute))), "emailcode"},
		"long expired":        {sign(iss, claims("emailcode", time.Now().Add(-48*time.Hour))), "emailcode"},
		"unknown key":         {foreign, "emailcode"},
		"garbage":             {"not-a-token", "emailcode"},
		"three garbage parts": {"a.b.c", "emailcode"},
		"empty":               {"", "emailcode"},
		"payload only":        {parts[1], "emailcode"},
	}
	for name, c := range cases {
		got, err := iss.Verify(ctx, c.raw, c.aud)
		if !errors.Is(err, token.ErrInvalid) {
			t.Fatalf("%s: Verify = %+v, %v; want ErrInvalid", name, got, err)
		}
		if got != (token.Claims{}) {
			t.Fatalf("%s: Verify returned claims %+v with its error", name, got)
		}
	}
}

func TestNewIssuerReusesTheStoredKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.NewDB(t)
	store := dbtest.OpenStore(t, conn)
	a := newIssuer(t, store, ring(t, 4), issuerURL)
	// Another instance: its own pool over the same database, the same secret.
	b := newIssuer(t, dbtest.OpenStore(t, conn), ring(t, 4), issuerURL)
	ka, kb := kids(t, a), kids(t, b)
	if len(ka) != 1 || !slices.Equal(ka, kb) {
		t.Fatalf("JWKS kids: first %v, second %v; want one shared key", ka, kb)
	}
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.signing_keys"); n != 1 {
		t.Fatalf("%d signing keys, want 1", n)
	}
	c := claims("emailcode", time.Now().Add(time.Hour))
	raw, err := a.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Verify(ctx, raw, "emailcode")
	if err != nil || got.SessionID != c.SessionID {
		t.Fatalf("a token of one instance fails on the other: %+v, %v", got, err)
	}
	raw, err = b.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if kid := decodePart(t, raw, 0)["kid"]; kid != ka[0] {
		t.Fatalf("the second instance signs with kid %v, want the stored %s", kid, ka[0])
	}
}

func TestConcurrentNewIssuersCreateOneKey(t *testing.T) {
	t.Parallel()
	conn := dbtest.NewDB(t)
	const instances = 6
	stores := make([]*db.Store, instances)
	for i := range stores {
		stores[i] = dbtest.OpenStore(t, conn)
	}
	k := ring(t, 5)
	issuers := make([]*token.Issuer, instances)
	errs := make([]error, instances)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			issuers[i], errs[i] = token.NewIssuer(context.Background(), stores[i], k, issuerURL)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("NewIssuer %d: %v", i, err)
		}
	}
	if n := dbtest.Count(t, stores[0], "SELECT count(*) FROM core.signing_keys"); n != 1 {
		t.Fatalf("%d concurrent NewIssuer calls created %d keys, want 1", instances, n)
	}
	first := kids(t, issuers[0])
	for i, iss := range issuers {
		if got := kids(t, iss); len(got) != 1 || !slices.Equal(got, first) {
			t.Fatalf("issuer %d has kids %v, issuer 0 %v", i, got, first)
		}
		raw, err := iss.Sign(claims("emailcode", time.Now().Add(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := issuers[(i+1)%instances].Verify(context.Background(), raw, "emailcode"); err != nil {
			t.Fatalf("token of issuer %d rejected by issuer %d: %v", i, (i+1)%instances, err)
		}
	}
}

func TestVerifyLoadsKeysAddedByAnotherInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.NewDB(t)
	store := dbtest.OpenStore(t, conn)
	first := newIssuer(t, store, ring(t, 6), issuerURL)
	oldKids := kids(t, first)
	oldToken, err := first.Sign(claims("emailcode", time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}

	// The key is retired; another instance starting now creates a new one.
	if _, err := store.Exec(ctx, "UPDATE core.signing_keys SET retired_at = now()"); err != nil {
		t.Fatal(err)
	}
	second := newIssuer(t, dbtest.OpenStore(t, conn), ring(t, 6), issuerURL)
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.signing_keys WHERE retired_at IS NULL"); n != 1 {
		t.Fatalf("%d active keys after the second instance started, want 1", n)
	}
	c := claims("emailcode", time.Now().Add(time.Hour))
	newToken, err := second.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	newKid, _ := decodePart(t, newToken, 0)["kid"].(string)
	if slices.Contains(oldKids, newKid) {
		t.Fatalf("the second instance signs with the retired key %s", newKid)
	}

	// The first instance loaded its keys before the new one existed: it must look again.
	got, err := first.Verify(ctx, newToken, "emailcode")
	if err != nil {
		t.Fatalf("first instance rejects a token signed with a key added after it started: %v", err)
	}
	if got.SessionID != c.SessionID || got.Subject != c.Subject {
		t.Fatalf("Verify = %+v, want %+v", got, c)
	}
	// Tokens signed before the retirement still verify everywhere, and the JWKS lists both keys.
	if _, err := second.Verify(ctx, oldToken, "emailcode"); err != nil {
		t.Fatalf("a token of the retired key (still unexpired) is rejected: %v", err)
	}
	if got := kids(t, first); len(got) != 2 || !slices.Contains(got, newKid) {
		t.Fatalf("JWKS kids = %v, want the old and the new key", got)
	}
}

func TestWrongSecretCannotOpenStoredKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.NewDB(t)
	store := dbtest.OpenStore(t, conn)
	newIssuer(t, store, ring(t, 7), issuerURL)
	if _, err := token.NewIssuer(ctx, dbtest.OpenStore(t, conn), ring(t, 8), issuerURL); err == nil {
		t.Fatal("NewIssuer with another secret opened the stored private key")
	}
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.signing_keys"); n != 1 {
		t.Fatalf("%d keys after the failed start, want the 1 original", n)
	}
	// The private key is stored sealed: no JWK private member in the clear.
	if n := dbtest.Count(t, store, `SELECT count(*) FROM core.signing_keys
		WHERE position('"d"'::bytea IN private_key_enc) > 0 OR position('"kty"'::bytea IN private_key_enc) > 0`); n != 0 {
		t.Fatal("the private key is stored in the clear")
	}
	if n := dbtest.Count(t, store, `SELECT count(*) FROM core.signing_keys WHERE public_jwk ? 'd'`); n != 0 {
		t.Fatal("the public JWK column holds the private member d")
	}
}

func TestJWKSHoldsPublicKeysOnly(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, dbtest.NewStore(t), ring(t, 9), issuerURL)
	raw, err := iss.JWKS(context.Background())
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	keys := jwks(t, iss)
	if len(keys) != 1 {
		t.Fatalf("JWKS %s: want one key", raw)
	}
	for _, k := range keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Fatalf("JWKS key holds the private member %q: %s", private, raw)
			}
		}
		for field, want := range map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"} {
			if k[field] != want {
				t.Fatalf("JWKS key %s = %v, want %s (%s)", field, k[field], want, raw)
			}
		}
		for _, field := range []string{"kid", "x", "y"} {
			if s, _ := k[field].(string); s == "" {
				t.Fatalf("JWKS key lacks %s: %s", field, raw)
			}
		}
	}
	if strings.Contains(string(raw), `"d"`) {
		t.Fatalf("JWKS holds a private member: %s", raw)
	}
}
