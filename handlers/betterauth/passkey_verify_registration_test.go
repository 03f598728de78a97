package betterauth_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/webauthntest"
)

func init() {
	bodyOps = append(bodyOps,
		bodyOp{name: "passkeyVerifyRegistration", path: "/passkey/verify-registration", session: true,
			valid: map[string]any{"response": map[string]any{"id": canary}, "name": canary}, missing: "response",
			wrongType: []map[string]any{{"response": canary}, {"response": []string{canary}}, {"response": map[string]any{}, "name": canaryNumber},
				{"response": map[string]any{}, "createSession": canary}}},
		bodyOp{name: "passkeyVerifyAuthentication", path: "/passkey/verify-authentication",
			valid: map[string]any{"response": map[string]any{"id": canary}}, missing: "response",
			wrongType: []map[string]any{{"response": canary}, {"response": canaryNumber}, {"response": nil}}},
		bodyOp{name: "deletePasskey", path: "/passkey/delete-passkey", session: true,
			valid: map[string]any{"id": canary}, missing: "id",
			wrongType: []map[string]any{{"id": canaryNumber}, {"id": []string{canary}}}},
		bodyOp{name: "updatePasskey", path: "/passkey/update-passkey", session: true,
			valid: map[string]any{"id": canary, "name": canary}, missing: "name",
			wrongType: []map[string]any{{"id": canaryNumber, "name": canary}, {"id": canary, "name": canaryNumber}, {"id": canary, "name": ""}}},
	)
}

