package db

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound reports that a query matched no row.
var ErrNotFound = errors.New("db: not found")

// ConflictError reports a unique-constraint violation, naming the constraint.
type ConflictError struct {
	Constraint string
	Err        error
}

// Error describes the conflict.
func (e *ConflictError) Error() string { return fmt.Sprintf("db: conflict on %s", e.Constraint) }

// Unwrap returns the driver error.
func (e *ConflictError) Unwrap() error { return e.Err }

// IsConflict reports whether err is a unique-constraint violation of constraint (any when empty).
func IsConflict(err error, constraint string) bool {
	var c *ConflictError
	return errors.As(err, &c) && (constraint == "" || c.Constraint == constraint)
}

// Translate turns pgx errors into this package's errors; other errors pass through.
func Translate(err error) error { return translate(err) }

func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return &ConflictError{Constraint: pgErr.ConstraintName, Err: err}
	}
	return err
}
