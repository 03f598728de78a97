package betterauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type impersonation struct {
	Session struct {
		session
		ImpersonatedBy *string `json:"impersonatedBy"`
	} `json:"session"`
	User adminUser `json:"user"`
}

// An admin signs in as ann, sees what she sees, and comes back; the cookies are Better Auth's.
func TestAdminImpersonation(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	// watcher shares the admin's session, to look on while f.admin impersonates.
	watcher := *f
	watcher.admin = newBrowser(t, f.h)
	watcher.admin.cookies["better-auth.session_token"] = f.admin.cookies["better-auth.session_token"]
	start := time.Now()
	r := f.admin.post("/admin/impersonate-user", map[string]any{"userId": f.annID})
	if r.Status != http.StatusOK {
		t.Fatalf("impersonate-user: %d %s", r.Status, r.Body)
	}
	var imp impersonation
	r.Decode(t, &imp)
	if imp.User.ID != f.annID || imp.Session.UserID != f.annID || imp.Session.ImpersonatedBy == nil || *imp.Session.ImpersonatedBy != f.adminID {
		t.Fatalf("impersonate-user: %s", r.Body)
	}
	exp, _ := time.Parse(time.RFC3339, imp.Session.ExpiresAt)
	if exp.Before(start.Add(59*time.Minute)) || exp.After(time.Now().Add(61*time.Minute)) {
		t.Fatalf("impersonation session expires %s, want in an hour", imp.Session.ExpiresAt)
	}
	// Cookies: the admin's session kept in admin_session (a week), the new session without
	// Max-Age and marked not to be remembered, session_data expired.
	adminCookie := f.admin.last["better-auth.admin_session"]
	if adminCookie == nil || !strings.HasPrefix(adminCookie.Value, f.adminTok+"%3A.") || adminCookie.MaxAge != 604800 ||
		!adminCookie.HttpOnly || adminCookie.Path != "/" || adminCookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("admin_session cookie %+v", adminCookie)
	}
	wantSessionCookie(t, f.admin, imp.Session.Token, 0)
	if c := f.admin.last["better-auth.dont_remember"]; c == nil || !strings.HasPrefix(c.Value, "true.") || c.MaxAge != 0 {
		t.Fatalf("dont_remember cookie %+v", c)
	}
	if c := f.admin.last["better-auth.session_data"]; c == nil || c.MaxAge >= 0 {
		t.Fatalf("session_data not expired: %+v", c)
	}
	if got := dbString(t, f.h, `SELECT "impersonatedBy" FROM betterauth.session WHERE "token" = encode(sha256($1::bytea), 'hex')`, imp.Session.Token); got != f.adminID {
		t.Fatalf("stored impersonatedBy %q", got)
	}
	// Used without the dont_remember cookie, the session still keeps its hour.
	bare := newBrowser(t, f.h)
	bare.cookies["better-auth.session_token"] = f.admin.cookies["better-auth.session_token"]
	if s := bare.session(); s == nil || s.Session.ExpiresAt != imp.Session.ExpiresAt {
		t.Fatalf("the impersonation session was extended: %+v, want expiry %s", s, imp.Session.ExpiresAt)
	}
	// The admin's browser is ann now; her session list hides the impersonation session.
	if s := f.admin.session(); s == nil || s.User.ID != f.annID {
		t.Fatalf("get-session while impersonating: %+v", s)
	}
	r = f.admin.get("/list-sessions")
	var listed []session
	r.Decode(t, &listed)
	if r.Status != http.StatusOK || len(listed) != 1 || listed[0].Token == imp.Session.Token {
		t.Fatalf("list-sessions shows the impersonation: %s", r.Body)
	}
	r = f.ann.get("/list-sessions")
	r.Decode(t, &listed)
	if len(listed) != 1 || listed[0].Token != f.ann.token() {
		t.Fatalf("ann's list-sessions: %s", r.Body)
	}
	// The admin's sessions list does show it.
	if l := watcher.userSessions(t, f.annID); len(l.Sessions) != 2 {
		t.Fatalf("list-user-sessions: %+v", l)
	}

	// Back to the admin.
	r = f.admin.post("/admin/stop-impersonating", nil)
	var back impersonation
	r.Decode(t, &back)
	if r.Status != http.StatusOK || back.User.ID != f.adminID || back.Session.Token != f.adminTok || back.Session.ImpersonatedBy != nil {
		t.Fatalf("stop-impersonating: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, f.admin, f.adminTok, 604800)
	for _, name := range []string{"better-auth.admin_session", "better-auth.dont_remember"} {
		if c := f.admin.last[name]; c == nil || c.MaxAge >= 0 || c.Value != "" {
			t.Fatalf("%s not expired: %+v", name, c)
		}
	}
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session WHERE "impersonatedBy" IS NOT NULL`); n != 0 {
		t.Fatalf("%d impersonation sessions left", n)
	}
	if s := f.admin.session(); s == nil || s.User.ID != f.adminID {
		t.Fatalf("get-session after stop: %+v", s)
	}
	if f.ann.session() == nil {
		t.Fatal("ann lost her session")
	}
}

// An admin who asked not to be remembered gets that back after the impersonation.
func TestAdminImpersonationDontRemember(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	admin := newBrowser(t, f.h)
	if r := admin.post("/sign-in/email", map[string]any{"email": adminEmail, "password": "correct horse", "rememberMe": false}); r.Status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	tok := admin.token()
	if r := admin.post("/admin/impersonate-user", map[string]any{"userId": f.annID}); r.Status != http.StatusOK {
		t.Fatalf("impersonate: %d %s", r.Status, r.Body)
	}
	if c := admin.last["better-auth.admin_session"]; c == nil || !strings.HasPrefix(c.Value, tok+"%3Atrue.") {
		t.Fatalf("admin_session %+v", c)
	}
	if r := admin.post("/admin/stop-impersonating", nil); r.Status != http.StatusOK {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, admin, tok, 0)
	if c := admin.last["better-auth.dont_remember"]; c == nil || !strings.HasPrefix(c.Value, "true.") {
		t.Fatalf("dont_remember %+v", c)
	}
}

func TestAdminImpersonationRefusals(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, newHarness(t, withAdminEmail("boss@example.com")))
	boss := newBrowser(t, f.h).signUp("boss@example.com", "correct horse", nil).User
	before := dbState(t, f.h)
	wantError(t, f.admin.post("/admin/impersonate-user", map[string]any{"userId": boss.ID}), http.StatusForbidden, "YOU_CANNOT_IMPERSONATE_ADMINS")
	f.h.Exec(`UPDATE betterauth."user" SET "role" = 'user,admin' WHERE "id" = $1`, boss.ID)
	before = dbState(t, f.h)
	wantError(t, f.admin.post("/admin/impersonate-user", map[string]any{"userId": boss.ID}), http.StatusForbidden, "YOU_CANNOT_IMPERSONATE_ADMINS")
	wantError(t, f.admin.post("/admin/impersonate-user", map[string]any{"userId": "nobody"}), http.StatusNotFound, "USER_NOT_FOUND")
	wantMessageOnly(t, f.admin.post("/admin/stop-impersonating", nil), http.StatusBadRequest, "You are not impersonating anyone")
	wantMessageOnly(t, f.ann.post("/admin/stop-impersonating", nil), http.StatusBadRequest, "You are not impersonating anyone")
	wantUnchanged(t, f.h, before)
	// A banned user cannot be impersonated.
	f.admin.post("/admin/ban-user", map[string]any{"userId": f.annID})
	before = dbState(t, f.h)
	wantBanned(t, f.admin.post("/admin/impersonate-user", map[string]any{"userId": f.annID}))
	wantUnchanged(t, f.h, before)
	f.admin.post("/admin/unban-user", map[string]any{"userId": f.annID})

	// stop-impersonating without a good admin_session cookie: 500, and nothing changes.
	if r := f.admin.post("/admin/impersonate-user", map[string]any{"userId": f.annID}); r.Status != http.StatusOK {
		t.Fatalf("impersonate: %d %s", r.Status, r.Body)
	}
	good := f.admin.cookies["better-auth.admin_session"]
	before = dbState(t, f.h)
	for _, bad := range []string{"", url.QueryEscape("forged:.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), strings.Replace(good, f.adminTok[:4], "zzzz", 1)} {
		if bad == "" {
			delete(f.admin.cookies, "better-auth.admin_session")
		} else {
			f.admin.cookies["better-auth.admin_session"] = bad
		}
		wantMessageOnly(t, f.admin.post("/admin/stop-impersonating", nil), http.StatusInternalServerError, "Failed to find admin session")
	}
	wantUnchanged(t, f.h, before)
	// An admin session that is another user's, or gone (expired).
	f.admin.cookies["better-auth.admin_session"] = good
	adminSession := `"token" = encode(sha256($2::bytea), 'hex')`
	f.h.Exec(`UPDATE betterauth.session SET "userId" = $1 WHERE `+adminSession, f.annID, f.adminTok)
	wantMessageOnly(t, f.admin.post("/admin/stop-impersonating", nil), http.StatusInternalServerError, "Failed to find admin session")
	f.h.Exec(`UPDATE betterauth.session SET "userId" = $1, "expiresAt" = now() - interval '1 second' WHERE `+adminSession, f.adminID, f.adminTok)
	wantMessageOnly(t, f.admin.post("/admin/stop-impersonating", nil), http.StatusInternalServerError, "Failed to find admin session")
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session WHERE "impersonatedBy" IS NOT NULL`); n != 1 {
		t.Fatalf("the impersonation session is gone: %d", n)
	}
}

