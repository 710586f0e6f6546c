package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/sheets"
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

// An amount on the command line is read as a sheet's money cell is (one
// parser, domain.ParseYuanTyped): "1,250.50" and "￥300" were taken by the
// sheet and refused by --amount. Each text is taken or refused by both
// alike, with the same amount; an item's value is read the same way.
func TestShortcutReadsAmountsAsASheetCell(t *testing.T) {
	use := app.New(app.Parts{Catalog: domain.DefaultCatalog()})
	header := "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n"
	for _, text := range []string{"1250.50", "1,250.50", "￥300", "¥ 1,200", "12,500", "12,50", "1,5", "12.345", "$5", "1e3", "abc",
		"-5", "100000000000.01"} {
		event, shortcutErr := use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "donation", Amount: text})
		_, rows, err := sheets.Read([]byte(header + `D-1,150626,general,2022-06-15,enterprise,某公司,money,"` + text + "\"\r\n"))
		if err != nil || len(rows) != 1 {
			t.Fatalf("%q: the sheet reads %d rows, %v", text, len(rows), err)
		}
		var inSheet, inShortcut domain.Money
		if rows[0].Err == nil {
			inSheet = rows[0].Event.Data.(domain.DonationReceived).Amount
		}
		if shortcutErr == nil {
			inShortcut = event.Data.(domain.DonationReceived).Amount
		}
		if (shortcutErr == nil) != (rows[0].Err == nil) || inSheet != inShortcut {
			t.Errorf("%q: --amount reads %s (%v), the sheet %s (%v)", text, inShortcut, shortcutErr, inSheet, rows[0].Err)
		}
	}
	if event, err := use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "donation", Amount: "1,250.50"}); err != nil ||
		event.Data.(domain.DonationReceived).Amount != 125_050 {
		t.Fatalf("--amount 1,250.50: %v", err)
	}
	_, err := use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "donation", Amount: "12,50"})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 1 || validation.Violations[0].Field != "amount" ||
		!strings.Contains(validation.Violations[0].Rule, "misplaced thousands separator") {
		t.Fatalf("--amount 12,50: %v, want the amount refused for its separator", err)
	}
	event, err := use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "delivery",
		Items: "drinking-water:10:1,250.50,sunscreen:5:￥300,towel:2:12,500"})
	if err != nil {
		t.Fatal(err)
	}
	items := event.Data.(domain.SuppliesDelivered).Items
	if len(items) != 3 || items[0].Value != 125_050 || items[1].Value != 30_000 || items[2].Item != "towel" || items[2].Value != 1_250_000 {
		t.Fatalf("--items reads %+v", items)
	}
	if _, err := use.ShortcutEvent(context.Background(), app.Shortcut{Kind: "delivery", Items: "drinking-water:10:12,50"}); !errors.As(err, &validation) ||
		!strings.Contains(validation.Violations[0].Rule, "misplaced thousands separator") {
		t.Fatalf("--items with a value of 12,50: %v", err)
	}
}
