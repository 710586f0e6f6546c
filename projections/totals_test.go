package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

// cst is the federation's time, in which the totals cut days.
var cst = time.FixedZone("CST", 8*3600)

// fixedClock is the ledger's clock in tests that do not travel in time:
// every random history lies before it.
func fixedClock() time.Time { return time.Date(2022, 7, 31, 18, 0, 0, 0, cst) }

var (
	testCampaigns = []string{"general", "2022-summer-cooling"}
	cityCode      = "150600"
	testCounties  = []string{"150602", "150626", "150627"}
	testRegions   = append([]string{cityCode}, testCounties...)
	testGroups    = []string{"outdoor-workers", "sanitation-workers", "construction-workers"}
)

// env is a real embedded JetStream server with the event store, the
// checkpoint bucket and the ledger service on it.
type env struct {
	server      *server.Server
	store       *natsjs.Store
	connection  *nats.Conn
	checkpoints *natsjs.Checkpoints
	service     *ledger.Service
}

func newEnv(t *testing.T, storage natsjs.Storage, clock func() time.Time) *env {
	t.Helper()
	return openEnv(t, t.TempDir(), storage, clock)
}

func openEnv(t *testing.T, dir string, storage natsjs.Storage, clock func() time.Time) *env {
	t.Helper()
	natsServer := natsjstest.RunServer(t, dir, false)
	connection := natsjstest.Connect(t, natsServer)
	store := natsjstest.Open(t, connection, natsjs.Options{Storage: storage})
	checkpoints, err := natsjs.OpenCheckpoints(context.Background(), connection, 1)
	if err != nil {
		t.Fatalf("open checkpoints: %v", err)
	}
	return &env{server: natsServer, store: store, connection: connection, checkpoints: checkpoints,
		service: ledger.New(store, ledger.Options{Clock: clock})}
}

// stop shuts the store, the connection and the whole server down, as a
// restart of the ledger process does.
func (e *env) stop() {
	_ = e.store.Close()
	e.connection.Close()
	e.server.Shutdown()
	e.server.WaitForShutdown()
}

func (e *env) record(t *testing.T, events ...domain.Event) []ledger.Result {
	t.Helper()
	results, err := e.service.Record(context.Background(), events)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	return results
}

// Event builders: each returns an entry that passes validation.

func received(campaign, county, id string, fen domain.Money, at time.Time) domain.Event {
	return domain.Event{Type: domain.TypeDonationReceived, County: county, OccurredAt: at, Actor: "clerk-test",
		Data: domain.DonationReceived{DonationID: id, Campaign: campaign, DonorKind: "enterprise",
			DonorOrg: "鄂尔多斯市某能源有限公司", Form: domain.FormMoney, Amount: fen}}
}

func pledged(campaign, county, id string, fen domain.Money, at time.Time) domain.Event {
	return domain.Event{Type: domain.TypeDonationPledged, County: county, OccurredAt: at, Actor: "clerk-test",
		Data: domain.DonationPledged{DonationID: id, Campaign: campaign, DonorKind: "enterprise",
			DonorOrg: "鄂尔多斯市某建设集团", Form: domain.FormMoney, Amount: fen}}
}

func allocated(campaign, id, to string, fen domain.Money, at time.Time) domain.Event {
	return domain.Event{Type: domain.TypeFundsAllocated, County: to, OccurredAt: at, Actor: "finance-test",
		Data: domain.FundsAllocated{AllocationID: id, Campaign: campaign, FromCounty: cityCode, ToCounty: to, Amount: fen}}
}

func deliveryPayload(campaign, id, group string, headcount int64, value, spent domain.Money) domain.SuppliesDelivered {
	return domain.SuppliesDelivered{DeliveryID: id, Campaign: campaign,
		Site:             domain.Site{Kind: "sanitation-depot", Name: "东胜区环卫站"},
		BeneficiaryGroup: group, Headcount: headcount,
		Items: []domain.GoodsItem{{Item: "drinking-water", Unit: "箱", Quantity: headcount, Value: value}},
		Spent: spent}
}

func trainingPayload(campaign, id, format, group string, participants int64, cost domain.Money) domain.TrainingHeld {
	return domain.TrainingHeld{SessionID: id, Campaign: campaign, Topic: "heatstroke-prevention", Title: "防暑降温知识讲座",
		Format: format, Participants: participants, DurationMinutes: 90, Venue: "职工之家", BeneficiaryGroup: group, Cost: cost}
}

func servicePayload(campaign, id, kind, group string, count, personTimes int64, cost domain.Money) domain.ServiceProvided {
	return domain.ServiceProvided{ServiceID: id, Campaign: campaign, Kind: kind, BeneficiaryGroup: group,
		Count: count, PersonTimes: personTimes, Cost: cost}
}

func entry(eventType domain.EventType, county string, at time.Time, payload domain.Payload) domain.Event {
	return domain.Event{Type: eventType, County: county, OccurredAt: at, Actor: "clerk-test", Data: payload}
}

func voidOf(campaign, county, target string, at time.Time) domain.Event {
	return domain.Event{Type: domain.TypeEntryVoided, County: county, OccurredAt: at, Actor: "finance-test",
		Data: domain.EntryVoided{Campaign: campaign, TargetEventID: target, Reason: "录入错误，作废"}}
}

