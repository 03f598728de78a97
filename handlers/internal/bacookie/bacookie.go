// Package bacookie reads and writes the cookies of Better Auth exactly as its Node server does:
// names under the "better-auth." prefix (with "__Secure-" and the Secure attribute when the
// base URL is https), values signed with HMAC-SHA256 under the Better Auth secret as
// encodeURIComponent(value + "." + base64(mac)), so that cookies issued by a Node deployment
// with the same secret stay valid here and the other way round.
package bacookie

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Names of the cookies, without prefix.
const (
	SessionToken = "session_token"
	SessionData  = "session_data"
	DontRemember = "dont_remember"
)

// Jar knows the cookie names, attributes and the signing secret of one deployment.
type Jar struct {
	secret        []byte
	secure        bool
	sessionMaxAge time.Duration
}

// New returns a jar signing with secret; secure is true when the base URL is https.
// sessionMaxAge is the life of a remembered session cookie.
func New(secret string, secure bool, sessionMaxAge time.Duration) *Jar {
	return &Jar{secret: []byte(secret), secure: secure, sessionMaxAge: sessionMaxAge}
}

// Name is the full name of the cookie base, e.g. "__Secure-better-auth.session_token".
func (j *Jar) Name(base string) string {
	if j.secure {
		return "__Secure-better-auth." + base
	}
	return "better-auth." + base
}

// Sign returns value signed and encoded for a cookie.
func (j *Jar) Sign(value string) string {
	return encodeURIComponent(value + "." + j.mac(value))
}

// encodeURIComponent escapes s as JavaScript's function of that name does.
func encodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func (j *Jar) mac(value string) string {
	m := hmac.New(sha256.New, j.secret)
	m.Write([]byte(value))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify returns the value of a signed cookie value when its signature is right. As Better
// Auth does, the value is split at the last "." and the signature must be 44 characters of
// padded base64.
func (j *Jar) Verify(raw string) (string, bool) {
	if strings.Contains(raw, "%") {
		dec, err := url.PathUnescape(raw)
		if err != nil {
			return "", false
		}
		raw = dec
	}
	dot := strings.LastIndexByte(raw, '.')
	if dot < 1 {
		return "", false
	}
	value, sig := raw[:dot], raw[dot+1:]
	if len(sig) != 44 || !strings.HasSuffix(sig, "=") {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(j.mac(value))) {
		return "", false
	}
	return value, true
}

// Read returns the verified value of the signed cookie base sent with r.
func (j *Jar) Read(r *http.Request, base string) (string, bool) {
	c, err := r.Cookie(j.Name(base))
	if err != nil {
		return "", false
	}
	return j.Verify(c.Value)
}

// Present reports whether r carries the cookie base at all, signed or not.
func (j *Jar) Present(r *http.Request, base string) bool {
	_, err := r.Cookie(j.Name(base))
	return err == nil
}

// cookie is a cookie with the attributes Better Auth gives all of its cookies.
func (j *Jar) cookie(base, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: j.Name(base), Value: value, Path: "/", HttpOnly: true,
		Secure: j.secure, SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}

// Signed is the cookie base holding value signed; a zero maxAge makes a browser-session cookie.
func (j *Jar) Signed(base, value string, maxAge time.Duration) *http.Cookie {
	return j.cookie(base, j.Sign(value), maxAge)
}

// Session returns the cookies that carry a session token: the token cookie (without Max-Age when
// the user asked not to be remembered) and the dont_remember marker, which is set, or expired
// when hadDontRemember says the browser still holds one.
func (j *Jar) Session(token string, dontRemember, hadDontRemember bool) []*http.Cookie {
	if dontRemember {
		return []*http.Cookie{j.Signed(SessionToken, token, 0), j.Signed(DontRemember, "true", 0)}
	}
	out := []*http.Cookie{j.Signed(SessionToken, token, j.sessionMaxAge)}
	if hadDontRemember {
		out = append(out, j.Expired(DontRemember))
	}
	return out
}

// Expired is the cookie that removes base from a browser.
func (j *Jar) Expired(base string) *http.Cookie {
	c := j.cookie(base, "", 0)
	c.MaxAge = -1 // written as Max-Age=0
	return c
}

// ExpireSession returns the cookies that sign a browser out, as Better Auth sends them.
func (j *Jar) ExpireSession() []*http.Cookie {
	return []*http.Cookie{j.Expired(SessionToken), j.Expired(SessionData), j.Expired(DontRemember)}
}
