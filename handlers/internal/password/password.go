// Package password hashes and verifies user passwords.
//
// Two formats are understood, whichever one a Hasher writes:
//   - argon2id in PHC string format, "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>", the default
//     for new hashes; parameters are read back from the string, so hashes written with older
//     parameters keep verifying;
//   - Better Auth's scrypt format, "<salt hex>:<key hex>", in which users migrated from a Node
//     Better Auth database arrive.
//
// Passwords are normalised to Unicode NFKC before hashing in both formats, as Better Auth does
// for scrypt, so that equivalent spellings of one password (precomposed or decomposed accents,
// ligatures, full-width forms) are accepted alike, and a migrated user keeps the same password
// once their hash is rewritten in argon2id.
//
// Key derivation costs tens of megabytes per call; at most GOMAXPROCS derivations run at once
// in the whole process, and further callers wait their turn.
package password

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Algorithm names a format in which new hashes are written.
type Algorithm string

const (
	// Argon2id writes PHC strings "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>".
	Argon2id Algorithm = "argon2id"
	// Scrypt writes Better Auth's "<salt hex>:<key hex>" strings.
	Scrypt Algorithm = "scrypt"
)

// ErrMalformedHash is wrapped by every error Verify returns: the stored string is in neither
// format, or its parameters are out of range.
var ErrMalformedHash = errors.New("password: malformed hash")

// ParseAlgorithm reads an algorithm name from configuration; "" means Argon2id.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch a := Algorithm(s); a {
	case "":
		return Argon2id, nil
	case Argon2id, Scrypt:
		return a, nil
	}
	return "", fmt.Errorf("password: unknown algorithm %q (want %q or %q)", s, Argon2id, Scrypt)
}

// Hasher writes new hashes in one algorithm and verifies hashes in either. It is safe for
// concurrent use. Its zero value is not usable; call New.
type Hasher struct {
	alg   Algorithm
	argon argonParams // parameters of new argon2id hashes, and the floor below which Verify asks for a rehash
}

// New returns a Hasher writing alg, with the default parameters. It panics if alg is neither
// Argon2id nor Scrypt; use ParseAlgorithm on configured values.
func New(alg Algorithm) *Hasher {
	if alg != Argon2id && alg != Scrypt {
		panic(fmt.Sprintf("password: unknown algorithm %q", alg))
	}
	return &Hasher{alg: alg, argon: defaultArgon}
}

// Hash hashes password with a fresh random salt in h's algorithm.
func (h *Hasher) Hash(password string) (string, error) {
	if h.alg == Scrypt {
		return hashScrypt(password)
	}
	return hashArgon2id(h.argon, password)
}

// Verify reports whether password matches encoded, which may be in either format whatever h's
// algorithm. rehash is true when the password matches but encoded is not in h's algorithm, or
// is argon2id with weaker parameters than h's: the caller should then store a fresh Hash. err is
// set, wrapping ErrMalformedHash, only when encoded cannot be parsed; a wrong password is
// (false, false, nil).
func (h *Hasher) Verify(encoded, password string) (ok, rehash bool, err error) {
	if strings.HasPrefix(encoded, "$") {
		p, salt, key, err := parseArgon2id(encoded)
		if err != nil {
			return false, false, err
		}
		if !equal(argon2idKey(p, password, salt), key) {
			return false, false, nil
		}
		return true, h.alg != Argon2id || p.weakerThan(h.argon), nil
	}
	salt, key, err := parseScrypt(encoded)
	if err != nil {
		return false, false, err
	}
	derived, err := scryptKey(password, salt)
	if err != nil {
		return false, false, err
	}
	if !equal(derived, key) {
		return false, false, nil
	}
	return true, h.alg != Scrypt, nil
}

// Burn verifies password against a fixed hash in h's algorithm and parameters and discards the
// result: called for unknown accounts, it makes them cost as much time as known ones.
func (h *Hasher) Burn(password string) {
	_, _, _ = h.Verify(h.dummy(), password)
}

// dummy returns an all-zero hash in h's algorithm and parameters, for Burn.
func (h *Hasher) dummy() string {
	if h.alg == Scrypt {
		return strings.Repeat("0", 2*scryptSaltLen) + ":" + strings.Repeat("0", 2*scryptKeyLen)
	}
	return h.argon.encode(make([]byte, h.argon.saltLen), make([]byte, h.argon.keyLen))
}

// slots bounds the number of key derivations running at once in the process, since each holds
// tens of megabytes (19 MiB for argon2id by default, 32 MiB for Better Auth's scrypt). One per
// core: the work is all CPU, so more at once only adds memory (2*GOMAXPROCS measured the same
// sign-ins per second with half again the peak RSS).
var slots = make(chan struct{}, runtime.GOMAXPROCS(0))

// withSlot runs f once a slot is free.
func withSlot(f func()) {
	slots <- struct{}{}
	defer func() { <-slots }()
	f()
}

// normalize returns the bytes that are hashed for password.
func normalize(password string) []byte {
	return []byte(norm.NFKC.String(password))
}

// equal compares two keys in constant time (for equal lengths).
func equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
