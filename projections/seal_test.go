package projections_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/projections"
)

// forgedState is the state a forger writes: the one cell they want
// served (150626 received 8,888,888.00 yuan) at the log's head.
func forgedState(t *testing.T, position uint64) []byte {
	t.Helper()
	forged := projections.NewTotalsProjection()
	record := eventstore.Record{Position: position, Event: received("general", "150626", "FORGED", 888888800, historyStart)}
	record.Event.Aggregate = domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"}
	if err := forged.Apply(context.Background(), record, nil); err != nil {
		t.Fatal(err)
	}
	state, err := forged.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// A checkpoint's seal is what makes it loadable. Whoever can write the
// checkpoint store but holds no key (the runtime NATS credential, a
// backup's public recipient) cannot make a runner serve their figures:
// forged figures with a checksum that matches them, with the seal of the
// genuine checkpoint left on, or sealed with another key, and a genuine
// checkpoint bound to another log's tree, are each not trusted, say why,
// and give the figures of the log. Only the genuine sealed checkpoint
// loads as it is. CheckTotals names the forged cell, and a runner with
// no key saves nothing.
func TestOnlyASealedCheckpointLoads(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, natsjs.MemoryStorage, fixedClock)
	h := newHistory(t, e, 2022, historyStart)
	h.write(ctx, 60, nil)
	last := head(t, e.store)
	key := []byte("the ledger's seal key, 32 bytes!")
	logRoot := func(_ context.Context, size uint64) (string, error) {
		return fmt.Sprintf("root of the log at %d", size), nil
	}
	seal := &projections.CheckpointSeal{Key: key, Root: logRoot}
	options := projections.RunnerOptions{Clock: fixedClock, Seal: seal}

	honest := projections.NewTotalsProjection()
	runner := projections.NewRunner(e.store, e.checkpoints, honest, options)
	if err := runner.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := runner.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	want, err := honest.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := e.checkpoints.Load(ctx, "totals")
	if err != nil {
		t.Fatal(err)
	}
	if genuine.Seal == "" || genuine.TreeRoot != fmt.Sprintf("root of the log at %d", last) || genuine.Position != last {
		t.Fatalf("saved %+v, want it sealed with the tree root at %d", genuine, last)
	}
	if disagreement, err := projections.CheckTotals(ctx, e.store, genuine); err != nil || disagreement != nil {
		t.Fatalf("the genuine checkpoint against the log: %v, %v; want agreement", disagreement, err)
	}

	forged := genuine
	forged.State = forgedState(t, last)
	forged.StateSHA256 = projections.StateDigest(forged.State)
	otherKey := &projections.CheckpointSeal{Key: []byte("a key of someone else's, 32 byte"), Root: logRoot}
	otherLog := &projections.CheckpointSeal{Key: key, Root: func(context.Context, uint64) (string, error) { return "another log's root", nil }}
	cases := []struct {
		name, why string
		edit      func(*eventstore.Checkpoint)
	}{
		{"forged figures, unsealed", "not sealed", func(c *eventstore.Checkpoint) { *c = forged; c.Seal = "" }},
		{"forged figures under the genuine seal", "seal does not hold", func(c *eventstore.Checkpoint) { *c = forged }},
		{"forged figures sealed with another key", "seal does not hold", func(c *eventstore.Checkpoint) {
			*c = forged
			if err := otherKey.Seal(ctx, c); err != nil {
				t.Fatal(err)
			}
		}},
		{"genuine figures of another log", "another log", func(c *eventstore.Checkpoint) {
			if err := otherLog.Seal(ctx, c); err != nil {
				t.Fatal(err)
			}
		}},
		{"genuine figures saved before seals", "not sealed", func(c *eventstore.Checkpoint) { c.Seal, c.TreeRoot = "", "" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			written := genuine
			tc.edit(&written)
			if err := e.checkpoints.Save(ctx, written); err != nil {
				t.Fatal(err)
			}
			loaded := projections.NewTotalsProjection()
			reader := projections.NewRunner(e.store, e.checkpoints, loaded, options)
			if err := reader.Load(ctx); err != nil {
				t.Fatal(err)
			}
			status, err := reader.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(status.RebuiltBecause, "not trusted") || !strings.Contains(status.RebuiltBecause, tc.why) || status.Position != 0 {
				t.Fatalf("after load: %+v; want it folded from the log because %q", status, tc.why)
			}
			if err := reader.CatchUp(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if got, err := loaded.MarshalState(); err != nil || string(got) != string(want) {
				t.Fatalf("figures after the catch-up differ from the log's (%v)", err)
			}
		})
	}

	disagreement, err := projections.CheckTotals(ctx, e.store, forged)
	if err != nil || disagreement == nil || disagreement.County != "150626" || len(disagreement.Figures) == 0 ||
		!strings.Contains(disagreement.String(), "received is 8888888.00 in the checkpoint") || disagreement.Position != last {
		t.Fatalf("the forged checkpoint against the log: %+v, %v; want 150626's received 8888888.00 named", disagreement, err)
	}

	// The genuine checkpoint, saved again, loads as it is.
	if err := e.checkpoints.Save(ctx, genuine); err != nil {
		t.Fatal(err)
	}
	reloaded := projections.NewRunner(e.store, e.checkpoints, projections.NewTotalsProjection(), options)
	if err := reloaded.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if status, err := reloaded.Status(ctx); err != nil || status.RebuiltBecause != "" || status.Position != last {
		t.Fatalf("the genuine checkpoint: %+v, %v; want it loaded at %d", status, err, last)
	}

	// Without a key nothing is trusted, and nothing saved over what is
	// there.
	keyless := projections.RunnerOptions{Clock: fixedClock, Seal: &projections.CheckpointSeal{NoKey: errors.New("no signing key here")}}
	blind := projections.NewRunner(e.store, e.checkpoints, projections.NewTotalsProjection(), keyless)
	if err := blind.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if status, _ := blind.Status(ctx); !strings.Contains(status.RebuiltBecause, "no signing key here") {
		t.Fatalf("without a key: %+v", status)
	}
	if err := blind.Save(ctx); !errors.Is(err, projections.ErrNoSealKey) {
		t.Fatalf("save without a key: %v, want ErrNoSealKey", err)
	}
	if kept, err := e.checkpoints.Load(ctx, "totals"); err != nil || kept.Seal != genuine.Seal || kept.Position != last {
		t.Fatalf("the checkpoint after a keyless save: %+v, %v", kept, err)
	}
}
