package token

import (
	"sync"
	"time"
)

// verifiedCache remembers tokens whose signature, issuer and audience were checked, so that a
// client sending the same token again costs a map lookup instead of an ECDSA verification.
// Only the signature check is cached: expiry is checked on every use, and whether the session
// still lives is the caller's business (a database lookup on every request). Bounded: when full,
// about half the entries are dropped (map iteration order is random).
type verifiedCache struct {
	mu      sync.RWMutex
	entries map[string]Claims
	max     int
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{entries: make(map[string]Claims, max), max: max}
}

func (c *verifiedCache) get(raw, audience string, now time.Time) (Claims, bool) {
	c.mu.RLock()
	claims, ok := c.entries[raw]
	c.mu.RUnlock()
	if !ok || claims.Audience != audience || !now.Before(claims.ExpiresAt) {
		return Claims{}, false
	}
	return claims, true
}

func (c *verifiedCache) put(raw string, claims Claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		n := 0
		for k := range c.entries {
			delete(c.entries, k)
			if n++; n >= c.max/2 {
				break
			}
		}
	}
	c.entries[raw] = claims
}
