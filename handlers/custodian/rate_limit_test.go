package custodian_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/handlertest"
)

func TestRateLimitAdminOperations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "uma@example.com")
	_, admTok := admin(t, h, "root@example.com")
	path := fmt.Sprintf("/users/%d/rate-limit", u.ID)
	limit := map[string]any{"window_seconds": 60, "requests_per_window": 30}

	wantError(t, send(h, http.MethodPut, path, tok, limit), http.StatusForbidden, "FORBIDDEN")
	wantError(t, send(h, http.MethodDelete, path, tok, nil), http.StatusForbidden, "FORBIDDEN")
	for _, body := range []map[string]any{
		{"window_seconds": 0, "requests_per_window": 30},
		{"window_seconds": 60, "requests_per_window": 0},
		{"window_seconds": 86401, "requests_per_window": 1},
		{"window_seconds": 60},
		{"requests_per_window": 1},
		{"window_seconds": "60", "requests_per_window": 1},
		{"window_seconds": 1.5, "requests_per_window": 1},
	} {
		wantError(t, send(h, http.MethodPut, path, admTok, body), http.StatusBadRequest, "BAD_REQUEST")
	}
	if n := h.Count(`SELECT count(*) FROM custodian.users WHERE rate_window_seconds IS NOT NULL`); n != 0 {
		t.Fatal("bad input set a limit")
	}
	wantError(t, send(h, http.MethodPut, "/users/999999/rate-limit", admTok, limit), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, send(h, http.MethodDelete, "/users/999999/rate-limit", admTok, nil), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, send(h, http.MethodPut, "/users/x/rate-limit", admTok, limit), http.StatusBadRequest, "INVALID_USER_ID")
	wantError(t, send(h, http.MethodDelete, "/users/0/rate-limit", admTok, nil), http.StatusBadRequest, "INVALID_USER_ID")

	resp := send(h, http.MethodPut, path, admTok, limit)
	if resp.Status != http.StatusOK || !resp.JSONHas(t, "window_seconds", 60) || !resp.JSONHas(t, "requests_per_window", 30) {
		t.Fatalf("put: %d %s", resp.Status, resp.Body)
	}
	if n := h.Count(`SELECT count(*) FROM custodian.users WHERE id = $1 AND rate_window_seconds = 60 AND rate_requests_per_window = 30`, u.ID); n != 1 {
		t.Fatal("limit not stored")
	}
	if resp := send(h, http.MethodDelete, path, admTok, nil); resp.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.Status, resp.Body)
	}
	if n := h.Count(`SELECT count(*) FROM custodian.users WHERE rate_window_seconds IS NOT NULL`); n != 0 {
		t.Fatal("limit not removed")
	}
}

func TestRateLimitIsEnforcedPerUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "vic@example.com")
	_, otherTok := signUp(t, h, "wes@example.com")
	_, admTok := admin(t, h, "root@example.com")
	path := fmt.Sprintf("/users/%d/rate-limit", u.ID)
	send(h, http.MethodPut, path, admTok, map[string]any{"window_seconds": 3600, "requests_per_window": 3})

	for i := range 3 {
		if resp := get(h, "/me/profile", tok); resp.Status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, resp.Status, resp.Body)
		}
	}
	for range 3 {
		resp := get(h, "/me/notification-settings/email", tok)
		wantError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 3600 {
			t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	if n := h.Count(`SELECT count(*) FROM custodian.events WHERE user_id = $1 AND type = 'rate-limit/exceeded'`, u.ID); n != 1 {
		t.Fatalf("%d rate-limit/exceeded events, want 1 per window", n)
	}
	lastEventData(t, h, u.ID, "rate-limit/exceeded")
	for range 5 {
		if resp := get(h, "/me/profile", otherTok); resp.Status != http.StatusOK {
			t.Fatalf("another user was limited: %d", resp.Status)
		}
	}
	send(h, http.MethodDelete, path, admTok, nil)
	if resp := get(h, "/me/profile", tok); resp.Status != http.StatusOK {
		t.Fatalf("after the limit was removed: %d %s", resp.Status, resp.Body)
	}
	h.Exec(`UPDATE core.rate_limits SET window_start = now() - interval '2 hours' WHERE key LIKE 'custodian-user:%'`)
	send(h, http.MethodPut, path, admTok, map[string]any{"window_seconds": 3600, "requests_per_window": 3})
	if resp := get(h, "/me/profile", tok); resp.Status != http.StatusOK {
		t.Fatalf("a new window: %d %s", resp.Status, resp.Body)
	}
}

func TestRateLimitCountsEveryRequestWithTheToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "yan@example.com")
	_, admTok := admin(t, h, "root@example.com")
	send(h, http.MethodPut, fmt.Sprintf("/users/%d/rate-limit", u.ID), admTok, map[string]any{"window_seconds": 3600, "requests_per_window": 3})
	// Malformed requests and requests to operations that need no token count too.
	wantError(t, get(h, "/me/notification-settings/sms", tok), http.StatusBadRequest, "INVALID_CHANNEL")
	wantError(t, send(h, http.MethodPatch, "/me/profile", tok, map[string]any{}), http.StatusBadRequest, "BAD_REQUEST")
	h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/auth/login-token", Token: tok, Body: map[string]any{"email": "yan@example.com"}})
	wantError(t, get(h, "/me/profile", tok), http.StatusTooManyRequests, "RATE_LIMITED")
	wantError(t, get(h, "/me/notification-settings/sms", tok), http.StatusTooManyRequests, "RATE_LIMITED")
	// Without the token the user is a stranger, subject only to the per-IP limits.
	if resp := send(h, http.MethodPost, "/auth/login-token", "", map[string]any{"email": "yan@example.com"}); resp.Status != http.StatusOK {
		t.Fatalf("login-token without a token: %d %s", resp.Status, resp.Body)
	}
	// A revoked or foreign token on an operation that needs none is ignored.
	if resp := send(h, http.MethodPost, "/auth/login", "garbage", map[string]any{"email": "yan@example.com", "password": goodPassword}); resp.Status != http.StatusOK {
		t.Fatalf("login with a stale bearer: %d %s", resp.Status, resp.Body)
	}
}

