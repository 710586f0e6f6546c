package node_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/node"
)

// An audit bundle of a period that ends before it starts (the dates given
// the wrong way round) is refused naming the field to, before a
// checkpoint is signed or the directory made; the same period the right
// way round is written.
func TestExportAuditRefusesAReversedPeriod(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2022, 6, 1, 0, 0, 0, 0, domain.Beijing)
	end := time.Date(2022, 6, 30, 23, 59, 59, 0, domain.Beijing)
	out := filepath.Join(t.TempDir(), "bundle")
	_, err = ledger.ExportAudit(ctx, out, end, start)
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 1 || validation.Violations[0].Field != "to" {
		t.Fatalf("export of a reversed period: %v; want a refusal naming to", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused export made %s: %v", out, err)
	}
	if signed, err := ledger.Signed.All(ctx); err != nil || len(signed) != 0 {
		t.Errorf("the refused export signed %d checkpoints (%v); want none", len(signed), err)
	}
	export, err := ledger.ExportAudit(ctx, out, start, end)
	if err != nil || export.Events != 1 {
		t.Fatalf("export of the period the right way round: %+v, %v", export, err)
	}
	// A period of one instant holds what occurred at it: it is not reversed.
	if _, err := ledger.ExportAudit(ctx, filepath.Join(t.TempDir(), "instant"), start, start); err != nil {
		t.Errorf("export of a one-instant period: %v", err)
	}
}

// An audit bundle of a log the newest signed checkpoint already covers
// ends at that checkpoint, as stored: none is signed. Once events are
// appended after it, the export signs one of the whole log.
func TestExportAuditEndsAtTheNewestCheckpointThatCoversTheLog(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)}); err != nil {
		t.Fatal(err)
	}
	newest, err := ledger.Checkpoint(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	start, end := time.Date(2022, 6, 1, 0, 0, 0, 0, domain.Beijing), time.Date(2022, 7, 31, 0, 0, 0, 0, domain.Beijing)
	out := filepath.Join(t.TempDir(), "bundle")
	export, err := ledger.ExportAudit(ctx, out, start, end)
	if err != nil || export.Events != 1 || export.Checkpoints != 1 {
		t.Fatalf("export: %+v, %v; want 1 event and the 1 checkpoint", export, err)
	}
	if signed, err := ledger.Signed.All(ctx); err != nil || len(signed) != 1 {
		t.Fatalf("the export signed a checkpoint: %d stored (%v), want 1", len(signed), err)
	}
	if notes, err := os.ReadFile(filepath.Join(out, "checkpoints.note")); err != nil || string(notes) != string(newest) {
		t.Fatalf("the bundle's checkpoints:\n%s\n(%v), want the stored one:\n%s", notes, err, newest)
	}

	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-2", 100000)}); err != nil {
		t.Fatal(err)
	}
	export, err = ledger.ExportAudit(ctx, filepath.Join(t.TempDir(), "bundle"), start, end)
	if err != nil || export.Events != 2 || export.Checkpoints != 2 || export.Report.Tree.Size != 2 {
		t.Fatalf("export after an append: %+v, %v; want 2 events and a new checkpoint of them", export, err)
	}
}

// An audit export refuses to end its bundle at a newest signed checkpoint
// that covers as many events as the log holds but with another root (a
// checkpoint of another history signed with the ledger's key): it says
// so, naming the size and both roots, and writes and signs nothing. A tree
// file damaged since the checkpoint is no such case: the export checks the
// log itself and ends at the stored checkpoint.
func TestExportAuditRefusesANewestCheckpointOfAnotherLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ledger, err := node.Open(ctx, node.Config{DataDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	for _, id := range []string{"D-1", "D-2", "D-3"} {
		if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", id, 100000)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ledger.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	start, end := time.Date(2022, 6, 1, 0, 0, 0, 0, domain.Beijing), time.Date(2022, 7, 31, 0, 0, 0, 0, domain.Beijing)

	// The tree file damaged: the log still gives the checkpoint's root.
	ledger.Close()
	flipStoredHash(t, dir, 0)
	ledger = openLedger(t, dir)
	export, err := ledger.ExportAudit(ctx, filepath.Join(t.TempDir(), "bundle"), start, end)
	if err != nil || export.Events != 3 || export.Checkpoints != 1 {
		t.Fatalf("export over a damaged tree file: %+v, %v; want the 3 events and the stored checkpoint", export, err)
	}

	keys, err := ledger.Keys()
	if err != nil {
		t.Fatal(err)
	}
	log, err := ledger.OpenTree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := log.Root(3)
	if err != nil {
		t.Fatal(err)
	}
	other := root
	other[0] ^= 0xff
	forged, err := integrity.Checkpoint{Origin: integrity.Origin, Size: 3, Root: other, Time: time.Now()}.Sign(keys.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.Signed.Append(ctx, forged); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bundle")
	_, err = ledger.ExportAudit(ctx, out, start, end)
	var notOfLog *node.CheckpointNotOfLogError
	if !errors.As(err, &notOfLog) || !errors.Is(err, integrity.ErrBadCheckpoint) || notOfLog.Size != 3 || notOfLog.Signed != other ||
		notOfLog.Log != root {
		t.Fatalf("export ending at a checkpoint of another root: %v; want a CheckpointNotOfLogError of size 3 naming both roots", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused export made %s: %v", out, err)
	}
	if signed, err := ledger.Signed.All(ctx); err != nil || len(signed) != 2 {
		t.Errorf("the refused export signed a checkpoint: %d stored (%v), want the 2 there were", len(signed), err)
	}
}
