package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Funding rules, as a fund flow states them.
const (
	// RuleExplicit: the spending entry named the donation in funded_by.
	RuleExplicit = "explicit"
	// RuleFIFO: the rest of a spending is paid from the money in its
	// county's pot, first in first out: the donations received in that
	// county and the money allocations brought in, each allocation
	// carrying the donations whose money it took out of its source pot.
	RuleFIFO = "fifo"
	// RuleUnfunded: the spending's county pot held no traced money for it:
	// after corrections, or when funded_by named money received in another
	// county, which the trace sets aside in the pot where it was received
	// while the ledger took the spending from the spending's own pot.
	RuleUnfunded = "unfunded"
)

// Limits of tracing one entry's money, unit last.
const (
	// flowStepsMax bounds the links one trace follows: each step is one
	// payment or one allocation that moved part of the money.
	flowStepsMax = 1_000_000
	// flowHopsMax bounds the allocations one piece of money is followed
	// through. In a ledger whose pots never went below zero each hop goes
	// to an earlier allocation, so a chain ends; corrections can make two
	// allocations each claim the other's money, and the limit ends that.
	flowHopsMax = 64
)

// ErrFlowTooLarge says an entry's money takes more steps or hops to trace
// than flowStepsMax and flowHopsMax allow.
var ErrFlowTooLarge = errors.New("the money takes too many steps to trace")

// Hop is one allocation a donation's money passed through on its way to a
// spending or a pot.
type Hop struct {
	AllocationID string `json:"allocation_id"`
	FromCounty   string `json:"from_county"`
	ToCounty     string `json:"to_county"`
}

// Allocated is part of a donation's money that an allocation moved from
// one county's pot to another's.
type Allocated struct {
	Hop
	Amount domain.Money `json:"amount"`
}

// PotShare is part of a donation's money still unspent in a county's pot.
type PotShare struct {
	County string       `json:"county"`
	Amount domain.Money `json:"amount"`
}

// Funded is one link of money: a donation paying part of a spending entry.
// County is the spending's county, DonationCounty where the donation was
// received, and Via the allocations the money passed through from there.
type Funded struct {
	DonationID     string       `json:"donation_id,omitempty"`
	EntityID       string       `json:"entity_id"`
	Type           string       `json:"type"`
	County         string       `json:"county"`
	Amount         domain.Money `json:"amount"`
	Rule           string       `json:"rule"`
	DonationCounty string       `json:"donation_county,omitempty"`
	Via            []Hop        `json:"via,omitempty"`
}

// DonationFlow is where a money donation went: the spending it paid, the
// allocations that moved it between pots, and what of it is still unspent
// in which pot. Remaining is what it received less what it paid.
type DonationFlow struct {
	DonationID string       `json:"donation_id"`
	County     string       `json:"county"`
	Position   uint64       `json:"position"`
	Received   domain.Money `json:"received"`
	Paid       []Funded     `json:"paid"`
	Allocated  []Allocated  `json:"allocated"`
	Unspent    []PotShare   `json:"unspent"`
	Remaining  domain.Money `json:"remaining"`
}

// SpendingFlow is where the money of a delivery, session or service came
// from.
type SpendingFlow struct {
	EntityID string       `json:"entity_id"`
	Type     string       `json:"type"`
	County   string       `json:"county"`
	Position uint64       `json:"position"`
	Amount   domain.Money `json:"amount"`
	FundedBy []Funded     `json:"funded_by"`
}

// FundFlow is a campaign fund: its regions' balances, and every fen from
// donation to spending. The rule: funded_by on a spending entry is honoured
// first; what it leaves unnamed is paid first-in first-out from the money
// in the pot of the spending's county, the pots as docs/EVENTS.md defines
// them (see potLinks).
type FundFlow struct {
	Campaign  string          `json:"campaign"`
	Position  uint64          `json:"position"`
	Regions   []Row           `json:"regions"`
	Donations []*DonationFlow `json:"donations"`
	Spendings []*SpendingFlow `json:"spendings"`
}

