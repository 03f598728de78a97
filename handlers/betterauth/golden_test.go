package betterauth_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/oauth/oidctest"
)

// update rewrites the golden files: go test ./handlers/betterauth -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Keys whose values change from run to run, and what they are replaced with. Every date must be
// in Date.toJSON's format (2006-01-02T15:04:05.000Z); ids and tokens must have Better Auth's shape,
// else the value is kept (and so pinned by the golden file).
var (
	dateKeys   = map[string]bool{"createdAt": true, "updatedAt": true, "expiresAt": true, "banExpires": true, "accessTokenExpiresAt": true, "refreshTokenExpiresAt": true}
	idKeys     = map[string]string{"id": "<id>", "userId": "<id>", "accountId": "<id>", "token": "<token>"}
	secretKeys = map[string]bool{"accessToken": true, "refreshToken": true, "idToken": true}
)

// normalise replaces the volatile values of v (decoded JSON) by placeholders, reporting dates
// that are not in Date.toJSON's format.
func normalise(t *testing.T, key string, v any, providerURL string) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, vv := range x {
			out[k] = normalise(t, k, vv, providerURL)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = normalise(t, key, vv, providerURL)
		}
		return out
	case string:
		switch {
		case dateKeys[key]:
			if !jsDate.MatchString(x) {
				t.Errorf("%s = %q is not in Date.toJSON's format", key, x)
			}
			return "<date>"
		case idKeys[key] != "" && id32.MatchString(x):
			return idKeys[key]
		case secretKeys[key] && x != "":
			return "<secret>"
		case key == "url" && providerURL != "" && strings.HasPrefix(x, providerURL):
			return "<provider-url>"
		}
	}
	return v
}

// indent is v as the golden files hold it: two-space indented JSON, keys sorted, "<" kept.
func indent(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// golden compares the JSON body of resp, normalised, with testdata/golden/name.json: the same
// keys at every level (explicit nulls included), the same values; key order is free.
func golden(t *testing.T, name string, resp *handlertest.Response, providerURL string) {
	t.Helper()
	var body any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("%s: body %q is not JSON: %v", name, resp.Body, err)
	}
	got := normalise(t, "", body, providerURL)
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, indent(t, got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test ./handlers/betterauth -run Golden -update)", name, err)
	}
	var want any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the answer's shape changed.\ngot (normalised):\n%s\nwant (%s):\n%s", name, indent(t, got), path, raw)
	}
}

