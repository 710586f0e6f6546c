package eventstore_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// TestFrozenReadsWhatItHoldsAndRefusesWrites: a frozen log reads its
// events at positions 1..n with filters and versions as a store does, and
// refuses every append; bytes that are no event are refused when it is made.
func TestFrozenReadsWhatItHoldsAndRefusesWrites(t *testing.T) {
	var events [][]byte
	for _, name := range []string{"donation_pledged", "donation_received", "supplies_delivered"} {
		data, err := os.ReadFile("../domain/testdata/events/" + name + "/v1.json")
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, data)
	}
	frozen, err := eventstore.NewFrozen(events)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if head, err := frozen.Head(ctx); err != nil || head != 3 {
		t.Fatalf("head %d, %v", head, err)
	}
	var types []domain.EventType
	for record, err := range frozen.Read(ctx, 1, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, record.Event.Type)
	}
	if len(types) != 2 || types[0] != domain.TypeDonationReceived || types[1] != domain.TypeSuppliesDelivered {
		t.Fatalf("read after 1: %v", types)
	}
	second, err := frozen.Get(ctx, 2)
	if err != nil || string(second.Data) != string(events[1]) {
		t.Fatalf("get 2: %v", err)
	}
	if version, err := frozen.AggregateVersion(ctx, second.Event.Aggregate); err != nil || version < 2 {
		t.Fatalf("aggregate version %d, %v", version, err)
	}
	if _, err := frozen.Get(ctx, 4); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("get past the end: %v", err)
	}
	if _, err := frozen.Append(ctx); !errors.Is(err, eventstore.ErrUnsupported) {
		t.Fatalf("append: %v", err)
	}
	if _, err := eventstore.NewFrozen([][]byte{[]byte(`{"not":"an event"}`)}); err == nil {
		t.Fatal("bytes that are no event were taken")
	}
}
