package emailcode_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/handlertest"
)

func TestMain(m *testing.M) { handlertest.Main(m, "emailcode") }

const base = "/api/v1/auth"

// newHarness starts a server for one test.
func newHarness(t *testing.T) *handlertest.Harness {
	t.Helper()
	return handlertest.New(t, handlers.Config{})
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// requestCode asks for a code for email and returns the code read from the mail that went out.
func requestCode(t *testing.T, h *handlertest.Harness, email string) string {
	t.Helper()
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/request-code", Body: map[string]any{"email": email}})
	if resp.Status != http.StatusAccepted {
		t.Fatalf("request-code: %d %s", resp.Status, resp.Body)
	}
	mails := h.MailTo(strings.ToLower(email))
	if len(mails) == 0 {
		t.Fatal("no mail sent")
	}
	var data struct {
		Code string `json:"code"`
	}
	last := mails[len(mails)-1]
	if err := jsonUnmarshal(last.Data, &data); err != nil || !sixDigits.MatchString(data.Code) {
		t.Fatalf("mail data %s: no 6-digit code (%v)", last.Data, err)
	}
	return data.Code
}

type authResult struct {
	Data struct {
		Token string `json:"token"`
		User  struct {
			ID           string  `json:"id"`
			Email        *string `json:"email"`
			IsAnonymous  bool    `json:"isAnonymous"`
			Role         string  `json:"role"`
			LastSignInAt *string `json:"lastSignInAt"`
		} `json:"user"`
	} `json:"data"`
	Metadata struct {
		RequestID string `json:"requestId"`
		Timestamp string `json:"timestamp"`
	} `json:"metadata"`
}

// verify redeems a code and returns the decoded answer, failing unless it is 200.
func verify(t *testing.T, h *handlertest.Harness, email, code, token string) authResult {
	t.Helper()
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/verify-code", Token: token,
		Body: map[string]any{"email": email, "code": code}})
	if resp.Status != http.StatusOK {
		t.Fatalf("verify-code: %d %s", resp.Status, resp.Body)
	}
	var out authResult
	resp.Decode(t, &out)
	return out
}

// signIn signs email in (signing it up on first use) and returns the answer.
func signIn(t *testing.T, h *handlertest.Harness, email string) authResult {
	t.Helper()
	return verify(t, h, email, requestCode(t, h, email), "")
}

// guest signs in a new guest.
func guest(t *testing.T, h *handlertest.Harness) authResult {
	t.Helper()
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/anonymous"})
	if resp.Status != http.StatusOK {
		t.Fatalf("anonymous: %d %s", resp.Status, resp.Body)
	}
	var out authResult
	resp.Decode(t, &out)
	return out
}

// wantError checks status and the API's error body with the given code.
func wantError(t *testing.T, resp *handlertest.Response, status int, code string) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	resp.Decode(t, &body)
	if body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("error %+v, want code %s with a message", body.Error, code)
	}
}
