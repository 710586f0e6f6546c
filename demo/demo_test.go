package demo_test

import (
	"context"
	"testing"

	"github.com/ordos-union/ledger/demo"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

func TestDemoEncodesTheArticle(t *testing.T) {
	ctx := context.Background()
	store := natsjstest.Store(t, natsjs.Options{Storage: natsjs.MemoryStorage}, false)
	service := ledger.New(store, ledger.Options{})
	first, err := demo.Load(ctx, service)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	again, err := demo.Load(ctx, ledger.New(store, ledger.Options{}))
	if err != nil {
		t.Fatalf("load again: %v", err)
	}
	if again.Written != 0 || again.Duplicates != first.Written {
		t.Fatalf("second load wrote %d and found %d duplicates; want 0 and %d", again.Written, again.Duplicates, first.Written)
	}
	fold := func(campaign string) projections.CountyTotals {
		totals := projections.NewTotals()
		filter := eventstore.Filter{}
		if campaign != "" {
			filter = eventstore.Filter{AggregateKind: domain.AggregateCampaign, AggregateID: campaign}
		}
		for record, err := range store.Read(ctx, 0, filter) {
			if err != nil {
				t.Fatal(err)
			}
			totals.Apply(record)
		}
		return totals.Sum()
	}
	lectures := fold("2022-health-law-lectures")
	if lectures.Sessions != demo.LectureSessions || lectures.Participants != demo.LectureParticipants {
		t.Errorf("lectures: %d sessions, %d participants; want %d and %d (after the correction of session 4)",
			lectures.Sessions, lectures.Participants, demo.LectureSessions, demo.LectureParticipants)
	}
	april := fold("2022-new-workers-month")
	if april.ServicesByKind["visit"] != demo.AprilVisits || april.ServicesByKind["health-checkup"] != demo.AprilCheckups ||
		april.ServicesByKind["station-opened"] != demo.AprilStations || april.PersonTimes != demo.AprilPersonTimes {
		t.Errorf("April: %v, %d person-times", april.ServicesByKind, april.PersonTimes)
	}
	all := fold("")
	if all.Received < demo.DonationsMoneyFenMin {
		t.Errorf("money received %s yuan, want at least 5,000,000", all.Received)
	}
	if all.Voided != 1 || all.Corrected != 2 {
		t.Errorf("voided %d corrected %d, want 1 and 2", all.Voided, all.Corrected)
	}
	// Every region that spent held the money first.
	summer := projections.NewTotals()
	for record, err := range store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		summer.Apply(record)
	}
	for _, region := range summer.Regions() {
		if region.Balance() < 0 {
			t.Errorf("region %s ends below zero: %s", region.County, region.Balance())
		}
	}
}
