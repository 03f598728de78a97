package mail

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gatehouse/db"
	"gatehouse/db/dbtest"
)

func TestRenderSignInCode(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, nil, nil)
	subject, text, html, err := o.Render(Message{To: "a@example.com", Template: signInTemplate, Data: signInData("042917")})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if subject != "Your sign-in code: 042917" {
		t.Fatalf("subject = %q", subject)
	}
	if strings.ContainsAny(subject, "\r\n") {
		t.Fatalf("subject spans lines: %q", subject)
	}
	for part, body := range map[string]string{"text": text, "html": html} {
		if !strings.Contains(body, "042917") || !strings.Contains(body, "10 minutes") {
			t.Fatalf("%s part lacks the code or its lifetime: %q", part, body)
		}
	}
	if strings.Contains(text, "<p>") {
		t.Fatalf("text part holds HTML: %q", text)
	}
	if !strings.Contains(html, "<p>") {
		t.Fatalf("html part has no markup: %q", html)
	}
}

func TestRenderMissingVariableFails(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, nil, nil)
	for name, data := range map[string]map[string]any{
		"no code":     {"expiresInMinutes": 10},
		"no lifetime": {"code": "123456"},
		"nil data":    nil,
	} {
		if _, _, _, err := o.Render(Message{To: "a@example.com", Template: signInTemplate, Data: data}); err == nil {
			t.Fatalf("%s: Render succeeded; a missing variable must fail rather than print <no value>", name)
		}
	}
	if _, _, _, err := o.Render(Message{To: "a@example.com", Template: "no-such-template", Data: signInData("1")}); err == nil {
		t.Fatal("Render of an unknown template succeeded")
	}
}

func TestRenderEscapesHTMLOnly(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, nil, nil)
	evil := `<script>alert("x")</script>&`
	_, text, html, err := o.Render(Message{To: "a@example.com", Template: signInTemplate, Data: signInData(evil)})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(html, "<script>") {
		t.Fatalf("html part holds the raw markup of the data: %q", html)
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Fatalf("html part does not hold the escaped data: %q", html)
	}
	if !strings.Contains(text, evil) {
		t.Fatalf("text part altered the data (only HTML is escaped): %q", text)
	}
}

func TestEnqueueRolledBackIsNeverSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	rollback := errors.New("the change failed")
	err := store.InTx(ctx, func(tx db.DB) error {
		if err := o.Enqueue(ctx, tx, Message{To: "gone@example.com", Template: signInTemplate, Data: signInData("111111")}); err != nil {
			t.Errorf("Enqueue: %v", err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.mail_outbox"); n != 0 {
		t.Fatalf("outbox holds %d rows after a rollback", n)
	}
	rec := &recorder{}
	d := NewDispatcher(store, rec, discardLogger(), time.Hour)
	if n, err := d.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce = %d, %v; want nothing to send", n, err)
	}

	enqueue(t, store, o, Message{To: "kept@example.com", Template: signInTemplate, Data: signInData("222222")})
	if n, err := d.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v; want the committed message", n, err)
	}
	got := rec.messages()
	if len(got) != 1 || got[0].To != "kept@example.com" || got[0].Subject != "Your sign-in code: 222222" {
		t.Fatalf("sent %+v; want only the committed message", got)
	}
}

func TestEnqueueBadMessageWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	for _, m := range []Message{
		{To: "a@example.com", Template: signInTemplate, Data: map[string]any{"code": "1"}},
		{To: "a@example.com", Template: "no-such-template", Data: signInData("1")},
		{To: "a@example.com", Template: signInTemplate, Data: map[string]any{"code": "1", "expiresInMinutes": 10, "bad": make(chan int)}},
	} {
		var enqErr error
		// The transaction commits: the failure must come from Enqueue, not from a rollback.
		err := store.InTx(ctx, func(tx db.DB) error {
			enqErr = o.Enqueue(ctx, tx, m)
			return nil
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}
		if enqErr == nil {
			t.Fatalf("Enqueue(%v) succeeded", m.Data)
		}
	}
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.mail_outbox"); n != 0 {
		t.Fatalf("outbox holds %d rows after failed Enqueues", n)
	}
}

func TestEnqueueStoresRenderedMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	enqueue(t, store, o, Message{To: "b@example.com", Template: signInTemplate, Data: signInData("314159")})
	ids := outboxIDs(t, store)
	if len(ids) != 1 {
		t.Fatalf("outbox holds %d rows, want 1", len(ids))
	}
	row, err := store.MailOutboxGet(ctx, store.Pool(), ids[0])
	if err != nil {
		t.Fatalf("MailOutboxGet: %v", err)
	}
	if row.Status != "queued" || row.Attempts != 0 || row.Recipient != "b@example.com" || row.Template != signInTemplate {
		t.Fatalf("row = %+v", row)
	}
	var data map[string]any
	if err := json.Unmarshal(row.Data, &data); err != nil {
		t.Fatalf("data %s: %v", row.Data, err)
	}
	if data["code"] != "314159" || data["expiresInMinutes"] != float64(10) || len(data) != 2 {
		t.Fatalf("data = %v", data)
	}
	if !strings.Contains(row.BodyText, "314159") || !strings.Contains(row.BodyHtml, "314159") {
		t.Fatalf("bodies lack the code: %q / %q", row.BodyText, row.BodyHtml)
	}
}
