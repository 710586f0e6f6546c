package node_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/projections"
)

// forgedFen is what the forger has 150626 receive: 8,888,888.00 yuan.
const forgedFen = 888888800

// forgeCheckpoint does what a holder of the runtime NATS credential can:
// `nats kv put LEDGER_PROJECTIONS totals` of a checkpoint whose state is
// one cell of their own (150626 received 8,888,888.00 at the log's head),
// with a checksum that matches it and whatever else the genuine one said.
// It writes through connection, which is the ledger's own runtime user.
func forgeCheckpoint(t *testing.T, connection *nats.Conn) {
	t.Helper()
	ctx := context.Background()
	js, err := jetstream.New(connection)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := js.KeyValue(ctx, natsjs.CheckpointBucket)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := bucket.Get(ctx, "totals")
	if err != nil {
		t.Fatal(err)
	}
	checkpoint, err := eventstore.DecodeCheckpoint("totals", entry.Value())
	if err != nil {
		t.Fatal(err)
	}
	forged := projections.NewTotalsProjection()
	donation := eventstoretest.Donation("general", "150626", "FORGED", forgedFen)
	donation.Aggregate = domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"}
	if err := forged.Apply(ctx, eventstore.Record{Position: checkpoint.Position, Event: donation}, nil); err != nil {
		t.Fatal(err)
	}
	if checkpoint.State, err = forged.MarshalState(); err != nil {
		t.Fatal(err)
	}
	checkpoint.StateSHA256 = projections.StateDigest(checkpoint.State)
	value, err := eventstore.EncodeCheckpoint(checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bucket.Put(ctx, "totals", value); err != nil {
		t.Fatal(err)
	}
}

// received150626 is what the ledger answers 150626 received, in yuan.
func received150626(t *testing.T, ledger *node.Node) string {
	t.Helper()
	answer, err := ledger.App.Totals(context.Background(), app.TotalsRequest{County: "150626"})
	if err != nil {
		t.Fatal(err)
	}
	if len(answer.All) != 1 {
		return "nothing"
	}
	return answer.All[0].Received.String()
}

// totalsFinding is the doctor's finding about the totals' checkpoint.
func totalsFinding(t *testing.T, ledger *node.Node) app.Finding {
	t.Helper()
	findings, err := ledger.Doctor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, finding := range findings {
		if strings.HasPrefix(finding.Store, "projection checkpoint") {
			return finding
		}
	}
	t.Fatalf("no finding about the projection checkpoint: %+v", findings)
	return app.Finding{}
}

// The runtime NATS credential writes the checkpoint bucket. A checkpoint
// forged there is not served: neither by the next command that reads the
// totals nor by a serve started after it, whose live totals bucket is
// filled with the log's figures. The doctor and verify fold the log to
// the checkpoint's position and find the forged cell, name the
// projection and `ledger repair`; the repair folds it again, and then all
// is well.
func TestACheckpointForgedInTheBucketIsNotServed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ledger := openLedger(t, dir)
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000),
		eventstoretest.Donation("general", "150622", "D-2", 70000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := received150626(t, ledger); got != "1000.00" {
		t.Fatalf("150626 received %s, want 1000.00", got)
	}
	if got := totalsFinding(t, ledger); got.Problem || !strings.Contains(got.What, "sealed, and the log folded to that position gives its figures") {
		t.Fatalf("the genuine checkpoint: %+v", got)
	}
	forgeCheckpoint(t, ledger.Conn)
	ledger.Close()

	// `ledger totals`: a command that loads the checkpoint.
	ledger = openLedger(t, dir)
	if got := received150626(t, ledger); got != "1000.00" {
		t.Fatalf("after the forgery 150626 received %s, want the log's 1000.00", got)
	}
	ledger.Close()

	ledger = openLedger(t, dir)
	forgeCheckpoint(t, ledger.Conn)
	finding := totalsFinding(t, ledger)
	if !finding.Problem || !strings.Contains(finding.What, "received is 8888888.00 in the checkpoint but 1000.00 in the log") ||
		!strings.Contains(finding.What, "seal does not hold") || !strings.Contains(finding.Repair, "ledger repair") {
		t.Fatalf("the doctor on the forged checkpoint: %+v", finding)
	}
	verified, err := ledger.Verify(ctx, node.VerifyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	first, bad := verified.FirstBad()
	if !bad || !strings.Contains(first.What, "projection checkpoint (totals)") || !strings.Contains(first.What, "8888888.00") ||
		!strings.Contains(first.What, "ledger repair") {
		t.Fatalf("verify on the forged checkpoint: %+v", verified.Report)
	}
	done, err := ledger.Repair(ctx)
	if err != nil || len(done) != 1 || !strings.Contains(done[0], "rebuilt the totals from the log and saved their checkpoint, sealed") {
		t.Fatalf("repair: %v %v", done, err)
	}
	if got := totalsFinding(t, ledger); got.Problem {
		t.Fatalf("after the repair: %+v", got)
	}
	if verified, err := ledger.Verify(ctx, node.VerifyRequest{}); err != nil || !verified.OK() ||
		!strings.Contains(verified.Totals, "sealed, and the log folded to that position gives its figures") {
		t.Fatalf("verify after the repair: %+v %v", verified, err)
	}

	// serve, started on a forged checkpoint, serves the log's figures and
	// fills the live totals with them.
	forgeCheckpoint(t, ledger.Conn)
	runCtx, stop := context.WithCancel(ctx)
	running, err := ledger.Run(runCtx, node.RunOptions{Holder: "test"})
	if err != nil {
		stop()
		t.Fatal(err)
	}
	defer func() {
		stop()
		if err := running.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}()
	if got := received150626(t, ledger); got != "1000.00" {
		t.Fatalf("serve started on the forged checkpoint: 150626 received %s, want 1000.00", got)
	}
	js, err := jetstream.New(ledger.Conn)
	if err != nil {
		t.Fatal(err)
	}
	live, err := js.KeyValue(ctx, natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatal(err)
	}
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		entry, err := live.Get(ctx, "150626.general")
		if err != nil {
			return err
		}
		if got := received(string(entry.Value())); got != "1000.00" {
			return fmt.Errorf("the live totals say 150626 received %s", got)
		}
		return nil
	})
}

