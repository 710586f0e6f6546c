package projections

import (
	"cmp"
	"context"
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
	// RuleFIFO: the rest of a spending is paid by the campaign's money
	// donations in the order they were received, oldest first.
	RuleFIFO = "fifo"
	// RuleUnfunded: no donation money was left (possible only if money came
	// in through a correction recorded after the spending).
	RuleUnfunded = "unfunded"
)

// Funded is one link of money: a donation paying part of a spending entry.
type Funded struct {
	DonationID string       `json:"donation_id,omitempty"`
	EntityID   string       `json:"entity_id"`
	Type       string       `json:"type"`
	County     string       `json:"county"`
	Amount     domain.Money `json:"amount"`
	Rule       string       `json:"rule"`
}

// DonationFlow is where a money donation went.
type DonationFlow struct {
	DonationID string       `json:"donation_id"`
	County     string       `json:"county"`
	Position   uint64       `json:"position"`
	Received   domain.Money `json:"received"`
	Paid       []Funded     `json:"paid"`
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
// donations in the order they were received (log position), campaign-wide.
type FundFlow struct {
	Campaign  string          `json:"campaign"`
	Position  uint64          `json:"position"`
	Regions   []Row           `json:"regions"`
	Donations []*DonationFlow `json:"donations"`
	Spendings []*SpendingFlow `json:"spendings"`
}

// flowEntry is what a fund flow needs of one donation or spending entry,
// as corrected so far: compact, so the entity index can keep every
// campaign's entries in memory (64 bytes an entry).
type flowEntry struct {
	position uint64
	county   string
	entity   string
	// amount is a money donation's amount, or what a spending entry spent.
	amount domain.Money
	// named holds the donations a spending entry names in funded_by (nil:
	// none). It is a pointer because most entries name none, and a nil
	// pointer costs a third of an empty slice.
	named    *[]domain.Funding
	kindCode flowKind
	donation bool
	voided   bool
}

// flowKind is the event type of a flow entry, one of flowKinds, kept in a
// byte instead of a string.
type flowKind uint8

// flowKinds are the event types of the entries a fund flow takes in, in
// the order of their flowKind.
var flowKinds = [...]domain.EventType{domain.TypeDonationReceived, domain.TypeSuppliesDelivered, domain.TypeTrainingHeld, domain.TypeServiceProvided}

// kind is the entry's event type.
func (e *flowEntry) kind() domain.EventType { return flowKinds[e.kindCode] }

// fundings are the donations a spending entry names in funded_by.
func (e *flowEntry) fundings() []domain.Funding {
	if e.named == nil {
		return nil
	}
	return *e.named
}

// set takes an entry's payload (recorded or corrected) in.
func (e *flowEntry) set(payload domain.Payload, county string) {
	e.county, e.entity = county, domain.EntityID(payload)
	e.amount, e.named, e.donation = 0, nil, false
	switch p := payload.(type) {
	case domain.DonationReceived:
		if p.Form == domain.FormMoney {
			e.amount, e.donation = p.Amount, true
		}
	default:
		var fundings []domain.Funding
		e.amount, fundings = spending(p)
		if len(fundings) > 0 {
			e.named = &fundings
		}
	}
}

// flowEntries are a campaign's donation and spending entries in log order.
type flowEntries []flowEntry

// fold takes one event of the campaign in. find locates an entry by its
// event id (-1: not a donation or spending entry of the campaign).
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
	case domain.DonationReceived, domain.SuppliesDelivered, domain.TrainingHeld, domain.ServiceProvided:
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

// BuildFundFlow folds one campaign's events into its fund flow.
func BuildFundFlow(ctx context.Context, store eventstore.Store, campaign string) (*FundFlow, error) {
	flow := &FundFlow{Campaign: campaign}
	totals := NewTotals(TotalsOptions{})
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
		if err := totals.Apply(ctx, record, store.Get); err != nil {
			return nil, err
		}
		flow.Position = record.Position
		before := len(entries)
		if err := entries.fold(record, find); err != nil {
			return nil, err
		}
		if len(entries) > before {
			byEvent[record.Event.ID] = before
		}
	}
	answer, err := totals.Query(Query{Campaign: campaign})
	if err != nil {
		return nil, err
	}
	flow.Regions = answer.Rows
	flow.Donations, flow.Spendings = entries.link()
	return flow, nil
}

