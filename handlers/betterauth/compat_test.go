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
	idp := oidctest.New(t)
	idp.SetUser(oidctest.User{Sub: "idp-user-1", Email: "social.user@example.com", EmailVerified: true, Name: "Sol Cial"})
	out := runSuite(t, "suite.mjs", []string{"OIDC_PROVIDER=oidc-test", "OIDC_EMAIL=social.user@example.com"},
		func(c *handlers.Config) { c.BetterAuth.Providers = []oauth.Config{idp.Config("oidc-test")} })
	if !bytes.Contains(out, []byte("social sign-in")) {
		t.Fatal("the suite did not run every step")
	}
}

// TestOfficialClientPlugins drives the plugin endpoints with the real plugin clients
// (compat/plugins.mjs): two-factor sign-in by TOTP, backup code and mailed code, trusted
// devices, passkey registration and sign-in through a software authenticator, the admin
// operations and impersonation, API keys and x-api-key sessions, and organizations with a
// mailed invitation.
func TestOfficialClientPlugins(t *testing.T) {
	t.Parallel()
	out := runSuite(t, "plugins.mjs", []string{"ADMIN_EMAIL=boss@example.com"},
		func(c *handlers.Config) { c.BetterAuth.AdminEmails = []string{"boss@example.com"} })
	if !bytes.Contains(out, []byte("ok - organization: invite by mail")) {
		t.Fatal("the suite did not run every step")
	}
}

// runSuite serves the API on a loopback port, with the configuration cfg and its mail
// copied to a mail file, runs the Node suite script against it and returns its output.
func runSuite(t *testing.T, script string, env []string, cfg func(*handlers.Config)) []byte {
	t.Helper()
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
	h := newHarness(t, func(c *handlers.Config) {
		c.BaseURL = baseURL
		cfg(c)
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
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = "compat"
	cmd.Env = append(append(os.Environ(), "BA_BASE_URL="+baseURL, "MAIL_FILE="+mailFile), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("%s output:\n%s", script, out.String())
	if err != nil {
		t.Fatalf("the official client suite %s failed: %v", script, err)
	}
	if bytes.Contains(out.Bytes(), []byte("not ok")) {
		t.Fatalf("%s reported a failed step", script)
	}
	return out.Bytes()
}
