package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestOk(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newBrowser(t, h)
	if r := a.get("/ok"); r.Status != 200 || !strings.Contains(string(r.Body), `"ok":true`) {
		t.Fatalf("ok: %d %s", r.Status, r.Body)
	}
	wantJSON(t, a.get("/ok"), `{"ok":true}`)
	// Signed in, the same; and any other method is an empty 404.
	a.signUp("ok@example.com", "correct horse", nil)
	wantJSON(t, a.get("/ok"), `{"ok":true}`)
	if r := a.post("/ok", nil); r.Status != http.StatusNotFound || len(r.Body) != 0 {
		t.Fatalf("POST ok: %d %q", r.Status, r.Body)
	}
}
