package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
)

// TestShortcutNamesEveryBadField: a clerk's typed entry with several
// mistakes hears of each, by the field's name, before anything is read or
// written.
func TestShortcutNamesEveryBadField(t *testing.T) {
	use := app.New(app.Parts{Catalog: domain.DefaultCatalog()})
	_, err := use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "delivery", Amount: "1.234",
		Items: "drinking-water:many:10", Key: "k-1"})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) {
		t.Fatalf("want a validation error, got %v", err)
	}
	fields := map[string]bool{}
	for _, violation := range validation.Violations {
		fields[violation.Field] = true
	}
	for _, want := range []string{"amount", "items", "key"} {
		if !fields[want] {
			t.Errorf("no violation names %s: %v", want, validation.Violations)
		}
	}
	_, err = use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "void", Target: "", OccurredAt: "15/06/2022"})
	if !errors.As(err, &validation) || len(validation.Violations) != 2 ||
		validation.Violations[0].Field != "occurred_at" || validation.Violations[1].Field != "target" {
		t.Fatalf("want occurred_at and target named, got %v", err)
	}
}

// TestShortcutBuildsTheEntry: a date is its start in Beijing time, the
// same key gives the same entity id, and an allocation without a source
// leaves the city level.
func TestShortcutBuildsTheEntry(t *testing.T) {
	use := app.New(app.Parts{Catalog: domain.DefaultCatalog()})
	shortcut := app.Shortcut{Kind: "allocation", Campaign: "summer-cooling", County: "150626", OccurredAt: "2022-06-15",
		Amount: "5000.50", Key: "alloc-2022-06-15"}
	first, err := use.ShortcutEvent(context.Background(), shortcut)
	if err != nil {
		t.Fatal(err)
	}
	again, err := use.ShortcutEvent(context.Background(), shortcut)
	if err != nil {
		t.Fatal(err)
	}
	allocation, ok := first.Data.(domain.FundsAllocated)
	if !ok {
		t.Fatalf("want an allocation, got %T", first.Data)
	}
	if allocation.Amount != 500050 || allocation.FromCounty != domain.DefaultCatalog().CityCode() || allocation.ToCounty != "150626" {
		t.Errorf("allocation %+v", allocation)
	}
	if allocation.AllocationID != again.Data.(domain.FundsAllocated).AllocationID {
		t.Errorf("the same key gave two ids: %s and %s", allocation.AllocationID, again.Data.(domain.FundsAllocated).AllocationID)
	}
	if want := time.Date(2022, 6, 15, 0, 0, 0, 0, domain.Beijing); !first.OccurredAt.Equal(want) {
		t.Errorf("occurred at %v, want %v", first.OccurredAt, want)
	}
	if _, err := use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "refund"}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("an unknown kind: %v", err)
	}
}
