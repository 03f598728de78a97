package custodianflow

import (
	"context"
	"errors"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
)

// NotificationSettings are the flags of one channel.
type NotificationSettings struct {
	Enabled, Alerts, Updates, Reminders, Newsletters, Marketing bool
}

// NotificationUpdate holds the flags to set; nil flags are kept.
type NotificationUpdate struct {
	Enabled, Alerts, Updates, Reminders, Newsletters, Marketing *bool
}

// DefaultNotificationSettings are the flags of a channel never set.
var DefaultNotificationSettings = NotificationSettings{Enabled: true, Alerts: true, Updates: true, Reminders: true}

func fromRow(r dbsqlc.CustodianNotificationSetting) NotificationSettings {
	return NotificationSettings{Enabled: r.Enabled, Alerts: r.Alerts, Updates: r.Updates, Reminders: r.Reminders,
		Newsletters: r.Newsletters, Marketing: r.Marketing}
}

// Notifications returns the user's settings of channel ("app-push" or "email").
func (f *Service) Notifications(ctx context.Context, userID int64, channel string) (NotificationSettings, error) {
	row, err := f.store.CustodianNotificationGet(ctx, f.store.Pool(), dbsqlc.CustodianNotificationGetParams{UserID: userID, Channel: channel})
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return DefaultNotificationSettings, nil
	} else if err != nil {
		return NotificationSettings{}, db.Translate(err)
	}
	return fromRow(row), nil
}

// UpdateNotifications sets the flags of upd on the user's channel and returns every flag.
func (f *Service) UpdateNotifications(ctx context.Context, userID int64, channel string, upd NotificationUpdate) (NotificationSettings, error) {
	row, err := f.store.CustodianNotificationUpsert(ctx, f.store.Pool(), dbsqlc.CustodianNotificationUpsertParams{
		UserID: userID, Channel: channel, Enabled: upd.Enabled, Alerts: upd.Alerts, Updates: upd.Updates,
		Reminders: upd.Reminders, Newsletters: upd.Newsletters, Marketing: upd.Marketing})
	if err != nil {
		return NotificationSettings{}, db.Translate(err)
	}
	return fromRow(row), nil
}

// Event is a recorded event.
type Event = dbsqlc.CustodianEvent

// Events lists userID's events newest first: limit of them (0: the default page) with ids
// below before (0: from the newest). The user themselves or an admin.
func (f *Service) Events(ctx context.Context, p Principal, userID int64, limit int, before int64) ([]Event, error) {
	if userID != p.UserID {
		if !p.IsAdmin {
			return nil, ErrForbidden
		}
		if _, err := f.Profile(ctx, userID); err != nil {
			return nil, err
		}
	}
	if limit <= 0 {
		limit = defaultEventPage
	}
	limit = min(limit, maxEventPage)
	rows, err := f.store.CustodianEventList(ctx, f.store.Pool(), dbsqlc.CustodianEventListParams{
		UserID: userID, Before: before, MaxRows: int32(limit)})
	return rows, db.Translate(err)
}

// SetRateLimit gives userID a limit of requestsPerWindow requests per windowSeconds, or
// removes their limit when both are zero. Admins only.
func (f *Service) SetRateLimit(ctx context.Context, p Principal, userID int64, windowSeconds, requestsPerWindow int32) error {
	if !p.IsAdmin {
		return ErrForbidden
	}
	params := dbsqlc.CustodianUserSetRateLimitParams{ID: userID}
	if windowSeconds > 0 || requestsPerWindow > 0 {
		if windowSeconds < 1 || windowSeconds > 86400 || requestsPerWindow < 1 {
			return badInput("window_seconds must be 1 to 86400 and requests_per_window at least 1")
		}
		params.WindowSeconds, params.RequestsPerWindow = &windowSeconds, &requestsPerWindow
	}
	n, err := f.store.CustodianUserSetRateLimit(ctx, f.store.Pool(), params)
	if err != nil {
		return db.Translate(err)
	}
	if n == 0 {
		return ErrUserNotFound
	}
	return nil
}
