-- name: BetterauthSessionCreate :one
INSERT INTO betterauth."session" ("id", "token", "userId", "expiresAt", "ipAddress", "userAgent",
    "impersonatedBy", "createdAt", "updatedAt")
VALUES (@id, @token, @user_id, @expires_at, @ip_address, @user_agent, sqlc.narg(impersonated_by),
    now(), now())
RETURNING *;

-- name: BetterauthSessionGetWithUser :one
-- The session stored under @token (a token hash, or the token itself for a row moved over from
-- Node Better Auth) and its user, expired or not.
SELECT sqlc.embed(s), sqlc.embed(u)
FROM betterauth."session" s
JOIN betterauth."user" u ON u."id" = s."userId"
WHERE s."token" = $1;

-- name: BetterauthSessionHashToken :execrows
-- Replaces a token kept in clear (moved over from Node Better Auth) by its hash.
UPDATE betterauth."session" SET "token" = @hash WHERE "token" = @token;

-- name: BetterauthSessionRefresh :one
UPDATE betterauth."session" SET "expiresAt" = @expires_at, "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthSessionListByUser :many
SELECT * FROM betterauth."session"
WHERE "userId" = $1 AND "expiresAt" > now()
ORDER BY "createdAt", "id";

-- name: BetterauthSessionDelete :execrows
DELETE FROM betterauth."session" WHERE "id" = $1;

-- name: BetterauthSessionDeleteByToken :execrows
-- Deletes the session of @user_id stored under @token (hash or clear token).
DELETE FROM betterauth."session" WHERE "userId" = @user_id AND "token" = @token;

-- name: BetterauthSessionDeleteByUser :execrows
DELETE FROM betterauth."session" WHERE "userId" = $1;

-- name: BetterauthSessionDeleteOthers :execrows
DELETE FROM betterauth."session" WHERE "userId" = @user_id AND "id" <> @keep_id;

-- name: BetterauthSessionDeleteExpired :execrows
DELETE FROM betterauth."session" WHERE "expiresAt" <= now();

-- name: BetterauthSessionDeleteByHandle :execrows
-- Deletes the session of @user_id whose token hash starts with @handle (what list-sessions
-- shows for sessions other than the caller's).
DELETE FROM betterauth."session"
WHERE "userId" = @user_id AND length("token") = 64 AND left("token", 32) = @handle::text;

-- name: BetterauthSessionSetActiveOrganization :one
-- Sets (or, with NULL, unsets) the session's active organization.
UPDATE betterauth."session" SET "activeOrganizationId" = sqlc.narg(organization_id), "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthSessionClearActiveOrganization :exec
-- Unsets @organization_id as the active organization of every session (of @user_id only, when
-- given): an organization deleted, or a user no longer in it, must not stay active anywhere.
UPDATE betterauth."session" SET "activeOrganizationId" = NULL, "updatedAt" = now()
WHERE "activeOrganizationId" = @organization_id
  AND (sqlc.narg(user_id)::text IS NULL OR "userId" = sqlc.narg(user_id)::text);
