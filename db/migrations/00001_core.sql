-- Shared infrastructure: signing keys for JWTs, the mail outbox, and rate-limit counters.
-- +goose Up
CREATE SCHEMA core;

-- Asymmetric keys that sign JWTs. The private half is encrypted with a key derived from SECRET.
CREATE TABLE core.signing_keys (
    kid text PRIMARY KEY,
    algorithm text NOT NULL,
    public_jwk jsonb NOT NULL,
    private_key_enc bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);

-- Mail written in the same transaction as the change that causes it; a dispatcher sends it.
-- Bodies and data are cleared once the message is sent, so codes and tokens do not linger.
CREATE TABLE core.mail_outbox (
    id uuid PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    template text NOT NULL,
    data jsonb NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'abandoned')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX mail_outbox_due ON core.mail_outbox (next_attempt_at) WHERE status = 'queued';

-- Fixed-window request counters shared by every server instance.
CREATE TABLE core.rate_limits (
    key text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL
);

-- +goose Down
DROP SCHEMA core CASCADE;
