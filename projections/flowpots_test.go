package projections

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// The sum tree's sums, amounts and searches agree with a plain slice of
// amounts as entries are added and changed.
func TestSumTreeAgreesWithASlice(t *testing.T) {
	random := rand.New(rand.NewPCG(1, 2))
	var tree sumTree
	var amounts []domain.Money
	for step := range 3000 {
		if len(amounts) == 0 || random.IntN(3) == 0 {
			tree.grow()
			amounts = append(amounts, 0)
		}
		entry := random.IntN(len(amounts))
		amount := domain.Money(random.IntN(4))
		tree.set(entry, amount)
		amounts[entry] = amount
		var sum domain.Money
		for i, amount := range amounts {
			if got := tree.sumBefore(i); got != sum {
				t.Fatalf("step %d: sum before %d = %d, want %d", step, i, got, sum)
			}
			if got := tree.at(i); got != amount {
				t.Fatalf("step %d: amount of %d = %d, want %d", step, i, got, amount)
			}
			sum += amount
		}
		if tree.total() != sum {
			t.Fatalf("step %d: total %d, want %d", step, tree.total(), sum)
		}
		for past := domain.Money(-1); past <= sum+1; past++ {
			want, running := len(amounts), domain.Money(0)
			for i, amount := range amounts {
				if running += amount; running > past {
					want = i
					break
				}
			}
			if got := tree.firstPast(past); got != want {
				t.Fatalf("step %d: first past %d = %d, want %d (amounts %v)", step, past, got, want, amounts)
			}
		}
	}
}

// linkHistory writes random campaign histories straight into an index:
// money and goods donations, allocations between three pots, spendings
// that name donations (some that do not exist, some more than they hold),
// voids, and corrections that change amounts, counties, named donations
// and even entity ids, over a few ids so that ids repeat.
type linkHistory struct {
	random *rand.Rand
	index  *Index
	// events are the recorded events of every kind, by position - 1.
	events   []domain.Event
	position uint64
}

var linkIDs = []string{"D-1", "D-2", "D-3", "D-4", "X-1", "X-2", "X-3", "A-1", "A-2"}

// county is one of the three pots of the random histories.
func (h *linkHistory) county() string { return fmt.Sprintf("15060%d", h.random.IntN(3)) }

func (h *linkHistory) id() string { return linkIDs[h.random.IntN(len(linkIDs))] }

func (h *linkHistory) money() domain.Money { return domain.Money(h.random.IntN(6) * 100) }

func (h *linkHistory) fundings() []domain.Funding {
	var fundings []domain.Funding
	for range h.random.IntN(3) {
		fundings = append(fundings, domain.Funding{DonationID: h.id(), Amount: h.money()})
	}
	return fundings
}

// payload is a random payload of an entry type that takes part in a fund
// flow.
func (h *linkHistory) payload(kind domain.EventType, campaign string) domain.Payload {
	switch kind {
	case domain.TypeDonationReceived:
		form := domain.FormMoney
		if h.random.IntN(5) == 0 {
			form = domain.FormGoods
		}
		return domain.DonationReceived{DonationID: h.id(), Campaign: campaign, Form: form, Amount: h.money()}
	case domain.TypeFundsAllocated:
		return domain.FundsAllocated{AllocationID: h.id(), Campaign: campaign, FromCounty: h.county(), ToCounty: h.county(), Amount: h.money()}
	case domain.TypeSuppliesDelivered:
		return domain.SuppliesDelivered{DeliveryID: h.id(), Campaign: campaign, Spent: h.money(), FundedBy: h.fundings()}
	case domain.TypeTrainingHeld:
		return domain.TrainingHeld{SessionID: h.id(), Campaign: campaign, Cost: h.money(), FundedBy: h.fundings()}
	default:
		return domain.ServiceProvided{ServiceID: h.id(), Campaign: campaign, Cost: h.money(), FundedBy: h.fundings()}
	}
}

