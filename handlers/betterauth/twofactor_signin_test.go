package betterauth_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gatehouse/handlers"
)

// A password sign-in of a user with two-factor authentication on starts no session: it
// answers the redirect, expires the session cookies and sets the challenge cookie.
func TestTwoFactorSignInRedirect(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-signin@example.com", "tf_signin")
	sessions := h.Count(`SELECT count(*) FROM betterauth."session"`)

	for _, tc := range []struct {
		name, path string
		body       map[string]any
	}{
		{"email", "/sign-in/email", map[string]any{"email": a.email, "password": tfPassword}},
		{"username", "/sign-in/username", map[string]any{"username": "TF_signin", "password": tfPassword}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, h)
			r := b.post(tc.path, tc.body)
			wantJSON(t, r, `{"twoFactorRedirect":true,"twoFactorMethods":["totp","otp"]}`)
			if got := setCookieNames(r); !slices.Equal(got, []string{"better-auth.session_token", "better-auth.session_data", "better-auth.two_factor"}) {
				t.Fatalf("Set-Cookie %v", got)
			}
			if c := b.last["better-auth.session_token"]; c.MaxAge >= 0 || c.Value != "" {
				t.Fatalf("session cookie not expired: %+v", c)
			}
			c := b.last["better-auth.two_factor"]
			raw, _ := url.QueryUnescape(c.Value)
			challenge, _, _ := strings.Cut(raw, ".")
			if c.MaxAge != 600 || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || !challengeRE.MatchString(challenge) {
				t.Fatalf("two_factor cookie %+v", c)
			}
			if n := h.Count(`SELECT count(*) FROM betterauth."session"`); n != sessions {
				t.Fatalf("%d sessions, want %d: the sign-in's session was kept", n, sessions)
			}
			if dbString(t, h, `SELECT "value" FROM betterauth."verification" WHERE "identifier" = $1`, challenge) != a.userID ||
				dbString(t, h, `SELECT "value" FROM betterauth."verification" WHERE "identifier" = $1`, "2fa-attempts-"+challenge) != "0" ||
				h.Count(`SELECT count(*) FROM betterauth."verification" WHERE "identifier" = $1 AND "expiresAt" BETWEEN now() + interval '595 seconds' AND now() + interval '601 seconds'`, challenge) != 1 {
				t.Fatal("challenge rows")
			}
			if b.session() != nil {
				t.Fatal("signed in without a second factor")
			}
		})
	}
	// Wrong passwords are refused as before, without a challenge.
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": a.email, "password": "wrong password"}), 401, "INVALID_EMAIL_OR_PASSWORD")
}

