package projections_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

const summer = "2022-summer-cooling"

// fundLedger is a summer-cooling fund in Uxin (150626) with a donation that
// was corrected and then voided, spending with and without funded_by, and a
// little of the general fund beside it.
type fundLedger struct {
	*env
	ids map[string]ledger.Result // entity id → the result of its original entry
	at  func() time.Time
}

func newFundLedger(t *testing.T) *fundLedger {
	t.Helper()
	f := &fundLedger{env: newEnv(t, natsjs.MemoryStorage, fixedClock), ids: map[string]ledger.Result{}}
	next := time.Date(2022, 7, 1, 9, 0, 0, 0, cst)
	f.at = func() time.Time {
		next = next.Add(time.Hour)
		return next
	}
	return f
}

// add records the entries in one request and remembers their results by
// entity id.
func (f *fundLedger) add(t *testing.T, events ...domain.Event) []ledger.Result {
	t.Helper()
	results := f.record(t, events...)
	for i, event := range events {
		if id := domain.EntityID(event.Data); id != "" {
			f.ids[id] = results[i]
		}
	}
	return results
}

func (f *fundLedger) event(id string) string { return f.ids[id].EventID.String() }

func flowOf(t *testing.T, store eventstore.Store, campaign string) *projections.FundFlow {
	t.Helper()
	flow, err := projections.BuildFundFlow(context.Background(), store, campaign)
	if err != nil {
		t.Fatalf("fund flow of %s: %v", campaign, err)
	}
	return flow
}

// links renders money links as "D-1→V-1 200.00 fifo", in order.
func links(fundings []projections.Funded) []string {
	out := []string{}
	for _, funded := range fundings {
		out = append(out, fmt.Sprintf("%s→%s %s %s", funded.DonationID, funded.EntityID, funded.Amount, funded.Rule))
	}
	return out
}

func sameLinks(t *testing.T, what string, got []projections.Funded, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(links(got), want) {
		t.Errorf("%s: %q, want %q", what, links(got), want)
	}
}

func donationFlow(t *testing.T, flow *projections.FundFlow, id string) *projections.DonationFlow {
	t.Helper()
	for _, donation := range flow.Donations {
		if donation.DonationID == id {
			return donation
		}
	}
	t.Fatalf("no donation %s in the flow of %s", id, flow.Campaign)
	return nil
}

func spendingFlow(t *testing.T, flow *projections.FundFlow, id string) *projections.SpendingFlow {
	t.Helper()
	for _, spend := range flow.Spendings {
		if spend.EntityID == id {
			return spend
		}
	}
	t.Fatalf("no spending %s in the flow of %s", id, flow.Campaign)
	return nil
}

func sum(fundings []projections.Funded) domain.Money {
	var total domain.Money
	for _, funded := range fundings {
		total += funded.Amount
	}
	return total
}

func trace(t *testing.T, store eventstore.Store, id string) *projections.Trace {
	t.Helper()
	traced, err := projections.TraceEntity(context.Background(), store, nil, id)
	if err != nil {
		t.Fatalf("trace %s: %v", id, err)
	}
	return traced
}

