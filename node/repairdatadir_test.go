package node_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/node"
)

// The whole repair makes an exposed secret its owner's alone before the
// ledger opens (it would not open otherwise), rebuilds a damaged
// projection checkpoint, tells each step as it is done, and returns the
// doctor's findings on the mended ledger: no problem left.
func TestRepairDataDirMendsWhatTheLogCanMend(t *testing.T) {
	ctx := context.Background()
	config := node.Config{DataDir: t.TempDir(), SyncAlways: true}
	ledger, err := node.Open(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)}); err != nil {
		t.Fatal(err)
	}
	// The ledger's signing key is there, as on a ledger that signed (serve
	// makes it as it starts): a read saves the totals' checkpoint, sealed.
	// A read makes no key of its own.
	if _, err := ledger.Keys(); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.App.Totals(ctx, app.TotalsRequest{}); err != nil {
		t.Fatal(err)
	}
	checkpoint, err := ledger.Checkpoints.Load(ctx, "totals")
	if err != nil {
		t.Fatal(err)
	}
	checkpoint.StateSHA256 = strings.Repeat("0", 64)
	save(t, ledger, checkpoint)
	ledger.Close()
	seed := filepath.Join(natsjs.CredentialsDir(config.DataDir), "runtime.nk")
	exposed := runtime.GOOS != "windows"
	if exposed {
		if err := os.Chmod(seed, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var tightened, repaired []string
	finished := false
	findings, err := node.RepairDataDir(ctx, config, nil, node.RepairSteps{
		Tightened: func(actions []string) { tightened = actions },
		LostRestored: func(node.LogRestored) {
			t.Error("told of lost positions put back, with no source of them")
		},
		Repaired: func(done []string, ok bool) { repaired, finished = done, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	if exposed && (len(tightened) != 1 || !strings.Contains(tightened[0], "made "+seed+" its owner's alone (it was mode 0644)")) {
		t.Fatalf("tightened %q", tightened)
	}
	if !finished || len(repaired) != 1 || !strings.Contains(repaired[0], "rebuilt the totals") {
		t.Fatalf("repaired %q, finished %v", repaired, finished)
	}
	if problems := app.Problems(findings); problems > 0 || len(findings) == 0 {
		t.Fatalf("%d problems after the repair: %+v", problems, findings)
	}
	// The repair closed the ledger: the data directory is free again.
	again, err := node.Open(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()

}
