-- name: CustodianLoginTokenCreate :exec
INSERT INTO custodian.login_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3);

-- name: CustodianLoginTokenRedeem :one
-- Consumes a live token of the account of @email; concurrent redemptions: one gets the row.
DELETE FROM custodian.login_tokens t
USING custodian.users u
WHERE t.token_hash = @token_hash AND t.user_id = u.id AND u.email = @email AND t.expires_at > now()
RETURNING t.user_id;

-- name: CustodianLoginTokenDeleteForUser :execrows
DELETE FROM custodian.login_tokens WHERE user_id = $1;

-- name: CustodianLoginTokenDeleteExpired :execrows
DELETE FROM custodian.login_tokens WHERE expires_at <= now();
