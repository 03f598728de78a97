// Package mail writes messages to the outbox (in the caller's transaction), renders them from
// embedded templates, and dispatches the outbox through a transport with retries.
package mail

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/google/uuid"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Message is a mail to send: the template names its kind, Data holds the template's variables.
type Message struct {
	To       string
	Template string
	Data     map[string]any
}

// Outgoing is a rendered message as a transport sends it.
type Outgoing struct {
	ID        uuid.UUID       `json:"id"`
	To        string          `json:"to"`
	Subject   string          `json:"subject"`
	Template  string          `json:"template"`
	Data      json.RawMessage `json:"data"`
	Text      string          `json:"text"`
	HTML      string          `json:"html"`
	CreatedAt time.Time       `json:"createdAt"`
}

type templatePair struct {
	text *texttemplate.Template // "subject" and "text"
	html *htmltemplate.Template // "html"
}

// Outbox renders messages and writes them to core.mail_outbox.
type Outbox struct {
	store     *db.Store
	templates map[string]templatePair
	wake      func()
}

// NewOutbox parses the embedded templates. wake, if not nil, is called after a message is
// queued so that a dispatcher in this process sends it without waiting for its next poll.
func NewOutbox(store *db.Store, wake func()) (*Outbox, error) {
	names, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	o := &Outbox{store: store, templates: map[string]templatePair{}, wake: wake}
	for _, name := range names {
		src, err := templateFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		kind := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".tmpl")
		t, err := texttemplate.New(kind).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", kind, err)
		}
		h, err := htmltemplate.New(kind).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", kind, err)
		}
		o.templates[kind] = templatePair{text: t, html: h}
	}
	return o, nil
}

// Render produces the subject, text and HTML of m.
func (o *Outbox) Render(m Message) (subject, text, html string, err error) {
	t, ok := o.templates[m.Template]
	if !ok {
		return "", "", "", fmt.Errorf("mail: no template %q", m.Template)
	}
	var b bytes.Buffer
	if err := t.text.ExecuteTemplate(&b, "subject", m.Data); err != nil {
		return "", "", "", err
	}
	subject = strings.TrimSpace(b.String())
	b.Reset()
	if err := t.text.ExecuteTemplate(&b, "text", m.Data); err != nil {
		return "", "", "", err
	}
	text = b.String()
	b.Reset()
	if err := t.html.ExecuteTemplate(&b, "html", m.Data); err != nil {
		return "", "", "", err
	}
	return subject, text, b.String(), nil
}

// Enqueue renders m and writes it to the outbox on tx, the transaction of the change that
// causes it: the mail is sent if and only if the change commits.
func (o *Outbox) Enqueue(ctx context.Context, tx db.DB, m Message) error {
	subject, text, html, err := o.Render(m)
	if err != nil {
		return err
	}
	data, err := json.Marshal(m.Data)
	if err != nil {
		return err
	}
	return o.store.MailOutboxInsert(ctx, tx, dbsqlc.MailOutboxInsertParams{
		ID: uuid.New(), Recipient: m.To, Subject: subject, Template: m.Template,
		Data: data, BodyText: text, BodyHtml: html,
	})
}

// Wake tells a dispatcher in this process that mail is waiting; call it after the commit.
func (o *Outbox) Wake() {
	if o.wake != nil {
		o.wake()
	}
}
