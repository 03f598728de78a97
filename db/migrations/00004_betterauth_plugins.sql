-- The tables of Better Auth 1.7's plugins: two-factor, passkey (@better-auth/passkey), API keys
-- (@better-auth/api-key) and organizations. Tables and columns are the plugins' own, so that a
-- Node deployment's rows move over as they are (ALTER TABLE ... SET SCHEMA betterauth). Where
-- Better Auth relies on its code alone, a constraint here keeps the data right under concurrent
-- requests too: one two-factor row per user, one member row per user and organization, unique
-- credential ids and key hashes. Better Auth writes its defaults from code; so does this server,
-- and the column defaults below only repeat them.
-- +goose Up
CREATE TABLE betterauth."twoFactor" (
    "id" text NOT NULL PRIMARY KEY,
    -- The TOTP secret, encrypted with the Better Auth secret as Better Auth does
    -- (symmetricEncrypt: hex of nonce and XChaCha20-Poly1305 ciphertext).
    "secret" text NOT NULL,
    -- The encrypted JSON list of the backup codes left.
    "backupCodes" text NOT NULL,
    "userId" text NOT NULL UNIQUE REFERENCES betterauth."user" ("id") ON DELETE CASCADE,
    -- False until the first code is verified (two-factor/enable writes false).
    "verified" boolean DEFAULT true,
    "failedVerificationCount" integer DEFAULT 0,
    "lockedUntil" timestamptz
);
CREATE INDEX "twoFactor_secret_idx" ON betterauth."twoFactor" ("secret");

CREATE TABLE betterauth."passkey" (
    "id" text NOT NULL PRIMARY KEY,
    "name" text,
    -- The credential's COSE public key, base64.
    "publicKey" text NOT NULL,
    "userId" text NOT NULL REFERENCES betterauth."user" ("id") ON DELETE CASCADE,
    -- base64url, as the authenticator gave it.
    "credentialID" text NOT NULL UNIQUE,
    "counter" integer NOT NULL,
    "deviceType" text NOT NULL,
    "backedUp" boolean NOT NULL,
    -- Comma-separated transports.
    "transports" text,
    "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP,
    "aaguid" text
);
CREATE INDEX "passkey_userId_idx" ON betterauth."passkey" ("userId");

CREATE TABLE betterauth."apikey" (
    "id" text NOT NULL PRIMARY KEY,
    "configId" text NOT NULL DEFAULT 'default',
    "name" text,
    -- The key's first characters (prefix included), shown in lists.
    "start" text,
    -- The owner: a user id (or an organization id for organization keys), so no foreign key.
    "referenceId" text NOT NULL,
    "prefix" text,
    -- SHA-256 of the key, base64url without padding; the key itself is shown once.
    "key" text NOT NULL UNIQUE,
    "refillInterval" integer,
    "refillAmount" integer,
    "lastRefillAt" timestamptz,
    "enabled" boolean DEFAULT true,
    "rateLimitEnabled" boolean DEFAULT true,
    -- Milliseconds.
    "rateLimitTimeWindow" integer DEFAULT 86400000,
    "rateLimitMax" integer DEFAULT 10,
    "requestCount" integer DEFAULT 0,
    "remaining" integer,
    "lastRequest" timestamptz,
    "expiresAt" timestamptz,
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- JSON, as Better Auth stores them.
    "permissions" text,
    "metadata" text
);
CREATE INDEX "apikey_configId_idx" ON betterauth."apikey" ("configId");
CREATE INDEX "apikey_referenceId_idx" ON betterauth."apikey" ("referenceId");

CREATE TABLE betterauth."organization" (
    "id" text NOT NULL PRIMARY KEY,
    "name" text NOT NULL,
    "slug" text NOT NULL UNIQUE,
    "logo" text,
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- JSON text.
    "metadata" text
);

CREATE TABLE betterauth."member" (
    "id" text NOT NULL PRIMARY KEY,
    "organizationId" text NOT NULL REFERENCES betterauth."organization" ("id") ON DELETE CASCADE,
    "userId" text NOT NULL REFERENCES betterauth."user" ("id") ON DELETE CASCADE,
    -- owner, admin or member, or several joined by commas.
    "role" text NOT NULL DEFAULT 'member',
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE ("organizationId", "userId")
);
CREATE INDEX "member_userId_idx" ON betterauth."member" ("userId");

CREATE TABLE betterauth."invitation" (
    "id" text NOT NULL PRIMARY KEY,
    "organizationId" text NOT NULL REFERENCES betterauth."organization" ("id") ON DELETE CASCADE,
    -- Lower case.
    "email" text NOT NULL,
    "role" text,
    -- pending, accepted, rejected or canceled.
    "status" text NOT NULL DEFAULT 'pending',
    "expiresAt" timestamptz NOT NULL,
    "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "inviterId" text NOT NULL REFERENCES betterauth."user" ("id") ON DELETE CASCADE
);
CREATE INDEX "invitation_organizationId_idx" ON betterauth."invitation" ("organizationId");
CREATE INDEX "invitation_email_idx" ON betterauth."invitation" ("email");

-- +goose Down
DROP TABLE betterauth."invitation";
DROP TABLE betterauth."member";
DROP TABLE betterauth."organization";
DROP TABLE betterauth."apikey";
DROP TABLE betterauth."passkey";
DROP TABLE betterauth."twoFactor";
