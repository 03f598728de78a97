package password

import "testing"

// Hashes written by other implementations, so that the tests prove interoperability rather than
// agreement of this package with itself.
//
// The scrypt vectors were written by the real Better Auth package (better-auth 1.7.25,
// @better-auth/utils 0.5.1, Node 20.20.2, node:crypto scrypt) with
//
//	cd /tmp/ba && node -e "import('better-auth/crypto').then(async m=>console.log(await m.hashPassword(PASSWORD)))"
//
// The argon2id vectors were computed with @noble/hashes 2.4.0's argon2id (an independent
// implementation) over a fixed salt, and written out by hand in PHC format:
//
//	argon2id(PASSWORD, SALT, {t, m, p, dkLen: 32}) → $argon2id$v=19$m=M,t=T,p=P$b64(SALT)$b64(key)
var foreignVectors = []struct {
	name, password, encoded string
	equivalent              string // another spelling with the same NFKC form, if any
	alg                     Algorithm
	argon                   argonParams // for argon2id: the parameters the string must parse to
}{
	{
		name:     "better-auth ascii",
		password: "correct horse battery staple",
		encoded:  "105ac837974675428218d1ba20215728:d527dccca68a1f060452975a408feeeb70491a2b04bdf8e9fc4b85eb4a92a88354f20f43ce35198586eaf00228f7cc3187d15b830f1a862eaed5aa519075785e",
		alg:      Scrypt,
	},
	{
		name:       "better-auth non-ascii",
		password:   "pässwörd-日本語-🔑",
		equivalent: "pa\u0308sswo\u0308rd-日本語-🔑", // decomposed umlauts
		encoded:    "cc7b90f811ecf212b278419c05398b67:c9c43065f0efaab4775b9b6219bb9cd38dd6552adab625c9e17a67bd205f131d47cdae25598cf845b12185b21c044fe4d32da530535262ffaf2729834cf4a215",
		alg:        Scrypt,
	},
	{
		name:       "better-auth ligature and roman numeral",
		password:   "ﬁnance-Ⅻ",
		equivalent: "finance-XII",
		encoded:    "ba58ecb84908dab27f191d777557524e:2adcd399a6f4ea693339b0675a2a0b317d3cdc8494e84e86dfd1e64dbbda5b2f5e4ab499d9ee7aa26561f356130565f0a9ff8a4a5c83ccfc82ac23473d65b377",
		alg:        Scrypt,
	},
	{
		name:     "noble argon2id default parameters",
		password: "correct horse battery staple",
		encoded:  "$argon2id$v=19$m=19456,t=2,p=1$Z2F0ZWhvdXNlLXNhbHQtMQ$WWugU8yGgWS2FDCPdaTGVBn5o/9opubcTgvuzQSB9Zk",
		alg:      Argon2id,
		argon:    argonParams{memory: 19456, time: 2, threads: 1, saltLen: 16, keyLen: 32},
	},
	{
		name:     "noble argon2id other parameters",
		password: "pässwörd-日本語-🔑",
		encoded:  "$argon2id$v=19$m=8192,t=3,p=2$Z2F0ZWhvdXNlLXNhbHQtMDI$3j323DFVO8yqp+F1cLEOq/kF0fHcVJwjXD/McDdqu3s",
		alg:      Argon2id,
		argon:    argonParams{memory: 8192, time: 3, threads: 2, saltLen: 17, keyLen: 32},
	},
}

// goWrittenScrypt was written by New(Scrypt).Hash("go-written: pässwörd 🔑"). Checked once by
// hand against the real package, which accepted it (and rejected the password with "x" appended):
//
//	node -e "import('better-auth/crypto').then(async m=>console.log(await m.verifyPassword({hash: H, password: P})))"
//	→ true
//
// The same was done for a Go-written hash of "ﬁnance-Ⅻ", which Node also accepted for "finance-XII".
const (
	goWrittenScryptPassword = "go-written: pässwörd 🔑"
	goWrittenScrypt         = "4158a7dd7f736cb3ad19c458ee0af6fd:2806638fd8319cc0c82268204406b18c71b801f2e3aa02a6b06dc1642ebe9f736e0cc43dd99da06ecc967d9e543ae22f25f3f2d2f1c618b0fc17e87afcbcb78e"
)

func TestForeignVectors(t *testing.T) {
	t.Parallel()
	for _, v := range foreignVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			if v.alg == Argon2id {
				p, _, _, err := parseArgon2id(v.encoded)
				if err != nil || p != v.argon {
					t.Fatalf("parseArgon2id = %+v, %v; want %+v", p, err, v.argon)
				}
			}
			h := New(v.alg)
			// The same hasher (and its stored parameters) must not ask for a rehash, except for
			// an argon2id hash cheaper than the defaults.
			wantRehash := v.alg == Argon2id && v.argon.weakerThan(defaultArgon)
			type try struct {
				password string
				ok       bool
			}
			tries := []try{{v.password, true}, {v.password + " ", false}}
			if v.equivalent != "" {
				tries = append(tries, try{v.equivalent, true})
			}
			for _, tc := range tries {
				ok, rehash, err := h.Verify(v.encoded, tc.password)
				if err != nil || ok != tc.ok || rehash != (tc.ok && wantRehash) {
					t.Errorf("Verify(%q) = %v, %v, %v; want %v, %v, nil", tc.password, ok, rehash, err, tc.ok, tc.ok && wantRehash)
				}
			}
		})
	}
}

func TestGoWrittenScrypt(t *testing.T) {
	t.Parallel()
	ok, rehash, err := New(Scrypt).Verify(goWrittenScrypt, goWrittenScryptPassword)
	if !ok || rehash || err != nil {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}