// step adds one random event to the index.
func (h *linkHistory) step(t *testing.T) {
	t.Helper()
	campaign := "main"
	if h.random.IntN(6) == 0 {
		campaign = "other"
	}
	kinds := []domain.EventType{domain.TypeDonationReceived, domain.TypeDonationReceived, domain.TypeFundsAllocated, domain.TypeFundsAllocated,
		domain.TypeSuppliesDelivered, domain.TypeTrainingHeld, domain.TypeServiceProvided}
	event := domain.Event{ID: uuid.New(), County: h.county(),
		Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: campaign}}
	choice := h.random.IntN(10)
	switch {
	case choice < 2 && len(h.events) > 0:
		target := h.events[h.random.IntN(len(h.events))]
		event.Aggregate, event.Type = target.Aggregate, domain.TypeEntryVoided
		event.Data = domain.EntryVoided{Campaign: target.Aggregate.ID, TargetEventID: target.ID.String()}
	case choice < 4 && len(h.events) > 0:
		target := h.events[h.random.IntN(len(h.events))]
		if target.Type == domain.TypeEntryVoided || target.Type == domain.TypeEntryCorrected {
			return
		}
		raw, err := json.Marshal(h.payload(target.Type, target.Aggregate.ID))
		if err != nil {
			t.Fatal(err)
		}
		event.Aggregate, event.Type = target.Aggregate, domain.TypeEntryCorrected
		event.Data = &domain.EntryCorrected{Campaign: target.Aggregate.ID, TargetEventID: target.ID.String(), Replacement: raw}
	default:
		event.Type = kinds[h.random.IntN(len(kinds))]
		event.Data = h.payload(event.Type, campaign)
	}
	h.position++
	h.events = append(h.events, event)
	h.index.Add(eventstore.Record{Position: h.position, Event: event})
}

// Every id's trace from the pots the index keeps up to date, and from
// linking only that id, is the one linking the whole campaign gives, payment for payment, after every event of
// random histories; and the links keep the pots' books: a spending is
// paid in full (unfunded included), money reaches a spending only in its
// own county's pot (through the allocations it names, each leaving the
// pot the money was in), a donation's money is paid, or unspent in a pot,
// and no allocation moves more than its amount.
func TestTracesFollowThePots(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		h := &linkHistory{random: rand.New(rand.NewPCG(seed, 17)), index: NewIndex(nil)}
		for step := range 150 {
			h.step(t)
			for campaign, kept := range h.index.flows {
				if kept.broken {
					t.Fatalf("seed %d step %d: campaign %s broken", seed, step, campaign)
				}
				donations, spendings, err := kept.entries.link()
				if err != nil {
					t.Fatal(err)
				}
				checkPots(t, fmt.Sprintf("seed %d step %d, campaign %s", seed, step, campaign), kept.entries, donations, spendings)
				for _, id := range linkIDs {
					var wantDonation *DonationFlow
					var wantSpending *SpendingFlow
					for _, donation := range donations {
						if donation.DonationID == id {
							wantDonation = donation
						}
					}
					for _, spend := range spendings {
						if spend.EntityID == id {
							wantSpending = spend
						}
					}
					for what, linked := range map[string]func(string) (*DonationFlow, *SpendingFlow, error){
						"the index's pots": func(id string) (*DonationFlow, *SpendingFlow, error) { return h.index.traceOne(kept, id) },
						"linking one id":   kept.entries.linkFor,
					} {
						gotDonation, gotSpending, err := linked(id)
						if err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(gotDonation, wantDonation) || !reflect.DeepEqual(gotSpending, wantSpending) {
							t.Fatalf("seed %d step %d, campaign %s, id %s, %s:\n got %+v %+v\nwant %+v %+v", seed, step, campaign, id, what,
								gotDonation, gotSpending, wantDonation, wantSpending)
						}
					}
				}
			}
		}
	}
}

// checkPots checks the books of a linked campaign (see
// TestTracesFollowThePots).
func checkPots(t *testing.T, where string, entries flowEntries, donations []*DonationFlow, spendings []*SpendingFlow) {
	t.Helper()
	moved := map[string]domain.Money{}
	for _, donation := range donations {
		var paid, unspent domain.Money
		for _, funded := range donation.Paid {
			paid += funded.Amount
			if funded.Rule == RuleFIFO {
				county := donation.County
				for _, hop := range funded.Via {
					if hop.FromCounty != county {
						t.Fatalf("%s: %s paid %s via %+v, which leaves %s, not %s where the money was", where, donation.DonationID, funded.EntityID, hop, hop.FromCounty, county)
					}
					county = hop.ToCounty
				}
				if county != funded.County {
					t.Fatalf("%s: %s paid %s in %s from the pot of %s", where, donation.DonationID, funded.EntityID, funded.County, county)
				}
			}
		}
		for _, share := range donation.Unspent {
			unspent += share.Amount
		}
		for _, allocated := range donation.Allocated {
			moved[allocated.AllocationID+"/"+allocated.FromCounty] += allocated.Amount
		}
		if donation.Remaining != donation.Received-paid || (donation.Remaining >= 0 && unspent > donation.Remaining) {
			t.Fatalf("%s: %s received %s, paid %s, remaining %s, unspent %s", where, donation.DonationID, donation.Received, paid, donation.Remaining, unspent)
		}
	}
	// Ids repeat in these histories: the allocations of one id and pot
	// are summed.
	allocated := map[string]domain.Money{}
	for _, entry := range entries {
		if entry.activeAllocation() {
			allocated[entry.entity+"/"+entry.county] += entry.amount
		}
	}
	for key, amount := range moved {
		if amount > allocated[key] {
			t.Fatalf("%s: allocation %s moved %s of %s", where, key, amount, allocated[key])
		}
	}
	for _, spend := range spendings {
		var funded domain.Money
		for _, link := range spend.FundedBy {
			funded += link.Amount
		}
		if funded < spend.Amount {
			t.Fatalf("%s: %s spent %s, its links sum to %s", where, spend.EntityID, spend.Amount, funded)
		}
	}
}

