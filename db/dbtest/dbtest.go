// Package dbtest gives each test a PostgreSQL database of its own, migrated and empty.
//
// A package's TestMain calls Main. With DATABASE_URL unset, Main starts a private cluster (see
// db/pgembed) for the test binary and stops it at the end; with DATABASE_URL set, the tests use
// that server, which must let its user create databases. NewDB then clones, for each test, a
// template database migrated once per cluster and per set of migrations: a clone costs some
// 50 ms of server CPU, so tests can run in parallel, each in its own database.
//
// Every database is created with timezone America/New_York, so that code which forgets to use
// UTC explicitly shows up in tests.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gatehouse/db"
	"gatehouse/db/pgembed"
)

// TimeZone is the timezone setting of every test database.
const TimeZone = "America/New_York"

// templateLockKey is the advisory lock under which test binaries sharing a server build the
// template (an arbitrary constant).
const templateLockKey int64 = 0x6761746568736462 // "gatehsdb"

// opTimeout bounds each administrative step (creating, migrating, dropping a database).
const opTimeout = 2 * time.Minute

var (
	// adminConn is the maintenance database of the cluster in use; empty until Main ran.
	adminConn string
	// connFor returns the connection string of a database of the cluster in use.
	connFor func(dbname string) string

	templateOnce sync.Once
	templateName string
	templateErr  error
	// cloneClause ends CREATE DATABASE: the template, and on PostgreSQL 15 and later the copy
	// strategy. FILE_COPY copies the template's files where the default WAL_LOG also writes
	// them all to the WAL; it measured a little cheaper, most of all with parallel clones.
	cloneClause string
)

// Main runs the tests of a package against a PostgreSQL server; call it from TestMain. With
// DATABASE_URL unset it starts a private cluster (fsync off) in a fresh folder under
// os.TempDir(), and stops and removes it after the tests. It exits with the tests' exit code.
func Main(m interface{ Run() int }) {
	os.Exit(run(m))
}

func run(m interface{ Run() int }) int {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		adminConn = u
		connFor = func(name string) string { return withDBName(u, name) }
		return m.Run()
	}

	removeAbandonedDirs()
	dir, lock, err := newClusterDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	defer func() {
		_ = os.RemoveAll(dir)
		_ = lock.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	cluster, err := pgembed.Start(ctx, pgembed.Options{Dir: filepath.Join(dir, "data"), Fast: true})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cluster.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "dbtest:", err)
		}
	}()
	adminConn = cluster.ConnString("postgres")
	connFor = cluster.ConnString
	return m.Run()
}

// AdminConnString returns the connection string of the maintenance database of the cluster in
// use (the postgres database of the private cluster, or DATABASE_URL itself).
func AdminConnString() string {
	if adminConn == "" {
		panic("dbtest: AdminConnString called before dbtest.Main: call dbtest.Main(m) from TestMain")
	}
	return adminConn
}

// NewDB creates a database for the test, with every migration applied and no rows of its own,
// and returns its connection string. The database is dropped when the test ends (sessions still
// connected are ended). Safe for parallel tests.
func NewDB(t testing.TB) string {
	t.Helper()
	if adminConn == "" {
		t.Fatal("dbtest: NewDB called before dbtest.Main: call dbtest.Main(m) from TestMain")
	}
	templateOnce.Do(func() { templateErr = ensureTemplate() })
	if templateErr != nil {
		t.Fatalf("dbtest: template database: %v", templateErr)
	}

	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err := withAdmin(ctx, func(conn *pgx.Conn) error {
		ident := pgx.Identifier{name}.Sanitize()
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+cloneClause); err != nil {
			return err
		}
		// Database-level settings are not copied from the template.
		_, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" SET timezone TO '"+TimeZone+"'")
		return err
	})
	if err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := dropDB(ctx, name); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return connFor(name)
}

