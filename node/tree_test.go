package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
)

// An entry's inclusion proof against the newest checkpoint checks with the
// verifier key alone, and names the entry's bytes at its position; with
// no checkpoint signed yet there is nothing to prove against.
func TestCheckpointThenProve(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	results, err := ledger.App.Record(ctx, []domain.Event{
		eventstoretest.Donation("general", "150626", "D-1", 100000),
		eventstoretest.Donation("general", "150621", "D-2", 200000),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Prove(ctx, "D-2"); err == nil {
		t.Fatal("a proof with no checkpoint signed")
	}
	if _, err := ledger.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	proof, err := ledger.Prove(ctx, "D-2")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ledger.Keys()
	if err != nil {
		t.Fatal(err)
	}
	checkpoint, stored, err := proof.Check(keys.Verifier)
	if err != nil {
		t.Fatalf("the proof does not check: %v", err)
	}
	event, err := domain.DecodeStoredEvent(stored)
	if err != nil {
		t.Fatal(err)
	}
	if checkpoint.Size != 2 || event.ID != results[1].EventID || proof.Position != results[1].Position {
		t.Fatalf("proved %s at %d under a checkpoint of %d; want %s at %d under 2", event.ID, proof.Position, checkpoint.Size,
			results[1].EventID, results[1].Position)
	}
}
