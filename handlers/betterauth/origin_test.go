package betterauth_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers"
)

func TestOriginChecksAndUnknownPaths(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	a.signUp("hal@example.com", "correct horse", nil)
	a.origin = "https://evil.example"
	wantError(t, a.post("/sign-out", nil), 403, "INVALID_ORIGIN")
	a.origin = ""
	wantError(t, a.post("/sign-out", nil), 403, "MISSING_OR_NULL_ORIGIN")
	if a.session() == nil {
		t.Fatal("a refused sign-out signed out")
	}
	r := a.get("/no-such-thing")
	if r.Status != 404 || len(r.Body) != 0 {
		t.Fatalf("unknown path: %d %q", r.Status, r.Body)
	}
}

func TestOriginChecksWithCookies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *handlers.Config) {
		c.BetterAuth.TrustedOrigins = []string{"https://app.example.com", "https://*.example.org"}
	})
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", nil)
	before := dbState(t, h)
	for _, c := range []struct {
		name            string
		origin, referer string
		secFetchSite    string
		code            string
	}{
		{"foreign origin", "https://evil.example", "", "", "INVALID_ORIGIN"},
		{"look-alike origin", "http://gatehouse.test.evil.example", "", "", "INVALID_ORIGIN"},
		{"other scheme", "https://gatehouse.test", "", "", "INVALID_ORIGIN"},
		{"bare wildcard domain", "https://example.org", "", "", "INVALID_ORIGIN"},
		{"no origin", "", "", "", "MISSING_OR_NULL_ORIGIN"},
		{"null origin", "null", "", "", "MISSING_OR_NULL_ORIGIN"},
		{"foreign referer", "", "https://evil.example/page", "", "INVALID_ORIGIN"},
		{"null origin, cross-site", "null", "", "cross-site", "MISSING_OR_NULL_ORIGIN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a.origin = c.origin
			a.header = http.Header{}
			if c.referer != "" {
				a.header.Set("Referer", c.referer)
			}
			if c.secFetchSite != "" {
				a.header.Set("Sec-Fetch-Site", c.secFetchSite)
			}
			r := a.post("/update-user", map[string]any{"name": "Mallory"})
			wantError(t, r, http.StatusForbidden, c.code)
			wantNoCookies(t, r)
		})
	}
	wantUnchanged(t, h, before)
	// Trusted: the base URL's origin, configured origins, wildcard subdomains, a trusted Referer,
	// and a sandboxed same-origin page (Origin null, Sec-Fetch-Site same-origin).
	for _, c := range []struct{ origin, referer, secFetchSite string }{
		{origin, "", ""},
		{"https://app.example.com", "", ""},
		{"https://eu.example.org", "", ""},
		{"https://a.b.example.org", "", ""},
		{"", origin + "/settings", ""},
		{"null", "", "same-origin"},
	} {
		a.origin = c.origin
		a.header = http.Header{}
		if c.referer != "" {
			a.header.Set("Referer", c.referer)
		}
		if c.secFetchSite != "" {
			a.header.Set("Sec-Fetch-Site", c.secFetchSite)
		}
		if r := a.post("/update-user", map[string]any{"name": "Ann " + c.origin}); r.Status != http.StatusOK {
			t.Fatalf("origin %q referer %q: %d %s", c.origin, c.referer, r.Status, r.Body)
		}
	}
	// GET requests are never checked.
	a.origin, a.header = "https://evil.example", http.Header{"Origin": {"https://evil.example"}}
	if a.session() == nil {
		t.Fatal("GET with a foreign Origin refused")
	}
}

func TestOriginChecksWithoutCookies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newBrowser(t, h).signUp("bo@example.com", "correct horse", nil)
	body := map[string]any{"email": "bo@example.com", "password": "correct horse"}
	signIn := func(origin string, header http.Header) *browser {
		b := newBrowser(t, h)
		b.origin, b.header = origin, header
		return b
	}
	before := dbState(t, h)
	// Sign-in and sign-up: a browser naming a foreign origin, or a cross-site navigation, is refused.
	wantError(t, signIn("https://evil.example", nil).post("/sign-in/email", body), http.StatusForbidden, "INVALID_ORIGIN")
	wantError(t, signIn("", http.Header{"Referer": {"https://evil.example/"}}).post("/sign-in/email", body), http.StatusForbidden, "INVALID_ORIGIN")
	wantError(t, signIn("", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}}).post("/sign-in/email", body),
		http.StatusForbidden, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
	wantError(t, signIn("https://evil.example", nil).post("/sign-up/email", map[string]any{"name": "x", "email": "x@example.com", "password": "correct horse"}),
		http.StatusForbidden, "INVALID_ORIGIN")
	wantError(t, signIn("", http.Header{"Sec-Fetch-Site": {"same-site"}, "Sec-Fetch-Mode": {"cors"}}).post("/sign-in/email", body),
		http.StatusForbidden, "MISSING_OR_NULL_ORIGIN")
	wantUnchanged(t, h, before)
	// Without any of those headers (curl, a server) it passes; so does a same-origin browser.
	if r := signIn("", nil).post("/sign-in/email", body); r.Status != http.StatusOK {
		t.Fatalf("curl-like sign-in: %d %s", r.Status, r.Body)
	}
	if r := signIn(origin, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Mode": {"cors"}}).post("/sign-in/email", body); r.Status != http.StatusOK {
		t.Fatalf("same-origin sign-in: %d %s", r.Status, r.Body)
	}
	// Other endpoints without cookies are not origin-checked.
	if r := signIn("https://evil.example", nil).post("/request-password-reset", map[string]any{"email": "bo@example.com"}); r.Status != http.StatusOK {
		t.Fatalf("cookie-less request-password-reset: %d %s", r.Status, r.Body)
	}
}

func TestUnknownRoutesAnswerAnEmpty404(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/no-such-thing"},
		{http.MethodGet, "/sign-up/email"},
		{http.MethodPut, "/sign-up/email"},
		{http.MethodDelete, "/get-session"},
		{http.MethodOptions, "/sign-in/email"},
		{http.MethodGet, "/update-session"},
		{http.MethodPost, "/forget-password/extra"},
	} {
		r := b.do(c.method, base+c.path, nil)
		if r.Status != http.StatusNotFound || len(r.Body) != 0 {
			t.Fatalf("%s %s: %d %q", c.method, c.path, r.Status, r.Body)
		}
		if r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%s %s: CORS headers", c.method, c.path)
		}
	}
}