// link pays each spending: the donations it names first (for every
// spending, so FIFO never spends money a later entry named as its own),
// then the campaign's money donations in the order received.
func (entries flowEntries) link() ([]*DonationFlow, []*SpendingFlow) {
	donationFlows, spendingFlows := []*DonationFlow{}, []*SpendingFlow{}
	donations := map[string]*DonationFlow{}
	var named [][]domain.Funding
	for _, entry := range entries {
		switch {
		case entry.voided:
		case entry.donation:
			donation := &DonationFlow{DonationID: entry.entity, County: entry.county, Position: entry.position,
				Received: entry.amount, Remaining: entry.amount, Paid: []Funded{}}
			donations[entry.entity] = donation
			donationFlows = append(donationFlows, donation)
		case entry.amount > 0:
			spendingFlows = append(spendingFlows, &SpendingFlow{EntityID: entry.entity, Type: string(entry.kind()),
				County: entry.county, Position: entry.position, Amount: entry.amount, FundedBy: []Funded{}})
			named = append(named, entry.fundings())
		}
	}
	for i := range spendingFlows {
		for _, funding := range named[i] {
			if donation := donations[funding.DonationID]; donation != nil {
				link(donation, spendingFlows[i], funding.Amount, RuleExplicit)
			}
		}
	}
	for _, spend := range spendingFlows {
		unpaid := spend.Amount
		for _, funded := range spend.FundedBy {
			unpaid -= funded.Amount
		}
		for _, donation := range donationFlows {
			if unpaid == 0 {
				break
			}
			if take := min(unpaid, donation.Remaining); take > 0 {
				link(donation, spend, take, RuleFIFO)
				unpaid -= take
			}
		}
		if unpaid > 0 {
			spend.FundedBy = append(spend.FundedBy, Funded{EntityID: spend.EntityID, Type: spend.Type, County: spend.County, Amount: unpaid, Rule: RuleUnfunded})
		}
	}
	return donationFlows, spendingFlows
}

func link(donation *DonationFlow, spend *SpendingFlow, amount domain.Money, rule string) {
	funded := Funded{DonationID: donation.DonationID, EntityID: spend.EntityID, Type: spend.Type, County: spend.County, Amount: amount, Rule: rule}
	donation.Paid = append(donation.Paid, funded)
	donation.Remaining -= amount
	spend.FundedBy = append(spend.FundedBy, funded)
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
	flow, err := BuildFundFlow(ctx, store, campaign)
	if err != nil {
		return nil, err
	}
	trace.Position = flow.Position
	for _, donation := range flow.Donations {
		if donation.DonationID == id {
			trace.Donation = donation
		}
	}
	for _, spend := range flow.Spendings {
		if spend.EntityID == id {
			trace.Spending = spend
		}
	}
	return trace, nil
}

// linkFor is link computed for one id: the flow of its last money
// donation and of its last spending entry, linked exactly as link links
// the whole campaign, in time linear in the campaign's entries and
// building only id's links.
func (entries flowEntries) linkFor(id string) (*DonationFlow, *SpendingFlow) {
	var donations, spendings []int
	target := struct{ donation, spending int }{-1, -1}
	for i, entry := range entries {
		switch {
		case entry.voided:
		case entry.donation:
			if entry.entity == id {
				target.donation = len(donations)
			}
			donations = append(donations, i)
		case entry.amount > 0:
			if entry.entity == id {
				target.spending = len(spendings)
			}
			spendings = append(spendings, i)
		}
	}
	var donation *DonationFlow
	if target.donation >= 0 {
		entry := entries[donations[target.donation]]
		donation = &DonationFlow{DonationID: entry.entity, County: entry.county, Position: entry.position,
			Received: entry.amount, Remaining: entry.amount, Paid: []Funded{}}
	}
	var spend *SpendingFlow
	if target.spending >= 0 {
		entry := entries[spendings[target.spending]]
		spend = &SpendingFlow{EntityID: entry.entity, Type: string(entry.kind()), County: entry.county,
			Position: entry.position, Amount: entry.amount, FundedBy: []Funded{}}
	}
	remaining := make([]domain.Money, len(donations))
	for ordinal, i := range donations {
		remaining[ordinal] = entries[i].amount
	}
	// The donation a funding names is the last money donation of that id,
	// as in link; the map is made only when some entry names one.
	var byID map[string]int
	pay := func(ordinal, spending int, amount domain.Money, rule string) {
		remaining[ordinal] -= amount
		spender, giver := entries[spendings[spending]], entries[donations[ordinal]]
		funded := Funded{DonationID: giver.entity, EntityID: spender.entity, Type: string(spender.kind()), County: spender.county, Amount: amount, Rule: rule}
		if ordinal == target.donation {
			donation.Paid = append(donation.Paid, funded)
			donation.Remaining -= amount
		}
		if spending == target.spending {
			spend.FundedBy = append(spend.FundedBy, funded)
		}
	}
	unpaid := make([]domain.Money, len(spendings))
	for spending, i := range spendings {
		unpaid[spending] = entries[i].amount
		for _, funding := range entries[i].fundings() {
			if byID == nil {
				byID = make(map[string]int, len(donations))
				for ordinal, j := range donations {
					byID[entries[j].entity] = ordinal
				}
			}
			if ordinal, ok := byID[funding.DonationID]; ok {
				pay(ordinal, spending, funding.Amount, RuleExplicit)
				unpaid[spending] -= funding.Amount
			}
		}
	}
	// FIFO: a donation whose money is gone never gets more, so the search
	// for money starts where the last one ended.
	first := 0
	for spending := range spendings {
		for first < len(donations) && unpaid[spending] != 0 {
			if take := min(unpaid[spending], remaining[first]); take > 0 {
				pay(first, spending, take, RuleFIFO)
				unpaid[spending] -= take
			}
			if remaining[first] <= 0 {
				first++
			} else {
				break
			}
		}
		if unpaid[spending] > 0 && spending == target.spending {
			spend.FundedBy = append(spend.FundedBy, Funded{EntityID: spend.EntityID, Type: spend.Type, County: spend.County, Amount: unpaid[spending], Rule: RuleUnfunded})
		}
	}
	return donation, spend
}
