package mail

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/uuid"

	"gatehouse/db"
	"gatehouse/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// signInTemplate is the template the tests render; its variables are code and expiresInMinutes.
const signInTemplate = "emailcode-sign-in"

func signInData(code string) map[string]any {
	return map[string]any{"code": code, "expiresInMinutes": 10}
}

func newOutbox(t *testing.T, store *db.Store, wake func()) *Outbox {
	t.Helper()
	o, err := NewOutbox(store, wake)
	if err != nil {
		t.Fatalf("NewOutbox: %v", err)
	}
	return o
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// enqueue writes m to the outbox in a transaction of its own that commits.
func enqueue(t *testing.T, store *db.Store, o *Outbox, m Message) {
	t.Helper()
	err := store.InTx(context.Background(), func(tx db.DB) error {
		return o.Enqueue(context.Background(), tx, m)
	})
	if err != nil {
		t.Fatalf("Enqueue in a committed transaction: %v", err)
	}
}

// recorder is a Sender that keeps what it is given; it fails when handed a dead context, as a
// real transport would.
type recorder struct {
	mu   sync.Mutex
	sent []Outgoing
	per  map[uuid.UUID]int
}

func (r *recorder) Send(ctx context.Context, m Outgoing) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.per == nil {
		r.per = map[uuid.UUID]int{}
	}
	r.sent = append(r.sent, m)
	r.per[m.ID]++
	return nil
}

func (r *recorder) messages() []Outgoing {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Outgoing(nil), r.sent...)
}

func (r *recorder) count(id uuid.UUID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.per[id]
}

// failing is a Sender whose every attempt fails, counting the attempts.
type failing struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (f *failing) Send(context.Context, Outgoing) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.err
}

func (f *failing) attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

var errTransport = errors.New("smtp: 451 4.3.0 mailbox temporarily unavailable")

// outboxIDs lists the ids of the outbox rows, oldest first.
func outboxIDs(t *testing.T, store *db.Store) []uuid.UUID {
	t.Helper()
	rows, err := store.Pool().Query(context.Background(), "SELECT id FROM core.mail_outbox ORDER BY created_at, id")
	if err != nil {
		t.Fatalf("list outbox: %v", err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatalf("scan outbox id: %v", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("list outbox: %v", err)
	}
	return ids
}
