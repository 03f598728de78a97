package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/db"
	"gatehouse/db/dbtest"
)

func TestRunOnceSendsEachMessageOnceAndClearsIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	codes := map[string]string{"a@example.com": "100001", "b@example.com": "200002", "c@example.com": "300003"}
	for to, code := range codes {
		enqueue(t, store, o, Message{To: to, Template: signInTemplate, Data: signInData(code)})
	}
	ids := outboxIDs(t, store)
	rec := &recorder{}
	d := NewDispatcher(store, rec, discardLogger(), time.Hour)
	began := time.Now()
	if n, err := d.RunOnce(ctx); err != nil || n != len(codes) {
		t.Fatalf("RunOnce = %d, %v; want %d", n, err, len(codes))
	}
	if n, err := d.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("second RunOnce = %d, %v; want nothing left", n, err)
	}
	sent := rec.messages()
	if len(sent) != len(codes) {
		t.Fatalf("sent %d messages, want %d", len(sent), len(codes))
	}
	for _, id := range ids {
		if c := rec.count(id); c != 1 {
			t.Fatalf("message %s sent %d times", id, c)
		}
	}
	for _, m := range sent {
		code, ok := codes[m.To]
		if !ok {
			t.Fatalf("sent to unexpected recipient %q", m.To)
		}
		if m.Template != signInTemplate || m.Subject != "Your sign-in code: "+code ||
			!strings.Contains(m.Text, code) || !strings.Contains(m.HTML, code) {
			t.Fatalf("message to %s = %+v", m.To, m)
		}
		var data map[string]any
		if err := json.Unmarshal(m.Data, &data); err != nil || data["code"] != code || data["expiresInMinutes"] != float64(10) {
			t.Fatalf("message to %s: data %s (%v)", m.To, m.Data, err)
		}
		if m.CreatedAt.IsZero() || m.CreatedAt.After(began.Add(time.Second)) || began.Sub(m.CreatedAt) > time.Minute {
			t.Fatalf("message to %s: createdAt %v, test began %v", m.To, m.CreatedAt, began)
		}
	}
	for _, id := range ids {
		row, err := store.MailOutboxGet(ctx, store.Pool(), id)
		if err != nil {
			t.Fatalf("MailOutboxGet: %v", err)
		}
		if row.Status != "sent" || row.SentAt == nil || row.Attempts != 1 || row.LastError != nil {
			t.Fatalf("row after sending: status %s, sentAt %v, attempts %d, lastError %v", row.Status, row.SentAt, row.Attempts, row.LastError)
		}
		// The subject goes too: the sign-in mail's subject carries the code.
		if row.Subject != "" || row.BodyText != "" || row.BodyHtml != "" || string(row.Data) != "{}" {
			t.Fatalf("sent row keeps its content: subject %q, text %q, html %q, data %s", row.Subject, row.BodyText, row.BodyHtml, row.Data)
		}
		if row.Recipient == "" || row.Template == "" {
			t.Fatalf("sent row lost its envelope: %+v", row)
		}
	}
}