func correctionOf(t testing.TB, campaign, county, target string, replacement domain.Payload, reason string, at time.Time) domain.Event {
	t.Helper()
	raw, err := json.Marshal(replacement)
	if err != nil {
		t.Fatalf("marshal replacement: %v", err)
	}
	return domain.Event{Type: domain.TypeEntryCorrected, County: county, OccurredAt: at, Actor: "finance-test",
		Data: &domain.EntryCorrected{Campaign: campaign, TargetEventID: target, Reason: reason, Replacement: raw}}
}

// sent is an entry the ledger accepted, as the test wrote it, with what
// Record returned. Corrections keep their replacement as a Go value so the
// expected figures never decode anything with production code.
type sent struct {
	event       domain.Event
	replacement domain.Payload
	result      ledger.Result
}

// book is what the generator knows of a history: every pot's balance and
// every entry's effective payload, so it proposes entries the ledger
// accepts.
type book struct {
	pots    map[string]domain.Money // campaign/region → money held
	entries map[uuid.UUID]*bookEntry
	ids     []uuid.UUID // originals, in the order they were accepted
}

type bookEntry struct {
	campaign string
	county   string
	payload  domain.Payload
	voided   bool
}

func potKey(campaign, region string) string { return campaign + "/" + region }

// moneyEffect is what an entry does to the pots of its campaign.
func moneyEffect(payload domain.Payload, county string) map[string]domain.Money {
	switch p := payload.(type) {
	case domain.DonationReceived:
		if p.Form != domain.FormMoney {
			return nil
		}
		return map[string]domain.Money{county: p.Amount}
	case domain.FundsAllocated:
		return map[string]domain.Money{p.FromCounty: -p.Amount, p.ToCounty: p.Amount}
	case domain.SuppliesDelivered:
		return map[string]domain.Money{county: -p.Spent}
	case domain.TrainingHeld:
		return map[string]domain.Money{county: -p.Cost}
	case domain.ServiceProvided:
		return map[string]domain.Money{county: -p.Cost}
	}
	return nil
}

func addEffect(pots map[string]domain.Money, campaign string, payload domain.Payload, county string, sign domain.Money) {
	for region, amount := range moneyEffect(payload, county) {
		pots[potKey(campaign, region)] += sign * amount
	}
}

func (b *book) apply(s sent) {
	campaign := s.event.Data.CampaignCode()
	switch data := s.event.Data.(type) {
	case domain.EntryVoided:
		target := b.entries[uuid.MustParse(data.TargetEventID)]
		addEffect(b.pots, campaign, target.payload, target.county, -1)
		target.voided = true
	case *domain.EntryCorrected:
		target := b.entries[uuid.MustParse(data.TargetEventID)]
		addEffect(b.pots, campaign, target.payload, target.county, -1)
		target.payload, target.county = s.replacement, s.event.County
		addEffect(b.pots, campaign, target.payload, target.county, +1)
	default:
		b.entries[s.result.EventID] = &bookEntry{campaign: campaign, county: s.event.County, payload: s.event.Data}
		b.ids = append(b.ids, s.result.EventID)
		addEffect(b.pots, campaign, s.event.Data, s.event.County, +1)
	}
}

// history writes a random history through the ledger: donations at the city
// level and in counties, allocations, spending within the balance, voids and
// corrections of earlier entries, and back-dated entries.
type history struct {
	t        *testing.T
	env      *env
	rng      *rand.Rand
	cursor   time.Time
	limit    time.Time
	book     book
	log      []sent
	counter  int
	rejected int
	batches  int
}

func newHistory(t *testing.T, e *env, seed uint64, start time.Time) *history {
	return &history{t: t, env: e, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), cursor: start,
		limit: fixedClock().Add(-time.Hour), book: book{pots: map[string]domain.Money{}, entries: map[uuid.UUID]*bookEntry{}}}
}

func (h *history) pick(values []string) string { return values[h.rng.IntN(len(values))] }

func (h *history) id(prefix string) string {
	h.counter++
	return fmt.Sprintf("%s-%d", prefix, h.counter)
}

// occurredAt moves the clerk's clock forward a little, and one time in four
// back-dates the entry by up to ten days.
func (h *history) occurredAt() time.Time {
	h.cursor = h.cursor.Add(time.Duration(h.rng.IntN(10*60)) * time.Minute)
	if h.cursor.After(h.limit) {
		h.cursor = h.limit
	}
	if h.rng.IntN(4) == 0 {
		return h.cursor.Add(-time.Duration(1+h.rng.IntN(10*24*60)) * time.Minute)
	}
	return h.cursor
}

// upTo is a random amount in [low, high], or low if high < low.
func (h *history) upTo(low, high domain.Money) domain.Money {
	if high <= low {
		return low
	}
	return low + domain.Money(h.rng.Int64N(int64(high-low)+1))
}

// proposal is an entry the generator wants to write, with its corrected
// payload when it is a correction.
type proposal struct {
	event       domain.Event
	replacement domain.Payload
	target      uuid.UUID
}

