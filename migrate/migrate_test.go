package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/migrate"
)

func stored(event domain.Event) domain.Event {
	event.ID = uuid.Must(uuid.NewV7())
	event.SchemaVersion = domain.CurrentVersion(event.Type)
	event.Aggregate = domain.AggregateOf(event.Data)
	event.RecordedAt = eventstoretest.Clock().UTC()
	return event
}

func appendOne(t *testing.T, store eventstore.Store, event domain.Event) {
	t.Helper()
	if _, err := store.Append(context.Background(), eventstore.AggregateAppend{Aggregate: event.Aggregate,
		ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}}); err != nil {
		t.Fatal(err)
	}
}

// source is a JetStream ledger on file storage with n events across
// campaigns, one idempotency key used in two campaigns (allowed: keys are
// scoped per campaign), and one training session stored in schema version 1.
func source(t *testing.T, n int) eventstore.Store {
	t.Helper()
	store := natsjstest.Store(t, natsjs.Options{}, false)
	for i := range n {
		campaign := []string{"2022-summer-cooling", "general"}[i%2]
		event := stored(eventstoretest.Donation(campaign, "150602", fmt.Sprintf("D-%d", i), domain.Money(100*(i+1))))
		if i < 2 {
			event.IdempotencyKey = "bank-import-1"
		}
		if i == 1 {
			// Written as a copy is, so that JetStream's ten-minute
			// deduplication window, long past in a real ledger, does not
			// take it for a retry of event 0.
			data, err := event.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Append(context.Background(), eventstore.AggregateAppend{Aggregate: event.Aggregate,
				ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}, Stored: [][]byte{data}}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		appendOne(t, store, event)
	}
	old, err := os.ReadFile("../domain/testdata/events/training_held/v1.json")
	if err != nil {
		t.Fatal(err)
	}
	event, err := domain.DecodeStoredEvent(old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), eventstore.AggregateAppend{Aggregate: event.Aggregate,
		ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}, Stored: [][]byte{old}}); err != nil {
		t.Fatal(err)
	}
	return store
}

func copyAll(t *testing.T, from, to eventstore.Store) migrate.Report {
	t.Helper()
	report, err := migrate.Copy(context.Background(), from, to, migrate.Options{})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	return report
}

func records(t *testing.T, store eventstore.Store) []eventstore.Record {
	t.Helper()
	var out []eventstore.Record
	for record, err := range store.Read(context.Background(), 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record)
	}
	return out
}

func TestCopyKeepsIdsBytesAndOrder(t *testing.T) {
	from := source(t, 25)
	to := natsjstest.Store(t, natsjs.Options{Storage: natsjs.MemoryStorage}, false)
	report := copyAll(t, from, to)
	if report.SourceEvents != 26 || report.TargetEvents != 26 || report.Copied != 26 || report.AlreadyThere != 0 {
		t.Fatalf("report = %+v, want 26 copied", report)
	}
	if report.SourceHash != report.TargetHash || len(report.SourceHash) != 64 {
		t.Fatalf("hashes differ: %+v", report)
	}
	original, copied := records(t, from), records(t, to)
	for i := range original {
		if original[i].Position != copied[i].Position || original[i].Event.ID != copied[i].Event.ID || string(original[i].Data) != string(copied[i].Data) {
			t.Fatalf("position %d: copied %s as %s", original[i].Position, original[i].Event.ID, copied[i].Event.ID)
		}
	}
	// The version 1 session stays version 1 as stored, and reads upcast.
	last := copied[len(copied)-1].Event
	if last.UpcastFrom != 1 || last.Data.(domain.TrainingHeld).Format != domain.FormatBoth {
		t.Fatalf("the old session reads as version %d from %d, format %q", last.SchemaVersion, last.UpcastFrom, last.Data.(domain.TrainingHeld).Format)
	}
}

func TestRerunIsIdempotentAndResumes(t *testing.T) {
	from := source(t, 10)
	to := natsjstest.Store(t, natsjs.Options{}, false)
	copyAll(t, from, to)
	again := copyAll(t, from, to)
	if again.Copied != 0 || again.AlreadyThere != 11 || again.TargetEvents != 11 {
		t.Fatalf("rerun: %+v, want nothing copied", again)
	}
	for i := range 5 {
		appendOne(t, from, stored(eventstoretest.Delivery("2022-summer-cooling", "150626", fmt.Sprintf("S-%d", i), 100)))
	}
	resumed := copyAll(t, from, to)
	if resumed.Copied != 5 || resumed.AlreadyThere != 11 || resumed.TargetEvents != 16 || resumed.SourceHash != resumed.TargetHash {
		t.Fatalf("resume: %+v, want 5 more", resumed)
	}
}

