package jstime

import (
	"encoding/json"
	"testing"
	"time"
)

func TestMarshalLikeDateToJSON(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for in, want := range map[time.Time]string{
		time.Date(2026, 11, 21, 15, 48, 0, 462_987_000, ny): `"2026-11-21T20:48:00.462Z"`,
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC):         `"2026-01-02T03:04:05.000Z"`,
	} {
		b, err := json.Marshal(From(in))
		if err != nil || string(b) != want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", in, b, err, want)
		}
		var back Time
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(in.Truncate(time.Millisecond)) {
			t.Errorf("Unmarshal(%s) = %v, %v", b, back, err)
		}
	}
	var bad Time
	if err := json.Unmarshal([]byte(`"yesterday"`), &bad); err == nil {
		t.Error("a non-date parsed")
	}
}