// propose returns one entry that keeps every pot at or above zero given the
// pending pots; touched entries (voided or corrected in this batch) are not
// targeted again, since a request cannot void or correct an entry twice.
func (h *history) propose(pots map[string]domain.Money, touched map[uuid.UUID]bool) (proposal, bool) {
	campaign := h.pick(testCampaigns)
	pot := func(region string) domain.Money { return pots[potKey(campaign, region)] }
	at := h.occurredAt()
	switch roll := h.rng.IntN(100); {
	case roll < 18:
		county := h.pick(testRegions)
		if h.rng.IntN(2) == 0 {
			county = cityCode
		}
		event := received(campaign, county, h.id("D"), h.upTo(1000, 500000), at)
		if h.rng.IntN(5) == 0 {
			event.Data = h.goods(event.Data.(domain.DonationReceived))
		}
		return proposal{event: event}, true
	case roll < 22:
		return proposal{event: pledged(campaign, h.pick(testRegions), h.id("P"), h.upTo(1000, 900000), at)}, true
	case roll < 34:
		if pot(cityCode) < 1 {
			return proposal{}, false
		}
		to := h.pick(testCounties)
		return proposal{event: allocated(campaign, h.id("A"), to, h.upTo(1, min(pot(cityCode), 300000)), at)}, true
	case roll < 64:
		county := h.pick(testCounties)
		if h.rng.IntN(8) == 0 {
			county = cityCode
		}
		spend := h.upTo(0, min(pot(county), 150000))
		group := h.pick(testGroups)
		switch h.rng.IntN(3) {
		case 0:
			payload := deliveryPayload(campaign, h.id("V"), group, 1+h.rng.Int64N(200), h.upTo(100, 90000), spend)
			return proposal{event: entry(domain.TypeSuppliesDelivered, county, at, payload)}, true
		case 1:
			if h.rng.IntN(3) == 0 {
				group = ""
			}
			payload := trainingPayload(campaign, h.id("S"), h.pick([]string{"online", "offline", "both"}), group, 1+h.rng.Int64N(300), spend)
			return proposal{event: entry(domain.TypeTrainingHeld, county, at, payload)}, true
		default:
			payload := servicePayload(campaign, h.id("SV"), h.pick([]string{"health-checkup", "visit", "legal-consultation"}),
				group, 1+h.rng.Int64N(20), h.rng.Int64N(500), spend)
			return proposal{event: entry(domain.TypeServiceProvided, county, at, payload)}, true
		}
	case roll < 78:
		id, target, ok := h.target(touched)
		if !ok {
			return proposal{}, false
		}
		change := map[string]domain.Money{}
		addEffect(change, target.campaign, target.payload, target.county, -1)
		for key, amount := range change {
			if pots[key]+amount < 0 {
				return proposal{}, false
			}
		}
		return proposal{event: voidOf(target.campaign, target.county, id.String(), at), target: id}, true
	default:
		id, target, ok := h.target(touched)
		if !ok {
			return proposal{}, false
		}
		replacement, county := h.corrected(target, pots)
		change := map[string]domain.Money{}
		addEffect(change, target.campaign, target.payload, target.county, -1)
		addEffect(change, target.campaign, replacement, county, +1)
		for key, amount := range change {
			if pots[key]+amount < 0 {
				return proposal{}, false
			}
		}
		reason := "与原始凭证核对后更正"
		return proposal{event: correctionOf(h.t, target.campaign, county, id.String(), replacement, reason, at),
			replacement: replacement, target: id}, true
	}
}

// goods turns a donation into one of goods: one or two kinds of item.
func (h *history) goods(p domain.DonationReceived) domain.DonationReceived {
	p.Form, p.Amount = domain.FormGoods, 0
	p.Items = []domain.GoodsItem{{Item: "herbal-tea", Unit: "箱", Quantity: 1 + h.rng.Int64N(500), Value: h.upTo(100, 300000)}}
	if h.rng.IntN(2) == 0 {
		p.Items = append(p.Items, domain.GoodsItem{Item: "sunscreen", Unit: "支", Quantity: 1 + h.rng.Int64N(500), Value: h.upTo(100, 100000)})
	}
	return p
}

func (h *history) target(touched map[uuid.UUID]bool) (uuid.UUID, *bookEntry, bool) {
	var candidates []uuid.UUID
	for _, id := range h.book.ids {
		if !h.book.entries[id].voided && !touched[id] {
			candidates = append(candidates, id)
		}
	}
	if len(candidates) == 0 {
		return uuid.Nil, nil, false
	}
	id := candidates[h.rng.IntN(len(candidates))]
	return id, h.book.entries[id], true
}

