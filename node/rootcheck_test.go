package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/node"
)

// logRoot is the root of the tree recomputed from the ledger's log now,
// and its size.
func logRoot(t *testing.T, ledger *node.Node) (int64, tlog.Hash) {
	t.Helper()
	tree, _, err := integrity.OpenTree(context.Background(), ledger.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	root, err := tree.Root(tree.Size())
	if err != nil {
		t.Fatal(err)
	}
	return tree.Size(), root
}

// checkpointsAreTheLogs says every signed checkpoint's root is the log's
// tree at its size, that verify passes naming nothing of the tree file,
// and that the doctor finds the file sound: what a checkpoint signed from
// a damaged tree file would break for good.
func checkpointsAreTheLogs(t *testing.T, ledger *node.Node, want int) {
	t.Helper()
	ctx := context.Background()
	all, err := ledger.Signed.All(ctx)
	if err != nil || len(all) != want {
		t.Fatalf("%d signed checkpoints (%v), want %d", len(all), err, want)
	}
	tree, _, err := integrity.OpenTree(ctx, ledger.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, signed := range all {
		checkpoint, err := integrity.ParseCheckpointNote(signed)
		if err != nil {
			t.Fatal(err)
		}
		if root, err := tree.Root(checkpoint.Size); err != nil || root != checkpoint.Root {
			t.Fatalf("a checkpoint of %d events signed root %v, the log's is %v (%v)", checkpoint.Size, checkpoint.Root, root, err)
		}
	}
	verified, err := ledger.Verify(ctx, node.VerifyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !verified.OK() || len(verified.TreeFile) != 0 {
		t.Fatalf("verify after the checkpoint: %+v", verified.Report)
	}
	if finding := treeFileFinding(t, ledger); finding.Problem {
		t.Fatalf("the doctor after the checkpoint: %+v", finding)
	}
}

// An inner hash on the root's path damaged in the tree file (5 events:
// the hash over the first four is read for the root) makes the stored
// root false. No path that signs a checkpoint signs it: `ledger
// checkpoint` (Node.Checkpoint), a period's close and an audit export
// make the file again from the log and sign the log's root; a running
// ledger makes it again when it starts, so its answers are stamped with
// the log's root and its checkpoints (the last one at Stop) are the
// log's. Verify passes afterwards, with nothing to say of the file. A
// file damaged while the ledger runs stops its last checkpoint instead.
func TestNoCheckpointSignsTheRootOfADamagedTreeFile(t *testing.T) {
	ctx := context.Background()
	onThePath := tlog.StoredHashIndex(2, 0)
	damaged := func(t *testing.T) (*node.Node, tlog.Hash) {
		t.Helper()
		dir, root := signedLedger(t, false)
		flipStoredHash(t, dir, onThePath)
		ledger := openLedger(t, dir)
		stored, err := integrity.CopyTree(ctx, ledger.Store, integrity.TreeFilePath(dir))
		if err != nil {
			t.Fatal(err)
		}
		if wrong, err := stored.Root(5); err != nil || wrong == root {
			t.Fatalf("the damage leaves the stored root the log's: %v", err)
		}
		return ledger, root
	}

	t.Run("checkpoint", func(t *testing.T) {
		ledger, root := damaged(t)
		signed, err := ledger.Checkpoint(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if checkpoint, err := integrity.ParseCheckpointNote(signed); err != nil || checkpoint.Size != 5 || checkpoint.Root != root {
			t.Fatalf("signed %+v (%v), want size 5 root %v", checkpoint, err, root)
		}
		checkpointsAreTheLogs(t, ledger, 1)
	})
	t.Run("period close", func(t *testing.T) {
		ledger, _ := damaged(t)
		change, err := ledger.ChangePeriod(ctx, false, "2022-06", "closed", "test")
		if err != nil || change.CheckpointErr != nil || change.Checkpoint == nil {
			t.Fatalf("close: %+v %v", change, err)
		}
		if size, root := logRoot(t, ledger); change.Checkpoint.Size != size || change.Checkpoint.Root != root {
			t.Fatalf("the close signed %d %v, the log's tree is %d %v", change.Checkpoint.Size, change.Checkpoint.Root, size, root)
		}
		checkpointsAreTheLogs(t, ledger, 1)
	})
	t.Run("audit export", func(t *testing.T) {
		ledger, _ := damaged(t)
		if _, err := ledger.ExportAudit(ctx, t.TempDir()+"/bundle", time.Time{}, time.Now()); err != nil {
			t.Fatal(err)
		}
		checkpointsAreTheLogs(t, ledger, 1)
	})
	t.Run("a running ledger", func(t *testing.T) {
		ledger, root := damaged(t)
		runCtx, stop := context.WithCancel(ctx)
		running, err := ledger.Run(runCtx, node.RunOptions{Holder: "test"})
		if err != nil {
			stop()
			t.Fatal(err)
		}
		answer, err := ledger.App.Totals(ctx, app.TotalsRequest{})
		if err != nil {
			stop()
			t.Fatal(err)
		}
		if answer.Tree == nil || answer.Tree.Size != 5 || answer.Tree.Root != root.String() {
			stop()
			t.Fatalf("the running ledger stamps %+v, want size 5 root %v", answer.Tree, root)
		}
		stop()
		if err := running.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		checkpointsAreTheLogs(t, ledger, 1)
	})
	t.Run("a running ledger, damaged meanwhile", func(t *testing.T) {
		dir, _ := signedLedger(t, false)
		ledger := openLedger(t, dir)
		runCtx, stop := context.WithCancel(ctx)
		running, err := ledger.Run(runCtx, node.RunOptions{Holder: "test"})
		if err != nil {
			stop()
			t.Fatal(err)
		}
		flipStoredHash(t, dir, onThePath)
		stop()
		if err := running.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		if all, err := ledger.Signed.All(ctx); err != nil || len(all) != 0 {
			t.Fatalf("the last checkpoint of a damaged tree was signed: %q %v", all, err)
		}
	})
}