func TestRateLimitHoldsAcrossInstances(t *testing.T) {
	t.Parallel()
	one := newHarness(t)
	two := one.Twin(handlers.Config{})
	u, tok := signUp(t, one, "xia@example.com")
	_, admTok := admin(t, one, "root@example.com")
	resp := send(two, http.MethodPut, fmt.Sprintf("/users/%d/rate-limit", u.ID), admTok,
		map[string]any{"window_seconds": 3600, "requests_per_window": 4})
	if resp.Status != http.StatusOK {
		t.Fatalf("put on the second instance: %d %s", resp.Status, resp.Body)
	}
	instances := []*struct{ ok, limited int }{{}, {}}
	for i := range 10 {
		h := one
		if i%2 == 1 {
			h = two
		}
		switch resp := get(h, "/me/profile", tok); resp.Status {
		case http.StatusOK:
			instances[i%2].ok++
		case http.StatusTooManyRequests:
			instances[i%2].limited++
		default:
			t.Fatalf("request %d: %d %s", i, resp.Status, resp.Body)
		}
	}
	if instances[0].ok+instances[1].ok != 4 || instances[0].ok != 2 || instances[1].ok != 2 ||
		instances[0].limited != 3 || instances[1].limited != 3 {
		t.Fatalf("instance one %+v, two %+v: want 4 requests allowed in all, 2 on each", *instances[0], *instances[1])
	}
}

// The first refused request of a window is recorded in the transaction that counts it: when the
// event cannot be written the request is not counted either, and the next refusal records it.
func TestRateLimitRefusalIsCountedWithItsEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "zed@example.com")
	_, admTok := admin(t, h, "root@example.com")
	send(h, http.MethodPut, fmt.Sprintf("/users/%d/rate-limit", u.ID), admTok, map[string]any{"window_seconds": 3600, "requests_per_window": 1})
	if resp := get(h, "/me/profile", tok); resp.Status != http.StatusOK {
		t.Fatalf("first request: %d", resp.Status)
	}
	// The event log refuses writes for one request.
	h.Exec(`CREATE FUNCTION custodian.refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'event log down'; END $$`)
	h.Exec(`CREATE TRIGGER refuse_events BEFORE INSERT ON custodian.events FOR EACH ROW EXECUTE FUNCTION custodian.refuse_events()`)
	if resp := get(h, "/me/profile", tok); resp.Status != http.StatusInternalServerError {
		t.Fatalf("with the event log down: %d %s", resp.Status, resp.Body)
	}
	h.Exec(`DROP TRIGGER refuse_events ON custodian.events`)
	wantError(t, get(h, "/me/profile", tok), http.StatusTooManyRequests, "RATE_LIMITED")
	if n := h.Count(`SELECT count(*) FROM custodian.events WHERE user_id = $1 AND type = 'rate-limit/exceeded'`, u.ID); n != 1 {
		t.Fatalf("%d rate-limit/exceeded events, want 1", n)
	}
}