// corrected changes an entry's amounts and counts, keeping its id and type;
// one spending correction in four moves it to another county.
func (h *history) corrected(target *bookEntry, pots map[string]domain.Money) (domain.Payload, string) {
	pot := func(region string) domain.Money { return pots[potKey(target.campaign, region)] }
	county := target.county
	// What a spending may cost: what its county holds plus, if it stays,
	// what it cost before.
	spendable := func(old domain.Money) domain.Money {
		if h.rng.IntN(4) == 0 {
			county = h.pick(testCounties)
		}
		if county == target.county {
			return min(pot(county)+old, old+150000)
		}
		return min(pot(county), 150000)
	}
	switch p := target.payload.(type) {
	case domain.DonationReceived:
		// One correction in five turns money into goods or goods into
		// money; the others change the amount or the goods.
		switch {
		case p.Form == domain.FormGoods && h.rng.IntN(5) == 0:
			p.Form, p.Items, p.Amount = domain.FormMoney, nil, h.upTo(1000, 500000)
		case p.Form == domain.FormGoods:
			p = h.goods(p)
		case h.rng.IntN(5) == 0 && pot(county) >= p.Amount:
			p = h.goods(p)
		default:
			p.Amount = h.upTo(max(1, p.Amount-pot(county)), p.Amount+200000)
		}
		p.Note = "与银行回单及入库单核对"
		return p, county
	case domain.DonationPledged:
		p.Amount = h.upTo(1, 900000)
		return p, county
	case domain.FundsAllocated:
		if to := h.pick(testCounties); to != p.ToCounty && h.rng.IntN(4) == 0 && pot(p.ToCounty) >= p.Amount {
			// The money went to another county: the correction is
			// recorded in the county that received it.
			p.ToCounty, county = to, to
			p.Amount = h.upTo(1, p.Amount+pot(p.FromCounty))
			return p, county
		}
		p.Amount = h.upTo(max(1, p.Amount-pot(p.ToCounty)), p.Amount+pot(p.FromCounty))
		return p, county
	case domain.SuppliesDelivered:
		p.Spent = h.upTo(0, spendable(p.Spent))
		p.Headcount = 1 + h.rng.Int64N(200)
		p.Items = []domain.GoodsItem{{Item: "drinking-water", Unit: "箱", Quantity: p.Headcount, Value: h.upTo(100, 90000)}}
		return p, county
	case domain.TrainingHeld:
		p.Cost = h.upTo(0, spendable(p.Cost))
		p.Participants = 1 + h.rng.Int64N(300)
		return p, county
	case domain.ServiceProvided:
		p.Cost = h.upTo(0, spendable(p.Cost))
		p.Count = 1 + h.rng.Int64N(20)
		p.PersonTimes = h.rng.Int64N(500)
		return p, county
	}
	h.t.Fatalf("cannot correct %T", target.payload)
	return nil, ""
}

// batch proposes up to size entries and records them in one request. A
// refused request is recorded again entry by entry, skipping the refused
// ones. It returns how many entries were written.
func (h *history) batch(ctx context.Context, size int) int {
	h.t.Helper()
	pots := maps.Clone(h.book.pots)
	touched := map[uuid.UUID]bool{}
	var proposals []proposal
	for attempts := 0; len(proposals) < size && attempts < 10*size; attempts++ {
		p, ok := h.propose(pots, touched)
		if !ok {
			continue
		}
		campaign := p.event.Data.CampaignCode()
		switch data := p.event.Data.(type) {
		case domain.EntryVoided:
			target := h.book.entries[p.target]
			addEffect(pots, campaign, target.payload, target.county, -1)
			touched[p.target] = true
		case *domain.EntryCorrected:
			target := h.book.entries[p.target]
			addEffect(pots, campaign, target.payload, target.county, -1)
			addEffect(pots, campaign, p.replacement, p.event.County, +1)
			touched[p.target] = true
		default:
			addEffect(pots, campaign, data, p.event.County, +1)
		}
		proposals = append(proposals, p)
	}
	if len(proposals) == 0 {
		return 0
	}
	h.batches++
	events := make([]domain.Event, len(proposals))
	for i, p := range proposals {
		events[i] = p.event
	}
	results, err := h.env.service.Record(ctx, events)
	if err == nil {
		for i, p := range proposals {
			h.accept(sent{event: p.event, replacement: p.replacement, result: results[i]})
		}
		return len(proposals)
	}
	if !errors.Is(err, domain.ErrRejected) {
		h.t.Fatalf("record batch of %d: %v", len(events), err)
	}
	written := 0
	for _, p := range proposals {
		results, err := h.env.service.Record(ctx, []domain.Event{p.event})
		switch {
		case errors.Is(err, domain.ErrRejected):
			h.rejected++
		case err != nil:
			h.t.Fatalf("record %s: %v", p.event.Type, err)
		default:
			h.accept(sent{event: p.event, replacement: p.replacement, result: results[0]})
			written++
		}
	}
	return written
}

func (h *history) accept(s sent) {
	h.log = append(h.log, s)
	h.book.apply(s)
}

// write records about n entries in random batches of 1 to 8, calling after
// each request that wrote something.
func (h *history) write(ctx context.Context, n int, after func()) {
	for proposed := 0; proposed < n; {
		size := 1 + h.rng.IntN(8)
		proposed += size
		if h.batch(ctx, size) > 0 && after != nil {
			after()
		}
	}
}

// figures is the test's own account of a cell, computed without the
// projection's code.
type figures struct {
	Pledged             domain.Money
	Received            domain.Money
	AllocatedIn         domain.Money
	AllocatedOut        domain.Money
	Spent               domain.Money
	GoodsReceivedValue  domain.Money
	GoodsDeliveredValue domain.Money
	Deliveries          int64
	PeopleReached       int64
	Sessions            int64
	Participants        int64
	Services            int64
	PersonTimes         int64
	Voided              int64
	Corrected           int64
	PeopleByGroup       map[string]int64
}

func (f *figures) addGroup(group string, people int64) {
	if group == "" || people == 0 {
		return
	}
	if f.PeopleByGroup == nil {
		f.PeopleByGroup = map[string]int64{}
	}
	f.PeopleByGroup[group] += people
	if f.PeopleByGroup[group] == 0 {
		delete(f.PeopleByGroup, group)
	}
}

func (f *figures) add(other figures) {
	f.Pledged += other.Pledged
	f.Received += other.Received
	f.AllocatedIn += other.AllocatedIn
	f.AllocatedOut += other.AllocatedOut
	f.Spent += other.Spent
	f.GoodsReceivedValue += other.GoodsReceivedValue
	f.GoodsDeliveredValue += other.GoodsDeliveredValue
	f.Deliveries += other.Deliveries
	f.PeopleReached += other.PeopleReached
	f.Sessions += other.Sessions
	f.Participants += other.Participants
	f.Services += other.Services
	f.PersonTimes += other.PersonTimes
	f.Voided += other.Voided
	f.Corrected += other.Corrected
	for group, people := range other.PeopleByGroup {
		f.addGroup(group, people)
	}
}

