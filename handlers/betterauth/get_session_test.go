package betterauth_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/internal/bacookie"
)

func wantNoStore(t *testing.T, resp interface{ Get(string) string }) {
	t.Helper()
	if resp.Get("Cache-Control") != "no-store" || resp.Get("Pragma") != "no-cache" {
		t.Fatalf("cache headers %q %q, want no-store and no-cache", resp.Get("Cache-Control"), resp.Get("Pragma"))
	}
}

func TestGetSessionSignedOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	resp := b.get("/get-session")
	if resp.Status != http.StatusOK || string(resp.Body) != "null\n" || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("Pragma") != "no-cache" || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("signed out: %d %q %v", resp.Status, resp.Body, resp.Header)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	// A cookie with a bad signature reads as signed out and changes nothing.
	forged := newBrowser(t, h)
	forged.cookies["better-auth.session_token"] = strings.Repeat("a", 32) + ".AAAA%3D"
	if forged.session() != nil || len(forged.last) != 0 {
		t.Fatal("forged cookie accepted or answered with cookies")
	}
	// So does a well-formed cookie signed under another secret, even for a live session.
	live := newBrowser(t, h)
	tok := *live.signUp("ivy@example.com", "correct horse", nil).Token
	other := newBrowser(t, h)
	other.cookies["better-auth.session_token"] = bacookie.New("some-other-secret-of-32-characters!", false, 0).Sign(tok)
	if other.session() != nil || len(other.last) != 0 {
		t.Fatal("a cookie signed under another secret was accepted")
	}
	// A token without its signature is no cookie at all.
	other.cookies["better-auth.session_token"] = tok
	if other.session() != nil || len(other.last) != 0 {
		t.Fatal("an unsigned token was accepted")
	}
	if live.session() == nil {
		t.Fatal("the real session was touched")
	}
}

func TestGetSessionSignedIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	res := b.signUp("jo@example.com", "correct horse", map[string]any{"username": "jo_jo"})
	resp := b.get("/get-session")
	if resp.Status != http.StatusOK {
		t.Fatalf("get-session: %d %s", resp.Status, resp.Body)
	}
	wantNoStore(t, resp.Header)
	wantNoCookies(t, resp) // a fresh session is not refreshed
	var s sessionAndUser
	resp.Decode(t, &s)
	if s.Session.Token != *res.Token || s.Session.UserID != res.User.ID || !id32.MatchString(s.Session.ID) ||
		!reflect.DeepEqual(s.User, res.User) || !jsDate.MatchString(s.Session.ExpiresAt) || !jsDate.MatchString(s.Session.CreatedAt) {
		t.Fatalf("get-session %+v, sign-up %+v", s, res)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.session WHERE id = $1 AND token = $2`, s.Session.ID, hashHex(*res.Token)); n != 1 {
		t.Fatal("the answer's session is not the stored one")
	}
	exp, _ := time.Parse(time.RFC3339, s.Session.ExpiresAt)
	if d := time.Until(exp); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour {
		t.Fatalf("a new session expires in %s, want 7 days", d)
	}
}

func TestGetSessionRefreshesAfterADay(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	tok := *b.signUp("kim@example.com", "correct horse", nil).Token
	// Five days left: the session was last extended two days ago, past the update age of one day.
	h.Exec(`UPDATE betterauth.session SET "expiresAt" = now() + interval '5 days', "updatedAt" = now() - interval '2 days'`)
	// disableRefresh leaves it alone.
	r := b.get("/get-session?disableRefresh=true")
	wantNoCookies(t, r)
	if h.Count(`SELECT count(*) FROM betterauth.session WHERE "expiresAt" < now() + interval '6 days'`) != 1 {
		t.Fatal("disableRefresh extended the session")
	}
	r = b.get("/get-session")
	if r.Status != http.StatusOK {
		t.Fatalf("get-session: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, b, tok, 604800)
	var s sessionAndUser
	r.Decode(t, &s)
	exp, _ := time.Parse(time.RFC3339, s.Session.ExpiresAt)
	if d := time.Until(exp); d < 7*24*time.Hour-time.Minute {
		t.Fatalf("refreshed session expires in %s, want 7 days", d)
	}
	if h.Count(`SELECT count(*) FROM betterauth.session WHERE "expiresAt" > now() + interval '6 days' AND "updatedAt" > now() - interval '1 minute'`) != 1 {
		t.Fatal("the refresh was not stored")
	}
	// The next call finds it fresh and sends no cookie.
	wantNoCookies(t, b.get("/get-session"))
}

func TestGetSessionOfAnExpiredSessionSignsOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	b.signUp("lea@example.com", "correct horse", nil)
	h.Exec(`UPDATE betterauth.session SET "expiresAt" = now() - interval '1 second'`)
	r := b.get("/get-session")
	if r.Status != http.StatusOK || string(r.Body) != "null\n" {
		t.Fatalf("expired session: %d %s", r.Status, r.Body)
	}
	wantNoStore(t, r.Header)
	wantSignedOutCookies(t, b)
	if h.Count(`SELECT count(*) FROM betterauth.session`) != 0 {
		t.Fatal("the expired session was not deleted")
	}
}

func TestGetSessionUpgradesATokenStoredInClear(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	tok := *b.signUp("moe@example.com", "correct horse", nil).Token
	// A session moved over from Node Better Auth holds its token in clear.
	h.Exec(`UPDATE betterauth.session SET token = $1`, tok)
	if s := b.session(); s == nil || s.Session.Token != tok {
		t.Fatalf("session with a clear token: %+v", s)
	}
	if h.Count(`SELECT count(*) FROM betterauth.session WHERE token = $1`, hashHex(tok)) != 1 {
		t.Fatal("the clear token was not replaced by its hash")
	}
	if b.session() == nil {
		t.Fatal("the upgraded session does not work")
	}
}

func TestGetSessionPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// POST /get-session (Better Auth's deferred refresh) answers as GET does.
	a := newBrowser(t, h)
	a.signUp("bob@example.com", "correct horse", nil)
	other := newBrowser(t, h)
	other.cookies = map[string]string{"better-auth.session_token": a.cookies["better-auth.session_token"]}
	a.post("/sign-out", nil)
	if r := other.post("/get-session", nil); r.Status != http.StatusOK || string(r.Body) != "null\n" {
		t.Fatalf("POST get-session signed out: %d %q", r.Status, r.Body)
	}
	wantSignedOutCookies(t, other)
	c := newBrowser(t, h)
	tok := *c.signUp("bob2@example.com", "correct horse", nil).Token
	r := c.post("/get-session", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"email":"bob2@example.com"`) {
		t.Fatalf("POST get-session: %d %s", r.Status, r.Body)
	}
	wantNoStore(t, r.Header)
	var s sessionAndUser
	r.Decode(t, &s)
	if s.Session.Token != tok {
		t.Fatalf("POST get-session session %+v", s.Session)
	}
	// Without a body at all, as without a cookie.
	if r := c.do(http.MethodPost, base+"/get-session", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), tok) {
		t.Fatalf("POST get-session without a body: %d %s", r.Status, r.Body)
	}
	if r := newBrowser(t, h).post("/get-session", nil); r.Status != http.StatusOK || string(r.Body) != "null\n" {
		t.Fatalf("POST get-session without a cookie: %d %s", r.Status, r.Body)
	}
	// It also refreshes a session that is due.
	h.Exec(`UPDATE betterauth.session SET "expiresAt" = now() + interval '5 days'`)
	c.post("/get-session", nil)
	wantSessionCookie(t, c, tok, 604800)
	// With a cookie, a POST needs a trusted Origin.
	c.origin = ""
	wantError(t, c.post("/get-session", nil), http.StatusForbidden, "MISSING_OR_NULL_ORIGIN")
}

// POST /get-session with a body that is not JSON is 415 (declared in its spec entry).
func TestGetSessionPostNotJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := newBrowser(t, h).send(http.MethodPost, base+"/get-session", "x", "text/plain")
	wantError(t, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
}