func TestFailedSendIsRetriedThenAbandoned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	enqueue(t, store, o, Message{To: "down@example.com", Template: signInTemplate, Data: signInData("555555")})
	id := outboxIDs(t, store)[0]
	sender := &failing{err: errTransport}
	d := NewDispatcher(store, sender, discardLogger(), time.Hour)
	if d.maxAttempts < 2 {
		t.Fatalf("maxAttempts = %d: a failed send is never retried", d.maxAttempts)
	}

	var lastDelay time.Duration
	for round := 1; round <= d.maxAttempts; round++ {
		if round > 1 {
			// The retry is due now rather than after its backoff.
			dbtest.Exec(t, store, "UPDATE core.mail_outbox SET next_attempt_at = now() WHERE id = $1", id)
		}
		if n, err := d.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("round %d: RunOnce = %d, %v; want the message claimed", round, n, err)
		}
		if got := sender.attempts(); got != round {
			t.Fatalf("round %d: %d send attempts", round, got)
		}
		row, err := store.MailOutboxGet(ctx, store.Pool(), id)
		if err != nil {
			t.Fatalf("MailOutboxGet: %v", err)
		}
		if int(row.Attempts) != round {
			t.Fatalf("round %d: attempts = %d", round, row.Attempts)
		}
		if row.LastError == nil || *row.LastError != errTransport.Error() {
			t.Fatalf("round %d: last_error = %v, want %q", round, row.LastError, errTransport)
		}
		if row.SentAt != nil {
			t.Fatalf("round %d: a failed message has sent_at %v", round, row.SentAt)
		}
		if round == d.maxAttempts {
			if row.Status != "abandoned" {
				t.Fatalf("after %d failed attempts status = %s, want abandoned", round, row.Status)
			}
			if row.Subject != "" || row.BodyText != "" || row.BodyHtml != "" || string(row.Data) != "{}" {
				t.Fatalf("an abandoned message keeps its content (codes, links): %+v", row)
			}
			// A week later it is deleted; younger finished rows are kept.
			if n, err := d.DeleteFinished(ctx, time.Hour); err != nil || n != 0 {
				t.Fatalf("DeleteFinished of a fresh row: %d, %v", n, err)
			}
			if _, err := store.Exec(ctx, `UPDATE core.mail_outbox SET created_at = now() - interval '8 days' WHERE id = $1`, row.ID); err != nil {
				t.Fatal(err)
			}
			if n, err := d.DeleteFinished(ctx, 7*24*time.Hour); err != nil || n != 1 {
				t.Fatalf("DeleteFinished of an 8-day-old abandoned row: %d, %v", n, err)
			}
			break
		}
		if row.Status != "queued" {
			t.Fatalf("round %d: status = %s, want queued for a retry", round, row.Status)
		}
		delay := time.Until(row.NextAttemptAt)
		if delay < time.Second || delay > time.Hour+time.Minute {
			t.Fatalf("round %d: next attempt in %v; want a backoff between 1 s and an hour", round, delay)
		}
		if delay+2*time.Second < lastDelay {
			t.Fatalf("round %d: backoff shrank from %v to %v", round, lastDelay, delay)
		}
		lastDelay = delay
		if row.BodyText == "" || string(row.Data) == "{}" {
			t.Fatalf("round %d: a message waiting for a retry lost its content", round)
		}
		// Not due yet: the next round does not send it.
		if n, err := d.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("round %d: RunOnce before the backoff = %d, %v; want 0", round, n, err)
		}
	}

	dbtest.Exec(t, store, "UPDATE core.mail_outbox SET next_attempt_at = now() WHERE id = $1", id)
	if n, err := d.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce after abandonment = %d, %v; want 0", n, err)
	}
	if got := sender.attempts(); got != d.maxAttempts {
		t.Fatalf("%d send attempts, want %d", got, d.maxAttempts)
	}
}

// flaky fails its first failures sends, then delivers.
type flaky struct {
	recorder
	mu       sync.Mutex
	failures int
}

func (f *flaky) Send(ctx context.Context, m Outgoing) error {
	f.mu.Lock()
	fail := f.failures > 0
	f.failures--
	f.mu.Unlock()
	if fail {
		return errTransport
	}
	return f.recorder.Send(ctx, m)
}

func TestRetrySucceedsAndClearsError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	enqueue(t, store, o, Message{To: "later@example.com", Template: signInTemplate, Data: signInData("777777")})
	id := outboxIDs(t, store)[0]
	sender := &flaky{failures: 2}
	d := NewDispatcher(store, sender, discardLogger(), time.Hour)
	for round := 1; round <= 3; round++ {
		dbtest.Exec(t, store, "UPDATE core.mail_outbox SET next_attempt_at = now() WHERE id = $1 AND status = 'queued'", id)
		if n, err := d.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("round %d: RunOnce = %d, %v", round, n, err)
		}
	}
	if c := sender.count(id); c != 1 {
		t.Fatalf("delivered %d times, want 1", c)
	}
	row, err := store.MailOutboxGet(ctx, store.Pool(), id)
	if err != nil {
		t.Fatalf("MailOutboxGet: %v", err)
	}
	if row.Status != "sent" || row.Attempts != 3 || row.LastError != nil || row.BodyText != "" {
		t.Fatalf("row = status %s, attempts %d, lastError %v, text %q", row.Status, row.Attempts, row.LastError, row.BodyText)
	}
}

