package betterauth_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/handlers"
)

func TestApiKeySession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	uid := b.session().User.ID
	row, key := createKey(t, b, map[string]any{"name": "cli"})

	// get-session answers the key owner's user and a synthetic session, with no cookie or cache headers.
	start := time.Now()
	r := h.Do(handlertestRequest(key, http.MethodGet, "/get-session", nil, "curl/8"))
	if r.Status != 200 || r.Header.Get("Set-Cookie") != "" || r.Header.Get("Cache-Control") != "" || r.Header.Get("Pragma") != "" {
		t.Fatalf("get-session: %d %v %s", r.Status, r.Header, r.Body)
	}
	var got struct {
		User    map[string]any `json:"user"`
		Session map[string]any `json:"session"`
	}
	r.Decode(t, &got)
	s := got.Session
	if got.User["id"] != uid || got.User["email"] != "kim@example.com" || len(s) != 8 || s["id"] != row["id"] ||
		s["token"] != key || s["userId"] != uid || s["userAgent"] != "curl/8" || !jsDate.MatchString(s["createdAt"].(string)) {
		t.Fatalf("get-session body %s", r.Body)
	}
	// expiresAt: now + 604800 milliseconds, as Better Auth computes it.
	exp, err := time.Parse(time.RFC3339, s["expiresAt"].(string))
	if err != nil || exp.Before(start.Add(604*time.Second)) || exp.After(time.Now().Add(606*time.Second)) {
		t.Fatalf("expiresAt %v", s["expiresAt"])
	}
	// The use is counted.
	if h.Count(`SELECT "requestCount" FROM betterauth.apikey WHERE id = $1 AND "lastRequest" IS NOT NULL`, row["id"]) != 1 {
		t.Fatal("use not counted")
	}

	// A session-gated write with the key, no cookie.
	r = withKey(h, key, http.MethodPost, "/update-user", map[string]any{"name": "Kim by key"})
	if r.Status != 200 || r.Header.Get("Set-Cookie") != "" {
		t.Fatalf("update-user with a key: %d %v %s", r.Status, r.Header, r.Body)
	}
	if b.session().User.Name != "Kim by key" {
		t.Fatal("update-user with a key not applied")
	}
	// And the plugin's own operations.
	if r := withKey(h, key, http.MethodGet, "/api-key/list", nil); r.Status != 200 || r.JSON(t)["total"] != float64(1) {
		t.Fatalf("list with a key: %d %s", r.Status, r.Body)
	}
	// Fresh-session operations too (the synthetic session starts now).
	if r := withKey(h, key, http.MethodGet, "/list-sessions", nil); r.Status != 200 || !strings.HasPrefix(string(r.Body), "[") {
		t.Fatalf("list-sessions with a key: %d %s", r.Status, r.Body)
	}
	// The key wins over a cookie of someone else.
	other := keyOwner(t, h, "lou@example.com")
	hdr := http.Header{"X-Api-Key": {key}, "Cookie": {other.cookieHeader()}}
	r = h.Do(handlertestReq(http.MethodGet, "/get-session", hdr))
	if r.Status != 200 || !strings.Contains(string(r.Body), `"email":"kim@example.com"`) {
		t.Fatalf("key with another's cookie: %d %s", r.Status, r.Body)
	}
}

func TestApiKeySessionRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	row, key := createKey(t, b, map[string]any{})
	id := row["id"].(string)

	wantError(t, withKey(h, "short", http.MethodGet, "/get-session", nil), 403, "INVALID_API_KEY")
	wantError(t, withKey(h, strings.Repeat("x", 64), http.MethodGet, "/get-session", nil), 401, "INVALID_API_KEY")
	wantError(t, withKey(h, strings.Repeat("x", 64), http.MethodPost, "/update-user", map[string]any{"name": "x"}), 401, "INVALID_API_KEY")

	// Disabled: 401 KEY_DISABLED, nothing used, the key kept.
	if r := b.post("/api-key/update", map[string]any{"keyId": id, "enabled": false}); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	before := dbState(t, h)
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 401, "KEY_DISABLED")
	wantError(t, withKey(h, key, http.MethodPost, "/update-user", map[string]any{"name": "x"}), 401, "KEY_DISABLED")
	wantUnchanged(t, h, before)
	b.post("/api-key/update", map[string]any{"keyId": id, "enabled": true})

	// The owner banned: 401 USER_BANNED, nothing used; a ban that has expired is lifted.
	h.Exec(`UPDATE betterauth."user" SET banned = true WHERE email = 'kim@example.com'`)
	before = dbState(t, h)
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 401, "USER_BANNED")
	wantError(t, withKey(h, key, http.MethodPost, "/update-user", map[string]any{"name": "x"}), 401, "USER_BANNED")
	wantUnchanged(t, h, before)
	h.Exec(`UPDATE betterauth."user" SET "banExpires" = now() - interval '1 minute' WHERE email = 'kim@example.com'`)
	if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
		t.Fatalf("expired ban: %d %s", r.Status, r.Body)
	}

	// The owner gone: INVALID_REFERENCE_ID_FROM_API_KEY.
	h.Exec(`UPDATE betterauth.apikey SET "referenceId" = 'nobody' WHERE id = $1`, id)
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 401, "INVALID_REFERENCE_ID_FROM_API_KEY")
}

