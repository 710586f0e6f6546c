package natsjs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
)

// storedEvent is event as the ledger hands it to the store.
func storedEvent(event domain.Event, id uuid.UUID) domain.Event {
	event.ID = id
	event.RecordedAt = time.Now().UTC().Truncate(time.Millisecond)
	event.SchemaVersion = domain.CurrentVersion(event.Type)
	event.Aggregate = domain.AggregateOf(event.Data)
	return event
}

// JetStream deduplicates an event without an idempotency key on its id (the
// message id) within its window. Another event with that id is not this
// event: the store reports it as a duplicate of the id, never as written at
// the first event's position; the same event sent again (a publish retried
// after a lost answer) is where it was written.
func TestReusedEventIDWithinTheWindowIsNotAcknowledged(t *testing.T) {
	store := openTestStore(t, t.TempDir(), natsjs.Options{}, false)
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	first := storedEvent(eventstoretest.Donation("general", "150602", "D-1", 100), id)
	part := func(event domain.Event) eventstore.AggregateAppend {
		return eventstore.AggregateAppend{Aggregate: event.Aggregate, ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}}
	}
	positions, err := store.Append(ctx, part(first))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	again, err := store.Append(ctx, part(first))
	if err != nil || len(again) != 1 || again[0] != positions[0] {
		t.Fatalf("the same event again: %v, %v; want position %d", again, err, positions[0])
	}
	other := storedEvent(eventstoretest.Donation("2022-summer-cooling", "150626", "D-2", 300), id)
	written, err := store.Append(ctx, part(other))
	var duplicate *eventstore.DuplicateError
	if !errors.As(err, &duplicate) || duplicate.EventID != id.String() || duplicate.Position != positions[0] {
		t.Fatalf("another event with the id: %v, %v; want a DuplicateError naming the id and position %d", written, err, positions[0])
	}
	if head, err := store.Head(ctx); err != nil || head != 1 {
		t.Fatalf("head = %d, %v; want 1", head, err)
	}
}
