package token_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"gatehouse/handlers/internal/token"
)

func TestDigits(t *testing.T) {
	t.Parallel()
	const samples = 5000
	seen := map[string]bool{}
	var perDigit [10]int
	leadingZero := 0
	for range samples {
		code := token.Digits(6)
		if len(code) != 6 {
			t.Fatalf("Digits(6) = %q, want 6 digits", code)
		}
		for _, r := range code {
			if r < '0' || r > '9' {
				t.Fatalf("Digits(6) = %q holds a non-digit", code)
			}
			perDigit[r-'0']++
		}
		if code[0] == '0' {
			leadingZero++
		}
		seen[code] = true
	}
	// 5000 draws from a million codes repeat about 12 times; many more means poor randomness.
	if len(seen) < samples-100 {
		t.Fatalf("%d distinct codes in %d draws", len(seen), samples)
	}
	// About a tenth of the codes start with 0: they must keep it (not be shorter or re-drawn).
	if leadingZero < samples/20 {
		t.Fatalf("%d of %d codes start with 0, want about %d", leadingZero, samples, samples/10)
	}
	// Each digit is about a tenth of all digits (30000 digits: 3000 each, deviation about 52).
	for d, n := range perDigit {
		if n < 2600 || n > 3400 {
			t.Fatalf("digit %d appears %d times in %d digits, want about 3000", d, n, samples*6)
		}
	}
	for _, n := range []int{1, 4, 8, 12} {
		if got := token.Digits(n); len(got) != n || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("Digits(%d) = %q", n, got)
		}
	}
}

func TestOpaque(t *testing.T) {
	t.Parallel()
	for _, n := range []int{16, 32, 33} {
		seen := map[string]bool{}
		for range 1000 {
			s := token.Opaque(n)
			if want := base64.RawURLEncoding.EncodedLen(n); len(s) != want {
				t.Fatalf("Opaque(%d) = %q: %d characters, want %d", n, s, len(s), want)
			}
			if strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("Opaque(%d) = %q is not URL-safe", n, s)
			}
			b, err := base64.RawURLEncoding.DecodeString(s)
			if err != nil || len(b) != n {
				t.Fatalf("Opaque(%d) = %q decodes to %d bytes (%v)", n, s, len(b), err)
			}
			if seen[s] {
				t.Fatalf("Opaque(%d) repeated %q", n, s)
			}
			seen[s] = true
		}
	}
	// Not a fixed or zero buffer.
	if z := base64.RawURLEncoding.EncodeToString(make([]byte, 32)); token.Opaque(32) == z {
		t.Fatal("Opaque(32) returned zero bytes")
	}
}

func TestAlnumAndLetters(t *testing.T) {
	t.Parallel()
	counts := map[rune]int{}
	for range 2000 {
		s := token.Alnum(32)
		if len(s) != 32 {
			t.Fatalf("Alnum(32) = %q", s)
		}
		for _, r := range s {
			if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", r) {
				t.Fatalf("Alnum holds %q", r)
			}
			counts[r]++
		}
		if l := token.Letters(64); len(l) != 64 || strings.ContainsAny(l, "0123456789") {
			t.Fatalf("Letters(64) = %q", l)
		}
	}
	// 64000 draws over 62 symbols: about 1032 each; a biased or stuck draw falls far outside.
	if len(counts) != 62 {
		t.Fatalf("Alnum used %d of 62 symbols", len(counts))
	}
	for r, n := range counts {
		if n < 800 || n > 1300 {
			t.Errorf("symbol %q drawn %d times of 64000", r, n)
		}
	}
}
