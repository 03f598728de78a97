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
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.poll)
	defer t.Stop()
	for {
		for {
			n, err := d.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.logger.Error("mail dispatch", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_, _ = d.RunOnce(drain)
			cancel()
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// RunOnce sends one batch of due messages and returns how many it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	rows, err := d.store.MailOutboxClaim(ctx, d.store.Pool(), dbsqlc.MailOutboxClaimParams{
		LeaseSeconds: 60, MaxRows: 20,
	})
	if err != nil {
		return 0, db.Translate(err)
	}
	for _, row := range rows {
		msg := Outgoing{ID: row.ID, To: row.Recipient, Subject: row.Subject, Template: row.Template,
			Data: row.Data, Text: row.BodyText, HTML: row.BodyHtml, CreatedAt: row.CreatedAt}
		sendErr := d.sender.Send(ctx, msg)
		if sendErr == nil {
			err = d.store.MailOutboxMarkSent(ctx, d.store.Pool(), row.ID)
		} else {
			abandon := int(row.Attempts) >= d.maxAttempts
			d.logger.Warn("mail send failed", "id", row.ID, "template", row.Template,
				"attempt", row.Attempts, "abandoned", abandon, "err", sendErr)
			err = d.store.MailOutboxMarkFailed(ctx, d.store.Pool(), dbsqlc.MailOutboxMarkFailedParams{
				ID: row.ID, Abandon: abandon, LastError: ptr(sendErr.Error()),
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
