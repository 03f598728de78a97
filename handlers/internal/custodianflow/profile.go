package custodianflow

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/text/language"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
)

// ProfileUpdate holds the profile fields to set; nil fields are kept.
type ProfileUpdate struct {
	FirstName, LastName, PhoneNumber, Country, DateOfBirth, Language, Gender *string
}

// fields names the fields given, as on the wire.
func (u ProfileUpdate) fields() []string {
	var out []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"first_name", u.FirstName}, {"last_name", u.LastName}, {"phone_number", u.PhoneNumber},
		{"country", u.Country}, {"date_of_birth", u.DateOfBirth}, {"language", u.Language}, {"gender", u.Gender}} {
		if f.v != nil {
			out = append(out, f.name)
		}
	}
	return out
}

// Profile returns the user's account, profile fields included.
func (f *Service) Profile(ctx context.Context, userID int64) (User, error) {
	u, err := f.store.CustodianUserGet(ctx, f.store.Pool(), userID)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return User{}, ErrUserNotFound
	}
	return u, db.Translate(err)
}

// UserProfile returns another user's profile, for admins.
func (f *Service) UserProfile(ctx context.Context, p Principal, userID int64) (User, error) {
	if !p.IsAdmin {
		return User{}, ErrForbidden
	}
	return f.Profile(ctx, userID)
}

// UpdateProfile sets the fields of upd on userID's profile, by p (the user or an admin), and
// records a profile/updated event naming the fields.
func (f *Service) UpdateProfile(ctx context.Context, p Principal, userID int64, upd ProfileUpdate) (User, error) {
	if userID != p.UserID && !p.IsAdmin {
		return User{}, ErrForbidden
	}
	params := dbsqlc.CustodianUserUpdateProfileParams{ID: userID, PhoneNumber: upd.PhoneNumber,
		Language: upd.Language, Gender: upd.Gender}
	for _, name := range []struct {
		field string
		in    *string
		out   **string
	}{{"first_name", upd.FirstName, &params.FirstName}, {"last_name", upd.LastName, &params.LastName}} {
		if name.in == nil {
			continue
		}
		v := strings.TrimSpace(*name.in)
		if v == "" {
			return User{}, badInput("%s cannot be empty", name.field)
		}
		*name.out = &v
	}
	if upd.Country != nil {
		r, err := language.ParseRegion(*upd.Country)
		if err != nil || !r.IsCountry() || r.String() != *upd.Country {
			return User{}, badInput("Invalid country: not an ISO 3166-1 alpha-2 country code")
		}
		params.Country = upd.Country
	}
	if upd.DateOfBirth != nil {
		d, err := time.Parse(time.DateOnly, *upd.DateOfBirth)
		if err != nil {
			return User{}, badInput("Invalid date_of_birth: not a date like 1990-01-31")
		}
		// The latest date anywhere on Earth now (UTC+14), so that nobody born today is refused.
		today := time.Now().UTC().Add(14 * time.Hour).Format(time.DateOnly)
		if *upd.DateOfBirth > today {
			return User{}, badInput("Invalid date_of_birth: it is in the future")
		}
		if d.Year() < 1900 {
			return User{}, badInput("Invalid date_of_birth: before 1900")
		}
		params.DateOfBirth = pgtype.Date{Time: d, Valid: true}
	}
	var u User
	err := f.store.InTx(ctx, func(tx db.DB) error {
		var err error
		u, err = f.store.CustodianUserUpdateProfile(ctx, tx, params)
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			return ErrUserNotFound
		} else if err != nil {
			return err
		}
		extra := map[string]any{"fields": upd.fields()}
		if p.UserID != userID {
			extra["by"] = p.UserID
		}
		return f.event(ctx, tx, userID, EventProfileUpdated, extra)
	})
	return u, err
}