// A running serve reads its checkpoint only when it starts: one written
// into the bucket under it is never taken up, and the figures it serves
// go on being the log's as new entries come; started again on it, it
// does not load it either.
func TestARunningLedgerDoesNotTakeUpACheckpointWrittenUnderIt(t *testing.T) {
	ctx := context.Background()
	ledger := openLedger(t, t.TempDir())
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)}); err != nil {
		t.Fatal(err)
	}
	run := func() (*node.Running, func()) {
		runCtx, stop := context.WithCancel(ctx)
		running, err := ledger.Run(runCtx, node.RunOptions{Holder: "test"})
		if err != nil {
			stop()
			t.Fatal(err)
		}
		return running, func() {
			stop()
			if err := running.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Error(err)
			}
		}
	}
	running, stop := run()
	// The running ledger saved its checkpoint at start; the forger writes
	// over it.
	forgeCheckpoint(t, ledger.Conn)
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-2", 50000)}); err != nil {
		t.Fatal(err)
	}
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		if head := running.Head(); head != 2 {
			return fmt.Errorf("the live totals folded to %d of 2", head)
		}
		return nil
	})
	if got := received150626(t, ledger); got != "1500.00" {
		t.Fatalf("serve under a forged checkpoint: 150626 received %s, want 1500.00", got)
	}
	stop()

	forgeCheckpoint(t, ledger.Conn)
	// A fresh app, as a restarted process has: the one the first serve
	// followed keeps its projection.
	ledger.Close()
	ledger = openLedgerAgain(t, ledger)
	_, stop = run()
	defer stop()
	if got := received150626(t, ledger); got != "1500.00" {
		t.Fatalf("serve restarted on a forged checkpoint: 150626 received %s, want 1500.00", got)
	}
}

// openLedgerAgain opens the data directory closed ledger was opened on.
func openLedgerAgain(t *testing.T, closed *node.Node) *node.Node {
	t.Helper()
	return openLedger(t, closed.DataDir)
}
