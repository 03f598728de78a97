package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// NewSender returns the transport named by spec: "log" (the default) prints each message to the
// logger; "file:PATH" appends one JSON object per message, on its own line, to PATH.
func NewSender(spec string, logger *slog.Logger) (Sender, error) {
	switch {
	case spec == "" || spec == "log":
		return LogSender{Logger: logger}, nil
	case strings.HasPrefix(spec, "file:") && len(spec) > len("file:"):
		return &FileSender{Path: spec[len("file:"):]}, nil
	default:
		return nil, fmt.Errorf("mail: unknown MAIL_TRANSPORT %q (want log or file:PATH)", spec)
	}
}

// LogSender prints messages to a logger, for development.
type LogSender struct{ Logger *slog.Logger }

// Send logs m whole.
func (s LogSender) Send(_ context.Context, m Outgoing) error {
	s.Logger.Info("mail", "id", m.ID, "to", m.To, "subject", m.Subject, "template", m.Template,
		"data", m.Data, "text", m.Text)
	return nil
}

// FileSender appends messages as JSON lines to a file.
type FileSender struct {
	Path string
	mu   sync.Mutex
}

// Send appends m to the file and syncs it, so that a reader sees whole lines only.
func (s *FileSender) Send(_ context.Context, m Outgoing) error {
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
