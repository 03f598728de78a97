-- The email one-time-code sign-in API.
-- +goose Up
CREATE SCHEMA emailcode;

CREATE TABLE emailcode.users (
    id uuid PRIMARY KEY,
    -- Normalized (trimmed, lower case); null for guests.
    email text UNIQUE,
    is_anonymous boolean NOT NULL DEFAULT false,
    role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz,
    -- Last time a token of the user was used (kept to the hour); guests are swept by it.
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    CHECK (is_anonymous OR email IS NOT NULL)
);
CREATE INDEX users_guest_last_seen ON emailcode.users (last_seen_at) WHERE is_anonymous;

CREATE TABLE emailcode.sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES emailcode.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON emailcode.sessions (user_id);
CREATE INDEX sessions_expires ON emailcode.sessions (expires_at);

-- At most one pending code per address; only a keyed hash of the code is kept.
CREATE TABLE emailcode.codes (
    email text PRIMARY KEY,
    code_hash bytea NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP SCHEMA emailcode CASCADE;
