-- name: MailOutboxInsert :exec
INSERT INTO core.mail_outbox (id, recipient, subject, template, data, body_text, body_html)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: MailOutboxClaim :many
-- Takes up to @max_rows due messages and leases them for @lease_seconds: a dispatcher that dies
-- mid-send leaves them to be retried when the lease runs out. SKIP LOCKED keeps two dispatchers
-- from taking the same row.
UPDATE core.mail_outbox
SET attempts = attempts + 1,
    next_attempt_at = now() + make_interval(secs => @lease_seconds::double precision)
WHERE id IN (
    SELECT o.id FROM core.mail_outbox o
    WHERE o.status = 'queued' AND o.next_attempt_at <= now()
    ORDER BY o.next_attempt_at
    LIMIT @max_rows::integer
    FOR UPDATE SKIP LOCKED
)
RETURNING *;

-- name: MailOutboxMarkSent :exec
-- Records delivery and forgets the content (codes, links). The claim's attempt number must still
-- match: a dispatcher whose lease ran out and was taken over changes nothing.
UPDATE core.mail_outbox
SET status = 'sent', sent_at = now(), last_error = NULL, subject = '', data = '{}', body_text = '', body_html = ''
WHERE id = @id AND status = 'queued' AND attempts = @attempts;

-- name: MailOutboxMarkFailed :exec
-- Records a failed attempt: retried after @retry_seconds, or abandoned (its content forgotten)
-- when @abandon is set. Only by the holder of the current claim (see MailOutboxMarkSent).
UPDATE core.mail_outbox
SET status = CASE WHEN @abandon::boolean THEN 'abandoned' ELSE 'queued' END,
    last_error = @last_error,
    next_attempt_at = now() + make_interval(secs => @retry_seconds::double precision),
    subject = CASE WHEN @abandon::boolean THEN '' ELSE subject END,
    data = CASE WHEN @abandon::boolean THEN '{}'::jsonb ELSE data END,
    body_text = CASE WHEN @abandon::boolean THEN '' ELSE body_text END,
    body_html = CASE WHEN @abandon::boolean THEN '' ELSE body_html END
WHERE id = @id AND status = 'queued' AND attempts = @attempts;

-- name: MailOutboxDeleteFinished :execrows
-- Deletes sent and abandoned messages older than @cutoff.
DELETE FROM core.mail_outbox WHERE status IN ('sent', 'abandoned') AND created_at < @cutoff;

-- name: MailOutboxGet :one
SELECT * FROM core.mail_outbox WHERE id = $1;
