-- name: BetterauthTwoFactorGetByUser :one
SELECT * FROM betterauth."twoFactor" WHERE "userId" = $1;

-- name: BetterauthTwoFactorLockByUser :one
-- The user's row, locked until the transaction ends: backup codes are redeemed one at a time.
SELECT * FROM betterauth."twoFactor" WHERE "userId" = $1 FOR UPDATE;

-- name: BetterauthTwoFactorBegin :one
-- Stores a new TOTP secret and backup codes, not yet verified. A row already verified is left
-- alone (no row comes back): TOTP is set up already.
INSERT INTO betterauth."twoFactor" ("id", "secret", "backupCodes", "userId", "verified",
    "failedVerificationCount", "lockedUntil", "lastTotpStep")
VALUES (@id, @secret, @backup_codes, @user_id, false, 0, NULL, NULL)
ON CONFLICT ("userId") DO UPDATE SET
    "secret" = EXCLUDED."secret", "backupCodes" = EXCLUDED."backupCodes", "verified" = false,
    "lastTotpStep" = NULL
WHERE betterauth."twoFactor"."verified" = false
RETURNING *;

-- name: BetterauthTwoFactorSetVerified :execrows
UPDATE betterauth."twoFactor" SET "verified" = true WHERE "id" = $1;

-- name: BetterauthTwoFactorAcceptStep :execrows
-- Records @step as the last TOTP step accepted, unless that step or a later one was accepted
-- already: of several requests with the same code, one gets a row.
UPDATE betterauth."twoFactor" SET "lastTotpStep" = @step::bigint
WHERE "id" = @id AND ("lastTotpStep" IS NULL OR "lastTotpStep" < @step::bigint);

-- name: BetterauthTwoFactorSetBackupCodes :execrows
UPDATE betterauth."twoFactor" SET "backupCodes" = @backup_codes WHERE "id" = @id;

-- name: BetterauthTwoFactorDeleteByUser :execrows
DELETE FROM betterauth."twoFactor" WHERE "userId" = $1;

-- name: BetterauthTwoFactorRecordFailure :one
-- Counts a failed verification; the @max_failures-th in a row locks the account until
-- @locked_until.
UPDATE betterauth."twoFactor" SET
    "failedVerificationCount" = COALESCE("failedVerificationCount", 0) + 1,
    "lockedUntil" = CASE WHEN COALESCE("failedVerificationCount", 0) + 1 >= @max_failures::integer
        THEN @locked_until::timestamptz ELSE "lockedUntil" END
WHERE "id" = @id
RETURNING *;

-- name: BetterauthTwoFactorClearExpiredLock :execrows
UPDATE betterauth."twoFactor" SET "failedVerificationCount" = 0, "lockedUntil" = NULL
WHERE "id" = $1 AND "lockedUntil" <= now();

-- name: BetterauthTwoFactorResetFailures :execrows
UPDATE betterauth."twoFactor" SET "failedVerificationCount" = 0, "lockedUntil" = NULL
WHERE "id" = $1;