func figuresOf(f projections.Figures) figures {
	out := figures{Pledged: f.Pledged, Received: f.Received, AllocatedIn: f.AllocatedIn, AllocatedOut: f.AllocatedOut,
		Spent: f.Spent, GoodsReceivedValue: f.GoodsReceivedValue, GoodsDeliveredValue: f.GoodsDeliveredValue, Deliveries: f.Deliveries, PeopleReached: f.PeopleReached,
		Sessions: f.Sessions, Participants: f.Participants, Services: f.Services, PersonTimes: f.PersonTimes,
		Voided: f.Voided, Corrected: f.Corrected}
	for group, people := range f.PeopleByGroup {
		out.addGroup(group, people)
	}
	return out
}

type cellID struct{ campaign, county, day string }

// expectedCells recomputes the totals from the entries the test recorded:
// each entry's effective payload and county after its corrections, voided
// entries dropped, counted on the day (Beijing time) the original occurred.
func expectedCells(log []sent) map[cellID]*figures {
	ordered := slices.Clone(log)
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].result.Position < ordered[j].result.Position })
	type live struct {
		campaign, county, day string
		payload               domain.Payload
	}
	entries := map[string]*live{}
	cells := map[cellID]*figures{}
	cell := func(campaign, county, day string) *figures {
		key := cellID{campaign, county, day}
		if cells[key] == nil {
			cells[key] = &figures{}
		}
		return cells[key]
	}
	for _, s := range ordered {
		campaign := s.event.Data.CampaignCode()
		switch data := s.event.Data.(type) {
		case domain.EntryVoided:
			target := entries[data.TargetEventID]
			cell(campaign, target.county, target.day).Voided++
			delete(entries, data.TargetEventID)
		case *domain.EntryCorrected:
			target := entries[data.TargetEventID]
			target.payload, target.county = s.replacement, s.event.County
			cell(campaign, target.county, target.day).Corrected++
		default:
			entries[s.result.EventID.String()] = &live{campaign: campaign, county: s.event.County,
				day: s.event.OccurredAt.In(cst).Format(time.DateOnly), payload: s.event.Data}
		}
	}
	for _, e := range entries {
		f := cell(e.campaign, e.county, e.day)
		switch p := e.payload.(type) {
		case domain.DonationPledged:
			f.Pledged += p.Amount
		case domain.DonationReceived:
			if p.Form == domain.FormMoney {
				f.Received += p.Amount
			}
			for _, item := range p.Items {
				f.GoodsReceivedValue += item.Value
			}
		case domain.FundsAllocated:
			cell(e.campaign, p.FromCounty, e.day).AllocatedOut += p.Amount
			cell(e.campaign, p.ToCounty, e.day).AllocatedIn += p.Amount
		case domain.SuppliesDelivered:
			f.Spent += p.Spent
			for _, item := range p.Items {
				f.GoodsDeliveredValue += item.Value
			}
			f.Deliveries++
			f.PeopleReached += p.Headcount
			f.addGroup(p.BeneficiaryGroup, p.Headcount)
		case domain.TrainingHeld:
			f.Spent += p.Cost
			f.Sessions++
			f.Participants += p.Participants
			f.addGroup(p.BeneficiaryGroup, p.Participants)
		case domain.ServiceProvided:
			f.Spent += p.Cost
			f.Services += p.Count
			f.PersonTimes += p.PersonTimes
			f.addGroup(p.BeneficiaryGroup, p.PersonTimes)
		}
	}
	return cells
}

// expectedRows sums the cells of a campaign (or all) by region and period
// (day, or "" for the whole history), and by period over all regions.
func expectedRows(cells map[cellID]*figures, campaign, by string) (map[[2]string]figures, map[string]figures) {
	rows, all := map[[2]string]figures{}, map[string]figures{}
	for key, f := range cells {
		if campaign != "" && key.campaign != campaign {
			continue
		}
		label := ""
		if by == projections.ByDay {
			label = key.day
		}
		row := rows[[2]string{key.county, label}]
		row.add(*f)
		rows[[2]string{key.county, label}] = row
		sum := all[label]
		sum.add(*f)
		all[label] = sum
	}
	return rows, all
}

// compareWithModel checks an answer field by field against the test's own
// figures. A row missing on one side must be all zero on the other.
func compareWithModel(t *testing.T, what string, answer projections.Answer, cells map[cellID]*figures, query projections.Query) {
	t.Helper()
	wantRows, wantAll := expectedRows(cells, query.Campaign, query.By)
	gotRows, gotAll := map[[2]string]figures{}, map[string]figures{}
	for _, row := range answer.Rows {
		gotRows[[2]string{row.County, row.Period}] = figuresOf(row.Figures)
	}
	for _, row := range answer.All {
		if row.County != projections.AllRegions {
			t.Errorf("%s: an all-regions row names county %q", what, row.County)
		}
		gotAll[row.Period] = figuresOf(row.Figures)
	}
	mismatches := 0
	check := func(label string, got, want figures) {
		if reflect.DeepEqual(got, want) {
			return
		}
		mismatches++
		if mismatches <= 5 {
			t.Errorf("%s %+v: %s\n got %+v\nwant %+v", what, query, label, got, want)
		}
	}
	for _, key := range unionOf(gotRows, wantRows) {
		check(fmt.Sprintf("region %s period %q", key[0], key[1]), gotRows[key], wantRows[key])
	}
	for _, key := range unionOf(gotAll, wantAll) {
		check(fmt.Sprintf("all regions period %q", key), gotAll[key], wantAll[key])
	}
	if mismatches > 5 {
		t.Errorf("%s %+v: %d rows differ in all", what, query, mismatches)
	}
}