// ensureTemplate sets templateName and cloneClause, building the migrated template database if
// no test binary using this server did yet.
func ensureTemplate() error {
	name := "tpl_" + db.MigrationsHash()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err := withAdmin(ctx, func(conn *pgx.Conn) error {
		var version int
		if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
			return err
		}
		templateName = name
		cloneClause = " TEMPLATE " + pgx.Identifier{name}.Sanitize()
		if version >= 150000 {
			cloneClause += " STRATEGY FILE_COPY"
		}

		// Advisory locks are per database: every binary takes it in the admin database. The lock
		// goes with the session, closed by withAdmin.
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
			return err
		}
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		// Built under a temporary name and renamed when complete, so that a template database
		// of this name is always a complete one. A builder that died left the temporary one.
		tmp := name + "_build"
		tmpIdent := pgx.Identifier{tmp}.Sanitize()
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmpIdent+" WITH (FORCE)"); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmpIdent+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
			return err
		}
		if err := db.Migrate(ctx, connFor(tmp), nil); err != nil {
			return err
		}
		for _, stmt := range []string{
			"ALTER DATABASE " + tmpIdent + " SET timezone TO '" + TimeZone + "'",
			// Nobody may connect to the template: a session on it would make cloning fail.
			"ALTER DATABASE " + tmpIdent + " WITH ALLOW_CONNECTIONS false",
		} {
			if _, err := conn.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		// The migration's sessions are closed, but their backends may still be exiting.
		if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", tmp); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "ALTER DATABASE "+tmpIdent+" RENAME TO "+pgx.Identifier{name}.Sanitize())
		return err
	})
	if err != nil {
		return fmt.Errorf("build %s: %w", name, err)
	}
	return nil
}

func dropDB(ctx context.Context, name string) error {
	err := withAdmin(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// withAdmin runs fn on a new session of the maintenance database, closed afterwards.
func withAdmin(ctx context.Context, fn func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, adminConn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return fn(conn)
}

// dbName makes a unique database name that shows which test it belongs to.
func dbName(testName string) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var random [6]byte
	_, _ = rand.Read(random[:])
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(random[:]))
	return b.String()
}

// withDBName returns connString (a URL or key=value settings) with its database set to name.
func withDBName(connString, name string) string {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		if u, err := url.Parse(connString); err == nil {
			u.Path = "/" + name
			u.RawPath = ""
			q := u.Query()
			if q.Has("dbname") {
				q.Del("dbname")
				u.RawQuery = q.Encode()
			}
			return u.String()
		}
	}
	// In key=value settings, the last of repeated keys wins.
	return connString + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(name) + "'"
}

const clusterDirPrefix = "gatehouse-dbtest-"

// newClusterDir makes the folder of this binary's cluster and locks it for the life of the
// process, so that a later run can tell abandoned folders (of binaries killed by a test timeout)
// from those in use.
func newClusterDir() (string, *os.File, error) {
	dir, err := os.MkdirTemp(os.TempDir(), clusterDirPrefix)
	if err != nil {
		return "", nil, err
	}
	// When the tests run as root, the cluster runs as another user, who must be able to enter.
	if err := os.Chmod(dir, 0o711); err != nil {
		return "", nil, err
	}
	// Locked under another name, then renamed: removeAbandonedDirs never sees an unlocked one.
	tmp := filepath.Join(dir, "owner.lock.new")
	lock, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return "", nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "owner.lock")); err != nil {
		lock.Close()
		return "", nil, err
	}
	return dir, lock, nil
}

// removeAbandonedDirs removes the cluster folders of earlier test binaries that died without
// cleaning up (their postgres stopped with them).
func removeAbandonedDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), clusterDirPrefix+"*"))
	for _, dir := range dirs {
		lock, err := os.Open(filepath.Join(dir, "owner.lock"))
		if err != nil {
			// Not locked yet (just made) or never: only remove it when it is old.
			if st, err := os.Stat(dir); err == nil && time.Since(st.ModTime()) > time.Hour {
				_ = os.RemoveAll(dir)
			}
			continue
		}
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.RemoveAll(dir)
		}
		lock.Close()
	}
}

// NewStore opens a db.Store on a new test database (see NewDB), closed when the test ends.
func NewStore(t testing.TB) *db.Store {
	t.Helper()
	return OpenStore(t, NewDB(t))
}

// OpenStore opens a db.Store on connString, closed when the test ends; two stores on one
// database stand for two server instances.
func OpenStore(t testing.TB, connString string) *db.Store {
	t.Helper()
	store, err := db.Open(context.Background(), connString)
	if err != nil {
		t.Fatalf("db.Open: %v", err)
	}
	t.Cleanup(store.Close)
	return store
}

// Exec runs a statement on store to arrange what an API cannot (an expiry in the past, say) and
// returns the rows it touched; a failure ends the test.
func Exec(t testing.TB, store *db.Store, sql string, args ...any) int64 {
	t.Helper()
	n, err := store.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Count runs a query returning one integer, such as SELECT count(*); a failure ends the test.
func Count(t testing.TB, store *db.Store, sql string, args ...any) int {
	t.Helper()
	n, err := store.Count(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
