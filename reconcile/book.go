// Package reconcile matches bank statement lines to the donations the
// ledger recorded, in tiers, each match saying which rule made it. It is a
// pure fold of the log plus a deterministic matcher: the same events always
// give the same reconciliation, and every decision a person takes is itself
// an event.
package reconcile

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Line is a bank statement line as imported.
type Line struct {
	LineID       string       `json:"line_id"`
	Account      string       `json:"account"`
	Serial       string       `json:"serial,omitempty"`
	Date         time.Time    `json:"date"`
	Amount       domain.Money `json:"amount"`
	Counterparty string       `json:"counterparty,omitempty"`
	Remark       string       `json:"remark,omitempty"`
	// Balance is the account's balance after the line, when the bank
	// printed it.
	Balance  *domain.Money `json:"balance,omitempty"`
	Position uint64        `json:"position"`
	// CounterpartyAccount is the sender's or payee's account number. It is
	// personal data used only to pair a refund with the transfer it
	// returns, and never shown.
	CounterpartyAccount string `json:"-"`
	// Subject is the counterparty's data subject id (also when erased),
	// for the access log to say whose data a read showed; never shown.
	Subject string `json:"-"`
}

// Donation is a donation as the ledger knows it: received money, or a
// pledge not yet received.
type Donation struct {
	DonationID string       `json:"donation_id"`
	Campaign   string       `json:"campaign"`
	County     string       `json:"county"`
	Amount     domain.Money `json:"amount"`
	Date       time.Time    `json:"date"`
	Donor      string       `json:"donor"`
	Reference  string       `json:"reference,omitempty"`
	Received   bool         `json:"received"`
	Position   uint64       `json:"position"`
	// Unmatched, on an unmatched donation, is the part of Amount that no
	// confirmed match covers: all of it, or what is left once a confirmed
	// match covers part (one transfer of several).
	Unmatched domain.Money `json:"unmatched,omitempty"`
	// DonorPersonal says Donor is a person's name from the sealed
	// personal part, not an organisation's.
	DonorPersonal bool `json:"-"`
	// Subject is the donor's data subject id when Donor is a person's
	// name, for the access log; never shown.
	Subject string `json:"-"`
}

// Decision is a confirmation, rejection or write-off, and whether it was
// undone.
type Decision struct {
	EventID  string         `json:"event_id"`
	Type     string         `json:"type"`
	Payload  domain.Payload `json:"-"`
	Undone   bool           `json:"undone"`
	Actor    string         `json:"actor"`
	Position uint64         `json:"position"`
}

// Book is everything reconciliation looks at, folded from the log.
type Book struct {
	Position  uint64
	Lines     []Line
	Donations map[string]*Donation // money donations received, by id (effective: voids and corrections applied)
	Pledges   map[string]*Donation // pledges, by donation id
	// Voided maps each voided donation or pledge id to the event that
	// voided it, so a match confirmed before the void can be told apart
	// from one to an id the ledger never had.
	Voided    map[string]string
	Decisions []*Decision
	// Imports are the statements imported, in log order.
	Imports []StatementImport
	byEvent map[uuid.UUID]*Decision
}

// StatementImport is one statement_imported event: who brought which file.
type StatementImport struct {
	EventID  string
	Actor    string
	At       time.Time
	Position uint64
	domain.StatementImported
}

type entry struct {
	id        uuid.UUID
	eventType domain.EventType
	county    string
	occurred  time.Time
	payload   domain.Payload
	personal  *domain.Personal
	position  uint64
	voided    bool
	// voidedBy is the entry_voided event's id.
	voidedBy string
}

// Unsealer opens an event's sealed personal data (privacy.Sealer.Unseal);
// matching needs donors' and counterparties' names.
type Unsealer func(ctx context.Context, event *domain.Event) error

