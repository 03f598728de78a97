package oauth

import "time"

// Timing constants, for tests that move the clock.
const (
	JWKSCooldown   = jwksCooldown
	JWKSTTL        = jwksTTL
	DiscoveryRetry = discoveryRetry
)

// SetClock makes p read the time from now. Call it before p is shared.
func SetClock(p *Provider, now func() time.Time) { p.now = now }
