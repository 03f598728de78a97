package baflow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/chacha20poly1305"

	"gatehouse/handlers/internal/token"
)

// TOTP as Better Auth 1.7 sets it up (@better-auth/utils otp): RFC 6238 with HMAC-SHA-1, 6
// digits, 30-second steps, one step either side accepted. The HMAC key is the UTF-8 bytes of
// the 32-character secret, and the otpauth URI carries BASE32 of those bytes, so a secret
// moved over from a Node deployment keeps producing the same codes.
const (
	totpDigits = 6
	totpPeriod = 30
	totpSkew   = 1
)

// symmetricEncrypt is Better Auth's symmetricEncrypt: XChaCha20-Poly1305 under SHA-256 of the
// secret, stored as lowercase hex of nonce, ciphertext and tag.
func symmetricEncrypt(secret, plaintext string) (string, error) {
	key := sha256.Sum256([]byte(secret))
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return hex.EncodeToString(aead.Seal(nonce, nonce, []byte(plaintext), nil)), nil
}

// errUndecryptable is a stored value that symmetricDecrypt cannot open (another secret, or
// not Better Auth's format).
var errUndecryptable = errors.New("baflow: stored value cannot be decrypted with the secret")

// symmetricDecrypt opens a value of symmetricEncrypt. Better Auth's versioned form
// ("$ba$<version>$<hex>", written with BETTER_AUTH_SECRETS) is opened with the same secret.
func symmetricDecrypt(secret, stored string) (string, error) {
	if strings.HasPrefix(stored, "$ba$") {
		parts := strings.SplitN(stored, "$", 4)
		if len(parts) != 4 {
			return "", errUndecryptable
		}
		stored = parts[3]
	}
	raw, err := hex.DecodeString(stored)
	if err != nil {
		return "", errUndecryptable
	}
	key := sha256.Sum256([]byte(secret))
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return "", err
	}
	if len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", errUndecryptable
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], nil)
	if err != nil {
		return "", errUndecryptable
	}
	return string(plain), nil
}

// totpKey is the HMAC key of a decrypted TOTP secret: its UTF-8 bytes, or for a secret
// imported as "base32:<secret>" (Better Auth's legacy form) the decoded bytes.
func totpKey(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, "base32:"); ok {
		return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(strings.ToUpper(rest), "="))
	}
	return []byte(secret), nil
}

var totpBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpURI is the otpauth URI of Better Auth's createOTP(...).url(issuer, account).
func totpURI(key []byte, issuer, account string) string {
	return "otpauth://totp/" + jsURIComponent(issuer) + ":" + jsURIComponent(account) +
		"?secret=" + totpBase32.EncodeToString(key) + "&issuer=" + url.QueryEscape(issuer) +
		"&digits=6&period=30"
}

// jsURIComponent escapes s as JavaScript's encodeURIComponent does.
func jsURIComponent(s string) string {
	return strings.NewReplacer("%21", "!", "%27", "'", "%28", "(", "%29", ")", "%2A", "*").
		Replace(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"))
}

// totpStep returns the time step (Unix time / 30) within the window around now whose code is
// code, or false.
func totpStep(key []byte, code string, now time.Time) (int64, bool) {
	if len(code) != totpDigits {
		return 0, false
	}
	secret := totpBase32.EncodeToString(key)
	cur := now.Unix() / totpPeriod
	found, step := 0, int64(0)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found == 0 {
			found, step = 1, s
		}
	}
	return step, found == 1
}

// newBackupCodes draws ten codes as Better Auth does: ten characters of [a-zA-Z0-9] split
// 5-5 ("Mv1we-oIkxL").
func newBackupCodes() []string {
	out := make([]string, 10)
	for i := range out {
		c := token.Alnum(10)
		out[i] = c[:5] + "-" + c[5:]
	}
	return out
}

// backupHashPrefix marks the stored form of backup codes kept here: a JSON list of
// "<hashPrefix><hex HMAC-SHA-256 of the code under the secret>". Better Auth's form (hex of
// the encrypted JSON list of codes in clear) never starts with "[".
const backupHashPrefix = "hmac-sha256:"

// hashBackupCode is the stored form of one backup code.
func hashBackupCode(secret, code string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("gatehouse two-factor backup code\x00" + code))
	return backupHashPrefix + hex.EncodeToString(m.Sum(nil))
}

// encodeBackupCodes is the stored form of codes: their hashes.
func encodeBackupCodes(secret string, codes []string) string {
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = hashBackupCode(secret, c)
	}
	b, _ := json.Marshal(hashes)
	return string(b)
}

// redeemBackupCode looks code up in stored (either form) and returns the stored form of the
// codes left, hashed, and whether code was among them.
func redeemBackupCode(secret, stored, code string) (string, bool) {
	var entries []string
	hashed := strings.HasPrefix(stored, "[")
	if hashed {
		if json.Unmarshal([]byte(stored), &entries) != nil {
			return "", false
		}
	} else {
		plain, err := symmetricDecrypt(secret, stored)
		if err != nil || json.Unmarshal([]byte(plain), &entries) != nil {
			return "", false
		}
	}
	want := code
	if hashed {
		want = hashBackupCode(secret, code)
	}
	found := false
	left := make([]string, 0, len(entries))
	for _, e := range entries {
		if !found && code != "" && subtle.ConstantTimeCompare([]byte(e), []byte(want)) == 1 {
			found = true
			continue
		}
		if !hashed {
			e = hashBackupCode(secret, e)
		}
		left = append(left, e)
	}
	b, _ := json.Marshal(left)
	return string(b), found
}

// trustDeviceValue is the inner value of the trust_device cookie for userID and trustID:
// base64url(HMAC-SHA-256(secret, "<userID>!<trustID>")) + "!" + trustID.
func trustDeviceValue(secret, userID, trustID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(userID + "!" + trustID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)) + "!" + trustID
}