// A right TOTP code with the challenge cookie signs in; the challenge works once.
func TestTwoFactorSignInWithTOTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-totp@example.com", "tf_totp")
	b := a.challenge(t)
	stolen := b.cookies["better-auth.two_factor"]
	awayFromStepEnd()
	r := b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)})
	var v tfResult
	r.Decode(t, &v)
	if r.Status != http.StatusOK || v.Token == nil || *v.Token != b.token() || !v.User.TwoFactorEnabled || v.User.ID != a.userID {
		t.Fatalf("verify-totp: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, b, *v.Token, 604800)
	if c := b.last["better-auth.two_factor"]; c == nil || c.MaxAge >= 0 {
		t.Fatalf("two_factor not expired: %+v", c)
	}
	if b.last["better-auth.trust_device"] != nil {
		t.Fatal("trust_device set without trustDevice")
	}
	if s := b.session(); s == nil || s.User.ID != a.userID {
		t.Fatal("not signed in")
	}
	if h.Count(`SELECT count(*) FROM betterauth."verification" WHERE "identifier" LIKE '2fa-%'`) != 0 {
		t.Fatal("the challenge is still stored")
	}
	// The challenge is used up.
	again := newBrowser(t, h)
	again.cookies["better-auth.two_factor"] = stolen
	a.forgetTOTPSteps(t)
	wantError(t, again.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")
}

// rememberMe false survives the challenge: the session started by the code is not remembered.
func TestTwoFactorSignInDontRemember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-dr@example.com", "tf_dr")
	b := newBrowser(t, h)
	r := b.post("/sign-in/email", map[string]any{"email": a.email, "password": tfPassword, "rememberMe": false})
	if got := setCookieNames(r); !slices.Equal(got, []string{"better-auth.dont_remember", "better-auth.session_token", "better-auth.session_data", "better-auth.two_factor"}) {
		t.Fatalf("Set-Cookie %v", got)
	}
	awayFromStepEnd()
	r = b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)})
	var v tfResult
	r.Decode(t, &v)
	if r.Status != http.StatusOK {
		t.Fatalf("verify-totp: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, b, *v.Token, 0)
	if b.cookies["better-auth.dont_remember"] == "" {
		t.Fatal("dont_remember lost")
	}
	if h.Count(`SELECT count(*) FROM betterauth."session" WHERE "userId" = $1 AND "expiresAt" < now() + interval '25 hours'`, a.userID) != 1 {
		t.Fatal("the session is remembered")
	}
}

// trustDevice: the browser skips the second factor for 30 days, with its trust cookie replaced
// at each sign-in; disabling two-factor authentication forgets it.
func TestTwoFactorTrustDevice(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-trust@example.com", "tf_trust")
	b := a.challenge(t)
	awayFromStepEnd()
	r := b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0), "trustDevice": true})
	if r.Status != http.StatusOK {
		t.Fatalf("verify-totp: %d %s", r.Status, r.Body)
	}
	trust := b.last["better-auth.trust_device"]
	if trust == nil || trust.MaxAge != 2592000 || !trust.HttpOnly || trust.Path != "/" {
		t.Fatalf("trust_device cookie %+v", trust)
	}
	if c := b.last["better-auth.dont_remember"]; c == nil || c.MaxAge >= 0 {
		t.Fatalf("dont_remember not expired: %+v", c)
	}
	if h.Count(`SELECT count(*) FROM betterauth."verification" WHERE "identifier" LIKE 'trust-device-%' AND "value" = $1
		AND "expiresAt" > now() + interval '29 days'`, a.userID) != 1 {
		t.Fatal("no trust row")
	}

	// The next sign-in in that browser needs no second factor, and rotates the trust cookie.
	r = b.post("/sign-in/email", map[string]any{"email": a.email, "password": tfPassword})
	var si authResult
	r.Decode(t, &si)
	if r.Status != http.StatusOK || si.Token == nil {
		t.Fatalf("trusted sign-in: %d %s", r.Status, r.Body)
	}
	next := b.last["better-auth.trust_device"]
	if next == nil || next.Value == trust.Value || next.MaxAge != 2592000 {
		t.Fatalf("trust cookie not rotated: %+v", next)
	}
	if h.Count(`SELECT count(*) FROM betterauth."verification" WHERE "identifier" LIKE 'trust-device-%'`) != 1 {
		t.Fatal("the old trust row was kept")
	}
	// The old cookie (in another browser) no longer works: the challenge comes back and the
	// stale trust cookie is expired.
	c := newBrowser(t, h)
	c.cookies["better-auth.trust_device"] = trust.Value
	r = c.post("/sign-in/email", map[string]any{"email": a.email, "password": tfPassword})
	wantJSON(t, r, `{"twoFactorRedirect":true,"twoFactorMethods":["totp","otp"]}`)
	if got := c.last["better-auth.trust_device"]; got == nil || got.MaxAge >= 0 {
		t.Fatalf("stale trust cookie not expired: %+v", got)
	}
	// Another user's browser cannot use it either.
	other := newTFAccount(t, h, "tf-trust2@example.com", "tf_trust2")
	d := newBrowser(t, h)
	d.cookies["better-auth.trust_device"] = next.Value
	wantJSON(t, d.post("/sign-in/email", map[string]any{"email": other.email, "password": tfPassword}),
		`{"twoFactorRedirect":true,"twoFactorMethods":["totp","otp"]}`)

	// Disabling forgets the trusted browser, and the user's other trusted devices with it.
	h.Exec(`INSERT INTO betterauth."verification" (id, identifier, value, "expiresAt", "createdAt", "updatedAt")
		VALUES ('other-device-row', 'trust-device-otherdevice', $1, now() + interval '1 day', now(), now())`, a.userID)
	r = b.post("/two-factor/disable", map[string]any{"password": tfPassword})
	wantJSON(t, r, `{"status":true}`)
	if got := b.last["better-auth.trust_device"]; got == nil || got.MaxAge >= 0 {
		t.Fatalf("trust cookie not expired on disable: %+v", got)
	}
	if h.Count(`SELECT count(*) FROM betterauth."verification" WHERE "identifier" LIKE 'trust-device-%' AND "value" = $1`, a.userID) != 0 {
		t.Fatal("trust row kept after disable")
	}
}

