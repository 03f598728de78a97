package betterauth_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"gatehouse/handlers/internal/baflow"
	"gatehouse/handlers/internal/handlertest"
)

// wantBanned checks Better Auth's refusal of a banned user's sign-in: 403 BANNED_USER with the
// plugin's message, and no session cookie.
func wantBanned(t *testing.T, resp *handlertest.Response) {
	t.Helper()
	if resp.Status != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", resp.Status, resp.Body)
	}
	wantBody(t, resp, `{"message":"You have been banned from this application. Please contact support if you believe this is an error.","code":"BANNED_USER"}`)
	wantNoCookies(t, resp)
}

func TestAdminBanUser(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	second := newBrowser(t, f.h)
	second.signIn("ann@example.com", "correct horse")
	r := f.admin.post("/admin/ban-user", map[string]any{"userId": f.annID})
	u := decodeUser(t, r, true)
	if !u.Banned || u.BanReason == nil || *u.BanReason != "No reason" || u.BanExpires != nil {
		t.Fatalf("ban-user: %s", r.Body)
	}
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, f.annID); n != 0 {
		t.Fatalf("the banned user keeps %d sessions", n)
	}
	if f.ann.session() != nil || second.session() != nil {
		t.Fatal("a banned user's browser is still signed in")
	}
	sessions := f.h.Count(`SELECT count(*) FROM betterauth.session`)
	wantBanned(t, newBrowser(t, f.h).post("/sign-in/email", map[string]any{"email": "ann@example.com", "password": "correct horse"}))
	// A wrong password is still the usual answer (the ban is checked once the password is).
	wantError(t, newBrowser(t, f.h).post("/sign-in/email", map[string]any{"email": "ann@example.com", "password": "wrong horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session`); n != sessions {
		t.Fatalf("refused sign-ins created sessions: %d, had %d", n, sessions)
	}
	// Unban clears every ban field; sign-in works again.
	r = f.admin.post("/admin/unban-user", map[string]any{"userId": f.annID})
	if u := decodeUser(t, r, true); u.Banned || u.BanReason != nil || u.BanExpires != nil {
		t.Fatalf("unban-user: %s", r.Body)
	}
	newBrowser(t, f.h).signIn("ann@example.com", "correct horse")

	// A reason and an expiry.
	start := time.Now()
	r = f.admin.post("/admin/ban-user", map[string]any{"userId": f.annID, "banReason": "spam", "banExpiresIn": 3600})
	u = decodeUser(t, r, true)
	if u.BanReason == nil || *u.BanReason != "spam" || u.BanExpires == nil || !jsDate.MatchString(*u.BanExpires) {
		t.Fatalf("ban with expiry: %s", r.Body)
	}
	if exp, _ := time.Parse(time.RFC3339, *u.BanExpires); exp.Before(start.Add(3599*time.Second)) || exp.After(time.Now().Add(3601*time.Second)) {
		t.Fatalf("banExpires %s, want an hour from now", *u.BanExpires)
	}
	wantBanned(t, newBrowser(t, f.h).post("/sign-in/email", map[string]any{"email": "ann@example.com", "password": "correct horse"}))

	before := dbState(t, f.h)
	wantError(t, f.admin.post("/admin/ban-user", map[string]any{"userId": "nobody"}), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, f.admin.post("/admin/ban-user", map[string]any{"userId": f.adminID}), http.StatusBadRequest, "YOU_CANNOT_BAN_YOURSELF")
	wantError(t, f.admin.post("/admin/unban-user", map[string]any{"userId": "nobody"}), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, f.admin.post("/admin/ban-user", map[string]any{"userId": f.annID, "banExpiresIn": -1}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantUnchanged(t, f.h, before)
}

// A ban whose expiry has passed is lifted by the next sign-in, which then works.
func TestAdminBanExpires(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	decodeUser(t, f.admin.post("/admin/ban-user", map[string]any{"userId": f.annID, "banReason": "cool off", "banExpiresIn": 60}), true)
	wantBanned(t, newBrowser(t, f.h).post("/sign-in/email", map[string]any{"email": "ann@example.com", "password": "correct horse"}))
	f.h.Exec(`UPDATE betterauth."user" SET "banExpires" = now() - interval '1 second' WHERE "id" = $1`, f.annID)
	b := newBrowser(t, f.h)
	res := b.signIn("ann@example.com", "correct horse")
	if s := b.session(); s == nil || s.User.ID != f.annID || res.User.ID != f.annID {
		t.Fatalf("after the ban expired: %+v", s)
	}
	if got := dbString(t, f.h, `SELECT concat_ws('|', "banned", coalesce("banReason", '-'), coalesce("banExpires"::text, '-')) FROM betterauth."user" WHERE "id" = $1`, f.annID); got != "f|-|-" {
		t.Fatalf("stored ban after expiry: %s", got)
	}
	r := f.admin.get("/admin/get-user?id=" + f.annID)
	if u := decodeUser(t, r, false); u.Banned || u.BanReason != nil || u.BanExpires != nil {
		t.Fatalf("get-user after expiry: %s", r.Body)
	}
}

// Every way to a session refuses a banned user: sign-in with a username, and the OAuth
// callback, which redirects with the code as Better Auth's does.
func TestAdminBanOtherSignIns(t *testing.T) {
	t.Parallel()
	h, idp := idpHarness(t, gus, withAdminEmail())
	f := newAdminFixture(t, h)
	f.admin.post("/update-user", map[string]any{"username": "root_1"})
	gusBrowser := newBrowser(t, h)
	if r := gusBrowser.socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home"}); r.Status != http.StatusFound {
		t.Fatalf("gus signs up: %d %s", r.Status, r.Body)
	}
	gusID := gusBrowser.session().User.ID
	f.ann.post("/update-user", map[string]any{"username": "ann_1"})
	decodeUser(t, f.admin.post("/admin/ban-user", map[string]any{"userId": f.annID}), true)
	decodeUser(t, f.admin.post("/admin/ban-user", map[string]any{"userId": gusID, "banReason": "bot"}), true)
	before := dbState(t, h)
	wantBanned(t, newBrowser(t, h).post("/sign-in/username", map[string]any{"username": "ann_1", "password": "correct horse"}))
	r := newBrowser(t, h).socialFlow(idp, "/sign-in/social", map[string]any{"provider": "idp", "callbackURL": "/home", "errorCallbackURL": "/oops"})
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != http.StatusFound || loc.Path != "/oops" || loc.Query().Get("error") != "BANNED_USER" ||
		loc.Query().Get("error_description") != baflow.BannedUserMessage {
		t.Fatalf("banned social sign-in: %d %q", r.Status, r.Header.Get("Location"))
	}
	if _, ok := r.Header["Set-Cookie"]; ok {
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == "better-auth.session_token" && c.Value != "" {
				t.Fatalf("banned social sign-in set a session: %v", r.Header["Set-Cookie"])
			}
		}
	}
	// Sign-in with the provider's ID token: the JSON refusal.
	wantBanned(t, newBrowser(t, h).post("/sign-in/social", map[string]any{"provider": "idp",
		"idToken": map[string]any{"token": idp.IDToken(gus, idp.ClientID(), "")}}))
	// The used-up OAuth state is the only change.
	after := dbState(t, h)
	if after["session"] != before["session"] || after[`"user"`] != before[`"user"`] || after["account"] != before["account"] {
		t.Fatalf("banned sign-ins changed rows: %v -> %v", before, after)
	}
	// The admin's own sign-ins are unaffected.
	if r := newBrowser(t, h).post("/sign-in/username", map[string]any{"username": "root_1", "password": "correct horse"}); r.Status != http.StatusOK {
		t.Fatalf("admin sign-in: %d %s", r.Status, r.Body)
	}
}
