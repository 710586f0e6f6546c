package projections_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/projections"
)

// brokenCheckpoints wraps the real checkpoint store and breaks what a bad
// disk breaks: loads that fail, saves that fail, or content changed after
// it was saved.
type brokenCheckpoints struct {
	eventstore.CheckpointStore
	loadFails, saveFails, damage bool
}

func (b brokenCheckpoints) Load(ctx context.Context, name string) (eventstore.Checkpoint, error) {
	if b.loadFails {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint bucket: %w", domain.ErrUnavailable)
	}
	checkpoint, err := b.CheckpointStore.Load(ctx, name)
	if err == nil && b.damage && len(checkpoint.State) > 20 {
		// One byte changed inside the state: still JSON, other figures.
		for i := len(checkpoint.State) / 2; i < len(checkpoint.State); i++ {
			if c := checkpoint.State[i]; c >= '1' && c <= '8' {
				checkpoint.State[i]++
				break
			}
		}
	}
	return checkpoint, err
}

func (b brokenCheckpoints) Save(ctx context.Context, checkpoint eventstore.Checkpoint) error {
	if b.saveFails {
		return fmt.Errorf("checkpoint bucket: %w", domain.ErrUnavailable)
	}
	return b.CheckpointStore.Save(ctx, checkpoint)
}

// The projection checkpoint is a cache of the log: a checkpoint store that
// does not answer, one that cannot be written, and a checkpoint whose
// content was changed after it was saved all give the figures of a fresh
// rebuild, and say why the projection was rebuilt; none stops the read.
func TestDamagedCheckpointsNeverStopARead(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, natsjs.MemoryStorage, fixedClock)
	h := newHistory(t, e, 2022, historyStart)
	h.write(ctx, 120, nil)
	options := projections.RunnerOptions{Clock: fixedClock, CheckpointEvents: 10}
	fresh := projections.NewTotalsProjection()
	rebuild := projections.NewRunner(e.store, e.checkpoints, fresh, options)
	if err := rebuild.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rebuild.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	want, err := fresh.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	for _, broken := range []brokenCheckpoints{
		{CheckpointStore: e.checkpoints, loadFails: true},
		{CheckpointStore: e.checkpoints, saveFails: true},
		{CheckpointStore: e.checkpoints, loadFails: true, saveFails: true},
		{CheckpointStore: e.checkpoints, damage: true},
	} {
		name := fmt.Sprintf("load fails %v, save fails %v, damaged %v", broken.loadFails, broken.saveFails, broken.damage)
		projection := projections.NewTotalsProjection()
		runner := projections.NewRunner(e.store, broken, projection, options)
		if err := runner.Load(ctx); err != nil {
			t.Fatalf("%s: load: %v", name, err)
		}
		if err := runner.CatchUp(ctx, nil); err != nil {
			t.Fatalf("%s: catch up: %v", name, err)
		}
		got, err := projection.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: the figures differ from a fresh rebuild", name)
		}
		status, err := runner.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (broken.loadFails || broken.damage) && status.RebuiltBecause == "" {
			t.Errorf("%s: the status does not say why the projection was rebuilt", name)
		}
		if broken.damage && status.RebuiltBecause != "damaged checkpoint" {
			t.Errorf("%s: rebuilt because %q", name, status.RebuiltBecause)
		}
	}
	if !errors.Is(brokenCheckpoints{saveFails: true}.Save(ctx, eventstore.Checkpoint{}), domain.ErrUnavailable) {
		t.Fatal("the broken store does not break")
	}
}
