package betterauth_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/internal/bacookie"
)

// listSessions returns a's sessions, failing unless list-sessions answers 200.
func (b *browser) listSessions() []session {
	b.t.Helper()
	r := b.get("/list-sessions")
	if r.Status != http.StatusOK {
		b.t.Fatalf("list-sessions: %d %s", r.Status, r.Body)
	}
	var out []session
	r.Decode(b.t, &out)
	return out
}

func TestListSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSecret)
	a := newBrowser(t, h)
	id := a.signUp("eve@example.com", "correct horse", map[string]any{"username": "eve"}).User.ID
	b := newBrowser(t, h)
	if r := b.post("/sign-in/email", map[string]any{"email": "eve@example.com", "password": "correct horse"}); r.Status != 200 {
		t.Fatalf("sign-in: %d", r.Status)
	}
	stranger := newBrowser(t, h)
	stranger.signUp("zed@example.com", "correct horse", nil)
	// An expired session is not listed.
	old := newBrowser(t, h)
	old.signIn("eve@example.com", "correct horse")
	h.Exec(`UPDATE betterauth.session SET "expiresAt" = now() - interval '1 minute' WHERE token = $1`, hashHex(old.token()))
	var list []session
	a.get("/list-sessions").Decode(t, &list)
	if len(list) != 2 {
		t.Fatalf("list-sessions: %d sessions", len(list))
	}
	own := a.session().Session
	var other session
	for _, s := range list {
		if s.ID != own.ID {
			other = s
		} else if s.Token != own.Token {
			t.Fatal("own session listed without its token")
		}
	}
	if h.Count(`SELECT count(*) FROM betterauth.session WHERE token LIKE $1 || '%'`, other.Token) != 1 {
		t.Fatal("the other session's handle does not name it")
	}
	// In creation order, each the user's, with Better Auth's dates.
	if list[0].ID != own.ID || list[1].ID != b.session().Session.ID {
		t.Fatalf("order %v", list)
	}
	for _, s := range list {
		if s.UserID != id || !id32.MatchString(s.ID) || !id32.MatchString(s.Token) || !jsDate.MatchString(s.ExpiresAt) || !jsDate.MatchString(s.CreatedAt) {
			t.Fatalf("session %+v", s)
		}
	}
	// The other session's handle is not its bearer token: a cookie holding it signs nobody in.
	if other.Token == b.token() {
		t.Fatal("list-sessions shows another device's bearer token")
	}
	thief := newBrowser(t, h)
	thief.cookies["better-auth.session_token"] = bacookie.New(baSecret, false, 0).Sign(other.Token)
	if thief.session() != nil {
		t.Fatal("a listed handle works as a session token")
	}
	// Listing changes nothing and sets no cookie.
	wantNoCookies(t, a.get("/list-sessions"))
}

func TestListSessionsRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	wantError(t, newBrowser(t, h).get("/list-sessions"), http.StatusUnauthorized, "UNAUTHORIZED")
	// Sessions older than a day may not list sessions.
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "new horse 1", nil)
	h.Exec(`UPDATE betterauth.session SET "createdAt" = now() - interval '2 days'`)
	wantError(t, a.get("/list-sessions"), 403, "SESSION_NOT_FRESH")
	// A fresh sign-in may again.
	a.signIn("eve@example.com", "new horse 1")
	if n := len(a.listSessions()); n != 2 {
		t.Fatalf("%d sessions after a fresh sign-in, want 2", n)
	}
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", nil)
	b := newBrowser(t, h)
	b.signIn("eve@example.com", "correct horse")
	c := newBrowser(t, h)
	c.signIn("eve@example.com", "correct horse")
	stranger := newBrowser(t, h)
	stranger.signUp("zed@example.com", "correct horse", nil)
	var other session
	for _, s := range a.listSessions() {
		if s.ID == b.session().Session.ID {
			other = s
		}
	}
	// By the handle list-sessions shows.
	r := a.post("/revoke-session", map[string]any{"token": other.Token})
	if r.Status != 200 {
		t.Fatalf("revoke-session: %d", r.Status)
	}
	wantJSON(t, r, `{"status":true}`)
	wantNoCookies(t, r)
	if b.session() != nil {
		t.Fatal("revoked device still signed in")
	}
	// By the token itself.
	wantJSON(t, a.post("/revoke-session", map[string]any{"token": c.token()}), `{"status":true}`)
	if c.session() != nil {
		t.Fatal("device revoked by token still signed in")
	}
	// Unknown tokens and other users' sessions: the same answer, nothing happens.
	before := dbState(t, h)
	wantJSON(t, a.post("/revoke-session", map[string]any{"token": "nope"}), `{"status":true}`)
	wantJSON(t, a.post("/revoke-session", map[string]any{"token": stranger.token()}), `{"status":true}`)
	wantJSON(t, a.post("/revoke-session", map[string]any{"token": hashHex(stranger.token())[:32]}), `{"status":true}`)
	wantUnchanged(t, h, before)
	if stranger.session() == nil {
		t.Fatal("a user revoked another user's session")
	}
	// Its own session: revoked, and the cookies expired.
	r = a.post("/revoke-session", map[string]any{"token": a.token()})
	wantJSON(t, r, `{"status":true}`)
	wantSignedOutCookies(t, a)
	if a.session() != nil || h.Count(`SELECT count(*) FROM betterauth.session`) != 1 {
		t.Fatal("own session not revoked")
	}
	wantError(t, a.post("/revoke-session", map[string]any{"token": "x"}), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestRevokeOtherSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", nil)
	b := newBrowser(t, h)
	b.signIn("eve@example.com", "correct horse")
	c := newBrowser(t, h)
	c.signIn("eve@example.com", "correct horse")
	stranger := newBrowser(t, h)
	stranger.signUp("zed@example.com", "correct horse", nil)
	r := a.post("/revoke-other-sessions", nil)
	if r.Status != 200 || b.session() != nil || a.session() == nil {
		t.Fatalf("revoke-other-sessions: %d", r.Status)
	}
	wantJSON(t, r, `{"status":true}`)
	wantNoCookies(t, r)
	if c.session() != nil || stranger.session() == nil || h.Count(`SELECT count(*) FROM betterauth.session`) != 2 {
		t.Fatal("want this device's and the stranger's sessions only")
	}
	// With nothing left to revoke, and without a body.
	wantJSON(t, a.do(http.MethodPost, base+"/revoke-other-sessions", nil), `{"status":true}`)
	wantError(t, newBrowser(t, h).post("/revoke-other-sessions", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestRevokeSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", nil)
	b := newBrowser(t, h)
	b.signIn("eve@example.com", "correct horse")
	stranger := newBrowser(t, h)
	stranger.signUp("zed@example.com", "correct horse", nil)
	r := a.post("/revoke-sessions", nil)
	if r.Status != 200 || a.session() != nil {
		t.Fatalf("revoke-sessions: %d", r.Status)
	}
	wantJSON(t, r, `{"status":true}`)
	if b.session() != nil {
		t.Fatal("another device of the user is still signed in")
	}
	if stranger.session() == nil || h.Count(`SELECT count(*) FROM betterauth.session`) != 1 {
		t.Fatal("another user's session was revoked")
	}
	wantError(t, a.get("/list-sessions"), 401, "UNAUTHORIZED")
	// The answer expires the cookies.
	b.signIn("eve@example.com", "correct horse")
	b.post("/revoke-sessions", nil)
	wantSignedOutCookies(t, b)
	wantError(t, newBrowser(t, h).post("/revoke-sessions", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}
