package tick_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordos-union/ledger/internal/tick"
)

// The task runs on every tick until the context ends, and Every then
// returns: here the task itself ends it at its third run.
func TestEveryRunsUntilTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runs := 0
	var last time.Time
	tick.Every(ctx, time.Millisecond, func(now time.Time) {
		if !now.After(last) {
			t.Errorf("tick %v does not follow %v", now, last)
		}
		last = now
		runs++
		if runs == 3 {
			cancel()
		}
	})
	if runs != 3 {
		t.Fatalf("the task ran %d times, want 3", runs)
	}
}

// An ended context runs the task not once.
func TestEveryOnAnEndedContextRunsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tick.Every(ctx, time.Hour, func(time.Time) { t.Error("the task ran") })
}
