package emailcode_test

import (
	"net/http"
	"sync"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

func TestVerifyCodeSignsUpThenSignsIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := signIn(t, h, "ann@example.com")
	u := first.Data.User
	if u.ID == "" || u.Email == nil || *u.Email != "ann@example.com" || u.IsAnonymous || u.Role != "user" || u.LastSignInAt == nil {
		t.Fatalf("new user %+v", u)
	}
	if first.Data.Token == "" || first.Metadata.RequestID == "" || first.Metadata.Timestamp == "" {
		t.Fatalf("answer %+v", first)
	}
	second := signIn(t, h, "ANN@example.com")
	if second.Data.User.ID != u.ID {
		t.Fatalf("second sign-in made a new account %s (first %s)", second.Data.User.ID, u.ID)
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.users`); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.sessions WHERE user_id = $1`, u.ID); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
}

func TestVerifyCodeRefusesWrongExpiredAndUsedCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	verifyResp := func(email, code string) *handlertest.Response {
		return h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/verify-code",
			Body: map[string]any{"email": email, "code": code}})
	}
	wantError(t, verifyResp("none@example.com", "123456"), http.StatusBadRequest, "INVALID_CODE")

	code := requestCode(t, h, "bo@example.com")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantError(t, verifyResp("bo@example.com", wrong), http.StatusBadRequest, "INVALID_CODE")
	verify(t, h, "bo@example.com", code, "")
	wantError(t, verifyResp("bo@example.com", code), http.StatusBadRequest, "INVALID_CODE") // used

	code = requestCode(t, h, "cy@example.com")
	h.Exec(`UPDATE emailcode.codes SET expires_at = now() - interval '1 second' WHERE email = 'cy@example.com'`)
	wantError(t, verifyResp("cy@example.com", code), http.StatusBadRequest, "INVALID_CODE")
	if n := h.Count(`SELECT count(*) FROM emailcode.users`); n != 1 {
		t.Fatalf("%d users, want only bo", n)
	}
}

func TestVerifyCodeDiesAfterFiveWrongTries(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code := requestCode(t, h, "dan@example.com")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/verify-code",
			Body: map[string]any{"email": "dan@example.com", "code": wrong}})
		wantError(t, resp, http.StatusBadRequest, "INVALID_CODE")
	}
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/verify-code",
		Body: map[string]any{"email": "dan@example.com", "code": code}})
	wantError(t, resp, http.StatusBadRequest, "INVALID_CODE")
	if n := h.Count(`SELECT count(*) FROM emailcode.users`); n != 0 {
		t.Fatal("a dead code signed up a user")
	}
}

func TestVerifyCodeConcurrentRedemptionSucceedsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code := requestCode(t, h, "eve@example.com")
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/verify-code",
				Body: map[string]any{"email": "eve@example.com", "code": code}})
			statuses[i] = resp.Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded, want exactly 1 (%v)", ok, statuses)
	}
	if c := h.Count(`SELECT count(*) FROM emailcode.sessions`); c != 1 {
		t.Fatalf("%d sessions, want 1", c)
	}
}

func TestVerifyCodeClaimsTheGuestAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	g := guest(t, h)
	code := requestCode(t, h, "fay@example.com")
	claimed := verify(t, h, "fay@example.com", code, g.Data.Token)
	u := claimed.Data.User
	if u.ID != g.Data.User.ID || u.IsAnonymous || u.Email == nil || *u.Email != "fay@example.com" {
		t.Fatalf("claimed user %+v, want guest %s with the email", u, g.Data.User.ID)
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.users`); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

func TestVerifyCodeWithGuestTokenForAnExistingAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := signIn(t, h, "gus@example.com")
	g := guest(t, h)
	got := verify(t, h, "gus@example.com", requestCode(t, h, "gus@example.com"), g.Data.Token)
	if got.Data.User.ID != owner.Data.User.ID {
		t.Fatalf("signed into %s, want the existing account %s", got.Data.User.ID, owner.Data.User.ID)
	}
	me := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: g.Data.Token})
	if me.Status != http.StatusOK || !me.JSONHas(t, "data.isAnonymous", true) {
		t.Fatalf("the guest changed: %d %s", me.Status, me.Body)
	}
}

func TestVerifyCodeIgnoresANonGuestToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	other := signIn(t, h, "hal@example.com")
	got := verify(t, h, "ivy@example.com", requestCode(t, h, "ivy@example.com"), other.Data.Token)
	if got.Data.User.ID == other.Data.User.ID {
		t.Fatal("a registered account was taken over by another address")
	}
}