func TestApiKeyRemainingAndRefill(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	row, key := createKey(t, b, map[string]any{})
	id := row["id"].(string)
	h.Exec(`UPDATE betterauth.apikey SET remaining = 2, "rateLimitEnabled" = false WHERE id = $1`, id)
	for i := 0; i < 2; i++ {
		if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
			t.Fatalf("use %d: %d %s", i, r.Status, r.Body)
		}
	}
	// At 0 without refill: 429 USAGE_EXCEEDED, the key used up: the next request deletes it.
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 429, "USAGE_EXCEEDED")
	if h.Count(`SELECT count(*) FROM betterauth.apikey WHERE id = $1`, id) != 0 {
		t.Fatal("used-up key kept")
	}

	// With a refill: at 0, 429 until the interval has passed, then refillAmount - 1.
	row, key = createKey(t, b, map[string]any{})
	id = row["id"].(string)
	h.Exec(`UPDATE betterauth.apikey SET remaining = 0, "refillAmount" = 5, "refillInterval" = 3600000, "lastRefillAt" = now(), "rateLimitEnabled" = false WHERE id = $1`, id)
	before := dbState(t, h)
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 429, "USAGE_EXCEEDED")
	wantUnchanged(t, h, before)
	h.Exec(`UPDATE betterauth.apikey SET "lastRefillAt" = now() - interval '2 hours' WHERE id = $1`, id)
	if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
		t.Fatalf("after refill: %d %s", r.Status, r.Body)
	}
	if h.Count(`SELECT remaining FROM betterauth.apikey WHERE id = $1 AND "lastRefillAt" > now() - interval '1 minute'`, id) != 4 {
		t.Fatal("refill not applied")
	}
	withKey(h, key, http.MethodGet, "/get-session", nil)
	if h.Count(`SELECT remaining FROM betterauth.apikey WHERE id = $1`, id) != 3 {
		t.Fatal("no decrement after refill")
	}
	// A refill due counts from createdAt when the key was never refilled.
	h.Exec(`UPDATE betterauth.apikey SET remaining = 0, "lastRefillAt" = NULL, "createdAt" = now() - interval '2 hours' WHERE id = $1`, id)
	if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
		t.Fatalf("first refill: %d %s", r.Status, r.Body)
	}
}

func TestApiKeyRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	row, key := createKey(t, b, map[string]any{})
	id := row["id"].(string)
	// Default: 10 requests a day; the 11th is refused with the time to wait.
	for i := 0; i < 10; i++ {
		if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	before := dbState(t, h)
	r := withKey(h, key, http.MethodGet, "/get-session", nil)
	wantError(t, r, 429, "RATE_LIMITED")
	var body struct {
		Message string `json:"message"`
		Details struct {
			TryAgainIn float64 `json:"tryAgainIn"`
		} `json:"details"`
	}
	r.Decode(t, &body)
	if body.Message != "Rate limit exceeded." || body.Details.TryAgainIn <= 86_390_000 || body.Details.TryAgainIn > 86_400_000 {
		t.Fatalf("rate limited body %s", r.Body)
	}
	wantUnchanged(t, h, before)
	// The window is counted from the last accepted request: once it is over, the count restarts.
	h.Exec(`UPDATE betterauth.apikey SET "lastRequest" = now() - interval '1 day 1 second' WHERE id = $1`, id)
	if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
		t.Fatalf("after the window: %d %s", r.Status, r.Body)
	}
	if h.Count(`SELECT "requestCount" FROM betterauth.apikey WHERE id = $1`, id) != 1 {
		t.Fatal("count not restarted")
	}
	// Rate limiting off (server-side): no limit, lastRequest still moves.
	h.Exec(`UPDATE betterauth.apikey SET "rateLimitEnabled" = false, "requestCount" = 10, "lastRequest" = now() - interval '1 hour' WHERE id = $1`, id)
	if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
		t.Fatalf("limit off: %d %s", r.Status, r.Body)
	}
	if h.Count(`SELECT count(*) FROM betterauth.apikey WHERE id = $1 AND "lastRequest" > now() - interval '1 minute'`, id) != 1 {
		t.Fatal("lastRequest not moved")
	}
}

