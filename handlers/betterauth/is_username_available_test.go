package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestIsUsernameAvailable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", map[string]any{"username": "eve"})
	// Compared lower-cased, signed in or not.
	if r := a.post("/is-username-available", map[string]any{"username": "EVE"}); !strings.Contains(string(r.Body), `"available":false`) {
		t.Fatalf("is-username-available: %s", r.Body)
	}
	anon := newBrowser(t, h)
	wantJSON(t, anon.post("/is-username-available", map[string]any{"username": "Eve"}), `{"available":false}`)
	wantJSON(t, anon.post("/is-username-available", map[string]any{"username": "eve.2"}), `{"available":true}`)
	wantJSON(t, anon.post("/is-username-available", map[string]any{"username": "Fay_" + strings.Repeat("x", 26)}), `{"available":true}`)
	// A display name is not a username.
	newBrowser(t, h).signUp("gus@example.com", "correct horse", map[string]any{"displayUsername": "Gus the Great"})
	wantJSON(t, anon.post("/is-username-available", map[string]any{"username": "Gus"}), `{"available":true}`)
	// Asking reserves nothing.
	before := dbState(t, h)
	wantJSON(t, anon.post("/is-username-available", map[string]any{"username": "hal"}), `{"available":true}`)
	wantUnchanged(t, h, before)
	// Names breaking the rules are 422, as in the username plugin.
	for name, code := range map[string]string{
		"ab":                    "USERNAME_TOO_SHORT",
		"":                      "INVALID_USERNAME",
		strings.Repeat("a", 31): "USERNAME_TOO_LONG",
		"has space":             "INVALID_USERNAME",
		"semi;colon":            "INVALID_USERNAME",
	} {
		wantError(t, anon.post("/is-username-available", map[string]any{"username": name}), http.StatusUnprocessableEntity, code)
	}
	wantError(t, anon.post("/is-username-available", map[string]any{}), http.StatusBadRequest, "VALIDATION_ERROR")
	// A deleted account frees its username.
	h.Exec(`DELETE FROM betterauth."user" WHERE username = 'eve'`)
	wantJSON(t, anon.post("/is-username-available", map[string]any{"username": "eve"}), `{"available":true}`)
}
