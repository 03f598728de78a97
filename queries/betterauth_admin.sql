-- Queries of the Better Auth admin plugin (users, bans, sessions of other users). The user
-- list with its open search, filter and sort is built in baflow from a whitelist of columns.

-- name: BetterauthAdminSetRole :one
UPDATE betterauth."user" SET "role" = @role, "updatedAt" = now() WHERE "id" = @id
RETURNING *;

-- name: BetterauthAdminBan :one
UPDATE betterauth."user" SET "banned" = true, "banReason" = @ban_reason,
    "banExpires" = sqlc.narg(ban_expires), "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthAdminUnban :one
-- Lifts a ban: by an admin, or on sign-in once banExpires has passed.
UPDATE betterauth."user" SET "banned" = false, "banReason" = NULL, "banExpires" = NULL,
    "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthAdminUpdateUser :one
-- Changes the fields whose @set_* flag is true (the value may then be null where the column
-- allows it).
UPDATE betterauth."user" SET
    "name" = CASE WHEN @set_name::boolean THEN @name::text ELSE "name" END,
    "email" = CASE WHEN @set_email::boolean THEN @email::text ELSE "email" END,
    "emailVerified" = CASE WHEN @set_email_verified::boolean THEN @email_verified::boolean ELSE "emailVerified" END,
    "image" = CASE WHEN @set_image::boolean THEN sqlc.narg(image) ELSE "image" END,
    "role" = CASE WHEN @set_role::boolean THEN sqlc.narg(role) ELSE "role" END,
    "banned" = CASE WHEN @set_banned::boolean THEN sqlc.narg(banned) ELSE "banned" END,
    "banReason" = CASE WHEN @set_ban_reason::boolean THEN sqlc.narg(ban_reason) ELSE "banReason" END,
    "banExpires" = CASE WHEN @set_ban_expires::boolean THEN sqlc.narg(ban_expires) ELSE "banExpires" END,
    "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthAdminDeleteSessionByToken :execrows
-- Deletes the session stored under @token (a token hash, or a clear token moved over from
-- Node Better Auth), whoever's it is.
DELETE FROM betterauth."session" WHERE "token" = @token;

-- name: BetterauthAdminDeleteSessionByHandle :execrows
-- Deletes the session whose token hash starts with @handle (the token list-user-sessions shows).
DELETE FROM betterauth."session" WHERE length("token") = 64 AND left("token", 32) = @handle::text;

-- name: BetterauthAdminDeleteImpersonations :execrows
-- Ends the impersonation sessions an admin opened (when that admin is banned or removed).
DELETE FROM betterauth."session" WHERE "impersonatedBy" = @admin_id::text;
