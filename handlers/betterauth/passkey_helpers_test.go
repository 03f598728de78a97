package betterauth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/webauthntest"
)

const (
	passkeyRPID        = "gatehouse.test"
	passkeyCookie      = "better-auth.better-auth-passkey"
	passkeyPrefix      = "passkey-challenge:"
	zeroAAGUID         = "00000000-0000-0000-0000-000000000000"
	registrationPath   = "/passkey/generate-register-options"
	authenticationPath = "/passkey/generate-authenticate-options"
)

var b64url43 = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

type passkeyRow struct {
	ID           string  `json:"id"`
	Name         *string `json:"name"`
	PublicKey    string  `json:"publicKey"`
	UserID       string  `json:"userId"`
	CredentialID string  `json:"credentialID"`
	Counter      int     `json:"counter"`
	DeviceType   string  `json:"deviceType"`
	BackedUp     bool    `json:"backedUp"`
	Transports   *string `json:"transports"`
	CreatedAt    *string `json:"createdAt"`
	Aaguid       *string `json:"aaguid"`
}

type descriptor struct {
	ID         string    `json:"id"`
	Transports *[]string `json:"transports"`
	Type       string    `json:"type"`
}

type registrationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	} `json:"rp"`
	User struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	ExcludeCredentials     []descriptor   `json:"excludeCredentials"`
	AuthenticatorSelection map[string]any `json:"authenticatorSelection"`
}

type authenticationOptions struct {
	RPID             string        `json:"rpId"`
	Challenge        string        `json:"challenge"`
	AllowCredentials *[]descriptor `json:"allowCredentials"`
	Timeout          int           `json:"timeout"`
	UserVerification string        `json:"userVerification"`
}

// ceremony is what a browser on the base URL's origin sends for challenge.
func ceremony(challenge string) webauthntest.Ceremony {
	return webauthntest.Ceremony{RPID: passkeyRPID, Origin: origin, Challenge: challenge}
}

// registrationOptions asks for creation options (query is the raw query string, may be "").
func (b *browser) registrationOptions(query string) registrationOptions {
	b.t.Helper()
	path := registrationPath
	if query != "" {
		path += "?" + query
	}
	r := b.get(path)
	if r.Status != http.StatusOK {
		b.t.Fatalf("generate-register-options: %d %s", r.Status, r.Body)
	}
	var o registrationOptions
	r.Decode(b.t, &o)
	return o
}

// authenticationOptions asks for request options by GET.
func (b *browser) authenticationOptions() authenticationOptions {
	b.t.Helper()
	r := b.get(authenticationPath)
	if r.Status != http.StatusOK {
		b.t.Fatalf("generate-authenticate-options: %d %s", r.Status, r.Body)
	}
	var o authenticationOptions
	r.Decode(b.t, &o)
	return o
}

// registerPasskey runs a whole registration of auth for b's user and returns the stored row.
func (b *browser) registerPasskey(auth *webauthntest.Authenticator, name string) passkeyRow {
	b.t.Helper()
	o := b.registrationOptions("")
	body := map[string]any{"response": auth.Register(ceremony(o.Challenge), o.User.ID)}
	if name != "" {
		body["name"] = name
	}
	r := b.post("/passkey/verify-registration", body)
	if r.Status != http.StatusOK {
		b.t.Fatalf("verify-registration: %d %s", r.Status, r.Body)
	}
	var row passkeyRow
	r.Decode(b.t, &row)
	return row
}

// passkeySignIn runs a whole passkey sign-in of auth in b and returns the verify answer.
func (b *browser) passkeySignIn(auth *webauthntest.Authenticator) *handlertest.Response {
	b.t.Helper()
	o := b.authenticationOptions()
	return b.post("/passkey/verify-authentication", map[string]any{"response": auth.Assert(ceremony(o.Challenge))})
}

// challengeRow is the stored challenge named by b's challenge cookie: its value and expiry, or
// found false when it is gone.
func challengeRow(t *testing.T, h *handlertest.Harness, b *browser) (value map[string]any, expires time.Time, found bool) {
	t.Helper()
	raw, err := url.QueryUnescape(b.cookies[passkeyCookie])
	if err != nil || raw == "" {
		t.Fatalf("no challenge cookie in the browser: %q", b.cookies[passkeyCookie])
	}
	id := raw[:strings.LastIndexByte(raw, '.')]
	sum := sha256.Sum256([]byte(id))
	ident := passkeyPrefix + hex.EncodeToString(sum[:])
	if h.Count(`SELECT count(*) FROM betterauth.verification WHERE identifier = $1`, ident) == 0 {
		return nil, time.Time{}, false
	}
	var v string
	if err := h.Store.Pool().QueryRow(t.Context(), `SELECT value, "expiresAt" FROM betterauth.verification WHERE identifier = $1`, ident).Scan(&v, &expires); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(v), &value); err != nil {
		t.Fatalf("challenge value %q: %v", v, err)
	}
	return value, expires, true
}

// wantChallengeCookie checks the challenge cookie of b's last answer: signed, 32-character id,
// Max-Age 300, Better Auth's attributes.
func wantChallengeCookie(t *testing.T, b *browser) {
	t.Helper()
	c := b.last[passkeyCookie]
	if c == nil || c.MaxAge != 300 || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("challenge cookie %+v", c)
	}
	raw, _ := url.QueryUnescape(c.Value)
	dot := strings.LastIndexByte(raw, '.')
	if dot != 32 || !regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`).MatchString(raw[:dot]) || len(raw)-dot-1 != 44 {
		t.Fatalf("challenge cookie value %q: want a signed 32-character id", c.Value)
	}
}

// wantEmptyBody checks a bodiless answer: status, no body, no content type.
func wantEmptyBody(t *testing.T, r *handlertest.Response, status int) {
	t.Helper()
	if r.Status != status || len(r.Body) != 0 || r.Header.Get("Content-Type") != "" {
		t.Fatalf("got %d %q (content type %q), want an empty %d", r.Status, r.Body, r.Header.Get("Content-Type"), status)
	}
}

// stale makes every session of b's user older than a day.
func stale(h *handlertest.Harness) {
	h.Exec(`UPDATE betterauth.session SET "createdAt" = now() - interval '2 days'`)
}

// passkeyCount is the number of stored passkeys.
func passkeyCount(h *handlertest.Harness) int {
	return h.Count(`SELECT count(*) FROM betterauth.passkey`)
}

// wantRow checks a passkey row against what auth registered for userID.
func wantRow(t *testing.T, row passkeyRow, auth *webauthntest.Authenticator, userID string) {
	t.Helper()
	if !id32.MatchString(row.ID) || row.UserID != userID || row.CredentialID != auth.ID() ||
		row.PublicKey != base64.StdEncoding.EncodeToString(auth.COSEKey()) || row.Aaguid == nil || *row.Aaguid != zeroAAGUID ||
		row.CreatedAt == nil || !jsDate.MatchString(*row.CreatedAt) {
		t.Fatalf("passkey row %+v for credential %s of %s", row, auth.ID(), userID)
	}
}
