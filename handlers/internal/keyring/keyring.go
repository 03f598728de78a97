// Package keyring derives purpose-bound keys from the server secret and seals small values
// (private keys, provider secrets) with AES-256-GCM.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"sync"

	"golang.org/x/crypto/hkdf"
)

// Keyring derives keys from one server secret. The zero value is not usable; use New.
// Derived keys are computed once per purpose and kept, since the same few purposes are used on
// every request (rate-limit keys, code hashes).
type Keyring struct {
	secret  []byte
	derived sync.Map // purpose -> []byte (never modified once stored)
}

// New returns a keyring over secret, which must hold at least 32 bytes.
func New(secret []byte) (*Keyring, error) {
	if len(secret) < 32 {
		return nil, errors.New("keyring: the secret must be at least 32 bytes")
	}
	return &Keyring{secret: append([]byte(nil), secret...)}, nil
}

// Key returns a 32-byte key bound to purpose: different purposes give unrelated keys.
func (k *Keyring) Key(purpose string) []byte {
	return append([]byte(nil), k.key(purpose)...)
}

// key is Key without the copy, for this package's read-only uses.
func (k *Keyring) key(purpose string) []byte {
	if v, ok := k.derived.Load(purpose); ok {
		return v.([]byte)
	}
	out := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, k.secret, nil, []byte("gatehouse/"+purpose)), out); err != nil {
		panic(err) // hkdf cannot fail for 32 bytes of output
	}
	v, _ := k.derived.LoadOrStore(purpose, out)
	return v.([]byte)
}

// MAC returns HMAC-SHA256 of msg under the key for purpose.
func (k *Keyring) MAC(purpose string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.key(purpose))
	m.Write(msg)
	return m.Sum(nil)
}

// Seal encrypts plaintext under the key for purpose; the result carries its nonce.
func (k *Keyring) Seal(purpose string, plaintext []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(purpose)), nil
}

// Open decrypts what Seal produced for the same purpose.
func (k *Keyring) Open(purpose string, sealed []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("keyring: sealed value too short")
	}
	nonce, ct := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, []byte(purpose))
	if err != nil {
		return nil, errors.New("keyring: cannot open sealed value (wrong secret?)")
	}
	return pt, nil
}

func (k *Keyring) aead(purpose string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.key("seal/" + purpose))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
