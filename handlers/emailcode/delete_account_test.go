package emailcode_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

func TestDeleteAccountRemovesUserSessionsAndCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := signIn(t, h, "ann@example.com")
	other := signIn(t, h, "ann@example.com")
	keep := signIn(t, h, "bo@example.com")
	requestCode(t, h, "ann@example.com") // a pending code
	resp := h.Do(handlertest.Request{Method: http.MethodDelete, Path: base + "/delete-account", Token: in.Data.Token})
	if resp.Status != http.StatusNoContent || len(resp.Body) != 0 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.users WHERE id = $1`, in.Data.User.ID); n != 0 {
		t.Fatal("the user is still there")
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.sessions WHERE user_id = $1`, in.Data.User.ID); n != 0 {
		t.Fatal("sessions are still there")
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.codes WHERE email = 'ann@example.com'`); n != 0 {
		t.Fatal("the pending code is still there")
	}
	for _, tok := range []string{in.Data.Token, other.Data.Token} {
		me := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: tok})
		wantError(t, me, http.StatusUnauthorized, "UNAUTHORIZED")
	}
	if me := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: keep.Data.Token}); me.Status != http.StatusOK {
		t.Fatal("another user was affected")
	}
	// Signing in again with the address starts a new account.
	again := signIn(t, h, "ann@example.com")
	if again.Data.User.ID == in.Data.User.ID {
		t.Fatal("the deleted account came back")
	}
}

func TestDeleteAccountNeedsAValidToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	wantError(t, h.Do(handlertest.Request{Method: http.MethodDelete, Path: base + "/delete-account"}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, h.Do(handlertest.Request{Method: http.MethodDelete, Path: base + "/delete-account", Token: "x.y.z"}), http.StatusUnauthorized, "UNAUTHORIZED")
}
