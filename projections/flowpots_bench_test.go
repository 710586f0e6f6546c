package projections

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// benchTraceEvents is the size of BenchmarkIndexTrace's campaign.
const benchTraceEvents = 200_000

// benchTraceCounties are the county pots of BenchmarkIndexTrace.
var benchTraceCounties = []string{"150602", "150603", "150621", "150622", "150623", "150624", "150625", "150626", "150627"}

// benchTraceEvent is event n of one campaign shaped as the federation
// runs one: money received at the city level and by the counties,
// allocations from the city to the counties, and spending in the
// counties (events 3 to 7 of every eight), one in five of them (event
// 5) naming the donation received four events before it (in the same
// county).
func benchTraceEvent(n int) domain.Event {
	county := benchTraceCounties[(n/8)%len(benchTraceCounties)]
	event := domain.Event{ID: uuid.New(), County: county, Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "main"}}
	id := fmt.Sprint(n)
	switch n % 8 {
	case 0:
		event.County, event.Type = "150600", domain.TypeDonationReceived
		event.Data = domain.DonationReceived{DonationID: "D-" + id, Campaign: "main", Form: domain.FormMoney, Amount: domain.Money(100_000 + n%1000)}
	case 1:
		event.Type = domain.TypeDonationReceived
		event.Data = domain.DonationReceived{DonationID: "D-" + id, Campaign: "main", Form: domain.FormMoney, Amount: 50_000}
	case 2:
		event.Type = domain.TypeFundsAllocated
		event.Data = domain.FundsAllocated{AllocationID: "A-" + id, Campaign: "main", FromCounty: "150600", ToCounty: county, Amount: 80_000}
	default:
		event.Type = domain.TypeSuppliesDelivered
		delivery := domain.SuppliesDelivered{DeliveryID: "V-" + id, Campaign: "main", Spent: domain.Money(20_000 + n%500)}
		if n%8 == 5 {
			delivery.FundedBy = []domain.Funding{{DonationID: fmt.Sprint("D-", n-4), Amount: 5_000}}
		}
		event.Data = delivery
	}
	return event
}

// BenchmarkIndexTrace measures a trace answered from the entity index
// of one large campaign, a donation's forward and a delivery's back, and
// reports what building the index took.
func BenchmarkIndexTrace(b *testing.B) {
	index := NewIndex(nil)
	started := time.Now()
	for n := range benchTraceEvents {
		index.Add(eventstore.Record{Position: uint64(n + 1), Event: benchTraceEvent(n)})
	}
	built := time.Since(started)
	campaign := index.flows["main"]
	random := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		n := 8 * random.IntN(benchTraceEvents/8)
		index.mu.RLock()
		traceForBench(index, campaign, fmt.Sprint("D-", n))
		traceForBench(index, campaign, fmt.Sprint("V-", n+5))
		index.mu.RUnlock()
	}
	b.ReportMetric(float64(built.Milliseconds()), "build-ms")
}
