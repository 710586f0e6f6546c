package projections_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// A log written before the ledger refused a reused event id may hold one
// id on two events. The first event is the id's event (audit, trace,
// Latest, with an index at any position or none), and a void names its
// target by position, so a void of the later event leaves the first live.
// The log is appended to the store directly, as an old ledger wrote it.
func TestReadersTakeTheFirstEventOfAReusedID(t *testing.T) {
	ctx := context.Background()
	store := natsjstest.Store(t, natsjs.Options{}, false)
	x := uuid.Must(uuid.NewV7())
	at := time.Date(2022, 6, 20, 1, 0, 0, 0, time.UTC)
	donation := func(id string, fen domain.Money) domain.Payload {
		return domain.DonationReceived{DonationID: id, Campaign: "2022-summer-cooling", DonorKind: "enterprise", DonorOrg: "某能源公司",
			Form: domain.FormMoney, Amount: fen}
	}
	log := []struct {
		id        uuid.UUID
		eventType domain.EventType
		data      domain.Payload
	}{
		{x, domain.TypeDonationReceived, donation("D-1", 100000)},
		{x, domain.TypeDonationReceived, donation("D-SHADOW", 100)},
		{uuid.Must(uuid.NewV7()), domain.TypeEntryVoided, domain.EntryVoided{Campaign: "2022-summer-cooling", TargetEventID: x.String(),
			Reason: "录入错误", TargetLocation: domain.TargetLocation{TargetPosition: 2, EffectivePosition: 2}}},
	}
	for i, entry := range log {
		event := domain.Event{ID: entry.id, Type: entry.eventType, County: "150622", OccurredAt: at, RecordedAt: at, Actor: "clerk-old",
			SchemaVersion: domain.CurrentVersion(entry.eventType), Aggregate: domain.AggregateOf(entry.data), Data: entry.data,
			// A key of its own keeps JetStream from deduplicating the
			// reused id (its message id without a key).
			IdempotencyKey: "old-" + uuid.Must(uuid.NewV7()).String()}
		part := eventstore.AggregateAppend{Aggregate: event.Aggregate, ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}}
		if positions, err := store.Append(ctx, part); err != nil || positions[0] != uint64(i+1) {
			t.Fatalf("append %d: %v %v", i+1, positions, err)
		}
	}
	whole := answersFor(ctx, store, nil, x.String())
	if whole.Latest != 1 || whole.Audit == nil {
		t.Fatalf("the event of id %s: position %d, errors %v; want position 1", x, whole.Latest, whole.Errors)
	}
	if entries := whole.Audit.Entries; len(entries) != 1 || entries[0].Position != 1 {
		t.Fatalf("the audit trail of id %s: %+v, want the donation at position 1 alone", x, entries)
	}
	trace := answersFor(ctx, store, nil, "D-1").Trace
	if trace == nil || trace.Donation == nil || trace.Donation.Received != 100000 {
		t.Fatalf("trace of D-1: %+v, want ¥1,000 received and not voided", trace)
	}
	shadow := answersFor(ctx, store, nil, "D-SHADOW")
	if entries := shadow.Audit.Entries; len(entries) != 2 || entries[1].Type != domain.TypeEntryVoided ||
		!strings.Contains(entries[1].Summary, x.String()) || entries[1].TargetPosition != 2 {
		t.Fatalf("the audit trail of D-SHADOW: %+v, want it and its void, naming position 2", entries)
	}
	for position := uint64(0); position <= 3; position++ {
		index := indexUpTo(t, store, position)
		for _, id := range []string{x.String(), "D-1", "D-SHADOW"} {
			want, got := answersFor(ctx, store, nil, id), answersFor(ctx, store, index, id)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("index at %d, id %s:\n got %+v\nwant %+v", position, id, got, want)
			}
		}
	}
}
