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
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/oauth/oidctest"
)

// TestOfficialClient drives the server with the real better-auth client (compat/suite.mjs,
// installed by `make test` with npm ci from compat/package-lock.json): sign-up, sign-in by
// email and username, sessions, profile and password changes, mail flows through a mail
// file, social sign-in against a local OpenID provider, and sign-out.
func TestOfficialClient(t *testing.T) {
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
	idp := oidctest.New(t)
	idp.SetUser(oidctest.User{Sub: "idp-user-1", Email: "social.user@example.com", EmailVerified: true, Name: "Sol Cial"})
	h := newHarness(t, func(c *handlers.Config) {
		c.BaseURL = baseURL
		c.BetterAuth.Providers = []oauth.Config{idp.Config("oidc-test")}
	})
	mailFile := filepath.Join(t.TempDir(), "mail.jsonl")
	h.TeeMail(&mail.FileSender{Path: mailFile})
	srv := httptest.NewUnstartedServer(h.App.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "suite.mjs")
	cmd.Dir = "compat"
	cmd.Env = append(os.Environ(), "BA_BASE_URL="+baseURL, "MAIL_FILE="+mailFile,
		"OIDC_PROVIDER=oidc-test", "OIDC_EMAIL=social.user@example.com")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("suite output:\n%s", out.String())
	if err != nil {
		t.Fatalf("the official client suite failed: %v", err)
	}
	if !bytes.Contains(out.Bytes(), []byte("social sign-in")) || bytes.Contains(out.Bytes(), []byte("not ok")) {
		t.Fatal("the suite did not run every step")
	}
}
