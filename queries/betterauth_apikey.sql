-- name: BetterauthApikeyCreate :one
-- A key as Better Auth writes it: every default explicit (its adapter applies them, not the DDL).
INSERT INTO betterauth."apikey" ("id", "configId", "name", "start", "referenceId", "prefix", "key",
    "refillInterval", "refillAmount", "lastRefillAt", "enabled", "rateLimitEnabled",
    "rateLimitTimeWindow", "rateLimitMax", "requestCount", "remaining", "lastRequest", "expiresAt",
    "createdAt", "updatedAt", "permissions", "metadata")
VALUES (@id, @config_id, sqlc.narg(name), @start, @reference_id, sqlc.narg(prefix), @key,
    sqlc.narg(refill_interval), sqlc.narg(refill_amount), NULL, true, @rate_limit_enabled,
    sqlc.narg(rate_limit_time_window), sqlc.narg(rate_limit_max), 0, sqlc.narg(remaining), NULL,
    sqlc.narg(expires_at), now(), now(), sqlc.narg(permissions), @metadata)
RETURNING *;

-- name: BetterauthApikeyGet :one
SELECT * FROM betterauth."apikey" WHERE "id" = $1;

-- name: BetterauthApikeyListByReference :many
SELECT * FROM betterauth."apikey"
WHERE "referenceId" = $1
ORDER BY "createdAt", "id";

-- name: BetterauthApikeyUpdate :one
-- What a client may change: name, enabled, expiry. updatedAt stays, as in Better Auth.
UPDATE betterauth."apikey" SET
    "name" = CASE WHEN @set_name::boolean THEN sqlc.narg(name) ELSE "name" END,
    "enabled" = CASE WHEN @set_enabled::boolean THEN sqlc.narg(enabled) ELSE "enabled" END,
    "expiresAt" = CASE WHEN @set_expires_at::boolean THEN sqlc.narg(expires_at) ELSE "expiresAt" END
WHERE "id" = @id AND "referenceId" = @reference_id
RETURNING *;

-- name: BetterauthApikeyDelete :execrows
DELETE FROM betterauth."apikey" WHERE "id" = @id AND "referenceId" = @reference_id;

-- name: BetterauthApikeyDeleteExpired :execrows
DELETE FROM betterauth."apikey" WHERE "expiresAt" IS NOT NULL AND "expiresAt" < now();

-- name: BetterauthApikeyLockByKey :one
-- The key stored under the hash @key, locked for the usage claim of one request.
SELECT * FROM betterauth."apikey" WHERE "key" = $1 FOR UPDATE;

-- name: BetterauthApikeyDeleteByID :execrows
DELETE FROM betterauth."apikey" WHERE "id" = $1;

-- name: BetterauthApikeyClaim :one
-- Writes the outcome of one accepted request: the usage counters decided under the row lock.
UPDATE betterauth."apikey" SET
    "remaining" = sqlc.narg(remaining),
    "lastRefillAt" = sqlc.narg(last_refill_at),
    "requestCount" = sqlc.narg(request_count),
    "lastRequest" = sqlc.narg(last_request),
    "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthApikeyMemberRole :one
-- The role of a user in an organization (for organization-scoped API key lists).
SELECT "role" FROM betterauth."member" WHERE "userId" = @user_id AND "organizationId" = @organization_id;

-- name: BetterauthApikeyGetByKey :one
-- The key stored under a hash, read without a lock (keys whose use counts nothing).
SELECT * FROM betterauth."apikey" WHERE "key" = $1;

-- name: BetterauthApikeyTouch :exec
-- Records the use of a key that counts nothing (no remaining uses, no rate limit): its
-- lastRequest, at most once a second, so that a busy key does not write on every request.
UPDATE betterauth."apikey" SET "lastRequest" = sqlc.arg(used_at), "updatedAt" = sqlc.arg(used_at)
WHERE "id" = sqlc.arg(id)
  AND ("lastRequest" IS NULL OR "lastRequest" < sqlc.arg(used_at)::timestamptz - interval '1 second');
