-- Organizations, members and invitations of Better Auth's organization plugin.

-- name: BetterauthOrganizationCreate :one
INSERT INTO betterauth."organization" ("id", "name", "slug", "logo", "metadata", "createdAt")
VALUES (@id, @name, @slug, sqlc.narg(logo), sqlc.narg(metadata), now())
RETURNING *;

-- name: BetterauthOrganizationGet :one
SELECT * FROM betterauth."organization" WHERE "id" = $1;

-- name: BetterauthOrganizationGetBySlug :one
SELECT * FROM betterauth."organization" WHERE "slug" = $1;

-- name: BetterauthOrganizationListByUser :many
-- The organizations @user_id is a member of, oldest membership first.
SELECT o.* FROM betterauth."organization" o
JOIN betterauth."member" m ON m."organizationId" = o."id"
WHERE m."userId" = @user_id
ORDER BY m."createdAt", o."id";

-- name: BetterauthOrganizationUpdate :one
-- Changes the fields whose set_ flag is true.
UPDATE betterauth."organization" SET
    "name" = CASE WHEN @set_name::boolean THEN @name::text ELSE "name" END,
    "slug" = CASE WHEN @set_slug::boolean THEN @slug::text ELSE "slug" END,
    "logo" = CASE WHEN @set_logo::boolean THEN sqlc.narg(logo)::text ELSE "logo" END,
    "metadata" = CASE WHEN @set_metadata::boolean THEN sqlc.narg(metadata)::text ELSE "metadata" END
WHERE "id" = @id
RETURNING *;

-- name: BetterauthOrganizationDelete :one
-- Deletes the organization; its members and invitations go with it (foreign keys cascade).
DELETE FROM betterauth."organization" WHERE "id" = $1
RETURNING *;

-- name: BetterauthMemberCreate :one
INSERT INTO betterauth."member" ("id", "organizationId", "userId", "role", "createdAt")
VALUES (@id, @organization_id, @user_id, @role, now())
RETURNING *;

-- name: BetterauthMemberGet :one
-- The membership of @user_id in @organization_id.
SELECT * FROM betterauth."member" WHERE "organizationId" = @organization_id AND "userId" = @user_id;

-- name: BetterauthMemberGetByID :one
SELECT * FROM betterauth."member" WHERE "id" = $1;

-- name: BetterauthMemberListWithUser :many
-- Every member of the organization with its user, oldest first.
SELECT sqlc.embed(m), u."name" AS user_name, u."email" AS user_email, u."image" AS user_image
FROM betterauth."member" m
JOIN betterauth."user" u ON u."id" = m."userId"
WHERE m."organizationId" = $1
ORDER BY m."createdAt", m."id";

-- name: BetterauthMemberCount :one
SELECT count(*) FROM betterauth."member" WHERE "organizationId" = $1;

-- name: BetterauthMemberUpdateRole :one
UPDATE betterauth."member" SET "role" = @role WHERE "id" = @id
RETURNING *;

-- name: BetterauthMemberDelete :one
DELETE FROM betterauth."member" WHERE "id" = $1
RETURNING *;

-- name: BetterauthOrganizationLock :one
-- Locks the organization row for the rest of the transaction (serializes membership changes).
SELECT "id" FROM betterauth."organization" WHERE "id" = $1 FOR UPDATE;

-- name: BetterauthInvitationCreate :one
INSERT INTO betterauth."invitation" ("id", "organizationId", "email", "role", "status", "expiresAt",
    "createdAt", "inviterId")
VALUES (@id, @organization_id, @email, @role, 'pending', @expires_at, now(), @inviter_id)
RETURNING *;

-- name: BetterauthInvitationGet :one
SELECT * FROM betterauth."invitation" WHERE "id" = $1;

-- name: BetterauthInvitationFindPending :one
-- The newest pending, unexpired invitation of @email to @organization_id.
SELECT * FROM betterauth."invitation"
WHERE "organizationId" = @organization_id AND "email" = @email AND "status" = 'pending' AND "expiresAt" > now()
ORDER BY "createdAt" DESC, "id"
LIMIT 1;

-- name: BetterauthInvitationCountPending :one
SELECT count(*) FROM betterauth."invitation" WHERE "organizationId" = $1 AND "status" = 'pending';

-- name: BetterauthInvitationRenew :one
UPDATE betterauth."invitation" SET "expiresAt" = @expires_at WHERE "id" = @id
RETURNING *;

-- name: BetterauthInvitationSetStatus :one
-- Moves a pending invitation to @status; no row when it is no longer pending (or, with
-- @unexpired_only, has expired), so that of concurrent calls only one succeeds.
UPDATE betterauth."invitation" SET "status" = @status
WHERE "id" = @id AND "status" = 'pending' AND (NOT @unexpired_only::boolean OR "expiresAt" > now())
RETURNING *;

-- name: BetterauthInvitationListByOrganization :many
SELECT * FROM betterauth."invitation" WHERE "organizationId" = $1
ORDER BY "createdAt", "id";

-- name: BetterauthInvitationListPendingByEmail :many
-- The pending, unexpired invitations of @email with their organization's name.
SELECT sqlc.embed(i), o."name" AS organization_name
FROM betterauth."invitation" i
JOIN betterauth."organization" o ON o."id" = i."organizationId"
WHERE i."email" = @email AND i."status" = 'pending' AND i."expiresAt" > now()
ORDER BY i."createdAt", i."id";

-- name: BetterauthInvitationCancel :one
-- Marks the invitation canceled, whatever its status (as Better Auth does).
UPDATE betterauth."invitation" SET "status" = 'canceled' WHERE "id" = $1
RETURNING *;
