package projections_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/projections"
)

var historyStart = time.Date(2022, 6, 12, 8, 0, 0, 0, cst)

func TestRunnerRestartNeitherSkipsNorDoubleCounts(t *testing.T) {
	const (
		every      = 7  // CheckpointEvents
		crashAfter = 50 // events folded when the process dies
	)
	cases := []struct {
		name    string
		storage natsjs.Storage
		restart bool
	}{
		{"memory storage", natsjs.MemoryStorage, false},
		{"file storage, server restarted", natsjs.FileStorage, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			first := openEnv(t, dir, tc.storage, fixedClock)
			h := newHistory(t, first, 2022, historyStart)
			h.write(ctx, 200, nil)
			if len(h.log) < 150 {
				t.Fatalf("only %d entries written", len(h.log))
			}
			options := projections.RunnerOptions{Clock: fixedClock, CheckpointEvents: every}

			// The first runner dies between two events: its context ends
			// from inside the progress callback after 50 events.
			crashing := projections.NewRunner(first.store, first.checkpoints, projections.NewTotalsProjection(), options)
			if err := crashing.Load(ctx); err != nil {
				t.Fatalf("load: %v", err)
			}
			crashCtx, crash := context.WithCancel(ctx)
			defer crash()
			var crashedAt uint64
			err := crashing.CatchUp(crashCtx, func(done, total uint64) {
				if done >= crashAfter && crashedAt == 0 {
					crashedAt = done
					crash()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("catch up cut short: err = %v, want context.Canceled", err)
			}
			if crashed, err := crashing.Status(ctx); err == nil {
				t.Logf("crashed at %d: the dead runner had folded to %d, its last checkpoint is at %d", crashedAt, crashed.Position, crashed.CheckpointPosition)
			}
			saved, err := first.checkpoints.Load(ctx, "totals")
			if err != nil {
				t.Fatalf("load checkpoint: %v", err)
			}
			wantSaved := uint64(crashAfter / every * every)
			if saved.Position != wantSaved || saved.Version != projections.TotalsVersion {
				t.Fatalf("checkpoint at position %d version %d after a crash at %d; want the last periodic one, %d, version %d",
					saved.Position, saved.Version, crashedAt, wantSaved, projections.TotalsVersion)
			}

			second := first
			if tc.restart {
				first.stop()
				second = openEnv(t, dir, tc.storage, fixedClock)
				// The ledger goes on after the restart before the
				// projection catches up.
				h.env = second
				h.write(ctx, 20, nil)
			}
			last := head(t, second.store)
			if last != uint64(len(h.log)) {
				t.Fatalf("head %d after the restart, want %d entries", last, len(h.log))
			}

			projection := projections.NewTotalsProjection()
			resumed := projections.NewRunner(second.store, second.checkpoints, projection, options)
			if err := resumed.Load(ctx); err != nil {
				t.Fatalf("load after the crash: %v", err)
			}
			status, err := resumed.Status(ctx)
			if err != nil {
				t.Fatalf("status: %v", err)
			}
			if status.CheckpointPosition == 0 || status.CheckpointPosition%every != 0 || status.CheckpointPosition >= crashedAt {
				t.Errorf("checkpoint position %d: want a multiple of %d above zero and below the crash at %d",
					status.CheckpointPosition, every, crashedAt)
			}
			if status.Position != status.CheckpointPosition || status.RebuiltBecause != "" || status.LagEvents != last-status.Position {
				t.Errorf("status after load = %+v; want position = checkpoint, no rebuild, lag %d", status, last-status.CheckpointPosition)
			}
			// The resumed catch-up folds each event after the checkpoint
			// exactly once, in order.
			var steps []uint64
			if err := resumed.CatchUp(ctx, func(done, total uint64) {
				if total != last-status.CheckpointPosition {
					t.Errorf("progress total %d, want %d", total, last-status.CheckpointPosition)
				}
				steps = append(steps, done)
			}); err != nil {
				t.Fatalf("resume: %v", err)
			}
			for i, done := range steps {
				if done != uint64(i) {
					t.Fatalf("progress steps %v: want 0, 1, 2, ... %d", steps, last-status.CheckpointPosition)
				}
			}
			if len(steps) != int(last-status.CheckpointPosition)+1 {
				t.Errorf("%d progress steps, want %d", len(steps), last-status.CheckpointPosition+1)
			}

			qs := append(queries(), projections.Query{By: projections.ByMonth})
			got := runnerView(t, resumed, projection, qs)
			totals, err := projections.FoldTotals(ctx, second.store, projections.TotalsOptions{}, time.Time{}, "")
			if err != nil {
				t.Fatalf("fold: %v", err)
			}
			sameView(t, "resumed vs full rebuild", got, viewOf(t, totals, qs), qs)
			fresh := projections.NewTotalsProjection()
			rebuilder := projections.NewRunner(second.store, second.checkpoints, fresh, options)
			if err := rebuilder.Rebuild(ctx, nil); err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			sameView(t, "resumed vs runner rebuild", got, runnerView(t, rebuilder, fresh, qs), qs)
			cells := expectedCells(h.log)
			for i, q := range qs[:len(qs)-1] {
				compareWithModel(t, "resumed", got.decoded[i], cells, q)
			}
			final, err := second.checkpoints.Load(ctx, "totals")
			if err != nil || final.Position != last {
				t.Errorf("checkpoint after the catch-up at %d (%v), want the head %d", final.Position, err, last)
			}
		})
	}
}

// bumpedTotals is the totals projection after a change of its fold: the same
// state under a new version.
type bumpedTotals struct {
	*projections.TotalsProjection
}

func (bumpedTotals) Version() int { return projections.TotalsVersion + 1 }

func TestVersionBumpRebuilds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, natsjs.MemoryStorage, fixedClock)
	h := newHistory(t, e, 77, historyStart)
	h.write(ctx, 80, nil)
	last := head(t, e.store)
	qs := queries()
	options := projections.RunnerOptions{Clock: fixedClock}

	original := projections.NewTotalsProjection()
	runner := projections.NewRunner(e.store, e.checkpoints, original, options)
	if err := runner.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := runner.CatchUp(ctx, nil); err != nil {
		t.Fatalf("catch up: %v", err)
	}
	want := runnerView(t, runner, original, qs)
	saved, err := e.checkpoints.Load(ctx, "totals")
	if err != nil || saved.Version != projections.TotalsVersion || saved.Position != last {
		t.Fatalf("checkpoint = version %d position %d (%v); want version %d at %d", saved.Version, saved.Position, err, projections.TotalsVersion, last)
	}

	bumped := bumpedTotals{projections.NewTotalsProjection()}
	upgraded := projections.NewRunner(e.store, e.checkpoints, bumped, options)
	if err := upgraded.Load(ctx); err != nil {
		t.Fatalf("load with the new version: %v", err)
	}
	status, err := upgraded.Status(ctx)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	wantReason := fmt.Sprintf("version %d replaced version %d", projections.TotalsVersion+1, projections.TotalsVersion)
	if !strings.Contains(status.RebuiltBecause, "version") || !strings.Contains(status.RebuiltBecause, wantReason) {
		t.Errorf("rebuilt because %q, want it to say %q", status.RebuiltBecause, wantReason)
	}
	if status.Position != 0 || status.LagEvents != last || status.Version != projections.TotalsVersion+1 {
		t.Errorf("status after a version change = %+v; want position 0, lag %d, version %d", status, last, projections.TotalsVersion+1)
	}
	var empty bool
	upgraded.View(func(position uint64) { empty = position == 0 && bumped.Cells() == 0 })
	if !empty {
		t.Errorf("the old version's state was kept after the version changed")
	}
	if err := upgraded.CatchUp(ctx, nil); err != nil {
		t.Fatalf("catch up: %v", err)
	}
	sameView(t, "rebuilt under the new version", runnerView(t, upgraded, bumped, qs), want, qs)
	saved, err = e.checkpoints.Load(ctx, "totals")
	if err != nil || saved.Version != projections.TotalsVersion+1 || saved.Position != last {
		t.Errorf("checkpoint = version %d position %d (%v); want version %d at %d", saved.Version, saved.Position, err, projections.TotalsVersion+1, last)
	}

	// The new version's checkpoint loads as it is; going back to the old
	// version rebuilds again.
	again := bumpedTotals{projections.NewTotalsProjection()}
	reloaded := projections.NewRunner(e.store, e.checkpoints, again, options)
	if err := reloaded.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	if status, _ := reloaded.Status(ctx); status.RebuiltBecause != "" || status.Position != last {
		t.Errorf("same version reloaded: status %+v, want no rebuild at position %d", status, last)
	}
	sameView(t, "reloaded", runnerView(t, reloaded, again, qs), want, qs)
	back := projections.NewRunner(e.store, e.checkpoints, projections.NewTotalsProjection(), options)
	if err := back.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	if status, _ := back.Status(ctx); !strings.Contains(status.RebuiltBecause, "version") || status.Position != 0 {
		t.Errorf("older version after a newer one: status %+v, want a rebuild from 0", status)
	}
}
