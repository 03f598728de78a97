-- name: BetterauthUserGet :one
SELECT * FROM betterauth."user" WHERE "id" = $1;

-- name: BetterauthUserGetByEmail :one
SELECT * FROM betterauth."user" WHERE "email" = $1;

-- name: BetterauthUserGetByUsername :one
SELECT * FROM betterauth."user" WHERE "username" = $1;

-- name: BetterauthUsernameTaken :one
SELECT EXISTS (SELECT 1 FROM betterauth."user" WHERE "username" = $1);

-- name: BetterauthUserCreate :one
INSERT INTO betterauth."user" ("id", "name", "email", "emailVerified", "image", "username",
    "displayUsername", "role", "banned", "twoFactorEnabled", "createdAt", "updatedAt")
VALUES (@id, @name, @email, @email_verified, sqlc.narg(image), sqlc.narg(username),
    sqlc.narg(display_username), @role, false, false, now(), now())
RETURNING *;

-- name: BetterauthUserUpdateProfile :one
-- Changes the fields that are set: a null @name or @username keeps the old value; @set_image
-- says whether image changes (it may be cleared to null).
UPDATE betterauth."user" SET
    "name" = COALESCE(sqlc.narg(name), "name"),
    "image" = CASE WHEN @set_image::boolean THEN sqlc.narg(image) ELSE "image" END,
    "username" = COALESCE(sqlc.narg(username), "username"),
    "displayUsername" = COALESCE(sqlc.narg(display_username), "displayUsername"),
    "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthUserSetEmailVerified :one
UPDATE betterauth."user" SET "emailVerified" = true, "updatedAt" = now()
WHERE "id" = $1
RETURNING *;

-- name: BetterauthUserSetEmail :one
UPDATE betterauth."user" SET "email" = @email, "emailVerified" = @email_verified, "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthUserSetRoleByEmail :one
UPDATE betterauth."user" SET "role" = @role, "updatedAt" = now() WHERE "email" = @email
RETURNING *;

-- name: BetterauthUserDelete :execrows
DELETE FROM betterauth."user" WHERE "id" = $1;

-- name: BetterauthUserSetTwoFactorEnabled :one
UPDATE betterauth."user" SET "twoFactorEnabled" = @enabled, "updatedAt" = now()
WHERE "id" = @id
RETURNING *;
