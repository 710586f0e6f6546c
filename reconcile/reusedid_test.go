package reconcile_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/reconcile"
)

// A log written before the ledger refused reused event ids may give one id
// to a donation and to a later event of another type or of another
// donation. The book keeps every donation at its own position: a void or
// correction names its target by position, so one aimed at the later event
// never voids the donation, nor decodes its replacement against it (which
// stopped the reconciliation); one stored without a position (as a reader
// may meet in a copy) finds the first event with the id, and a replacement
// that does not fit that event is the later event's, not an error.
func TestBookKeepsEachDonationOfAReusedID(t *testing.T) {
	ctx := context.Background()
	store := natsjstest.Store(t, natsjs.Options{}, false)
	at := time.Date(2022, 6, 20, 1, 0, 0, 0, time.UTC)
	donation := func(id string, fen domain.Money) domain.DonationReceived {
		return domain.DonationReceived{DonationID: id, Campaign: "2022-summer-cooling", DonorKind: "enterprise", DonorOrg: "某能源公司",
			Form: domain.FormMoney, Amount: fen}
	}
	training := func(participants int64) domain.TrainingHeld {
		return domain.TrainingHeld{SessionID: "S-SHADOW", Campaign: "2022-health-law-lectures", Topic: "trade-union-law", Title: "x",
			Format: "both", Participants: participants, DurationMinutes: 60, Venue: "x", BeneficiaryGroup: "enterprise-workers"}
	}
	raw := func(payload any) json.RawMessage {
		encoded, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		return encoded
	}
	x, y, z := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	log := []struct {
		id   uuid.UUID
		data domain.Payload
	}{
		{x, donation("D-1", 30000000)}, // 1
		{y, donation("D-2", 40000000)}, // 2
		{z, donation("D-3", 50000000)}, // 3
		{x, training(3)},               // 4: D-1's id
		{uuid.Must(uuid.NewV7()), &domain.EntryCorrected{Campaign: "2022-health-law-lectures", TargetEventID: x.String(), Reason: "r",
			Replacement: raw(training(4)), TargetLocation: domain.TargetLocation{TargetPosition: 4, EffectivePosition: 4}}}, // 5
		{y, training(5)}, // 6: D-2's id
		{uuid.Must(uuid.NewV7()), domain.EntryVoided{Campaign: "2022-health-law-lectures", TargetEventID: y.String(), Reason: "r",
			TargetLocation: domain.TargetLocation{TargetPosition: 6, EffectivePosition: 6}}}, // 7
		{z, donation("D-SHADOW", 100)}, // 8: D-3's id
		{uuid.Must(uuid.NewV7()), &domain.EntryCorrected{Campaign: "2022-summer-cooling", TargetEventID: z.String(), Reason: "r",
			Replacement: raw(donation("D-SHADOW", 500)), TargetLocation: domain.TargetLocation{TargetPosition: 8, EffectivePosition: 8}}}, // 9
		// No position: found by id, D-1; the training replacement does not
		// fit a donation, so it is the training's correction.
		{uuid.Must(uuid.NewV7()), &domain.EntryCorrected{Campaign: "2022-health-law-lectures", TargetEventID: x.String(), Reason: "r",
			Replacement: raw(training(6))}}, // 10
	}
	for i, entry := range log {
		eventType := entry.data.EventType()
		event := domain.Event{ID: entry.id, Type: eventType, County: "150622", OccurredAt: at, RecordedAt: at, Actor: "clerk-old",
			SchemaVersion: domain.CurrentVersion(eventType), Aggregate: domain.AggregateOf(entry.data), Data: entry.data,
			// A key of its own keeps JetStream from deduplicating the
			// reused id (its message id without a key).
			IdempotencyKey: "old-" + uuid.Must(uuid.NewV7()).String()}
		part := eventstore.AggregateAppend{Aggregate: event.Aggregate, ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}}
		if positions, err := store.Append(ctx, part); err != nil || positions[0] != uint64(i+1) {
			t.Fatalf("append %d: %v %v", i+1, positions, err)
		}
	}
	book, err := reconcile.BuildBook(ctx, store, nil)
	if err != nil {
		t.Fatalf("build the book: %v", err)
	}
	want := map[string]struct {
		amount   domain.Money
		position uint64
	}{"D-1": {30000000, 1}, "D-2": {40000000, 2}, "D-3": {50000000, 3}, "D-SHADOW": {500, 8}}
	if len(book.Donations) != len(want) {
		t.Fatalf("donations = %d, want %d: %+v", len(book.Donations), len(want), book.Donations)
	}
	for id, expected := range want {
		got := book.Donations[id]
		if got == nil || got.Amount != expected.amount || got.Position != expected.position {
			t.Fatalf("donation %s = %+v, want %d fen at position %d", id, got, expected.amount, expected.position)
		}
	}
}
