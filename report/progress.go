package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ordos-union/ledger/projections"
)

// Limits of progress output, unit last.
const (
	progressRedrawMs = 100
	progressLogMs    = 5000
	progressBarCells = 30
)

// Progress draws a bar with events/s and ETA on a terminal, and writes a
// plain line every few seconds to a file or a pipe. Quick work shows
// nothing. clock is the time (time.Now outside tests).
func Progress(out io.Writer, terminal bool, label string, clock func() time.Time) projections.Progress {
	started := clock()
	var last time.Time
	shown := false
	return func(done, total uint64) {
		now := clock()
		finished := done >= total
		interval := progressLogMs * time.Millisecond
		if terminal {
			interval = progressRedrawMs * time.Millisecond
		}
		// Quick work shows nothing; long work shows progress from the
		// first interval on, and its end.
		if now.Sub(started) < interval && !shown {
			return
		}
		if !finished && now.Sub(last) < interval {
			return
		}
		last, shown = now, true
		elapsed := now.Sub(started).Seconds()
		rate := 0.0
		if elapsed > 0 {
			rate = float64(done) / elapsed
		}
		eta := "-"
		if rate > 0 && total > done {
			eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
		}
		percent := 100.0
		if total > 0 {
			percent = 100 * float64(done) / float64(total)
		}
		if terminal {
			filled := int(percent / 100 * progressBarCells)
			bar := strings.Repeat("=", filled) + strings.Repeat(" ", progressBarCells-filled)
			fmt.Fprintf(out, "\r%s [%s] %5.1f%% %d/%d events %.0f events/s ETA %s ", label, bar, percent, done, total, rate, eta)
			if finished {
				fmt.Fprintln(out)
			}
			return
		}
		fmt.Fprintf(out, "%s: %.1f%% %d/%d events, %.0f events/s, ETA %s\n", label, percent, done, total, rate, eta)
	}
}