func unionOf[K cmpKey, V any](first, second map[K]V) []K {
	keys := slices.Collect(maps.Keys(first))
	for key := range second {
		if _, ok := first[key]; !ok {
			keys = append(keys, key)
		}
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

type cmpKey interface{ ~string | ~[2]string }

func compareKeys[K cmpKey](a, b K) int { return cmpString(fmt.Sprint(a), fmt.Sprint(b)) }

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// queries are the questions every fold is asked in these tests.
func queries() []projections.Query {
	list := []projections.Query{{By: projections.ByDay}, {}}
	for _, campaign := range testCampaigns {
		list = append(list, projections.Query{Campaign: campaign, By: projections.ByDay})
	}
	return list
}

func mustJSON(t *testing.T, value any) []byte {
	t.Helper()
	encoded, err := json.Marshal(value)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return encoded
}

// view is a fold's state and its answers to the queries, encoded.
type view struct {
	state   []byte
	answers [][]byte
	decoded []projections.Answer
}

type folded interface {
	Query(projections.Query) (projections.Answer, error)
	MarshalState() ([]byte, error)
}

func viewOf(t *testing.T, totals folded, qs []projections.Query) view {
	t.Helper()
	state, err := totals.MarshalState()
	if err != nil {
		t.Fatalf("marshal state: %v", err)
	}
	v := view{state: state}
	for _, q := range qs {
		answer, err := totals.Query(q)
		if err != nil {
			t.Fatalf("query %+v: %v", q, err)
		}
		v.answers = append(v.answers, mustJSON(t, answer))
		v.decoded = append(v.decoded, answer)
	}
	return v
}

// runnerView reads a runner's projection under the runner's lock.
func runnerView(t *testing.T, runner *projections.Runner, projection folded, qs []projections.Query) view {
	t.Helper()
	var v view
	runner.View(func(uint64) { v = viewOf(t, projection, qs) })
	return v
}

func sameView(t *testing.T, what string, got, want view, qs []projections.Query) {
	t.Helper()
	if !bytes.Equal(got.state, want.state) {
		t.Errorf("%s: state differs\n got %s\nwant %s", what, got.state, want.state)
	}
	for i, q := range qs {
		if !bytes.Equal(got.answers[i], want.answers[i]) {
			t.Errorf("%s: answer to %+v differs\n got %s\nwant %s", what, q, got.answers[i], want.answers[i])
		}
	}
}

func head(t *testing.T, store eventstore.Store) uint64 {
	t.Helper()
	position, err := store.Head(context.Background())
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	return position
}

func TestTotalsPropertyRandomHistories(t *testing.T) {
	const seeds = 30
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, natsjs.MemoryStorage, fixedClock)
			h := newHistory(t, e, seed, time.Date(2022, 6, 12, 8, 0, 0, 0, cst))
			qs := queries()
			// (a) incremental: catch up after every request; every fourth
			// request the runner is replaced by a new one that loads the
			// checkpoint, as after a restart.
			projection := projections.NewTotalsProjection()
			runner := projections.NewRunner(e.store, e.checkpoints, projection, projections.RunnerOptions{Clock: fixedClock})
			if err := runner.Load(ctx); err != nil {
				t.Fatalf("load: %v", err)
			}
			requests := 0
			h.write(ctx, 60+h.rng.IntN(91), func() {
				requests++
				if requests%4 == 0 {
					projection = projections.NewTotalsProjection()
					runner = projections.NewRunner(e.store, e.checkpoints, projection, projections.RunnerOptions{Clock: fixedClock})
					if err := runner.Load(ctx); err != nil {
						t.Fatalf("load: %v", err)
					}
				}
				if err := runner.CatchUp(ctx, nil); err != nil {
					t.Fatalf("catch up: %v", err)
				}
				// The piecewise fold agrees with the test's account after
				// every request, not only at the end.
				byDay := []projections.Query{{By: projections.ByDay}}
				compareWithModel(t, fmt.Sprintf("incremental after request %d", requests),
					runnerView(t, runner, projection, byDay).decoded[0], expectedCells(h.log), byDay[0])
			})
			if len(h.log) < 40 {
				t.Fatalf("only %d entries written (%d refused)", len(h.log), h.rejected)
			}
			incremental := runnerView(t, runner, projection, qs)
			// (b) rebuild: a fresh runner, and a fold of the whole log.
			fresh := projections.NewTotalsProjection()
			rebuilder := projections.NewRunner(e.store, e.checkpoints, fresh, projections.RunnerOptions{Clock: fixedClock})
			if err := rebuilder.Rebuild(ctx, nil); err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			rebuilt := runnerView(t, rebuilder, fresh, qs)
			totals, err := projections.FoldTotals(ctx, e.store, projections.TotalsOptions{}, time.Time{}, "")
			if err != nil {
				t.Fatalf("fold: %v", err)
			}
			fold := viewOf(t, totals, qs)
			sameView(t, "incremental vs rebuild", incremental, rebuilt, qs)
			sameView(t, "fold vs rebuild", fold, rebuilt, qs)
			// (c) the test's own account of the same entries.
			cells := expectedCells(h.log)
			last := head(t, e.store)
			for i, q := range qs {
				if incremental.decoded[i].Position != last {
					t.Errorf("answer to %+v states position %d, want the head %d", q, incremental.decoded[i].Position, last)
				}
				compareWithModel(t, "incremental", incremental.decoded[i], cells, q)
				compareWithModel(t, "rebuild", rebuilt.decoded[i], cells, q)
			}
			kinds := map[string]int{}
			for _, s := range h.log {
				kinds[string(s.event.Type)]++
				if p, ok := s.replacement.(domain.DonationReceived); ok {
					kinds["donation corrected, now "+p.Form]++
				}
				if p, ok := s.event.Data.(domain.DonationReceived); ok && p.Form == domain.FormGoods {
					kinds["goods received"]++
				}
			}
			if kinds[string(domain.TypeEntryVoided)] == 0 || kinds[string(domain.TypeEntryCorrected)] == 0 || kinds[string(domain.TypeFundsAllocated)] == 0 {
				t.Errorf("history lacks voids, corrections or allocations: %v", kinds)
			}
			t.Logf("%d entries in %d requests (%d refused): %v", len(h.log), h.batches, h.rejected, kinds)
		})
	}
}

