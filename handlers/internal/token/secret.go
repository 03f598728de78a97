package token

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
)

// Digits returns n random decimal digits, uniformly drawn, for one-time codes.
func Digits(n int) string {
	limit := big.NewInt(1)
	for range n {
		limit.Mul(limit, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return fmt.Sprintf("%0*d", n, v)
}

// Opaque returns a random URL-safe token carrying n bytes of entropy.
func Opaque(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
