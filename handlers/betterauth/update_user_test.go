package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	res := a.signUp("eve@example.com", "correct horse", map[string]any{"username": "eve"})
	b := newBrowser(t, h)
	b.signIn("eve@example.com", "correct horse")
	r := a.post("/update-user", map[string]any{"name": "Eve Two", "image": "https://img.example/e.png"})
	if r.Status != 200 {
		t.Fatalf("update-user: %d %s", r.Status, r.Body)
	}
	wantJSON(t, r, `{"status":true}`)
	// The session cookie is sent again, same session.
	wantSessionCookie(t, a, *res.Token, 604800)
	if s := b.session(); s.User.Name != "Eve Two" || s.User.Image == nil {
		t.Fatalf("update not seen by the other device: %+v", s.User)
	}
	if s := a.session(); *s.User.Image != "https://img.example/e.png" || s.User.UpdatedAt == res.User.UpdatedAt || s.User.Email != "eve@example.com" {
		t.Fatalf("after update: %+v", s.User)
	}
	if h.Count(`SELECT count(*) FROM betterauth."user" WHERE name = 'Eve Two' AND image = 'https://img.example/e.png'
		AND username = 'eve' AND "updatedAt" > "createdAt"`) != 1 {
		t.Fatal("update not stored")
	}
	// Fields left out stay as they are.
	wantJSON(t, a.post("/update-user", map[string]any{"name": "Eve Three"}), `{"status":true}`)
	if s := a.session(); s.User.Name != "Eve Three" || s.User.Image == nil || *s.User.Image != "https://img.example/e.png" || *s.User.Username != "eve" {
		t.Fatalf("a name change touched other fields: %+v", s.User)
	}
}

func TestUpdateUserUsername(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", map[string]any{"username": "eve"})
	newBrowser(t, h).signUp("fin@example.com", "correct horse", map[string]any{"username": "fin"})
	wantJSON(t, a.post("/update-user", map[string]any{"username": "Eve_2"}), `{"status":true}`)
	if u := a.session().User; *u.Username != "eve_2" || *u.DisplayUsername != "Eve_2" {
		t.Fatalf("username change: %+v", u)
	}
	// Its own name in another case is no conflict.
	wantJSON(t, a.post("/update-user", map[string]any{"username": "EVE_2"}), `{"status":true}`)
	// A new display name alone keeps the username.
	wantJSON(t, a.post("/update-user", map[string]any{"displayUsername": "Evie"}), `{"status":true}`)
	if u := a.session().User; *u.Username != "eve_2" || *u.DisplayUsername != "Evie" {
		t.Fatalf("display name change: %+v", u)
	}
	before := dbState(t, h)
	wantError(t, a.post("/update-user", map[string]any{"username": "FIN"}), http.StatusBadRequest, "USERNAME_IS_ALREADY_TAKEN")
	wantError(t, a.post("/update-user", map[string]any{"username": "ab"}), http.StatusBadRequest, "USERNAME_TOO_SHORT")
	wantError(t, a.post("/update-user", map[string]any{"username": strings.Repeat("a", 31)}), http.StatusBadRequest, "USERNAME_TOO_LONG")
	wantError(t, a.post("/update-user", map[string]any{"username": "a b"}), http.StatusBadRequest, "INVALID_USERNAME")
	wantError(t, a.post("/update-user", map[string]any{"name": "New", "username": "fin"}), http.StatusBadRequest, "USERNAME_IS_ALREADY_TAKEN")
	wantUnchanged(t, h, before)
	// The old name is free again.
	wantJSON(t, newBrowser(t, h).post("/is-username-available", map[string]any{"username": "eve"}), `{"available":true}`)
}

func TestUpdateUserRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("gus@example.com", "correct horse", nil)
	before := dbState(t, h)
	r := a.post("/update-user", map[string]any{})
	wantError(t, r, http.StatusBadRequest, "NO_FIELDS_TO_UPDATE")
	if !jsonHas(t, r, "message", "No fields to update") {
		t.Fatalf("message: %s", r.Body)
	}
	wantNoCookies(t, r)
	wantError(t, a.post("/update-user", map[string]any{"name": ""}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, a.post("/update-user", map[string]any{"name": "   "}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, a.post("/update-user", map[string]any{"name": 5}), http.StatusBadRequest, "VALIDATION_ERROR")
	r = newBrowser(t, h).post("/update-user", map[string]any{"name": "Nobody"})
	wantError(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
}

// update-user refuses email with EMAIL_CAN_NOT_BE_UPDATED and the fields users may not set with
// FIELD_NOT_ALLOWED, as Better Auth does; nothing changes.
func TestUpdateUserRefusedFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	before := dbState(t, h)
	wantError(t, a.post("/update-user", map[string]any{"email": "new@example.com"}), http.StatusBadRequest, "EMAIL_CAN_NOT_BE_UPDATED")
	for _, f := range []string{"role", "banned", "twoFactorEnabled"} {
		r := a.post("/update-user", map[string]any{"name": "Mallory", f: "admin"})
		wantError(t, r, http.StatusBadRequest, "FIELD_NOT_ALLOWED")
		if !strings.Contains(string(r.Body), f+" is not allowed to be set") {
			t.Errorf("%s: %s", f, r.Body)
		}
	}
	wantUnchanged(t, h, before)
}

// image: null clears the image, as "" does; leaving image out keeps it.
func TestUpdateUserImageNull(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", map[string]any{"image": "https://example.com/a.png"})
	wantJSON(t, a.post("/update-user", map[string]any{"name": "Ann Two"}), `{"status":true}`)
	if s := a.session(); s.User.Image == nil || *s.User.Image != "https://example.com/a.png" || s.User.Name != "Ann Two" {
		t.Fatalf("image after an update without it: %+v", s.User)
	}
	wantJSON(t, a.do(http.MethodPost, base+"/update-user", []byte(`{"image":null}`)), `{"status":true}`)
	if s := a.session(); s.User.Image != nil {
		t.Fatalf("image after image:null = %q, want null", *s.User.Image)
	}
	if got := dbString(t, h, `SELECT coalesce(image, '<null>') FROM betterauth."user"`); got != "<null>" {
		t.Fatalf("stored image %q, want NULL", got)
	}
}
