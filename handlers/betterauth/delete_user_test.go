package betterauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// userGone checks that the user with id and everything hanging off it is gone.
func userGone(t *testing.T, h *handlertest.Harness, id string) {
	t.Helper()
	for _, q := range []string{
		`SELECT count(*) FROM betterauth."user" WHERE id = $1`,
		`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`,
		`SELECT count(*) FROM betterauth.account WHERE "userId" = $1`,
	} {
		if n := h.Count(q, id); n != 0 {
			t.Fatalf("%s: %d rows left", q, n)
		}
	}
}

// deletionMail asks for a deletion link in b and returns the mail's data.
func deletionMail(t *testing.T, b *browser, email, callbackURL string) map[string]string {
	t.Helper()
	body := map[string]any{}
	if callbackURL != "" {
		body["callbackURL"] = callbackURL
	}
	wantJSON(t, b.post("/delete-user", body), `{"success":true,"message":"Verification email sent"}`)
	return mailData(t, b.h, email, "betterauth-delete-account")
}

func TestDeleteUserByMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	id := a.signUp("fay2@example.com", "reset horse 1", nil).User.ID
	laptop := newBrowser(t, h)
	laptop.signIn("fay2@example.com", "reset horse 1")
	keep := newBrowser(t, h)
	keepID := keep.signUp("keep@example.com", "correct horse", nil).User.ID
	// Deletion through the mailed link.
	r := a.post("/delete-user", map[string]any{"callbackURL": "/bye"})
	if r.Status != 200 || !strings.Contains(string(r.Body), "Verification email sent") {
		t.Fatalf("delete-user: %d %s", r.Status, r.Body)
	}
	wantJSON(t, r, `{"success":true,"message":"Verification email sent"}`)
	wantNoCookies(t, r)
	if a.session() == nil || h.Count(`SELECT count(*) FROM betterauth."user" WHERE id = $1`, id) != 1 {
		t.Fatal("the user is gone before the link was followed")
	}
	data := mailData(t, h, "fay2@example.com", "betterauth-delete-account")
	link, _ := url.Parse(data["url"])
	if link.Scheme+"://"+link.Host+link.Path != origin+base+"/delete-user/callback" || link.Query().Get("callbackURL") != "/bye" ||
		link.Query().Get("token") != data["token"] || !id32.MatchString(data["token"]) {
		t.Fatalf("deletion mail %v", data)
	}
	// Stored under its hash for a day.
	if h.Count(`SELECT count(*) FROM betterauth.verification WHERE identifier = $1 AND value = $2
		AND "expiresAt" BETWEEN now() + interval '23 hours 59 minutes' AND now() + interval '1 day'`,
		"delete-account-"+hashHex(data["token"]), id) != 1 {
		t.Fatal("no verification row for the deletion token")
	}
	if r := a.do(http.MethodGet, pathOf(t, data["url"]), nil); r.Status != 302 || r.Header.Get("Location") != "/bye" {
		t.Fatalf("delete-user/callback: %d %s", r.Status, r.Body)
	}
	wantSignedOutCookies(t, a)
	if h.Count(`SELECT count(*) FROM betterauth."user" WHERE id = $1`, id) != 0 {
		t.Fatal("user not deleted")
	}
	userGone(t, h, id)
	if h.Count(`SELECT count(*) FROM betterauth.verification WHERE value = $1`, id) != 0 {
		t.Fatal("the used deletion token is still stored")
	}
	if laptop.session() != nil {
		t.Fatal("the deleted user's other device is still signed in")
	}
	if keep.session() == nil || h.Count(`SELECT count(*) FROM betterauth."user" WHERE id = $1`, keepID) != 1 {
		t.Fatal("another user was touched")
	}
	// The address is free again.
	newBrowser(t, h).signUp("fay2@example.com", "correct horse", nil)
}

func TestDeleteUserCallbackAnswersJSONWithoutCallbackURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	id := a.signUp("gil@example.com", "correct horse", nil).User.ID
	data := deletionMail(t, a, "gil@example.com", "")
	if u, _ := url.Parse(data["url"]); u.Query().Get("callbackURL") != "/" {
		t.Fatalf("default callbackURL: %s", data["url"])
	}
	r := a.get("/delete-user/callback?token=" + data["token"])
	wantJSON(t, r, `{"success":true,"message":"User deleted"}`)
	wantSignedOutCookies(t, a)
	userGone(t, h, id)
}

func TestDeleteUserCallbackRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("hal@example.com", "correct horse", nil)
	b := newBrowser(t, h)
	b.signUp("ian@example.com", "correct horse", nil)
	tok := deletionMail(t, a, "hal@example.com", "/bye")["token"]
	before := dbState(t, h)
	// Opened where nobody is signed in: 404 FAILED_TO_GET_USER_INFO (Better Auth's answer).
	wantError(t, newBrowser(t, h).get("/delete-user/callback?token="+tok), http.StatusNotFound, "FAILED_TO_GET_USER_INFO")
	// Another user's browser: the token is not theirs.
	wantError(t, b.get("/delete-user/callback?token="+tok), http.StatusNotFound, "INVALID_TOKEN")
	wantError(t, a.get("/delete-user/callback?token="+otherToken(tok)), http.StatusNotFound, "INVALID_TOKEN")
	wantError(t, a.get("/delete-user/callback"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, a.get("/delete-user/callback?token="+tok+"&callbackURL="+url.QueryEscape("https://evil.example/")),
		http.StatusForbidden, "INVALID_CALLBACK_URL")
	wantUnchanged(t, h, before)
	// None of that used the token up: its owner still can.
	if r := a.get("/delete-user/callback?token=" + tok + "&callbackURL=%2Fbye"); r.Status != http.StatusFound {
		t.Fatalf("owner after refusals: %d %s", r.Status, r.Body)
	}
	// An expired token is dead.
	tok = deletionMail(t, b, "ian@example.com", "")["token"]
	h.Exec(`UPDATE betterauth.verification SET "expiresAt" = now() - interval '1 second'`)
	wantError(t, b.get("/delete-user/callback?token="+tok), http.StatusNotFound, "INVALID_TOKEN")
	if b.session() == nil {
		t.Fatal("an expired token deleted the user")
	}
}

func TestDeleteUserWithPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	id := a.signUp("jim@example.com", "correct horse", nil).User.ID
	before := dbState(t, h)
	wantError(t, a.post("/delete-user", map[string]any{"password": "wrong horse"}), http.StatusBadRequest, "INVALID_PASSWORD")
	wantUnchanged(t, h, before)
	r := a.post("/delete-user", map[string]any{"password": "correct horse"})
	wantJSON(t, r, `{"success":true,"message":"User deleted"}`)
	wantSignedOutCookies(t, a)
	userGone(t, h, id)
	if len(h.Mail()) != 0 {
		t.Fatal("deletion with the password sent mail")
	}
	// A user without a password account cannot give one.
	s := newBrowser(t, h)
	sid := s.signUp("kim@example.com", "correct horse", nil).User.ID
	h.Exec(`DELETE FROM betterauth.account WHERE "userId" = $1`, sid)
	wantError(t, s.post("/delete-user", map[string]any{"password": "correct horse"}), http.StatusBadRequest, "CREDENTIAL_ACCOUNT_NOT_FOUND")
	if h.Count(`SELECT count(*) FROM betterauth."user" WHERE id = $1`, sid) != 1 {
		t.Fatal("refused deletion deleted")
	}
}

func TestDeleteUserWithToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	id := a.signUp("lia@example.com", "correct horse", nil).User.ID
	b := newBrowser(t, h)
	b.signUp("mo@example.com", "correct horse", nil)
	tok := deletionMail(t, a, "lia@example.com", "")["token"]
	before := dbState(t, h)
	wantError(t, a.post("/delete-user", map[string]any{"token": otherToken(tok)}), http.StatusNotFound, "INVALID_TOKEN")
	wantError(t, b.post("/delete-user", map[string]any{"token": tok}), http.StatusNotFound, "INVALID_TOKEN")
	wantUnchanged(t, h, before)
	r := a.post("/delete-user", map[string]any{"token": tok})
	wantJSON(t, r, `{"success":true,"message":"User deleted"}`)
	wantSignedOutCookies(t, a)
	userGone(t, h, id)
	if b.session() == nil {
		t.Fatal("another user was touched")
	}
}

func TestDeleteUserRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ned@example.com", "correct horse", nil)
	before := dbState(t, h)
	wantError(t, a.post("/delete-user", map[string]any{"callbackURL": "https://evil.example/bye"}), http.StatusForbidden, "INVALID_CALLBACK_URL")
	wantError(t, newBrowser(t, h).post("/delete-user", map[string]any{}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, a.do(http.MethodPost, base+"/delete-user", nil), http.StatusBadRequest, "VALIDATION_ERROR")
	wantUnchanged(t, h, before)
}
