package pgembed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dataDir returns a fresh folder for a cluster that the cluster user can enter even when the
// tests run as root (t.TempDir makes 0700 folders).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgembed-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "data")
}

func start(t *testing.T, dir string) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), Options{Dir: dir, Fast: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

func exec1(t *testing.T, connString, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryString(t *testing.T, connString, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestStartStopRestartReusesData(t *testing.T) {
	dir := dataDir(t)
	ctx := context.Background()

	began := time.Now()
	c := start(t, dir)
	t.Logf("initdb and first start: %v", time.Since(began))
	cs := c.ConnString("postgres")
	if !strings.Contains(cs, "host=/tmp/gh-pg-") {
		t.Errorf("ConnString = %q, want a socket under /tmp/gh-pg-", cs)
	}
	if got := queryString(t, cs, "SHOW fsync"); got != "off" {
		t.Errorf("fsync = %s in Fast mode", got)
	}
	if got := queryString(t, cs, "SHOW listen_addresses"); got != "" {
		t.Errorf("listen_addresses = %q, want none", got)
	}
	if got := queryString(t, cs, "SHOW server_encoding"); got != "UTF8" {
		t.Errorf("server_encoding = %s", got)
	}
	exec1(t, cs, `CREATE DATABASE "my db"`)
	exec1(t, c.ConnString("my db"), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")

	began = time.Now()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("stop: %v", time.Since(began))
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after Stop: %v", err)
	}

	began = time.Now()
	c2 := start(t, dir)
	t.Logf("restart: %v", time.Since(began))
	if got := queryString(t, c2.ConnString("my db"), "SELECT v FROM kept"); got != "still here" {
		t.Errorf("after restart: %q", got)
	}
}

func TestSecondStartOnSameDirFails(t *testing.T) {
	dir := dataDir(t)
	start(t, dir)
	_, err := Start(context.Background(), Options{Dir: dir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "another process runs the PostgreSQL cluster") {
		t.Fatalf("second Start = %v, want a clear refusal", err)
	}
}

func TestStalePostmasterPID(t *testing.T) {
	dir := dataDir(t)
	c := start(t, dir)
	pidFile := filepath.Join(dir, "pg", "postmaster.pid")
	content, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	owner := st.Sys().(*syscall.Stat_t)
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// A live process of the cluster's user, which postgres would take for a running server.
	runAs, err := clusterUser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	other := exec.Command("sleep", "60")
	other.Dir = "/"
	other.SysProcAttr = sysProcAttr(runAs)
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	for _, tc := range []struct {
		name string
		pid  int
	}{
		{"dead pid", dead.Process.Pid},
		{"pid reused by another process", other.Process.Pid}, // postgres alone would refuse this one
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rest, _ := strings.Cut(string(content), "\n")
			if err := os.WriteFile(pidFile, []byte(strconv.Itoa(tc.pid)+"\n"+rest), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(pidFile, int(owner.Uid), int(owner.Gid)); err != nil {
				t.Fatal(err)
			}
			c := start(t, dir)
			if got := queryString(t, c.ConnString("postgres"), "SELECT 'ok'"); got != "ok" {
				t.Fatal(got)
			}
			if err := c.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestServerDeathStopsPostgres kills, with SIGKILL, a process that started a cluster (and keeps
// a session open on it): the cluster must stop by itself, and a new Start on the folder must
// work.
func TestServerDeathStopsPostgres(t *testing.T) {
	dir := dataDir(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PGEMBED_HELPER_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		_ = cmd.Process.Kill()
		t.Fatalf("helper said %q, %v", line, err)
	}
	pid, state := postmasterPID(filepath.Join(dir, "pg", "postmaster.pid"), filepath.Join(dir, "pg"))
	if state != pidLive {
		t.Fatalf("postmaster pid %d: state %v, want live", pid, state)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	// Start at once, as a supervisor restarting the server would: the old postgres is still
	// shutting down, and Start waits for it.
	c := start(t, dir)
	if got := queryString(t, c.ConnString("postgres"), "SELECT v FROM kept"); got != "from helper" {
		t.Fatalf("got %q", got)
	}
	if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
		t.Fatalf("postgres pid %d of the killed server still runs", pid)
	}
}

// TestMain runs the test binary as the helper server of TestServerDeathStopsPostgres when
// PGEMBED_HELPER_DIR is set, and as the tests otherwise.
func TestMain(m *testing.M) {
	if dir := os.Getenv("PGEMBED_HELPER_DIR"); dir != "" {
		helperServer(dir)
		return
	}
	os.Exit(m.Run())
}

// helperServer is the process that TestServerDeathStopsPostgres kills: it starts a cluster,
// leaves a session open, says "ready" and waits.
func helperServer(dir string) {
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(1)
	}
	c, err := Start(context.Background(), Options{Dir: dir, Fast: true})
	if err != nil {
		fail(err)
	}
	conn, err := pgx.Connect(context.Background(), c.ConnString("postgres"))
	if err != nil {
		fail(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from helper')"); err != nil {
		fail(err)
	}
	fmt.Println("ready", c.ConnString("postgres"))
	time.Sleep(time.Minute)
	os.Exit(1)
}

func TestErrNoBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := libDirGlob
	libDirGlob = filepath.Join(t.TempDir(), "*", "bin")
	t.Cleanup(func() { libDirGlob = saved })

	_, err := Start(context.Background(), Options{Dir: t.TempDir()})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("Start = %v, want ErrNoBinaries", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "apt-get install postgresql") || !strings.Contains(msg, "DATABASE_URL") {
		t.Errorf("message should be one line naming the package and DATABASE_URL: %q", msg)
	}
}

func TestFindBinariesPrefersPathThenNewestVersion(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk(filepath.Join(root, "lib", "9.6", "bin"), "initdb", "postgres")
	mk(filepath.Join(root, "lib", "15", "bin"), "initdb", "postgres")
	mk(filepath.Join(root, "lib", "16", "bin"), "initdb") // incomplete: skipped
	mk(filepath.Join(root, "empty"))
	saved := libDirGlob
	libDirGlob = filepath.Join(root, "lib", "*", "bin")
	t.Cleanup(func() { libDirGlob = saved })

	t.Setenv("PATH", filepath.Join(root, "empty"))
	i, p, err := findBinaries()
	if err != nil || i != filepath.Join(root, "lib", "15", "bin", "initdb") || p != filepath.Join(root, "lib", "15", "bin", "postgres") {
		t.Errorf("findBinaries = %q, %q, %v; want version 15's", i, p, err)
	}

	onPath := filepath.Join(root, "path")
	mk(onPath, "initdb", "postgres")
	t.Setenv("PATH", onPath)
	i, p, err = findBinaries()
	if err != nil || i != filepath.Join(onPath, "initdb") || p != filepath.Join(onPath, "postgres") {
		t.Errorf("findBinaries = %q, %q, %v; want PATH's", i, p, err)
	}
}

func TestDataFolderMustBeSearchableByTheClusterUser(t *testing.T) {
	closed, err := os.MkdirTemp("", "pgembed-closed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(closed) }) // MkdirTemp makes it 0700, like /root
	open := filepath.Join(closed, "open")
	if err := os.Mkdir(open, 0o711); err != nil {
		t.Fatal(err)
	}
	// A user who owns neither folder, as the cluster user is for a root-owned tree.
	stranger := &osUser{name: "pg-stranger", uid: uint32(os.Getuid()) + 4242, gid: 4242}
	if err := checkSearchable(open, stranger); err == nil || !strings.Contains(err.Error(), "cannot enter "+closed+" ") {
		t.Fatalf("checkSearchable under a 0700 parent = %v, want an error naming %s", err, closed)
	}
	if err := os.Chmod(closed, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := checkSearchable(open, stranger); err != nil {
		t.Fatalf("checkSearchable with searchable parents: %v", err)
	}
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// As root, Start runs the cluster as another user and must refuse such a folder
		// without changing its mode.
		_, err = Start(context.Background(), Options{Dir: filepath.Join(closed, "data")})
		if err == nil || !strings.Contains(err.Error(), "cannot enter "+closed+" ") {
			t.Fatalf("Start = %v, want an error naming %s", err, closed)
		}
		if st, _ := os.Stat(closed); st.Mode().Perm() != 0o700 {
			t.Errorf("Start changed the mode of %s to %v", closed, st.Mode().Perm())
		}
	}
}

func TestQuoteValue(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", "": "''", "my db": "'my db'", `it's`: `'it\'s'`, `a\b`: `'a\\b'`,
	} {
		if got := quoteValue(in); got != want {
			t.Errorf("quoteValue(%q) = %q, want %q", in, got, want)
		}
	}
}
