package custodian_test

import (
	"encoding/json"
	"net/http"
	"testing"
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