// A registration stores the passkey as Better Auth does, uses the challenge up, and signs nobody
// new in unless asked.
func TestPasskeyVerifyRegistration(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	ann := a.signUp("ann@example.com", "correct horse", nil).User
	sessions := h.Count(`SELECT count(*) FROM betterauth.session`)

	auth := webauthntest.New()
	o := a.registrationOptions("")
	resp := a.post("/passkey/verify-registration", map[string]any{"response": auth.Register(ceremony(o.Challenge), o.User.ID), "name": "  Laptop  "})
	if resp.Status != http.StatusOK {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	wantNoCookies(t, resp)
	var row passkeyRow
	resp.Decode(t, &row)
	wantRow(t, row, auth, ann.ID)
	if row.Name == nil || *row.Name != "Laptop" || row.Counter != 0 || row.DeviceType != "singleDevice" || row.BackedUp ||
		row.Transports == nil || *row.Transports != "internal,hybrid" {
		t.Fatalf("row %s", resp.Body)
	}
	if body := resp.JSON(t); len(body) != 11 {
		t.Fatalf("%d keys (session or user added?): %s", len(body), resp.Body)
	}
	// The stored row is the one answered.
	if got := dbString(t, h, `SELECT concat_ws('|', "userId", "credentialID", "publicKey", counter, "deviceType", "backedUp", transports, aaguid, name) FROM betterauth.passkey WHERE id = $1`, row.ID); got !=
		ann.ID+"|"+row.CredentialID+"|"+row.PublicKey+"|0|singleDevice|f|internal,hybrid|"+zeroAAGUID+"|Laptop" {
		t.Fatalf("stored %s", got)
	}
	if _, _, ok := challengeRow(t, h, a); ok {
		t.Fatal("the challenge was not used up")
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session`); n != sessions {
		t.Fatalf("%d sessions, want %d", n, sessions)
	}

	// A synced credential without transports and a blank name.
	synced := webauthntest.New()
	synced.BackupEligible, synced.BackedUp, synced.Transports = true, true, nil
	row = a.registerPasskey(synced, "   ")
	if row.Name != nil || row.DeviceType != "multiDevice" || !row.BackedUp || row.Transports == nil || *row.Transports != "" {
		t.Fatalf("synced row %+v", row)
	}
}

// createSession starts a new session: its cookie is set and the answer carries it and the user.
func TestPasskeyVerifyRegistrationCreatesASession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	ann := a.signUp("ann@example.com", "correct horse", nil).User
	old := a.token()
	auth := webauthntest.New()
	o := a.registrationOptions("")
	resp := a.post("/passkey/verify-registration", map[string]any{"response": auth.Register(ceremony(o.Challenge), o.User.ID), "createSession": true})
	if resp.Status != http.StatusOK {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	var out struct {
		passkeyRow
		Session *session `json:"session"`
		User    *user    `json:"user"`
	}
	resp.Decode(t, &out)
	wantRow(t, out.passkeyRow, auth, ann.ID)
	if out.Session == nil || out.User == nil || out.User.ID != ann.ID || out.Session.UserID != ann.ID || out.Session.Token == old {
		t.Fatalf("answer %s", resp.Body)
	}
	wantSessionCookie(t, a, out.Session.Token, 604800)
	if s := a.session(); s == nil || s.Session.ID != out.Session.ID {
		t.Fatalf("the new session is not the browser's: %+v", s)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, ann.ID); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
}

// A challenge serves one attempt, of its own ceremony, for the user it was made for; every
// refusal stores no passkey.
func TestPasskeyVerifyRegistrationChallenge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	auth := webauthntest.New()

	// No challenge cookie at all.
	r := a.post("/passkey/verify-registration", map[string]any{"response": auth.Register(ceremony("x"), "")})
	wantError(t, r, http.StatusBadRequest, "CHALLENGE_NOT_FOUND")

	// Replay: the same answer again.
	o := a.registrationOptions("")
	body := map[string]any{"response": auth.Register(ceremony(o.Challenge), o.User.ID)}
	if r := a.post("/passkey/verify-registration", body); r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	before := dbState(t, h)
	wantError(t, a.post("/passkey/verify-registration", body), http.StatusBadRequest, "CHALLENGE_NOT_FOUND")
	wantUnchanged(t, h, before)

	// An authentication challenge.
	other := webauthntest.New()
	ao := a.authenticationOptions()
	before = dbState(t, h)
	wantError(t, a.post("/passkey/verify-registration", map[string]any{"response": other.Register(ceremony(ao.Challenge), "")}),
		http.StatusBadRequest, "CHALLENGE_NOT_FOUND")
	// (the authentication challenge was used up by the attempt)
	if n := h.Count(`SELECT count(*) FROM betterauth.passkey`); n != before["passkey"] {
		t.Fatal("a passkey was stored")
	}

	// An unsigned or forged cookie.
	a.registrationOptions("")
	a.cookies[passkeyCookie] = "forged.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dQ%3D%3D"
	wantError(t, a.post("/passkey/verify-registration", map[string]any{"response": other.Register(ceremony("x"), "")}),
		http.StatusBadRequest, "CHALLENGE_NOT_FOUND")

	// An expired challenge.
	o = a.registrationOptions("")
	h.Exec(`UPDATE betterauth.verification SET "expiresAt" = now() - interval '1 second' WHERE identifier LIKE 'passkey-challenge:%'`)
	wantError(t, a.post("/passkey/verify-registration", map[string]any{"response": other.Register(ceremony(o.Challenge), o.User.ID)}),
		http.StatusBadRequest, "CHALLENGE_NOT_FOUND")

	// Another user's challenge (its cookie copied): 401, and the challenge is gone.
	b := newBrowser(t, h)
	b.signUp("bob@example.com", "correct horse", nil)
	o = a.registrationOptions("")
	b.cookies[passkeyCookie] = a.cookies[passkeyCookie]
	before = dbState(t, h)
	wantError(t, b.post("/passkey/verify-registration", map[string]any{"response": other.Register(ceremony(o.Challenge), o.User.ID)}),
		http.StatusUnauthorized, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY")
	if passkeyCount(h) != before["passkey"] {
		t.Fatal("a passkey was stored")
	}
	wantError(t, a.post("/passkey/verify-registration", map[string]any{"response": other.Register(ceremony(o.Challenge), o.User.ID)}),
		http.StatusBadRequest, "CHALLENGE_NOT_FOUND")
}

// A response that fails verification is 400 FAILED_TO_VERIFY_REGISTRATION (Better Auth: 500),
// stores nothing, and uses the challenge up.
func TestPasskeyVerifyRegistrationRefusesBadResponses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	registered := webauthntest.New()
	a.registerPasskey(registered, "")

	cases := map[string]func(challenge, handle string) map[string]any{
		"wrong origin": func(c, u string) map[string]any {
			cer := ceremony(c)
			cer.Origin = "https://evil.example"
			return webauthntest.New().Register(cer, u)
		},
		"origin with another port": func(c, u string) map[string]any {
			cer := ceremony(c)
			cer.Origin = origin + ":8443"
			return webauthntest.New().Register(cer, u)
		},
		"wrong challenge": func(_, u string) map[string]any {
			return webauthntest.New().Register(ceremony("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), u)
		},
		"wrong RP id": func(c, u string) map[string]any {
			cer := ceremony(c)
			cer.RPID = "evil.example"
			return webauthntest.New().Register(cer, u)
		},
		"get ceremony": func(c, u string) map[string]any {
			cer := ceremony(c)
			cer.Type = "webauthn.get"
			return webauthntest.New().Register(cer, u)
		},
		"no user presence": func(c, u string) map[string]any {
			cer := ceremony(c)
			cer.NoUserPresence = true
			return webauthntest.New().Register(cer, u)
		},
		"backed up but not eligible": func(c, u string) map[string]any {
			au := webauthntest.New()
			au.BackedUp = true
			return au.Register(ceremony(c), u)
		},
		"id not matching the credential": func(c, u string) map[string]any {
			resp := webauthntest.New().Register(ceremony(c), u)
			resp["id"], resp["rawId"] = registered.ID(), registered.ID()
			return resp
		},
		"already registered": func(c, u string) map[string]any { return registered.Register(ceremony(c), u) },
		"no attestation object": func(c, u string) map[string]any {
			resp := webauthntest.New().Register(ceremony(c), u)
			delete(resp["response"].(map[string]any), "attestationObject")
			return resp
		},
		"garbage": func(string, string) map[string]any { return map[string]any{"id": canary, "type": "public-key"} },
		"empty":   func(string, string) map[string]any { return map[string]any{} },
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			o := a.registrationOptions("")
			before := dbState(t, h)
			r := a.post("/passkey/verify-registration", map[string]any{"response": make(o.Challenge, o.User.ID), "createSession": true})
			wantError(t, r, http.StatusBadRequest, "FAILED_TO_VERIFY_REGISTRATION")
			wantNoCookies(t, r)
			if passkeyCount(h) != before["passkey"] || h.Count(`SELECT count(*) FROM betterauth.session`) != before["session"] {
				t.Fatal("a passkey or a session was stored")
			}
			if _, _, ok := challengeRow(t, h, a); ok {
				t.Fatal("the challenge survived the attempt")
			}
		})
	}
}

// Registering needs a fresh session.
func TestPasskeyVerifyRegistrationNeedsAFreshSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	o := a.registrationOptions("")
	body := map[string]any{"response": webauthntest.New().Register(ceremony(o.Challenge), o.User.ID)}
	anon := newBrowser(t, h)
	anon.cookies[passkeyCookie] = a.cookies[passkeyCookie]
	before := dbState(t, h)
	wantError(t, anon.post("/passkey/verify-registration", body), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
	stale(h)
	before = dbState(t, h)
	wantError(t, a.post("/passkey/verify-registration", body), http.StatusForbidden, "SESSION_NOT_FRESH")
	wantUnchanged(t, h, before)
}

// The RP id and the allowed origins come from the configuration: a page of a configured origin
// registers and signs in; the base URL's origin is then refused.
func TestPasskeyConfiguredRelyingParty(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) {
		c.BetterAuth.PasskeyRPID = "example.com"
		c.BetterAuth.PasskeyOrigins = []string{"https://app.example.com", "https://admin.example.com"}
	})
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	app := func(c string) webauthntest.Ceremony {
		return webauthntest.Ceremony{RPID: "example.com", Origin: "https://admin.example.com", Challenge: c}
	}
	o := a.registrationOptions("")
	if o.RP.ID != "example.com" {
		t.Fatalf("rp.id %q", o.RP.ID)
	}
	auth := webauthntest.New()
	if r := a.post("/passkey/verify-registration", map[string]any{"response": auth.Register(app(o.Challenge), o.User.ID)}); r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	o = a.registrationOptions("")
	wantError(t, a.post("/passkey/verify-registration", map[string]any{"response": webauthntest.New().Register(ceremony(o.Challenge), o.User.ID)}),
		http.StatusBadRequest, "FAILED_TO_VERIFY_REGISTRATION")

	b := newBrowser(t, h)
	ao := b.authenticationOptions()
	if ao.RPID != "example.com" {
		t.Fatalf("rpId %q", ao.RPID)
	}
	if r := b.post("/passkey/verify-authentication", map[string]any{"response": auth.Assert(app(ao.Challenge))}); r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}
