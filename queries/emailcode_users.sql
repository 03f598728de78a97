-- name: EmailcodeUserGet :one
SELECT * FROM emailcode.users WHERE id = $1;

-- name: EmailcodeUserGetByEmail :one
SELECT * FROM emailcode.users WHERE email = $1;

-- name: EmailcodeUserCreate :one
INSERT INTO emailcode.users (id, email, is_anonymous, last_sign_in_at)
VALUES ($1, $2, $3, now())
RETURNING *;

-- name: EmailcodeUserClaim :one
-- Turns a guest into the account of @email, keeping its id.
UPDATE emailcode.users
SET email = @email, is_anonymous = false, updated_at = now(), last_sign_in_at = now(), last_seen_at = now()
WHERE id = @id AND is_anonymous
RETURNING *;

-- name: EmailcodeUserMarkSignIn :one
UPDATE emailcode.users SET last_sign_in_at = now(), last_seen_at = now() WHERE id = $1
RETURNING *;

-- name: EmailcodeUserSetRole :one
UPDATE emailcode.users SET role = @role, updated_at = now() WHERE email = @email
RETURNING *;

-- name: EmailcodeUserDelete :one
DELETE FROM emailcode.users WHERE id = $1
RETURNING email;

-- name: EmailcodeUserDeleteStaleGuests :execrows
DELETE FROM emailcode.users WHERE is_anonymous AND last_seen_at < @cutoff;
