package token_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"testing"

	"gatehouse/db"
	"gatehouse/db/dbtest"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/token"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const issuerURL = "https://gatehouse.test"

// ring returns a keyring over a secret made of one repeated byte.
func ring(t *testing.T, b byte) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatalf("keyring.New: %v", err)
	}
	return k
}

func newIssuer(t *testing.T, store *db.Store, k *keyring.Keyring, iss string) *token.Issuer {
	t.Helper()
	i, err := token.NewIssuer(context.Background(), store, k, iss)
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	return i
}

// jwks fetches and decodes the issuer's key set.
func jwks(t *testing.T, i *token.Issuer) []map[string]any {
	t.Helper()
	raw, err := i.JWKS(context.Background())
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JWKS %s: %v", raw, err)
	}
	return doc.Keys
}

// kids lists the key ids of the issuer's key set, sorted.
func kids(t *testing.T, i *token.Issuer) []string {
	t.Helper()
	var out []string
	for _, k := range jwks(t, i) {
		kid, _ := k["kid"].(string)
		out = append(out, kid)
	}
	sort.Strings(out)
	return out
}
