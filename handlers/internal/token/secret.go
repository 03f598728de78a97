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

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Alnum returns n random characters of [A-Za-z0-9], uniformly drawn: the shape of Better
// Auth's ids and session tokens.
func Alnum(n int) string { return fromAlphabet(alnum, n) }

// Letters returns n random characters of [A-Za-z], uniformly drawn.
func Letters(n int) string { return fromAlphabet(alnum[:52], n) }

func fromAlphabet(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2)
	limit := 256 - 256%len(alphabet) // reject the bytes that would bias the draw
	for i := 0; i < n; {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out[i] = alphabet[int(b)%len(alphabet)]
			if i++; i == n {
				break
			}
		}
	}
	return string(out)
}
