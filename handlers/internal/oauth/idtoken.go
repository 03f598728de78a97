package oauth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

const (
	// jwksTTL is how long a fetched key set is used before it is fetched again.
	jwksTTL = 15 * time.Minute
	// jwksCooldown is the least time between two fetches for an unknown kid, and after a failed
	// fetch.
	jwksCooldown = 5 * time.Second
	// maxIDToken bounds the length of an ID token the client parses.
	maxIDToken = 16 << 10
)

// VerifyIDToken checks an ID token the client got by itself (Better Auth's idToken sign-in) and
// returns the identity in its claims: signature against the provider's JWKS, iss, aud (and azp
// when there are several audiences), exp, iat, nbf with 30 s of leeway, a subject, and the nonce
// when nonce is not empty. A token that fails is ErrInvalidIDToken; a JWKS that cannot be fetched
// is ErrUpstream (or ErrDiscovery). GitHub gives ErrIDTokenNotSupported.
//
// The claims may lack an email (scope without "email"): the caller refuses such a sign-in, or
// calls UserInfo with the ID token and an access token to complete it from the user info endpoint.
func (p *Provider) VerifyIDToken(ctx context.Context, raw, nonce string) (*UserInfo, error) {
	if p.cfg.Kind != KindOIDC {
		return nil, ErrIDTokenNotSupported
	}
	ep, err := p.resolve(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.verifyIDToken(ctx, ep, raw, nonce)
	if err != nil {
		return nil, err
	}
	return c.userInfo(), nil
}

// idClaims are the ID token claims the client reads.
type idClaims struct {
	Iss           string       `json:"iss"`
	Sub           string       `json:"sub"`
	Aud           audience     `json:"aud"`
	Azp           string       `json:"azp"`
	Exp           *numericDate `json:"exp"`
	Iat           *numericDate `json:"iat"`
	Nbf           *numericDate `json:"nbf"`
	Nonce         *string      `json:"nonce"`
	Email         string       `json:"email"`
	EmailVerified flexBool     `json:"email_verified"`
	Name          string       `json:"name"`
	GivenName     string       `json:"given_name"`
	FamilyName    string       `json:"family_name"`
	Picture       string       `json:"picture"`
}

func (c *idClaims) userInfo() *UserInfo {
	name := c.Name
	if name == "" {
		name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
	return &UserInfo{
		ID: c.Sub, Email: c.Email, EmailVerified: c.Email != "" && bool(c.EmailVerified),
		Name: name, Image: c.Picture,
	}
}

// audience reads aud as a string or an array of strings.
type audience []string

// UnmarshalJSON implements json.Unmarshaler.
func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("aud is neither a string nor an array of strings")
	}
	*a = list
	return nil
}

// numericDate reads a JWT NumericDate: seconds since the epoch, possibly fractional.
type numericDate struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return fmt.Errorf("%s is not a NumericDate", b)
	}
	sec, frac := math.Modf(f)
	d.Time = time.Unix(int64(sec), int64(frac*1e9))
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidIDToken, fmt.Sprintf(format, args...))
}

// verifyIDToken checks raw's signature and claims; see VerifyIDToken.
func (p *Provider) verifyIDToken(ctx context.Context, ep *endpoints, raw, nonce string) (*idClaims, error) {
	if len(raw) > maxIDToken {
		return nil, invalid("longer than %d bytes", maxIDToken)
	}
	if strings.Count(raw, ".") != 2 {
		return nil, invalid("not a compact JWS")
	}
	msg, err := jws.Parse([]byte(raw), jws.WithCompact())
	if err != nil {
		return nil, invalid("%v", err)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return nil, invalid("%d signatures", len(sigs))
	}
	hdr := sigs[0].ProtectedHeaders()
	alg := hdr.Algorithm()
	if !slices.Contains(ep.algs, alg) {
		return nil, invalid("signature algorithm %q is not accepted", alg)
	}
	if len(hdr.Critical()) > 0 {
		return nil, invalid("critical header parameters %v are not understood", hdr.Critical())
	}
	kid := hdr.KeyID()
	keys, err := p.keys.lookup(ctx, ep.jwks, kid)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, invalid("no key with kid %q in the provider's JWKS", kid)
	}
	var payload []byte
	for _, k := range keys {
		if ka := k.Algorithm(); ka != nil && ka.String() != "" && ka.String() != alg.String() { // key pinned to another alg
			continue
		}
		if u := k.KeyUsage(); u != "" && u != string(jwk.ForSignature) {
			continue
		}
		if payload, err = jws.Verify([]byte(raw), jws.WithKey(alg, k), jws.WithCompact()); err == nil {
			break
		}
	}
	if payload == nil {
		return nil, invalid("bad signature")
	}

	var c idClaims
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&c); err != nil {
		return nil, invalid("claims: %v", err)
	}
	now := p.now()
	switch {
	case !slices.Contains(ep.issuers, c.Iss):
		return nil, invalid("issuer %q, want %q", c.Iss, ep.issuers[0])
	case !slices.Contains(c.Aud, p.cfg.ClientID):
		return nil, invalid("audience %v does not contain the client id", []string(c.Aud))
	case len(c.Aud) > 1 && c.Azp != p.cfg.ClientID:
		return nil, invalid("several audiences and azp %q is not the client id", c.Azp)
	case c.Sub == "":
		return nil, invalid("no subject")
	case c.Exp == nil:
		return nil, invalid("no exp")
	case !now.Before(c.Exp.Add(clockSkew)):
		return nil, invalid("expired at %s", c.Exp.UTC().Format(time.RFC3339))
	case c.Iat == nil:
		return nil, invalid("no iat")
	case c.Iat.After(now.Add(clockSkew)):
		return nil, invalid("issued in the future (%s)", c.Iat.UTC().Format(time.RFC3339))
	case c.Nbf != nil && c.Nbf.After(now.Add(clockSkew)):
		return nil, invalid("not valid before %s", c.Nbf.UTC().Format(time.RFC3339))
	}
	if nonce != "" && (c.Nonce == nil || subtle.ConstantTimeCompare([]byte(*c.Nonce), []byte(nonce)) != 1) {
		return nil, invalid("nonce does not match")
	}
	return &c, nil
}

