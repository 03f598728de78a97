// Package pgembed runs a private PostgreSQL cluster from the binaries installed on the machine
// (initdb and postgres, Debian's postgresql package). The server uses it when DATABASE_URL is
// unset, and the test helpers of db/dbtest use it to get a cluster of their own.
//
// The cluster lives in a data folder of its own, listens only on a Unix socket in a short folder
// under /tmp that only its OS user (and root) can enter, trusts every local connection, and runs
// as a child process that the kernel stops when its parent dies. Started as root, it runs as an
// unprivileged OS user, since PostgreSQL refuses to run as root.
package pgembed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries is returned by Start when neither PATH nor /usr/lib/postgresql/*/bin holds the
// PostgreSQL server binaries.
var ErrNoBinaries = errors.New("pgembed: PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: install them (apt-get install postgresql) or set DATABASE_URL to use an existing server")

// ErrInUse is returned by Start when another process runs the cluster of the folder; Attach
// connects to that cluster instead.
var ErrInUse = errors.New("pgembed: another process runs the PostgreSQL cluster")

// Options configures Start.
type Options struct {
	// Dir is the data folder. The cluster lives in Dir/pg (created by initdb on the first start
	// and reused after), the server's output goes to Dir/pg.log, and Dir/pg.lock keeps two
	// processes from running the same cluster.
	Dir string
	// Fast trades durability for speed, for tests: fsync, synchronous_commit,
	// full_page_writes and autovacuum off, and more connections allowed.
	Fast bool
	// Logger receives start and stop events; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running PostgreSQL server started by Start. Stop it with Stop.
type Cluster struct {
	dataDir string
	sockDir string
	logPath string
	logger  *slog.Logger

	cmd     *exec.Cmd
	logFile *os.File
	lock    *os.File
	done    chan struct{} // closed when the postgres process has exited
	waitErr error         // the exit status, valid once done is closed

	stopOnce sync.Once
	stopErr  error
}

const (
	superuser = "postgres"
	port      = 5432 // names the socket file only: the cluster listens on no TCP port
	// readyTimeout bounds the wait for a freshly started server to accept connections.
	readyTimeout = 30 * time.Second
	// orphanWait bounds the wait for a postgres left by a previous owner of the folder (which
	// got its parent-death signal) to finish its shutdown.
	orphanWait = 15 * time.Second
)

// Start starts the cluster in o.Dir, creating it on the first call, and returns once it
// accepts connections.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	began := time.Now()
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Dir == "" {
		return nil, errors.New("pgembed: Options.Dir is empty")
	}
	initdbBin, postgresBin, err := lookupBinaries()
	if err != nil {
		return nil, err
	}
	runAs, err := clusterUser(ctx)
	if err != nil {
		return nil, err
	}

	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	dirPerm := fs.FileMode(0o700)
	if runAs != nil {
		dirPerm = 0o711 // the cluster user must be able to enter it, nothing more
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("pgembed: create data folder: %w", err)
	}
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	if runAs != nil {
		if err := checkSearchable(dir, runAs); err != nil {
			return nil, err
		}
	}

	c := &Cluster{
		dataDir: filepath.Join(dir, "pg"),
		sockDir: socketDir(dir),
		logPath: filepath.Join(dir, "pg.log"),
		logger:  logger,
		done:    make(chan struct{}),
	}
	if c.lock, err = lockFolder(filepath.Join(dir, "pg.lock")); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			c.release()
		}
	}()
	if c.logFile, err = os.OpenFile(c.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("pgembed: open log: %w", err)
	}
	if err := prepareSocketDir(c.sockDir, runAs); err != nil {
		return nil, err
	}

	_, statErr := os.Stat(filepath.Join(c.dataDir, "PG_VERSION"))
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		if err := c.initdb(ctx, initdbBin, runAs, o.Fast); err != nil {
			return nil, err
		}
	case statErr != nil:
		return nil, fmt.Errorf("pgembed: %w", statErr)
	default:
		if err := chownTree(c.dataDir, runAs); err != nil {
			return nil, err
		}
		if err := c.waitForOrphan(ctx); err != nil {
			return nil, err
		}
	}
	// No live postgres owns the folder (the lock and the check above say so): lock files of a
	// crashed run in the socket folder, which is this cluster's alone, are stale.
	for _, name := range []string{socketName(), socketName() + ".lock"} {
		_ = os.Remove(filepath.Join(c.sockDir, name))
	}

	if err := c.startServer(ctx, postgresBin, runAs, o.Fast); err != nil {
		return nil, err
	}
	ok = true
	logger.Info("embedded postgres started", "dir", c.dataDir, "socket", c.sockDir,
		"pid", c.cmd.Process.Pid, "duration", time.Since(began).Round(time.Millisecond).String())
	return c, nil
}

// Attach returns the cluster of dir that another process started and still runs (Start gave
// ErrInUse), for short tasks such as admin commands; its Stop leaves the cluster running.
func Attach(ctx context.Context, dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	c := &Cluster{dataDir: filepath.Join(abs, "pg"), sockDir: socketDir(abs), logger: slog.New(slog.DiscardHandler), done: make(chan struct{})}
	if lock, err := lockFolder(filepath.Join(abs, "pg.lock")); err == nil {
		_ = lock.Close()
		return nil, fmt.Errorf("pgembed: no process runs the PostgreSQL cluster in %s", abs)
	} else if !errors.Is(err, ErrInUse) {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return nil, fmt.Errorf("pgembed: attach to the running cluster in %s: %w", abs, err)
	}
	_ = conn.Close(ctx)
	return c, nil
}

// ConnString returns a connection string for database dbname of the cluster, as its superuser
// postgres, over the Unix socket.
func (c *Cluster) ConnString(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		quoteValue(c.sockDir), port, superuser, quoteValue(dbname))
}

// Stop shuts the server down (fast shutdown: sessions are ended, open transactions rolled
// back) and waits for it to exit. When ctx ends first, the server is stopped at once (SIGQUIT,
// then SIGKILL) and ctx's error is returned. Stop may be called more than once.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() { c.stopErr = c.stop(ctx) })
	return c.stopErr
}

func (c *Cluster) stop(ctx context.Context) error {
	defer c.release()
	if c.cmd == nil {
		return nil // attached: the process that started the cluster stops it
	}
	select {
	case <-c.done:
		return fmt.Errorf("pgembed: postgres had exited before Stop: %v", c.waitErr)
	default:
	}
	began := time.Now()
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case <-c.done:
	case <-ctx.Done():
		err = fmt.Errorf("pgembed: stop: %w", ctx.Err())
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	_ = os.Remove(c.sockDir) // empty once postgres is gone; Start makes it again
	c.logger.Info("embedded postgres stopped", "dir", c.dataDir,
		"duration", time.Since(began).Round(time.Millisecond).String())
	return err
}

// release closes the log and gives up the folder lock.
func (c *Cluster) release() {
	if c.logFile != nil {
		_ = c.logFile.Close()
	}
	if c.lock != nil {
		_ = c.lock.Close() // closing the descriptor releases the flock
	}
}

func (c *Cluster) initdb(ctx context.Context, bin string, runAs *osUser, fast bool) error {
	if err := os.Mkdir(c.dataDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgembed: create cluster folder: %w", err)
	}
	if err := chownTree(c.dataDir, runAs); err != nil {
		return err
	}
	args := []string{"-D", c.dataDir, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if fast {
		args = append(args, "--no-sync")
	}
	c.logger.Info("embedded postgres: creating cluster", "dir", c.dataDir)
	cmd := exec.CommandContext(ctx, bin, args...)
	c.prepare(cmd, runAs)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgembed: initdb %s: %v\n%s", c.dataDir, err, c.logTail())
	}
	return nil
}

func (c *Cluster) startServer(ctx context.Context, bin string, runAs *osUser, fast bool) error {
	args := []string{"-D", c.dataDir,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories=" + c.sockDir,
		"-c", "unix_socket_permissions=0700",
		"-c", "port=" + strconv.Itoa(port),
	}
	if fast {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
			"-c", "max_connections=300",
			"-c", "autovacuum=off", // tests' databases live seconds; workers would only take CPU
		)
	}
	cmd := exec.Command(bin, args...)
	c.prepare(cmd, runAs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgembed: start postgres: %w", err)
	}
	c.cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	connString := c.ConnString("postgres")
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attempt, connString)
		cancelAttempt()
		if err == nil {
			_ = conn.Close(context.Background())
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("pgembed: postgres exited at start (%v); end of %s:\n%s", c.waitErr, c.logPath, c.logTail())
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-c.done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-c.done
			}
			return fmt.Errorf("pgembed: postgres did not accept connections (%v: %v); end of %s:\n%s", ctx.Err(), err, c.logPath, c.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// prepare sets the output, environment, working folder and credentials of a PostgreSQL command.
func (c *Cluster) prepare(cmd *exec.Cmd, runAs *osUser) {
	cmd.Stdout = c.logFile
	cmd.Stderr = c.logFile
	cmd.Dir = "/" // the caller's folder may be closed to the cluster user (e.g. /root)
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = sysProcAttr(runAs)
}

// cleanEnv is the process environment without the libpq and locale variables, which could
// redirect or break the server, and with the C locale.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

// waitForOrphan deals with the postmaster.pid of an earlier run. A dead or unrelated pid is
// removed (a container restart reuses pids); a postgres still serving the folder is one whose
// owner died (it got its parent-death signal and is shutting down) or was started by hand: it is
// given a few seconds to exit, then Start fails. What cannot be told is left to postgres.
func (c *Cluster) waitForOrphan(ctx context.Context) error {
	pidFile := filepath.Join(c.dataDir, "postmaster.pid")
	deadline := time.Now().Add(orphanWait)
	for {
		pid, state := postmasterPID(pidFile, c.dataDir)
		switch state {
		case pidNone, pidUnknown:
			return nil
		case pidStale:
			c.logger.Info("embedded postgres: removing stale postmaster.pid", "pid", pid)
			if err := os.Remove(pidFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("pgembed: remove stale %s: %w", pidFile, err)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgembed: another PostgreSQL (pid %d) is running on %s: stop it first", pid, c.dataDir)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgembed: waiting for PostgreSQL pid %d to leave %s: %w", pid, c.dataDir, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type pidState int

const (
	pidNone    pidState = iota // no postmaster.pid
	pidStale                   // the pid is dead, a zombie, or a process working elsewhere
	pidLive                    // a live process works in the data folder: a postmaster
	pidUnknown                 // a live process that cannot be inspected
)

// postmasterPID reads the pid in pidFile and tells whether a live process with that pid serves
// dataDir.
func postmasterPID(pidFile, dataDir string) (int, pidState) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, pidNone
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, pidStale // a torn write of a crashed start
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) || isZombie(pid) {
		return pid, pidStale
	}
	// The postmaster works in its data folder: a process elsewhere merely reuses the pid. A
	// process that cannot be inspected belongs to another user, so it is not a postmaster of
	// ours either, but postgres itself makes that call.
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	switch {
	case err != nil:
		return pid, pidUnknown
	case filepath.Clean(strings.TrimSuffix(cwd, " (deleted)")) == dataDir:
		return pid, pidLive
	default:
		return pid, pidStale
	}
}

// isZombie tells whether pid has exited but not been reaped (an orphan whose new parent does
// not reap, as in some containers).
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// logTail returns the last lines of the server log, for error messages.
func (c *Cluster) logTail() string {
	f, err := os.Open(c.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 4096
	if st, err := f.Stat(); err == nil && st.Size() > max {
		_, _ = f.Seek(st.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// socketDir is a short folder for the cluster's socket, one per data folder (socket paths are
// limited to about 107 bytes).
func socketDir(absDir string) string {
	sum := sha256.Sum256([]byte(absDir))
	return "/tmp/gh-pg-" + hex.EncodeToString(sum[:6])
}

func socketName() string { return ".s.PGSQL." + strconv.Itoa(port) }

// prepareSocketDir creates the socket folder, or checks the existing one, so that only the
// cluster user can enter it: local connections are trusted, so the folder is the access check.
func prepareSocketDir(dir string, runAs *osUser) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgembed: create socket folder: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("pgembed: socket folder %s is not a folder", dir)
	}
	want := uint32(os.Geteuid())
	if runAs != nil {
		want = runAs.uid
		if err := os.Lchown(dir, int(runAs.uid), int(runAs.gid)); err != nil {
			return fmt.Errorf("pgembed: chown socket folder: %w", err)
		}
	}
	if owner, ok := fileOwner(st); ok && owner != want && runAs == nil {
		return fmt.Errorf("pgembed: socket folder %s belongs to another user (uid %d): remove it", dir, owner)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pgembed: chmod socket folder: %w", err)
	}
	return nil
}

// quoteValue quotes a value of a key=value connection string when it needs it.
func quoteValue(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`) {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
