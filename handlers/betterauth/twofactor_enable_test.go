package betterauth_test

import (
	"encoding/base32"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Enabling stores an encrypted secret and hashed backup codes and leaves two-factor
// authentication off until the first code is verified.
func TestTwoFactorEnable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSecret)
	b := newBrowser(t, h)
	res := b.signUp("tf-enable@example.com", tfPassword, nil)

	r := b.post("/two-factor/enable", map[string]any{"password": tfPassword})
	var en enableResult
	r.Decode(t, &en)
	if r.Status != http.StatusOK || en.Method != "totp" || len(en.BackupCodes) != 10 {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	m := totpURIRE.FindStringSubmatch(en.TotpURI)
	if m == nil || m[1] != "tf-enable%40example.com" {
		t.Fatalf("TOTP URI %q", en.TotpURI)
	}
	for _, c := range en.BackupCodes {
		if !backupCodeRE.MatchString(c) {
			t.Fatalf("backup code %q", c)
		}
	}
	wantNoCookies(t, r)
	// The secret is stored as Better Auth stores it: 32 characters, encrypted (144 hex digits),
	// and the URI carries BASE32 of its bytes.
	stored := dbString(t, h, `SELECT "secret" FROM betterauth."twoFactor" WHERE "userId" = $1`, res.User.ID)
	if len(stored) != 144 {
		t.Fatalf("stored secret %q", stored)
	}
	secret := nodeDecrypt(t, baSecret, stored)
	if len(secret) != 32 || base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(secret)) != m[2] {
		t.Fatalf("secret %q does not match the URI's %s", secret, m[2])
	}
	// The backup codes are stored hashed: none of them in clear.
	codes := dbString(t, h, `SELECT "backupCodes" FROM betterauth."twoFactor" WHERE "userId" = $1`, res.User.ID)
	var hashes []string
	if err := json.Unmarshal([]byte(codes), &hashes); err != nil || len(hashes) != 10 {
		t.Fatalf("stored backup codes %q", codes)
	}
	for _, c := range en.BackupCodes {
		if strings.Contains(codes, c) {
			t.Fatalf("backup code %s stored in clear", c)
		}
	}
	if got := dbString(t, h, `SELECT "verified"::text FROM betterauth."twoFactor" WHERE "userId" = $1`, res.User.ID); got != "false" {
		t.Fatalf("verified = %s before any code", got)
	}
	// Not active yet: the session's user still has it off, and a sign-in needs no second factor.
	if s := b.session(); s == nil || dbString(t, h, `SELECT "twoFactorEnabled"::text FROM betterauth."user" WHERE "id" = $1`, res.User.ID) != "false" {
		t.Fatal("two-factor authentication is on before any code was verified")
	}
	other := newBrowser(t, h)
	if si := other.signIn("tf-enable@example.com", tfPassword); si.Token == nil {
		t.Fatal("sign-in before verification asks for a second factor")
	}

	// Enabling again before verifying replaces the secret and codes; an issuer of one's own.
	r = b.post("/two-factor/enable", map[string]any{"password": tfPassword, "method": "totp", "issuer": "My App"})
	var again enableResult
	r.Decode(t, &again)
	if r.Status != http.StatusOK || !strings.HasPrefix(again.TotpURI, "otpauth://totp/My%20App:tf-enable%40example.com?secret=") ||
		!strings.Contains(again.TotpURI, "&issuer=My+App&digits=6&period=30") || totpSecret(t, again.TotpURI) == m[2] {
		t.Fatalf("second enable: %d %s", r.Status, r.Body)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth."twoFactor"`); n != 1 {
		t.Fatalf("%d twoFactor rows", n)
	}
}

func TestTwoFactorEnableRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	b.signUp("tf-refuse@example.com", tfPassword, nil)
	before := dbState(t, h)
	wantError(t, b.post("/two-factor/enable", map[string]any{"password": "wrong password"}), 400, "INVALID_PASSWORD")
	wantError(t, b.post("/two-factor/enable", map[string]any{"password": ""}), 400, "INVALID_PASSWORD")
	anon := newBrowser(t, h)
	for _, p := range []string{"/two-factor/enable", "/two-factor/disable", "/two-factor/get-totp-uri", "/two-factor/generate-backup-codes"} {
		wantError(t, anon.post(p, map[string]any{"password": tfPassword}), 401, "UNAUTHORIZED")
	}
	// Without a session or a challenge, the verify operations answer INVALID_TWO_FACTOR_COOKIE.
	for _, p := range []string{"/two-factor/verify-totp", "/two-factor/verify-otp", "/two-factor/verify-backup-code"} {
		wantError(t, anon.post(p, map[string]any{"code": "123456"}), 401, "INVALID_TWO_FACTOR_COOKIE")
	}
	wantError(t, anon.post("/two-factor/send-otp", nil), 401, "INVALID_TWO_FACTOR_COOKIE")
	// A forged challenge cookie is no better.
	anon.cookies["better-auth.two_factor"] = "2fa-aaaaaaaaaaaaaaaaaaaa.forged"
	wantError(t, anon.post("/two-factor/verify-totp", map[string]any{"code": "123456"}), 401, "INVALID_TWO_FACTOR_COOKIE")
	// Nothing to verify or show yet.
	wantError(t, b.post("/two-factor/verify-totp", map[string]any{"code": "123456"}), 400, "TOTP_NOT_ENABLED")
	wantError(t, b.post("/two-factor/get-totp-uri", map[string]any{"password": tfPassword}), 400, "TOTP_NOT_ENABLED")
	wantError(t, b.post("/two-factor/generate-backup-codes", map[string]any{"password": tfPassword}), 400, "TWO_FACTOR_NOT_ENABLED")
	wantError(t, b.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-bbbbb"}), 400, "BACKUP_CODES_NOT_ENABLED")
	wantError(t, b.post("/two-factor/verify-otp", map[string]any{"code": "123456"}), 400, "OTP_HAS_EXPIRED")
	// A GET of a two-factor path is an unknown route.
	if r := b.get("/two-factor/enable"); r.Status != 404 || len(r.Body) != 0 {
		t.Fatalf("GET /two-factor/enable: %d %s", r.Status, r.Body)
	}
	wantUnchanged(t, h, before)
}

// The first right code turns two-factor authentication on and replaces the session; the body
// carries the previous token and user, as Better Auth's does.
func TestTwoFactorVerifyTOTPTurnsOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	res := b.signUp("tf-on@example.com", tfPassword, nil)
	oldToken := b.token()
	r := b.post("/two-factor/enable", map[string]any{"password": tfPassword})
	var en enableResult
	r.Decode(t, &en)

	before := dbState(t, h)
	wantError(t, b.post("/two-factor/verify-totp", map[string]any{"code": "000000x"}), 401, "INVALID_CODE")
	wrong := totpCode(t, en.TotpURI, 5) // a code from the future, outside the window
	wantError(t, b.post("/two-factor/verify-totp", map[string]any{"code": wrong}), 401, "INVALID_CODE")
	wantUnchanged(t, h, before)

	awayFromStepEnd()
	code := totpCode(t, en.TotpURI, 0)
	r = b.post("/two-factor/verify-totp", map[string]any{"code": code})
	var v tfResult
	r.Decode(t, &v)
	if r.Status != http.StatusOK || v.Token == nil || *v.Token != oldToken || v.User.TwoFactorEnabled || v.User.ID != res.User.ID {
		t.Fatalf("verify-totp: %d %s", r.Status, r.Body)
	}
	newToken := b.token()
	wantSessionCookie(t, b, newToken, 604800)
	if newToken == oldToken || h.Count(`SELECT count(*) FROM betterauth."session" WHERE "userId" = $1`, res.User.ID) != 1 {
		t.Fatal("the session was not replaced")
	}
	if s := b.session(); s == nil || s.Session.Token != newToken {
		t.Fatal("the new session does not work")
	}
	if dbString(t, h, `SELECT "twoFactorEnabled"::text FROM betterauth."user" WHERE "id" = $1`, res.User.ID) != "true" ||
		dbString(t, h, `SELECT "verified"::text FROM betterauth."twoFactor" WHERE "userId" = $1`, res.User.ID) != "true" {
		t.Fatal("two-factor authentication is not on")
	}
	// The same code (the same time step) is not accepted twice.
	wantError(t, b.post("/two-factor/verify-totp", map[string]any{"code": code}), 401, "INVALID_CODE")
	// Later codes answer the current session.
	r = b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, en.TotpURI, 1)})
	r.Decode(t, &v)
	if r.Status != http.StatusOK || *v.Token != newToken || !v.User.TwoFactorEnabled {
		t.Fatalf("verify-totp after: %d %s", r.Status, r.Body)
	}
	// Set up now: enabling again is refused.
	wantError(t, b.post("/two-factor/enable", map[string]any{"password": tfPassword}), 400, "TOTP_ALREADY_ENABLED")
}

func TestTwoFactorGetTotpURI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-uri@example.com", "tf_uri")
	before := dbState(t, h)
	wantError(t, a.b.post("/two-factor/get-totp-uri", map[string]any{"password": "wrong password"}), 400, "INVALID_PASSWORD")
	wantUnchanged(t, h, before)
	wantJSON(t, a.b.post("/two-factor/get-totp-uri", map[string]any{"password": tfPassword}), `{"totpURI":"`+a.uri+`"}`)
}

// Disabling checks the password, turns two-factor authentication off, deletes the secret and
// replaces the session.
func TestTwoFactorDisable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-off@example.com", "tf_off")
	before := dbState(t, h)
	wantError(t, a.b.post("/two-factor/disable", map[string]any{"password": "wrong password"}), 400, "INVALID_PASSWORD")
	wantUnchanged(t, h, before)

	old := a.b.token()
	r := a.b.post("/two-factor/disable", map[string]any{"password": tfPassword})
	wantJSON(t, r, `{"status":true}`)
	wantSessionCookie(t, a.b, a.b.token(), 604800)
	if a.b.token() == old || h.Count(`SELECT count(*) FROM betterauth."session" WHERE "userId" = $1`, a.userID) != 1 {
		t.Fatal("the session was not replaced")
	}
	if s := a.b.session(); s == nil || s.Session.Token == old {
		t.Fatal("the new session does not work")
	}
	if h.Count(`SELECT count(*) FROM betterauth."twoFactor"`) != 0 ||
		dbString(t, h, `SELECT "twoFactorEnabled"::text FROM betterauth."user" WHERE "id" = $1`, a.userID) != "false" {
		t.Fatal("two-factor authentication is still on")
	}
	// Signing in needs no second factor any more.
	if si := newBrowser(t, h).signIn(a.email, tfPassword); si.Token == nil {
		t.Fatal("sign-in still asks for a second factor")
	}
}
