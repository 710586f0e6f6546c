package backup_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
)

// A whole restore puts the backup's keys (the signing key with them) into
// the new data directory, writes every event back, erases again a person
// erased since the backup was taken, tells each step, and closes the
// ledger: it opens again with the original's keys, every event, and the
// person's data gone.
func TestRestoreLedgerReappliesErasures(t *testing.T) {
	ctx := context.Background()
	original, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer original.Close()
	donation := eventstoretest.Donation("general", "150626", "D-1", 100000)
	data := donation.Data.(domain.DonationReceived)
	data.DonorKind, data.DonorOrg = "individual", ""
	donation.Data = data
	donation.Personal = &domain.Personal{Donor: &domain.Person{SubjectID: "donor-1", Name: "王某某", Phone: "13900000009"}}
	events := []domain.Event{donation, eventstoretest.Donation("general", "150621", "D-2", 200000)}
	if _, err := original.App.Record(ctx, events); err != nil {
		t.Fatal(err)
	}
	if _, err := original.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	originalKeys, err := original.Keys()
	if err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "backup")
	if _, err := backup.Write(ctx, original, saved, backup.Options{WithSigningKey: true}); err != nil {
		t.Fatal(err)
	}
	opened, err := backup.Open(saved, nil)
	if err != nil {
		t.Fatal(err)
	}

	config := node.Config{DataDir: filepath.Join(t.TempDir(), "restored"), SyncAlways: true}
	var restored backup.Restored
	var reapplied []app.Reapplied
	err = opened.RestoreLedger(ctx, config, backup.Erasures{Subjects: []string{"donor-1"}, Source: "erasures.txt"}, backup.RestoreSteps{
		Restored:  func(done backup.Restored) { restored = done },
		Reapplied: func(done []app.Reapplied) { reapplied = done },
	})
	if err != nil {
		t.Fatal(err)
	}
	if restored.Events != 2 {
		t.Fatalf("restored %+v, want 2 events", restored)
	}
	if len(reapplied) != 1 || reapplied[0].Subject != "donor-1" || reapplied[0].Err != nil {
		t.Fatalf("reapplied %+v", reapplied)
	}

	// Closed by the restore: the data directory opens again.
	ledger, err := node.Open(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	keys, err := ledger.Keys()
	if err != nil || keys.VerifierKey != originalKeys.VerifierKey {
		t.Fatalf("verifier key %q (%v), want the original's %q", keys.VerifierKey, err, originalKeys.VerifierKey)
	}
	var erased *domain.SubjectErased
	listed := 0
	for event, err := range ledger.App.Events(ctx, app.EventsQuery{Personal: true}) {
		if err != nil {
			t.Fatal(err)
		}
		listed++
		if subject, ok := event.Event.Data.(domain.SubjectErased); ok {
			erased = &subject
		}
		if event.Event.Personal != nil && event.Event.Personal.Donor != nil && event.Event.Personal.Donor.Name == "王某某" {
			t.Fatal("the erased person's name reads back after the restore")
		}
	}
	if listed != 3 || erased == nil || erased.SubjectID != "donor-1" || !strings.Contains(erased.Reason, "erasures.txt") {
		t.Fatalf("listed %d events, erasure %+v; want the 2 restored and the erasure re-applied from erasures.txt", listed, erased)
	}
}
