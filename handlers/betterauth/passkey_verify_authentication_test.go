package betterauth_test

import (
	"net/http"
	"sync"
	"testing"

	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/webauthntest"
)

// signedUpWithPasskey is a user with a registered passkey, and the browser that made it.
func signedUpWithPasskey(t *testing.T, h *handlertest.Harness, email string) (*browser, user, *webauthntest.Authenticator, passkeyRow) {
	t.Helper()
	b := newBrowser(t, h)
	u := b.signUp(email, "correct horse", nil).User
	auth := webauthntest.New()
	return b, u, auth, b.registerPasskey(auth, "Laptop")
}

// A passkey signs its owner in: a normal session and cookie, the counter stored, the challenge
// used up.
func TestPasskeyVerifyAuthentication(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, ann, auth, row := signedUpWithPasskey(t, h, "ann@example.com")

	b := newBrowser(t, h)
	o := b.authenticationOptions()
	r := b.post("/passkey/verify-authentication", map[string]any{"response": auth.Assert(ceremony(o.Challenge))})
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var out sessionAndUser
	r.Decode(t, &out)
	if out.User.ID != ann.ID || out.User.Email != "ann@example.com" || out.Session.UserID != ann.ID || !id32.MatchString(out.Session.Token) {
		t.Fatalf("answer %s", r.Body)
	}
	wantSessionCookie(t, b, out.Session.Token, 604800)
	if s := b.session(); s == nil || s.User.ID != ann.ID || s.Session.ID != out.Session.ID {
		t.Fatalf("get-session after passkey sign-in: %+v", s)
	}
	if got := dbString(t, h, `SELECT counter::text FROM betterauth.passkey WHERE id = $1`, row.ID); got != "1" {
		t.Fatalf("counter %s, want 1", got)
	}
	if _, _, ok := challengeRow(t, h, b); ok {
		t.Fatal("the challenge was not used up")
	}

	// Again, signed in, through the allowCredentials path: the counter moves on.
	if r := b.passkeySignIn(auth); r.Status != http.StatusOK {
		t.Fatalf("second sign-in: %d %s", r.Status, r.Body)
	}
	if got := dbString(t, h, `SELECT counter::text FROM betterauth.passkey WHERE id = $1`, row.ID); got != "2" {
		t.Fatalf("counter %s, want 2", got)
	}

	// An authenticator that keeps no counter (always 0) signs in every time.
	c := newBrowser(t, h)
	c.signUp("cy@example.com", "correct horse", nil)
	still := webauthntest.New()
	still.NoCounter = true
	c.registerPasskey(still, "")
	for i := range 2 {
		if r := newBrowser(t, h).passkeySignIn(still); r.Status != http.StatusOK {
			t.Fatalf("counter-less sign-in %d: %d %s", i, r.Status, r.Body)
		}
	}
}

