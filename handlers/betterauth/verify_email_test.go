package betterauth_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/handlertest"
)

// baSecret is the Better Auth secret of the harnesses that sign their own tokens and cookies.
const baSecret = "better-auth-secret-for-tests-0123456789"

func withSecret(c *handlers.Config) { c.BetterAuth.Secret = baSecret }

// verificationJWT signs claims as Better Auth signs its email-verification tokens (HS256 under
// the secret), with iat now and exp after ttl.
func verificationJWT(t *testing.T, claims map[string]any, ttl time.Duration) string {
	t.Helper()
	now := time.Now()
	b := jwt.NewBuilder().IssuedAt(now).Expiration(now.Add(ttl))
	for k, v := range claims {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, []byte(baSecret)))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// jwtClaims decodes the payload of a JWT without checking it.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWT", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func verified(t *testing.T, h *handlertest.Harness, email string) bool {
	t.Helper()
	return h.Count(`SELECT count(*) FROM betterauth."user" WHERE email = $1 AND "emailVerified"`, email) == 1
}

func TestVerifyEmailByMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSecret)
	a := newBrowser(t, h)
	id := a.signUp("fay@example.com", "correct horse", nil).User.ID
	r := a.post("/send-verification-email", map[string]any{"email": "fay@example.com", "callbackURL": "/verified"})
	if r.Status != 200 {
		t.Fatalf("send-verification-email: %d %s", r.Status, r.Body)
	}
	wantJSON(t, r, `{"status":true}`)
	data := mailData(t, h, "fay@example.com", "betterauth-verify-email")
	link := data["url"]
	u, _ := url.Parse(link)
	if u.Scheme+"://"+u.Host+u.Path != origin+base+"/verify-email" || u.Query().Get("callbackURL") != "/verified" || u.Query().Get("token") != data["token"] {
		t.Fatalf("verification link %s", link)
	}
	// The token is Better Auth's JWT: {email, userId, iat, exp = iat + 1 h}, HS256 under the secret.
	c := jwtClaims(t, data["token"])
	if c["email"] != "fay@example.com" || c["userId"] != id || c["exp"].(float64)-c["iat"].(float64) != 3600 {
		t.Fatalf("claims %v", c)
	}
	if _, err := jwt.Parse([]byte(data["token"]), jwt.WithKey(jwa.HS256, []byte(baSecret))); err != nil {
		t.Fatalf("the token does not verify under the secret: %v", err)
	}
	if verified(t, h, "fay@example.com") {
		t.Fatal("verified before the link was followed")
	}
	if r := a.do(http.MethodGet, pathOf(t, link), nil); r.Status != 302 || r.Header.Get("Location") != "/verified" {
		t.Fatalf("verify-email: %d %v", r.Status, r.Header)
	}
	if !a.session().User.EmailVerified {
		t.Fatal("address not verified")
	}
	if !verified(t, h, "fay@example.com") {
		t.Fatal("emailVerified not stored")
	}
	// Following the link again (no callbackURL: the JSON answer) finds it verified: user null.
	r = a.do(http.MethodGet, withoutCallback(t, link), nil)
	wantJSON(t, r, `{"status":true,"user":null}`)
}

func TestVerifyEmailAcceptsTokensOfANodeDeployment(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSecret)
	id := newBrowser(t, h).signUp("gab@example.com", "correct horse", nil).User.ID
	// A link mailed by Node Better Auth before the move: same secret, with or without userId.
	tok := verificationJWT(t, map[string]any{"email": "gab@example.com", "userId": id}, time.Hour)
	if r := newBrowser(t, h).get("/verify-email?token=" + tok + "&callbackURL=%2Fok"); r.Status != http.StatusFound || r.Header.Get("Location") != "/ok" {
		t.Fatalf("Node token: %d %v %s", r.Status, r.Header, r.Body)
	}
	if !verified(t, h, "gab@example.com") {
		t.Fatal("not verified")
	}
	newBrowser(t, h).signUp("hap@example.com", "correct horse", nil)
	tok = verificationJWT(t, map[string]any{"email": "hap@example.com"}, time.Hour)
	if r := newBrowser(t, h).get("/verify-email?token=" + tok + "&callbackURL=%2Fok"); r.Status != http.StatusFound || r.Header.Get("Location") != "/ok" {
		t.Fatalf("Node token without userId: %d %v %s", r.Status, r.Header, r.Body)
	}
	if !verified(t, h, "hap@example.com") {
		t.Fatal("not verified")
	}
}

func TestVerifyEmailRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSecret)
	id := newBrowser(t, h).signUp("ivo@example.com", "correct horse", nil).User.ID
	otherID := newBrowser(t, h).signUp("jay@example.com", "correct horse", nil).User.ID
	good := verificationJWT(t, map[string]any{"email": "ivo@example.com", "userId": id}, time.Hour)
	expired := verificationJWT(t, map[string]any{"email": "ivo@example.com", "userId": id}, -time.Minute)
	foreign, _ := jwt.NewBuilder().Claim("email", "ivo@example.com").Expiration(time.Now().Add(time.Hour)).Build()
	foreignSigned, _ := jwt.Sign(foreign, jwt.WithKey(jwa.HS256, []byte("another-secret-another-secret-another")))
	gone := verificationJWT(t, map[string]any{"email": "gone@example.com"}, time.Hour)
	before := dbState(t, h)
	for _, c := range []struct {
		name, token string
		status      int
		code        string
	}{
		{"garbage", "abc", 401, "INVALID_TOKEN"},
		{"tampered", good[:len(good)-3] + "AAA", 401, "INVALID_TOKEN"},
		{"another secret", string(foreignSigned), 401, "INVALID_TOKEN"},
		{"expired", expired, 401, "TOKEN_EXPIRED"},
		{"unknown user", gone, 401, "USER_NOT_FOUND"},
		{"another user's id", verificationJWT(t, map[string]any{"email": "ivo@example.com", "userId": otherID}, time.Hour), 401, "INVALID_TOKEN"},
		{"no email", verificationJWT(t, map[string]any{"userId": id}, time.Hour), 401, "INVALID_TOKEN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newBrowser(t, h).get("/verify-email?token=" + url.QueryEscape(c.token))
			wantError(t, r, c.status, c.code)
			wantNoCookies(t, r)
			// With a callbackURL the same failures redirect there with error=<code>.
			r = newBrowser(t, h).get("/verify-email?token=" + url.QueryEscape(c.token) + "&callbackURL=%2Fdone%3Fx%3D1")
			if r.Status != http.StatusFound || r.Header.Get("Location") != "/done?error="+c.code+"&x=1" {
				t.Fatalf("with callbackURL: %d %q", r.Status, r.Header.Get("Location"))
			}
		})
	}
	wantError(t, newBrowser(t, h).get("/verify-email"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, newBrowser(t, h).get("/verify-email?token="+good+"&callbackURL="+url.QueryEscape("https://evil.example/")),
		http.StatusForbidden, "INVALID_CALLBACK_URL")
	wantUnchanged(t, h, before)
	if verified(t, h, "ivo@example.com") {
		t.Fatal("a refused link verified the address")
	}
}

func TestSendVerificationEmailSignedIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("kit@example.com", "correct horse", nil)
	// The session user's own address, in any case.
	wantJSON(t, a.post("/send-verification-email", map[string]any{"email": "KIT@example.com"}), `{"status":true}`)
	link, _ := url.Parse(mailData(t, h, "kit@example.com", "betterauth-verify-email")["url"])
	if link.Query().Get("callbackURL") != "/" {
		t.Fatalf("default callbackURL in %s, want /", link)
	}
	before := dbState(t, h)
	wantError(t, a.post("/send-verification-email", map[string]any{"email": "other@example.com"}), http.StatusBadRequest, "EMAIL_MISMATCH")
	wantError(t, a.post("/send-verification-email", map[string]any{"email": "kit@example.com", "callbackURL": "https://evil.example/"}),
		http.StatusForbidden, "INVALID_CALLBACK_URL")
	wantError(t, a.post("/send-verification-email", map[string]any{"email": "kit"}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantUnchanged(t, h, before)
	a.do(http.MethodGet, pathOf(t, link.String()), nil)
	wantError(t, a.post("/send-verification-email", map[string]any{"email": "kit@example.com"}), http.StatusBadRequest, "EMAIL_ALREADY_VERIFIED")
	if n := mailCount(h, "kit@example.com", "betterauth-verify-email"); n != 1 {
		t.Fatalf("%d verification mails, want 1", n)
	}
}

func TestSendVerificationEmailSignedOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("lou@example.com", "correct horse", nil)
	done := newBrowser(t, h)
	done.signUp("max@example.com", "correct horse", nil)
	done.post("/send-verification-email", map[string]any{"email": "max@example.com"})
	done.do(http.MethodGet, pathOf(t, mailData(t, h, "max@example.com", "betterauth-verify-email")["url"]), nil)
	mails := len(h.Mail())
	// The same answer, never under half a second, for an unverified, an unknown and a verified address;
	// only the unverified one gets mail.
	for _, email := range []string{"lou@example.com", "nobody@example.com", "max@example.com"} {
		start := time.Now()
		r := newBrowser(t, h).post("/send-verification-email", map[string]any{"email": email, "callbackURL": "/v"})
		if d := time.Since(start); d < 500*time.Millisecond {
			t.Fatalf("%s answered in %s, under the 500 ms floor", email, d)
		}
		wantJSON(t, r, `{"status":true}`)
		wantNoCookies(t, r)
	}
	if all := h.Mail(); len(all) != mails+1 || all[len(all)-1].To != "lou@example.com" || all[len(all)-1].Template != "betterauth-verify-email" {
		t.Fatalf("mail after signed-out requests: %d new", len(all)-mails)
	}
}

// A plain verification answers {"status":true,"user":null} the first time too, and signs
// nobody in (Better Auth's autoSignInAfterVerification is off by default).
func TestVerifyEmailAnswersUserNullAndSignsNobodyIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("fay@example.com", "correct horse", nil)
	a.post("/send-verification-email", map[string]any{"email": "fay@example.com"})
	link := mailData(t, h, "fay@example.com", "betterauth-verify-email")["url"]
	sessions := h.Count(`SELECT count(*) FROM betterauth.session`)
	other := newBrowser(t, h)
	r := other.do(http.MethodGet, withoutCallback(t, link), nil)
	wantJSON(t, r, `{"status":true,"user":null}`)
	wantNoCookies(t, r)
	if !verified(t, h, "fay@example.com") {
		t.Fatal("not verified")
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session`); n != sessions {
		t.Fatalf("%d sessions after verification, want %d", n, sessions)
	}
	if s := other.session(); s != nil {
		t.Fatalf("the link signed its follower in: %+v", s)
	}
}

// Confirming a change of address to one another account took meanwhile is 422
// USER_ALREADY_EXISTS and changes nothing.
func TestVerifyEmailChangeToATakenAddress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	a.post("/change-email", map[string]any{"newEmail": "new@example.com"})
	link := mailData(t, h, "new@example.com", "betterauth-verify-email")["url"]
	newBrowser(t, h).signUp("new@example.com", "correct horse", nil)
	wantError(t, a.do(http.MethodGet, withoutCallback(t, link), nil), http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS")
	if s := a.session(); s == nil || s.User.Email != "ann@example.com" {
		t.Fatalf("session after the refused change: %+v", s)
	}
}
