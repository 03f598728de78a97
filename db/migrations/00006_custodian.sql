-- The Custodian API: password or emailed-token login, profiles, notification settings, user
-- events and per-user rate limits.
-- +goose Up
CREATE SCHEMA custodian;

CREATE TABLE custodian.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Normalized (trimmed, lower case).
    email text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    is_admin boolean NOT NULL DEFAULT false,
    first_name text,
    last_name text,
    phone_number text,
    country text,
    date_of_birth date,
    language text CHECK (language IN ('english', 'dutch', 'french')),
    gender text CHECK (gender IN ('male', 'female', 'other', 'prefer_not_to_say')),
    -- The per-user rate limit: both set, or both null (no limit). Read with the session on
    -- every request, so users without a limit cost no extra query.
    rate_window_seconds integer CHECK (rate_window_seconds BETWEEN 1 AND 86400),
    rate_requests_per_window integer CHECK (rate_requests_per_window >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((rate_window_seconds IS NULL) = (rate_requests_per_window IS NULL))
);

CREATE TABLE custodian.sessions (
    id uuid PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES custodian.users (id) ON DELETE CASCADE,
    -- The session began with an emailed login token: it may set a password without the old one.
    via_login_token boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON custodian.sessions (user_id);
CREATE INDEX sessions_expires ON custodian.sessions (expires_at);

-- Single-use login tokens; only a keyed hash of each is kept.
CREATE TABLE custodian.login_tokens (
    token_hash bytea PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES custodian.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX login_tokens_user ON custodian.login_tokens (user_id);
CREATE INDEX login_tokens_expires ON custodian.login_tokens (expires_at);

-- A row only once a user changed a channel; absent rows read as the defaults.
CREATE TABLE custodian.notification_settings (
    user_id bigint NOT NULL REFERENCES custodian.users (id) ON DELETE CASCADE,
    channel text NOT NULL CHECK (channel IN ('app-push', 'email')),
    enabled boolean NOT NULL DEFAULT true,
    alerts boolean NOT NULL DEFAULT true,
    updates boolean NOT NULL DEFAULT true,
    reminders boolean NOT NULL DEFAULT true,
    newsletters boolean NOT NULL DEFAULT false,
    marketing boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, channel)
);

-- What happened to an account, written by the server in the transaction of what it records.
CREATE TABLE custodian.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES custodian.users (id) ON DELETE CASCADE,
    created timestamptz NOT NULL DEFAULT now(),
    type text NOT NULL,
    data jsonb NOT NULL
);
CREATE INDEX events_user_id ON custodian.events (user_id, id DESC);

-- +goose Down
DROP SCHEMA custodian CASCADE;
