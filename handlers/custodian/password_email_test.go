package custodian_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/custodianflow"
	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/ratelimit"
)

func TestChangePasswordRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, current := signUp(t, h, "ian@example.com")
	other := login(t, h, "ian@example.com", goodPassword)
	requestToken(t, h, "ian@example.com")

	resp := send(h, http.MethodPut, "/me/password", current, map[string]any{"old_password": goodPassword, "new_password": "New-password9"})
	if resp.Status != http.StatusOK {
		t.Fatalf("change: %d %s", resp.Status, resp.Body)
	}
	if resp := get(h, "/me/profile", current); resp.Status != http.StatusOK {
		t.Fatalf("the current session ended: %d", resp.Status)
	}
	wantError(t, get(h, "/me/profile", other), http.StatusUnauthorized, "UNAUTHORIZED")
	if n := h.Count(`SELECT count(*) FROM custodian.login_tokens`); n != 0 {
		t.Fatal("a pending login token survived the change")
	}
	wantError(t, loginResp(h, map[string]any{"email": "ian@example.com", "password": goodPassword}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	login(t, h, "ian@example.com", "New-password9")
	lastEventData(t, h, u.ID, "auth/password-changed")
}

func TestChangePasswordRefusesBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, tok := signUp(t, h, "jo@example.com")
	for _, tc := range []struct {
		body   map[string]any
		status int
		code   string
		says   string
	}{
		{map[string]any{"new_password": "New-password9"}, 400, "BAD_REQUEST", "Missing old_password"},
		{map[string]any{"old_password": goodPassword}, 400, "BAD_REQUEST", "Missing new_password"},
		{map[string]any{"old_password": goodPassword, "new_password": "short1A"}, 400, "BAD_REQUEST", "new_password"},
		{map[string]any{"old_password": goodPassword, "new_password": "ONLYUPPERCASE"}, 400, "BAD_REQUEST", "2 of"},
		{map[string]any{"old_password": "Wrong-password1", "new_password": "New-password9"}, 400, "INVALID_CREDENTIALS", "old password"},
	} {
		msg := wantError(t, send(h, http.MethodPut, "/me/password", tok, tc.body), tc.status, tc.code)
		wantMessage(t, msg, tc.says)
	}
	wantError(t, send(h, http.MethodPut, "/me/password", "", map[string]any{"new_password": "New-password9"}), http.StatusUnauthorized, "UNAUTHORIZED")
	login(t, h, "jo@example.com", goodPassword) // unchanged
}

func TestChangePasswordAfterTokenLoginNeedsNoOldPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	register(t, h, "kim@example.com")
	resp := tokenLogin(h, "kim@example.com", requestToken(t, h, "kim@example.com"))
	var out struct {
		Token string `json:"token"`
	}
	resp.Decode(t, &out)
	resp = send(h, http.MethodPut, "/me/password", out.Token, map[string]any{"new_password": "Forgot-it-2"})
	if resp.Status != http.StatusOK {
		t.Fatalf("change: %d %s", resp.Status, resp.Body)
	}
	login(t, h, "kim@example.com", "Forgot-it-2")
	// The session has set a password: the next change needs it, like any session's.
	resp = send(h, http.MethodPut, "/me/password", out.Token, map[string]any{"new_password": "Forgot-it-3"})
	wantMessage(t, wantError(t, resp, http.StatusBadRequest, "BAD_REQUEST"), "Missing old_password")
}

