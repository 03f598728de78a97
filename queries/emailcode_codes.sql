-- name: EmailcodeCodeUpsert :exec
-- Stores a new code for the address, replacing any earlier one.
INSERT INTO emailcode.codes (email, code_hash, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (email) DO UPDATE SET code_hash = excluded.code_hash, attempts = 0,
    expires_at = excluded.expires_at, created_at = now();

-- name: EmailcodeCodeGetForUpdate :one
SELECT * FROM emailcode.codes WHERE email = $1 FOR UPDATE;

-- name: EmailcodeCodeRecordFailure :one
UPDATE emailcode.codes SET attempts = attempts + 1 WHERE email = $1
RETURNING attempts;

-- name: EmailcodeCodeDelete :exec
DELETE FROM emailcode.codes WHERE email = $1;

-- name: EmailcodeCodeDeleteExpired :execrows
DELETE FROM emailcode.codes WHERE expires_at <= now();
