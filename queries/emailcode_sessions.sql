-- name: EmailcodeSessionCreate :exec
INSERT INTO emailcode.sessions (id, user_id, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5);

-- name: EmailcodeSessionGetUser :one
-- The user of a live session.
SELECT sqlc.embed(u)
FROM emailcode.sessions s
JOIN emailcode.users u ON u.id = s.user_id
WHERE s.id = $1 AND s.expires_at > now();

-- name: EmailcodeSessionTouchUser :exec
-- Records use of the account, at most once an hour so that reads stay reads.
UPDATE emailcode.users SET last_seen_at = now()
WHERE id = $1 AND last_seen_at < now() - interval '1 hour';

-- name: EmailcodeSessionDelete :execrows
DELETE FROM emailcode.sessions WHERE id = $1;

-- name: EmailcodeSessionDeleteExpired :execrows
DELETE FROM emailcode.sessions WHERE expires_at <= now();
