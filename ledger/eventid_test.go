package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/ledger"
)

// refusedOnID checks that recording fails on the event's id, naming the
// position of the event that has it, and writes nothing.
func refusedOnID(t *testing.T, writer *ledger.Service, head func() uint64, position uint64, event domain.Event) {
	t.Helper()
	before := head()
	results, err := writer.Record(context.Background(), []domain.Event{event})
	var rule *domain.RuleError
	if !errors.Is(err, domain.ErrRejected) || !errors.As(err, &rule) || rule.Path() != "events[0].id" ||
		!strings.Contains(rule.Rule, "position "+uintText(position)) {
		t.Fatalf("an event with the id of position %d: %+v, %v; want a refusal on events[0].id naming the position", position, results, err)
	}
	if after := head(); after != before {
		t.Fatalf("the refusal moved the head from %d to %d", before, after)
	}
}

func uintText(n uint64) string {
	if n == 0 {
		return "0"
	}
	var digits []byte
	for ; n > 0; n /= 10 {
		digits = append([]byte{byte('0' + n%10)}, digits...)
	}
	return string(digits)
}

// An event whose id was written moments ago, within JetStream's
// deduplication window, and without an idempotency key, is refused on its
// id: by the writer that wrote the first (its index knows the id) and by a
// writer that caught up with the log before the first was written (another
// process), whose index trusts JetStream with recent message ids. Before,
// JetStream dropped the second event as a duplicate of the first's message
// id and the ledger answered it as written at the first's position.
func TestAReusedIDWithinTheWindowIsRefused(t *testing.T) {
	service, store := newLedger(t)
	ctx := context.Background()
	head := func() uint64 {
		position, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return position
	}
	other := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	// The other writer reads the log for a key of its own: it has caught
	// up, and trusts the store's window for what is written after.
	keyed := eventstoretest.Donation("general", "150626", "D-0", 100)
	keyed.IdempotencyKey = "catch-up"
	if _, err := other.Record(ctx, []domain.Event{keyed}); err != nil {
		t.Fatal(err)
	}
	first := record(t, service, eventstoretest.Donation("2022-summer-cooling", "150626", "D-1", 500000))[0]
	again := eventstoretest.Donation("2022-summer-cooling", "150626", "D-2", 700000)
	again.ID = first.EventID
	refusedOnID(t, service, head, first.Position, again)
	refusedOnID(t, other, head, first.Position, again)
	elsewhere := eventstoretest.Donation("general", "150626", "D-3", 100)
	elsewhere.ID = first.EventID
	refusedOnID(t, other, head, first.Position, elsewhere)
	refusedOnID(t, ledger.New(store, ledger.Options{Clock: eventstoretest.Clock}), head, first.Position, elsewhere)

	// Try decides as Record does.
	checked, err := service.Check(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	var rule *domain.RuleError
	if _, err := service.Try(ctx, []ledger.Checked{checked}); !errors.As(err, &rule) || rule.Field != "id" {
		t.Fatalf("try of an event with a used id: %v, want a refusal on id", err)
	}
}
