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
	if instant, err := time.Parse(time.RFC3339, text); err == nil {
		return instant, nil
	}
	day, err := time.ParseInLocation(time.DateOnly, text, Beijing)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q must be RFC 3339 (2022-06-15T09:30:00+08:00) or a day (2022-06-15)", text)
	}
	return day, nil
}

// ParseInstant reads an instant as people give it: RFC 3339
// (2022-06-30T18:00:00+08:00), or a day (2022-06-30) meaning the end of
// that day in Beijing time, so that what happened on the day counts.
func ParseInstant(text string) (time.Time, error) {
	if instant, err := time.Parse(time.RFC3339, text); err == nil {
		return instant, nil
	}
	day, err := time.ParseInLocation(time.DateOnly, text, Beijing)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q must be RFC 3339 (2022-06-30T18:00:00+08:00) or a day (2022-06-30)", text)
	}
	return day.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
}
