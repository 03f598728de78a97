// Package db owns the PostgreSQL side of the server: the connection pool, transactions, the
// translation of pgx errors into storage errors, the embedded migrations, and the multi-step
// writes that compose the sqlc queries of gen/dbsqlc.
package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gatehouse/gen/dbsqlc"
)

// ParseConfig parses a connection string into a pool configuration with the server's defaults.
func ParseConfig(connString string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("db: parse connection string: %w", err)
	}
	return cfg, nil
}

// Store gives access to the database: the generated queries on the pool, and transactions.
type Store struct {
	pool *pgxpool.Pool
	*dbsqlc.Queries
}

// Open connects a pool to connString and checks that the database answers.
func Open(ctx context.Context, connString string) (*Store, error) {
	cfg, err := ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: ping: %w", translate(err))
	}
	return &Store{pool: pool, Queries: dbsqlc.New()}, nil
}

// Close releases every connection of the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return translate(s.pool.Ping(ctx)) }

// DB is what the generated queries run on: the pool or a transaction.
type DB = dbsqlc.DBTX

// Pool is the store's connection pool, for queries outside a transaction.
func (s *Store) Pool() DB { return s.pool }

// InTx runs fn in a transaction, committed when fn returns nil and rolled back otherwise.
// Errors from fn pass through unchanged; errors from the database are translated.
func (s *Store) InTx(ctx context.Context, fn func(tx DB) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(tx) })
	return translate(err)
}

// Exec runs a statement outside the generated queries and returns the rows it touched; for admin
// tasks and tests that arrange state the API cannot (expiry in the past, say).
func (s *Store) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, sql, args...)
	return tag.RowsAffected(), translate(err)
}

// Count runs a query returning one integer, such as SELECT count(*).
func (s *Store) Count(ctx context.Context, sql string, args ...any) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, translate(err)
}
