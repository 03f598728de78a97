package betterauth_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/internal/webauthntest"
)

// list-user-passkeys: the session user's passkeys, oldest first, as stored.
func TestPasskeyList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, ann, auth, first := signedUpWithPasskey(t, h, "ann@example.com")
	second := webauthntest.New()
	a.registerPasskey(second, "Phone")
	b, _, _, _ := signedUpWithPasskey(t, h, "bob@example.com")

	r := a.get("/passkey/list-user-passkeys")
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var rows []passkeyRow
	r.Decode(t, &rows)
	if len(rows) != 2 || rows[0].ID != first.ID || rows[1].CredentialID != second.ID() || *rows[0].Name != "Laptop" || *rows[1].Name != "Phone" {
		t.Fatalf("list %s", r.Body)
	}
	wantRow(t, rows[0], auth, ann.ID)
	wantRow(t, rows[1], second, ann.ID)
	if string(mustJSON(t, rows[0])) != string(mustJSON(t, first)) {
		t.Fatalf("listed %+v, registered %+v", rows[0], first)
	}
	var bobs []passkeyRow
	b.get("/passkey/list-user-passkeys").Decode(t, &bobs)
	if len(bobs) != 1 || bobs[0].UserID == ann.ID {
		t.Fatalf("bob's list %+v", bobs)
	}
	c := newBrowser(t, h)
	c.signUp("cy@example.com", "correct horse", nil)
	wantJSON(t, c.get("/passkey/list-user-passkeys"), `[]`)
	wantError(t, newBrowser(t, h).get("/passkey/list-user-passkeys"), http.StatusUnauthorized, "UNAUTHORIZED")
	// A session of any age lists.
	stale(h)
	if r := a.get("/passkey/list-user-passkeys"); r.Status != http.StatusOK {
		t.Fatalf("stale session: %d", r.Status)
	}
}

// delete-passkey: one's own only; another user's is an empty 401, an unknown id 404.
func TestPasskeyDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, _, auth, row := signedUpWithPasskey(t, h, "ann@example.com")
	b, _, bobAuth, bobRow := signedUpWithPasskey(t, h, "bob@example.com")

	before := dbState(t, h)
	wantEmptyBody(t, a.post("/passkey/delete-passkey", map[string]any{"id": bobRow.ID}), http.StatusUnauthorized)
	wantError(t, a.post("/passkey/delete-passkey", map[string]any{"id": "nope"}), http.StatusNotFound, "PASSKEY_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/passkey/delete-passkey", map[string]any{"id": row.ID}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	wantJSON(t, a.post("/passkey/delete-passkey", map[string]any{"id": row.ID}), `{"status":true}`)
	if n := h.Count(`SELECT count(*) FROM betterauth.passkey WHERE id = $1`, row.ID); n != 0 {
		t.Fatal("the passkey is still there")
	}
	wantError(t, a.post("/passkey/delete-passkey", map[string]any{"id": row.ID}), http.StatusNotFound, "PASSKEY_NOT_FOUND")
	// The deleted passkey signs nobody in; bob's still works.
	wantError(t, newBrowser(t, h).passkeySignIn(auth), http.StatusUnauthorized, "PASSKEY_NOT_FOUND")
	if r := newBrowser(t, h).passkeySignIn(bobAuth); r.Status != http.StatusOK {
		t.Fatalf("bob's passkey: %d %s", r.Status, r.Body)
	}
	wantJSON(t, a.get("/passkey/list-user-passkeys"), `[]`)
	if r := b.get("/passkey/list-user-passkeys"); len(r.Body) < 10 {
		t.Fatalf("bob's passkeys: %s", r.Body)
	}
}

// update-passkey renames one's own passkey (trimmed, not blank); another user's is 401
// YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY, an unknown id 404.
func TestPasskeyUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, ann, auth, row := signedUpWithPasskey(t, h, "ann@example.com")
	_, _, _, bobRow := signedUpWithPasskey(t, h, "bob@example.com")

	r := a.post("/passkey/update-passkey", map[string]any{"id": row.ID, "name": "  Work laptop "})
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var out struct {
		Passkey passkeyRow `json:"passkey"`
	}
	r.Decode(t, &out)
	wantRow(t, out.Passkey, auth, ann.ID)
	if out.Passkey.ID != row.ID || *out.Passkey.Name != "Work laptop" || len(r.JSON(t)) != 1 {
		t.Fatalf("answer %s", r.Body)
	}
	if got := dbString(t, h, `SELECT name FROM betterauth.passkey WHERE id = $1`, row.ID); got != "Work laptop" {
		t.Fatalf("stored name %q", got)
	}

	before := dbState(t, h)
	wantError(t, a.post("/passkey/update-passkey", map[string]any{"id": bobRow.ID, "name": "Mine now"}),
		http.StatusUnauthorized, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY")
	wantError(t, a.post("/passkey/update-passkey", map[string]any{"id": "nope", "name": "x"}), http.StatusNotFound, "PASSKEY_NOT_FOUND")
	wantError(t, a.post("/passkey/update-passkey", map[string]any{"id": row.ID, "name": "   "}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, a.post("/passkey/update-passkey", map[string]any{"id": row.ID, "name": ""}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, newBrowser(t, h).post("/passkey/update-passkey", map[string]any{"id": row.ID, "name": "x"}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
}