// build writes the shared history up to the spending, before any
// correction of a spending.
func (f *fundLedger) build(t *testing.T) {
	t.Helper()
	// D-3 is the oldest donation; it is corrected and then voided, so FIFO
	// must pass over it.
	f.add(t, received(summer, "150626", "D-3", 30000, f.at()),
		received(summer, "150626", "D-1", 100000, f.at()),
		received(summer, "150626", "D-2", 50000, f.at()))
	f.add(t, received("general", "150602", "D-G1", 10000, f.at()),
		entry(domain.TypeSuppliesDelivered, "150602", f.at(), deliveryPayload("general", "V-G1", "outdoor-workers", 10, 2000, 5000)),
		received("general", "150626", "D-G2", 8000, f.at()))
	f.record(t, correctionOf(t, summer, "150626", f.event("D-3"),
		received(summer, "150626", "D-3", 25000, time.Time{}).Data, "与银行回单核对", f.at()))
	f.record(t, voidOf(summer, "150626", f.event("D-3"), f.at()))
	// V-1 names nobody; S-1, recorded later, names D-1 for 800.00. The named
	// money is set aside first, so V-1 cannot take it by FIFO.
	f.add(t, entry(domain.TypeSuppliesDelivered, "150626", f.at(), deliveryPayload(summer, "V-1", "sanitation-workers", 40, 12000, 40000)))
	training := trainingPayload(summer, "S-1", "offline", "outdoor-workers", 30, 90000)
	training.FundedBy = []domain.Funding{{DonationID: "D-1", Amount: 80000}}
	f.add(t, entry(domain.TypeTrainingHeld, "150626", f.at(), training))
	f.add(t, entry(domain.TypeServiceProvided, "150626", f.at(), servicePayload(summer, "SV-1", "health-checkup", "outdoor-workers", 2, 60, 5000)))
}

