package node_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/node"
)

// keyFilesIn names the key files in a data directory's integrity folder.
func keyFilesIn(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	for _, name := range []string{"signing.key", "verifier.key"} {
		if _, err := os.Lstat(filepath.Join(integrity.Dir(dir), name)); err == nil {
			found = append(found, name)
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return found
}

// What only reads or checks a ledger never makes a signing key: on a new
// data directory the totals, the projections' status, a rebuild of the
// totals, verify and the doctor leave no key behind, and the totals are
// folded from the log with no checkpoint saved. Signing a checkpoint makes
// the key, as it always has.
func TestReadsMakeNoSigningKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ledger := openLedger(t, dir)
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.App.Totals(ctx, app.TotalsRequest{}); err != nil {
		t.Fatal(err)
	}
	if found := keyFilesIn(t, dir); len(found) != 0 {
		t.Fatalf("the totals made %v in a new data directory", found)
	}
	if _, err := ledger.SavedProjectionStatus(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.RebuildTotals(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Checkpoints.Load(ctx, "totals"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a process without the key saved a totals checkpoint: %v", err)
	}
	verified, err := ledger.Verify(ctx, node.VerifyRequest{})
	if err != nil || verified.Events != 1 {
		t.Fatalf("verify of a log with nothing signed, without a key: %+v, %v", verified.Report, err)
	}
	if _, bad := verified.FirstBad(); bad {
		t.Fatalf("verify found a problem: %+v", verified.Report)
	}
	if _, err := ledger.Doctor(ctx); err != nil {
		t.Fatal(err)
	}
	if found := keyFilesIn(t, dir); len(found) != 0 {
		t.Fatalf("reading and checking made %v in a new data directory", found)
	}
	if _, err := ledger.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if found := keyFilesIn(t, dir); len(found) != 2 {
		t.Fatalf("signing the first checkpoint made %v, want the key pair", found)
	}
}

// A ledger that signs with --signing-key FILE keeps no key in its data
// directory. A command on that directory without the flag makes none
// there either: it trusts no checkpoint it cannot check, saves none over
// the ledger's sealed one, and verify and the doctor say the key is
// wanted instead of checking with a stray key.
func TestReadsWithoutTheSigningKeyFlagMakeNoStrayKey(t *testing.T) {
	ctx := context.Background()
	keyDir := t.TempDir()
	if _, err := integrity.LoadDataDirKeys(keyDir, ""); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(integrity.Dir(keyDir), "signing.key")
	dir := t.TempDir()
	signer, err := node.Open(ctx, node.Config{DataDir: dir, SyncAlways: true, SigningKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := signer.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := signer.RebuildTotals(ctx, nil); err != nil {
		t.Fatal(err)
	}
	sealed, err := signer.Checkpoints.Load(ctx, "totals")
	if err != nil || sealed.Seal == "" {
		t.Fatalf("the signing ledger's totals checkpoint: %+v, %v", sealed, err)
	}
	signer.Close()

	reader := openLedger(t, dir)
	totals, err := reader.App.Totals(ctx, app.TotalsRequest{})
	if err != nil || len(totals.Rows) == 0 {
		t.Fatalf("totals without the key: %+v, %v", totals, err)
	}
	_, verifyErr := reader.Verify(ctx, node.VerifyRequest{})
	findings, err := reader.Doctor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if found := keyFilesIn(t, dir); len(found) != 0 {
		t.Fatalf("commands without --signing-key made %v in the data directory", found)
	}
	if !errors.Is(verifyErr, integrity.ErrNoSigningKey) || !strings.Contains(verifyErr.Error(), "give --key VERIFIER_KEY") {
		t.Errorf("verify of signed checkpoints without the key: %v, want ErrNoSigningKey", verifyErr)
	}
	var signed *app.Finding
	for i := range findings {
		if findings[i].Store == "signed checkpoints" {
			signed = &findings[i]
		}
	}
	if signed == nil || !signed.Problem || !strings.Contains(signed.What, "not checked") || !strings.Contains(signed.Repair, "--signing-key") {
		t.Errorf("the doctor on signed checkpoints without the key: %+v", signed)
	}
	after, err := reader.Checkpoints.Load(ctx, "totals")
	if err != nil || after.Seal != sealed.Seal || !after.SavedAt.Equal(sealed.SavedAt) {
		t.Fatalf("the reader replaced the ledger's sealed checkpoint: %+v, %v", after, err)
	}
}