// Banning or removing an admin ends the impersonations they opened, not only their own
// sessions: a banned admin does not go on as the user they impersonate.
func TestAdminBanEndsImpersonations(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, newHarness(t, withAdminEmail("boss@example.com")))
	impersonating := func() (*browser, string) {
		boss := newBrowser(t, f.h)
		var id string
		if r := boss.post("/sign-in/email", map[string]any{"email": "boss@example.com", "password": "correct horse"}); r.Status == http.StatusOK {
			var in struct{ User struct{ ID string } }
			r.Decode(t, &in)
			id = in.User.ID
		} else {
			id = boss.signUp("boss@example.com", "correct horse", nil).User.ID
		}
		if r := boss.post("/admin/impersonate-user", map[string]any{"userId": f.annID}); r.Status != http.StatusOK {
			t.Fatalf("impersonate: %d %s", r.Status, r.Body)
		}
		if r := boss.get("/get-session"); !strings.Contains(string(r.Body), f.annID) {
			t.Fatalf("impersonation session: %s", r.Body)
		}
		return boss, id
	}
	boss, bossID := impersonating()
	if r := f.admin.post("/admin/ban-user", map[string]any{"userId": bossID}); r.Status != http.StatusOK {
		t.Fatalf("ban-user: %d %s", r.Status, r.Body)
	}
	if r := boss.get("/get-session"); r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != "null" {
		t.Fatalf("the banned admin is still signed in as ann: %d %s", r.Status, r.Body)
	}
	f.admin.post("/admin/unban-user", map[string]any{"userId": bossID})

	boss, bossID = impersonating()
	if r := f.admin.post("/admin/remove-user", map[string]any{"userId": bossID}); r.Status != http.StatusOK {
		t.Fatalf("remove-user: %d %s", r.Status, r.Body)
	}
	if r := boss.get("/get-session"); r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != "null" {
		t.Fatalf("the removed admin is still signed in as ann: %d %s", r.Status, r.Body)
	}
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, f.annID); n == 0 {
		t.Fatal("ann's own session went too")
	}
}