// Five wrong codes end a challenge; ten in a row lock the account for 15 minutes.
func TestTwoFactorAttemptsAndLockout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-lock@example.com", "tf_lock")
	wrong := func(b *browser) {
		t.Helper()
		wantError(t, b.post("/two-factor/verify-totp", map[string]any{"code": "999999x"}), 401, "INVALID_CODE")
	}
	b := a.challenge(t)
	for range 4 {
		wrong(b)
	}
	wantError(t, b.post("/two-factor/verify-backup-code", map[string]any{"code": "zzzzz-zzzzz"}), 401, "INVALID_BACKUP_CODE")
	if dbString(t, h, `SELECT "value" FROM betterauth."verification" WHERE "identifier" LIKE '2fa-attempts-%'`) != "5" {
		t.Fatal("attempts not counted")
	}
	r := b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)})
	wantError(t, r, 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
	if c := b.last["better-auth.two_factor"]; c == nil || c.MaxAge >= 0 {
		t.Fatalf("two_factor not expired: %+v", c)
	}
	if h.Count(`SELECT count(*) FROM betterauth."verification" WHERE "identifier" LIKE '2fa-%'`) != 0 {
		t.Fatal("the ended challenge is still stored")
	}
	wantError(t, b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)}), 401, "INVALID_TWO_FACTOR_COOKIE")

	// Five more failures on a new challenge make ten in a row: the account locks.
	b = a.challenge(t)
	for range 5 {
		wrong(b)
	}
	if dbString(t, h, `SELECT "failedVerificationCount"::text FROM betterauth."twoFactor"`) != "10" ||
		h.Count(`SELECT count(*) FROM betterauth."twoFactor" WHERE "lockedUntil" BETWEEN now() + interval '14 minutes' AND now() + interval '15 minutes'`) != 1 {
		t.Fatal("not locked after ten failures")
	}
	c := a.challenge(t)
	awayFromStepEnd()
	for _, p := range []struct{ path, code string }{
		{"/two-factor/verify-totp", totpCode(t, a.uri, 0)},
		{"/two-factor/verify-backup-code", a.codes[0]},
		{"/two-factor/verify-otp", "123456"},
	} {
		r = c.post(p.path, map[string]any{"code": p.code})
		wantError(t, r, 429, "ACCOUNT_TEMPORARILY_LOCKED")
		if r.Header.Get("X-Retry-After") != "" {
			t.Fatal("lockout answered as the rate limit")
		}
	}
	// With a session (setting up, or checking) the lock does not apply.
	if r := a.b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)}); r.Status != http.StatusOK {
		t.Fatalf("session verify while locked: %d %s", r.Status, r.Body)
	}
	// Once the lock has expired, a right code passes and clears the count.
	h.Exec(`UPDATE betterauth."twoFactor" SET "lockedUntil" = now() - interval '1 second'`)
	r = c.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 1)})
	if r.Status != http.StatusOK {
		t.Fatalf("after the lock: %d %s", r.Status, r.Body)
	}
	if h.Count(`SELECT count(*) FROM betterauth."twoFactor" WHERE "failedVerificationCount" = 0 AND "lockedUntil" IS NULL`) != 1 {
		t.Fatal("failures not cleared")
	}
}

// The two-factor paths are limited like sign-in (3 per 10 s per client and path); the limit's
// 429 has no code, unlike the lockout's.
func TestTwoFactorRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) { c.BetterAuth.RateLimitOff = false })
	b := newBrowser(t, h)
	for i := range 4 {
		r := b.post("/two-factor/verify-totp", map[string]any{"code": "123456"})
		if i < 3 {
			wantError(t, r, 401, "INVALID_TWO_FACTOR_COOKIE")
			continue
		}
		if r.Status != 429 || r.Header.Get("X-Retry-After") == "" ||
			strings.TrimSpace(string(r.Body)) != `{"message":"Too many requests. Please try again later."}` {
			t.Fatalf("4th request: %d %v %s", r.Status, r.Header, r.Body)
		}
	}
}

// A user banned while a sign-in challenge is open cannot finish it: the right code gets the
// ban's 403 and no session.
func TestTwoFactorSignInBanned(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-banned@example.com", "tf_banned")
	b := a.challenge(t)
	h.Exec(`UPDATE betterauth."user" SET "banned" = true WHERE "id" = $1`, a.userID)
	awayFromStepEnd()
	wantBanned(t, b.post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 0)}))
	wantBanned(t, b.post("/two-factor/verify-backup-code", map[string]any{"code": a.codes[0]}))
	if n := h.Count(`SELECT count(*) FROM betterauth."session" WHERE "userId" = $1`, a.userID); n != 1 { // a.b's only
		t.Fatalf("%d sessions, want 1", n)
	}
}
