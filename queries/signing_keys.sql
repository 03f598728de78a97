-- name: SigningKeyListActive :many
SELECT * FROM core.signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC;

-- name: SigningKeyListPublic :many
SELECT kid, algorithm, public_jwk FROM core.signing_keys ORDER BY created_at DESC;

-- name: SigningKeyInsert :exec
INSERT INTO core.signing_keys (kid, algorithm, public_jwk, private_key_enc) VALUES ($1, $2, $3, $4);

-- name: SigningKeyLock :exec
SELECT pg_advisory_xact_lock(hashtext('core.signing_keys'));
