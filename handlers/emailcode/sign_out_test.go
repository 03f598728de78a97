package emailcode_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

func TestSignOutEndsOnlyThatSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := signIn(t, h, "ann@example.com")
	second := signIn(t, h, "ann@example.com")
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/sign-out", Token: first.Data.Token})
	if resp.Status != http.StatusNoContent || len(resp.Body) != 0 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	me := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: first.Data.Token})
	wantError(t, me, http.StatusUnauthorized, "UNAUTHORIZED")
	again := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/sign-out", Token: first.Data.Token})
	wantError(t, again, http.StatusUnauthorized, "UNAUTHORIZED")
	if me := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: second.Data.Token}); me.Status != http.StatusOK {
		t.Fatalf("the other session ended too: %d", me.Status)
	}
}

func TestSignOutNeedsAToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/sign-out"})
	wantError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	resp = h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/sign-out", Token: "junk"})
	wantError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
}
