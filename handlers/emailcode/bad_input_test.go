package emailcode_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// Every operation refuses bad input with a 4xx in this API's error body and changes nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	token := guest(t, h).Data.Token
	huge := `{"email":"` + strings.Repeat("a", 2<<20) + `@example.com"}`
	type tc struct {
		name        string
		method      string
		path        string
		body        any
		contentType string
		token       string
		status      int
		code        string
	}
	cases := []tc{
		// request-code
		{"request-code malformed JSON", "POST", "/request-code", `{"email":`, "", "", 400, "INVALID_JSON"},
		{"request-code not an object", "POST", "/request-code", `[1,2]`, "", "", 400, "VALIDATION_FAILED"},
		{"request-code missing email", "POST", "/request-code", `{}`, "", "", 400, "VALIDATION_FAILED"},
		{"request-code email wrong type", "POST", "/request-code", `{"email":42}`, "", "", 400, "VALIDATION_FAILED"},
		{"request-code malformed email", "POST", "/request-code", `{"email":"not-an-email"}`, "", "", 400, "VALIDATION_FAILED"},
		{"request-code email with display name", "POST", "/request-code", `{"email":"Ann <ann@example.com>"}`, "", "", 400, "VALIDATION_FAILED"},
		{"request-code dashboard wrong type", "POST", "/request-code", `{"email":"a@example.com","isDashboardLogin":"yes"}`, "", "", 400, "VALIDATION_FAILED"},
		{"request-code unknown field", "POST", "/request-code", `{"email":"a@example.com","role":"admin"}`, "", "", 400, "VALIDATION_FAILED"},
		{"request-code empty body", "POST", "/request-code", ``, "", "", 400, "VALIDATION_FAILED"},
		{"request-code wrong content type", "POST", "/request-code", `email=a@example.com`, "application/x-www-form-urlencoded", "", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"request-code oversized", "POST", "/request-code", huge, "", "", 413, "PAYLOAD_TOO_LARGE"},
		// verify-code
		{"verify-code malformed JSON", "POST", "/verify-code", `{"email":"a@example.com","code":`, "", "", 400, "INVALID_JSON"},
		{"verify-code missing code", "POST", "/verify-code", `{"email":"a@example.com"}`, "", "", 400, "VALIDATION_FAILED"},
		{"verify-code missing email", "POST", "/verify-code", `{"code":"123456"}`, "", "", 400, "VALIDATION_FAILED"},
		{"verify-code code wrong type", "POST", "/verify-code", `{"email":"a@example.com","code":123456}`, "", "", 400, "VALIDATION_FAILED"},
		{"verify-code code too short", "POST", "/verify-code", `{"email":"a@example.com","code":"12345"}`, "", "", 400, "VALIDATION_FAILED"},
		{"verify-code code not digits", "POST", "/verify-code", `{"email":"a@example.com","code":"12345x"}`, "", "", 400, "VALIDATION_FAILED"},
		{"verify-code unknown field", "POST", "/verify-code", `{"email":"a@example.com","code":"123456","admin":true}`, "", "", 400, "VALIDATION_FAILED"},
		{"verify-code wrong content type", "POST", "/verify-code", `hello`, "text/plain", "", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"verify-code oversized", "POST", "/verify-code", huge, "", "", 413, "PAYLOAD_TOO_LARGE"},
		// anonymous
		{"anonymous oversized", "POST", "/anonymous", huge, "", "", 413, "PAYLOAD_TOO_LARGE"},
		{"anonymous wrong method", "GET", "/anonymous", nil, "", "", 405, "METHOD_NOT_ALLOWED"},
		// me
		{"me without token", "GET", "/me", nil, "", "", 401, "UNAUTHORIZED"},
		{"me with garbage token", "GET", "/me", nil, "", "garbage", 401, "UNAUTHORIZED"},
		{"me wrong method", "POST", "/me", nil, "", token, 405, "METHOD_NOT_ALLOWED"},
		// sign-out
		{"sign-out without token", "POST", "/sign-out", nil, "", "", 401, "UNAUTHORIZED"},
		{"sign-out oversized", "POST", "/sign-out", huge, "", token, 413, "PAYLOAD_TOO_LARGE"},
		// delete-account
		{"delete-account without token", "DELETE", "/delete-account", nil, "", "", 401, "UNAUTHORIZED"},
		{"delete-account oversized", "DELETE", "/delete-account", huge, "", token, 413, "PAYLOAD_TOO_LARGE"},
		{"delete-account wrong method", "POST", "/delete-account", nil, "", token, 405, "METHOD_NOT_ALLOWED"},
		// no such path under the mount
		{"unknown path", "GET", "/nope", nil, "", "", 404, "NOT_FOUND"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := handlertest.Request{Method: c.method, Path: base + c.path, ContentType: c.contentType, Token: c.token}
			if s, ok := c.body.(string); ok {
				req.Body = []byte(s)
				if s == "" {
					req.Body = []byte{}
				}
			}
			resp := h.Do(req)
			wantError(t, resp, c.status, c.code)
			if strings.Contains(string(resp.Body), "aaaaaaaaaa") {
				t.Fatal("the error echoes the request")
			}
		})
	}
	// Nothing changed: no user but the guest, no code, no mail.
	if n := h.Count(`SELECT count(*) FROM emailcode.users`); n != 1 {
		t.Fatalf("%d users after bad requests, want only the guest", n)
	}
	if n := h.Count(`SELECT count(*) FROM emailcode.codes`); n != 0 {
		t.Fatal("a bad request stored a code")
	}
	if len(h.Mail()) != 0 {
		t.Fatal("a bad request sent mail")
	}
	// The guest's session is intact: the oversized sign-out and delete did nothing.
	if me := h.Do(handlertest.Request{Method: http.MethodGet, Path: base + "/me", Token: token}); me.Status != http.StatusOK {
		t.Fatalf("the guest's session was touched: %d", me.Status)
	}
}