// flowEntry is what a fund flow needs of one donation, allocation or
// spending entry, as corrected so far: compact, so the entity index can
// keep every campaign's entries in memory (64 bytes an entry).
type flowEntry struct {
	position uint64
	// county is the event's county; for an allocation, its from_county.
	county string
	entity string
	// amount is a money donation's amount, an allocation's, or what a
	// spending entry spent.
	amount domain.Money
	// more holds what few entries have: the donations a spending entry
	// names in funded_by, or an allocation's to_county (nil: neither). It
	// is a pointer because most entries have neither, and a nil pointer
	// costs a third of an empty slice.
	more     *flowMore
	kindCode flowKind
	donation bool
	voided   bool
}

// flowMore is the rarer part of a flow entry.
type flowMore struct {
	named []domain.Funding
	to    string
}

// flowKind is the event type of a flow entry, one of flowKinds, kept in a
// byte instead of a string.
type flowKind uint8

// flowKinds are the event types of the entries a fund flow takes in, in
// the order of their flowKind.
var flowKinds = [...]domain.EventType{domain.TypeDonationReceived, domain.TypeSuppliesDelivered, domain.TypeTrainingHeld,
	domain.TypeServiceProvided, domain.TypeFundsAllocated}

// The flowKinds of a donation (money or goods) and of an allocation.
const (
	kindDonation   flowKind = 0
	kindAllocation flowKind = 4
)

// kind is the entry's event type.
func (e *flowEntry) kind() domain.EventType { return flowKinds[e.kindCode] }

// fundings are the donations a spending entry names in funded_by.
func (e *flowEntry) fundings() []domain.Funding {
	if e.more == nil {
		return nil
	}
	return e.more.named
}

// toCounty is an allocation's to_county ("" for any other entry).
func (e *flowEntry) toCounty() string {
	if e.more == nil {
		return ""
	}
	return e.more.to
}

// activeDonation says whether an entry is a money donation that counts.
func (e *flowEntry) activeDonation() bool { return !e.voided && e.donation }

// activeAllocation says whether an entry is an allocation that moves
// money: one from a pot to itself (which the ledger refuses) moves none.
func (e *flowEntry) activeAllocation() bool {
	return !e.voided && e.kindCode == kindAllocation && e.amount > 0 && e.county != e.toCounty()
}

// activeSpending says whether an entry is a spending that counts.
func (e *flowEntry) activeSpending() bool {
	return !e.voided && !e.donation && e.kindCode != kindAllocation && e.amount > 0
}

// set takes an entry's payload (recorded or corrected) in.
func (e *flowEntry) set(payload domain.Payload, county string) {
	e.county, e.entity = county, domain.EntityID(payload)
	e.amount, e.more, e.donation = 0, nil, false
	switch p := payload.(type) {
	case domain.DonationReceived:
		if p.Form == domain.FormMoney {
			e.amount, e.donation = p.Amount, true
		}
	case domain.FundsAllocated:
		e.county, e.amount, e.more = p.FromCounty, p.Amount, &flowMore{to: p.ToCounty}
	default:
		var fundings []domain.Funding
		e.amount, fundings = spending(p)
		if len(fundings) > 0 {
			e.more = &flowMore{named: fundings}
		}
	}
}

// flowEntries are a campaign's donation, allocation and spending entries
// in log order.
type flowEntries []flowEntry

// fold takes one event of the campaign in. find locates an entry by its
// event id (-1: not a donation, allocation or spending entry of the
// campaign).
func (entries *flowEntries) fold(record eventstore.Record, find func(uuid.UUID) int) error {
	event := record.Event
	switch data := event.Data.(type) {
	case domain.EntryVoided:
		if i := entries.target(data, data.TargetEventID, find); i >= 0 {
			(*entries)[i].voided = true
		}
	case *domain.EntryCorrected:
		if i := entries.target(data, data.TargetEventID, find); i >= 0 {
			entry := &(*entries)[i]
			replacement, err := domain.ResolveCorrection(data, entry.kind())
			if err != nil {
				return err
			}
			entry.set(replacement, event.County)
		}
	case domain.DonationReceived, domain.FundsAllocated, domain.SuppliesDelivered, domain.TrainingHeld, domain.ServiceProvided:
		// The payload's type is the event's: the log decodes a payload by
		// its event type, one type to each.
		entry := flowEntry{position: record.Position, kindCode: flowKind(slices.Index(flowKinds[:], data.EventType()))}
		entry.set(data, event.County)
		*entries = append(*entries, entry)
	}
	return nil
}

