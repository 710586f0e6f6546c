package node_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
)

// The doctor recognises a projection checkpoint whose content no longer
// matches its checksum, and one that counts past the end of the log, and
// names the repair; a sound checkpoint is well.
func TestDoctorRecognisesDamagedCheckpoints(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
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
	finding := func() app.Finding {
		t.Helper()
		findings, err := ledger.Doctor(ctx)
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
	if got := finding(); got.Problem || !strings.Contains(got.What, "at position 1 of 1") {
		t.Fatalf("sound checkpoint: %+v", got)
	}
	checkpoint, err := ledger.Checkpoints.Load(ctx, "totals")
	if err != nil {
		t.Fatal(err)
	}
	damaged := checkpoint
	damaged.StateSHA256 = strings.Repeat("0", 64)
	save(t, ledger, damaged)
	if got := finding(); !got.Problem || !strings.Contains(got.What, "damaged") || !strings.Contains(got.Repair, "ledger rebuild totals") {
		t.Fatalf("damaged checkpoint: %+v", got)
	}
	ahead := checkpoint
	ahead.Position = 9
	save(t, ledger, ahead)
	if got := finding(); !got.Problem || !strings.Contains(got.What, "counts to position 9 but the log ends at 1") {
		t.Fatalf("checkpoint past the log: %+v", got)
	}
	// The repair the doctor names, `ledger rebuild totals`, leaves it
	// sound; so does `ledger repair`.
	if _, err := ledger.RebuildTotals(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := finding(); got.Problem {
		t.Fatalf("after the rebuild: %+v", got)
	}
	save(t, ledger, damaged)
	done, err := ledger.Repair(ctx)
	if err != nil || len(done) != 1 || !strings.Contains(done[0], "rebuilt the totals") {
		t.Fatalf("repair: %v %v", done, err)
	}
	if got := finding(); got.Problem {
		t.Fatalf("after the repair: %+v", got)
	}
}

func save(t *testing.T, ledger *node.Node, checkpoint eventstore.Checkpoint) {
	t.Helper()
	if err := ledger.Checkpoints.Save(context.Background(), checkpoint); err != nil {
		t.Fatal(err)
	}
}
