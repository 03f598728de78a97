// Package token issues and verifies the server's tokens: JWTs signed with asymmetric keys kept in
// the database (private halves sealed with the server secret) and published as a JWKS, and the
// random secrets behind one-time codes.
package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/keyring"
)

// ErrInvalid reports a token that is malformed, badly signed, expired or meant for someone else.
var ErrInvalid = errors.New("token: invalid")

const sealPurpose = "signing-keys"

// Claims are what a session token says.
type Claims struct {
	Subject   string
	SessionID uuid.UUID
	Audience  string
	ExpiresAt time.Time
}

// Issuer signs and verifies JWTs with the keys of core.signing_keys.
type Issuer struct {
	store  *db.Store
	ring   *keyring.Keyring
	issuer string

	signer jwk.Key // private key used for new tokens

	mu     sync.RWMutex
	public jwk.Set // every known public key, by kid

	verified *verifiedCache

	lastReload atomic.Int64 // unix nanoseconds of the last reload for an unknown kid
}

// NewIssuer loads the active signing key, creating one when the database has none, and the
// public keys. issuer is the `iss` of every token (the server's base URL).
func NewIssuer(ctx context.Context, store *db.Store, ring *keyring.Keyring, issuer string) (*Issuer, error) {
	iss := &Issuer{store: store, ring: ring, issuer: issuer, verified: newVerifiedCache(50_000)}
	err := store.InTx(ctx, func(tx db.DB) error {
		if err := store.SigningKeyLock(ctx, tx); err != nil {
			return err
		}
		keys, err := store.SigningKeyListActive(ctx, tx)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			iss.signer, err = iss.openPrivate(keys[0])
			return err
		}
		iss.signer, err = iss.createKey(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("token: signing key: %w", err)
	}
	if err := iss.reloadPublic(ctx); err != nil {
		return nil, err
	}
	return iss, nil
}

func (i *Issuer) createKey(ctx context.Context, tx db.DB) (jwk.Key, error) {
	raw, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	priv, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, err
	}
	kid := uuid.NewString()
	_ = priv.Set(jwk.KeyIDKey, kid)
	_ = priv.Set(jwk.AlgorithmKey, jwa.ES256)
	pub, err := priv.PublicKey()
	if err != nil {
		return nil, err
	}
	_ = pub.Set(jwk.KeyUsageKey, "sig")
	_ = pub.Set(jwk.AlgorithmKey, jwa.ES256)
	privJSON, err := json.Marshal(priv)
	if err != nil {
		return nil, err
	}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		return nil, err
	}
	sealed, err := i.ring.Seal(sealPurpose, privJSON)
	if err != nil {
		return nil, err
	}
	err = i.store.SigningKeyInsert(ctx, tx, dbsqlc.SigningKeyInsertParams{
		Kid: kid, Algorithm: jwa.ES256.String(), PublicJwk: pubJSON, PrivateKeyEnc: sealed,
	})
	return priv, err
}

func (i *Issuer) openPrivate(row dbsqlc.CoreSigningKey) (jwk.Key, error) {
	plain, err := i.ring.Open(sealPurpose, row.PrivateKeyEnc)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", row.Kid, err)
	}
	return jwk.ParseKey(plain)
}

func (i *Issuer) reloadPublic(ctx context.Context) error {
	rows, err := i.store.SigningKeyListPublic(ctx, i.store.Pool())
	if err != nil {
		return fmt.Errorf("token: public keys: %w", db.Translate(err))
	}
	set := jwk.NewSet()
	for _, row := range rows {
		k, err := jwk.ParseKey(row.PublicJwk)
		if err != nil {
			return fmt.Errorf("token: public key %s: %w", row.Kid, err)
		}
		_ = set.AddKey(k)
	}
	i.mu.Lock()
	i.public = set
	i.mu.Unlock()
	return nil
}

// Sign returns a signed JWT for c.
func (i *Issuer) Sign(c Claims) (string, error) {
	now := time.Now()
	tok, err := jwt.NewBuilder().
		Issuer(i.issuer).
		Subject(c.Subject).
		Audience([]string{c.Audience}).
		IssuedAt(now).
		Expiration(c.ExpiresAt).
		Claim("sid", c.SessionID.String()).
		Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256, i.signer))
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return string(signed), nil
}

// Verify checks the signature, issuer, audience and expiry of raw and returns its claims.
// Every failure is ErrInvalid.
func (i *Issuer) Verify(ctx context.Context, raw, audience string) (Claims, error) {
	if c, ok := i.verified.get(raw, audience, time.Now()); ok {
		return c, nil
	}
	tok, err := i.parse([]byte(raw), audience)
	if errors.Is(err, errUnknownKey) && i.mayReload() {
		// Another instance may have added a key since we loaded ours. At most once a second,
		// so that tokens with made-up key ids cannot make every request read the database.
		if rerr := i.reloadPublic(ctx); rerr != nil {
			return Claims{}, rerr
		}
		tok, err = i.parse([]byte(raw), audience)
	}
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	sidClaim, _ := tok.Get("sid")
	sidText, _ := sidClaim.(string)
	sid, err := uuid.Parse(sidText)
	if err != nil || tok.Subject() == "" {
		return Claims{}, fmt.Errorf("%w: missing sid or sub", ErrInvalid)
	}
	claims := Claims{Subject: tok.Subject(), SessionID: sid, Audience: audience, ExpiresAt: tok.Expiration()}
	i.verified.put(raw, claims)
	return claims, nil
}

var errUnknownKey = errors.New("unknown key id")

func (i *Issuer) mayReload() bool {
	now := time.Now().UnixNano()
	last := i.lastReload.Load()
	return now-last >= int64(time.Second) && i.lastReload.CompareAndSwap(last, now)
}

func (i *Issuer) parse(raw []byte, audience string) (jwt.Token, error) {
	i.mu.RLock()
	set := i.public
	i.mu.RUnlock()
	tok, err := jwt.Parse(raw,
		jwt.WithKeySet(set, jws.WithRequireKid(true), jws.WithInferAlgorithmFromKey(true)),
		jwt.WithValidate(true),
		jwt.WithIssuer(i.issuer),
		jwt.WithAudience(audience),
		jwt.WithAcceptableSkew(30*time.Second),
	)
	if err != nil && isUnknownKid(err) {
		return nil, errUnknownKey
	}
	return tok, err
}

// JWKS returns the public keys as a JSON Web Key Set document.
func (i *Issuer) JWKS(ctx context.Context) ([]byte, error) {
	if err := i.reloadPublic(ctx); err != nil {
		return nil, err
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	return json.Marshal(i.public)
}

// isUnknownKid reports whether jwx failed because no key of the set has the token's kid.
func isUnknownKid(err error) bool {
	return strings.Contains(err.Error(), "failed to find key with key ID")
}
