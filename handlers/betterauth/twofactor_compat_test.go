package betterauth_test

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/mail"
)

// TestOfficialClientTwoFactor drives the two-factor operations with the real better-auth client
// and its twoFactorClient plugin (compat/two-factor.mjs): set-up, the sign-in redirect with
// TOTP, mailed and backup codes, a trusted device, and turning it off.
func TestOfficialClientTwoFactor(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: run `make test`, which installs it")
	}
	if _, err := os.Stat("compat/node_modules/better-auth"); err != nil {
		t.Fatal("compat/node_modules is missing: run `make test` (npm ci --prefix handlers/betterauth/compat)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	baseURL := "http://" + ln.Addr().String()
	h := newHarness(t, func(c *handlers.Config) { c.BaseURL = baseURL })
	mailFile := filepath.Join(t.TempDir(), "mail.jsonl")
	h.TeeMail(&mail.FileSender{Path: mailFile})
	srv := httptest.NewUnstartedServer(h.App.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "two-factor.mjs")
	cmd.Dir = "compat"
	cmd.Env = append(os.Environ(), "BA_BASE_URL="+baseURL, "MAIL_FILE="+mailFile)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("two-factor suite output:\n%s", out.String())
	if err != nil {
		t.Fatalf("the official client's two-factor suite failed: %v", err)
	}
	if bytes.Count(out.Bytes(), []byte("ok - ")) != 5 || bytes.Contains(out.Bytes(), []byte("not ok")) {
		t.Fatal("the suite did not run every step")
	}
}