// With BETTERAUTH_API_KEY_RATE_LIMIT=off, keys are made without a rate limit and even a key
// stored with one is not limited.
func TestApiKeyRateLimitOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.APIKeyRateLimitOff = true })
	b := keyOwner(t, h, "kim@example.com")
	row, key := createKey(t, b, map[string]any{})
	if row["rateLimitEnabled"] != false {
		t.Fatalf("rateLimitEnabled %v, want false", row["rateLimitEnabled"])
	}
	h.Exec(`UPDATE betterauth.apikey SET "rateLimitEnabled" = true WHERE id = $1`, row["id"])
	for i := 0; i < 12; i++ {
		if r := withKey(h, key, http.MethodGet, "/get-session", nil); r.Status != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	// Such a key's use is recorded (lastRequest, at most once a second); its counters stay.
	if h.Count(`SELECT count(*) FROM betterauth.apikey WHERE id = $1 AND "lastRequest" > now() - interval '1 minute'
		AND "requestCount" = 0 AND "remaining" IS NULL`, row["id"]) != 1 {
		t.Fatal("lastRequest not recorded, or counters moved")
	}
	// A disabled or expired key is still refused.
	h.Exec(`UPDATE betterauth.apikey SET enabled = false WHERE id = $1`, row["id"])
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 401, "KEY_DISABLED")
	h.Exec(`UPDATE betterauth.apikey SET enabled = true, "expiresAt" = now() - interval '1 second' WHERE id = $1`, row["id"])
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 401, "KEY_EXPIRED")
	if h.Count(`SELECT count(*) FROM betterauth.apikey WHERE id = $1`, row["id"]) != 0 {
		t.Fatal("the expired key was not deleted")
	}
}

// TestApiKeyConcurrentUses: 8 requests at once with a key allowed 3 uses (or 3 requests per
// window) succeed exactly 3 times.
func TestApiKeyConcurrentUses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	for _, c := range []struct {
		name, set, code string
	}{
		// The 4th use finds the key used up and deletes it; later ones find no key.
		{"remaining", `remaining = 3, "rateLimitEnabled" = false`, "USAGE_EXCEEDED INVALID_API_KEY"},
		{"rate limit", `"rateLimitMax" = 3`, "RATE_LIMITED"},
	} {
		row, key := createKey(t, b, map[string]any{})
		h.Exec(`UPDATE betterauth.apikey SET `+c.set+` WHERE id = $1`, row["id"])
		statuses := make([]int, 8)
		codes := make([]string, 8)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := withKey(h, key, http.MethodGet, "/get-session", nil)
				statuses[i] = r.Status
				if r.Status != 200 {
					var e struct{ Code string }
					r.Decode(t, &e)
					codes[i] = e.Code
				}
			}()
		}
		wg.Wait()
		ok := 0
		for i, s := range statuses {
			switch {
			case s == 200:
				ok++
			case s != 429 && s != 401 || !strings.Contains(c.code, codes[i]):
				t.Fatalf("%s: status %d %s", c.name, s, codes[i])
			}
		}
		if ok != 3 {
			t.Fatalf("%s: %d of 8 succeeded, want 3 (%v)", c.name, ok, statuses)
		}
	}
}

// TestApiKeyFromNode: a key row written by Node Better Auth (hash computed by Node's
// createHash("sha256").digest("base64url"), JSON columns as it stores them) works as is.
func TestApiKeyFromNode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	uid := b.session().User.ID
	const key = "nd_AbCdEfGhAbCdEfGhAbCdEfGhAbCdEfGhAbCdEfGhAbCdEfGhAbCdEfGhAbCdEfGh"
	h.Exec(`INSERT INTO betterauth.apikey (id, "configId", name, start, "referenceId", prefix, key, enabled,
		"rateLimitEnabled", "rateLimitTimeWindow", "rateLimitMax", "requestCount", "createdAt", "updatedAt", permissions, metadata)
		VALUES ('nodeKeyId000000000000000000000000', 'default', 'from node', 'nd_AbC', $1, 'nd_',
		'H-9E8aBoN6-dFqqOwHRig4plAgjPvbmMTbQE3xUk84c', true, true, 86400000, 10, 0, now(), now(),
		'{"files":["read","write"]}', '"{\"plan\":\"pro\"}"')`, uid)
	r := withKey(h, key, http.MethodGet, "/get-session", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"token":"`+key+`"`) || !strings.Contains(string(r.Body), `"userId":"`+uid+`"`) {
		t.Fatalf("get-session with a Node key: %d %s", r.Status, r.Body)
	}
	r = b.get("/api-key/get?id=nodeKeyId000000000000000000000000")
	got := r.JSON(t)
	perms, _ := got["permissions"].(map[string]any)
	meta, _ := got["metadata"].(map[string]any)
	if r.Status != 200 || len(perms["files"].([]any)) != 2 || meta["plan"] != "pro" || got["requestCount"] != float64(1) {
		t.Fatalf("get of a Node key: %d %s", r.Status, r.Body)
	}
}
