package betterauth_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gatehouse/handlers/internal/baflow"
)

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// otpMail returns the code of the newest two-factor mail to addr, checking its content.
func otpMail(t *testing.T, a *tfAccount) string {
	t.Helper()
	mails := a.h.MailTo(a.email)
	if len(mails) == 0 {
		t.Fatal("no mail")
	}
	m := mails[0]
	for _, x := range mails {
		if x.CreatedAt.After(m.CreatedAt) {
			m = x
		}
	}
	var data map[string]any
	if err := json.Unmarshal(m.Data, &data); err != nil {
		t.Fatal(err)
	}
	code, _ := data["otp"].(string)
	if m.Template != baflow.TemplateTwoFactorOTP || !sixDigits.MatchString(code) ||
		!strings.Contains(m.Subject, code) || !strings.Contains(m.Text, code) || !strings.Contains(m.HTML, code) ||
		!strings.Contains(m.Text, "3 minutes") {
		t.Fatalf("two-factor mail %+v", m)
	}
	return code
}

// Signing in with a mailed code: send-otp with the challenge cookie, then verify-otp.
func TestTwoFactorSignInWithOTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-otp@example.com", "tf_otp")
	b := a.challenge(t)
	wantError(t, b.post("/two-factor/verify-otp", map[string]any{"code": "123456"}), 400, "OTP_HAS_EXPIRED")

	// The client sends {} (or nothing at all).
	wantJSON(t, b.do(http.MethodPost, base+"/two-factor/send-otp", nil), `{"status":true}`)
	wantJSON(t, b.post("/two-factor/send-otp", map[string]any{"trustDevice": true}), `{"status":true}`)
	code := otpMail(t, a)
	if n := mailCount(h, a.email, baflow.TemplateTwoFactorOTP); n != 2 {
		t.Fatalf("%d mails", n)
	}
	// The code is stored hashed, with its failure count.
	stored := dbString(t, h, `SELECT "value" FROM betterauth."verification" WHERE "identifier" LIKE '2fa-otp-%' ORDER BY "createdAt" DESC LIMIT 1`)
	if strings.Contains(stored, code) || !strings.HasSuffix(stored, ":0") {
		t.Fatalf("stored code %q", stored)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantError(t, b.post("/two-factor/verify-otp", map[string]any{"code": wrong}), 401, "INVALID_CODE")
	if got := dbString(t, h, `SELECT "value" FROM betterauth."verification" WHERE "identifier" LIKE '2fa-otp-%' ORDER BY "createdAt" DESC LIMIT 1`); got != strings.TrimSuffix(stored, ":0")+":1" {
		t.Fatalf("failure not counted: %q", got)
	}
	r := b.post("/two-factor/verify-otp", map[string]any{"code": code})
	var v tfResult
	r.Decode(t, &v)
	if r.Status != http.StatusOK || v.Token == nil || *v.Token != b.token() || !v.User.TwoFactorEnabled {
		t.Fatalf("verify-otp: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, b, *v.Token, 604800)
	if c := b.last["better-auth.two_factor"]; c == nil || c.MaxAge >= 0 {
		t.Fatal("two_factor not expired")
	}
	// The code is used up.
	wantError(t, b.post("/two-factor/verify-otp", map[string]any{"code": code}), 400, "OTP_HAS_EXPIRED")
}

// A mailed code allows five wrong tries, then a new one must be sent.
func TestTwoFactorOTPAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-otp5@example.com", "tf_otp5")
	b := a.challenge(t)
	wantJSON(t, b.post("/two-factor/send-otp", nil), `{"status":true}`)
	code := otpMail(t, a)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		wantError(t, b.post("/two-factor/verify-otp", map[string]any{"code": wrong}), 401, "INVALID_CODE")
	}
	wantError(t, b.post("/two-factor/verify-otp", map[string]any{"code": code}), 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
	wantError(t, b.post("/two-factor/verify-otp", map[string]any{"code": code}), 400, "OTP_HAS_EXPIRED")
	// A new code works (the challenge itself is still alive).
	wantJSON(t, b.post("/two-factor/send-otp", nil), `{"status":true}`)
	if r := b.post("/two-factor/verify-otp", map[string]any{"code": otpMail(t, a)}); r.Status != http.StatusOK {
		t.Fatalf("verify-otp with a new code: %d %s", r.Status, r.Body)
	}
	// A code past its three minutes has expired.
	c := a.challenge(t)
	wantJSON(t, c.post("/two-factor/send-otp", nil), `{"status":true}`)
	code = otpMail(t, a)
	h.Exec(`UPDATE betterauth."verification" SET "expiresAt" = now() - interval '1 second' WHERE "identifier" LIKE '2fa-otp-%'`)
	wantError(t, c.post("/two-factor/verify-otp", map[string]any{"code": code}), 400, "OTP_HAS_EXPIRED")
}

// method "otp": nothing is on until the first mailed code is verified with the session, which
// then turns two-factor authentication on and replaces the session.
func TestTwoFactorEnableOTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	res := b.signUp("tf-otponly@example.com", tfPassword, map[string]any{"username": "tf_otponly"})
	a := &tfAccount{h: h, b: b, email: "tf-otponly@example.com", userID: res.User.ID}
	before := dbState(t, h)
	wantJSON(t, b.post("/two-factor/enable", map[string]any{"password": tfPassword, "method": "otp"}), `{"method":"otp"}`)
	wantUnchanged(t, h, before)
	if si := newBrowser(t, h).signIn(a.email, tfPassword); si.Token == nil {
		t.Fatal("two-factor authentication on before a code was verified")
	}

	wantJSON(t, b.post("/two-factor/send-otp", nil), `{"status":true}`)
	code := otpMail(t, a)
	old := b.token()
	r := b.post("/two-factor/verify-otp", map[string]any{"code": code})
	var v tfResult
	r.Decode(t, &v)
	if r.Status != http.StatusOK || v.Token == nil || *v.Token == old || *v.Token != b.token() || !v.User.TwoFactorEnabled {
		t.Fatalf("verify-otp: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, b, *v.Token, 604800)
	if s := b.session(); s == nil || s.Session.Token != *v.Token {
		t.Fatal("new session does not work")
	}
	// Signing in now offers the mailed code only (no TOTP secret), and it works.
	c := newBrowser(t, h)
	wantJSON(t, c.post("/sign-in/email", map[string]any{"email": a.email, "password": tfPassword}),
		`{"twoFactorRedirect":true,"twoFactorMethods":["otp"]}`)
	wantError(t, c.post("/two-factor/verify-totp", map[string]any{"code": "123456"}), 400, "TOTP_NOT_ENABLED")
	wantError(t, c.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-bbbbb"}), 400, "BACKUP_CODES_NOT_ENABLED")
	wantJSON(t, c.post("/two-factor/send-otp", nil), `{"status":true}`)
	if r := c.post("/two-factor/verify-otp", map[string]any{"code": otpMail(t, a), "trustDevice": true}); r.Status != http.StatusOK ||
		c.last["better-auth.trust_device"] == nil {
		t.Fatalf("verify-otp signing in: %d %s", r.Status, r.Body)
	}
	// A TOTP set up now is not offered until verified.
	r = b.post("/two-factor/enable", map[string]any{"password": tfPassword})
	var en enableResult
	r.Decode(t, &en)
	wantJSON(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": a.email, "password": tfPassword}),
		`{"twoFactorRedirect":true,"twoFactorMethods":["otp"]}`)
	awayFromStepEnd()
	if r := b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, en.TotpURI, 0)}); r.Status != http.StatusOK {
		t.Fatalf("verify-totp: %d %s", r.Status, r.Body)
	}
	wantJSON(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": a.email, "password": tfPassword}),
		`{"twoFactorRedirect":true,"twoFactorMethods":["totp","otp"]}`)
}
