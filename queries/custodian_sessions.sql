-- name: CustodianSessionCreate :exec
INSERT INTO custodian.sessions (id, user_id, via_login_token, expires_at, ip, user_agent)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: CustodianSessionGetUser :one
-- The live session and its user, with the user's rate limit: the one query of an authenticated request.
SELECT s.via_login_token, u.id, u.email, u.is_admin, u.rate_window_seconds, u.rate_requests_per_window
FROM custodian.sessions s
JOIN custodian.users u ON u.id = s.user_id
WHERE s.id = $1 AND s.expires_at > now();

-- name: CustodianSessionDeleteOthers :execrows
DELETE FROM custodian.sessions WHERE user_id = @user_id AND id <> @keep;

-- name: CustodianSessionDeleteAll :execrows
DELETE FROM custodian.sessions WHERE user_id = $1;

-- name: CustodianSessionDeleteExpired :execrows
DELETE FROM custodian.sessions WHERE expires_at <= now();

-- name: CustodianSessionClearLoginToken :exec
-- The session's user has just set a password: from now on it proves it like any other session.
UPDATE custodian.sessions SET via_login_token = false WHERE id = $1;
