package password

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseAlgorithm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    Algorithm
		wantErr bool
	}{
		{"", Argon2id, false},
		{"argon2id", Argon2id, false},
		{"scrypt", Scrypt, false},
		{"Argon2id", "", true},
		{"bcrypt", "", true},
		{" scrypt", "", true},
	} {
		got, err := ParseAlgorithm(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseAlgorithm(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestNewPanicsOnUnknownAlgorithm(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("New(\"bcrypt\") did not panic")
		}
	}()
	New("bcrypt")
}

// formats are what Hash must write for each algorithm.
var formats = map[Algorithm]*regexp.Regexp{
	Argon2id: regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`),
	Scrypt:   regexp.MustCompile(`^[0-9a-f]{32}:[0-9a-f]{128}$`),
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, alg := range []Algorithm{Argon2id, Scrypt} {
		for _, tc := range []struct{ name, password, wrong string }{
			{"ascii", "correct horse battery staple", "correct horse battery stapler"},
			{"non-ascii", "pässwörd-日本語-🔑", "passwort-日本語-🔑"},
			{"empty", "", " "},
			{"long", strings.Repeat("abc😀", 100), strings.Repeat("abc😀", 99)},
		} {
			t.Run(string(alg)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				h := New(alg)
				encoded, err := h.Hash(tc.password)
				if err != nil {
					t.Fatalf("Hash: %v", err)
				}
				if !formats[alg].MatchString(encoded) {
					t.Fatalf("Hash = %q, not in %s format", encoded, alg)
				}
				if ok, rehash, err := h.Verify(encoded, tc.password); !ok || rehash || err != nil {
					t.Errorf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
				}
				if ok, rehash, err := h.Verify(encoded, tc.wrong); ok || rehash || err != nil {
					t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
				}
			})
		}
	}
}

func TestSaltsDiffer(t *testing.T) {
	t.Parallel()
	for _, alg := range []Algorithm{Argon2id, Scrypt} {
		h := New(alg)
		a, errA := h.Hash("same")
		b, errB := h.Hash("same")
		if errA != nil || errB != nil || a == b {
			t.Errorf("%s: two hashes of one password: %q (%v), %q (%v)", alg, a, errA, b, errB)
		}
	}
}

// TestNFKC checks that passwords which are the same after NFKC normalisation verify alike in
// both formats, and that different ones do not.
func TestNFKC(t *testing.T) {
	t.Parallel()
	for _, alg := range []Algorithm{Argon2id, Scrypt} {
		for _, tc := range []struct {
			name, hashed, tried string
			want                bool
		}{
			{"ligature hashed", "ﬁnance", "finance", true},
			{"ligature tried", "finance", "ﬁnance", true},
			{"decomposed accent", "caf\u00e9", "cafe\u0301", true},
			{"full-width", "ＡＢＣ１２３", "ABC123", true},
			{"accent is not its base letter", "café", "cafe", false},
		} {
			t.Run(string(alg)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				h := New(alg)
				encoded, err := h.Hash(tc.hashed)
				if err != nil {
					t.Fatalf("Hash: %v", err)
				}
				if ok, _, err := h.Verify(encoded, tc.tried); ok != tc.want || err != nil {
					t.Errorf("Verify(Hash(%q), %q) = %v, %v; want %v, nil", tc.hashed, tc.tried, ok, err, tc.want)
				}
			})
		}
	}
}

// argonHasher returns an argon2id Hasher whose parameters are the defaults changed by change.
func argonHasher(change func(*argonParams)) *Hasher {
	h := New(Argon2id)
	change(&h.argon)
	return h
}

func TestRehash(t *testing.T) {
	t.Parallel()
	const pw = "rehash me"
	hash := func(t *testing.T, h *Hasher) string {
		t.Helper()
		encoded, err := h.Hash(pw)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		return encoded
	}
	for _, tc := range []struct {
		name     string
		writer   *Hasher // writes the stored hash
		verifier *Hasher
		want     bool
	}{
		{"argon2id under argon2id", New(Argon2id), New(Argon2id), false},
		{"scrypt under scrypt", New(Scrypt), New(Scrypt), false},
		{"scrypt under argon2id", New(Scrypt), New(Argon2id), true},
		{"argon2id under scrypt", New(Argon2id), New(Scrypt), true},
		{"less memory", argonHasher(func(p *argonParams) { p.memory = 8192 }), New(Argon2id), true},
		{"fewer passes", argonHasher(func(p *argonParams) { p.time = 1 }), New(Argon2id), true},
		{"shorter salt", argonHasher(func(p *argonParams) { p.saltLen = 8 }), New(Argon2id), true},
		{"shorter key", argonHasher(func(p *argonParams) { p.keyLen = 16 }), New(Argon2id), true},
		{"more memory", argonHasher(func(p *argonParams) { p.memory = 32768 }), New(Argon2id), false},
		{"more passes", argonHasher(func(p *argonParams) { p.time = 3 }), New(Argon2id), false},
		{"more lanes", argonHasher(func(p *argonParams) { p.threads = 2 }), New(Argon2id), false},
		{"stronger verifier", New(Argon2id), argonHasher(func(p *argonParams) { p.memory = 32768 }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			encoded := hash(t, tc.writer)
			if ok, rehash, err := tc.verifier.Verify(encoded, pw); !ok || rehash != tc.want || err != nil {
				t.Errorf("Verify(right) = %v, %v, %v; want true, %v, nil", ok, rehash, err, tc.want)
			}
			// No rehash without the right password, whatever the format.
			if ok, rehash, err := tc.verifier.Verify(encoded, pw+"!"); ok || rehash || err != nil {
				t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	const (
		salt16 = "Z2F0ZWhvdXNlLXNhbHQtMQ"                      // 16 bytes
		key32  = "WWugU8yGgWS2FDCPdaTGVBn5o/9opubcTgvuzQSB9Zk" // 32 bytes
		hex32  = "105ac837974675428218d1ba20215728"
		hex128 = "d527dccca68a1f060452975a408feeeb70491a2b04bdf8e9fc4b85eb4a92a88354f20f43ce35198586eaf00228f7cc3187d15b830f1a862eaed5aa519075785e"
	)
	argon := func(version, params, salt, key string) string {
		return "$argon2id$" + version + "$" + params + "$" + salt + "$" + key
	}
	// The well-formed strings every malformed one below is a variation of.
	for _, good := range []string{argon("v=19", "m=19456,t=2,p=1", salt16, key32), hex32 + ":" + hex128} {
		if _, _, err := New(Argon2id).Verify(good, "x"); err != nil {
			t.Fatalf("base case %q: %v", good, err)
		}
	}
	for _, tc := range []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32},
		{"version 16", argon("v=16", "m=19456,t=2,p=1", salt16, key32)},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + salt16 + "$" + key32},
		{"trailing dollar", argon("v=19", "m=19456,t=2,p=1", salt16, key32) + "$"},
		{"parameters reordered", argon("v=19", "t=2,m=19456,p=1", salt16, key32)},
		{"extra parameter", argon("v=19", "m=19456,t=2,p=1,data=eA", salt16, key32)},
		{"missing parameter", argon("v=19", "m=19456,t=2", salt16, key32)},
		{"memory below 8 per lane", argon("v=19", "m=15,t=2,p=2", salt16, key32)},
		{"memory too large", argon("v=19", "m=1048577,t=2,p=1", salt16, key32)},
		{"memory overflows uint32", argon("v=19", "m=4294967296,t=2,p=1", salt16, key32)},
		{"zero passes", argon("v=19", "m=19456,t=0,p=1", salt16, key32)},
		{"too many passes", argon("v=19", "m=19456,t=65,p=1", salt16, key32)},
		{"zero lanes", argon("v=19", "m=19456,t=2,p=0", salt16, key32)},
		{"too many lanes", argon("v=19", "m=19456,t=2,p=256", salt16, key32)},
		{"leading zero", argon("v=19", "m=019456,t=2,p=1", salt16, key32)},
		{"plus sign", argon("v=19", "m=19456,t=+2,p=1", salt16, key32)},
		{"padded salt", argon("v=19", "m=19456,t=2,p=1", salt16+"==", key32)},
		{"non-canonical salt", argon("v=19", "m=19456,t=2,p=1", salt16[:21]+"R", key32)},
		{"url-safe key", argon("v=19", "m=19456,t=2,p=1", salt16, strings.ReplaceAll(key32, "/", "_"))},
		{"salt too short", argon("v=19", "m=19456,t=2,p=1", "c2FsdA", key32)},
		{"empty key", argon("v=19", "m=19456,t=2,p=1", salt16, "")},
		{"key too short", argon("v=19", "m=19456,t=2,p=1", salt16, key32[:20])},
		{"scrypt without colon", hex32 + hex128},
		{"scrypt short salt", hex32[:30] + ":" + hex128},
		{"scrypt uppercase salt", strings.ToUpper(hex32) + ":" + hex128},
		{"scrypt short key", hex32 + ":" + hex128[:126]},
		{"scrypt uppercase key", hex32 + ":" + strings.ToUpper(hex128)},
		{"scrypt non-hex", "g" + hex32[1:] + ":" + hex128},
		{"scrypt third field", hex32 + ":" + hex128 + ":"},
		{"scrypt whitespace", hex32 + ":" + hex128 + "\n"},
	} {
		for _, alg := range []Algorithm{Argon2id, Scrypt} {
			ok, rehash, err := New(alg).Verify(tc.encoded, "x")
			if ok || rehash || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("%s: New(%s).Verify(%q) = %v, %v, %v; want false, false, ErrMalformedHash", tc.name, alg, tc.encoded, ok, rehash, err)
			}
		}
	}
}

// TestBurn checks that Burn's hash is in the Hasher's own format and parameters, so that it
// costs what verifying a real account's hash costs.
func TestBurn(t *testing.T) {
	t.Parallel()
	for _, h := range []*Hasher{New(Argon2id), New(Scrypt), argonHasher(func(p *argonParams) { p.memory, p.time = 8192, 3 })} {
		dummy := h.dummy()
		if h.alg == Argon2id {
			p, _, _, err := parseArgon2id(dummy)
			if err != nil || p != h.argon {
				t.Errorf("argon2id dummy %q parses to %+v, %v; want %+v", dummy, p, err, h.argon)
			}
		}
		if _, _, err := parseScrypt(dummy); (err == nil) != (h.alg == Scrypt) {
			t.Errorf("%s dummy %q: parseScrypt error %v", h.alg, dummy, err)
		}
		if ok, _, err := h.Verify(dummy, ""); ok || err != nil {
			t.Errorf("%s: Verify(dummy, \"\") = %v, %v; want false, nil", h.alg, ok, err)
		}
		h.Burn("anything")
	}
}

// TestSlots checks that derivations wait for a free slot: with every slot taken, Burn must
// block until one is released.
func TestSlots(t *testing.T) {
	// Not parallel: it holds every slot.
	if cap(slots) < 2 {
		t.Fatalf("cap(slots) = %d", cap(slots))
	}
	for range cap(slots) {
		slots <- struct{}{}
	}
	done := make(chan struct{})
	go func() {
		New(Argon2id).Burn("x")
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("Burn finished while every slot was taken")
	case <-time.After(300 * time.Millisecond):
	}
	<-slots // free one
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Burn did not finish once a slot was freed")
	}
	for range cap(slots) - 1 {
		<-slots
	}
}

// TestConcurrentUse shares one Hasher between goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	for _, alg := range []Algorithm{Argon2id, Scrypt} {
		h := New(alg)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				pw := strings.Repeat("p", i+1)
				encoded, err := h.Hash(pw)
				if err != nil {
					t.Errorf("Hash: %v", err)
					return
				}
				if ok, _, err := h.Verify(encoded, pw); !ok || err != nil {
					t.Errorf("Verify = %v, %v", ok, err)
				}
			})
		}
		wg.Wait()
	}
}

// BenchmarkVerify measures one verification per algorithm at the default parameters.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []Algorithm{Argon2id, Scrypt} {
		b.Run(string(alg), func(b *testing.B) {
			h := New(alg)
			encoded, err := h.Hash("benchmark")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				h.Verify(encoded, "benchmark")
			}
		})
	}
}
