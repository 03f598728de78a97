-- name: CustodianNotificationGet :one
SELECT * FROM custodian.notification_settings WHERE user_id = @user_id AND channel = @channel;

-- name: CustodianNotificationUpsert :one
-- Sets the flags given (non-null arguments); the others keep their value, or their default.
INSERT INTO custodian.notification_settings AS n
    (user_id, channel, enabled, alerts, updates, reminders, newsletters, marketing)
VALUES (@user_id, @channel,
    coalesce(sqlc.narg(enabled)::boolean, true), coalesce(sqlc.narg(alerts)::boolean, true),
    coalesce(sqlc.narg(updates)::boolean, true), coalesce(sqlc.narg(reminders)::boolean, true),
    coalesce(sqlc.narg(newsletters)::boolean, false), coalesce(sqlc.narg(marketing)::boolean, false))
ON CONFLICT (user_id, channel) DO UPDATE SET
    enabled     = coalesce(sqlc.narg(enabled)::boolean, n.enabled),
    alerts      = coalesce(sqlc.narg(alerts)::boolean, n.alerts),
    updates     = coalesce(sqlc.narg(updates)::boolean, n.updates),
    reminders   = coalesce(sqlc.narg(reminders)::boolean, n.reminders),
    newsletters = coalesce(sqlc.narg(newsletters)::boolean, n.newsletters),
    marketing   = coalesce(sqlc.narg(marketing)::boolean, n.marketing),
    updated_at  = now()
RETURNING *;
