// Package jstime is the date-time of Better Auth's JSON: what JavaScript's Date.toJSON writes,
// UTC with exactly three fractional digits ("2026-11-21T20:48:00.462Z"). The Better Auth
// client turns such strings back into Date objects; the generated types of the Better Auth API
// use it for every date-time (x-go-type in openapi/betterauth.yaml).
package jstime

import (
	"encoding/json"
	"time"
)

// Layout is Date.toJSON's format.
const Layout = "2006-01-02T15:04:05.000Z07:00"

// Time is a time.Time written as Date.toJSON writes it.
type Time struct{ time.Time }

// From returns t as a Time.
func From(t time.Time) Time { return Time{t} }

// Ptr returns t as a *Time, nil for nil.
func Ptr(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	return &Time{*t}
}

// MarshalJSON writes t in UTC with millisecond precision.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(Layout))
}

// UnmarshalJSON reads any RFC 3339 date-time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}
