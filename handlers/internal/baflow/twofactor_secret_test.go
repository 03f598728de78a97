package baflow

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// Fixtures written by Better Auth 1.7.25 itself (better-auth/crypto symmetricEncrypt and
// @better-auth/utils/otp under node) with this secret.
const (
	nodeSecret     = "better-auth-secret-for-tests-0123456789"
	nodeTOTPSecret = "JkL0-_mnopQRstuvWXyz0123456789ab"
	nodeEncSecret  = "e16cde74e04d735faa28c6d1432cda083a1d6100d5ce8dc0ed877c70886f2e045379cfad48079f993b1b4a4d795a34fa66a897ba327fa7aa2d62376f21b1fe658d950da77f8234b0"
	nodeEncCodes   = "ff29e139e99410d8d23b4472beb86564a9b3a9bf73878c1d91e1c7ac9791a79e3096096816d18e39197edb457dbda4150ba74f7985e8f836b2328a4a53a51c4c1ecc715752"
)

func TestSymmetricEncryptReadsBetterAuth(t *testing.T) {
	got, err := symmetricDecrypt(nodeSecret, nodeEncSecret)
	if err != nil || got != nodeTOTPSecret {
		t.Fatalf("decrypt Better Auth's value: %q, %v", got, err)
	}
	if got, err := symmetricDecrypt(nodeSecret, "$ba$1$"+nodeEncSecret); err != nil || got != nodeTOTPSecret {
		t.Fatalf("versioned form: %q, %v", got, err)
	}
	for _, bad := range []string{"", "zz", nodeEncSecret[:40], strings.Replace(nodeEncSecret, "e1", "e2", 1)} {
		if _, err := symmetricDecrypt(nodeSecret, bad); err == nil {
			t.Fatalf("%q decrypted", bad)
		}
	}
	if _, err := symmetricDecrypt("another secret, 32 characters at least", nodeEncSecret); err == nil {
		t.Fatal("decrypted under another secret")
	}
	enc, err := symmetricEncrypt(nodeSecret, nodeTOTPSecret)
	if err != nil || len(enc) != 144 || enc == nodeEncSecret {
		t.Fatalf("encrypt: %q, %v", enc, err)
	}
	if got, _ := symmetricDecrypt(nodeSecret, enc); got != nodeTOTPSecret {
		t.Fatal("round trip")
	}
}

// Codes and URI as Better Auth's createOTP computes them for the same secret.
func TestTOTPMatchesBetterAuth(t *testing.T) {
	key, err := totpKey(nodeTOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		counter int64
		code    string
	}{{1, "425564"}, {37037036, "686427"}, {66666666, "407615"}} {
		at := time.Unix(c.counter*30+15, 0)
		if step, ok := totpStep(key, c.code, at); !ok || step != c.counter {
			t.Fatalf("counter %d: step %d, %v", c.counter, step, ok)
		}
		// One step either side is accepted, two are not.
		if step, ok := totpStep(key, c.code, at.Add(30*time.Second)); !ok || step != c.counter {
			t.Fatalf("counter %d a step later: %d, %v", c.counter, step, ok)
		}
		if _, ok := totpStep(key, c.code, at.Add(-30*time.Second)); !ok {
			t.Fatalf("counter %d a step earlier refused", c.counter)
		}
		if _, ok := totpStep(key, c.code, at.Add(61*time.Second)); ok {
			t.Fatalf("counter %d accepted two steps later", c.counter)
		}
	}
	for _, bad := range []string{"", "42556", "4255640", "42556x"} {
		if _, ok := totpStep(key, bad, time.Unix(45, 0)); ok {
			t.Fatalf("%q accepted", bad)
		}
	}
	want := "otpauth://totp/My%20App:ann%40example.com?secret=JJVUYMBNL5WW433QKFJHG5DVOZLVQ6L2GAYTEMZUGU3DOOBZMFRA&issuer=My+App&digits=6&period=30"
	if got := totpURI(key, "My App", "ann@example.com"); got != want {
		t.Fatalf("URI %s, want %s", got, want)
	}
	// A secret imported as "base32:..." is decoded first, as Better Auth does.
	if k, err := totpKey("base32:jjvuymbnl5ww433qkfjhg5dvozlvq6l2gaytemzugu3dooBZMFRA"); err != nil || string(k) != nodeTOTPSecret {
		t.Fatalf("base32 secret: %q, %v", k, err)
	}
}

// RFC 6238 appendix B (SHA-1, the 20-byte ASCII key), truncated to 6 digits.
func TestTOTPRFC6238(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if step, ok := totpStep(key, v.code, time.Unix(v.unix, 0)); !ok || step != v.unix/30 {
			t.Fatalf("T=%d: %d, %v", v.unix, step, ok)
		}
	}
}

func TestBackupCodes(t *testing.T) {
	codes := newBackupCodes()
	if len(codes) != 10 || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
		t.Fatal("ten different codes")
	}
	stored := encodeBackupCodes(nodeSecret, codes)
	for _, c := range codes {
		if strings.Contains(stored, c) {
			t.Fatal("stored in clear")
		}
	}
	left, ok := redeemBackupCode(nodeSecret, stored, codes[3])
	if !ok {
		t.Fatal("a stored code refused")
	}
	if _, ok := redeemBackupCode(nodeSecret, left, codes[3]); ok {
		t.Fatal("a code accepted twice")
	}
	var hashes []string
	if json.Unmarshal([]byte(left), &hashes) != nil || len(hashes) != 9 {
		t.Fatalf("left %s", left)
	}
	for _, bad := range []string{"", "xxxxx-xxxxx", strings.ToUpper(codes[0])} {
		if bad != codes[0] {
			if _, ok := redeemBackupCode(nodeSecret, stored, bad); ok {
				t.Fatalf("%q accepted", bad)
			}
		}
	}
	// Better Auth's encrypted list: accepted, and what is left comes back hashed.
	left, ok = redeemBackupCode(nodeSecret, nodeEncCodes, "abcde-12345")
	if !ok || strings.Contains(left, "Mv1we-oIkxL") || !strings.HasPrefix(left, `["`+backupHashPrefix) {
		t.Fatalf("Better Auth's codes: %v %s", ok, left)
	}
	if _, ok := redeemBackupCode(nodeSecret, left, "Mv1we-oIkxL"); !ok {
		t.Fatal("the other Better Auth code was lost")
	}
	if _, ok := redeemBackupCode("another secret, 32 characters at least", nodeEncCodes, "abcde-12345"); ok {
		t.Fatal("codes read under another secret")
	}
}

// The trust_device value is Better Auth's (createHMAC("SHA-256", "base64urlnopad") under node).
func TestTrustDeviceValue(t *testing.T) {
	v := trustDeviceValue(nodeSecret, "user1", "trust-device-abc")
	if v != "AL7BnkXfIWrg8_QA83U4J2RifQAf0vfaeXDdAfP05sM!trust-device-abc" {
		t.Fatalf("trust value %q", v)
	}
	if trustDeviceValue(nodeSecret, "user2", "trust-device-abc") == v {
		t.Fatal("not bound to the user")
	}
}