// TestGolden pins the wire shapes of the main answers (and error bodies) in testdata/golden.
func TestGolden(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, oidctest.User{Sub: "sub-1", Email: "gus@example.com", EmailVerified: true, Name: "Gus", Picture: "https://img.example/gus.png"})
	p := idp.URL()
	want := func(name string, resp *handlertest.Response, status int) {
		t.Helper()
		if resp.Status != status {
			t.Fatalf("%s: status %d, want %d: %s", name, resp.Status, status, resp.Body)
		}
		golden(t, name, resp, p)
	}
	anon := newBrowser(t, h)
	want("get-session-signed-out", anon.get("/get-session"), 200)
	want("ok", anon.get("/ok"), 200)

	a := newBrowser(t, h)
	want("sign-up-email", a.post("/sign-up/email", map[string]any{"name": "Ann", "email": "ann@example.com", "password": "correct horse",
		"username": "Ann_1"}), 200)
	want("is-username-available", anon.post("/is-username-available", map[string]any{"username": "ann_1"}), 200)
	b := newBrowser(t, h)
	want("sign-in-email", b.post("/sign-in/email", map[string]any{"email": "ann@example.com", "password": "correct horse"}), 200)
	want("sign-in-email-callback", newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "ann@example.com", "password": "correct horse",
		"callbackURL": "/dash"}), 200)
	want("sign-in-username", newBrowser(t, h).post("/sign-in/username", map[string]any{"username": "ANN_1", "password": "correct horse"}), 200)
	want("get-session", a.get("/get-session"), 200)
	want("update-user", a.post("/update-user", map[string]any{"name": "Ann A", "image": "https://img.example/ann.png"}), 200)
	want("get-session-after-update", a.get("/get-session"), 200)
	for _, s := range b.listSessions() { // leave two sessions
		if s.ID != b.session().Session.ID && s.ID != a.session().Session.ID {
			b.post("/revoke-session", map[string]any{"token": s.Token})
		}
	}
	want("list-sessions", a.get("/list-sessions"), 200)
	want("list-accounts-credential", a.get("/list-accounts"), 200)
	want("change-password", a.post("/change-password", map[string]any{"currentPassword": "correct horse", "newPassword": "second horse"}), 200)
	want("change-password-revoking", a.post("/change-password", map[string]any{"currentPassword": "second horse", "newPassword": "third horse",
		"revokeOtherSessions": true}), 200)
	want("revoke-other-sessions", a.post("/revoke-other-sessions", nil), 200)
	want("request-password-reset", anon.post("/request-password-reset", map[string]any{"email": "ann@example.com"}), 200)
	want("send-verification-email", a.post("/send-verification-email", map[string]any{"email": "ann@example.com"}), 200)
	a.do(http.MethodGet, pathOf(t, mailData(t, h, "ann@example.com", "betterauth-verify-email")["url"]), nil)
	want("verify-email-already-verified", a.do(http.MethodGet, withoutCallback(t, mailData(t, h, "ann@example.com", "betterauth-verify-email")["url"]), nil), 200)
	want("delete-user-mail-sent", a.post("/delete-user", map[string]any{}), 200)
	want("sign-out", a.post("/sign-out", nil), 200)

	// Social sign-in and the linked-account operations.
	g := newBrowser(t, h)
	want("sign-in-social-redirect", g.post("/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home"}), 200)
	acct := socialUser(t, idp, g)
	want("list-accounts-social", g.get("/list-accounts"), 200)
	want("get-access-token", g.post("/get-access-token", map[string]any{"accountId": acct.ID}), 200)
	want("refresh-token", g.post("/refresh-token", map[string]any{"accountId": acct.ID}), 200)
	want("account-info", g.get("/account-info?accountId="+acct.ID), 200)
	tok := idp.IDToken(oidctest.User{Sub: "sub-2", Email: "gus@example.com", EmailVerified: true}, idp.ClientID(), "")
	want("link-social-id-token", g.post("/link-social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}}), 200)
	want("sign-in-social-id-token", newBrowser(t, h).post("/sign-in/social", map[string]any{"provider": "idp", "idToken": map[string]any{"token": tok}}), 200)
	want("unlink-account", g.post("/unlink-account", map[string]any{"accountId": acct.ID}), 200)
	d := newBrowser(t, h)
	d.signIn("ann@example.com", "third horse")
	want("delete-user-with-password", d.post("/delete-user", map[string]any{"password": "third horse"}), 200)

	// Error bodies.
	want("error-invalid-email-or-password", newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "nobody@example.com", "password": "x"}), 401)
	want("error-unauthorized", newBrowser(t, h).get("/list-sessions"), 401)
	want("error-validation", newBrowser(t, h).post("/sign-up/email", map[string]any{"name": "x", "email": "not-an-email", "password": "correct horse"}), 400)
	want("error-user-exists", newBrowser(t, h).post("/sign-up/email", map[string]any{"name": "x", "email": "gus@example.com", "password": "correct horse"}), 422)
	want("error-invalid-origin", (&browser{t: t, h: h, origin: "https://evil.example", cookies: map[string]string{"better-auth.session_token": g.cookies["better-auth.session_token"]}}).post("/sign-out", nil), 403)
	want("error-unsupported-media-type", newBrowser(t, h).send(http.MethodPost, base+"/sign-in/email", "email=x", "application/x-www-form-urlencoded"), 415)
}