// stepClock is a ledger clock the test moves between requests, so entries
// get different recorded-at instants.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func TestTimeTravelBoundaries(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{}
	e := newEnv(t, natsjs.MemoryStorage, clock.Now)
	const campaign, county = "2022-summer-cooling", "150626"
	asOf := time.Date(2022, 6, 30, 18, 0, 0, 0, cst)
	fold := func(asOf, knownAt time.Time) *projections.Totals {
		t.Helper()
		totals, err := projections.FoldTotals(ctx, e.store, projections.TotalsOptions{AsOf: asOf}, knownAt, "")
		if err != nil {
			t.Fatalf("fold as of %v known at %v: %v", asOf, knownAt, err)
		}
		return totals
	}
	type want struct {
		received          domain.Money
		voided, corrected int64
		position          uint64
	}
	check := func(name string, totals *projections.Totals, w want) {
		t.Helper()
		answer, err := totals.Query(projections.Query{County: county})
		if err != nil {
			t.Fatalf("%s: query: %v", name, err)
		}
		var got projections.Figures
		if len(answer.All) == 1 {
			got = answer.All[0].Figures
		}
		if got.Received != w.received || got.Voided != w.voided || got.Corrected != w.corrected || answer.Position != w.position {
			t.Errorf("%s: received %s voided %d corrected %d at position %d; want %s, %d, %d at %d",
				name, got.Received, got.Voided, got.Corrected, answer.Position, w.received, w.voided, w.corrected, w.position)
		}
	}

	recorded1 := time.Date(2022, 7, 1, 10, 0, 0, 0, cst)
	clock.Set(recorded1)
	early := e.record(t, received(campaign, county, "D-EARLY", 100000, asOf.Add(-9*time.Hour)))[0]
	atAsOf := e.record(t, received(campaign, county, "D-AT", 20000, asOf))[0]
	justAfter := e.record(t, received(campaign, county, "D-AFTER", 3000, asOf.Add(time.Nanosecond)))[0]
	// Midnight in Beijing is 16:00 UTC the day before: the entry belongs to
	// 1 July.
	midnight := e.record(t, received(campaign, county, "D-MIDNIGHT", 400, time.Date(2022, 6, 30, 16, 0, 0, 0, time.UTC)))[0]

	check("as of the instant", fold(asOf, time.Time{}), want{received: 120000, position: midnight.Position})
	check("as of a nanosecond before", fold(asOf.Add(-time.Nanosecond), time.Time{}), want{received: 100000, position: midnight.Position})
	check("as of a nanosecond after", fold(asOf.Add(time.Nanosecond), time.Time{}), want{received: 123000, position: midnight.Position})
	byDay, err := fold(time.Time{}, time.Time{}).Query(projections.Query{County: county, By: projections.ByDay})
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]domain.Money{}
	for _, row := range byDay.Rows {
		days[row.Period] = row.Received
	}
	if days["2022-06-30"] != 123000 || days["2022-07-01"] != 400 || len(days) != 2 {
		t.Errorf("received by domain.Beijing day = %v, want 2022-06-30: 1230.00 and 2022-07-01: 4.00", days)
	}

	// A back-dated entry recorded an hour later.
	recorded2 := recorded1.Add(time.Hour)
	clock.Set(recorded2)
	back := e.record(t, received(campaign, county, "D-BACK", 50000, time.Date(2022, 6, 28, 12, 0, 0, 0, cst)))[0]
	check("as of, back-dated entry included", fold(asOf, time.Time{}), want{received: 170000, position: back.Position})
	check("as of, known before it was recorded", fold(asOf, recorded2.Add(-time.Nanosecond)), want{received: 120000, position: midnight.Position})
	check("as of, known when it was recorded", fold(asOf, recorded2), want{received: 170000, position: back.Position})
	check("known before it was recorded", fold(time.Time{}, recorded2.Add(-time.Nanosecond)), want{received: 123400, position: midnight.Position})
	check("known before anything was recorded", fold(time.Time{}, recorded1.Add(-time.Nanosecond)), want{})

	// A correction recorded later: 1000.00 was really 1500.00.
	recorded3 := recorded2.Add(time.Hour)
	clock.Set(recorded3)
	fixed := received(campaign, county, "D-EARLY", 150000, asOf.Add(-9*time.Hour)).Data
	correction := e.record(t, correctionOf(t, campaign, county, early.EventID.String(), fixed, "与银行回单核对", recorded3))[0]
	check("correction not yet known", fold(asOf, recorded3.Add(-time.Nanosecond)), want{received: 170000, position: back.Position})
	check("correction known", fold(asOf, recorded3), want{received: 220000, corrected: 1, position: correction.Position})
	check("correction applies as of", fold(asOf, time.Time{}), want{received: 220000, corrected: 1, position: correction.Position})

	// A void recorded later, of the entry at the as-of instant; the void
	// itself occurs after the instant and still applies.
	recorded4 := recorded3.Add(time.Hour)
	clock.Set(recorded4)
	void := e.record(t, voidOf(campaign, county, atAsOf.EventID.String(), recorded4))[0]
	check("void not yet known", fold(asOf, recorded4.Add(-time.Nanosecond)), want{received: 220000, corrected: 1, position: correction.Position})
	check("void known", fold(asOf, recorded4), want{received: 200000, voided: 1, corrected: 1, position: void.Position})

	// A void and a correction of entries after the instant change nothing
	// as of it.
	recorded5 := recorded4.Add(time.Hour)
	clock.Set(recorded5)
	late := e.record(t, voidOf(campaign, county, justAfter.EventID.String(), recorded5),
		correctionOf(t, campaign, county, midnight.EventID.String(),
			received(campaign, county, "D-MIDNIGHT", 500, recorded5).Data, "金额更正", recorded5))
	lastPosition := late[1].Position
	check("later void and correction, as of", fold(asOf, time.Time{}), want{received: 200000, voided: 1, corrected: 1, position: lastPosition})
	check("everything", fold(time.Time{}, time.Time{}), want{received: 150000 + 500 + 50000, voided: 2, corrected: 2, position: lastPosition})
	check("everything known before the last request", fold(time.Time{}, recorded5.Add(-time.Nanosecond)),
		want{received: 150000 + 3000 + 400 + 50000, voided: 1, corrected: 1, position: void.Position})
}

