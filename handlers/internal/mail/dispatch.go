package mail

import (
	"context"
	"log/slog"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
)

// Sender delivers one rendered message.
type Sender interface {
	Send(ctx context.Context, m Outgoing) error
}

// Dispatcher sends the outbox through a Sender: it claims due messages (several dispatchers never
// take the same one), sends them, and records success, a retry with backoff, or abandonment.
type Dispatcher struct {
	store       *db.Store
	sender      Sender
	logger      *slog.Logger
	poll        time.Duration
	maxAttempts int
	wake        chan struct{}
}

// NewDispatcher returns a dispatcher polling every poll interval (and when woken).
func NewDispatcher(store *db.Store, sender Sender, logger *slog.Logger, poll time.Duration) *Dispatcher {
	return &Dispatcher{store: store, sender: sender, logger: logger, poll: poll, maxAttempts: 8,
		wake: make(chan struct{}, 1)}
}

// Wake makes Run look at the outbox now; it never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends mail until ctx ends, then drains what is due once more with a short deadline.
// A batch under way when ctx ends is finished, not abandoned halfway: its sends and their
// bookkeeping run on a context of their own.
func (d *Dispatcher) Run(ctx context.Context) {
	work := context.WithoutCancel(ctx)
	t := time.NewTicker(d.poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			batch, cancel := context.WithTimeout(work, leaseTime-time.Minute)
			n, err := d.RunOnce(batch)
			cancel()
			if err != nil {
				d.logger.Error("mail dispatch", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			drain, cancel := context.WithTimeout(work, 5*time.Second)
			if _, err := d.RunOnce(drain); err != nil {
				d.logger.Warn("mail drain at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

const (
	// batchSize is how many messages one claim takes.
	batchSize = 20
	// sendTimeout bounds one delivery; batchSize of them fit well within the lease.
	sendTimeout = 10 * time.Second
	// leaseTime is how long claimed messages are left to their dispatcher before another
	// may take them over.
	leaseTime = 5 * time.Minute
)

// RunOnce sends one batch of due messages and returns how many it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	rows, err := d.store.MailOutboxClaim(ctx, d.store.Pool(), dbsqlc.MailOutboxClaimParams{
		LeaseSeconds: leaseTime.Seconds(), MaxRows: batchSize,
	})
	if err != nil {
		return 0, db.Translate(err)
	}
	for _, row := range rows {
		msg := Outgoing{ID: row.ID, To: row.Recipient, Subject: row.Subject, Template: row.Template,
			Data: row.Data, Text: row.BodyText, HTML: row.BodyHtml, CreatedAt: row.CreatedAt.UTC()}
		sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
		sendErr := d.sender.Send(sendCtx, msg)
		cancel()
		if sendErr == nil {
			err = d.store.MailOutboxMarkSent(ctx, d.store.Pool(), dbsqlc.MailOutboxMarkSentParams{ID: row.ID, Attempts: row.Attempts})
		} else {
			abandon := int(row.Attempts) >= d.maxAttempts
			d.logger.Warn("mail send failed", "id", row.ID, "template", row.Template,
				"attempt", row.Attempts, "abandoned", abandon, "err", sendErr)
			err = d.store.MailOutboxMarkFailed(ctx, d.store.Pool(), dbsqlc.MailOutboxMarkFailedParams{
				ID: row.ID, Attempts: row.Attempts, Abandon: abandon, LastError: ptr(sendErr.Error()),
				RetrySeconds: backoff(int(row.Attempts)).Seconds(),
			})
		}
		if err != nil {
			return len(rows), db.Translate(err)
		}
	}
	return len(rows), nil
}

// backoff is the wait before attempt n+1: 5 s doubling up to an hour.
func backoff(n int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func ptr[T any](v T) *T { return &v }

// DeleteFinished deletes sent and abandoned messages older than age.
func (d *Dispatcher) DeleteFinished(ctx context.Context, age time.Duration) (int64, error) {
	n, err := d.store.MailOutboxDeleteFinished(ctx, d.store.Pool(), time.Now().Add(-age))
	return n, db.Translate(err)
}