func TestFundFlowExplicitFirstThenFIFO(t *testing.T) {
	ctx := context.Background()
	f := newFundLedger(t)
	f.build(t)

	flow := flowOf(t, f.store, summer)
	var donations []string
	for _, donation := range flow.Donations {
		donations = append(donations, donation.DonationID)
	}
	if !slices.Equal(donations, []string{"D-1", "D-2"}) {
		t.Errorf("donations in the flow %v, want D-1 and D-2 (D-3 was voided)", donations)
	}
	d1, d2 := donationFlow(t, flow, "D-1"), donationFlow(t, flow, "D-2")
	sameLinks(t, "D-1 paid", d1.Paid, "D-1→S-1 800.00 explicit", "D-1→V-1 200.00 fifo")
	sameLinks(t, "D-2 paid", d2.Paid, "D-2→V-1 200.00 fifo", "D-2→S-1 100.00 fifo", "D-2→SV-1 50.00 fifo")
	if d1.Remaining != 0 || d2.Remaining != 15000 || d1.Received != 100000 || d2.Received != 50000 {
		t.Errorf("D-1 received %s remaining %s, D-2 received %s remaining %s; want 1000.00/0.00 and 500.00/150.00",
			d1.Received, d1.Remaining, d2.Received, d2.Remaining)
	}
	sameLinks(t, "V-1 funded by", spendingFlow(t, flow, "V-1").FundedBy, "D-1→V-1 200.00 fifo", "D-2→V-1 200.00 fifo")
	sameLinks(t, "S-1 funded by", spendingFlow(t, flow, "S-1").FundedBy, "D-1→S-1 800.00 explicit", "D-2→S-1 100.00 fifo")
	sameLinks(t, "SV-1 funded by", spendingFlow(t, flow, "SV-1").FundedBy, "D-2→SV-1 50.00 fifo")
	for _, spend := range flow.Spendings {
		for _, funded := range spend.FundedBy {
			if funded.DonationID == "D-3" || funded.Rule == projections.RuleUnfunded {
				t.Errorf("%s is paid by %s (%s), a voided donation or nobody", spend.EntityID, funded.DonationID, funded.Rule)
			}
			if funded.Type != spend.Type || funded.County != "150626" {
				t.Errorf("link %+v does not name its spending's type %s and county", funded, spend.Type)
			}
		}
	}
	if spend := spendingFlow(t, flow, "S-1"); spend.Type != string(domain.TypeTrainingHeld) || spend.Amount != 90000 ||
		spend.Position != f.ids["S-1"].Position {
		t.Errorf("S-1 flow = %+v, want a training of 900.00 at position %d", spend, f.ids["S-1"].Position)
	}
	if len(flow.Regions) != 1 || flow.Regions[0].County != "150626" || flow.Regions[0].Received != 150000 ||
		flow.Regions[0].Spent != 135000 || flow.Regions[0].Balance() != 15000 || flow.Regions[0].Voided != 1 || flow.Regions[0].Corrected != 1 {
		t.Errorf("regions of the fund = %+v, want Uxin with 1500.00 received, 1350.00 spent, one void and one correction", flow.Regions)
	}
	if last := head(t, f.store); flow.Position != last {
		t.Errorf("flow at position %d, want %d", flow.Position, last)
	}
	// The general fund is another fund: its flow knows nothing of summer.
	general := flowOf(t, f.store, "general")
	sameLinks(t, "D-G1 paid", donationFlow(t, general, "D-G1").Paid, "D-G1→V-G1 50.00 fifo")
	sameLinks(t, "D-G2 paid", donationFlow(t, general, "D-G2").Paid)
	if len(general.Spendings) != 1 || len(general.Donations) != 2 {
		t.Errorf("general fund: %d spendings and %d donations, want 1 and 2", len(general.Spendings), len(general.Donations))
	}

	// Trace back: a delivery's links add up to what it spent.
	before := trace(t, f.store, "V-1")
	if before.Campaign != summer || before.Spending == nil || before.Donation != nil || sum(before.Spending.FundedBy) != 40000 {
		t.Fatalf("trace of V-1 = %+v, want its 400.00 traced to donations", before)
	}
	if _, err := projections.TraceEntity(ctx, f.store, nil, "D-3"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("trace of the voided donation D-3: err = %v, want ErrNotFound (it pays for nothing)", err)
	}
	if _, err := projections.TraceEntity(ctx, f.store, nil, "NOBODY-1"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("trace of an unknown id: err = %v, want ErrNotFound", err)
	}

	// Money for the city level and an allocation to Uxin; then V-1 turns
	// out to have cost 500.00, not 400.00.
	f.add(t, received(summer, cityCode, "D-C1", 20000, f.at()), allocated(summer, "A-1", "150626", 10000, f.at()))
	corrected := deliveryPayload(summer, "V-1", "sanitation-workers", 40, 12000, 50000)
	f.record(t, correctionOf(t, summer, "150626", f.event("V-1"), corrected, "补录运费", f.at()))
	after := trace(t, f.store, "V-1")
	if sum(after.Spending.FundedBy) != 50000 || after.Spending.Amount != 50000 {
		t.Errorf("trace of V-1 after its correction sums to %s (amount %s), want 500.00", sum(after.Spending.FundedBy), after.Spending.Amount)
	}
	sameLinks(t, "V-1 funded by, corrected", after.Spending.FundedBy, "D-1→V-1 200.00 fifo", "D-2→V-1 300.00 fifo")
	forward := trace(t, f.store, "D-2")
	sameLinks(t, "D-2 paid, after the correction", forward.Donation.Paid, "D-2→V-1 300.00 fifo", "D-2→S-1 100.00 fifo", "D-2→SV-1 50.00 fifo")
	if forward.Donation.Remaining != 5000 || forward.Spending != nil || forward.Position != head(t, f.store) {
		t.Errorf("trace of D-2 = remaining %s at position %d, want 50.00 at the head", forward.Donation.Remaining, forward.Position)
	}
	// The newest donation is untouched: everything was paid before it.
	city := trace(t, f.store, "D-C1").Donation
	if city.Remaining != 20000 || len(city.Paid) != 0 || city.County != cityCode {
		t.Errorf("D-C1 = %+v, want all 200.00 remaining at the city level", city)
	}
	flow = flowOf(t, f.store, summer)
	var total domain.Money
	for _, donation := range flow.Donations {
		if donation.Received-sum(donation.Paid) != donation.Remaining {
			t.Errorf("%s: received %s, paid %s, remaining %s do not add up", donation.DonationID, donation.Received, sum(donation.Paid), donation.Remaining)
		}
		total += sum(donation.Paid)
	}
	var spent domain.Money
	for _, spend := range flow.Spendings {
		if sum(spend.FundedBy) != spend.Amount {
			t.Errorf("%s: funded %s of %s", spend.EntityID, sum(spend.FundedBy), spend.Amount)
		}
		spent += spend.Amount
	}
	if total != spent || spent != 145000 {
		t.Errorf("donations paid %s, spending cost %s; want both 1450.00", total, spent)
	}
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	f := newFundLedger(t)
	f.build(t)
	// S-1 is corrected twice: each correction says what it changed from
	// the payload then in effect.
	first := trainingPayload(summer, "S-1", "offline", "outdoor-workers", 35, 90000)
	first.FundedBy = []domain.Funding{{DonationID: "D-1", Amount: 80000}}
	second := first
	second.Participants = 40
	f.record(t, correctionOf(t, summer, "150626", f.event("S-1"), first, "签到表补录", f.at()))
	f.record(t, correctionOf(t, summer, "150626", f.event("S-1"), second, "再次核对签到表", f.at()))
	catalog := domain.DefaultCatalog()
	audit := func(subject string) *projections.AuditTrail {
		t.Helper()
		trail, err := projections.Audit(ctx, f.store, catalog, subject)
		if err != nil {
			t.Fatalf("audit %s: %v", subject, err)
		}
		if last := head(t, f.store); trail.Position != last || trail.Subject != subject {
			t.Errorf("audit %s: subject %q at position %d, want the head %d", subject, trail.Subject, trail.Position, last)
		}
		return trail
	}
	types := func(trail *projections.AuditTrail) []domain.EventType {
		var out []domain.EventType
		for _, entry := range trail.Entries {
			out = append(out, entry.Type)
		}
		return out
	}

	// D-3: received, corrected, voided.
	d3 := audit("D-3")
	if want := []domain.EventType{domain.TypeDonationReceived, domain.TypeEntryCorrected, domain.TypeEntryVoided}; d3.Kind != "entry" || !slices.Equal(types(d3), want) {
		t.Fatalf("audit of D-3: kind %q, %v; want an entry with %v", d3.Kind, types(d3), want)
	}
	original, correction, void := d3.Entries[0], d3.Entries[1], d3.Entries[2]
	if original.Position != f.ids["D-3"].Position || original.EventID != f.event("D-3") || original.Campaign != summer ||
		original.County != "150626" || original.Actor != "clerk-test" || !strings.Contains(original.Summary, "300.00") {
		t.Errorf("original entry = %+v", original)
	}
	if want := []projections.Change{{Field: "amount", From: `"300.00"`, To: `"250.00"`}}; !slices.Equal(correction.Changes, want) ||
		correction.Reason != "与银行回单核对" || !strings.Contains(correction.Summary, "250.00") {
		t.Errorf("correction = %+v, want changes %v with its reason", correction, want)
	}
	if void.Reason != "录入错误，作废" || len(void.Changes) != 0 || void.Position <= correction.Position {
		t.Errorf("void = %+v, want its reason after the correction", void)
	}

	// S-1: each correction compares with the payload in effect before it.
	s1 := audit("S-1")
	if len(s1.Entries) != 3 {
		t.Fatalf("audit of S-1: %v, want the session and two corrections", types(s1))
	}
	if want := []projections.Change{{Field: "participants", From: "30", To: "35"}}; !slices.Equal(s1.Entries[1].Changes, want) || s1.Entries[1].Reason != "签到表补录" {
		t.Errorf("first correction of S-1 = %+v, want %v", s1.Entries[1], want)
	}
	if want := []projections.Change{{Field: "participants", From: "35", To: "40"}}; !slices.Equal(s1.Entries[2].Changes, want) || s1.Entries[2].Reason != "再次核对签到表" {
		t.Errorf("second correction of S-1 = %+v, want %v", s1.Entries[2], want)
	}
	// By event id: the same history.
	if byEvent := audit(f.event("S-1")); len(byEvent.Entries) != 3 || byEvent.Entries[2].Changes[0].To != "40" {
		t.Errorf("audit of S-1 by its event id: %+v", byEvent.Entries)
	}
	if _, err := projections.Audit(ctx, f.store, catalog, "V-NONE"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("audit of an unknown entry: err = %v, want ErrNotFound", err)
	}

	// A campaign fund and a region list every event of theirs, in log
	// order.
	var all []eventstore.Record
	for record, err := range f.store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, record)
	}
	positions := func(trail *projections.AuditTrail) []uint64 {
		var out []uint64
		for _, entry := range trail.Entries {
			out = append(out, entry.Position)
		}
		return out
	}
	wanted := func(match func(domain.Event) bool) []uint64 {
		var out []uint64
		for _, record := range all {
			if match(record.Event) {
				out = append(out, record.Position)
			}
		}
		return out
	}
	fund := audit(summer)
	if want := wanted(func(e domain.Event) bool { return e.Aggregate.ID == summer }); fund.Kind != "campaign fund" || !slices.Equal(positions(fund), want) {
		t.Errorf("audit of %s: kind %q positions %v, want a campaign fund with %v", summer, fund.Kind, positions(fund), want)
	}
	changed := 0
	for _, entry := range fund.Entries {
		if entry.Type == domain.TypeEntryCorrected && len(entry.Changes) > 0 {
			changed++
		}
	}
	if changed != 3 {
		t.Errorf("the fund's audit shows what %d corrections changed, want all 3", changed)
	}
	uxin := audit("150626")
	if want := wanted(func(e domain.Event) bool { return e.County == "150626" }); uxin.Kind != "region" || !slices.Equal(positions(uxin), want) {
		t.Errorf("audit of 150626: kind %q positions %v, want a region with %v", uxin.Kind, positions(uxin), want)
	}
	campaigns := map[string]bool{}
	for _, entry := range uxin.Entries {
		campaigns[entry.Campaign] = true
	}
	if !campaigns[summer] || !campaigns["general"] {
		t.Errorf("audit of 150626 covers campaigns %v, want both", campaigns)
	}
	dongsheng := audit("150602")
	if want := wanted(func(e domain.Event) bool { return e.County == "150602" }); !slices.Equal(positions(dongsheng), want) || len(want) != 2 {
		t.Errorf("audit of 150602: positions %v, want %v", positions(dongsheng), want)
	}
}

