package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/projections"
)

// tracedHopsMax is the number of allocations docs/EVENTS.md's limits table
// says a trace follows (projections' flowHopsMax): a change of the limit
// fails here until the table says so too.
const tracedHopsMax = 64

// Money moved through 64 allocations is traced to the end; through 65 the
// trace is refused with the error `ledger trace` prints: the money
// takes too many steps to trace.
func TestTraceSaysTheMoneyTakesTooManySteps(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	// chain receives a donation in the first of two county pots, moves it
	// between them hops times and spends it where it ended up.
	chain := func(name string, pots [2]string, hops int) {
		events := []domain.Event{eventstoretest.Donation("general", pots[0], "D-"+name, 100)}
		for hop := range hops {
			from, to := pots[hop%2], pots[(hop+1)%2]
			events = append(events, domain.Event{Type: domain.TypeFundsAllocated, County: to, OccurredAt: eventstoretest.Clock(), Actor: "finance",
				Data: domain.FundsAllocated{AllocationID: fmt.Sprintf("A-%s-%d", name, hop), Campaign: "general", FromCounty: from, ToCounty: to, Amount: 100}})
		}
		events = append(events, eventstoretest.Delivery("general", pots[hops%2], "V-"+name, 100))
		if _, err := ledger.App.Record(ctx, events); err != nil {
			t.Fatalf("chain %s: %v", name, err)
		}
	}
	chain("within", [2]string{"150626", "150625"}, tracedHopsMax)
	chain("beyond", [2]string{"150621", "150622"}, tracedHopsMax+1)
	trace, err := ledger.App.Trace(ctx, "V-within")
	if err != nil || trace.Spending == nil || len(trace.Spending.FundedBy) != 1 || len(trace.Spending.FundedBy[0].Via) != tracedHopsMax {
		t.Fatalf("trace of money moved %d times: %+v, %v; want D-within through every allocation", tracedHopsMax, trace, err)
	}
	for _, id := range []string{"V-beyond", "D-beyond"} {
		trace, err := ledger.App.Trace(ctx, id)
		if !errors.Is(err, projections.ErrFlowTooLarge) || !strings.Contains(err.Error(), "the money takes too many steps to trace") {
			t.Fatalf("trace of %s, money moved %d times: %+v, %v; want it refused as too many steps", id, tracedHopsMax+1, trace, err)
		}
	}
}