// Refusals sign nobody in and change nothing but using the challenge up.
func TestPasskeyVerifyAuthenticationRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, _, auth, row := signedUpWithPasskey(t, h, "ann@example.com")

	type attempt struct {
		response func(challenge string) map[string]any
		status   int
		code     string
	}
	with := func(f func(*webauthntest.Ceremony)) func(string) map[string]any {
		return func(c string) map[string]any {
			cer := ceremony(c)
			f(&cer)
			return auth.Clone().Assert(cer) // a copy: the real counter stays put
		}
	}
	stranger := webauthntest.New()
	impostor := webauthntest.New()
	impostor.CredentialID = auth.CredentialID // the passkey's id, another key
	cases := map[string]attempt{
		"wrong origin":       {with(func(c *webauthntest.Ceremony) { c.Origin = "https://evil.example" }), 400, "AUTHENTICATION_FAILED"},
		"another scheme":     {with(func(c *webauthntest.Ceremony) { c.Origin = "https://gatehouse.test" }), 400, "AUTHENTICATION_FAILED"},
		"wrong challenge":    {with(func(c *webauthntest.Ceremony) { c.Challenge = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), 400, "AUTHENTICATION_FAILED"},
		"wrong RP id":        {with(func(c *webauthntest.Ceremony) { c.RPID = "evil.example" }), 400, "AUTHENTICATION_FAILED"},
		"create ceremony":    {with(func(c *webauthntest.Ceremony) { c.Type = "webauthn.create" }), 400, "AUTHENTICATION_FAILED"},
		"no user presence":   {with(func(c *webauthntest.Ceremony) { c.NoUserPresence = true }), 400, "AUTHENTICATION_FAILED"},
		"unknown credential": {func(c string) map[string]any { return stranger.Assert(ceremony(c)) }, 401, "PASSKEY_NOT_FOUND"},
		"no id":              {func(string) map[string]any { return map[string]any{"type": "public-key"} }, 401, "PASSKEY_NOT_FOUND"},
		"wrong key":          {func(c string) map[string]any { return impostor.Assert(ceremony(c)) }, 401, "AUTHENTICATION_FAILED"},
		"tampered signature": {func(c string) map[string]any {
			resp := auth.Clone().Assert(ceremony(c))
			resp["response"].(map[string]any)["signature"] = "MEUCIQ" + canary
			return resp
		}, 401, "AUTHENTICATION_FAILED"},
		"malformed": {func(string) map[string]any {
			return map[string]any{"id": auth.ID(), "rawId": auth.ID(), "type": "public-key", "response": map[string]any{"clientDataJSON": "e30"}}
		}, 400, "AUTHENTICATION_FAILED"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t, h)
			o := b.authenticationOptions()
			before := dbState(t, h)
			r := b.post("/passkey/verify-authentication", map[string]any{"response": c.response(o.Challenge)})
			wantError(t, r, c.status, c.code)
			wantNoCookies(t, r)
			if h.Count(`SELECT count(*) FROM betterauth.session`) != before["session"] || passkeyCount(h) != before["passkey"] {
				t.Fatal("a session was created or a passkey touched")
			}
			if got := dbString(t, h, `SELECT counter::text FROM betterauth.passkey WHERE id = $1`, row.ID); got != "0" {
				t.Fatalf("counter %s", got)
			}
			if _, _, ok := challengeRow(t, h, b); ok {
				t.Fatal("the challenge survived the attempt")
			}
		})
	}
}

// A challenge serves one sign-in, of its own ceremony.
func TestPasskeyVerifyAuthenticationChallenge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, _, auth, _ := signedUpWithPasskey(t, h, "ann@example.com")

	b := newBrowser(t, h)
	before := dbState(t, h)
	wantError(t, b.post("/passkey/verify-authentication", map[string]any{"response": auth.Clone().Assert(ceremony("x"))}),
		http.StatusBadRequest, "CHALLENGE_NOT_FOUND")
	wantUnchanged(t, h, before)

	// Replay of a successful sign-in, cookie and all.
	o := b.authenticationOptions()
	body := map[string]any{"response": auth.Assert(ceremony(o.Challenge))}
	if r := b.post("/passkey/verify-authentication", body); r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	replay := newBrowser(t, h)
	replay.cookies[passkeyCookie] = b.cookies[passkeyCookie]
	sessions := h.Count(`SELECT count(*) FROM betterauth.session`)
	wantError(t, replay.post("/passkey/verify-authentication", body), http.StatusBadRequest, "CHALLENGE_NOT_FOUND")
	// The same assertion against a new challenge fails its challenge check.
	replay.authenticationOptions()
	wantError(t, replay.post("/passkey/verify-authentication", body), http.StatusBadRequest, "AUTHENTICATION_FAILED")
	if n := h.Count(`SELECT count(*) FROM betterauth.session`); n != sessions {
		t.Fatalf("%d sessions after replays, want %d", n, sessions)
	}

	// A registration challenge is not an authentication one.
	ro := a.registrationOptions("")
	wantError(t, a.post("/passkey/verify-authentication", map[string]any{"response": auth.Clone().Assert(ceremony(ro.Challenge))}),
		http.StatusBadRequest, "CHALLENGE_NOT_FOUND")

	// An expired challenge.
	c := newBrowser(t, h)
	o = c.authenticationOptions()
	h.Exec(`UPDATE betterauth.verification SET "expiresAt" = now() - interval '1 second' WHERE identifier LIKE 'passkey-challenge:%'`)
	wantError(t, c.post("/passkey/verify-authentication", map[string]any{"response": auth.Clone().Assert(ceremony(o.Challenge))}),
		http.StatusBadRequest, "CHALLENGE_NOT_FOUND")
}

