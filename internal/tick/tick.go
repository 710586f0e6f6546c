// Package tick runs a task at a steady interval until its context ends.
// The loops that keep the projection lease, sign checkpoints on schedule,
// flush the live totals and check the NATS server are each one such task;
// the select over a ticker and the context is written here once.
package tick

import (
	"context"
	"time"
)

// Every calls do with each tick's time, every interval, until ctx ends;
// once ctx has ended do is not called again.
// A do that takes longer than interval delays the next call: ticks are
// not queued up behind it (time.Ticker drops what a slow reader misses).
func Every(ctx context.Context, interval time.Duration, do func(now time.Time)) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			// A tick and the context's end can be ready together, and
			// select picks either: an ended context runs nothing more.
			if ctx.Err() != nil {
				return
			}
			do(now)
		}
	}
}
