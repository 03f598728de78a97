package baflow

import (
	"testing"
	"time"
)

// The mails say how long their link works in words, whatever the configured life.
func TestHumanTTL(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour:        "one hour",
		24 * time.Hour:   "one day",
		48 * time.Hour:   "2 days",
		36 * time.Hour:   "36 hours",
		90 * time.Minute: "90 minutes",
		time.Minute:      "one minute",
		15 * time.Minute: "15 minutes",
	} {
		if got := humanTTL(d); got != want {
			t.Errorf("humanTTL(%v) = %q, want %q", d, got, want)
		}
	}
}
