package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/report"
)

// TestProgressShowsOnlyLongWork: work done within the first interval
// prints nothing; long work prints a line every interval with its rate,
// and its end.
func TestProgressShowsOnlyLongWork(t *testing.T) {
	now := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var quick bytes.Buffer
	progress := report.Progress(&quick, false, "verify", clock)
	now = now.Add(time.Second)
	progress(10, 10)
	if quick.Len() != 0 {
		t.Fatalf("quick work printed %q", quick.String())
	}

	var long bytes.Buffer
	progress = report.Progress(&long, false, "rebuild", clock)
	now = now.Add(6 * time.Second)
	progress(600, 1200)
	now = now.Add(time.Second)
	progress(700, 1200) // within the interval: nothing
	now = now.Add(5 * time.Second)
	progress(1200, 1200)
	lines := strings.Split(strings.TrimSpace(long.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", long.String())
	}
	if !strings.HasPrefix(lines[0], "rebuild: 50.0% 600/1200 events, 100 events/s, ETA 6s") {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "rebuild: 100.0% 1200/1200 events") {
		t.Errorf("last line %q", lines[1])
	}
}
