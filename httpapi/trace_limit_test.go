package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/httpapi"
)

// Money moved through more allocations than a trace follows is answered
// 422 too_large with what `ledger trace` says, not as an internal error.
func TestTraceOfMoneyMovedTooOftenIsTooLarge(t *testing.T) {
	server := startTestServer(t)
	const hops = 65
	pots := [2]string{"150621", "150622"}
	events := []domain.Event{eventstoretest.Donation("general", pots[0], "D-far", 100)}
	for hop := range hops {
		events = append(events, domain.Event{Type: domain.TypeFundsAllocated, County: pots[(hop+1)%2], OccurredAt: eventstoretest.Clock(),
			Actor: "finance", Data: domain.FundsAllocated{AllocationID: fmt.Sprintf("A-far-%d", hop), Campaign: "general",
				FromCounty: pots[hop%2], ToCounty: pots[(hop+1)%2], Amount: 100}})
	}
	events = append(events, eventstoretest.Delivery("general", pots[hops%2], "V-far", 100))
	if _, err := server.Ledger.Record(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	got := call(t, "GET", server.URL+"/api/v1/trace/V-far", server.Tokens[httpapi.RoleAuditor], "")
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(string(got.body), `"code":"too_large"`) ||
		!strings.Contains(string(got.body), "the money takes too many steps to trace") {
		t.Fatalf("trace of money moved %d times: %d %s; want 422 too_large saying why", hops, got.status, got.body)
	}
}
