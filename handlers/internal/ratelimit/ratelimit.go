// Package ratelimit counts requests in fixed windows kept in PostgreSQL, so that every server
// instance sharing the database enforces one limit together.
package ratelimit

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/keyring"
)

// Rule is a limit: at most Limit requests per Window for one subject. A zero Limit disables it.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
}

// LimitedError reports that a rule's limit is reached.
type LimitedError struct {
	Rule       string
	RetryAfter time.Duration
}

// Error names the rule.
func (e *LimitedError) Error() string {
	return fmt.Sprintf("rate limit %s reached; retry after %s", e.Rule, e.RetryAfter)
}

// Limiter checks rules against the shared counters.
type Limiter struct {
	store    *db.Store
	ring     *keyring.Keyring
	disabled bool
	now      func() time.Time
}

// New returns a limiter on store; a disabled limiter allows everything. Subjects (addresses,
// IPs) are stored as keyed hashes under ring, so the table does not reveal who was counted.
func New(store *db.Store, ring *keyring.Keyring, disabled bool) *Limiter {
	return &Limiter{store: store, ring: ring, disabled: disabled, now: time.Now}
}

// Check counts one request of subject under rule and returns a *LimitedError when it is over.
func (l *Limiter) Check(ctx context.Context, rule Rule, subject string) error {
	if l == nil || l.disabled || rule.Limit <= 0 {
		return nil
	}
	sum := l.ring.MAC("ratelimit", []byte(rule.Name+"\x00"+subject))
	row, err := l.store.RateLimitHit(ctx, l.store.Pool(), dbsqlc.RateLimitHitParams{
		Key:           rule.Name + ":" + hex.EncodeToString(sum[:16]),
		WindowSeconds: rule.Window.Seconds(),
	})
	if err != nil {
		return fmt.Errorf("ratelimit: %w", db.Translate(err))
	}
	if int(row.Hits) > rule.Limit {
		wait := row.WindowEnd.Sub(l.now())
		if wait < time.Second {
			wait = time.Second
		}
		return &LimitedError{Rule: rule.Name, RetryAfter: wait}
	}
	return nil
}

// Sweep deletes counters whose window ended more than maxWindow ago.
func (l *Limiter) Sweep(ctx context.Context, maxWindow time.Duration) (int64, error) {
	return l.store.RateLimitDeleteExpired(ctx, l.store.Pool(), maxWindow.Seconds())
}
