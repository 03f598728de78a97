package betterauth_test

import (
	"net/http"
	"net/url"
	"testing"
)

// verifiedBrowser signs up email and verifies it through the mailed link.
func verifiedBrowser(t *testing.T, b *browser, email string) string {
	t.Helper()
	id := b.signUp(email, "correct horse", nil).User.ID
	b.post("/send-verification-email", map[string]any{"email": email})
	if r := b.do(http.MethodGet, pathOf(t, mailData(t, b.h, email, "betterauth-verify-email")["url"]), nil); r.Status != http.StatusFound {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	return id
}

func TestChangeEmailOfAVerifiedUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	id := verifiedBrowser(t, a, "fay@example.com")
	// Change of address: approve from the old address, confirm at the new one.
	r := a.post("/change-email", map[string]any{"newEmail": "Fay2@example.com", "callbackURL": "/moved"})
	if r.Status != 200 {
		t.Fatalf("change-email: %d %s", r.Status, r.Body)
	}
	wantJSON(t, r, `{"status":true}`)
	if len(h.MailTo("fay2@example.com")) != 0 {
		t.Fatal("a verified user's change mailed the new address before the old one approved")
	}
	approve := mailData(t, h, "fay@example.com", "betterauth-change-email")
	if approve["newEmail"] != "fay2@example.com" {
		t.Fatalf("change mail data %v", approve)
	}
	if u, _ := url.Parse(approve["url"]); u.Path != base+"/verify-email" || u.Query().Get("callbackURL") != "/moved" {
		t.Fatalf("approval link %s", approve["url"])
	}
	a.do(http.MethodGet, pathOf(t, approve["url"]), nil)
	if a.session().User.Email != "fay@example.com" {
		t.Fatal("the address changed before the new one was confirmed")
	}
	confirm := mailData(t, h, "fay2@example.com", "betterauth-verify-email")
	if u, _ := url.Parse(confirm["url"]); u.Query().Get("callbackURL") != "/moved" {
		t.Fatalf("the confirmation link lost the callbackURL: %s", confirm["url"])
	}
	if r := a.do(http.MethodGet, pathOf(t, confirm["url"]), nil); r.Status != 302 || r.Header.Get("Location") != "/moved" {
		t.Fatalf("confirm new address: %d %s", r.Status, r.Body)
	}
	if s := a.session(); s.User.Email != "fay2@example.com" {
		t.Fatalf("email is %s", s.User.Email)
	}
	if h.Count(`SELECT count(*) FROM betterauth."user" WHERE id = $1 AND email = 'fay2@example.com' AND "emailVerified"`, id) != 1 {
		t.Fatal("the stored address did not change")
	}
	// The new address signs in; the old one no longer does.
	newBrowser(t, h).signIn("fay2@example.com", "correct horse")
	wantError(t, newBrowser(t, h).post("/sign-in/email", map[string]any{"email": "fay@example.com", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	// The used links are dead: they name an address the account no longer has.
	wantError(t, a.do(http.MethodGet, withoutCallback(t, confirm["url"]), nil), http.StatusUnauthorized, "INVALID_TOKEN")
	wantError(t, a.do(http.MethodGet, withoutCallback(t, approve["url"]), nil), http.StatusUnauthorized, "INVALID_TOKEN")
}

func TestChangeEmailJSONAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	verifiedBrowser(t, a, "gia@example.com")
	a.post("/change-email", map[string]any{"newEmail": "gia2@example.com"})
	// Without callbackURL: the approval answers {"status":true} without a user.
	wantJSON(t, a.do(http.MethodGet, withoutCallback(t, mailData(t, h, "gia@example.com", "betterauth-change-email")["url"]), nil), `{"status":true}`)
	// The confirmation answers the updated user and sends the session cookie again.
	tok := a.token()
	r := a.do(http.MethodGet, withoutCallback(t, mailData(t, h, "gia2@example.com", "betterauth-verify-email")["url"]), nil)
	var body struct {
		Status bool  `json:"status"`
		User   *user `json:"user"`
	}
	r.Decode(t, &body)
	if r.Status != http.StatusOK || !body.Status || body.User == nil || body.User.Email != "gia2@example.com" || !body.User.EmailVerified {
		t.Fatalf("confirmation: %d %s", r.Status, r.Body)
	}
	wantSessionCookie(t, a, tok, 604800)
}

func TestChangeEmailOfAnUnverifiedUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("hal@example.com", "correct horse", nil)
	wantJSON(t, a.post("/change-email", map[string]any{"newEmail": "hal2@example.com"}), `{"status":true}`)
	// Nothing to approve from an unproven address: the link goes to the new one directly.
	if len(h.MailTo("hal@example.com")) != 0 {
		t.Fatal("mail to the unverified old address")
	}
	data := mailData(t, h, "hal2@example.com", "betterauth-verify-email")
	if data["newEmail"] != "hal2@example.com" {
		t.Fatalf("mail data %v", data)
	}
	if a.session().User.Email != "hal@example.com" {
		t.Fatal("the address changed before it was confirmed")
	}
	if r := a.do(http.MethodGet, pathOf(t, data["url"]), nil); r.Status != http.StatusFound || r.Header.Get("Location") != "/" {
		t.Fatalf("confirm: %d %v", r.Status, r.Header)
	}
	if s := a.session(); s.User.Email != "hal2@example.com" {
		t.Fatalf("email is %s", s.User.Email)
	}
}

func TestChangeEmailRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("ike@example.com", "correct horse", nil)
	newBrowser(t, h).signUp("taken@example.com", "correct horse", nil)
	before := dbState(t, h)
	// An address someone has: the same answer, and no mail to anyone.
	wantJSON(t, a.post("/change-email", map[string]any{"newEmail": "Taken@example.com"}), `{"status":true}`)
	r := a.post("/change-email", map[string]any{"newEmail": "IKE@example.com"})
	wantError(t, r, http.StatusBadRequest, "EMAIL_IS_THE_SAME")
	if !jsonHas(t, r, "message", "Email is the same") {
		t.Fatalf("same address: %s", r.Body)
	}
	wantError(t, a.post("/change-email", map[string]any{"newEmail": "new@example.com", "callbackURL": "https://evil.example/"}),
		http.StatusForbidden, "INVALID_CALLBACK_URL")
	wantError(t, a.post("/change-email", map[string]any{"newEmail": "not-an-email"}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, newBrowser(t, h).post("/change-email", map[string]any{"newEmail": "new@example.com"}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
}

func TestChangeEmailLinkNeedsItsOwnUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("jon@example.com", "correct horse", nil)
	a.post("/change-email", map[string]any{"newEmail": "jon2@example.com"})
	link := mailData(t, h, "jon2@example.com", "betterauth-verify-email")["url"]
	// Opened where another user is signed in: refused, or redirected with the error.
	other := newBrowser(t, h)
	other.signUp("kat@example.com", "correct horse", nil)
	before := dbState(t, h)
	wantError(t, other.do(http.MethodGet, withoutCallback(t, link), nil), http.StatusUnauthorized, "INVALID_USER")
	if r := other.do(http.MethodGet, pathOf(t, link), nil); r.Status != http.StatusFound || r.Header.Get("Location") != "/?error=INVALID_USER" {
		t.Fatalf("with callbackURL: %d %q", r.Status, r.Header.Get("Location"))
	}
	wantUnchanged(t, h, before)
	// Opened signed out, it works.
	if r := newBrowser(t, h).do(http.MethodGet, pathOf(t, link), nil); r.Status != http.StatusFound || r.Header.Get("Location") != "/" {
		t.Fatalf("signed out: %d %q", r.Status, r.Header.Get("Location"))
	}
	if a.session().User.Email != "jon2@example.com" {
		t.Fatal("the address did not change")
	}
}

// jsonHas reports whether the top-level key of the JSON body is the string want.
func jsonHas(t *testing.T, r interface {
	JSON(testing.TB) map[string]any
}, key, want string) bool {
	t.Helper()
	v, ok := r.JSON(t)[key].(string)
	return ok && v == want
}