// target finds the entry a void or correction is about: the one at the
// position it names, else by its target's id (-1: none). An old log may
// hold one id on two events; the position says which.
func (entries flowEntries) target(payload domain.Payload, targetID string, find func(uuid.UUID) int) int {
	if location := domain.TargetLocationOf(payload); location.TargetPosition != 0 {
		return entries.at(location.TargetPosition)
	}
	id, err := uuid.Parse(targetID)
	if err != nil {
		return -1
	}
	return find(id)
}

// at finds an entry by its position (-1: none).
func (entries flowEntries) at(position uint64) int {
	i, found := slices.BinarySearchFunc(entries, position, func(entry flowEntry, position uint64) int {
		return cmp.Compare(entry.position, position)
	})
	if !found {
		return -1
	}
	return i
}

// readFlowEntries reads one campaign's events from the log into its fund
// flow's entries, in log order, calling each with every event read (what
// a caller folds besides the entries, and how far it read).
func readFlowEntries(ctx context.Context, store eventstore.Store, campaign string, each func(eventstore.Record) error) (flowEntries, error) {
	var entries flowEntries
	byEvent := map[uuid.UUID]int{}
	find := func(id uuid.UUID) int {
		if i, ok := byEvent[id]; ok {
			return i
		}
		return -1
	}
	filter := eventstore.Filter{AggregateKind: domain.AggregateCampaign, AggregateID: campaign}
	for record, err := range store.Read(ctx, 0, filter) {
		if err != nil {
			return nil, err
		}
		if err := each(record); err != nil {
			return nil, err
		}
		before := len(entries)
		if err := entries.fold(record, find); err != nil {
			return nil, err
		}
		if len(entries) > before {
			byEvent[record.Event.ID] = before
		}
	}
	return entries, nil
}

// BuildFundFlow folds one campaign's events into its fund flow.
func BuildFundFlow(ctx context.Context, store eventstore.Store, campaign string) (*FundFlow, error) {
	flow := &FundFlow{Campaign: campaign}
	totals := NewTotals(TotalsOptions{})
	entries, err := readFlowEntries(ctx, store, campaign, func(record eventstore.Record) error {
		flow.Position = record.Position
		return totals.Apply(ctx, record, store.Get)
	})
	if err != nil {
		return nil, err
	}
	answer, err := totals.Query(Query{Campaign: campaign})
	if err != nil {
		return nil, err
	}
	flow.Regions = answer.Rows
	flow.Donations, flow.Spendings, err = entries.link()
	if err != nil {
		return nil, fmt.Errorf("fund flow of %s: %w", campaign, err)
	}
	return flow, nil
}

// donationFlow starts the flow of a donation entry.
func (entries flowEntries) donationFlow(i int) *DonationFlow {
	entry := &entries[i]
	return &DonationFlow{DonationID: entry.entity, County: entry.county, Position: entry.position,
		Received: entry.amount, Remaining: entry.amount, Paid: []Funded{}, Allocated: []Allocated{}, Unspent: []PotShare{}}
}

// spendingFlow starts the flow of a spending entry.
func (entries flowEntries) spendingFlow(i int) *SpendingFlow {
	entry := &entries[i]
	return &SpendingFlow{EntityID: entry.entity, Type: string(entry.kind()), County: entry.county,
		Position: entry.position, Amount: entry.amount, FundedBy: []Funded{}}
}

// link links the whole campaign (see potLinks): the flow of every money
// donation and of every spending entry, in log order.
func (entries flowEntries) link() ([]*DonationFlow, []*SpendingFlow, error) {
	query := entries.query()
	donations, spendings := []*DonationFlow{}, []*SpendingFlow{}
	for i := range entries {
		switch {
		case entries[i].activeDonation():
			donation, err := query.donation(i)
			if err != nil {
				return nil, nil, err
			}
			donations = append(donations, donation)
		case entries[i].activeSpending():
			spend, err := query.spending(i)
			if err != nil {
				return nil, nil, err
			}
			spendings = append(spendings, spend)
		}
	}
	return donations, spendings, nil
}

