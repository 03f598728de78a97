package handlers

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"gatehouse/handlers/internal/authflow"
	"gatehouse/handlers/internal/mail"
)

// Config is the server's behaviour, read from the environment by cmd/server.
type Config struct {
	// BaseURL is the public URL of the server; the `iss` of its tokens. Default http://ADDR.
	BaseURL string
	// APIs lists the APIs to serve by name; empty serves every API.
	APIs []string
	// Secret is the server secret every other key is derived from (at least 32 bytes).
	Secret []byte
	// BodyLimit caps request bodies, in bytes (default 1 MiB).
	BodyLimit int64
	// RequestTimeout bounds the work of one request (default 30 s).
	RequestTimeout time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// RateLimitDisabled turns every rate limit off (for load tests).
	RateLimitDisabled bool
	// SweepInterval is how often expired rows (guests, sessions, codes, counters) are deleted (default 1 h).
	SweepInterval time.Duration
	// MailTransport names the mail transport: "log" or "file:PATH".
	MailTransport string
	// MailPoll is how often the mail dispatcher looks at the outbox (default 2 s).
	MailPoll time.Duration
	// Emailcode tunes the email-code API.
	Emailcode authflow.EmailCodeConfig
}

// WithDefaults fills the zero fields of c.
func (c Config) WithDefaults() Config {
	if c.BodyLimit == 0 {
		c.BodyLimit = 1 << 20
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = time.Hour
	}
	if c.MailPoll == 0 {
		c.MailPoll = 2 * time.Second
	}
	c.Emailcode = c.Emailcode.WithDefaults()
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("BASE_URL %q: want an absolute http(s) URL", c.BaseURL)
	}
	if len(c.Secret) < 32 {
		return errors.New("SECRET: want at least 32 bytes")
	}
	known := map[string]bool{}
	for _, a := range allAPIs {
		known[a.name] = true
	}
	for _, name := range c.APIs {
		if !known[name] {
			return fmt.Errorf("APIS: unknown API %q", name)
		}
	}
	if _, err := mail.NewSender(c.MailTransport, nil); err != nil {
		return err
	}
	if c.BodyLimit < 1024 {
		return errors.New("BODY_LIMIT: want at least 1024 bytes")
	}
	return nil
}

func (c Config) enabled(name string) bool {
	if len(c.APIs) == 0 {
		return true
	}
	for _, n := range c.APIs {
		if n == name {
			return true
		}
	}
	return false
}
