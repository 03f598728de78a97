package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationFS holds the SQL migrations, in goose format (which sqlc reads as its schema).
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrate applies every pending migration to the database at connString. A Postgres session
// lock makes concurrent callers (several instances starting at once) take turns.
func Migrate(ctx context.Context, connString string, logger *slog.Logger) error {
	cfg, err := ParseConfig(connString)
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDB(*cfg.ConnConfig)
	defer sqlDB.Close()
	return migrateDB(ctx, sqlDB, logger)
}

func migrateDB(ctx context.Context, sqlDB *sql.DB, logger *slog.Logger) error {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub,
		goose.WithSessionLocker(locker), goose.WithTableName("public.goose_db_version"))
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	if logger != nil {
		for _, r := range results {
			logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration.String())
		}
	}
	return nil
}

// MigrationsHash identifies the set of embedded migrations; test helpers name their migrated
// template database after it, so a changed migration gets a fresh template.
func MigrationsHash() string {
	entries, _ := fs.Glob(migrationFS, "migrations/*.sql")
	sort.Strings(entries)
	h := sha256.New()
	for _, name := range entries {
		b, _ := migrationFS.ReadFile(name)
		h.Write([]byte(name))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
