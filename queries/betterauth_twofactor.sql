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

-- name: BetterauthTwoFactorClaimAttempt :one
-- Counts a verification attempt while signing in as a failure before its code is checked (a
-- right code then resets the count), so that concurrent attempts cannot outrun the lock: the
-- @max_failures-th attempt in a row locks the account until @locked_until, and a lock that has
-- run out starts the count again. The attempt may go on when the count is at most @max_failures.
UPDATE betterauth."twoFactor" SET
    "failedVerificationCount" = CASE WHEN "lockedUntil" <= now() THEN 1
        ELSE COALESCE("failedVerificationCount", 0) + 1 END,
    "lockedUntil" = CASE
        WHEN "lockedUntil" > now() THEN "lockedUntil"
        WHEN "lockedUntil" IS NULL AND COALESCE("failedVerificationCount", 0) + 1 >= @max_failures::integer
            THEN @locked_until::timestamptz
        ELSE NULL END
WHERE "id" = @id
RETURNING "failedVerificationCount";

-- name: BetterauthTwoFactorResetFailures :execrows
UPDATE betterauth."twoFactor" SET "failedVerificationCount" = 0, "lockedUntil" = NULL
WHERE "id" = $1;