func TestChangeEmailEndsEverySessionAndTellsTheOldAddress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, current := signUp(t, h, "lee@example.com")
	other := login(t, h, "lee@example.com", goodPassword)
	register(t, h, "taken@example.com")

	wantError(t, send(h, http.MethodPut, "/me/email", current, map[string]any{"email": "taken@example.com"}), http.StatusConflict, "EMAIL_TAKEN")
	wantMessage(t, wantError(t, send(h, http.MethodPut, "/me/email", current, map[string]any{}), http.StatusBadRequest, "BAD_REQUEST"), "Missing email")
	wantError(t, send(h, http.MethodPut, "/me/email", current, map[string]any{"email": "bad"}), http.StatusBadRequest, "BAD_REQUEST")
	wantError(t, send(h, http.MethodPut, "/me/email", current, map[string]any{"email": "LEE@example.com"}), http.StatusBadRequest, "BAD_REQUEST")

	resp := send(h, http.MethodPut, "/me/email", current, map[string]any{"email": "Lee.New@example.com"})
	if resp.Status != http.StatusOK {
		t.Fatalf("change: %d %s", resp.Status, resp.Body)
	}
	var got user
	resp.Decode(t, &got)
	if got.ID != u.ID || got.Email != "lee.new@example.com" {
		t.Fatalf("answer %+v", got)
	}
	wantError(t, get(h, "/me/profile", current), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, get(h, "/me/profile", other), http.StatusUnauthorized, "UNAUTHORIZED")
	mails := h.MailTo("lee@example.com")
	if len(mails) != 1 || mails[0].Template != "custodian-email-changed" {
		t.Fatalf("old address mail %+v", mails)
	}
	var data map[string]string
	if err := json.Unmarshal(mails[0].Data, &data); err != nil || data["newEmail"] != "lee.new@example.com" {
		t.Fatalf("mail data %s", mails[0].Data)
	}
	wantError(t, loginResp(h, map[string]any{"email": "lee@example.com", "password": goodPassword}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	login(t, h, "lee.new@example.com", goodPassword)
	if d := lastEventData(t, h, u.ID, "auth/email-changed"); d["old_email"] != "lee@example.com" {
		t.Fatalf("event %v", d)
	}
}

// revokedInFlight sends req for a user whose account row the test holds locked, ends every
// session of the user (as a concurrent password change from another session would) once the
// request waits on that lock, and returns the answer: a session revoked while its request was
// in flight must not change the account.
func revokedInFlight(t *testing.T, h *handlertest.Harness, userID int64, method, path, token string, body any) *handlertest.Response {
	t.Helper()
	return changedInFlight(t, h, userID, `DELETE FROM custodian.sessions WHERE user_id = $1`, method, path, token, body)
}

// changedInFlight sends req while the test holds the account row of userID locked, runs change
// (with userID as $1) in the test's transaction once the request waits on that lock, commits,
// and returns the answer.
func changedInFlight(t *testing.T, h *handlertest.Harness, userID int64, change, method, path, token string, body any) *handlertest.Response {
	t.Helper()
	ctx := context.Background()
	tx, err := h.Store.Pool().(*pgxpool.Pool).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT 1 FROM custodian.users WHERE id = $1 FOR UPDATE`, userID); err != nil {
		t.Fatal(err)
	}
	done := make(chan *handlertest.Response, 1)
	go func() { done <- send(h, method, path, token, body) }()
	waiting := func() bool {
		return h.Count(`SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND datname = current_database()`) > 0
	}
	for deadline := time.Now().Add(10 * time.Second); !waiting(); time.Sleep(5 * time.Millisecond) {
		select {
		case resp := <-done:
			t.Fatalf("the request did not wait for the account: %d %s", resp.Status, resp.Body)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the request never waited for the account")
		}
	}
	if _, err := tx.Exec(ctx, change, userID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return <-done
}

func TestChangePasswordFromASessionRevokedInFlightChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "lea@example.com")
	resp := revokedInFlight(t, h, u.ID, http.MethodPut, "/me/password", tok,
		map[string]any{"old_password": goodPassword, "new_password": "New-password9"})
	wantError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	login(t, h, "lea@example.com", goodPassword) // unchanged
	for _, typ := range eventTypes(t, h, u.ID) {
		if typ == "auth/password-changed" {
			t.Fatal("an auth/password-changed event was written")
		}
	}
}

func TestChangeEmailFromASessionRevokedInFlightChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "max@example.com")
	resp := revokedInFlight(t, h, u.ID, http.MethodPut, "/me/email", tok, map[string]any{"email": "mo@example.com"})
	wantError(t, resp, http.StatusUnauthorized, "UNAUTHORIZED")
	login(t, h, "max@example.com", goodPassword) // unchanged
	if len(h.MailTo("max@example.com")) != 0 {
		t.Fatal("the old address was told of a change that did not happen")
	}
}

// Password changes racing from several sessions of one account: exactly one wins, it keeps its
// session, and its password is the account's; the others were revoked by it and change nothing.
func TestConcurrentPasswordChangesFromSeveralSessionsOneWins(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	signUp(t, h, "ned@example.com")
	const n = 6
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = login(t, h, "ned@example.com", goodPassword)
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = send(h, http.MethodPut, "/me/password", tokens[i],
				map[string]any{"old_password": goodPassword, "new_password": fmt.Sprintf("New-password%d", i)}).Status
		}()
	}
	wg.Wait()
	winner := -1
	for i, s := range statuses {
		switch {
		case s == http.StatusOK && winner < 0:
			winner = i
		case s != http.StatusUnauthorized:
			t.Fatalf("statuses %v: want one 200 and the rest 401", statuses)
		}
	}
	if winner < 0 {
		t.Fatalf("statuses %v: nobody won", statuses)
	}
	if n := h.Count(`SELECT count(*) FROM custodian.sessions`); n != 1 {
		t.Fatalf("%d sessions left, want the winner's", n)
	}
	if resp := get(h, "/me/profile", tokens[winner]); resp.Status != http.StatusOK {
		t.Fatalf("the winner's session: %d", resp.Status)
	}
	login(t, h, "ned@example.com", fmt.Sprintf("New-password%d", winner))
}

// Checking old_password counts against the per-IP limit of logins: a stolen token cannot be
// used to guess the password at hashing speed.
func TestChangePasswordOldPasswordGuessesAreLimited(t *testing.T) {
	t.Parallel()
	h := handlertest.New(t, handlers.Config{Custodian: custodianflow.Config{
		LoginPerIP: ratelimit.Rule{Name: "custodian-login-ip", Limit: 3, Window: time.Hour}}})
	_, tok := signUp(t, h, "oli@example.com") // from another address than the guesses below
	change := func(old string) *handlertest.Response {
		return h.Do(handlertest.Request{Method: http.MethodPut, Path: base + "/me/password", Token: tok,
			RemoteAddr: "203.0.113.9:1234", Body: map[string]any{"old_password": old, "new_password": "New-password9"}})
	}
	for range 3 {
		wantError(t, change("Guess-password1"), http.StatusBadRequest, "INVALID_CREDENTIALS")
	}
	resp := change(goodPassword)
	wantError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	login(t, h, "oli@example.com", goodPassword) // unchanged
}
