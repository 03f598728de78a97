package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestVerifyPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", map[string]any{"username": "eve"})
	if r := a.post("/verify-password", map[string]any{"password": "correct horse"}); r.Status != 200 {
		t.Fatalf("verify-password: %d %s", r.Status, r.Body)
	}
	wantJSON(t, a.post("/verify-password", map[string]any{"password": "correct horse"}), `{"status":true}`)
	social := newBrowser(t, h)
	sid := social.signUp("sol@example.com", "correct horse", nil).User.ID
	h.Exec(`DELETE FROM betterauth.account WHERE "userId" = $1`, sid)
	before := dbState(t, h)
	wantError(t, a.post("/verify-password", map[string]any{"password": "wrong horse"}), 400, "INVALID_PASSWORD")
	wantError(t, a.post("/verify-password", map[string]any{"password": ""}), 400, "INVALID_PASSWORD")
	wantError(t, a.post("/verify-password", map[string]any{"password": strings.Repeat("x", 129)}), 400, "PASSWORD_TOO_LONG")
	// No password account: the same answer as a wrong password.
	wantError(t, social.post("/verify-password", map[string]any{"password": "correct horse"}), 400, "INVALID_PASSWORD")
	wantError(t, newBrowser(t, h).post("/verify-password", map[string]any{"password": "correct horse"}), http.StatusUnauthorized, "UNAUTHORIZED")
	// Checking a password changes nothing, and never signs anybody out.
	wantUnchanged(t, h, before)
	if a.session() == nil {
		t.Fatal("a wrong password ended the session")
	}
}
