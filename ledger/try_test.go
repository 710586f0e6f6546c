package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/ledger"
)

func checkAll(t *testing.T, service *ledger.Service, events ...domain.Event) []ledger.Checked {
	t.Helper()
	checked := make([]ledger.Checked, len(events))
	for i, event := range events {
		var err error
		if checked[i], err = service.Check(event); err != nil {
			t.Fatal(err)
		}
	}
	return checked
}

// Try decides more events than one batch holds as one request, as
// recording them would, and writes nothing: a late repeat of a donation is
// refused naming the event it repeats by its place, and what it tried is
// forgotten, so recording the same donations afterwards is fine.
func TestTryDecidesAWholeInputAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	service, store := newLedger(t)
	record(t, service, eventstoretest.Donation("general", "150626", "D-written", 100))
	count := eventstore.BatchEventsMax + 501
	events := make([]domain.Event, count)
	for i := range events {
		events[i] = eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 100)
	}
	events[count-1] = eventstoretest.Donation("general", "150626", "D-0", 100)
	_, err := service.Try(ctx, checkAll(t, service, events...))
	var rule *domain.RuleError
	if !errors.As(err, &rule) || rule.Event != count || rule.Other != 1 || rule.Field != "data.donation_id" {
		t.Fatalf("Try = %v, want a refusal of events[%d] repeating events[0]", err, count-1)
	}
	if want := fmt.Sprintf("events[%d].data.donation_id: donation D-0 is received twice in the same input; a donation is received once "+
		"(repeats events[0])", count-1); !strings.Contains(err.Error(), want) {
		t.Fatalf("Try = %v, want it to say %q", err, want)
	}
	if head, _ := store.Head(ctx); head != 1 {
		t.Fatalf("Try moved the head to %d", head)
	}
	// A try that passes gives a duplicate's original result, and empty
	// results for what would be written.
	keyed := eventstoretest.Donation("general", "150626", "D-keyed", 100)
	keyed.IdempotencyKey = "k-keyed"
	first := record(t, service, keyed)
	results, err := service.Try(ctx, checkAll(t, service, events[0], keyed))
	if err != nil || results[0] != (ledger.Result{}) || !results[1].Duplicate || results[1].EventID != first[0].EventID {
		t.Fatalf("Try = %+v, %v; want an empty result and the key's original", results, err)
	}
	// What was tried is not held as written.
	record(t, service, events[:eventstore.BatchEventsMax]...)
	if head, _ := store.Head(ctx); head != 2+eventstore.BatchEventsMax {
		t.Fatalf("head %d after recording what was tried", head)
	}
	// A donation written already, and one voided twice in one input: the
	// earlier void is named by its place, never by its unwritten id.
	written, _ := readAll(store)
	target := written[0].Event.ID.String()
	_, err = service.Try(ctx, checkAll(t, service, events[0]))
	if !errors.As(err, &rule) || rule.Event != 1 || rule.Other != 0 || !strings.Contains(err.Error(), "already received by event") {
		t.Fatalf("Try = %v, want a refusal of a donation written already", err)
	}
	firstVoid := void("general", "150626", target)
	firstVoid.ID = uuid.Must(uuid.NewV7())
	_, err = service.Try(ctx, checkAll(t, service, firstVoid, void("general", "150626", target)))
	if !errors.As(err, &rule) || rule.Event != 2 || rule.Other != 1 || strings.Contains(err.Error(), firstVoid.ID.String()) {
		t.Fatalf("Try = %v, want events[1] refused naming events[0] and not its id", err)
	}
	// Keys used twice anywhere in the input are one request's.
	again := events[1]
	again.IdempotencyKey, events[5].IdempotencyKey = "k-twice", "k-twice"
	var validation *domain.ValidationError
	_, err = service.Try(ctx, checkAll(t, service, append(events[:1500:1500], again)...))
	if !errors.As(err, &validation) || validation.Violations[0].Event != 1501 || validation.Violations[0].Other != 6 {
		t.Fatalf("Try = %v, want events[1500] naming events[5]", err)
	}
}
