-- name: CustodianUserCreate :one
INSERT INTO custodian.users (email, password_hash) VALUES (@email, @password_hash)
RETURNING *;

-- name: CustodianUserGet :one
SELECT * FROM custodian.users WHERE id = $1;

-- name: CustodianUserGetByEmail :one
SELECT * FROM custodian.users WHERE email = $1;

-- name: CustodianUserSetPassword :exec
UPDATE custodian.users SET password_hash = @password_hash, updated_at = now() WHERE id = @id;

-- name: CustodianUserSetEmail :one
-- Returns the address the user had before.
UPDATE custodian.users n SET email = @email, updated_at = now()
FROM custodian.users o
WHERE n.id = @id AND o.id = n.id
RETURNING o.email AS old_email;

-- name: CustodianUserSetAdmin :one
UPDATE custodian.users SET is_admin = @is_admin, updated_at = now() WHERE email = @email
RETURNING *;

-- name: CustodianUserUpdateProfile :one
-- Sets the fields given (non-null arguments) and keeps the others.
UPDATE custodian.users SET
    first_name    = coalesce(sqlc.narg(first_name), first_name),
    last_name     = coalesce(sqlc.narg(last_name), last_name),
    phone_number  = coalesce(sqlc.narg(phone_number), phone_number),
    country       = coalesce(sqlc.narg(country), country),
    date_of_birth = coalesce(sqlc.narg(date_of_birth)::date, date_of_birth),
    language      = coalesce(sqlc.narg(language), language),
    gender        = coalesce(sqlc.narg(gender), gender),
    updated_at    = now()
WHERE id = @id
RETURNING *;

-- name: CustodianUserSetRateLimit :execrows
UPDATE custodian.users
SET rate_window_seconds = sqlc.narg(window_seconds), rate_requests_per_window = sqlc.narg(requests_per_window), updated_at = now()
WHERE id = @id;

-- name: CustodianUserLock :exec
-- Serializes the changes of one account (password, email) until the transaction ends.
SELECT 1 FROM custodian.users WHERE id = $1 FOR UPDATE;
