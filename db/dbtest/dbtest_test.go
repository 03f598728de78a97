package dbtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, connString string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), connString)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNewDBIsMigratedAndIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	began := time.Now()
	a := connect(t, NewDB(t))
	t.Logf("first NewDB (template built): %v", time.Since(began))
	began = time.Now()
	b := connect(t, NewDB(t))
	t.Logf("second NewDB: %v", time.Since(began))

	for _, conn := range []*pgx.Conn{a, b} {
		var applied int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM public.goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
			t.Fatalf("migrations table: %v", err)
		}
		if applied == 0 {
			t.Errorf("no migration applied")
		}
		var tz string
		if err := conn.QueryRow(ctx, "SHOW timezone").Scan(&tz); err != nil || tz != TimeZone {
			t.Errorf("timezone = %q, %v; want %s", tz, err, TimeZone)
		}
	}

	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (id int); INSERT INTO only_in_a VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	_, err := b.Exec(ctx, "SELECT * FROM only_in_a")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Fatalf("table of database a seen from database b: %v", err)
	}
}

func TestNewDBDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("inner", func(t *testing.T) {
		name = connect(t, NewDB(t)).Config().Database
	})
	var exists bool
	err := connect(t, AdminConnString()).QueryRow(context.Background(),
		"SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil || exists {
		t.Fatalf("database %s exists after its test: %v, %v", name, exists, err)
	}
}

// TestManyParallel clones many databases at once, each test keeping a session open on its own
// database (which must not keep others from cloning the template, nor its drop from working).
func TestManyParallel(t *testing.T) {
	for i := range 16 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			conn := connect(t, NewDB(t))
			if _, err := conn.Exec(context.Background(), "CREATE TABLE mine (v int)"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(context.Background(), "INSERT INTO mine VALUES ($1)", i); err != nil {
				t.Fatal(err)
			}
			var v int
			if err := conn.QueryRow(context.Background(), "SELECT v FROM mine").Scan(&v); err != nil || v != i {
				t.Fatalf("got %d, %v", v, err)
			}
		})
	}
}

func TestWithDBName(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/app?sslmode=disable":       "postgres://u:p@h:5432/t_x?sslmode=disable",
		"postgresql://h/app?dbname=other&sslmode=disable": "postgresql://h/t_x?sslmode=disable",
		"host=/tmp/s port=5432 user=postgres dbname=app":  "host=/tmp/s port=5432 user=postgres dbname=app dbname='t_x'",
	} {
		if got := withDBName(in, "t_x"); got != want {
			t.Errorf("withDBName(%q) = %q, want %q", in, got, want)
		}
		cfg, err := pgx.ParseConfig(withDBName(in, "t_x"))
		if err != nil || cfg.Database != "t_x" {
			t.Errorf("parsed %q: database %q, %v", withDBName(in, "t_x"), cfg.Database, err)
		}
	}
}

// BenchmarkNewDB measures the cloning of a test database (and its drop).
func BenchmarkNewDB(b *testing.B) {
	NewDB(b) // builds the template outside the measure
	for b.Loop() {
		connString := NewDB(b)
		cfg, err := pgx.ParseConfig(connString)
		if err != nil {
			b.Fatal(err)
		}
		if err := dropDB(context.Background(), cfg.Database); err != nil {
			b.Fatal(err)
		}
	}
}
