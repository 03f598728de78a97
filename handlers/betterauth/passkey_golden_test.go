package betterauth_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/webauthntest"
)

// passkeyGolden is golden for passkey answers: it first replaces the values that change from run
// to run and that golden's own normalising does not know (challenges, user handles, keys and
// credential ids), after checking their shape.
func passkeyGolden(t *testing.T, name string, resp *handlertest.Response, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", name, resp.Status, status, resp.Body)
	}
	var body any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatal(err)
	}
	var walk func(key string, v any) any
	walk = func(key string, v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				x[k] = walk(k, vv)
			}
			if u, ok := x["user"].(map[string]any); ok && x["rp"] != nil && b64url43.MatchString(u["id"].(string)) {
				u["id"] = "<user-handle>"
			}
			if _, ok := x["id"]; ok && x["type"] == "public-key" {
				x["id"] = "<credential-id>"
			}
		case []any:
			for i := range x {
				x[i] = walk(key, x[i])
			}
		case string:
			switch {
			case key == "challenge" && b64url43.MatchString(x):
				return "<challenge>"
			case key == "publicKey" && x != "":
				return "<cose-key>"
			case key == "credentialID" && x != "":
				return "<credential-id>"
			}
		}
		return v
	}
	b, _ := json.Marshal(walk("", body))
	golden(t, name, &handlertest.Response{Status: resp.Status, Header: resp.Header, Body: b}, "")
}

// TestGoldenPasskey pins the wire shapes of the passkey answers in testdata/golden.
func TestGoldenPasskey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	auth := webauthntest.New()

	r := a.get(registrationPath)
	passkeyGolden(t, "passkey-generate-register-options", r, 200)
	var o registrationOptions
	r.Decode(t, &o)
	passkeyGolden(t, "passkey-verify-registration", a.post("/passkey/verify-registration",
		map[string]any{"response": auth.Register(ceremony(o.Challenge), o.User.ID), "name": "Laptop"}), 200)
	passkeyGolden(t, "passkey-generate-register-options-excluding", a.get(registrationPath+"?authenticatorAttachment=platform&name=Ann"), 200)
	o = a.registrationOptions("")
	passkeyGolden(t, "passkey-verify-registration-create-session", a.post("/passkey/verify-registration",
		map[string]any{"response": webauthntest.New().Register(ceremony(o.Challenge), o.User.ID), "createSession": true}), 200)

	anon := newBrowser(t, h)
	passkeyGolden(t, "passkey-generate-authenticate-options", anon.get(authenticationPath), 200)
	passkeyGolden(t, "passkey-generate-authenticate-options-post", anon.post(authenticationPath, nil), 200)
	passkeyGolden(t, "passkey-generate-authenticate-options-signed-in", a.get(authenticationPath), 200)
	ao := anon.authenticationOptions()
	passkeyGolden(t, "passkey-verify-authentication", anon.post("/passkey/verify-authentication",
		map[string]any{"response": auth.Assert(ceremony(ao.Challenge))}), 200)

	r = a.get("/passkey/list-user-passkeys")
	passkeyGolden(t, "passkey-list-user-passkeys", r, 200)
	var rows []passkeyRow
	r.Decode(t, &rows)
	passkeyGolden(t, "passkey-update-passkey", a.post("/passkey/update-passkey", map[string]any{"id": rows[0].ID, "name": "Work"}), 200)
	passkeyGolden(t, "passkey-delete-passkey", a.post("/passkey/delete-passkey", map[string]any{"id": rows[1].ID}), 200)

	// Error bodies.
	passkeyGolden(t, "error-passkey-challenge-not-found", newBrowser(t, h).post("/passkey/verify-authentication",
		map[string]any{"response": map[string]any{"id": auth.ID()}}), http.StatusBadRequest)
	ao = anon.authenticationOptions()
	passkeyGolden(t, "error-passkey-not-found", anon.post("/passkey/verify-authentication",
		map[string]any{"response": webauthntest.New().Assert(ceremony(ao.Challenge))}), http.StatusUnauthorized)
	o = a.registrationOptions("")
	cer := ceremony(o.Challenge)
	cer.Origin = "https://evil.example"
	passkeyGolden(t, "error-passkey-failed-to-verify-registration", a.post("/passkey/verify-registration",
		map[string]any{"response": webauthntest.New().Register(cer, o.User.ID)}), http.StatusBadRequest)
	passkeyGolden(t, "error-passkey-not-found-404", a.post("/passkey/delete-passkey", map[string]any{"id": "nope"}), http.StatusNotFound)
}