// BuildBook folds the log into a book. unseal may be nil when the ledger
// seals nothing.
func BuildBook(ctx context.Context, store eventstore.Store, unseal Unsealer) (*Book, error) {
	book := &Book{Donations: map[string]*Donation{}, Pledges: map[string]*Donation{}, Voided: map[string]string{}, byEvent: map[uuid.UUID]*Decision{}}
	// Entries are kept by position, not id: an old log may hold one id on
	// two events (the ledger refuses that now), and a void or correction
	// names its target's position, so a later event with a reused id never
	// stands in for the first.
	entries := map[uint64]*entry{}
	firstOf := map[uuid.UUID]uint64{}
	var order []uint64
	for record, err := range store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return nil, err
		}
		book.Position = record.Position
		event := record.Event
		if unseal != nil && len(event.Sealed) > 0 {
			if err := unseal(ctx, &event); err != nil {
				return nil, err
			}
		}
		switch data := event.Data.(type) {
		case domain.BankLineImported:
			line := Line{LineID: data.LineID, Account: data.Account, Serial: data.Serial, Amount: data.Amount,
				Remark: data.Remark, Balance: data.Balance, Position: record.Position}
			line.Date, _ = time.ParseInLocation(time.DateOnly, data.BookedOn, domain.Beijing)
			if event.Personal != nil && event.Personal.Donor != nil {
				line.Counterparty = event.Personal.Donor.Name
				line.CounterpartyAccount = event.Personal.Donor.BankAccount
				line.Subject = event.Personal.Donor.SubjectID
			}
			book.Lines = append(book.Lines, line)
		case domain.StatementImported:
			book.Imports = append(book.Imports, StatementImport{EventID: event.ID.String(), Actor: event.Actor, At: event.RecordedAt,
				Position: record.Position, StatementImported: data})
		case domain.MatchConfirmed, domain.MatchRejected, domain.FeeWrittenOff, domain.RefundPaired, domain.LineWrittenOff:
			decision := &Decision{EventID: event.ID.String(), Type: string(event.Type), Payload: data, Actor: event.Actor, Position: record.Position}
			book.Decisions = append(book.Decisions, decision)
			book.byEvent[event.ID] = decision
		case domain.DecisionUndone:
			if id, err := uuid.Parse(data.DecisionEventID); err == nil && book.byEvent[id] != nil {
				book.byEvent[id].Undone = true
			}
		case domain.EntryVoided:
			if target, _ := targetOf(entries, firstOf, data.TargetEventID, data.TargetLocation); target != nil {
				target.voided, target.voidedBy = true, event.ID.String()
			}
		case *domain.EntryCorrected:
			if target, located := targetOf(entries, firstOf, data.TargetEventID, data.TargetLocation); target != nil {
				replacement, err := domain.ResolveCorrection(data, target.eventType)
				if err != nil && !located {
					// Found by id alone in a log that predates target
					// positions: the correction is of another event with
					// the same id, not of this donation.
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("correction at position %d of the entry at position %d: %w", record.Position, target.position, err)
				}
				target.payload, target.county = replacement, event.County
				if event.Personal != nil {
					target.personal = event.Personal
				}
			}
		case domain.DonationReceived, domain.DonationPledged:
			entries[record.Position] = &entry{id: event.ID, eventType: event.Type, county: event.County, occurred: event.OccurredAt,
				payload: data, personal: event.Personal, position: record.Position}
			if _, seen := firstOf[event.ID]; !seen {
				firstOf[event.ID] = record.Position
			}
			order = append(order, record.Position)
		}
	}
	for _, position := range order {
		e := entries[position]
		if e.voided {
			switch p := e.payload.(type) {
			case domain.DonationReceived:
				book.Voided[p.DonationID] = e.voidedBy
			case domain.DonationPledged:
				book.Voided[p.DonationID] = e.voidedBy
			}
			continue
		}
		switch p := e.payload.(type) {
		case domain.DonationReceived:
			if p.Form != domain.FormMoney {
				continue
			}
			book.Donations[p.DonationID] = &Donation{DonationID: p.DonationID, Campaign: p.Campaign, County: e.county,
				Amount: p.Amount, Date: e.occurred, Donor: donorName(p.DonorOrg, e.personal), Reference: p.BankReference,
				Received: true, Position: e.position, DonorPersonal: p.DonorOrg == "", Subject: donorSubject(p.DonorOrg, e.personal)}
		case domain.DonationPledged:
			amount := p.Amount
			if p.Form == domain.FormGoods {
				continue
			}
			book.Pledges[p.DonationID] = &Donation{DonationID: p.DonationID, Campaign: p.Campaign, County: e.county,
				Amount: amount, Date: e.occurred, Donor: donorName(p.DonorOrg, e.personal), Position: e.position,
				DonorPersonal: p.DonorOrg == "", Subject: donorSubject(p.DonorOrg, e.personal)}
		}
	}
	for id, pledge := range book.Pledges {
		if _, received := book.Donations[id]; received {
			pledge.Received = true
		}
	}
	return book, nil
}

