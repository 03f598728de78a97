package betterauth_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/chacha20poly1305"

	"gatehouse/handlers/internal/handlertest"
)

// The two-factor operations' bad bodies.
func init() {
	bodyOps = append(bodyOps,
		bodyOp{name: "enableTwoFactor", path: "/two-factor/enable", session: true, valid: map[string]any{"password": canary, "issuer": canary}, missing: "password",
			wrongType: []map[string]any{{"password": canaryNumber}, {"password": canary, "method": canary}, {"password": canary, "issuer": canaryNumber}}},
		bodyOp{name: "disableTwoFactor", path: "/two-factor/disable", session: true, valid: map[string]any{"password": canary}, missing: "password",
			wrongType: []map[string]any{{"password": canaryNumber}}},
		bodyOp{name: "getTotpUri", path: "/two-factor/get-totp-uri", session: true, valid: map[string]any{"password": canary}, missing: "password",
			wrongType: []map[string]any{{"password": []string{canary}}}},
		bodyOp{name: "verifyTotp", path: "/two-factor/verify-totp", session: true, valid: map[string]any{"code": canary}, missing: "code",
			wrongType: []map[string]any{{"code": canaryNumber}, {"code": "123456", "trustDevice": canary}}},
		bodyOp{name: "sendTwoFactorOtp", path: "/two-factor/send-otp", session: true, valid: map[string]any{}, bodyOptional: true,
			wrongType: []map[string]any{{"trustDevice": canary}}},
		bodyOp{name: "verifyTwoFactorOtp", path: "/two-factor/verify-otp", session: true, valid: map[string]any{"code": canary}, missing: "code",
			wrongType: []map[string]any{{"code": canaryNumber}, {"code": "123456", "trustDevice": canary}}},
		bodyOp{name: "verifyBackupCode", path: "/two-factor/verify-backup-code", session: true, valid: map[string]any{"code": canary}, missing: "code",
			wrongType: []map[string]any{{"code": canaryNumber}, {"code": canary, "disableSession": canary}, {"code": canary, "trustDevice": "true"}}},
		bodyOp{name: "generateBackupCodes", path: "/two-factor/generate-backup-codes", session: true, valid: map[string]any{"password": canary}, missing: "password",
			wrongType: []map[string]any{{"password": canaryNumber}}},
	)
}

const tfPassword = "correct horse battery"

var (
	backupCodeRE = regexp.MustCompile(`^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$`)
	totpURIRE    = regexp.MustCompile(`^otpauth://totp/Gatehouse:([^?]+)\?secret=([A-Z2-7]{52})&issuer=Gatehouse&digits=6&period=30$`)
	challengeRE  = regexp.MustCompile(`^2fa-[A-Za-z0-9_-]{20}$`)
)

type enableResult struct {
	Method      string   `json:"method"`
	TotpURI     string   `json:"totpURI"`
	BackupCodes []string `json:"backupCodes"`
}

type tfResult struct {
	Token *string `json:"token"`
	User  struct {
		ID               string `json:"id"`
		Email            string `json:"email"`
		TwoFactorEnabled bool   `json:"twoFactorEnabled"`
	} `json:"user"`
}

// totpSecret is the base32 secret of an otpauth URI.
func totpSecret(t *testing.T, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" {
		t.Fatalf("bad TOTP URI %q", uri)
	}
	return u.Query().Get("secret")
}

// totpCode is the RFC 6238 code (SHA-1, 6 digits, 30 s) of the URI's secret for the current
// time step plus steps, computed as an authenticator app does.
func totpCode(t *testing.T, uri string, steps int) string {
	t.Helper()
	at := time.Now().Add(time.Duration(steps) * 30 * time.Second)
	code, err := totp.GenerateCodeCustom(totpSecret(t, uri), at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// awayFromStepEnd waits, when the current 30-second step ends within 3 s, for the next one, so
// that a code computed now is checked in the same step.
func awayFromStepEnd() {
	if into := time.Now().UnixMilli() % 30000; into > 27000 {
		time.Sleep(time.Duration(30100-into) * time.Millisecond)
	}
}

// tfAccount is a user with two-factor authentication on and its browser, signed in.
type tfAccount struct {
	h      *handlertest.Harness
	b      *browser
	email  string
	userID string
	uri    string
	codes  []string
}

// enableTOTP turns TOTP on for b's user (signed in): enable, then verify the code of the
// previous step (so that the current and next steps stay free for the test).
func enableTOTP(t *testing.T, b *browser) (string, []string) {
	t.Helper()
	r := b.post("/two-factor/enable", map[string]any{"password": tfPassword})
	var en enableResult
	r.Decode(t, &en)
	if r.Status != http.StatusOK || en.Method != "totp" {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	awayFromStepEnd()
	if r := b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, en.TotpURI, -1)}); r.Status != http.StatusOK {
		t.Fatalf("verify-totp: %d %s", r.Status, r.Body)
	}
	return en.TotpURI, en.BackupCodes
}

// newTFAccount signs up email (username = local part) with TOTP on.
func newTFAccount(t *testing.T, h *handlertest.Harness, email, username string) *tfAccount {
	t.Helper()
	b := newBrowser(t, h)
	res := b.signUp(email, tfPassword, map[string]any{"username": username})
	uri, codes := enableTOTP(t, b)
	return &tfAccount{h: h, b: b, email: email, userID: res.User.ID, uri: uri, codes: codes}
}

// challenge signs a new browser in with the account's password and returns it holding the
// two_factor cookie, failing unless the answer is the two-factor redirect.
func (a *tfAccount) challenge(t *testing.T) *browser {
	t.Helper()
	b := newBrowser(t, a.h)
	r := b.post("/sign-in/email", map[string]any{"email": a.email, "password": tfPassword})
	if r.Status != http.StatusOK || b.cookies["better-auth.two_factor"] == "" {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	return b
}

// forgetTOTPSteps lets the account's TOTP codes be used again, as if 90 s had passed.
func (a *tfAccount) forgetTOTPSteps(t *testing.T) {
	t.Helper()
	a.h.Exec(`UPDATE betterauth."twoFactor" SET "lastTotpStep" = NULL WHERE "userId" = $1`, a.userID)
}

// nodeEncrypt is Better Auth's symmetricEncrypt (XChaCha20-Poly1305 under SHA-256 of the
// secret, hex), as a Node deployment writes secrets and backup codes.
func nodeEncrypt(t *testing.T, secret, plain string) string {
	t.Helper()
	key := sha256.Sum256([]byte(secret))
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return hex.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), nil))
}

// nodeDecrypt is Better Auth's symmetricDecrypt.
func nodeDecrypt(t *testing.T, secret, stored string) string {
	t.Helper()
	raw, err := hex.DecodeString(stored)
	if err != nil {
		t.Fatalf("stored value %q is not hex", stored)
	}
	key := sha256.Sum256([]byte(secret))
	aead, _ := chacha20poly1305.NewX(key[:])
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], nil)
	if err != nil {
		t.Fatalf("stored value does not decrypt: %v", err)
	}
	return string(plain)
}

// setCookieNames lists the names of resp's Set-Cookie headers, in order.
func setCookieNames(resp *handlertest.Response) []string {
	var out []string
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		out = append(out, c.Name)
	}
	return out
}