func TestRebuildsAreByteIdentical(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, natsjs.MemoryStorage, fixedClock)
	// A history across the turn of a year, so months and years group.
	h := newHistory(t, e, 4242, time.Date(2021, 12, 22, 8, 0, 0, 0, cst))
	h.write(ctx, 150, nil)
	qs := []projections.Query{{}, {By: projections.ByDay}, {By: projections.ByMonth}, {By: projections.ByYear},
		{Campaign: "general", By: projections.ByMonth}, {County: "150626", By: projections.ByYear}}

	var views []view
	for range 2 {
		totals, err := projections.FoldTotals(ctx, e.store, projections.TotalsOptions{}, time.Time{}, "")
		if err != nil {
			t.Fatalf("fold: %v", err)
		}
		views = append(views, viewOf(t, totals, qs))
	}
	for range 2 {
		projection := projections.NewTotalsProjection()
		runner := projections.NewRunner(e.store, e.checkpoints, projection, projections.RunnerOptions{Clock: fixedClock})
		if err := runner.Rebuild(ctx, nil); err != nil {
			t.Fatalf("rebuild: %v", err)
		}
		views = append(views, runnerView(t, runner, projection, qs))
	}
	// And the state as a checkpoint gives it back.
	loaded := projections.NewTotalsProjection()
	loader := projections.NewRunner(e.store, e.checkpoints, loaded, projections.RunnerOptions{Clock: fixedClock})
	if err := loader.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	views = append(views, runnerView(t, loader, loaded, qs))
	names := []string{"first fold", "second fold", "first runner rebuild", "second runner rebuild", "loaded checkpoint"}
	for i := 1; i < len(views); i++ {
		sameView(t, names[i]+" vs "+names[0], views[i], views[0], qs)
	}

	periods := func(answer projections.Answer) []string {
		var labels []string
		for _, row := range answer.All {
			labels = append(labels, row.Period)
		}
		return labels
	}
	if got := periods(views[0].decoded[3]); !slices.Equal(got, []string{"2021", "2022"}) {
		t.Errorf("years %v, want 2021 and 2022", got)
	}
	if got := periods(views[0].decoded[2]); !slices.Equal(got, []string{"2021-12", "2022-01"}) {
		t.Errorf("months %v, want 2021-12 and 2022-01", got)
	}
	// Days, months and years are the same figures grouped differently.
	whole := map[string]figures{}
	for _, row := range views[0].decoded[0].Rows {
		whole[row.County] = figuresOf(row.Figures)
	}
	for i, by := range []string{projections.ByDay, projections.ByMonth, projections.ByYear} {
		summed := map[string]figures{}
		for _, row := range views[0].decoded[i+1].Rows {
			f := summed[row.County]
			f.add(figuresOf(row.Figures))
			summed[row.County] = f
		}
		if !reflect.DeepEqual(summed, whole) {
			t.Errorf("rows by %s do not add up to the whole history:\n got %+v\nwant %+v", by, summed, whole)
		}
	}
	compareWithModel(t, "fold", views[0].decoded[1], expectedCells(h.log), qs[1])
}
