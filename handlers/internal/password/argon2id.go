package password

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argonParams are argon2id's cost parameters and lengths.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	saltLen int // bytes
	keyLen  int // bytes
}

// defaultArgon is OWASP's recommended argon2id configuration (19 MiB, 2 passes, 1 lane).
var defaultArgon = argonParams{memory: 19456, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// Limits on parameters read from a stored hash, so that a corrupt row cannot make a derivation
// panic or take unbounded memory or time.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 64
	minArgonSalt   = 8
	maxArgonSalt   = 64
	minArgonKey    = 16
	maxArgonKey    = 128
)

// b64 is the PHC string format's base64: standard alphabet, no padding, canonical trailing bits.
var b64 = base64.RawStdEncoding.Strict()

// hashArgon2id hashes password with a fresh random salt under p.
func hashArgon2id(p argonParams, password string) (string, error) {
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return p.encode(salt, argon2idKey(p, password, salt)), nil
}

// argon2idKey derives a p.keyLen-byte key.
func argon2idKey(p argonParams, password string, salt []byte) []byte {
	pw := normalize(password)
	var key []byte
	withSlot(func() { key = argon2.IDKey(pw, salt, p.time, p.memory, p.threads, uint32(p.keyLen)) })
	return key
}

// encode writes the PHC string.
func (p argonParams) encode(salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// weakerThan reports whether hashes under p are cheaper to attack than under q. Lanes are not
// compared: for equal memory and passes they change the wall time, not the work.
func (p argonParams) weakerThan(q argonParams) bool {
	return p.memory < q.memory || p.time < q.time || p.saltLen < q.saltLen || p.keyLen < q.keyLen
}

// parseArgon2id reads "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>". Only version
// 19 (0x13) is accepted, the one golang.org/x/crypto/argon2 implements.
func parseArgon2id(encoded string) (p argonParams, salt, key []byte, err error) {
	bad := func(format string, args ...any) (argonParams, []byte, []byte, error) {
		return argonParams{}, nil, nil, fmt.Errorf("%w: argon2id: "+format, append([]any{ErrMalformedHash}, args...)...)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("want $argon2id$v=19$m=…,t=…,p=…$<salt>$<key>")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version %q", parts[2])
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return bad("want parameters m=…,t=…,p=…, got %q", parts[3])
	}
	m, okM := decimal(fields[0], "m=", maxArgonMemory)
	t, okT := decimal(fields[1], "t=", maxArgonTime)
	l, okL := decimal(fields[2], "p=", 255)
	if !okM || !okT || !okL || t < 1 || l < 1 || m < 8*l {
		return bad("parameters %q out of range", parts[3])
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < minArgonSalt || len(salt) > maxArgonSalt {
		return bad("salt must be %d to %d bytes of unpadded base64", minArgonSalt, maxArgonSalt)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < minArgonKey || len(key) > maxArgonKey {
		return bad("key must be %d to %d bytes of unpadded base64", minArgonKey, maxArgonKey)
	}
	p = argonParams{memory: m, time: t, threads: uint8(l), saltLen: len(salt), keyLen: len(key)}
	return p, salt, key, nil
}

// decimal reads field as prefix followed by a canonical decimal number no greater than max.
func decimal(field, prefix string, max uint32) (uint32, bool) {
	s, found := strings.CutPrefix(field, prefix)
	if !found {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > uint64(max) || strconv.FormatUint(n, 10) != s {
		return 0, false
	}
	return uint32(n), true
}