// An id voided in one campaign and recorded anew in another is traced in the
// campaign where it is alive.
func TestTraceFollowsAnEntryMovedToAnotherCampaign(t *testing.T) {
	f := newFundLedger(t)
	moved := f.add(t, received("general", "150626", "D-9", 100_00, f.at()))
	f.add(t, voidOf("general", "150626", moved[0].EventID.String(), f.at()))
	f.add(t, received(summer, "150626", "D-9", 100_00, f.at()),
		entry(domain.TypeSuppliesDelivered, "150626", f.at(), deliveryPayload(summer, "V-9", "outdoor-workers", 4, 40_00, 40_00)))
	donation := trace(t, f.store, "D-9")
	if donation.Campaign != summer || donation.Donation == nil || donation.Donation.Remaining != 60_00 {
		t.Fatalf("trace of D-9 = %+v, want the summer donation with 60.00 left", donation)
	}
	sameLinks(t, "D-9 paid", donation.Donation.Paid, "D-9→V-9 40.00 fifo")
}

func allocatedFrom(campaign, id, from, to string, fen domain.Money, at time.Time) domain.Event {
	event := allocated(campaign, id, to, fen, at)
	data := event.Data.(domain.FundsAllocated)
	data.FromCounty = from
	event.Data = data
	return event
}