// A flow entry stays as compact as its comment says: the entity index
// keeps one for each donation and spending entry of the log.
func TestFlowEntryIsCompact(t *testing.T) {
	if size := unsafe.Sizeof(flowEntry{}); size != 64 {
		t.Fatalf("a flow entry takes %d bytes, want 64", size)
	}
}

// potBytes is what the pots hold for their entries, by the lengths of
// their slices (spare capacity aside): each entry's slots, and for each
// slot its entry's number and its sum tree node.
func potBytes(l *potLinks) int {
	bytes := len(l.slots) * int(unsafe.Sizeof(entrySlots{}))
	for _, line := range l.pots {
		bytes += (len(line.givers) + len(line.takers)) * int(unsafe.Sizeof(int32(0)))
		bytes += (len(line.money.nodes) + len(line.claims.nodes)) * int(unsafe.Sizeof(domain.Money(0)))
	}
	return bytes
}

// The pots cost an entry of one slot (a donation, a spending) 28 bytes and
// an allocation, with two, 40: 12 and 24 more than the 16 bytes of the two
// trees' nodes an entry took before them (docs/BENCHMARKS.md, "Traces
// through the county pots").
func TestPotsBytesPerEntry(t *testing.T) {
	var entries flowEntries
	links := newPotLinks()
	for _, test := range []struct {
		payload domain.Payload
		bytes   int
	}{
		{domain.DonationReceived{DonationID: "D-1", Form: domain.FormMoney, Amount: 100}, 28},
		{domain.FundsAllocated{AllocationID: "A-1", FromCounty: "150626", ToCounty: "150625", Amount: 100}, 40},
		{domain.SuppliesDelivered{DeliveryID: "V-1", Spent: 100}, 28},
	} {
		entry := flowEntry{position: uint64(len(entries) + 1), kindCode: flowKind(slices.Index(flowKinds[:], test.payload.EventType()))}
		entry.set(test.payload, "150626")
		entries = append(entries, entry)
		before := potBytes(&links)
		links.place(entries, len(entries)-1)
		if got := potBytes(&links) - before; got != test.bytes {
			t.Errorf("%s: the pots hold %d bytes more for it, want %d", test.payload.EventType(), got, test.bytes)
		}
	}
}

// traceForBench traces id from the index's pots, for BenchmarkIndexTrace.
func traceForBench(x *Index, campaign *campaignEntries, id string) {
	if _, _, err := x.traceOne(campaign, id); err != nil {
		panic(err)
	}
}

// Money moved through more allocations than flowHopsMax is not followed
// further: the trace says so instead of walking on.
func TestTraceRefusesMoneyMovedTooOften(t *testing.T) {
	var entries flowEntries
	add := func(payload domain.Payload, county string) {
		entry := flowEntry{position: uint64(len(entries) + 1), kindCode: flowKind(slices.Index(flowKinds[:], payload.EventType()))}
		entry.set(payload, county)
		entries = append(entries, entry)
	}
	pots := [2]string{"150626", "150625"}
	add(domain.DonationReceived{DonationID: "D-1", Form: domain.FormMoney, Amount: 100}, pots[0])
	for hop := range flowHopsMax + 1 {
		add(domain.FundsAllocated{AllocationID: fmt.Sprint("A-", hop), FromCounty: pots[hop%2], ToCounty: pots[(hop+1)%2], Amount: 100}, pots[(hop+1)%2])
	}
	add(domain.SuppliesDelivered{DeliveryID: "V-1", Spent: 100}, pots[(flowHopsMax+1)%2])
	for _, id := range []string{"D-1", "V-1"} {
		if _, _, err := entries.linkFor(id); !errors.Is(err, ErrFlowTooLarge) {
			t.Errorf("trace of %s after %d allocations: err = %v, want ErrFlowTooLarge", id, flowHopsMax+1, err)
		}
	}
	// One allocation fewer is followed to the end.
	entries = entries[:len(entries)-2]
	add(domain.SuppliesDelivered{DeliveryID: "V-1", Spent: 100}, pots[flowHopsMax%2])
	_, spend, err := entries.linkFor("V-1")
	if err != nil || len(spend.FundedBy) != 1 || spend.FundedBy[0].DonationID != "D-1" || len(spend.FundedBy[0].Via) != flowHopsMax {
		t.Errorf("trace of V-1 after %d allocations = %+v, %v; want D-1 through every allocation", flowHopsMax, spend, err)
	}
}
