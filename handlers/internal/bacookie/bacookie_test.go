package bacookie

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A cookie value produced by Node Better Auth 1.7.25 (better-call's serializeSignedCookie) for the
// token "Ab3dEfGhIjKlMnOpQrStUvWxYz012345" under the secret below.
const (
	nodeSecret = "a-secret-of-at-least-thirty-two-characters"
	nodeToken  = "Ab3dEfGhIjKlMnOpQrStUvWxYz012345"
	nodeSigned = "Ab3dEfGhIjKlMnOpQrStUvWxYz012345.GY5umvH2awtQF4LY%2FxbNsFnYC3EvRvY9lucB9xNQPw0%3D"
)

func TestSignMatchesBetterAuth(t *testing.T) {
	j := New(nodeSecret, false, 7*24*time.Hour)
	got := j.Sign(nodeToken)
	if got != nodeSigned {
		t.Fatalf("Sign = %q, want Node's %q", got, nodeSigned)
	}
	v, ok := j.Verify(nodeSigned)
	if !ok || v != nodeToken {
		t.Fatalf("Verify(Node's cookie) = %q, %v", v, ok)
	}
}

func TestVerifyRejects(t *testing.T) {
	j := New(nodeSecret, false, time.Hour)
	other := New("another-secret-of-at-least-thirty-two", false, time.Hour)
	signed := j.Sign("tok.en")
	for name, raw := range map[string]string{
		"other secret":    other.Sign("tok.en"),
		"no dot":          "abcdef",
		"leading dot":     ".abc",
		"short signature": "tok.abc=",
		"unpadded":        strings.TrimSuffix(signed, "%3D") + "A",
		"tampered value":  "tok.em" + signed[len("tok.en"):],
		"bad escape":      "tok.%zz",
		"empty":           "",
	} {
		if v, ok := j.Verify(raw); ok {
			t.Errorf("%s: Verify(%q) accepted %q", name, raw, v)
		}
	}
	if v, ok := j.Verify(signed); !ok || v != "tok.en" {
		t.Errorf("Verify splits at the last dot: got %q, %v", v, ok)
	}
}

func TestNamesAndAttributes(t *testing.T) {
	plain := New(nodeSecret, false, 7*24*time.Hour)
	secure := New(nodeSecret, true, 7*24*time.Hour)
	if n := plain.Name(SessionToken); n != "better-auth.session_token" {
		t.Errorf("plain name %q", n)
	}
	if n := secure.Name(SessionToken); n != "__Secure-better-auth.session_token" {
		t.Errorf("secure name %q", n)
	}
	c := plain.Session("tok", false, false)
	if len(c) != 1 {
		t.Fatalf("remembered session: %d cookies", len(c))
	}
	want := "better-auth.session_token=" + plain.Sign("tok") + "; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax"
	if got := c[0].String(); got != want {
		t.Errorf("cookie\n got %s\nwant %s", got, want)
	}
	if got := secure.Session("tok", false, false)[0].String(); !strings.Contains(got, "; Secure") {
		t.Errorf("secure cookie lacks Secure: %s", got)
	}
	dr := plain.Session("tok", true, false)
	if len(dr) != 2 || strings.Contains(dr[0].String(), "Max-Age") || dr[1].Name != "better-auth.dont_remember" {
		t.Errorf("dont-remember cookies: %v", dr)
	}
	if v, ok := plain.Verify(dr[1].Value); !ok || v != "true" {
		t.Errorf("dont_remember value %q", dr[1].Value)
	}
	back := plain.Session("tok", false, true)
	if len(back) != 2 || !strings.HasPrefix(back[1].String(), "better-auth.dont_remember=; Path=/; Max-Age=0") {
		t.Errorf("remembering again must expire dont_remember: %v", back)
	}
	for _, e := range plain.ExpireSession() {
		if !strings.Contains(e.String(), "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax") {
			t.Errorf("expiry cookie %s", e)
		}
	}
}

func TestRead(t *testing.T) {
	j := New(nodeSecret, false, time.Hour)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "other=1; better-auth.session_token="+nodeSigned)
	if v, ok := j.Read(r, SessionToken); !ok || v != nodeToken {
		t.Fatalf("Read = %q, %v", v, ok)
	}
	if _, ok := j.Read(r, DontRemember); ok || j.Present(r, DontRemember) {
		t.Fatal("absent cookie read as present")
	}
}
