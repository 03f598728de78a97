package emailcode_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/authflow"
	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/ratelimit"
)

func TestRequestCodeSendsACodeStoredOnlyAsHash(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	before := time.Now()
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/request-code",
		Body: map[string]any{"email": "Ann@Example.COM"}})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	var body struct {
		Data struct {
			ExpiresAt time.Time `json:"expiresAt"`
		} `json:"data"`
		Metadata struct {
			RequestID string `json:"requestId"`
		} `json:"metadata"`
	}
	resp.Decode(t, &body)
	if d := body.Data.ExpiresAt.Sub(before); d < 9*time.Minute || d > 11*time.Minute {
		t.Errorf("code expires in %s, want 10 minutes", d)
	}
	if body.Metadata.RequestID == "" || body.Metadata.RequestID != resp.Header.Get("X-Request-Id") {
		t.Errorf("metadata.requestId %q, X-Request-Id %q", body.Metadata.RequestID, resp.Header.Get("X-Request-Id"))
	}
	mails := h.MailTo("ann@example.com")
	if len(mails) != 1 {
		t.Fatalf("%d mails to the normalized address, want 1", len(mails))
	}
	m := mails[0]
	var data struct{ Code string }
	if err := jsonUnmarshal(m.Data, &data); err != nil || !sixDigits.MatchString(data.Code) {
		t.Fatalf("data %s", m.Data)
	}
	if m.Template != "emailcode-sign-in" || !bytes.Contains([]byte(m.Text), []byte(data.Code)) || !bytes.Contains([]byte(m.HTML), []byte(data.Code)) || m.Subject == "" {
		t.Errorf("mail %+v does not carry the code", m)
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.codes WHERE email = 'ann@example.com' AND position($1::bytea in code_hash) = 0`, []byte(data.Code)); n != 1 {
		t.Errorf("the stored code row holds the code in clear (or is missing)")
	}
	if n := h.Count(`SELECT count(*) FROM core.mail_outbox WHERE status = 'sent' AND body_text = '' AND data = '{}'`); n != 1 {
		t.Errorf("the sent mail still holds the code in the outbox")
	}
}

func TestRequestCodeReplacesThePreviousCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := requestCode(t, h, "bo@example.com")
	second := requestCode(t, h, "bo@example.com")
	for second == first { // one chance in a million: draw again
		second = requestCode(t, h, "bo@example.com")
	}
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/verify-code",
		Body: map[string]any{"email": "bo@example.com", "code": first}})
	wantError(t, resp, http.StatusBadRequest, "INVALID_CODE")
	verify(t, h, "bo@example.com", second, "")
}

func TestRequestCodeDashboardLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dashboard := func(email string) *handlertest.Response {
		return h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/request-code",
			Body: map[string]any{"email": email, "isDashboardLogin": true}})
	}
	wantError(t, dashboard("nobody@example.com"), http.StatusUnauthorized, "USER_NOT_FOUND")
	signIn(t, h, "user@example.com")
	sentBefore := len(h.MailTo("user@example.com"))
	wantError(t, dashboard("user@example.com"), http.StatusForbidden, "FORBIDDEN")
	if len(h.MailTo("nobody@example.com")) != 0 || len(h.MailTo("user@example.com")) != sentBefore {
		t.Fatal("a refused dashboard login sent mail")
	}
	if _, err := h.App.EmailCode.SetRole(t.Context(), "USER@example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	if resp := dashboard("user@example.com"); resp.Status != http.StatusAccepted {
		t.Fatalf("admin dashboard login: %d %s", resp.Status, resp.Body)
	}
	if len(h.MailTo("user@example.com")) != sentBefore+1 {
		t.Fatal("no code sent to the admin")
	}
}

func TestRequestCodeRateLimits(t *testing.T) {
	t.Parallel()
	h := handlertest.New(t, handlers.Config{Emailcode: authflow.EmailCodeConfig{
		PerEmail: ratelimit.Rule{Name: "email", Limit: 2, Window: time.Minute},
		PerIP:    ratelimit.Rule{Name: "ip", Limit: 4, Window: time.Minute},
	}})
	send := func(email, ip string) *handlertest.Response {
		return h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/request-code", RemoteAddr: ip + ":1234",
			Body: map[string]any{"email": email}})
	}
	for range 2 {
		if resp := send("cy@example.com", "192.0.2.1"); resp.Status != http.StatusAccepted {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
	}
	resp := send("cy@example.com", "192.0.2.2")
	wantError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if got := len(h.MailTo("cy@example.com")); got != 2 {
		t.Fatalf("%d mails, want 2: a limited request sent mail", got)
	}
	// Per client IP: two more addresses from the first IP reach its limit of 4.
	send("d1@example.com", "192.0.2.1")
	send("d2@example.com", "192.0.2.1")
	wantError(t, send("d3@example.com", "192.0.2.1"), http.StatusTooManyRequests, "RATE_LIMITED")
	if resp := send("d3@example.com", "192.0.2.9"); resp.Status != http.StatusAccepted {
		t.Fatalf("another IP is limited too: %d", resp.Status)
	}
}

func TestRequestCodeRateLimitCanBeSwitchedOff(t *testing.T) {
	t.Parallel()
	h := handlertest.New(t, handlers.Config{RateLimitDisabled: true, Emailcode: authflow.EmailCodeConfig{
		PerEmail: ratelimit.Rule{Name: "email", Limit: 1, Window: time.Minute},
	}})
	for range 3 {
		resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/request-code", Body: map[string]any{"email": "e@example.com"}})
		if resp.Status != http.StatusAccepted {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
	}
}
