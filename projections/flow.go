package projections

import (
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

type effectiveEntry struct {
	eventType domain.EventType
	county    string
	position  uint64
	payload   domain.Payload
	voided    bool
}

// BuildFundFlow folds one campaign's events into its fund flow.
func BuildFundFlow(ctx context.Context, store eventstore.Store, campaign string) (*FundFlow, error) {
	flow := &FundFlow{Campaign: campaign, Donations: []*DonationFlow{}, Spendings: []*SpendingFlow{}}
	totals := NewTotals(TotalsOptions{})
	entries := map[uuid.UUID]*effectiveEntry{}
	var order []uuid.UUID
	filter := eventstore.Filter{AggregateKind: domain.AggregateCampaign, AggregateID: campaign}
	for record, err := range store.Read(ctx, 0, filter) {
		if err != nil {
			return nil, err
		}
		if err := totals.Apply(ctx, record, store.Get); err != nil {
			return nil, err
		}
		flow.Position = record.Position
		event := record.Event
		switch data := event.Data.(type) {
		case domain.EntryVoided:
			if entry := entries[uuid.MustParse(data.TargetEventID)]; entry != nil {
				entry.voided = true
			}
		case *domain.EntryCorrected:
			if entry := entries[uuid.MustParse(data.TargetEventID)]; entry != nil {
				replacement, err := domain.ResolveCorrection(data, entry.eventType)
				if err != nil {
					return nil, err
				}
				entry.payload, entry.county = replacement, event.County
			}
		default:
			entries[event.ID] = &effectiveEntry{eventType: event.Type, county: event.County, position: record.Position, payload: event.Data}
			order = append(order, event.ID)
		}
	}
	answer, err := totals.Query(Query{Campaign: campaign})
	if err != nil {
		return nil, err
	}
	flow.Regions = answer.Rows
	donations := map[string]*DonationFlow{}
	var named [][]domain.Funding
	for _, id := range order {
		entry := entries[id]
		if entry.voided {
			continue
		}
		switch p := entry.payload.(type) {
		case domain.DonationReceived:
			if p.Form == domain.FormMoney {
				donation := &DonationFlow{DonationID: p.DonationID, County: entry.county, Position: entry.position,
					Received: p.Amount, Remaining: p.Amount, Paid: []Funded{}}
				donations[p.DonationID] = donation
				flow.Donations = append(flow.Donations, donation)
			}
		case domain.SuppliesDelivered, domain.TrainingHeld, domain.ServiceProvided:
			if amount, fundings := spending(p); amount > 0 {
				flow.Spendings = append(flow.Spendings, &SpendingFlow{EntityID: domain.EntityID(p), Type: string(entry.eventType),
					County: entry.county, Position: entry.position, Amount: amount, FundedBy: []Funded{}})
				named = append(named, fundings)
			}
		}
	}
	// Explicit fundings first, so FIFO never spends money a later entry
	// named as its own.
	for i := range flow.Spendings {
		for _, funding := range named[i] {
			donation := donations[funding.DonationID]
			if donation == nil {
				continue
			}
			link(donation, flow.Spendings[i], funding.Amount, RuleExplicit)
		}
	}
	for _, spend := range flow.Spendings {
		unpaid := spend.Amount
		for _, funded := range spend.FundedBy {
			unpaid -= funded.Amount
		}
		for _, donation := range flow.Donations {
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
	return flow, nil
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
		flow, err := BuildFundFlow(ctx, store, campaign)
		if err != nil {
			return nil, err
		}
		trace := &Trace{Campaign: campaign, Position: flow.Position}
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
		if trace.Donation != nil || trace.Spending != nil {
			return trace, nil
		}
	}
	return nil, fmt.Errorf("%q is neither a money donation nor an entry that spent money (campaigns %v): %w", id, campaigns, domain.ErrNotFound)
}
