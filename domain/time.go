package domain

import (
	"fmt"
	"time"
)

// Beijing is China Standard Time (UTC+8, no daylight saving): the zone of
// the federation's days, months and closes, and of dates given without a
// zone.
var Beijing = time.FixedZone("CST", 8*3600)

// ParseStart reads the start of something as people give it: RFC 3339, or
// a day (2022-06-01) meaning the start of that day in Beijing time.
func ParseStart(text string) (time.Time, error) {
	instant, _, err := parseInstantOrDay(text)
	return instant, err
}

// ParseInstant reads an instant as people give it: RFC 3339
// (2022-06-30T18:00:00+08:00), or a day (2022-06-30) meaning the end of
// that day in Beijing time, so that what happened on the day counts.
func ParseInstant(text string) (time.Time, error) {
	instant, day, err := parseInstantOrDay(text)
	if err != nil || !day {
		return instant, err
	}
	return instant.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
}

// parseInstantOrDay reads RFC 3339, or a day as its first instant in
// Beijing time (day is then true).
func parseInstantOrDay(text string) (instant time.Time, day bool, err error) {
	if instant, err := time.Parse(time.RFC3339, text); err == nil {
		return instant, false, nil
	}
	start, err := time.ParseInLocation(time.DateOnly, text, Beijing)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%q must be RFC 3339 (2022-06-30T18:00:00+08:00) or a day (2022-06-30)", text)
	}
	return start, true, nil
}
