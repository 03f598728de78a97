// Package webauthntest is a software WebAuthn authenticator for tests: it answers creation and
// request options as a browser with a platform authenticator would, with an ES256 key, "none"
// attestation, real authenticator data (flags, signature counter, attested credential data) and
// real assertion signatures, in the JSON shapes of simplewebauthn's browser library
// (RegistrationResponseJSON, AuthenticationResponseJSON), which Better Auth's client posts.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
)

// Authenticator flags (WebAuthn §6.1).
const (
	FlagUserPresent    byte = 0x01
	FlagUserVerified   byte = 0x04
	FlagBackupEligible byte = 0x08
	FlagBackedUp       byte = 0x10
	FlagAttestedData   byte = 0x40
)

// Authenticator holds one credential.
type Authenticator struct {
	Key          *ecdsa.PrivateKey
	CredentialID []byte
	// UserHandle is the user.id of the creation options, returned with assertions.
	UserHandle []byte
	// AAGUID is the authenticator model; zero, as "none" attestation reports it.
	AAGUID [16]byte
	// Counter is the signature counter: Assert moves it forward by one unless NoCounter.
	Counter   uint32
	NoCounter bool
	// BackupEligible and BackedUp set the BE and BS flags.
	BackupEligible, BackedUp bool
	// Transports are reported at registration; nil leaves the key out.
	Transports []string
}

// New returns an authenticator with a fresh P-256 key and a 16-byte credential id.
func New() *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &Authenticator{Key: key, CredentialID: id, Transports: []string{"internal", "hybrid"}}
}

// Clone is a copy of a with the same key, credential and counter: a cloned authenticator.
func (a *Authenticator) Clone() *Authenticator {
	c := *a
	c.Transports = append([]string(nil), a.Transports...)
	return &c
}

// ID is the credential id as WebAuthn JSON carries it (base64url, no padding).
func (a *Authenticator) ID() string { return b64(a.CredentialID) }

// Ceremony is what the browser puts in the client data and the authenticator signs for.
type Ceremony struct {
	RPID      string
	Origin    string
	Challenge string
	// Type overrides the client data type ("webauthn.create" / "webauthn.get").
	Type string
	// NoUserPresence clears the UP flag.
	NoUserPresence bool
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (c Ceremony) clientData(typ string) []byte {
	if c.Type != "" {
		typ = c.Type
	}
	out, _ := json.Marshal(map[string]any{"type": typ, "challenge": c.Challenge, "origin": c.Origin, "crossOrigin": false})
	return out
}

func (a *Authenticator) flags(c Ceremony) byte {
	var f byte
	if !c.NoUserPresence {
		f |= FlagUserPresent | FlagUserVerified
	}
	if a.BackupEligible {
		f |= FlagBackupEligible
	}
	if a.BackedUp {
		f |= FlagBackedUp
	}
	return f
}

// authData is rpIdHash | flags | signCount, followed by attested (when given).
func authData(rpID string, flags byte, counter uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, attested...)
}

// COSEKey is the credential public key as a COSE_Key (EC2, P-256, ES256) in CBOR.
func (a *Authenticator) COSEKey() []byte {
	pub := a.Key.PublicKey
	x, y := make([]byte, 32), make([]byte, 32)
	pub.X.FillBytes(x)
	pub.Y.FillBytes(y)
	out := []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20}
	out = append(out, x...)
	out = append(out, 0x22, 0x58, 0x20)
	return append(out, y...)
}

// cbor helpers for the attestation object: text strings, byte strings and small maps.
func cborHead(major byte, n int) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 256:
		return []byte{major<<5 | 24, byte(n)}
	default:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	}
}

func cborText(s string) []byte { return append(cborHead(3, len(s)), s...) }

func cborBytes(b []byte) []byte { return append(cborHead(2, len(b)), b...) }

// Register answers creation options for c with a new credential: the RegistrationResponseJSON
// object. The handle is the options' user.id (base64url), kept for assertions.
func (a *Authenticator) Register(c Ceremony, userHandle string) map[string]any {
	if h, err := base64.RawURLEncoding.DecodeString(userHandle); err == nil {
		a.UserHandle = h
	}
	attested := append([]byte{}, a.AAGUID[:]...)
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.CredentialID)))
	attested = append(attested, a.CredentialID...)
	attested = append(attested, a.COSEKey()...)
	data := authData(c.RPID, a.flags(c)|FlagAttestedData, a.Counter, attested)
	att := []byte{0xa3}
	att = append(att, cborText("fmt")...)
	att = append(att, cborText("none")...)
	att = append(att, cborText("attStmt")...)
	att = append(att, 0xa0)
	att = append(att, cborText("authData")...)
	att = append(att, cborBytes(data)...)
	spki, _ := x509.MarshalPKIXPublicKey(&a.Key.PublicKey)
	resp := map[string]any{
		"clientDataJSON":     b64(c.clientData("webauthn.create")),
		"attestationObject":  b64(att),
		"authenticatorData":  b64(data),
		"publicKey":          b64(spki),
		"publicKeyAlgorithm": -7,
	}
	if a.Transports != nil {
		resp["transports"] = a.Transports
	}
	// A browser answers the credProps extension Better Auth's options ask for.
	return map[string]any{"id": a.ID(), "rawId": a.ID(), "type": "public-key", "response": resp,
		"clientExtensionResults": map[string]any{"credProps": map[string]any{"rk": true}}, "authenticatorAttachment": "platform"}
}

// Assert answers request options for c: the AuthenticationResponseJSON object, signed with the
// credential's key over authenticatorData | SHA-256(clientDataJSON).
func (a *Authenticator) Assert(c Ceremony) map[string]any {
	if !a.NoCounter {
		a.Counter++
	}
	data := authData(c.RPID, a.flags(c), a.Counter, nil)
	client := c.clientData("webauthn.get")
	sum := sha256.Sum256(client)
	digest := sha256.Sum256(append(append([]byte{}, data...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		panic(err)
	}
	return map[string]any{"id": a.ID(), "rawId": a.ID(), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64(client), "authenticatorData": b64(data),
			"signature": b64(sig), "userHandle": b64(a.UserHandle)},
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform"}
}