// A cloned authenticator, whose counter lags behind the stored one, is refused; so is the
// slower of two sign-ins with the same counter value.
func TestPasskeyVerifyAuthenticationRefusesClones(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, _, auth, row := signedUpWithPasskey(t, h, "ann@example.com")
	clone := auth.Clone()
	if r := newBrowser(t, h).passkeySignIn(auth); r.Status != http.StatusOK { // counter 1
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	before := dbState(t, h)
	wantError(t, newBrowser(t, h).passkeySignIn(clone), http.StatusBadRequest, "AUTHENTICATION_FAILED") // also 1
	if h.Count(`SELECT count(*) FROM betterauth.session`) != before["session"] {
		t.Fatal("the clone signed in")
	}
	auth.Counter = 0 // going backwards
	wantError(t, newBrowser(t, h).passkeySignIn(auth), http.StatusBadRequest, "AUTHENTICATION_FAILED")
	auth.Counter = 41
	if r := newBrowser(t, h).passkeySignIn(auth); r.Status != http.StatusOK { // jumps are fine
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if got := dbString(t, h, `SELECT counter::text FROM betterauth.passkey WHERE id = $1`, row.ID); got != "42" {
		t.Fatalf("counter %s, want 42", got)
	}

	// Two browsers present assertions with the same next counter at once: one signs in.
	const n = 6
	bs := make([]*browser, n)
	bodies := make([]map[string]any, n)
	for i := range n {
		bs[i] = newBrowser(t, h)
		o := bs[i].authenticationOptions()
		c := auth.Clone()
		bodies[i] = map[string]any{"response": c.Assert(ceremony(o.Challenge))} // all with 43
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = bs[i].post("/passkey/verify-authentication", bodies[i]).Status })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		} else if s != http.StatusBadRequest {
			t.Fatalf("status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d same-counter sign-ins succeeded, want 1 (%v)", ok, n, statuses)
	}
}

// One challenge presented by several requests at once signs in once.
func TestPasskeyChallengeRedeemedOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, _, auth, _ := signedUpWithPasskey(t, h, "ann@example.com")
	b := newBrowser(t, h)
	o := b.authenticationOptions()
	body := map[string]any{"response": auth.Assert(ceremony(o.Challenge))}
	const n = 6
	bs := make([]*browser, n)
	for i := range n {
		bs[i] = newBrowser(t, h)
		bs[i].cookies[passkeyCookie] = b.cookies[passkeyCookie]
	}
	sessions := h.Count(`SELECT count(*) FROM betterauth.session`)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = bs[i].post("/passkey/verify-authentication", body).Status })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		} else if s != http.StatusBadRequest {
			t.Fatalf("status %d", s)
		}
	}
	if ok != 1 || h.Count(`SELECT count(*) FROM betterauth.session`) != sessions+1 {
		t.Fatalf("%d of %d redemptions of one challenge succeeded (%v), want 1", ok, n, statuses)
	}
}

// A banned user's passkey signs nobody in: the ban's 403, no session, the counter unchanged.
func TestPasskeyVerifyAuthenticationBanned(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, ann, auth, row := signedUpWithPasskey(t, h, "ann@example.com")
	h.Exec(`UPDATE betterauth."user" SET "banned" = true WHERE "id" = $1`, ann.ID)
	before := h.Count(`SELECT count(*) FROM betterauth."session" WHERE "userId" = $1`, ann.ID)
	wantBanned(t, newBrowser(t, h).passkeySignIn(auth))
	if n := h.Count(`SELECT count(*) FROM betterauth."session" WHERE "userId" = $1`, ann.ID); n != before {
		t.Fatalf("%d sessions, want %d", n, before)
	}
	if got := dbString(t, h, `SELECT counter::text FROM betterauth.passkey WHERE id = $1`, row.ID); got != "0" {
		t.Fatalf("counter %s, want 0", got)
	}
}
