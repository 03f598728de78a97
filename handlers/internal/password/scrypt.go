package password

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Better Auth's parameters (@better-auth/utils/password), fixed: the format does not record them.
const (
	scryptN       = 16384
	scryptR       = 16
	scryptP       = 1
	scryptKeyLen  = 64
	scryptSaltLen = 16
)

// hashScrypt writes "<salt hex>:<key hex>" as Better Auth does: 16 random bytes in lowercase
// hex, whose hex text (not the bytes) is the scrypt salt.
func hashScrypt(password string) (string, error) {
	raw := make([]byte, scryptSaltLen)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	salt := hex.EncodeToString(raw)
	key, err := scryptKey(password, salt)
	if err != nil {
		return "", err
	}
	return salt + ":" + hex.EncodeToString(key), nil
}

// scryptKey derives the key for password, using the salt's text as the salt bytes.
func scryptKey(password, salt string) ([]byte, error) {
	pw := normalize(password)
	var key []byte
	var err error
	withSlot(func() { key, err = scrypt.Key(pw, []byte(salt), scryptN, scryptR, scryptP, scryptKeyLen) })
	if err != nil {
		return nil, fmt.Errorf("password: scrypt: %w", err)
	}
	return key, nil
}

// parseScrypt splits "<salt hex>:<key hex>". It is stricter than Better Auth, which takes any
// non-empty text before the first colon as the salt: it wants exactly what Better Auth writes,
// 32 and 128 lowercase hex digits (Better Auth compares keys as lowercase hex text, so an
// uppercase key could never match there either).
func parseScrypt(encoded string) (salt string, key []byte, err error) {
	salt, keyHex, found := strings.Cut(encoded, ":")
	if !found || !isLowerHex(salt, 2*scryptSaltLen) || !isLowerHex(keyHex, 2*scryptKeyLen) {
		return "", nil, fmt.Errorf("%w: not argon2id, nor scrypt <32 hex digits>:<128 hex digits>", ErrMalformedHash)
	}
	key, err = hex.DecodeString(keyHex)
	if err != nil { // unreachable after isLowerHex
		return "", nil, fmt.Errorf("%w: scrypt key: %v", ErrMalformedHash, err)
	}
	return salt, key, nil
}

// isLowerHex reports whether s is n lowercase hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
