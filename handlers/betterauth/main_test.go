package betterauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/handlertest"
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

func TestMain(m *testing.M) { handlertest.Main(m, "betterauth") }

const (
	base   = "/api/auth"
	origin = handlertest.BaseURL
)

var (
	id32    = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	jsDate  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	cookieV = regexp.MustCompile(`^[A-Za-z0-9]{32}\.[A-Za-z0-9%]+%3D$`)
	sha256H = regexp.MustCompile(`^[0-9a-f]{64}$`)
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
	// header is sent with every request (Referer, Sec-Fetch-*, ...).
	header http.Header
	// last holds the Set-Cookie headers of the last answer, by cookie name.
	last map[string]*http.Cookie
}

func newBrowser(t *testing.T, h *handlertest.Harness) *browser {
	return &browser{t: t, h: h, origin: origin, cookies: map[string]string{}}
}

// do sends a request with the jar's cookies and the browser's Origin and keeps the cookies set.
func (b *browser) do(method, path string, body any) *handlertest.Response {
	b.t.Helper()
	return b.send(method, path, body, "")
}

// send is do with a content type of its own ("" for the default, application/json).
func (b *browser) send(method, path string, body any, contentType string) *handlertest.Response {
	b.t.Helper()
	hdr := b.header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if b.origin != "" && method != http.MethodGet {
		hdr.Set("Origin", b.origin)
	}
	if c := b.cookieHeader(); c != "" {
		hdr.Set("Cookie", c)
	}
	resp := b.h.Do(handlertest.Request{Method: method, Path: path, Body: body, ContentType: contentType, Header: hdr})
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

func (b *browser) cookieHeader() string {
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "; ")
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

// token is the session token the browser's session cookie carries ("" without one).
func (b *browser) token() string {
	v, err := url.QueryUnescape(b.cookies["better-auth.session_token"])
	if err != nil {
		b.t.Fatal(err)
	}
	tok, _, _ := strings.Cut(v, ".")
	return tok
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
	UpdatedAt       string  `json:"updatedAt"`
}

type session struct {
	ID        string `json:"id"`
	Token     string `json:"token"`
	UserID    string `json:"userId"`
	ExpiresAt string `json:"expiresAt"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

type authResult struct {
	Token    *string `json:"token"`
	Redirect bool    `json:"redirect"`
	URL      *string `json:"url"`
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

// signIn signs b in with email and password, failing unless it works.
func (b *browser) signIn(email, password string) authResult {
	b.t.Helper()
	resp := b.post("/sign-in/email", map[string]any{"email": email, "password": password})
	if resp.Status != http.StatusOK {
		b.t.Fatalf("sign-in: %d %s", resp.Status, resp.Body)
	}
	var out authResult
	resp.Decode(b.t, &out)
	return out
}

type sessionAndUser struct {
	Session session `json:"session"`
	User    user    `json:"user"`
}

// session returns b's session and user, or nil when get-session answers null.
func (b *browser) session() *sessionAndUser {
	b.t.Helper()
	resp := b.get("/get-session")
	if resp.Status != http.StatusOK {
		b.t.Fatalf("get-session: %d %s", resp.Status, resp.Body)
	}
	if string(resp.Body) == "null\n" {
		return nil
	}
	var out sessionAndUser
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
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error with content type %q", ct)
	}
}

// wantJSON checks a 200 answer whose body is exactly the JSON want.
func wantJSON(t *testing.T, resp *handlertest.Response, want string) {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", resp.Status, resp.Body)
	}
	var got, exp any
	resp.Decode(t, &got)
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		t.Fatalf("body %s, want %s", g, e)
	}
}

// wantSignedOutCookies checks that the last answer to b expired the three session cookies as
// Better Auth does (Max-Age=0, Path=/, HttpOnly, SameSite=Lax).
func wantSignedOutCookies(t *testing.T, b *browser) {
	t.Helper()
	for _, name := range []string{"session_token", "session_data", "dont_remember"} {
		c := b.last["better-auth."+name]
		if c == nil || c.MaxAge >= 0 || c.Value != "" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("the answer does not expire %s: %+v", name, c)
		}
	}
}

// wantNoCookies checks that resp sets no cookie.
func wantNoCookies(t *testing.T, resp *handlertest.Response) {
	t.Helper()
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Fatalf("unexpected Set-Cookie %q", sc)
	}
}

// wantSessionCookie checks that the last answer to b set a session cookie for tok with Better
// Auth's attributes (Max-Age one week, or none for a session not remembered).
func wantSessionCookie(t *testing.T, b *browser, tok string, maxAge int) {
	t.Helper()
	c := b.last["better-auth.session_token"]
	if c == nil || !cookieV.MatchString(c.Value) || !strings.HasPrefix(c.Value, tok+".") ||
		c.MaxAge != maxAge || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure {
		t.Fatalf("session cookie %+v, want one for %s with Max-Age %d", c, tok, maxAge)
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

// mailCount is the number of mails with template sent to addr so far.
func mailCount(h *handlertest.Harness, addr, template string) int {
	n := 0
	for _, m := range h.MailTo(addr) {
		if m.Template == template {
			n++
		}
	}
	return n
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

// withoutCallback is the path and query of a mailed link without its callbackURL, as a client
// calling the endpoint itself (rather than following the link) sends it.
func withoutCallback(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(pathOf(t, link))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("callbackURL")
	u.RawQuery = q.Encode()
	return u.String()
}

// dbString runs a query returning one text value (NULL reads as "<null>").
func dbString(t *testing.T, h *handlertest.Harness, sql string, args ...any) string {
	t.Helper()
	var v *string
	if err := h.Store.Pool().QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if v == nil {
		return "<null>"
	}
	return *v
}

// dbState counts the rows of every Better Auth table and the mail sent, to show that a refused
// request changed nothing.
func dbState(t *testing.T, h *handlertest.Harness) map[string]int {
	t.Helper()
	out := map[string]int{"mail": len(h.Mail())}
	// Row counts, and a fingerprint of every row for changes that keep the counts (a profile, a
	// role, a password, an expiry, a key's usage).
	for _, table := range []string{`"user"`, "session", "account", "verification",
		`"twoFactor"`, "passkey", "apikey", "organization", "member", "invitation"} {
		out[table] = h.Count(`SELECT count(*) FROM betterauth.` + table)
		out["fingerprint"] += h.Count(`SELECT coalesce(sum(hashtext(t::text)), 0)::bigint % 1000000007 FROM betterauth.` + table + ` t`)
	}
	return out
}

// wantUnchanged fails when the database or the outbox moved since before.
func wantUnchanged(t *testing.T, h *handlertest.Harness, before map[string]int) {
	t.Helper()
	after := dbState(t, h)
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("%s changed: %d before, %d after", k, v, after[k])
		}
	}
}

// idpHarness starts an OpenID provider "idp" whose next user is u, and a server using it.
func idpHarness(t *testing.T, u oidctest.User, cfgs ...func(*handlers.Config)) (*handlertest.Harness, *oidctest.Server) {
	t.Helper()
	idp := oidctest.New(t)
	idp.SetUser(u)
	cfgs = append([]func(*handlers.Config){func(c *handlers.Config) { c.BetterAuth.Providers = []oauth.Config{idp.Config("idp")} }}, cfgs...)
	return newHarness(t, cfgs...), idp
}

// socialStart posts body to /sign-in/social (or /link-social), checks the redirect answer and
// returns the provider's authorization URL.
func (b *browser) socialStart(path string, body map[string]any) string {
	b.t.Helper()
	r := b.post(path, body)
	var start struct {
		URL      string `json:"url"`
		Redirect bool   `json:"redirect"`
	}
	r.Decode(b.t, &start)
	if r.Status != http.StatusOK || !start.Redirect || r.Header.Get("Location") != start.URL || b.cookies["better-auth.state"] == "" {
		b.t.Fatalf("%s: %d %v %s", path, r.Status, r.Header, r.Body)
	}
	return start.URL
}

// socialFlow runs an OAuth flow in b through idp: start at path with body, approve at the
// provider, and return the callback's answer.
func (b *browser) socialFlow(idp *oidctest.Server, path string, body map[string]any) *handlertest.Response {
	b.t.Helper()
	cb, err := idp.Authorize(b.socialStart(path, body))
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(http.MethodGet, pathOf(b.t, cb.String()), nil)
}

type account struct {
	ID         string   `json:"id"`
	ProviderID string   `json:"providerId"`
	AccountID  string   `json:"accountId"`
	UserID     string   `json:"userId"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"createdAt"`
	UpdatedAt  string   `json:"updatedAt"`
}

// accounts lists b's accounts, failing unless list-accounts answers 200.
func (b *browser) accounts() []account {
	b.t.Helper()
	r := b.get("/list-accounts")
	if r.Status != http.StatusOK {
		b.t.Fatalf("list-accounts: %d %s", r.Status, r.Body)
	}
	var out []account
	r.Decode(b.t, &out)
	return out
}

// accountOf returns b's account with providerID, failing when there is none.
func (b *browser) accountOf(providerID string) account {
	b.t.Helper()
	for _, a := range b.accounts() {
		if a.ProviderID == providerID {
			return a
		}
	}
	b.t.Fatalf("no %s account", providerID)
	return account{}
}
