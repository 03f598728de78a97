-- name: CustodianEventInsert :exec
INSERT INTO custodian.events (user_id, type, data) VALUES (@user_id, @type, @data);

-- name: CustodianEventList :many
-- A user's events, newest first, below the id @before (0: from the newest).
SELECT * FROM custodian.events
WHERE user_id = @user_id AND (@before::bigint = 0 OR id < @before::bigint)
ORDER BY id DESC
LIMIT @max_rows;
