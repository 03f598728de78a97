-- Replay protection for TOTP codes, which Better Auth lacks: the time step of the last code
-- accepted for the user. A code is accepted only for a later step, so a code seen once (by an
-- onlooker, or sent twice at once) is refused the second time. Better Auth ignores the column,
-- so rows still move between the two servers.
-- +goose Up
ALTER TABLE betterauth."twoFactor" ADD COLUMN "lastTotpStep" bigint;

-- +goose Down
ALTER TABLE betterauth."twoFactor" DROP COLUMN "lastTotpStep";
