package betterauth_test

import (
	"strings"
	"testing"
)

func TestErrorPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	if r := a.get("/error?error=access_denied"); r.Status != 200 || !strings.Contains(string(r.Body), "access_denied") {
		t.Fatalf("error page: %d", r.Status)
	}
	r := a.get("/error?error=state_mismatch&error_description=The+state+did+not+match")
	body := string(r.Body)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "<code>state_mismatch</code>") || !strings.Contains(body, "The state did not match") {
		t.Fatalf("error page: %d %v %s", r.Status, r.Header, body)
	}
	wantNoCookies(t, r)
	// Codes outside [A-Za-z0-9_'-] show as UNKNOWN; descriptions are escaped, never markup.
	r = a.get("/error?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&error_description=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E")
	body = string(r.Body)
	if r.Status != 200 || strings.Contains(body, "<script>") || strings.Contains(body, "<img") ||
		!strings.Contains(body, "<code>UNKNOWN</code>") || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("error page with markup: %s", body)
	}
	// Without parameters.
	if r := a.get("/error"); r.Status != 200 || !strings.Contains(string(r.Body), "<code>UNKNOWN</code>") {
		t.Fatalf("bare error page: %d %s", r.Status, r.Body)
	}
}
