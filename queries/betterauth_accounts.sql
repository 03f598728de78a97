-- name: BetterauthAccountCreate :one
INSERT INTO betterauth."account" ("id", "accountId", "providerId", "userId", "accessToken",
    "refreshToken", "idToken", "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope", "password",
    "createdAt", "updatedAt")
VALUES (@id, @account_id, @provider_id, @user_id, sqlc.narg(access_token), sqlc.narg(refresh_token),
    sqlc.narg(id_token), sqlc.narg(access_token_expires_at), sqlc.narg(refresh_token_expires_at),
    sqlc.narg(scope), sqlc.narg(password), now(), now())
RETURNING *;

-- name: BetterauthAccountGet :one
SELECT * FROM betterauth."account" WHERE "providerId" = @provider_id AND "accountId" = @account_id;

-- name: BetterauthAccountListByUser :many
SELECT * FROM betterauth."account" WHERE "userId" = $1 ORDER BY "createdAt", "id";

-- name: BetterauthCredentialByEmail :one
-- The user with @email and the password hash of their credential account, if they have one.
SELECT sqlc.embed(u), a."password"
FROM betterauth."user" u
LEFT JOIN betterauth."account" a ON a."userId" = u."id" AND a."providerId" = 'credential'
WHERE u."email" = $1;

-- name: BetterauthCredentialByUsername :one
SELECT sqlc.embed(u), a."password"
FROM betterauth."user" u
LEFT JOIN betterauth."account" a ON a."userId" = u."id" AND a."providerId" = 'credential'
WHERE u."username" = $1;

-- name: BetterauthCredentialPassword :one
SELECT "password" FROM betterauth."account" WHERE "userId" = $1 AND "providerId" = 'credential';

-- name: BetterauthCredentialSetPassword :execrows
UPDATE betterauth."account" SET "password" = @password, "updatedAt" = now()
WHERE "userId" = @user_id AND "providerId" = 'credential';

-- name: BetterauthAccountUpdateTokens :one
-- Stores tokens from a provider; a null keeps the stored value (providers often omit a
-- refresh token on refresh).
UPDATE betterauth."account" SET
    "accessToken" = COALESCE(sqlc.narg(access_token), "accessToken"),
    "refreshToken" = COALESCE(sqlc.narg(refresh_token), "refreshToken"),
    "idToken" = COALESCE(sqlc.narg(id_token), "idToken"),
    "accessTokenExpiresAt" = COALESCE(sqlc.narg(access_token_expires_at), "accessTokenExpiresAt"),
    "refreshTokenExpiresAt" = COALESCE(sqlc.narg(refresh_token_expires_at), "refreshTokenExpiresAt"),
    "scope" = COALESCE(sqlc.narg(scope), "scope"),
    "updatedAt" = now()
WHERE "id" = @id
RETURNING *;

-- name: BetterauthAccountDelete :execrows
DELETE FROM betterauth."account" WHERE "id" = @id AND "userId" = @user_id;
