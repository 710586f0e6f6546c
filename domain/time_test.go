package domain_test

import (
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
)

// TestParseStartAndInstant: a day given as the start of a period is its
// first instant in Beijing, as the end of one its last; RFC 3339 is taken
// as it is; anything else is refused.
func TestParseStartAndInstant(t *testing.T) {
	start, err := domain.ParseStart("2022-06-01")
	if err != nil || !start.Equal(time.Date(2022, 5, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("start of 2022-06-01: %v %v", start, err)
	}
	end, err := domain.ParseInstant("2022-06-30")
	if err != nil || !end.Equal(time.Date(2022, 6, 30, 15, 59, 59, 999999999, time.UTC)) {
		t.Errorf("end of 2022-06-30: %v %v", end, err)
	}
	exact, err := domain.ParseStart("2022-06-15T09:30:00+08:00")
	if err != nil || !exact.Equal(time.Date(2022, 6, 15, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("an instant: %v %v", exact, err)
	}
	for _, bad := range []string{"", "15/06/2022", "2022-13-01"} {
		if _, err := domain.ParseStart(bad); err == nil {
			t.Errorf("%q was taken as a start", bad)
		}
		if _, err := domain.ParseInstant(bad); err == nil {
			t.Errorf("%q was taken as an instant", bad)
		}
	}
}
