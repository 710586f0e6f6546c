package node_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
)

// The doctor names event ids a log holds twice, where they are, and that
// the ledger refuses a reused id now: such a log, written before, stays as
// it is and is read correctly, so it is a finding, not a problem to repair.
// A log of ids of their own is well.
func TestDoctorNamesReusedEventIDs(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	results, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)})
	if err != nil {
		t.Fatal(err)
	}
	finding := func() app.Finding {
		t.Helper()
		findings, err := ledger.Doctor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, finding := range findings {
			if finding.Store == "event ids" {
				return finding
			}
		}
		t.Fatalf("no finding about event ids: %+v", findings)
		return app.Finding{}
	}
	if got := finding(); got.Problem || !strings.Contains(got.What, "every event has an id of its own") {
		t.Fatalf("a log of ids of their own: %+v", got)
	}
	// An old ledger wrote a second event with the first's id (with a key
	// of its own, which JetStream deduplicates instead of the id).
	shadow := eventstoretest.Donation("general", "150626", "D-SHADOW", 100)
	shadow.ID, shadow.IdempotencyKey, shadow.RecordedAt = results[0].EventID, "old-shadow", time.Now().UTC()
	shadow.SchemaVersion, shadow.Aggregate = domain.CurrentVersion(shadow.Type), domain.AggregateOf(shadow.Data)
	if _, err := ledger.Store.Append(ctx, eventstore.AggregateAppend{Aggregate: shadow.Aggregate, ExpectedVersion: eventstore.AnyVersion,
		Events: []domain.Event{shadow}}); err != nil {
		t.Fatal(err)
	}
	got := finding()
	want := fmt.Sprintf("%s at positions %d and 2", results[0].EventID, results[0].Position)
	if got.Problem || !strings.Contains(got.What, "1 event reuses the id") || !strings.Contains(got.What, want) ||
		!strings.Contains(got.What, "the ledger refuses a reused id now") {
		t.Fatalf("a log with a reused id: %+v, want it named (%s)", got, want)
	}
}