// ToReceive lists the pledges a confirmation settles whose receipt the
// book does not hold: the money arrived, and the receipt is to be recorded.
func (b *Book) ToReceive(decision domain.Payload) []string {
	confirmed, ok := decision.(domain.MatchConfirmed)
	if !ok || confirmed.Rule == RuleRefund {
		return nil
	}
	var ids []string
	for _, donation := range confirmed.Donations {
		if b.Pledges[donation.DonationID] != nil && b.Donations[donation.DonationID] == nil {
			ids = append(ids, donation.DonationID)
		}
	}
	return ids
}

// Receipt is a pledge's receipt still to record after a confirmation:
// the donation_received that records it carries the pledge's id, campaign
// and county, and the amount the match took from the line.
type Receipt struct {
	DonationID string
	Campaign   string
	County     string
	Amount     domain.Money
	// Day is the day the money arrived: the match's latest line's.
	Day time.Time
}

// Receipts are the receipts ToReceive lists, with what recording each
// takes, so that a front end can show the entry to record.
func (b *Book) Receipts(decision domain.Payload) []Receipt {
	ids := b.ToReceive(decision)
	if len(ids) == 0 {
		return nil
	}
	confirmed := decision.(domain.MatchConfirmed)
	var day time.Time
	for _, line := range b.Lines {
		if slices.Contains(confirmed.LineIDs, line.LineID) && line.Date.After(day) {
			day = line.Date
		}
	}
	receipts := make([]Receipt, 0, len(ids))
	for _, donation := range confirmed.Donations {
		if pledge := b.Pledges[donation.DonationID]; pledge != nil && slices.Contains(ids, donation.DonationID) {
			receipts = append(receipts, Receipt{DonationID: donation.DonationID, Campaign: pledge.Campaign, County: pledge.County,
				Amount: donation.Amount, Day: day})
		}
	}
	return receipts
}

// donorSubject is the data subject id of a donor who is a person.
func donorSubject(organisation string, personal *domain.Personal) string {
	if organisation == "" && personal != nil && personal.Donor != nil {
		return personal.Donor.SubjectID
	}
	return ""
}

// targetOf is the donation entry a void or correction is about: the one at
// its target position, when it names one and that entry has the id, else the
// first entry with the id. located says it was found by position. A void of
// an event that is no donation finds nothing.
func targetOf(entries map[uint64]*entry, firstOf map[uuid.UUID]uint64, targetID string, location domain.TargetLocation) (*entry, bool) {
	id, err := uuid.Parse(targetID)
	if err != nil {
		return nil, false
	}
	if location.TargetPosition != 0 {
		if target := entries[location.TargetPosition]; target != nil && target.id == id {
			return target, true
		}
		// The target is at that position and is no donation.
		return nil, true
	}
	position, ok := firstOf[id]
	if !ok {
		return nil, false
	}
	return entries[position], false
}

func donorName(organisation string, personal *domain.Personal) string {
	if organisation != "" {
		return organisation
	}
	if personal != nil && personal.Donor != nil {
		return personal.Donor.Name
	}
	return ""
}
