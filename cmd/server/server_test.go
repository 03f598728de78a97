package main

// End-to-end tests of the real binary: TestMain builds it once; each test runs it as a user
// would, over HTTP on a free loopback port, on the embedded PostgreSQL in a DATA_DIR under
// os.TempDir() (PostgreSQL runs as the user postgres when the tests run as root, and that user
// must be able to enter the folder).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"gatehouse/db/pgembed"
)

var (
	// serverBin is the server binary TestMain builds.
	serverBin string
	// raceEnabled is set by race_test.go when the tests run with -race; the binary is then built
	// with -race too.
	raceEnabled bool
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	flag.Parse() // for testing.Verbose
	dir, err := os.MkdirTemp("", "gatehouse-server-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "server tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	serverBin = filepath.Join(dir, "server")
	goTool, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		fmt.Fprintln(os.Stderr, "server tests: no go command to build the server:", err)
		return 1
	}
	args := []string{"build", "-o", serverBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	began := time.Now()
	build := exec.Command(goTool, append(args, ".")...) // the package folder is the working folder
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "server tests: %s: %v\n%s", strings.Join(build.Args, " "), err, out)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "built %s (race %v) in %s\n", serverBin, raceEnabled, time.Since(began).Round(time.Millisecond))
	}
	return m.Run()
}

const (
	apiBase = "/api/v1/auth"
	// debianBinGlob is where db/pgembed looks for PostgreSQL after PATH (its libDirGlob).
	debianBinGlob = "/usr/lib/postgresql/*/bin"
	// readyTimeout bounds a server's start, a first one creating its cluster included.
	readyTimeout = 90 * time.Second
	// cliTimeout bounds a subcommand such as migrate.
	cliTimeout = 90 * time.Second
)

// ---------------------------------------------------------------------------------------------
// Processes

// syncBuffer collects a process's output; exec writes it from a goroutine of its own.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a process started by a test; it is stopped (SIGTERM, then SIGKILL) when the test ends.
type proc struct {
	name    string
	cmd     *exec.Cmd
	stdout  syncBuffer
	stderr  syncBuffer
	done    chan struct{} // closed once the process is reaped
	waitErr error         // valid once done is closed
}

func startProc(t *testing.T, env []string, argv ...string) *proc {
	t.Helper()
	p := &proc{name: strings.Join(argv, " "), done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = env
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	// If the test binary dies, the server dies too (and its PostgreSQL with it).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("%s reported a data race:\n%s", p.name, p.stderr.String())
		}
	})
	return p
}

// stop ends the process if it still runs: SIGTERM, then SIGKILL after 30 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s still runs after %s\n%s", p.name, timeout, p.tail())
	}
	return p.cmd.ProcessState.ExitCode()
}

// tail is the end of the process's output, for failure messages.
func (p *proc) tail() string {
	last := func(s string, n int) string {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		return strings.Join(lines, "\n")
	}
	return fmt.Sprintf("--- %s: end of stdout ---\n%s\n--- end of stderr ---\n%s\n---",
		p.name, last(p.stdout.String(), 40), last(p.stderr.String(), 40))
}

// logs parses stdout, which must hold JSON objects only, one a line.
func (p *proc) logs(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(p.stdout.String()) {
		if !strings.HasSuffix(line, "\n") {
			break // being written
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: a stdout line is not a JSON object (%v): %q\n%s", p.name, err, line, p.tail())
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := rec[k]; !ok {
				t.Fatalf("%s: log line without %q: %q", p.name, k, line)
			}
		}
		out = append(out, rec)
	}
	return out
}

