package emailcode_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

func TestSignInAnonymouslyCreatesAGuest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	g := guest(t, h)
	u := g.Data.User
	if !u.IsAnonymous || u.Email != nil || u.Role != "user" || g.Data.Token == "" {
		t.Fatalf("guest %+v", g.Data)
	}
	other := guest(t, h)
	if other.Data.User.ID == u.ID {
		t.Fatal("two guests share an id")
	}
	me := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: g.Data.Token})
	if me.Status != http.StatusOK || !me.JSONHas(t, "data.id", u.ID) {
		t.Fatalf("me: %d %s", me.Status, me.Body)
	}
}

func TestStaleGuestsAreSwept(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	stale, fresh := guest(t, h), guest(t, h)
	member := signIn(t, h, "old@example.com")
	h.Exec(`UPDATE emailcode.users SET last_seen_at = now() - interval '31 days' WHERE id IN ($1, $2)`,
		stale.Data.User.ID, member.Data.User.ID)
	h.App.Sweep(t.Context())
	if n := h.Count(`SELECT count(*) FROM emailcode.users WHERE id = $1`, stale.Data.User.ID); n != 0 {
		t.Fatal("the stale guest is still there")
	}
	for _, tok := range []string{fresh.Data.Token, member.Data.Token} {
		if resp := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: tok}); resp.Status != http.StatusOK {
			t.Fatalf("a fresh guest or a registered user was swept: %d", resp.Status)
		}
	}
	resp := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: stale.Data.Token})
	wantError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestUsingATokenKeepsAGuestAlive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	g := guest(t, h)
	h.Exec(`UPDATE emailcode.users SET last_seen_at = now() - interval '29 days' WHERE id = $1`, g.Data.User.ID)
	if resp := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: g.Data.Token}); resp.Status != http.StatusOK {
		t.Fatal(resp.Status)
	}
	h.Exec(`UPDATE emailcode.users SET last_seen_at = last_seen_at - interval '2 days' WHERE id = $1 AND last_seen_at < now() - interval '1 day'`, g.Data.User.ID)
	h.App.Sweep(t.Context())
	if n := h.Count(`SELECT count(*) FROM emailcode.users WHERE id = $1`, g.Data.User.ID); n != 1 {
		t.Fatal("a guest whose token was just used was swept")
	}
}