// A copy stopped part way (here by cancelling it after its first append)
// is finished by running it again.
func TestInterruptedCopyFinishesOnRerun(t *testing.T) {
	from := source(t, 30)
	to := natsjstest.Store(t, natsjs.Options{}, false)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := migrate.Copy(ctx, from, to, migrate.Options{Progress: func(done, total uint64) { cancel() }})
	if err == nil {
		t.Fatal("a cancelled copy reported success")
	}
	partial, _ := to.Head(context.Background())
	if partial == 0 || partial >= 31 {
		t.Fatalf("after the interruption the target has %d events, want some but not all", partial)
	}
	report := copyAll(t, from, to)
	if report.AlreadyThere != partial || report.Copied != 31-partial || report.SourceHash != report.TargetHash {
		t.Fatalf("rerun after interruption: %+v (had %d)", report, partial)
	}
}

func TestDivergedTargetRefused(t *testing.T) {
	from := source(t, 5)
	ctx := context.Background()
	other := natsjstest.Store(t, natsjs.Options{Storage: natsjs.MemoryStorage}, false)
	appendOne(t, other, stored(eventstoretest.Donation("general", "150602", "D-other", 100)))
	if _, err := migrate.Copy(ctx, from, other, migrate.Options{}); !errors.Is(err, migrate.ErrDiverged) {
		t.Fatalf("copy onto another ledger: err = %v, want ErrDiverged", err)
	}
	if head, _ := other.Head(ctx); head != 1 {
		t.Fatalf("a refused copy wrote: head %d", head)
	}
	// A target longer than the source is not a copy either.
	longer := source(t, 8)
	if _, err := migrate.Copy(ctx, from, longer, migrate.Options{}); !errors.Is(err, migrate.ErrDiverged) {
		t.Fatalf("copy onto a longer ledger: err = %v, want ErrDiverged", err)
	}
}

// Stored bytes must be the event's own: a copy cannot smuggle other content
// under an event's id.
func TestStoredBytesMustMatchTheEvent(t *testing.T) {
	store := natsjstest.Store(t, natsjs.Options{Storage: natsjs.MemoryStorage}, false)
	event := stored(eventstoretest.Donation("general", "150602", "D-1", 100))
	other := stored(eventstoretest.Donation("general", "150602", "D-2", 100))
	otherData, err := other.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for name, stored := range map[string][][]byte{"another event's bytes": {otherData}, "not an event": {[]byte("{}")}, "two encodings for one event": {otherData, otherData}} {
		_, err := store.Append(context.Background(), eventstore.AggregateAppend{Aggregate: event.Aggregate,
			ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}, Stored: stored})
		if err == nil {
			t.Errorf("%s: appended", name)
		}
	}
	if head, _ := store.Head(context.Background()); head != 0 {
		t.Fatalf("head = %d after refused appends", head)
	}
}

// ledgerOn is a JetStream ledger's log and keystore on a server of its own.
func ledgerOn(t *testing.T) migrate.Ledger {
	t.Helper()
	connection := natsjstest.Connect(t, natsjstest.RunServer(t, t.TempDir(), false))
	keys, err := natsjs.OpenKeystore(context.Background(), connection, 1)
	if err != nil {
		t.Fatal(err)
	}
	return migrate.Ledger{Store: natsjstest.Open(t, connection, natsjs.Options{}), Keys: keys}
}

// A ledger's copy takes the personal-data keys with the log, so that the
// copied sealed data can still be read; the report counts both.
func TestCopyLedgerTakesTheKeysWithTheLog(t *testing.T) {
	ctx := context.Background()
	from, to := ledgerOn(t), ledgerOn(t)
	appendOne(t, from.Store, stored(eventstoretest.Donation("general", "150602", "D-1", 100)))
	key, err := from.Keys.CreateKey(ctx, "subject-1")
	if err != nil {
		t.Fatal(err)
	}
	report, err := migrate.CopyLedger(ctx, from, to, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if report.Copied != 1 || report.KeysCopied != 1 {
		t.Fatalf("report = %+v, want 1 event and 1 key copied", report)
	}
	copied, err := to.Keys.Key(ctx, "subject-1")
	if err != nil || string(copied) != string(key) {
		t.Fatalf("the target's key of subject-1 = %x, %v; want the source's", copied, err)
	}
}
