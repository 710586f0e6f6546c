// Package projections folds the event log into the figures people ask for.
// Projections apply facts and never decide: the same events always give the
// same figures, so any total can be rebuilt from the log alone.
package projections

import (
	"maps"
	"sort"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// CountyTotals are one region's figures. Money is int64 fen in Go and a yuan
// string in JSON, like every amount of the ledger.
type CountyTotals struct {
	County              string       `json:"county"`
	Received            domain.Money `json:"received"`
	GoodsReceivedValue  domain.Money `json:"goods_received_value"`
	AllocatedIn         domain.Money `json:"allocated_in"`
	AllocatedOut        domain.Money `json:"allocated_out"`
	Spent               domain.Money `json:"spent"`
	GoodsDeliveredValue domain.Money `json:"goods_delivered_value"`
	Deliveries          int64        `json:"deliveries"`
	PeopleReached       int64        `json:"people_reached"`
	Sessions            int64        `json:"sessions"`
	Participants        int64        `json:"participants"`
	Services            int64        `json:"services"`
	PersonTimes         int64        `json:"person_times"`
	// ServicesByKind counts services per kind (visit, health-checkup, ...).
	ServicesByKind map[string]int64 `json:"services_by_kind"`
	Voided         int64            `json:"voided"`
	Corrected      int64            `json:"corrected"`
}

// Balance is what the region's pot holds: received plus allocated in, less
// allocated out and spent.
func (c CountyTotals) Balance() domain.Money {
	return c.Received + c.AllocatedIn - c.AllocatedOut - c.Spent
}

// Totals folds events into per-region totals. Voids and corrections are
// applied: a voided entry counts for nothing, a corrected one counts as its
// replacement, and the totals say how many of each there were.
type Totals struct {
	Position uint64
	regions  map[string]*CountyTotals
	// entries remembers each entry's effective payload so a later void or
	// correction can take it back.
	entries map[uuid.UUID]entry
}

type entry struct {
	eventType domain.EventType
	county    string
	payload   domain.Payload
}

// NewTotals returns empty totals.
func NewTotals() *Totals {
	return &Totals{regions: map[string]*CountyTotals{}, entries: map[uuid.UUID]entry{}}
}

func (t *Totals) region(code string) *CountyTotals {
	totals, ok := t.regions[code]
	if !ok {
		totals = &CountyTotals{County: code}
		t.regions[code] = totals
	}
	return totals
}

// Apply folds one stored event in.
func (t *Totals) Apply(record eventstore.Record) {
	event := record.Event
	t.Position = record.Position
	switch data := event.Data.(type) {
	case domain.EntryVoided:
		id, err := uuid.Parse(data.TargetEventID)
		if target, ok := t.entries[id]; ok && err == nil {
			t.add(target.payload, target.county, -1)
			delete(t.entries, id)
			t.region(target.county).Voided++
		}
	case *domain.EntryCorrected:
		id, err := uuid.Parse(data.TargetEventID)
		if target, ok := t.entries[id]; ok && err == nil {
			replacement, err := domain.ResolveCorrection(data, target.eventType)
			if err != nil {
				return
			}
			t.add(target.payload, target.county, -1)
			t.add(replacement, event.County, +1)
			t.entries[id] = entry{eventType: target.eventType, county: event.County, payload: replacement}
			t.region(event.County).Corrected++
		}
	default:
		t.add(event.Data, event.County, +1)
		t.entries[event.ID] = entry{eventType: event.Type, county: event.County, payload: event.Data}
	}
}

func (t *Totals) add(payload domain.Payload, county string, sign int64) {
	money := domain.Money(sign)
	totals := t.region(county)
	switch p := payload.(type) {
	case domain.DonationReceived:
		if p.Form == domain.FormMoney {
			totals.Received += money * p.Amount
		} else {
			totals.GoodsReceivedValue += money * goodsValue(p.Items)
		}
	case domain.FundsAllocated:
		t.region(p.FromCounty).AllocatedOut += money * p.Amount
		t.region(p.ToCounty).AllocatedIn += money * p.Amount
	case domain.SuppliesDelivered:
		totals.Spent += money * p.Spent
		totals.GoodsDeliveredValue += money * goodsValue(p.Items)
		totals.Deliveries += sign
		totals.PeopleReached += sign * p.Headcount
	case domain.TrainingHeld:
		totals.Spent += money * p.Cost
		totals.Sessions += sign
		totals.Participants += sign * p.Participants
	case domain.ServiceProvided:
		totals.Spent += money * p.Cost
		totals.Services += sign * p.Count
		if totals.ServicesByKind == nil {
			totals.ServicesByKind = map[string]int64{}
		}
		totals.ServicesByKind[p.Kind] += sign * p.Count
		totals.PersonTimes += sign * p.PersonTimes
	}
}

func goodsValue(items []domain.GoodsItem) domain.Money {
	var total domain.Money
	for _, item := range items {
		total += item.Value
	}
	return total
}

// Regions returns every region's totals, ordered by code.
func (t *Totals) Regions() []CountyTotals {
	out := make([]CountyTotals, 0, len(t.regions))
	for _, totals := range t.regions {
		copied := *totals
		copied.ServicesByKind = maps.Clone(totals.ServicesByKind)
		out = append(out, copied)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].County < out[j].County })
	return out
}

// Sum adds every region up into city-wide figures. Allocations between
// regions cancel out.
func (t *Totals) Sum() CountyTotals {
	sum := CountyTotals{County: "all"}
	for _, c := range t.regions {
		sum.Received += c.Received
		sum.GoodsReceivedValue += c.GoodsReceivedValue
		sum.AllocatedIn += c.AllocatedIn
		sum.AllocatedOut += c.AllocatedOut
		sum.Spent += c.Spent
		sum.GoodsDeliveredValue += c.GoodsDeliveredValue
		sum.Deliveries += c.Deliveries
		sum.PeopleReached += c.PeopleReached
		sum.Sessions += c.Sessions
		sum.Participants += c.Participants
		sum.Services += c.Services
		sum.PersonTimes += c.PersonTimes
		for kind, count := range c.ServicesByKind {
			if sum.ServicesByKind == nil {
				sum.ServicesByKind = map[string]int64{}
			}
			sum.ServicesByKind[kind] += count
		}
		sum.Voided += c.Voided
		sum.Corrected += c.Corrected
	}
	return sum
}
