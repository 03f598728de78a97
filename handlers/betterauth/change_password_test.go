package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestChangePassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	id := a.signUp("eve@example.com", "correct horse", nil).User.ID
	b := newBrowser(t, h)
	b.signIn("eve@example.com", "correct horse")
	hash := dbString(t, h, `SELECT password FROM betterauth.account WHERE "userId" = $1`, id)
	// Without revokeOtherSessions: token null, the same sessions, no cookie.
	r := a.post("/change-password", map[string]any{"currentPassword": "correct horse", "newPassword": "new horse 1"})
	var res authResult
	r.Decode(t, &res)
	if r.Status != http.StatusOK || res.Token != nil || !strings.Contains(string(r.Body), `"token":null`) || res.User.ID != id {
		t.Fatalf("change-password: %d %s", r.Status, r.Body)
	}
	wantNoCookies(t, r)
	if a.session() == nil || b.session() == nil || h.Count(`SELECT count(*) FROM betterauth.session`) != 2 {
		t.Fatal("change-password without revokeOtherSessions ended sessions")
	}
	if dbString(t, h, `SELECT password FROM betterauth.account WHERE "userId" = $1`, id) == hash {
		t.Fatal("the stored hash did not change")
	}
	newBrowser(t, h).signIn("eve@example.com", "new horse 1")
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "eve@example.com", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
}

func TestChangePasswordRevokingOtherSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("eve@example.com", "correct horse", nil)
	b := newBrowser(t, h)
	b.signIn("eve@example.com", "correct horse")
	bystander := newBrowser(t, h)
	bystander.signUp("zed@example.com", "correct horse", nil)
	old := a.token()
	wantError(t, a.post("/change-password", map[string]any{"currentPassword": "wrong horse", "newPassword": "new horse 1"}), 400, "INVALID_PASSWORD")
	r := a.post("/change-password", map[string]any{"currentPassword": "correct horse", "newPassword": "new horse 1", "revokeOtherSessions": true})
	var cp authResult
	r.Decode(t, &cp)
	if r.Status != 200 || cp.Token == nil || a.session().Session.Token != *cp.Token {
		t.Fatalf("change-password: %d %s", r.Status, r.Body)
	}
	// A new session replaces every old one, this device's included.
	if *cp.Token == old || !id32.MatchString(*cp.Token) {
		t.Fatalf("token %q: not a new session", *cp.Token)
	}
	if b.session() != nil {
		t.Fatal("the other device is still signed in")
	}
	if h.Count(`SELECT count(*) FROM betterauth.session WHERE token = $1`, hashHex(old)) != 0 {
		t.Fatal("the old session of this device survived")
	}
	if h.Count(`SELECT count(*) FROM betterauth.session s JOIN betterauth."user" u ON u.id = s."userId" WHERE u.email = 'eve@example.com'`) != 1 {
		t.Fatal("want exactly the new session")
	}
	if bystander.session() == nil {
		t.Fatal("another user's session ended")
	}
}

func TestChangePasswordRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("fox@example.com", "correct horse", nil)
	social := newBrowser(t, h)
	sid := social.signUp("gem@example.com", "correct horse", nil).User.ID
	h.Exec(`DELETE FROM betterauth.account WHERE "userId" = $1`, sid)
	before := dbState(t, h)
	for _, c := range []struct {
		b      *browser
		body   map[string]any
		status int
		code   string
	}{
		{a, map[string]any{"currentPassword": "wrong horse", "newPassword": "new horse 1"}, 400, "INVALID_PASSWORD"},
		{a, map[string]any{"currentPassword": "wrong horse", "newPassword": "new horse 1", "revokeOtherSessions": true}, 400, "INVALID_PASSWORD"},
		{a, map[string]any{"currentPassword": "correct horse", "newPassword": "short"}, 400, "PASSWORD_TOO_SHORT"},
		{a, map[string]any{"currentPassword": "correct horse", "newPassword": strings.Repeat("x", 129)}, 400, "PASSWORD_TOO_LONG"},
		{social, map[string]any{"currentPassword": "correct horse", "newPassword": "new horse 1"}, 400, "CREDENTIAL_ACCOUNT_NOT_FOUND"},
		{newBrowser(t, h), map[string]any{"currentPassword": "correct horse", "newPassword": "new horse 1"}, 401, "UNAUTHORIZED"},
	} {
		r := c.b.post("/change-password", c.body)
		wantError(t, r, c.status, c.code)
		wantNoCookies(t, r)
	}
	wantUnchanged(t, h, before)
	newBrowser(t, h).signIn("fox@example.com", "correct horse")
}
