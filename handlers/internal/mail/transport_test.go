package mail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"gatehouse/db/dbtest"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNewSender(t *testing.T) {
	t.Parallel()
	logger := discardLogger()
	for _, spec := range []string{"", "log"} {
		s, err := NewSender(spec, logger)
		if err != nil {
			t.Fatalf("NewSender(%q): %v", spec, err)
		}
		if _, ok := s.(LogSender); !ok {
			t.Fatalf("NewSender(%q) = %T, want LogSender", spec, s)
		}
	}
	path := filepath.Join(t.TempDir(), "mail.jsonl")
	s, err := NewSender("file:"+path, logger)
	if err != nil {
		t.Fatalf("NewSender(file:): %v", err)
	}
	if fs, ok := s.(*FileSender); !ok || fs.Path != path {
		t.Fatalf("NewSender(file:%s) = %#v", path, s)
	}
	for _, spec := range []string{"file:", "File:/tmp/x", "carrier-pigeon", "logs", " log"} {
		if s, err := NewSender(spec, logger); err == nil {
			t.Fatalf("NewSender(%q) = %T, want an error", spec, s)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", spec)) {
			t.Fatalf("NewSender(%q) error %q does not name the setting", spec, err)
		}
	}
}

func TestLogSenderLogsMessage(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s, err := NewSender("log", slog.New(slog.NewJSONHandler(&buf, nil)))
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	m := Outgoing{ID: uuid.New(), To: "dev@example.com", Subject: "Your sign-in code: 246810",
		Template: signInTemplate, Data: json.RawMessage(`{"code":"246810"}`), Text: "code 246810"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var entry map[string]any
	if err := json.Unmarshal(buf.Bytes(), &entry); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	if entry["to"] != "dev@example.com" || entry["subject"] != m.Subject || entry["id"] != m.ID.String() ||
		!strings.Contains(buf.String(), "246810") {
		t.Fatalf("log entry %v lacks the message", entry)
	}
}

func TestFileSenderWritesJSONLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.NewStore(t)
	o := newOutbox(t, store, nil)
	path := filepath.Join(t.TempDir(), "mail.jsonl")
	sender, err := NewSender("file:"+path, discardLogger())
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	want := map[string]string{"first@example.com": "013579", "second@example.com": "<b>&"}
	for _, to := range []string{"first@example.com", "second@example.com"} {
		enqueue(t, store, o, Message{To: to, Template: signInTemplate, Data: signInData(want[to])})
	}
	ids := map[string]bool{}
	for _, id := range outboxIDs(t, store) {
		ids[id.String()] = true
	}
	d := NewDispatcher(store, sender, discardLogger(), time.Hour)
	if n, err := d.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if !bytes.HasSuffix(raw, []byte("\n")) {
		t.Fatalf("file does not end with a newline: %q", raw)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("file holds %d lines, want one per message:\n%s", len(lines), raw)
	}
	wantFields := []string{"createdAt", "data", "html", "id", "subject", "template", "text", "to"}
	seen := map[string]bool{}
	for _, line := range lines {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", line, err)
		}
		var names []string
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != strings.Join(wantFields, ",") {
			t.Fatalf("line fields = %v, want exactly %v", names, wantFields)
		}
		var m struct {
			ID        string         `json:"id"`
			To        string         `json:"to"`
			Subject   string         `json:"subject"`
			Template  string         `json:"template"`
			Data      map[string]any `json:"data"`
			Text      string         `json:"text"`
			HTML      string         `json:"html"`
			CreatedAt string         `json:"createdAt"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		code, ok := want[m.To]
		if !ok || seen[m.To] {
			t.Fatalf("unexpected or repeated recipient %q", m.To)
		}
		seen[m.To] = true
		if !ids[m.ID] {
			t.Fatalf("id %q is not the id of an outbox row", m.ID)
		}
		if m.Template != signInTemplate || m.Subject != "Your sign-in code: "+code || !strings.Contains(m.Text, code) {
			t.Fatalf("line %q: wrong template, subject or text", line)
		}
		if len(m.Data) != 2 || m.Data["code"] != code || m.Data["expiresInMinutes"] != float64(10) {
			t.Fatalf("data = %v, want the template variables", m.Data)
		}
		if m.HTML == "" || (code == "<b>&" && !strings.Contains(m.HTML, "&lt;b&gt;&amp;")) {
			t.Fatalf("html = %q", m.HTML)
		}
		created, err := time.Parse(time.RFC3339Nano, m.CreatedAt)
		if err != nil || time.Since(created) > time.Minute || time.Until(created) > time.Second {
			t.Fatalf("createdAt %q (%v) is not a recent RFC 3339 time", m.CreatedAt, err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("mail file mode %v lets other users read sign-in codes", st.Mode().Perm())
	}
}

func TestFileSenderAppendsWholeLinesConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mail.jsonl")
	if err := os.WriteFile(path, []byte(`{"id":"earlier"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &FileSender{Path: path}
	const n = 50
	body := strings.Repeat("x", 8<<10) // long lines, so that interleaved writes would show
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Send(context.Background(), Outgoing{ID: uuid.New(), To: fmt.Sprintf("u%d@example.com", i),
				Template: signInTemplate, Data: json.RawMessage(`{}`), Text: body, HTML: body, CreatedAt: time.Now()})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	lines, recipients := 0, map[string]bool{}
	for sc.Scan() {
		var m Outgoing
		if lines == 0 {
			if sc.Text() != `{"id":"earlier"}` {
				t.Fatalf("the earlier content was overwritten: %q", sc.Text())
			}
			lines++
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not whole JSON: %v", lines+1, err)
		}
		recipients[m.To] = true
		lines++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != n+1 || len(recipients) != n {
		t.Fatalf("%d lines for %d recipients, want %d new lines after the earlier one", lines, len(recipients), n)
	}
}

func TestFileSenderReportsUnwritablePath(t *testing.T) {
	t.Parallel()
	s := &FileSender{Path: filepath.Join(t.TempDir(), "missing-dir", "mail.jsonl")}
	if err := s.Send(context.Background(), Outgoing{ID: uuid.New(), Data: json.RawMessage(`{}`)}); err == nil {
		t.Fatal("Send to a path in a missing folder succeeded")
	}
}
