package betterauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/handlertest"
)

func TestMain(m *testing.M) { handlertest.Main(m, "betterauth") }

const (
	base   = "/api/auth"
	origin = handlertest.BaseURL
)

// newHarness starts a server with Better Auth's rate limits off (tests of the limits turn them on).
func newHarness(t *testing.T, cfgs ...func(*handlers.Config)) *handlertest.Harness {
	t.Helper()
	cfg := handlers.Config{}
	cfg.BetterAuth.RateLimitOff = true
	for _, f := range cfgs {
		f(&cfg)
	}
	return handlertest.New(t, cfg)
}

// browser is one browser: a cookie jar and the Origin header its pages send.
type browser struct {
	t       *testing.T
	h       *handlertest.Harness
	origin  string
	cookies map[string]string
	// last holds the Set-Cookie headers of the last answer, by cookie name.
	last map[string]*http.Cookie
}

func newBrowser(t *testing.T, h *handlertest.Harness) *browser {
	return &browser{t: t, h: h, origin: origin, cookies: map[string]string{}}
}

// do sends a request with the jar's cookies and the browser's Origin and keeps the cookies set.
func (b *browser) do(method, path string, body any) *handlertest.Response {
	b.t.Helper()
	hdr := http.Header{}
	if b.origin != "" && method != http.MethodGet {
		hdr.Set("Origin", b.origin)
	}
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		hdr.Set("Cookie", strings.Join(parts, "; "))
	}
	resp := b.h.Do(handlertest.Request{Method: method, Path: path, Body: body, Header: hdr})
	b.last = map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		b.last[c.Name] = c
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp
}

func (b *browser) post(path string, body any) *handlertest.Response {
	b.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return b.do(http.MethodPost, base+path, body)
}

func (b *browser) get(path string) *handlertest.Response {
	b.t.Helper()
	return b.do(http.MethodGet, base+path, nil)
}

type user struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	Email           string  `json:"email"`
	EmailVerified   bool    `json:"emailVerified"`
	Image           *string `json:"image"`
	Username        *string `json:"username"`
	DisplayUsername *string `json:"displayUsername"`
	Role            string  `json:"role"`
	CreatedAt       string  `json:"createdAt"`
}

type session struct {
	ID        string `json:"id"`
	Token     string `json:"token"`
	UserID    string `json:"userId"`
	ExpiresAt string `json:"expiresAt"`
	CreatedAt string `json:"createdAt"`
}

type authResult struct {
	Token    *string `json:"token"`
	Redirect bool    `json:"redirect"`
	User     user    `json:"user"`
}

// signUp creates an account in b and returns the answer.
func (b *browser) signUp(email, password string, extra map[string]any) authResult {
	b.t.Helper()
	body := map[string]any{"name": "Ann", "email": email, "password": password}
	for k, v := range extra {
		body[k] = v
	}
	resp := b.post("/sign-up/email", body)
	if resp.Status != http.StatusOK {
		b.t.Fatalf("sign-up: %d %s", resp.Status, resp.Body)
	}
	var out authResult
	resp.Decode(b.t, &out)
	return out
}

// session returns b's session and user, or nil when get-session answers null.
func (b *browser) session() *struct {
	Session session `json:"session"`
	User    user    `json:"user"`
} {
	b.t.Helper()
	resp := b.get("/get-session")
	if resp.Status != http.StatusOK {
		b.t.Fatalf("get-session: %d %s", resp.Status, resp.Body)
	}
	if string(resp.Body) == "null\n" {
		return nil
	}
	var out struct {
		Session session `json:"session"`
		User    user    `json:"user"`
	}
	resp.Decode(b.t, &out)
	return &out
}

// wantError checks a Better Auth error answer.
func wantError(t *testing.T, resp *handlertest.Response, status int, code string) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	var body struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	resp.Decode(t, &body)
	if body.Code != code || body.Message == "" {
		t.Fatalf("error %+v, want code %s with a message", body, code)
	}
}

// mailData returns the data of the newest mail to addr with template, failing when there is none.
func mailData(t *testing.T, h *handlertest.Harness, addr, template string) map[string]string {
	t.Helper()
	mails := h.MailTo(addr)
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].Template == template {
			var data map[string]any
			if err := json.Unmarshal(mails[i].Data, &data); err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for k, v := range data {
				if s, ok := v.(string); ok {
					out[k] = s
				}
			}
			return out
		}
	}
	t.Fatalf("no %s mail to %s among %d", template, addr, len(mails))
	return nil
}

// pathOf is the path and query of an absolute link from a mail.
func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		t.Fatalf("link %q is not absolute", link)
	}
	return u.RequestURI()
}
