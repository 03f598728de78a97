-- name: BetterauthVerificationCreate :exec
INSERT INTO betterauth."verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
VALUES (@id, @identifier, @value, @expires_at, now(), now());

-- name: BetterauthVerificationGet :one
-- The live verification stored under @identifier, without using it up.
SELECT * FROM betterauth."verification"
WHERE "identifier" = $1 AND "expiresAt" > now()
ORDER BY "createdAt" DESC
LIMIT 1;

-- name: BetterauthVerificationTake :one
-- Uses up the verification stored under @identifier: of several concurrent callers, one gets it.
DELETE FROM betterauth."verification" AS v
WHERE v."id" = (
    SELECT c."id" FROM betterauth."verification" AS c
    WHERE c."identifier" = $1 AND c."expiresAt" > now()
    ORDER BY c."createdAt" DESC
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING *;

-- name: BetterauthVerificationDeleteByIdentifier :execrows
DELETE FROM betterauth."verification" WHERE "identifier" = $1;

-- name: BetterauthVerificationDeleteExpired :execrows
DELETE FROM betterauth."verification" WHERE "expiresAt" <= now();

-- name: BetterauthVerificationClaimAttempt :one
-- Adds one to the count kept under @identifier (a two-factor challenge's attempts) and returns
-- the new count: concurrent callers each get their own number, so a limit on it holds.
UPDATE betterauth."verification"
SET "value" = ((CASE WHEN "value" ~ '^[0-9]{1,9}$' THEN "value"::integer ELSE 0 END) + 1)::text,
    "updatedAt" = now()
WHERE "identifier" = $1 AND "expiresAt" > now()
RETURNING "value"::integer AS attempts;

-- name: BetterauthVerificationDeleteTrustedDevices :execrows
-- Forgets every device the user trusted for two-factor sign-in.
DELETE FROM betterauth."verification" WHERE "identifier" LIKE 'trust-device-%' AND "value" = @user_id;
