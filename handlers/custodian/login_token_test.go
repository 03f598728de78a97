package custodian_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/custodianflow"
	"gatehouse/handlers/internal/handlertest"
)

// requestToken asks for a login token for email and returns the one mailed, failing when none was.
func requestToken(t *testing.T, h *handlertest.Harness, email string) string {
	t.Helper()
	resp := send(h, http.MethodPost, "/auth/login-token", "", map[string]any{"email": email})
	if resp.Status != http.StatusOK {
		t.Fatalf("login-token: %d %s", resp.Status, resp.Body)
	}
	mails := h.MailTo(strings.ToLower(email))
	if len(mails) == 0 {
		t.Fatal("no mail sent")
	}
	last := mails[len(mails)-1]
	if last.Template != "custodian-login-token" {
		t.Fatalf("template %s", last.Template)
	}
	var data struct {
		Token string `json:"token"`
		URL   string `json:"url"`
	}
	if err := json.Unmarshal(last.Data, &data); err != nil || data.Token == "" {
		t.Fatalf("mail data %s: %v", last.Data, err)
	}
	u, err := url.Parse(data.URL)
	if err != nil || u.Query().Get("token") != data.Token || u.Query().Get("email") != strings.ToLower(email) {
		t.Fatalf("url %q does not carry the token and email", data.URL)
	}
	if !strings.Contains(last.Text, data.Token) {
		t.Fatal("the text does not show the token")
	}
	return data.Token
}

func tokenLogin(h *handlertest.Harness, email, token string) *handlertest.Response {
	return loginResp(h, map[string]any{"email": email, "token": token})
}

func TestLoginTokenLogsInOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := register(t, h, "eve@example.com")
	tok := requestToken(t, h, "Eve@example.com")
	if n := h.Count(`SELECT count(*) FROM custodian.login_tokens WHERE token_hash = convert_to($1, 'UTF8')`, tok); n != 0 {
		t.Fatal("the token is stored in clear")
	}
	lastEventData(t, h, u.ID, "auth/login-token-requested")

	wantError(t, tokenLogin(h, "other@example.com", tok), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	resp := tokenLogin(h, "eve@example.com", tok)
	if resp.Status != http.StatusOK {
		t.Fatalf("token login: %d %s", resp.Status, resp.Body)
	}
	if data := lastEventData(t, h, u.ID, "auth/success"); data["method"] != "token" {
		t.Fatalf("auth/success %v", data)
	}
	wantError(t, tokenLogin(h, "eve@example.com", tok), http.StatusUnauthorized, "INVALID_CREDENTIALS") // used
	if data := lastEventData(t, h, u.ID, "auth/failure"); data["method"] != "token" {
		t.Fatalf("auth/failure %v", data)
	}

	expired := requestToken(t, h, "eve@example.com")
	h.Exec(`UPDATE custodian.login_tokens SET expires_at = now() - interval '1 second'`)
	wantError(t, tokenLogin(h, "eve@example.com", expired), http.StatusUnauthorized, "INVALID_CREDENTIALS")
}

func TestLoginTokenAnswersTheSameForUnknownEmails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	register(t, h, "fay@example.com")
	known := send(h, http.MethodPost, "/auth/login-token", "", map[string]any{"email": "fay@example.com"})
	unknown := send(h, http.MethodPost, "/auth/login-token", "", map[string]any{"email": "nobody@example.com"})
	if known.Status != http.StatusOK || unknown.Status != http.StatusOK || string(known.Body) != string(unknown.Body) {
		t.Fatalf("known %d %s, unknown %d %s", known.Status, known.Body, unknown.Status, unknown.Body)
	}
	if len(h.MailTo("nobody@example.com")) != 0 || len(h.MailTo("fay@example.com")) != 1 {
		t.Fatal("mail went to the wrong place")
	}
	if n := h.Count(`SELECT count(*) FROM custodian.login_tokens`); n != 1 {
		t.Fatalf("%d tokens", n)
	}
	for _, body := range []any{map[string]any{}, map[string]any{"email": "nope"}, "x"} {
		wantError(t, send(h, http.MethodPost, "/auth/login-token", "", body), http.StatusBadRequest, "BAD_REQUEST")
	}
	wantMessage(t, wantError(t, send(h, http.MethodPost, "/auth/login-token", "", map[string]any{}), http.StatusBadRequest, "BAD_REQUEST"), "Missing email")
}

func TestLoginTokenIsLimitedPerEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	register(t, h, "gil@example.com")
	for range 5 {
		requestToken(t, h, "gil@example.com")
	}
	resp := send(h, http.MethodPost, "/auth/login-token", "", map[string]any{"email": "gil@example.com"})
	wantError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")
	if len(h.MailTo("gil@example.com")) != 5 {
		t.Fatal("a limited request sent mail")
	}
}

func TestLoginTokenConcurrentRedemptionSucceedsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	register(t, h, "hal@example.com")
	tok := requestToken(t, h, "hal@example.com")
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = tokenLogin(h, "hal@example.com", tok).Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded, want 1 (%v)", ok, statuses)
	}
	if c := h.Count(`SELECT count(*) FROM custodian.sessions`); c != 1 {
		t.Fatalf("%d sessions, want 1", c)
	}
}

// A new login token replaces the ones mailed before: only the newest mail logs in, so that an
// older mail left in a mailbox is worth nothing.
func TestLoginTokenRequestReplacesOlderTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	register(t, h, "hal@example.com")
	older := requestToken(t, h, "hal@example.com")
	newer := requestToken(t, h, "hal@example.com")
	wantError(t, tokenLogin(h, "hal@example.com", older), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if resp := tokenLogin(h, "hal@example.com", newer); resp.Status != http.StatusOK {
		t.Fatalf("newest token: %d %s", resp.Status, resp.Body)
	}
}

// How long a login-token request takes does not tell whether the address has an account: the
// mail's transaction for a known address outlasts the lookup of an unknown one, so every answer
// waits for the same least time.
func TestLoginTokenTakesTheSameTimeForUnknownEmails(t *testing.T) {
	t.Parallel()
	const least = 150 * time.Millisecond
	h := handlertest.New(t, handlers.Config{Custodian: custodianflow.Config{LoginTokenAnswerTime: least}})
	register(t, h, "ivy@example.com")
	for _, email := range []string{"ivy@example.com", "nobody@example.com"} {
		start := time.Now()
		resp := send(h, http.MethodPost, "/auth/login-token", "", map[string]any{"email": email})
		if took := time.Since(start); resp.Status != http.StatusOK || took < least {
			t.Fatalf("%s: %d after %v, want 200 after at least %v", email, resp.Status, took, least)
		}
	}
	if len(h.MailTo("ivy@example.com")) != 1 {
		t.Fatal("no mail for the known address")
	}
	// A wrong token writes an auth/failure event for a known address only.
	for _, email := range []string{"ivy@example.com", "nobody@example.com"} {
		start := time.Now()
		resp := tokenLogin(h, email, "wrong-token")
		if took := time.Since(start); resp.Status != http.StatusUnauthorized || took < least {
			t.Fatalf("token login of %s: %d after %v, want 401 after at least %v", email, resp.Status, took, least)
		}
	}
}

// The mail's link keeps the query CUSTODIAN_LOGIN_URL already has.
func TestLoginTokenLinkKeepsTheLoginPageQuery(t *testing.T) {
	t.Parallel()
	h := handlertest.New(t, handlers.Config{Custodian: custodianflow.Config{LoginURL: "https://app.example.com/login?lang=nl"}})
	register(t, h, "jon@example.com")
	tok := requestToken(t, h, "jon@example.com") // checks the link's email and token
	var data struct {
		URL string `json:"url"`
	}
	mails := h.MailTo("jon@example.com")
	if err := json.Unmarshal(mails[len(mails)-1].Data, &data); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(data.URL)
	if err != nil || u.Host != "app.example.com" || u.Path != "/login" || u.Query().Get("lang") != "nl" || u.Query().Get("token") != tok {
		t.Fatalf("link %q", data.URL)
	}
}

// A login token asked for the old address while the email change commits is not mailed there:
// the old address no longer names the account.
func TestLoginTokenForAnAddressChangedInFlightIsNotMailed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := register(t, h, "kai@example.com")
	resp := changedInFlight(t, h, u.ID, `UPDATE custodian.users SET email = 'kai.new@example.com' WHERE id = $1`,
		http.MethodPost, "/auth/login-token", "", map[string]any{"email": "kai@example.com"})
	if resp.Status != http.StatusOK {
		t.Fatalf("login-token: %d %s", resp.Status, resp.Body)
	}
	if n := len(h.MailTo("kai@example.com")); n != 0 {
		t.Fatalf("%d login-token mails went to the old address", n)
	}
	if n := h.Count(`SELECT count(*) FROM custodian.login_tokens`); n != 0 {
		t.Fatalf("%d login tokens stored", n)
	}
}
