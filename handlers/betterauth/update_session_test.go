package betterauth_test

import (
	"net/http"
	"testing"
)

func TestUpdateSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", nil)
	before := dbState(t, h)
	// This server defines no writable session field: every call is refused.
	r := a.post("/update-session", map[string]any{})
	wantError(t, r, 400, "NO_FIELDS_TO_UPDATE")
	if !jsonHas(t, r, "message", "No fields to update") {
		t.Fatalf("message: %s", r.Body)
	}
	wantNoCookies(t, r)
	wantError(t, a.post("/update-session", map[string]any{"activeOrganizationId": "org"}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, newBrowser(t, h).post("/update-session", map[string]any{}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
	if a.session() == nil {
		t.Fatal("session lost")
	}
}
