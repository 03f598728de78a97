package betterauth_test

import (
	"encoding/base32"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A backup code signs in once; disableSession uses one up without signing in.
func TestTwoFactorBackupCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-backup@example.com", "tf_backup")
	b := a.challenge(t)
	wantError(t, b.post("/two-factor/verify-backup-code", map[string]any{"code": "aaaaa-bbbbb"}), 401, "INVALID_BACKUP_CODE")
	wantError(t, b.post("/two-factor/verify-backup-code", map[string]any{"code": ""}), 401, "INVALID_BACKUP_CODE")

	// disableSession: the code is used up, the body is {"user"}, no cookie, the challenge stays.
	r := b.post("/two-factor/verify-backup-code", map[string]any{"code": a.codes[0], "disableSession": true})
	var v tfResult
	r.Decode(t, &v)
	if r.Status != http.StatusOK || v.Token != nil || v.User.ID != a.userID || strings.Contains(string(r.Body), `"token"`) {
		t.Fatalf("disableSession: %d %s", r.Status, r.Body)
	}
	wantNoCookies(t, r)
	if b.session() != nil {
		t.Fatal("signed in with disableSession")
	}
	// The same code again, then another code signing in.
	wantError(t, b.post("/two-factor/verify-backup-code", map[string]any{"code": a.codes[0]}), 401, "INVALID_BACKUP_CODE")
	r = b.post("/two-factor/verify-backup-code", map[string]any{"code": a.codes[1], "trustDevice": true})
	r.Decode(t, &v)
	if r.Status != http.StatusOK || v.Token == nil || *v.Token != b.token() {
		t.Fatalf("verify-backup-code: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, b, *v.Token, 604800)
	if b.last["better-auth.trust_device"] == nil || b.last["better-auth.two_factor"].MaxAge >= 0 {
		t.Fatal("cookies after verify-backup-code")
	}
	var left []string
	if err := json.Unmarshal([]byte(dbString(t, h, `SELECT "backupCodes" FROM betterauth."twoFactor"`)), &left); err != nil || len(left) != 8 {
		t.Fatalf("%d codes left", len(left))
	}
	// With a session: the session's own token, the code used up.
	r = a.b.post("/two-factor/verify-backup-code", map[string]any{"code": a.codes[2]})
	r.Decode(t, &v)
	if r.Status != http.StatusOK || *v.Token != a.b.token() {
		t.Fatalf("session verify-backup-code: %d %s", r.Status, r.Body)
	}
	wantError(t, a.b.post("/two-factor/verify-backup-code", map[string]any{"code": a.codes[2]}), 401, "INVALID_BACKUP_CODE")
}

func TestTwoFactorGenerateBackupCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-gen@example.com", "tf_gen")
	before := dbState(t, h)
	wantError(t, a.b.post("/two-factor/generate-backup-codes", map[string]any{"password": "wrong password"}), 400, "INVALID_PASSWORD")
	wantUnchanged(t, h, before)
	r := a.b.post("/two-factor/generate-backup-codes", map[string]any{"password": tfPassword})
	var out struct {
		Status      bool     `json:"status"`
		BackupCodes []string `json:"backupCodes"`
	}
	r.Decode(t, &out)
	if r.Status != http.StatusOK || !out.Status || len(out.BackupCodes) != 10 || slices.Contains(out.BackupCodes, a.codes[0]) {
		t.Fatalf("generate-backup-codes: %d %s", r.Status, r.Body)
	}
	stored := dbString(t, h, `SELECT "backupCodes" FROM betterauth."twoFactor"`)
	for _, c := range out.BackupCodes {
		if !backupCodeRE.MatchString(c) || strings.Contains(stored, c) {
			t.Fatalf("code %q (or stored in clear)", c)
		}
	}
	// The old codes are gone, the new ones work.
	wantError(t, a.b.post("/two-factor/verify-backup-code", map[string]any{"code": a.codes[3]}), 401, "INVALID_BACKUP_CODE")
	if r := a.challenge(t).post("/two-factor/verify-backup-code", map[string]any{"code": out.BackupCodes[9]}); r.Status != http.StatusOK {
		t.Fatalf("new code: %d %s", r.Status, r.Body)
	}
}

// Rows written by a Node Better Auth deployment with the same secret keep working: its
// encrypted TOTP secret and its encrypted backup codes (which are hashed on first use).
func TestTwoFactorNodeData(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSecret)
	b := newBrowser(t, h)
	res := b.signUp("tf-node@example.com", tfPassword, nil)
	secret := "JkL0-_mnopQRstuvWXyz0123456789ab"
	codes := []string{"Mv1we-oIkxL", "abcde-12345", "ZZZZZ-00000"}
	list, _ := json.Marshal(codes)
	h.Exec(`UPDATE betterauth."user" SET "twoFactorEnabled" = true WHERE "id" = $1`, res.User.ID)
	h.Exec(`INSERT INTO betterauth."twoFactor" ("id", "secret", "backupCodes", "userId", "verified", "failedVerificationCount")
		VALUES ('nodeTwoFactorRow00000000000000aa', $1, $2, $3, true, 0)`,
		nodeEncrypt(t, baSecret, secret), nodeEncrypt(t, baSecret, string(list)), res.User.ID)
	uri := "otpauth://totp/Gatehouse:tf-node%40example.com?secret=" +
		base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(secret)) + "&issuer=Gatehouse&digits=6&period=30"
	wantJSON(t, b.post("/two-factor/get-totp-uri", map[string]any{"password": tfPassword}), `{"totpURI":"`+uri+`"}`)

	a := &tfAccount{h: h, b: b, email: "tf-node@example.com", userID: res.User.ID, uri: uri}
	awayFromStepEnd()
	if r := a.challenge(t).post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, uri, 0)}); r.Status != http.StatusOK {
		t.Fatalf("verify-totp with a Node secret: %d %s", r.Status, r.Body)
	}
	if r := a.challenge(t).post("/two-factor/verify-backup-code", map[string]any{"code": codes[1]}); r.Status != http.StatusOK {
		t.Fatalf("verify-backup-code with Node codes: %d %s", r.Status, r.Body)
	}
	stored := dbString(t, h, `SELECT "backupCodes" FROM betterauth."twoFactor"`)
	var left []string
	if err := json.Unmarshal([]byte(stored), &left); err != nil || len(left) != 2 || strings.Contains(stored, codes[0]) {
		t.Fatalf("codes after first use: %q", stored)
	}
	wantError(t, a.challenge(t).post("/two-factor/verify-backup-code", map[string]any{"code": codes[1]}), 401, "INVALID_BACKUP_CODE")
	if r := a.challenge(t).post("/two-factor/verify-backup-code", map[string]any{"code": codes[2]}); r.Status != http.StatusOK {
		t.Fatalf("second Node code: %d %s", r.Status, r.Body)
	}
}