// linkFor is link computed for one id: the flow of its last money
// donation and of its last spending entry, linked exactly as link links
// the whole campaign, building only id's links.
func (entries flowEntries) linkFor(id string) (*DonationFlow, *SpendingFlow, error) {
	giver, spender := -1, -1
	for i := range entries {
		switch {
		case entries[i].entity != id:
		case entries[i].activeDonation():
			giver = i
		case entries[i].activeSpending():
			spender = i
		}
	}
	if giver < 0 && spender < 0 {
		return nil, nil, nil
	}
	return entries.query().trace(giver, spender)
}

func spending(payload domain.Payload) (domain.Money, []domain.Funding) {
	switch p := payload.(type) {
	case domain.SuppliesDelivered:
		return p.Spent, p.FundedBy
	case domain.TrainingHeld:
		return p.Cost, p.FundedBy
	case domain.ServiceProvided:
		return p.Cost, p.FundedBy
	}
	return 0, nil
}

// Trace is the money path of one donation or one spending entry.
type Trace struct {
	Campaign string        `json:"campaign"`
	Position uint64        `json:"position"`
	Donation *DonationFlow `json:"donation,omitempty"`
	Spending *SpendingFlow `json:"spending,omitempty"`
}

// FindEntity returns the campaigns an entity id (donation, delivery,
// session, service, allocation) or event id appears in, the one it appeared
// in last first: an id is unique within a campaign, and an entry moved to
// another campaign is voided in one and recorded anew in the other. With an
// index it reads the events the index names and the log after the index's
// position; without one, or when the index cannot be read, the whole log.
func FindEntity(ctx context.Context, store eventstore.Store, index *Index, id string) ([]string, error) {
	var campaigns []string
	for record, err := range EntityRecords(ctx, store, index, id) {
		if err != nil {
			return nil, err
		}
		if !Carries(record.Event, id) {
			continue
		}
		campaign := record.Event.Aggregate.ID
		campaigns = slices.DeleteFunc(campaigns, func(seen string) bool { return seen == campaign })
		campaigns = append([]string{campaign}, campaigns...)
	}
	if len(campaigns) == 0 {
		return nil, fmt.Errorf("no entry %q in the ledger: %w", id, domain.ErrNotFound)
	}
	return campaigns, nil
}

// TraceEntity follows a donation forward to what its money paid for, or a
// spending entry back to the donations that paid for it.
func TraceEntity(ctx context.Context, store eventstore.Store, index *Index, id string) (*Trace, error) {
	campaigns, err := FindEntity(ctx, store, index, id)
	if err != nil {
		return nil, err
	}
	for _, campaign := range campaigns {
		trace, err := traceIn(ctx, store, index, campaign, id)
		if err != nil {
			return nil, err
		}
		if trace.Donation != nil || trace.Spending != nil {
			return trace, nil
		}
	}
	return nil, fmt.Errorf("%q is neither a money donation nor an entry that spent money (campaigns %v): %w", id, campaigns, domain.ErrNotFound)
}

// traceIn traces id within one campaign. With an index it links the
// campaign's money from the index's entries and the campaign's events
// after the index's position, computing the links of id alone; without
// one, from the whole campaign read from the log.
func traceIn(ctx context.Context, store eventstore.Store, index *Index, campaign, id string) (*Trace, error) {
	trace := &Trace{Campaign: campaign}
	if index != nil {
		done, err := index.trace(ctx, store, trace, id)
		if done || err != nil {
			return trace, err
		}
	}
	// Only id's links are built: the campaign's entries are read and
	// linked as BuildFundFlow links them, without its totals or the flows
	// of every other entry.
	entries, err := readFlowEntries(ctx, store, campaign, func(record eventstore.Record) error {
		trace.Position = record.Position
		return nil
	})
	if err != nil {
		return nil, err
	}
	if trace.Donation, trace.Spending, err = entries.linkFor(id); err != nil {
		return nil, err
	}
	return trace, nil
}
