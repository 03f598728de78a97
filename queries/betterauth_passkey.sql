-- name: BetterauthPasskeyCreate :one
INSERT INTO betterauth."passkey" ("id", "name", "publicKey", "userId", "credentialID", "counter", "deviceType",
    "backedUp", "transports", "createdAt", "aaguid")
VALUES (@id, @name, @public_key, @user_id, @credential_id, @counter, @device_type, @backed_up, @transports, now(), @aaguid)
RETURNING *;

-- name: BetterauthPasskeyListByUser :many
-- A user's passkeys, oldest first; at most 100, as Better Auth's adapter returns them.
SELECT * FROM betterauth."passkey"
WHERE "userId" = $1
ORDER BY "createdAt", "id"
LIMIT 100;

-- name: BetterauthPasskeyGet :one
SELECT * FROM betterauth."passkey" WHERE "id" = $1;

-- name: BetterauthPasskeyByCredentialID :one
SELECT * FROM betterauth."passkey" WHERE "credentialID" = $1;

-- name: BetterauthPasskeyDelete :execrows
DELETE FROM betterauth."passkey" WHERE "id" = @id AND "userId" = @user_id;

-- name: BetterauthPasskeyRename :one
UPDATE betterauth."passkey" SET "name" = @name
WHERE "id" = @id AND "userId" = @user_id
RETURNING *;

-- name: BetterauthPasskeyAdvanceCounter :execrows
-- Stores the signature counter of an assertion when it moved forward from the one the assertion
-- was checked against (or both are 0: an authenticator that keeps no counter). Of concurrent
-- sign-ins with the same counter value, one wins; a cloned authenticator, whose counter lags,
-- changes nothing.
UPDATE betterauth."passkey" SET "counter" = @new_counter
WHERE "id" = @id AND "counter" = @seen_counter
  AND (@new_counter::integer > @seen_counter::integer OR (@new_counter::integer = 0 AND @seen_counter::integer = 0));
