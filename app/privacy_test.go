package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/node"
)

// Re-applying erasures at a restore erases every subject it can, says
// what it did with each, and fails naming how many it could not, so that
// the restored ledger is not handed out with a key it should not hold.
func TestReapplyErasuresTriesEverySubject(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	done, err := ledger.App.ReapplyErasures(ctx, []string{"subject-1", "", "subject-2"}, "erasures.txt", "ledger-restore")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 erasures could not be re-applied") {
		t.Fatalf("want one of three failed, got %v", err)
	}
	if len(done) != 3 || done[0].Err != nil || done[1].Err == nil || done[2].Err != nil {
		t.Fatalf("outcomes %+v", done)
	}
	if !strings.Contains(done[0].Outcome, "erasure recorded") {
		t.Errorf("first outcome %q", done[0].Outcome)
	}
	erased, err := ledger.App.Erasures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(erased, ",") != "subject-1,subject-2" {
		t.Errorf("erased %v, want subject-1 and subject-2", erased)
	}
	// Once more, the same subjects are already erased: nothing fails.
	done, err = ledger.App.ReapplyErasures(ctx, []string{"subject-1"}, "erasures.txt", "ledger-restore")
	if err != nil || !strings.Contains(done[0].Outcome, "already erased") {
		t.Fatalf("again: %+v, %v", done, err)
	}
}
