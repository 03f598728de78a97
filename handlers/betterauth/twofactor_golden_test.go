package betterauth_test

import (
	"encoding/json"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// withoutSecrets replaces the TOTP URI and backup codes of a body (random per run) by
// placeholders, after checking their shapes, so that golden files pin the rest.
func withoutSecrets(t *testing.T, resp *handlertest.Response) *handlertest.Response {
	t.Helper()
	var body map[string]any
	resp.Decode(t, &body)
	if uri, ok := body["totpURI"].(string); ok {
		if !totpURIRE.MatchString(uri) {
			t.Fatalf("totpURI %q", uri)
		}
		body["totpURI"] = "<totp-uri>"
	}
	if codes, ok := body["backupCodes"].([]any); ok {
		for i, c := range codes {
			if s, _ := c.(string); !backupCodeRE.MatchString(s) {
				t.Fatalf("backup code %v", c)
			}
			codes[i] = "<backup-code>"
		}
	}
	raw, _ := json.Marshal(body)
	return &handlertest.Response{Status: resp.Status, Header: resp.Header, Body: raw}
}

// TestGoldenTwoFactor pins the wire shapes of the two-factor answers.
func TestGoldenTwoFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	want := func(name string, resp *handlertest.Response, status int) {
		t.Helper()
		if resp.Status != status {
			t.Fatalf("%s: status %d, want %d: %s", name, resp.Status, status, resp.Body)
		}
		golden(t, "two-factor-"+name, withoutSecrets(t, resp), "")
	}
	b := newBrowser(t, h)
	b.signUp("tf-golden@example.com", tfPassword, map[string]any{"username": "tf_golden"})
	want("enable-otp", b.post("/two-factor/enable", map[string]any{"password": tfPassword, "method": "otp"}), 200)
	r := b.post("/two-factor/enable", map[string]any{"password": tfPassword})
	var en enableResult
	r.Decode(t, &en)
	want("enable", r, 200)
	want("get-totp-uri", b.post("/two-factor/get-totp-uri", map[string]any{"password": tfPassword}), 200)
	awayFromStepEnd()
	want("verify-totp-enabling", b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, en.TotpURI, -1)}), 200)
	want("generate-backup-codes", b.post("/two-factor/generate-backup-codes", map[string]any{"password": tfPassword}), 200)

	a := &tfAccount{h: h, b: b, email: "tf-golden@example.com", uri: en.TotpURI}
	c := newBrowser(t, h)
	want("sign-in-redirect", c.post("/sign-in/username", map[string]any{"username": "tf_golden", "password": tfPassword}), 200)
	want("send-otp", c.post("/two-factor/send-otp", nil), 200)
	want("error-invalid-code", c.post("/two-factor/verify-totp", map[string]any{"code": "000000x"}), 401)
	want("verify-totp", c.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)}), 200)
	d := a.challenge(t)
	want("error-invalid-backup-code", d.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-bbbbb"}), 401)
	want("disable", b.post("/two-factor/disable", map[string]any{"password": tfPassword}), 200)
	want("error-backup-codes-not-enabled", d.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-bbbbb"}), 400)
	want("error-invalid-two-factor-cookie", newBrowser(t, h).post("/two-factor/verify-otp", map[string]any{"code": "123456"}), 401)
}
