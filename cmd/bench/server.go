package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readyTimeout bounds the wait for the server's /readyz after it starts.
const readyTimeout = 60 * time.Second

// stopTimeout bounds the graceful shutdown before the server is killed.
const stopTimeout = 30 * time.Second

// server is a server process started by the bench, with its own temporary
// data folder, mail file and log.
type server struct {
	cmd     *exec.Cmd
	dir     string
	logPath string
	baseURL string
	exited  chan struct{} // closed when the process has been reaped
	waitErr error         // valid once exited is closed
}

// startServer runs the binary at path on a free loopback port with a fresh
// embedded database, and waits until it answers /readyz.
func startServer(ctx context.Context, path string) (*server, error) {
	// Under os.TempDir, not $HOME: as root the server runs PostgreSQL as an
	// unprivileged user, which must be able to reach the data folder.
	dir, err := os.MkdirTemp("", "gatehouse-bench-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{
		dir:     dir,
		logPath: filepath.Join(dir, "server.log"),
		baseURL: "http://" + addr,
		exited:  make(chan struct{}),
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close() // the child keeps its own descriptor

	s.cmd = exec.Command(path)
	s.cmd.Env = append(withoutEnv(os.Environ(), "DATABASE_URL"),
		"DATA_DIR="+filepath.Join(dir, "data"),
		"ADDR="+addr,
		"MAIL_TRANSPORT=file:"+filepath.Join(dir, "mail.jsonl"),
		"LOG_LEVEL=warn",
		"ENV=development",
		// Measure the work, not the limiters (the Node peer runs with both off too).
		"BETTERAUTH_RATE_LIMIT=off",
		"BETTERAUTH_API_KEY_RATE_LIMIT=off",
		"CUSTODIAN_RATE_LIMIT=off",
	)
	s.cmd.Stdout = logFile
	s.cmd.Stderr = logFile
	// If the bench dies without cleaning up, the server is told to stop too.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		tail := s.logTail(40) // before stop removes the folder
		s.stop()
		return nil, fmt.Errorf("%w\n--- tail of server log ---\n%s", err, tail)
	}
	return s, nil
}

// waitReady polls /readyz until it answers 200, the process exits, ctx ends
// or readyTimeout passes.
func (s *server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.baseURL+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before it was ready: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("server not ready at %s/readyz: %w", s.baseURL, ctx.Err())
		case <-tick.C:
		}
	}
}

// peakRSS returns the server process's peak resident set size in bytes
// (VmHWM). It covers the server process only, not its PostgreSQL children.
func (s *server) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// stop sends SIGTERM, waits up to stopTimeout (then kills), and removes the
// temporary folder. It returns an error if the server did not stop cleanly.
func (s *server) stop() error {
	defer os.RemoveAll(s.dir)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("server did not stop within %s after SIGTERM; killed\n--- tail of server log ---\n%s",
			stopTimeout, s.logTail(20))
	}
	if s.waitErr != nil {
		return fmt.Errorf("server exit: %v\n--- tail of server log ---\n%s", s.waitErr, s.logTail(20))
	}
	return nil
}

// logTail returns the last n lines of the server log.
func (s *server) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	return string(bytes.Join(lines[max(len(lines)-n, 0):], []byte("\n")))
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// withoutEnv returns env without the variable named key.
func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}
