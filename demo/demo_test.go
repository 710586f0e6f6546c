package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordos-union/ledger/demo"
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
	totals, err := projections.FoldTotals(ctx, store, projections.TotalsOptions{}, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	lectures := totals.Sum(projections.Query{Campaign: "2022-health-law-lectures"})
	if lectures.Sessions != demo.LectureSessions || lectures.Participants != demo.LectureParticipants {
		t.Errorf("lectures: %d sessions, %d participants; want %d and %d (after the correction of session 4)",
			lectures.Sessions, lectures.Participants, demo.LectureSessions, demo.LectureParticipants)
	}
	april := totals.Sum(projections.Query{Campaign: "2022-new-workers-month"})
	if april.ServicesByKind["visit"].Count != demo.AprilVisits || april.ServicesByKind["health-checkup"].Count != demo.AprilCheckups ||
		april.ServicesByKind["station-opened"].Count != demo.AprilStations || april.PersonTimes != demo.AprilPersonTimes {
		t.Errorf("April: %v, %d person-times", april.ServicesByKind, april.PersonTimes)
	}
	all := totals.Sum(projections.Query{})
	if all.Received < demo.DonationsMoneyFenMin {
		t.Errorf("money received %s yuan, want at least 5,000,000", all.Received)
	}
	if all.Voided != 1 || all.Corrected != 2 {
		t.Errorf("voided %d corrected %d, want 1 and 2", all.Voided, all.Corrected)
	}
	// Every region that spent held the money first.
	answer, err := totals.Query(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range answer.Rows {
		if region.Balance() < 0 {
			t.Errorf("region %s ends below zero: %s", region.County, region.Balance())
		}
	}
	// The summer campaign: nine counties reached, each with at least one
	// delivery, and the launch in Otog Front handed out donated goods.
	summer, err := totals.Query(projections.Query{Campaign: "2022-summer-cooling"})
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	for _, row := range summer.Rows {
		if row.Deliveries > 0 {
			reached++
		}
	}
	if reached != len(demo.Counties) {
		t.Errorf("summer cooling reached %d counties, want %d", reached, len(demo.Counties))
	}
}

// oneAggregateStore refuses appends across aggregates, as EventStoreDB's
// store does, around a real JetStream store.
type oneAggregateStore struct {
	eventstore.Store
	refused *int
}

func (s oneAggregateStore) Append(ctx context.Context, parts ...eventstore.AggregateAppend) ([]uint64, error) {
	if len(parts) > 1 {
		*s.refused++
		return nil, eventstore.ErrUnsupported
	}
	return s.Store.Append(ctx, parts...)
}

func TestDemoLoadsOnAStoreThatAppendsOneAggregateAtATime(t *testing.T) {
	ctx := context.Background()
	refused := 0
	store := oneAggregateStore{Store: natsjstest.Store(t, natsjs.Options{Storage: natsjs.MemoryStorage}, false), refused: &refused}
	summary, err := demo.Load(ctx, ledger.New(store, ledger.Options{}))
	if err != nil || refused != 0 {
		t.Fatalf("load: %v (%d appends across aggregates)", err, refused)
	}
	head, err := store.Head(ctx)
	if err != nil || head != uint64(summary.Written) || summary.Written == 0 {
		t.Fatalf("head %d after %d written: %v", head, summary.Written, err)
	}
}