// keyCache holds a provider's JWKS: fetched when first needed, again after jwksTTL, and again
// for a kid it lacks (a rotated-in key) unless such a refetch happened within jwksCooldown.
// Concurrent fetches are shared.
type keyCache struct {
	p   *Provider
	sem chan struct{} // held while fetching

	mu        sync.Mutex
	set       jwk.Set
	gen       uint64 // counts successful fetches
	fetchedAt time.Time
	refetchAt time.Time // last fetch for an unknown kid
	failedAt  time.Time // last failed fetch
	lastErr   error
}

// lookup returns the keys that may have signed a token with kid: the key with that kid, or every
// key when the token names none. An empty answer means no such key even after a refetch.
func (c *keyCache) lookup(ctx context.Context, url, kid string) ([]jwk.Key, error) {
	c.mu.Lock()
	set, gen := c.set, c.gen
	fresh := set != nil && c.p.now().Sub(c.fetchedAt) < jwksTTL
	c.mu.Unlock()
	if fresh {
		if keys := match(set, kid); len(keys) > 0 {
			return keys, nil
		}
	}
	set, err := c.refresh(ctx, url, gen, fresh)
	if err != nil {
		return nil, err
	}
	return match(set, kid), nil
}

// refresh fetches the key set unless another caller did since generation seen. unknownKid marks
// a refetch for a kid the fresh set lacks, limited by jwksCooldown. A failed refetch of a stale
// set keeps using the stale set.
func (c *keyCache) refresh(ctx context.Context, url string, seen uint64, unknownKid bool) (jwk.Set, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, upstreamErr("JWKS", ctx.Err())
	}
	defer func() { <-c.sem }()

	c.mu.Lock()
	now := c.p.now()
	switch {
	case c.gen != seen:
		defer c.mu.Unlock()
		return c.set, nil
	case !c.failedAt.IsZero() && now.Sub(c.failedAt) < jwksCooldown:
		defer c.mu.Unlock()
		if c.set != nil {
			return c.set, nil
		}
		return nil, c.lastErr
	case unknownKid && !c.refetchAt.IsZero() && now.Sub(c.refetchAt) < jwksCooldown:
		defer c.mu.Unlock()
		return c.set, nil
	}
	if unknownKid {
		c.refetchAt = now
	}
	c.mu.Unlock()

	set, err := c.fetch(ctx, url)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failedAt, c.lastErr = c.p.now(), err
		if c.set != nil && !unknownKid {
			return c.set, nil
		}
		return nil, err
	}
	c.set, c.fetchedAt, c.failedAt, c.lastErr = set, now, time.Time{}, nil
	c.gen++
	return set, nil
}

func (c *keyCache) fetch(ctx context.Context, url string) (jwk.Set, error) {
	var raw json.RawMessage
	status, err := c.p.getJSON(ctx, url, http.Header{"Accept": {"application/jwk-set+json, application/json"}}, &raw)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, upstream("JWKS %s answered %d", url, status)
	}
	set, err := jwk.Parse(raw, jwk.WithIgnoreParseError(true)) // skip key types jwx does not know
	if err != nil {
		return nil, upstream("JWKS %s: %v", url, err)
	}
	if set.Len() == 0 {
		return nil, upstream("JWKS %s has no keys", url)
	}
	return set, nil
}

// match returns the key with kid, or every key when kid is empty.
func match(set jwk.Set, kid string) []jwk.Key {
	if set == nil {
		return nil
	}
	if kid != "" {
		if k, ok := set.LookupKeyID(kid); ok {
			return []jwk.Key{k}
		}
		return nil
	}
	keys := make([]jwk.Key, 0, set.Len())
	for i := range set.Len() {
		if k, ok := set.Key(i); ok {
			keys = append(keys, k)
		}
	}
	return keys
}
