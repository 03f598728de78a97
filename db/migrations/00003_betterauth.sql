-- The Better Auth-compatible API. Tables and columns are Better Auth 1.7's own (camelCase, quoted),
-- so the tables of a Node Better Auth database can be moved into this schema as they are
-- (ALTER TABLE ... SET SCHEMA betterauth). Plugin columns (username, admin, two-factor,
-- organization) are here from the start so the plugins need no rework of these rows.
-- +goose Up
CREATE SCHEMA betterauth;

CREATE TABLE betterauth."user" (
    "id" text NOT NULL PRIMARY KEY,
    "name" text NOT NULL,
    -- Lower case, as Better Auth stores it.
    "email" text NOT NULL UNIQUE,
    "emailVerified" boolean NOT NULL,
    "image" text,
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Lower case; displayUsername keeps the spelling the user chose.
    "username" text UNIQUE,
    "displayUsername" text,
    "role" text,
    "banned" boolean,
    "banReason" text,
    "banExpires" timestamptz,
    "twoFactorEnabled" boolean
);

CREATE TABLE betterauth."session" (
    "id" text NOT NULL PRIMARY KEY,
    "expiresAt" timestamptz NOT NULL,
    -- The hex SHA-256 of the session token. A row moved over from Node Better Auth holds the
    -- token itself until its first use, when it is replaced by the hash.
    "token" text NOT NULL UNIQUE,
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamptz NOT NULL,
    "ipAddress" text,
    "userAgent" text,
    "userId" text NOT NULL REFERENCES betterauth."user" ("id") ON DELETE CASCADE,
    "impersonatedBy" text,
    "activeOrganizationId" text
);
CREATE INDEX "session_userId_idx" ON betterauth."session" ("userId");
CREATE INDEX "session_expiresAt_idx" ON betterauth."session" ("expiresAt");

CREATE TABLE betterauth."account" (
    "id" text NOT NULL PRIMARY KEY,
    "accountId" text NOT NULL,
    "providerId" text NOT NULL,
    "userId" text NOT NULL REFERENCES betterauth."user" ("id") ON DELETE CASCADE,
    "accessToken" text,
    "refreshToken" text,
    "idToken" text,
    "accessTokenExpiresAt" timestamptz,
    "refreshTokenExpiresAt" timestamptz,
    "scope" text,
    -- Better Auth's scrypt "saltHex:keyHex" or an argon2id PHC string.
    "password" text,
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamptz NOT NULL
);
CREATE INDEX "account_userId_idx" ON betterauth."account" ("userId");
CREATE UNIQUE INDEX "account_provider_account_idx" ON betterauth."account" ("providerId", "accountId");

CREATE TABLE betterauth."verification" (
    "id" text NOT NULL PRIMARY KEY,
    "identifier" text NOT NULL,
    "value" text NOT NULL,
    "expiresAt" timestamptz NOT NULL,
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "verification_identifier_idx" ON betterauth."verification" ("identifier");
CREATE INDEX "verification_expiresAt_idx" ON betterauth."verification" ("expiresAt");

-- +goose Down
DROP SCHEMA betterauth CASCADE;