// routes renders money links as "D-1→V-1 200.00 fifo from 150626 via
// A-1", in order: where the donation was received and the allocations
// the money came through.
func routes(fundings []projections.Funded) []string {
	out := []string{}
	for _, funded := range fundings {
		route := fmt.Sprintf("%s→%s %s %s from %s", funded.DonationID, funded.EntityID, funded.Amount, funded.Rule, funded.DonationCounty)
		for _, hop := range funded.Via {
			route += fmt.Sprintf(" via %s %s→%s", hop.AllocationID, hop.FromCounty, hop.ToCounty)
		}
		out = append(out, route)
	}
	return out
}

// A trace follows the money through the county pots (docs/EVENTS.md):
// a spending in a county is paid, after what it names in funded_by, first
// in first out from the money in its own county's pot (donations received
// there, and allocations into it carrying the donations whose money they
// took); a donation's trace says which allocations moved it, what it paid
// and what is left in which pot. Figures by hand, in fen:
//
//	D-R1 Uxin 5000.00, D-P3 Hanggin 1500.50, D-C1 city 3000.00
//	A-1 city→Hanggin 2000.00: the city pot holds D-C1 2700.00 (300.00 of it
//	    is named by S-U1), so A-1 carries D-C1 2000.00
//	A-2 Uxin→Jungar 1000.00: carries D-R1 1000.00
//	V-H1 Hanggin 2500.00: Hanggin's pot holds D-P3 1500.50, then A-1's
//	    D-C1 2000.00: D-P3 1500.50 + D-C1 999.50 via A-1
//	V-J1 Jungar 600.00: D-R1 600.00 via A-2
//	S-U1 Uxin 800.00, funded_by D-C1 300.00: D-C1 300.00 explicit, then
//	    Uxin's pot: D-R1 500.00
//	left: D-R1 400.00 in Jungar and 3500.00 in Uxin; D-P3 nothing; D-C1
//	    700.00 in the city and 1000.50 in Hanggin
//
// Before the fix the trace ignored the pots: V-H1 was paid by D-R1, the
// oldest donation of the campaign, received in Uxin.
func TestTraceFollowsThePots(t *testing.T) {
	ctx := context.Background()
	f := newFundLedger(t)
	const uxin, hanggin, jungar = "150626", "150625", "150622"
	f.add(t, received(summer, uxin, "D-R1", 500000, f.at()),
		received(summer, hanggin, "D-P3", 150050, f.at()),
		received(summer, cityCode, "D-C1", 300000, f.at()))
	f.add(t, allocatedFrom(summer, "A-1", cityCode, hanggin, 200000, f.at()),
		allocatedFrom(summer, "A-2", uxin, jungar, 100000, f.at()))
	f.add(t, entry(domain.TypeSuppliesDelivered, hanggin, f.at(), deliveryPayload(summer, "V-H1", "sanitation-workers", 40, 250000, 250000)))
	f.add(t, entry(domain.TypeSuppliesDelivered, jungar, f.at(), deliveryPayload(summer, "V-J1", "sanitation-workers", 20, 60000, 60000)))
	training := trainingPayload(summer, "S-U1", "offline", "outdoor-workers", 30, 80000)
	training.FundedBy = []domain.Funding{{DonationID: "D-C1", Amount: 30000}}
	f.add(t, entry(domain.TypeTrainingHeld, uxin, f.at(), training))

	last := head(t, f.store)
	for _, index := range []*projections.Index{nil, indexUpTo(t, f.store, last), indexUpTo(t, f.store, last-2)} {
		traceOf := func(id string) *projections.Trace {
			t.Helper()
			traced, err := projections.TraceEntity(ctx, f.store, index, id)
			if err != nil {
				t.Fatalf("trace %s: %v", id, err)
			}
			return traced
		}
		sameRoutes := func(what string, got []projections.Funded, want ...string) {
			t.Helper()
			if !slices.Equal(routes(got), want) {
				t.Errorf("index %v, %s:\n got %q\nwant %q", index != nil, what, routes(got), want)
			}
		}
		sameRoutes("V-H1 funded by", traceOf("V-H1").Spending.FundedBy,
			"D-P3→V-H1 1500.50 fifo from 150625", "D-C1→V-H1 999.50 fifo from 150600 via A-1 150600→150625")
		sameRoutes("V-J1 funded by", traceOf("V-J1").Spending.FundedBy, "D-R1→V-J1 600.00 fifo from 150626 via A-2 150626→150622")
		sameRoutes("S-U1 funded by", traceOf("S-U1").Spending.FundedBy,
			"D-C1→S-U1 300.00 explicit from 150600", "D-R1→S-U1 500.00 fifo from 150626")

		forward := func(id string, paid []string, allocated []projections.Allocated, unspent []projections.PotShare, remaining domain.Money) {
			t.Helper()
			donation := traceOf(id).Donation
			sameRoutes(id+" paid", donation.Paid, paid...)
			if !slices.Equal(donation.Allocated, allocated) || !slices.Equal(donation.Unspent, unspent) || donation.Remaining != remaining {
				t.Errorf("index %v, %s: allocated %+v, unspent %+v, remaining %s; want %+v, %+v, %s", index != nil, id,
					donation.Allocated, donation.Unspent, donation.Remaining, allocated, unspent, remaining)
			}
		}
		hop := func(id, from, to string, fen domain.Money) projections.Allocated {
			return projections.Allocated{Hop: projections.Hop{AllocationID: id, FromCounty: from, ToCounty: to}, Amount: fen}
		}
		forward("D-R1", []string{"D-R1→V-J1 600.00 fifo from 150626 via A-2 150626→150622", "D-R1→S-U1 500.00 fifo from 150626"},
			[]projections.Allocated{hop("A-2", uxin, jungar, 100000)},
			[]projections.PotShare{{County: jungar, Amount: 40000}, {County: uxin, Amount: 350000}}, 390000)
		forward("D-P3", []string{"D-P3→V-H1 1500.50 fifo from 150625"}, []projections.Allocated{}, []projections.PotShare{}, 0)
		forward("D-C1", []string{"D-C1→S-U1 300.00 explicit from 150600", "D-C1→V-H1 999.50 fifo from 150600 via A-1 150600→150625"},
			[]projections.Allocated{hop("A-1", cityCode, hanggin, 200000)},
			[]projections.PotShare{{County: cityCode, Amount: 70000}, {County: hanggin, Amount: 100050}}, 170050)
	}
}

