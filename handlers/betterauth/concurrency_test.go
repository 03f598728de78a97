package betterauth_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// race sends n requests at once (as nearly as goroutines allow) and returns the answers by index.
func race(h *handlertest.Harness, n int, req func(i int) handlertest.Request) []*handlertest.Response {
	out := make([]*handlertest.Response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = h.Do(req(i))
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// One reset token redeemed by eight requests at once sets the password exactly once.
func TestResetPasswordTokenIsSingleUseUnderConcurrency(t *testing.T) {
	t.Parallel()
	const n = 8
	h := newHarness(t)
	id := newBrowser(t, h).signUp("race@example.com", "correct horse", nil).User.ID
	device := newBrowser(t, h)
	device.signIn("race@example.com", "correct horse")
	for round := range 2 {
		tok := requestReset(t, h, "/request-password-reset", "race@example.com", "/reset")
		answers := race(h, n, func(i int) handlertest.Request {
			return handlertest.Request{Method: http.MethodPost, Path: base + "/reset-password",
				Body: map[string]any{"newPassword": fmt.Sprintf("racer %d horse %d", round, i), "token": tok}}
		})
		winner := -1
		for i, r := range answers {
			if r.Status == http.StatusOK {
				if winner >= 0 {
					t.Fatalf("round %d: the token worked twice (requests %d and %d)", round, winner, i)
				}
				winner = i
				wantJSON(t, r, `{"status":true}`)
				continue
			}
			wantError(t, r, http.StatusBadRequest, "INVALID_TOKEN")
		}
		if winner < 0 {
			t.Fatalf("round %d: no request succeeded", round)
		}
		// The stored password is the winner's (a hash verifies one password: no loser's landed after it).
		newBrowser(t, h).signIn("race@example.com", fmt.Sprintf("racer %d horse %d", round, winner))
		loser := (winner + 1) % n
		wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "race@example.com",
			"password": fmt.Sprintf("racer %d horse %d", round, loser)}), http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
		if h.Count(`SELECT count(*) FROM betterauth.verification`) != 0 {
			t.Fatalf("round %d: the token is still stored", round)
		}
		if h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1`, id) != 1 {
			t.Fatalf("round %d: want one credential account", round)
		}
	}
	if device.session() == nil {
		t.Fatal("the resets ended an existing session")
	}
}

// One deletion link opened by eight requests at once deletes exactly once.
func TestDeleteUserCallbackIsSingleUseUnderConcurrency(t *testing.T) {
	t.Parallel()
	const n = 8
	h := newHarness(t)
	keep := newBrowser(t, h)
	keepID := keep.signUp("keep@example.com", "correct horse", nil).User.ID
	for round := range 3 {
		a := newBrowser(t, h)
		email := fmt.Sprintf("gone%d@example.com", round)
		id := a.signUp(email, "correct horse", nil).User.ID
		tok := deletionMail(t, a, email, "")["token"]
		cookie := a.cookieHeader()
		answers := race(h, n, func(int) handlertest.Request {
			return handlertest.Request{Method: http.MethodGet, Path: base + "/delete-user/callback?token=" + tok,
				Header: http.Header{"Cookie": {cookie}}}
		})
		deleted := 0
		for _, r := range answers {
			if r.Status == http.StatusOK {
				deleted++
				wantJSON(t, r, `{"success":true,"message":"User deleted"}`)
				continue
			}
			// The others either find the token used up, or (once the user is gone) no session.
			var body struct{ Code string }
			r.Decode(t, &body)
			if r.Status != http.StatusNotFound || (body.Code != "INVALID_TOKEN" && body.Code != "FAILED_TO_GET_USER_INFO") {
				t.Fatalf("round %d: a losing request answered %d %s", round, r.Status, r.Body)
			}
		}
		if deleted != 1 {
			t.Fatalf("round %d: %d requests deleted the user, want exactly 1", round, deleted)
		}
		userGone(t, h, id)
		if h.Count(`SELECT count(*) FROM betterauth.verification`) != 0 {
			t.Fatalf("round %d: the token is still stored", round)
		}
	}
	if keep.session() == nil || h.Count(`SELECT count(*) FROM betterauth."user" WHERE id = $1`, keepID) != 1 {
		t.Fatal("another user was touched")
	}
}
