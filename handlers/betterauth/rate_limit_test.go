package betterauth_test

import (
	"strings"
	"testing"

	"gatehouse/handlers"
)

func TestRateLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.RateLimitOff = false })
	for i := range 4 {
		r := newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "x@example.com", "password": "whatever1"})
		if i < 3 && r.Status != 401 {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
		if i == 3 && (r.Status != 429 || r.Header.Get("X-Retry-After") == "") {
			t.Fatalf("4th attempt: %d %v", r.Status, r.Header)
		}
		if i == 3 && strings.TrimSpace(string(r.Body)) != `{"message":"Too many requests. Please try again later."}` {
			// Better Auth's answer: a message and no code.
			t.Fatalf("429 body %s", r.Body)
		}
	}
}