// picky fails for one recipient and delivers to the others.
type picky struct {
	recorder
	bad string
}

func (p *picky) Send(ctx context.Context, m Outgoing) error {
	if m.To == p.bad {
		return errTransport
	}
	return p.recorder.Send(ctx, m)
}

func TestOneFailingMessageDoesNotHoldBackOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	for _, to := range []string{"ok1@example.com", "bad@example.com", "ok2@example.com"} {
		enqueue(t, store, o, Message{To: to, Template: signInTemplate, Data: signInData("123123")})
	}
	sender := &picky{bad: "bad@example.com"}
	d := NewDispatcher(store, sender, discardLogger(), time.Hour)
	if n, err := d.RunOnce(ctx); err != nil || n != 3 {
		t.Fatalf("RunOnce = %d, %v; want 3 claimed", n, err)
	}
	if got := len(sender.messages()); got != 2 {
		t.Fatalf("delivered %d messages, want the 2 good ones", got)
	}
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.mail_outbox WHERE status = 'sent'"); n != 2 {
		t.Fatalf("%d rows sent, want 2", n)
	}
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.mail_outbox WHERE status = 'queued' AND recipient = 'bad@example.com' AND last_error IS NOT NULL"); n != 1 {
		t.Fatalf("the failed message is not queued for a retry with its error")
	}
}

func TestConcurrentDispatchersNeverSendTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.NewDB(t)
	// Two pools over one database stand for two server instances.
	stores := []*db.Store{dbtest.OpenStore(t, conn), dbtest.OpenStore(t, conn)}
	o := newOutbox(t, stores[0], nil)
	const messages = 300
	err := stores[0].InTx(ctx, func(tx db.DB) error {
		for i := range messages {
			m := Message{To: fmt.Sprintf("user%03d@example.com", i), Template: signInTemplate, Data: signInData(fmt.Sprintf("%06d", i))}
			if err := o.Enqueue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}

	rec := &slowRecorder{}
	const dispatchers = 4
	claimed := make([]int, dispatchers)
	errs := make(chan error, dispatchers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range dispatchers {
		d := NewDispatcher(stores[i%len(stores)], rec, discardLogger(), time.Hour)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				n, err := d.RunOnce(ctx)
				if err != nil {
					errs <- err
					return
				}
				if n == 0 {
					return
				}
				claimed[i] += n
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("RunOnce: %v", err)
	}

	total := 0
	for _, n := range claimed {
		total += n
	}
	t.Logf("claimed per dispatcher: %v", claimed)
	if total != messages {
		t.Fatalf("dispatchers claimed %d messages in all, want %d", total, messages)
	}
	ids := outboxIDs(t, stores[0])
	if len(ids) != messages {
		t.Fatalf("outbox holds %d rows", len(ids))
	}
	for _, id := range ids {
		if c := rec.count(id); c != 1 {
			t.Fatalf("message %s sent %d times", id, c)
		}
	}
	if n := dbtest.Count(t, stores[0], "SELECT count(*) FROM core.mail_outbox WHERE status = 'sent' AND attempts = 1"); n != messages {
		t.Fatalf("%d of %d rows sent on their first attempt", n, messages)
	}
}

// slowRecorder takes a moment per message, so that dispatchers overlap.
type slowRecorder struct{ recorder }

func (s *slowRecorder) Send(ctx context.Context, m Outgoing) error {
	time.Sleep(200 * time.Microsecond)
	return s.recorder.Send(ctx, m)
}

func TestRunSendsWhenWokenAndDrainsOnStop(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	rec := &recorder{}
	d := NewDispatcher(store, rec, discardLogger(), time.Hour) // no poll during the test
	o := newOutbox(t, store, d.Wake)

	// A message queued before Run starts is sent at once.
	enqueue(t, store, o, Message{To: "early@example.com", Template: signInTemplate, Data: signInData("000001")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	waitSent(t, rec, 1)

	// A message queued later is sent when the outbox wakes the dispatcher.
	enqueue(t, store, o, Message{To: "woken@example.com", Template: signInTemplate, Data: signInData("000002")})
	o.Wake()
	waitSent(t, rec, 2)
	select {
	case <-done:
		t.Fatal("Run returned before its context ended")
	default:
	}

	// A message queued without a wake-up is sent by the drain when Run stops.
	enqueue(t, store, o, Message{To: "last@example.com", Template: signInTemplate, Data: signInData("000003")})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	got := rec.messages()
	if len(got) != 3 || got[2].To != "last@example.com" {
		t.Fatalf("sent %d messages (%v); want the last one drained on stop", len(got), recipients(got))
	}
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.mail_outbox WHERE status = 'sent'"); n != 3 {
		t.Fatalf("%d rows sent, want 3", n)
	}
	for _, m := range got {
		if rec.count(m.ID) != 1 {
			t.Fatalf("message to %s sent %d times", m.To, rec.count(m.ID))
		}
	}
}

func waitSent(t *testing.T, rec *recorder, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.messages()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, %d messages sent, want %d", len(rec.messages()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func recipients(ms []Outgoing) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.To)
	}
	return out
}

// gated is a recorder whose sends wait for the test: entered is signalled when a send begins,
// and the send goes on when release is closed.
type gated struct {
	recorder
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gated) Send(ctx context.Context, m Outgoing) error {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.recorder.Send(ctx, m)
}

// A shutdown that begins while a message is being sent lets that send finish and records it:
// the message is neither lost for the lease nor sent again later.
func TestRunFinishesInFlightSendOnStop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	enqueue(t, store, o, Message{To: "inflight@example.com", Template: signInTemplate, Data: signInData("424242")})
	id := outboxIDs(t, store)[0]
	sender := &gated{entered: make(chan struct{}), release: make(chan struct{})}
	d := NewDispatcher(store, sender, discardLogger(), time.Hour)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(runCtx)
	}()
	select {
	case <-sender.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start sending the queued message")
	}
	cancel() // the server shuts down while the transport is busy
	close(sender.release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}

	row, err := store.MailOutboxGet(ctx, store.Pool(), id)
	if err != nil {
		t.Fatalf("MailOutboxGet: %v", err)
	}
	if c := sender.count(id); c != 1 || row.Status != "sent" {
		t.Fatalf("after stopping: delivered %d times, row status %s (attempts %d, retry in %v); "+
			"want the in-flight send finished and recorded", c, row.Status, row.Attempts, time.Until(row.NextAttemptAt).Round(time.Second))
	}
}