// waitLog waits for a log line that match accepts and returns it.
func (p *proc) waitLog(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, rec := range p.logs(t) {
			if match(rec) {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no log line %s within 15 s\n%s", p.name, what, p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasMsg(msg string) func(map[string]any) bool {
	return func(rec map[string]any) bool { return rec["msg"] == msg }
}

// runCLI runs the binary to its end and returns its output and exit code.
func runCLI(t *testing.T, env []string, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := startProc(t, env, argv...)
	code = p.wait(t, cliTimeout)
	return p.stdout.String(), p.stderr.String(), code
}

// ---------------------------------------------------------------------------------------------
// Environment

// configVars are the settings the server reads; the tests set them explicitly or not at all.
var configVars = []string{"ENV", "ADDR", "DATABASE_URL", "DATA_DIR", "SECRET", "BASE_URL", "APIS",
	"MAIL_TRANSPORT", "LOG_LEVEL", "BODY_LIMIT", "TRUSTED_PROXIES", "RATE_LIMIT",
	"SHUTDOWN_TIMEOUT", "REQUEST_TIMEOUT", "DEBUG_ADDR"}

// serverEnv is the test's environment without any server setting (or libpq variable), plus set.
func serverEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(configVars, k) || strings.HasPrefix(k, "EMAILCODE_") || strings.HasPrefix(k, "PG") || k == "GORACE" {
			continue
		}
		if _, ok := set[k]; ok {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// pathWithoutPostgres is PATH without the folders that hold initdb or postgres.
func pathWithoutPostgres() string {
	var keep []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if isExecutable(filepath.Join(dir, "initdb")) || isExecutable(filepath.Join(dir, "postgres")) {
			continue
		}
		keep = append(keep, dir)
	}
	return strings.Join(keep, string(os.PathListSeparator))
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// tempDir is a fresh folder under os.TempDir() that the cluster user can enter (t.TempDir's
// parent is private to the test's user), removed when the test ends.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gatehouse-e2e-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) }) // registered first: runs after the processes stop
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("chmod %s: %v", dir, err)
	}
	return dir
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ---------------------------------------------------------------------------------------------
// A running server

type server struct {
	*proc
	addr string
	base string // http://addr
	mail string // the MAIL_TRANSPORT file
}

// startServer runs `server serve` with set (ADDR is added) and waits until /readyz answers 200.
func startServer(t *testing.T, mailPath string, set map[string]string) *server {
	t.Helper()
	addr := freeAddr(t)
	env := map[string]string{"ADDR": addr}
	for k, v := range set {
		env[k] = v
	}
	s := &server{proc: startProc(t, serverEnv(env), serverBin, "serve"), addr: addr, base: "http://" + addr, mail: mailPath}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		if resp, err := client.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("the server exited before it was ready (%v)\n%s", s.waitErr, s.tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not 200 after %s\n%s", s.base, readyTimeout, s.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var httpClient = &http.Client{Timeout: 20 * time.Second}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; body is nil, a string sent as is, or a value sent as JSON.
func (s *server) do(t *testing.T, method, path, token string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, s.tail())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *server) want(t *testing.T, r reply, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s\n%s", what, r.status, status, r.body, s.tail())
	}
}

func decode(t *testing.T, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// wantError checks an email-code API error body.
func (s *server) wantError(t *testing.T, r reply, status int, code, what string) {
	t.Helper()
	s.want(t, r, status, what)
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	decode(t, r, &body)
	if body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("%s: error %+v, want code %s with a message", what, body.Error, code)
	}
}

// ---------------------------------------------------------------------------------------------
// The email-code flow as a curl user would go through it

type apiUser struct {
	ID          string  `json:"id"`
	Email       *string `json:"email"`
	IsAnonymous bool    `json:"isAnonymous"`
	Role        string  `json:"role"`
}

type authReply struct {
	Data struct {
		Token string  `json:"token"`
		User  apiUser `json:"user"`
	} `json:"data"`
	Metadata struct {
		RequestID string `json:"requestId"`
	} `json:"metadata"`
}

// mailRecord is a line of the MAIL_TRANSPORT=file: output.
type mailRecord struct {
	raw    map[string]json.RawMessage
	To     string `json:"to"`
	Tmpl   string `json:"template"`
	Text   string `json:"text"`
	HTML   string `json:"html"`
	Params struct {
		Code string `json:"code"`
	} `json:"data"`
}

// mailsTo reads the mail file and returns the messages to email, oldest first.
func mailsTo(t *testing.T, path, email string) []mailRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var out []mailRecord
	for line := range strings.Lines(string(b)) {
		if !strings.HasSuffix(line, "\n") {
			break // being written
		}
		var m mailRecord
		if err := json.Unmarshal([]byte(line), &m.raw); err != nil {
			t.Fatalf("%s: a line is not a JSON object (%v): %q", path, err, line)
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v: %q", path, err, line)
		}
		if m.To == email {
			out = append(out, m)
		}
	}
	return out
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// waitForCode waits for mail number seen+1 to email and returns the code in it.
func (s *server) waitForCode(t *testing.T, email string, seen int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var mails []mailRecord
	for {
		if mails = mailsTo(t, s.mail, email); len(mails) > seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new mail to %s in %s within 15 s (had %d)\n%s", email, s.mail, seen, s.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := mails[len(mails)-1]
	for _, field := range []string{"id", "to", "subject", "template", "data", "text", "html", "createdAt"} {
		if _, ok := m.raw[field]; !ok {
			t.Fatalf("mail to %s has no %q field: %v", email, field, m.raw)
		}
	}
	var created time.Time
	if err := json.Unmarshal(m.raw["createdAt"], &created); err != nil || time.Since(created) > time.Hour || time.Until(created) > time.Minute {
		t.Fatalf("mail createdAt %s: not a recent time (%v)", m.raw["createdAt"], err)
	}
	code := m.Params.Code
	if m.Tmpl != "emailcode-sign-in" || !sixDigits.MatchString(code) {
		t.Fatalf("mail to %s: template %q, data.code %q; want emailcode-sign-in and 6 digits", email, m.Tmpl, code)
	}
	if !strings.Contains(m.Text, code) || !strings.Contains(m.HTML, code) {
		t.Fatalf("mail to %s: the code %s is not in both text and html:\n%s\n%s", email, code, m.Text, m.HTML)
	}
	return code
}

// requestCode asks for a code (as a dashboard login when dashboard) and returns the one mailed.
func (s *server) requestCode(t *testing.T, email string, dashboard bool) string {
	t.Helper()
	seen := len(mailsTo(t, s.mail, email))
	body := map[string]any{"email": email}
	if dashboard {
		body["isDashboardLogin"] = true
	}
	r := s.do(t, http.MethodPost, apiBase+"/request-code", "", body)
	s.want(t, r, http.StatusAccepted, "request-code "+email)
	var out struct {
		Data struct {
			ExpiresAt time.Time `json:"expiresAt"`
		} `json:"data"`
	}
	decode(t, r, &out)
	if d := time.Until(out.Data.ExpiresAt); d < 8*time.Minute || d > 11*time.Minute {
		t.Fatalf("request-code: expiresAt %s is not about 10 minutes away", out.Data.ExpiresAt)
	}
	return s.waitForCode(t, email, seen)
}

func (s *server) verifyCode(t *testing.T, email, code string) authReply {
	t.Helper()
	r := s.do(t, http.MethodPost, apiBase+"/verify-code", "", map[string]any{"email": email, "code": code})
	s.want(t, r, http.StatusOK, "verify-code "+email)
	var out authReply
	decode(t, r, &out)
	if out.Data.Token == "" || out.Data.User.ID == "" || out.Data.User.Email == nil || *out.Data.User.Email != email {
		t.Fatalf("verify-code %s: answer %s", email, r.body)
	}
	return out
}

func (s *server) signIn(t *testing.T, email string) authReply {
	t.Helper()
	return s.verifyCode(t, email, s.requestCode(t, email, false))
}

// me returns GET /me with token, failing unless it is 200.
func (s *server) me(t *testing.T, token string) apiUser {
	t.Helper()
	r := s.do(t, http.MethodGet, apiBase+"/me", token, nil)
	s.want(t, r, http.StatusOK, "GET /me")
	var out struct {
		Data apiUser `json:"data"`
	}
	decode(t, r, &out)
	return out.Data
}

// step runs a subtest that later ones depend on, and stops the test when it fails.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.Fatalf("step %q failed: the later steps depend on it", name)
	}
}

// ---------------------------------------------------------------------------------------------
// The tests

// TestServerLifecycle takes one DATA_DIR through a deployment's life: migrate on a fresh folder,
// serve with only DATA_DIR, ADDR and MAIL_TRANSPORT set, the whole email-code flow over HTTP, a
// graceful shutdown with a request in flight, the admin subcommands, and a restart.
func TestServerLifecycle(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	dataDir := filepath.Join(dir, "data")
	mailPath := filepath.Join(dir, "mail.jsonl")
	minimal := map[string]string{"DATA_DIR": dataDir, "MAIL_TRANSPORT": "file:" + mailPath}
	const (
		ada   = "ada@example.com"
		bob   = "bob@example.com"
		grace = "grace@example.com" // a Better Auth user
	)
	var grCookie, grID string
	var cuToken, cuProfile string // a Custodian user's token, and the admin path of their profile

	step(t, "migrate on a fresh DATA_DIR", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, serverEnv(map[string]string{"DATA_DIR": dataDir}), serverBin, "migrate")
		if code != 0 {
			t.Fatalf("server migrate: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, `"msg":"migration applied"`) {
			t.Fatalf("server migrate on a fresh folder applied nothing:\n%s", stdout)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "pg", "PG_VERSION")); err != nil {
			t.Fatalf("no cluster in DATA_DIR/pg after migrate: %v", err)
		}
		stdout, stderr, code = runCLI(t, serverEnv(map[string]string{"DATA_DIR": dataDir}), serverBin, "migrate")
		if code != 0 || strings.Contains(stdout, "migration applied") {
			t.Fatalf("second server migrate: exit %d, want 0 and nothing applied\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})

	s1 := startServer(t, mailPath, minimal)
	var kept authReply // a session of ada's that stays signed in across the restart
	var secretBefore []byte

	step(t, "operational endpoints", func(t *testing.T) {
		r := s1.do(t, http.MethodGet, "/healthz", "", nil)
		s1.want(t, r, http.StatusOK, "/healthz")
		r = s1.do(t, http.MethodGet, "/readyz", "", nil)
		s1.want(t, r, http.StatusOK, "/readyz")

		r = s1.do(t, http.MethodGet, "/docs", "", nil)
		s1.want(t, r, http.StatusOK, "/docs")
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("/docs Content-Type %q, want text/html", ct)
		}

		r = s1.do(t, http.MethodGet, apiBase+"/openapi.json", "", nil)
		s1.want(t, r, http.StatusOK, "openapi.json")
		var spec struct {
			OpenAPI string                     `json:"openapi"`
			Paths   map[string]json.RawMessage `json:"paths"`
		}
		decode(t, r, &spec)
		if spec.OpenAPI != "3.0.3" || spec.Paths["/request-code"] == nil || spec.Paths["/verify-code"] == nil {
			t.Fatalf("openapi.json: openapi %q, paths %v; want 3.0.3 with the email-code paths", spec.OpenAPI, slices.Collect(maps.Keys(spec.Paths)))
		}

		r = s1.do(t, http.MethodGet, "/metrics", "", nil)
		s1.want(t, r, http.StatusOK, "/metrics")
		if !strings.Contains(string(r.body), "http_requests_total{") || !strings.Contains(string(r.body), `route="/healthz"`) {
			t.Fatalf("/metrics has no http_requests_total for /healthz:\n%.2000s", r.body)
		}
	})

	step(t, "email-code flow", func(t *testing.T) {
		first := s1.signIn(t, ada)
		u := first.Data.User
		if u.IsAnonymous || u.Role != "user" {
			t.Fatalf("new user %+v: want a non-anonymous user", u)
		}
		if got := s1.me(t, first.Data.Token); got.ID != u.ID || got.Email == nil || *got.Email != ada {
			t.Fatalf("GET /me = %+v, want user %s", got, u.ID)
		}
		kept = s1.signIn(t, ada)
		if kept.Data.User.ID != u.ID {
			t.Fatalf("second sign-in: user %s, want the same user %s", kept.Data.User.ID, u.ID)
		}
		r := s1.do(t, http.MethodPost, apiBase+"/sign-out", first.Data.Token, nil)
		s1.want(t, r, http.StatusNoContent, "sign-out")
		s1.wantError(t, s1.do(t, http.MethodGet, apiBase+"/me", first.Data.Token, nil), http.StatusUnauthorized, "UNAUTHORIZED", "GET /me after sign-out")
		if got := s1.me(t, kept.Data.Token); got.ID != u.ID {
			t.Fatalf("GET /me with the other session after sign-out = %+v, want user %s", got, u.ID)
		}
	})

	step(t, "Better Auth sign-up", func(t *testing.T) {
		r := s1.do(t, http.MethodPost, "/api/auth/sign-up/email", "",
			map[string]any{"email": grace, "password": "correct horse battery", "name": "Grace"})
		s1.want(t, r, http.StatusOK, "POST /api/auth/sign-up/email")
		var out struct {
			User struct{ ID, Role string } `json:"user"`
		}
		decode(t, r, &out)
		grID, grCookie = out.User.ID, sessionCookie(t, r)
		if u := s1.baUser(t, grCookie); u.ID != grID || u.Role != "user" {
			t.Fatalf("get-session after sign-up = %+v, want user %s with role user", u, grID)
		}
	})

	step(t, "Custodian register and login", func(t *testing.T) {
		r := s1.do(t, http.MethodPost, "/custodian/auth/register", "", map[string]any{"email": "cus@example.com", "password": "correct-Horse7"})
		s1.want(t, r, http.StatusCreated, "POST /custodian/auth/register")
		var u struct {
			ID int64 `json:"id"`
		}
		decode(t, r, &u)
		r = s1.do(t, http.MethodPost, "/custodian/auth/login", "", map[string]any{"email": "cus@example.com", "password": "correct-Horse7"})
		s1.want(t, r, http.StatusOK, "POST /custodian/auth/login")
		var tok struct {
			Token string `json:"token"`
		}
		decode(t, r, &tok)
		cuToken, cuProfile = tok.Token, fmt.Sprintf("/custodian/users/%d/profile", u.ID)
		s1.wantError(t, s1.do(t, http.MethodGet, cuProfile, cuToken, nil), http.StatusForbidden, "FORBIDDEN", "GET "+cuProfile+" before set-admin")
	})

	step(t, "JWKS verifies the token", func(t *testing.T) {
		r := s1.do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
		s1.want(t, r, http.StatusOK, "jwks")
		var raw struct {
			Keys []map[string]any `json:"keys"`
		}
		decode(t, r, &raw)
		if len(raw.Keys) == 0 {
			t.Fatalf("jwks without keys: %s", r.body)
		}
		for _, k := range raw.Keys {
			if _, private := k["d"]; private || k["kid"] == nil {
				t.Fatalf("jwks key %v: want a public key with a kid", k)
			}
		}
		set, err := jwk.Parse(r.body)
		if err != nil {
			t.Fatalf("jwk.Parse: %v\n%s", err, r.body)
		}
		tok, err := jwt.Parse([]byte(kept.Data.Token), jwt.WithKeySet(set), jwt.WithValidate(true),
			jwt.WithIssuer(s1.base), jwt.WithAudience("emailcode"))
		if err != nil {
			t.Fatalf("the token does not verify with the published JWKS (issuer %s): %v", s1.base, err)
		}
		if tok.Subject() != kept.Data.User.ID {
			t.Fatalf("token sub %q, want the user id %s", tok.Subject(), kept.Data.User.ID)
		}
		// A token with another signature does not verify.
		parts := strings.Split(kept.Data.Token, ".")
		sig := []byte(parts[2])
		sig[len(sig)/2] ^= 1
		forged := parts[0] + "." + parts[1] + "." + string(sig)
		if _, err := jwt.Parse([]byte(forged), jwt.WithKeySet(set), jwt.WithValidate(true)); err == nil {
			t.Fatalf("a token with a changed signature verifies")
		}
	})

	step(t, "JSON logs carry the request id", func(t *testing.T) {
		r := s1.do(t, http.MethodGet, "/healthz", "", nil)
		id := r.header.Get("X-Request-Id")
		if id == "" {
			t.Fatalf("/healthz: no X-Request-Id header")
		}
		rec := s1.waitLog(t, "with request_id "+id, func(rec map[string]any) bool { return rec["request_id"] == id })
		if rec["path"] != "/healthz" || rec["status"] != float64(200) {
			t.Fatalf("log line of request %s: %v, want path /healthz and status 200", id, rec)
		}
		// A client's own request id is kept, in the header, the body and the log.
		req, _ := http.NewRequest(http.MethodGet, s1.base+apiBase+"/me", nil)
		req.Header.Set("X-Request-Id", "e2e-client-id-42")
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("GET /me: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Request-Id") != "e2e-client-id-42" {
			t.Fatalf("GET /me without token: %d, X-Request-Id %q; want 401 and the client's id", resp.StatusCode, resp.Header.Get("X-Request-Id"))
		}
		rec = s1.waitLog(t, "with request_id e2e-client-id-42", func(rec map[string]any) bool { return rec["request_id"] == "e2e-client-id-42" })
		if rec["status"] != float64(401) {
			t.Fatalf("log line %v: want status 401 (body %s)", rec, body)
		}
		s1.logs(t) // every line so far is JSON
	})

	step(t, "a second server on the same DATA_DIR fails; admin commands use the running cluster", func(t *testing.T) {
		env := serverEnv(map[string]string{"DATA_DIR": dataDir, "ADDR": freeAddr(t)})
		stdout, stderr, code := runCLI(t, env, serverBin, "serve")
		if code == 0 || !strings.Contains(stderr, "another process runs the PostgreSQL cluster") {
			t.Fatalf("serve while a server runs: exit %d, want non-zero with a clear message\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, serverEnv(map[string]string{"DATA_DIR": dataDir}), serverBin, "migrate")
		if code != 0 {
			t.Fatalf("migrate while the server runs: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, serverEnv(map[string]string{"DATA_DIR": dataDir}), serverBin,
			"emailcode", "set-role", "--email", "nobody-yet@example.com", "--role", "admin")
		if code == 0 || !strings.Contains(stderr, "no user with email nobody-yet@example.com") {
			t.Fatalf("set-role while the server runs: exit %d, want the answer from the running cluster\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		s1.want(t, s1.do(t, http.MethodGet, "/readyz", "", nil), http.StatusOK, "/readyz after the admin commands")
		s1.me(t, kept.Data.Token)
	})

	var inFlight authReply
	step(t, "graceful shutdown finishes the request in flight", func(t *testing.T) {
		var err error
		if secretBefore, err = os.ReadFile(filepath.Join(dataDir, "secret")); err != nil {
			t.Fatalf("the development secret file: %v", err)
		}
		code := s1.requestCode(t, ada, false)
		inFlight = slowVerify(t, s1, ada, code)
		if exit := s1.wait(t, 60*time.Second); exit != 0 {
			t.Fatalf("exit code %d after SIGTERM, want 0\n%s", exit, s1.tail())
		}
		s1.waitLog(t, `"stopped"`, hasMsg("stopped"))
		s1.waitLog(t, `"embedded postgres stopped"`, hasMsg("embedded postgres stopped"))
		if inFlight.Data.User.ID != kept.Data.User.ID {
			t.Fatalf("the in-flight sign-in: user %s, want %s", inFlight.Data.User.ID, kept.Data.User.ID)
		}
	})

	step(t, "emailcode set-role", func(t *testing.T) {
		env := serverEnv(map[string]string{"DATA_DIR": dataDir})
		stdout, stderr, code := runCLI(t, env, serverBin, "emailcode", "set-role", "--email", ada, "--role", "admin")
		want := fmt.Sprintf("%s (%s) now has role admin\n", ada, kept.Data.User.ID)
		if code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("set-role: exit %d, want 0 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "emailcode", "set-role", "--email", "nobody@example.com", "--role", "admin")
		if code == 0 || !strings.Contains(stderr, "no user with email nobody@example.com") {
			t.Fatalf("set-role for an unknown email: exit %d, want non-zero and a clear message\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "emailcode", "set-role", "--email", ada, "--role", "owner")
		if code == 0 || !strings.Contains(stderr, `unknown role "owner"`) {
			t.Fatalf("set-role --role owner: exit %d, want non-zero naming the role\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})

	step(t, "betterauth set-role", func(t *testing.T) {
		env := serverEnv(map[string]string{"DATA_DIR": dataDir})
		stdout, stderr, code := runCLI(t, env, serverBin, "betterauth", "set-role", "--email", "Grace@Example.com", "--role", "user, admin,user")
		want := fmt.Sprintf("%s (%s) now has role user,admin\n", grace, grID)
		if code != 0 || stdout != want {
			t.Fatalf("set-role: exit %d, want 0 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "betterauth", "set-role", "--email", grace, "--role", "admin")
		if want = fmt.Sprintf("%s (%s) now has role admin\n", grace, grID); code != 0 || stdout != want {
			t.Fatalf("set-role: exit %d, want 0 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "betterauth", "set-role", "--email", ada, "--role", "admin")
		if code == 0 || !strings.Contains(stderr, "no user with email "+ada) {
			t.Fatalf("set-role for an email-code user: exit %d, want non-zero (the APIs do not share users)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "betterauth", "set-role", "--email", grace, "--role", "admin,owner")
		if code == 0 || !strings.Contains(stderr, `unknown role "owner"`) {
			t.Fatalf("set-role --role admin,owner: exit %d, want non-zero naming the role\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "betterauth", "get-role")
		if code == 0 || !strings.Contains(stderr, "usage: server betterauth set-role") {
			t.Fatalf("betterauth get-role: exit %d, want non-zero with the usage\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})

	step(t, "custodian set-admin", func(t *testing.T) {
		env := serverEnv(map[string]string{"DATA_DIR": dataDir})
		stdout, stderr, code := runCLI(t, env, serverBin, "custodian", "set-admin", "--email", "CUS@example.com")
		if code != 0 || !strings.Contains(stdout, "cus@example.com") || !strings.Contains(stdout, "admin: true") {
			t.Fatalf("set-admin: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "custodian", "set-admin", "--email", "nobody@example.com")
		if code == 0 || !strings.Contains(stderr, "no Custodian user with email nobody@example.com") {
			t.Fatalf("set-admin for an unknown email: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "custodian", "make-admin")
		if code == 0 || !strings.Contains(stderr, "usage: server custodian set-admin") {
			t.Fatalf("custodian make-admin: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})

	var grKey string // an API key made by the subcommand, tried after the restart
	step(t, "betterauth create-api-key", func(t *testing.T) {
		env := serverEnv(map[string]string{"DATA_DIR": dataDir})
		stdout, stderr, code := runCLI(t, env, serverBin, "betterauth", "create-api-key", "--email", "Grace@Example.com",
			"--name", "bench", "--prefix", "gh_", "--no-rate-limit")
		grKey = strings.TrimSuffix(stdout, "\n")
		if code != 0 || !regexp.MustCompile(`^gh_[A-Za-z]{64}$`).MatchString(grKey) {
			t.Fatalf("create-api-key: exit %d, want 0 and the key alone\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "betterauth", "create-api-key", "--email", "nobody@example.com")
		if code == 0 || !strings.Contains(stderr, "no user with email nobody@example.com") {
			t.Fatalf("create-api-key for an unknown email: exit %d, want non-zero\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		stdout, stderr, code = runCLI(t, env, serverBin, "betterauth", "create-api-key")
		if code == 0 || !strings.Contains(stderr, "--email is required") {
			t.Fatalf("create-api-key without --email: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	})

	step(t, "restart on the same DATA_DIR", func(t *testing.T) {
		// Another port, so BASE_URL (the tokens' issuer, by default http://ADDR) is kept. With
		// PostgreSQL in Debian's folder, PATH loses it: the server must find it there itself.
		set := map[string]string{"BASE_URL": s1.base}
		for k, v := range minimal {
			set[k] = v
		}
		if dirs, _ := filepath.Glob(debianBinGlob); len(dirs) > 0 {
			set["PATH"] = pathWithoutPostgres()
			t.Logf("restarting with PATH=%s: PostgreSQL must come from %s", set["PATH"], dirs)
		}
		s2 := startServer(t, mailPath, set)

		secretAfter, err := os.ReadFile(filepath.Join(dataDir, "secret"))
		if err != nil || !bytes.Equal(secretAfter, secretBefore) {
			t.Fatalf("the development secret changed across the restart (%v)", err)
		}
		if st, err := os.Stat(filepath.Join(dataDir, "secret")); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("DATA_DIR/secret: %v, mode %v; want 0600", err, st.Mode())
		}
		// Tokens of the first run still work, and now carry the role set by the subcommand.
		for _, tok := range []string{kept.Data.Token, inFlight.Data.Token} {
			if u := s2.me(t, tok); u.ID != kept.Data.User.ID || u.Role != "admin" {
				t.Fatalf("GET /me after the restart = %+v, want user %s with role admin", u, kept.Data.User.ID)
			}
		}
		// The Better Auth cookie of the first run still works and shows the role set by the command
		// (the first admin command left "admin,user" behind, the second "admin").
		if u := s2.baUser(t, grCookie); u.ID != grID || u.Role != "admin" {
			t.Fatalf("get-session after the restart = %+v, want user %s with role admin", u, grID)
		}
		// The Custodian token of the first run still works, now with the admin right of the command.
		s2.want(t, s2.do(t, http.MethodGet, cuProfile, cuToken, nil), http.StatusOK, "GET "+cuProfile+" after set-admin")
		// The API key of the subcommand opens Grace's session, more than 10 times (no rate limit).
		for i := 0; i < 12; i++ {
			if u := s2.baUserWith(t, "X-Api-Key", grKey); u.ID != grID {
				t.Fatalf("get-session with the API key = %+v, want user %s", u, grID)
			}
		}
		// Dashboard login (the admin gets a code) signs in the user of the first run.
		code := s2.requestCode(t, ada, true)
		if again := s2.verifyCode(t, ada, code); again.Data.User.ID != kept.Data.User.ID || again.Data.User.Role != "admin" {
			t.Fatalf("sign-in after the restart: %+v, want the same user %s, an admin", again.Data.User, kept.Data.User.ID)
		}
		// A plain user gets no dashboard code.
		s2.signIn(t, bob)
		s2.wantError(t, s2.do(t, http.MethodPost, apiBase+"/request-code", "", map[string]any{"email": bob, "isDashboardLogin": true}),
			http.StatusForbidden, "FORBIDDEN", "dashboard request-code for a plain user")

		_ = s2.cmd.Process.Signal(syscall.SIGTERM)
		if exit := s2.wait(t, 60*time.Second); exit != 0 {
			t.Fatalf("exit code %d after SIGTERM, want 0\n%s", exit, s2.tail())
		}
		s2.logs(t)
	})
}

// sessionCookie returns the "name=value" of the Better Auth session cookie r sets.
func sessionCookie(t *testing.T, r reply) string {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "better-auth.session_token" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no better-auth.session_token cookie in %v", r.header.Values("Set-Cookie"))
	return ""
}

// baUser returns the user of GET /api/auth/get-session with cookie.
func (s *server) baUser(t *testing.T, cookie string) (u struct{ ID, Role string }) {
	t.Helper()
	return s.baUserWith(t, "Cookie", cookie)
}

// baUserWith returns the user of GET /api/auth/get-session sent with the header name: value.
func (s *server) baUserWith(t *testing.T, name, value string) (u struct{ ID, Role string }) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+"/api/auth/get-session", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(name, value)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("get-session: %v\n%s", err, s.tail())
	}
	defer resp.Body.Close()
	var out struct {
		User struct{ ID, Role string } `json:"user"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("get-session: status %d, %v\n%s", resp.StatusCode, err, s.tail())
	}
	return out.User
}

// slowVerify redeems code over a connection of its own, sending SIGTERM to the server while the
// request is half sent, and returns the answer it still gets.
func slowVerify(t *testing.T, s *server, email, code string) authReply {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	body := fmt.Sprintf(`{"email":%q,"code":%q}`, email, code)
	const id = "e2e-in-flight"
	// Expect: 100-continue makes the server say when the handler starts reading the body: from
	// then on the request is in flight, not an idle connection that Shutdown may close.
	_, err = fmt.Fprintf(conn, "POST %s/verify-code HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\nX-Request-Id: %s\r\n\r\n", apiBase, s.addr, len(body), id)
	if err != nil {
		t.Fatalf("write headers: %v", err)
	}
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue before the body, got %v (%v)\n%s", cont, err, s.tail())
	}
	half := len(body) / 2
	if _, err := io.WriteString(conn, body[:half]); err != nil {
		t.Fatalf("write half the body: %v", err)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	s.waitLog(t, "about shutting down", func(rec map[string]any) bool {
		msg, _ := rec["msg"].(string)
		return strings.HasPrefix(msg, "shutting down")
	})
	// The listener is closed: new connections are refused.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the server still accepts connections 10 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// It waits for the request.
	time.Sleep(300 * time.Millisecond)
	if !s.running() {
		t.Fatalf("the server exited with a request in flight (%v)\n%s", s.waitErr, s.tail())
	}

	if _, err := io.WriteString(conn, body[half:]); err != nil {
		t.Fatalf("write the rest of the body: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v\n%s", err, s.tail())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Request-Id") != id {
		t.Fatalf("the in-flight verify-code: %d (X-Request-Id %q) %s, want 200\n%s", resp.StatusCode, resp.Header.Get("X-Request-Id"), b, s.tail())
	}
	var out authReply
	if err := json.Unmarshal(b, &out); err != nil || out.Data.Token == "" {
		t.Fatalf("the in-flight verify-code: %s (%v)", b, err)
	}
	return out
}

// TestServerWithoutPostgres: with no DATABASE_URL and no PostgreSQL binaries, the server exits
// at once with one line that says what to do.
func TestServerWithoutPostgres(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	dataDir := filepath.Join(dir, "data")
	argv := []string{serverBin, "serve"}
	if dirs, _ := filepath.Glob(debianBinGlob); len(dirs) > 0 {
		// PATH alone does not hide Debian's folder, which db/pgembed searches after PATH: hide it
		// under an empty tmpfs in a mount namespace of the server's own.
		wrapper, why := hidingWrapper(t)
		if wrapper == nil {
			// Nothing can hide it from a child on this machine: check the one line the server
			// would print; the lookup itself is tested by db/pgembed's TestErrNoBinaries, and the
			// fallback to Debian's folder by TestServerLifecycle's restart.
			t.Logf("cannot hide %s from the server here (%s): checking the message only", dirs, why)
			checkNoBinariesLine(t, "server: "+pgembed.ErrNoBinaries.Error()+"\n")
			return
		}
		argv = append(wrapper, argv...)
	}
	env := serverEnv(map[string]string{"DATA_DIR": dataDir, "ADDR": freeAddr(t), "PATH": pathWithoutPostgres()})
	stdout, stderr, code := runCLI(t, env, argv...)
	if code == 0 {
		t.Fatalf("the server without PostgreSQL exited 0\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	checkNoBinariesLine(t, stderr)
	if _, err := os.Stat(filepath.Join(dataDir, "pg")); err == nil {
		t.Fatalf("a cluster folder was made without PostgreSQL")
	}
}

func checkNoBinariesLine(t *testing.T, stderr string) {
	t.Helper()
	line, rest, _ := strings.Cut(stderr, "\n")
	if rest != "" || !strings.HasPrefix(line, "server: ") ||
		!strings.Contains(line, "apt-get install postgresql") || !strings.Contains(line, "DATABASE_URL") {
		t.Fatalf("stderr %q: want one line starting with \"server: \" that mentions apt-get install postgresql and DATABASE_URL", stderr)
	}
}

// hidingWrapper returns a command prefix that runs its arguments with /usr/lib/postgresql
// replaced by an empty folder, or nil and why not.
func hidingWrapper(t *testing.T) ([]string, string) {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return nil, "no unshare command"
	}
	mount, err := exec.LookPath("mount")
	if err != nil {
		return nil, "no mount command"
	}
	script := mount + ` -t tmpfs -o size=1m,mode=0755 gatehouse-test /usr/lib/postgresql && exec "$@"`
	var why []string
	for _, flags := range [][]string{{"--mount"}, {"--user", "--map-root-user", "--mount"}} {
		wrapper := append(append([]string{unshare}, flags...), "/bin/sh", "-c", script, "sh")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		probe := append(slices.Clone(wrapper), "/bin/ls", "-A", "/usr/lib/postgresql")
		out, err := exec.CommandContext(ctx, probe[0], probe[1:]...).CombinedOutput()
		cancel()
		if err == nil && len(bytes.TrimSpace(out)) == 0 {
			return wrapper, ""
		}
		why = append(why, fmt.Sprintf("unshare %s: %v %s", strings.Join(flags, " "), err, bytes.TrimSpace(out)))
	}
	return nil, strings.Join(why, "; ")
}

// TestServerRefusesBadConfiguration: bad settings stop the server before it touches anything,
// with every problem named; ENV=production needs SECRET.
func TestServerRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  map[string]string
		args []string
		want []string
	}{
		{"production without SECRET", map[string]string{"ENV": "production"}, []string{"serve"}, []string{"SECRET"}},
		{"production without SECRET, migrate", map[string]string{"ENV": "production"}, []string{"migrate"}, []string{"SECRET"}},
		{"several bad settings", map[string]string{"ADDR": "nowhere", "LOG_LEVEL": "loud", "RATE_LIMIT": "sometimes"}, []string{"serve"},
			[]string{"ADDR", "LOG_LEVEL", "RATE_LIMIT"}},
		{"unknown subcommand", nil, []string{"frobnicate"}, []string{`unknown command "frobnicate"`, "usage:"}},
		{"set-role without --email", nil, []string{"emailcode", "set-role"}, []string{"--email is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dataDir := filepath.Join(t.TempDir(), "data")
			set := map[string]string{"DATA_DIR": dataDir, "ADDR": "127.0.0.1:1"}
			for k, v := range tt.set {
				set[k] = v
			}
			stdout, stderr, code := runCLI(t, serverEnv(set), append([]string{serverBin}, tt.args...)...)
			if code == 0 {
				t.Fatalf("exit 0, want an error\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			if !strings.HasPrefix(stderr, "server: ") {
				t.Fatalf("stderr %q: want it to start with \"server: \"", stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Fatalf("stderr %q: want it to mention %q", stderr, w)
				}
			}
			if _, err := os.Stat(dataDir); err == nil {
				t.Fatalf("DATA_DIR was created although the command failed at once")
			}
		})
	}
}