// funded_by may name a donation received in another county. The trace
// sets the named money aside where it was received, while the ledger took
// the spending from the spending's own pot: the donation's own pot is then
// short in the trace by that much, and a spending it no longer covers is
// partly unfunded. By hand: D-X Uxin 100.00, D-Y Hanggin 50.00; V-Y
// Hanggin 50.00 names D-X for 50.00; V-X Uxin 100.00 finds D-X's other
// 50.00 in Uxin's pot and 50.00 unfunded; D-Y's 50.00 stays in Hanggin.
func TestTraceOfMoneyNamedAcrossCounties(t *testing.T) {
	f := newFundLedger(t)
	const uxin, hanggin = "150626", "150625"
	f.add(t, received(summer, uxin, "D-X", 10000, f.at()), received(summer, hanggin, "D-Y", 5000, f.at()))
	named := deliveryPayload(summer, "V-Y", "sanitation-workers", 5, 5000, 5000)
	named.FundedBy = []domain.Funding{{DonationID: "D-X", Amount: 5000}}
	f.add(t, entry(domain.TypeSuppliesDelivered, hanggin, f.at(), named))
	f.add(t, entry(domain.TypeSuppliesDelivered, uxin, f.at(), deliveryPayload(summer, "V-X", "sanitation-workers", 10, 10000, 10000)))
	for _, index := range []*projections.Index{nil, indexUpTo(t, f.store, head(t, f.store))} {
		traced, err := projections.TraceEntity(context.Background(), f.store, index, "V-X")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := routes(traced.Spending.FundedBy), []string{"D-X→V-X 50.00 fifo from 150626", "→V-X 50.00 unfunded from "}; !slices.Equal(got, want) {
			t.Errorf("index %v, V-X funded by %q, want %q", index != nil, got, want)
		}
		traced, err = projections.TraceEntity(context.Background(), f.store, index, "D-Y")
		if err != nil {
			t.Fatal(err)
		}
		if want := []projections.PotShare{{County: hanggin, Amount: 5000}}; len(traced.Donation.Paid) != 0 || !slices.Equal(traced.Donation.Unspent, want) {
			t.Errorf("index %v, D-Y paid %q, unspent %+v; want nothing paid, %+v", index != nil, routes(traced.Donation.Paid), traced.Donation.Unspent, want)
		}
	}
}