// hung is a transport that hangs until released, then reports a failure (a timeout).
type hung struct{ entered, release chan struct{} }

func (h *hung) Send(context.Context, Outgoing) error {
	close(h.entered)
	<-h.release
	return errTransport
}

// A dispatcher whose claim ran out while its transport hung, and whose message another dispatcher
// then sent, must not put the sent message back in the queue when its transport finally fails.
func TestLateFailureAfterLeaseExpiryKeepsMessageSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	enqueue(t, store, o, Message{To: "once@example.com", Template: signInTemplate, Data: signInData("868686")})
	id := outboxIDs(t, store)[0]

	slow := &hung{entered: make(chan struct{}), release: make(chan struct{})}
	a := NewDispatcher(store, slow, discardLogger(), time.Hour)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = a.RunOnce(ctx)
	}()
	select {
	case <-slow.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first dispatcher did not claim the message")
	}
	// The first claim's lease runs out (a minute in production) while its transport hangs.
	dbtest.Exec(t, store, "UPDATE core.mail_outbox SET next_attempt_at = now() WHERE id = $1", id)
	rec := &recorder{}
	b := NewDispatcher(store, rec, discardLogger(), time.Hour)
	if n, err := b.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("second dispatcher: RunOnce = %d, %v; want the expired claim taken over", n, err)
	}
	close(slow.release)
	<-done

	row, err := store.MailOutboxGet(ctx, store.Pool(), id)
	if err != nil {
		t.Fatalf("MailOutboxGet: %v", err)
	}
	if row.Status != "sent" {
		t.Fatalf("after the first dispatcher's late failure, the sent message is %s again (text %q): it will be sent again",
			row.Status, row.BodyText)
	}
	dbtest.Exec(t, store, "UPDATE core.mail_outbox SET next_attempt_at = now() WHERE id = $1", id)
	if _, err := b.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if c := rec.count(id); c != 1 {
		t.Fatalf("message delivered %d times, want 1", c)
	}
}
