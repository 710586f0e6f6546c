package domain

import (
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
)

// Aggregates of finance. A bank account holds its statement lines and the
// reconciliation decisions about them, so one version check guards that no
// line is matched twice. The periods aggregate holds month closes.
const (
	AggregateAccount = "account"
	AggregatePeriods = "periods"
	// PeriodsID is the one periods aggregate: closes are ledger-wide.
	PeriodsID = "months"
)

// Reconciliation and period event types.
const (
	TypeBankLineImported EventType = "bank_line_imported"
	TypeMatchConfirmed   EventType = "match_confirmed"
	TypeMatchRejected    EventType = "match_rejected"
	TypeFeeWrittenOff    EventType = "fee_written_off"
	TypeDecisionUndone   EventType = "decision_undone"
	TypePeriodClosed     EventType = "period_closed"
	TypePeriodReopened   EventType = "period_reopened"
)

func init() {
	EventTypes = append(EventTypes, TypeBankLineImported, TypeMatchConfirmed, TypeMatchRejected, TypeFeeWrittenOff,
		TypeDecisionUndone, TypePeriodClosed, TypePeriodReopened)
}

// BankLineImported is one line of a bank statement. Amount is signed: money
// in is positive, money out (fees, refunds) negative. The counterparty's name
// and account number may name a person, so they sit in personal.donor.
type BankLineImported struct {
	Account   string `json:"account"`
	LineID    string `json:"line_id"`
	Serial    string `json:"serial,omitempty"`
	BookedOn  string `json:"booked_on"`
	Amount    Money  `json:"amount"`
	Balance   *Money `json:"balance,omitempty"`
	Remark    string `json:"remark,omitempty"`
	Statement string `json:"statement,omitempty"`
}

// MatchedDonation is the part of a donation a match covers.
type MatchedDonation struct {
	DonationID string `json:"donation_id"`
	Campaign   string `json:"campaign"`
	Amount     Money  `json:"amount"`
}

// MatchConfirmed records that bank lines and donations are the same money.
// The lines' amounts plus the bank fee deducted on the way equal the
// donations' amounts.
type MatchConfirmed struct {
	Account   string            `json:"account"`
	MatchID   string            `json:"match_id"`
	LineIDs   []string          `json:"line_ids"`
	Donations []MatchedDonation `json:"donations"`
	Fee       Money             `json:"fee,omitempty"`
	Rule      string            `json:"rule"`
	Note      string            `json:"note,omitempty"`
}

// MatchRejected records that a suggested match is wrong, so it is not
// suggested again.
type MatchRejected struct {
	Account      string   `json:"account"`
	SuggestionID string   `json:"suggestion_id"`
	LineIDs      []string `json:"line_ids"`
	DonationIDs  []string `json:"donation_ids"`
	Reason       string   `json:"reason"`
}

// FeeWrittenOff records that a bank line (a charge) is a fee with no
// donation behind it.
type FeeWrittenOff struct {
	Account string `json:"account"`
	LineID  string `json:"line_id"`
	Amount  Money  `json:"amount"`
	Reason  string `json:"reason"`
}

// DecisionUndone takes back a confirmation, rejection or write-off.
type DecisionUndone struct {
	Account         string `json:"account"`
	DecisionEventID string `json:"decision_event_id"`
	Reason          string `json:"reason"`
}

// PeriodClosed closes a month (Beijing time): afterwards an entry that
// occurred in it is refused unless it is a void or correction that names the
// closed month.
type PeriodClosed struct {
	Month string `json:"month"`
	Note  string `json:"note,omitempty"`
}

// PeriodReopened reopens a closed month.
type PeriodReopened struct {
	Month  string `json:"month"`
	Reason string `json:"reason"`
}

func (BankLineImported) EventType() EventType { return TypeBankLineImported }
func (MatchConfirmed) EventType() EventType   { return TypeMatchConfirmed }
func (MatchRejected) EventType() EventType    { return TypeMatchRejected }
func (FeeWrittenOff) EventType() EventType    { return TypeFeeWrittenOff }
func (DecisionUndone) EventType() EventType   { return TypeDecisionUndone }
func (PeriodClosed) EventType() EventType     { return TypePeriodClosed }
func (PeriodReopened) EventType() EventType   { return TypePeriodReopened }

// Finance events belong to no campaign.
func (BankLineImported) CampaignCode() string { return "" }
func (MatchConfirmed) CampaignCode() string   { return "" }
func (MatchRejected) CampaignCode() string    { return "" }
func (FeeWrittenOff) CampaignCode() string    { return "" }
func (DecisionUndone) CampaignCode() string   { return "" }
func (PeriodClosed) CampaignCode() string     { return "" }
func (PeriodReopened) CampaignCode() string   { return "" }

// AggregateKinds are every kind of aggregate AggregateOf names.
var AggregateKinds = []string{AggregateCampaign, AggregateAccount, AggregatePeriods, AggregatePrivacy}

// AggregateOf names the aggregate an entry belongs to.
func AggregateOf(payload Payload) AggregateRef {
	switch p := payload.(type) {
	case BankLineImported:
		return AggregateRef{Kind: AggregateAccount, ID: p.Account}
	case MatchConfirmed:
		return AggregateRef{Kind: AggregateAccount, ID: p.Account}
	case MatchRejected:
		return AggregateRef{Kind: AggregateAccount, ID: p.Account}
	case FeeWrittenOff:
		return AggregateRef{Kind: AggregateAccount, ID: p.Account}
	case DecisionUndone:
		return AggregateRef{Kind: AggregateAccount, ID: p.Account}
	case PeriodClosed, PeriodReopened:
		return AggregateRef{Kind: AggregatePeriods, ID: PeriodsID}
	case SubjectErased:
		return AggregateRef{Kind: AggregatePrivacy, ID: SubjectsID}
	}
	return AggregateRef{Kind: AggregateCampaign, ID: payload.CampaignCode()}
}

// IsFinance reports whether an event type is finance's to record.
func IsFinance(eventType EventType) bool {
	switch eventType {
	case TypeBankLineImported, TypeMatchConfirmed, TypeMatchRejected, TypeFeeWrittenOff, TypeDecisionUndone,
		TypePeriodClosed, TypePeriodReopened, TypeSubjectErased:
		return true
	}
	return false
}

var (
	accountPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	monthPattern   = regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])$`)
	datePattern    = regexp.MustCompile(`^20[0-9]{2}-[01][0-9]-[0-3][0-9]$`)
)

func checkSignedMoney(problems *violations, field string, amount Money) {
	switch {
	case amount.sentinel():
		problems.add(field, "%s", amount.problem())
	case amount == 0:
		problems.add(field, "must not be zero")
	case amount > AmountFenMax || amount < -AmountFenMax:
		problems.add(field, "overflows: must be at most %s yuan either way", AmountFenMax)
	}
}

func checkIDs(problems *violations, field string, ids []string, required bool) {
	if len(ids) == 0 && required {
		problems.add(field, "must list at least one id")
	}
	if len(ids) > fundingsPerEntryMax {
		problems.add(field, "must list at most %d ids", fundingsPerEntryMax)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		checkEntityID(problems, fmt.Sprintf("%s[%d]", field, i), id)
		if seen[id] {
			problems.add(fmt.Sprintf("%s[%d]", field, i), "is listed twice")
		}
		seen[id] = true
	}
}

func (v Validator) validateFinance(problems *violations, at func(string) string, payload Payload) {
	checkAccount := func(account string) {
		if !accountPattern.MatchString(account) {
			problems.add(at("account"), "must be 1-64 lower-case letters, digits and dashes, e.g. icbc-0602001109000012345")
		}
	}
	switch p := payload.(type) {
	case BankLineImported:
		checkAccount(p.Account)
		checkEntityID(problems, at("line_id"), p.LineID)
		checkText(problems, at("serial"), p.Serial, 64, false)
		if _, err := time.Parse(time.DateOnly, p.BookedOn); err != nil || !datePattern.MatchString(p.BookedOn) {
			problems.add(at("booked_on"), "must be a date YYYY-MM-DD")
		}
		checkSignedMoney(problems, at("amount"), p.Amount)
		if p.Balance != nil && p.Balance.sentinel() {
			problems.add(at("balance"), "%s", p.Balance.problem())
		}
		checkText(problems, at("remark"), p.Remark, longTextRunesMax, false)
		checkText(problems, at("statement"), p.Statement, shortTextRunesMax, false)
	case MatchConfirmed:
		checkAccount(p.Account)
		checkEntityID(problems, at("match_id"), p.MatchID)
		checkIDs(problems, at("line_ids"), p.LineIDs, true)
		if len(p.Donations) == 0 {
			problems.add(at("donations"), "must list at least one donation")
		}
		for i, donation := range p.Donations {
			path := fmt.Sprintf("%s[%d]", at("donations"), i)
			checkEntityID(problems, path+".donation_id", donation.DonationID)
			v.checkCode(problems, path+".campaign", "campaign", donation.Campaign)
			checkMoney(problems, path+".amount", donation.Amount, true)
		}
		checkMoney(problems, at("fee"), p.Fee, false)
		checkText(problems, at("rule"), p.Rule, 32, true)
		checkText(problems, at("note"), p.Note, longTextRunesMax, false)
	case MatchRejected:
		checkAccount(p.Account)
		checkEntityID(problems, at("suggestion_id"), p.SuggestionID)
		checkIDs(problems, at("line_ids"), p.LineIDs, true)
		checkIDs(problems, at("donation_ids"), p.DonationIDs, false)
		checkText(problems, at("reason"), p.Reason, longTextRunesMax, true)
	case FeeWrittenOff:
		checkAccount(p.Account)
		checkEntityID(problems, at("line_id"), p.LineID)
		checkMoney(problems, at("amount"), p.Amount, true)
		checkText(problems, at("reason"), p.Reason, longTextRunesMax, true)
	case DecisionUndone:
		checkAccount(p.Account)
		checkTarget(problems, at("decision_event_id"), p.DecisionEventID)
		checkText(problems, at("reason"), p.Reason, longTextRunesMax, true)
	case PeriodClosed:
		if !monthPattern.MatchString(p.Month) {
			problems.add(at("month"), "must be a month YYYY-MM")
		}
		checkText(problems, at("note"), p.Note, longTextRunesMax, false)
	case PeriodReopened:
		if !monthPattern.MatchString(p.Month) {
			problems.add(at("month"), "must be a month YYYY-MM")
		}
		checkText(problems, at("reason"), p.Reason, longTextRunesMax, true)
	case SubjectErased:
		checkKey(problems, at("subject_id"), p.SubjectID)
		if p.SubjectID == "" {
			problems.add(at("subject_id"), "is required")
		}
		checkText(problems, at("reason"), p.Reason, longTextRunesMax, true)
	}
}

// Aggregate is the state that decides whether a new event may be appended:
// a campaign, a bank account or the periods.
type Aggregate interface {
	Decide(event *Event, validator Validator) error
	Apply(event Event, position uint64)
	Key(key string) (KeyRecord, bool)
	Confirm(version uint64, positions map[uuid.UUID]uint64)
	Revision() uint64
}

// NewAggregate returns the empty state of an aggregate.
func NewAggregate(ref AggregateRef, cityCode string) Aggregate {
	switch ref.Kind {
	case AggregateAccount:
		return NewAccount(ref.ID)
	case AggregatePeriods:
		return NewPeriods()
	case AggregatePrivacy:
		return NewSubjects()
	}
	return NewCampaign(ref.ID, cityCode)
}

// Revision is the position of the campaign's last event.
func (c *Campaign) Revision() uint64 { return c.Version }

// keyIndex remembers what each idempotency key wrote.
type keyIndex struct {
	keys    map[string]KeyRecord
	version uint64
}

func (k *keyIndex) Key(key string) (KeyRecord, bool) {
	record, ok := k.keys[key]
	return record, ok
}

func (k *keyIndex) remember(event Event, position uint64) {
	if event.IdempotencyKey != "" {
		hash, _ := event.ContentHash()
		k.keys[event.IdempotencyKey] = KeyRecord{EventID: event.ID, ContentHash: hash, Position: position}
	}
	if position > k.version {
		k.version = position
	}
}

func (k *keyIndex) Confirm(version uint64, positions map[uuid.UUID]uint64) {
	k.version = version
	for key, record := range k.keys {
		if position, ok := positions[record.EventID]; ok && record.Position == 0 {
			record.Position = position
			k.keys[key] = record
		}
	}
}

func (k *keyIndex) Revision() uint64 { return k.version }

// Account is a bank account's statement lines and decisions. Invariants: a
// line is imported once (same line id, same content); a match's lines exist
// and are not matched beyond their amount; the lines' total plus the fee
// equals the donations' total; a decision is undone at most
// once and only if it exists.
type Account struct {
	keyIndex
	ID        string
	lines     map[string]BankLineImported
	used      map[string]Money // line id → amount matched or written off
	decisions map[uuid.UUID]*accountDecision
}

type accountDecision struct {
	payload Payload
	undone  bool
}

// NewAccount returns an empty account.
func NewAccount(id string) *Account {
	return &Account{keyIndex: keyIndex{keys: map[string]KeyRecord{}}, ID: id, lines: map[string]BankLineImported{},
		used: map[string]Money{}, decisions: map[uuid.UUID]*accountDecision{}}
}

func absMoney(m Money) Money {
	if m < 0 {
		return -m
	}
	return m
}

func (a *Account) usage(payload Payload, sign Money) map[string]Money {
	change := map[string]Money{}
	switch p := payload.(type) {
	case MatchConfirmed:
		// Spread the matched money over the lines in order.
		remaining := -p.Fee
		for _, donation := range p.Donations {
			remaining += donation.Amount
		}
		for _, id := range p.LineIDs {
			take := min(remaining, absMoney(a.lines[id].Amount))
			change[id] += sign * take
			remaining -= take
		}
	case FeeWrittenOff:
		change[p.LineID] += sign * p.Amount
	}
	return change
}

// Decide checks a finance event against the account.
func (a *Account) Decide(event *Event, _ Validator) error {
	switch p := event.Data.(type) {
	case BankLineImported:
		if existing, ok := a.lines[p.LineID]; ok && existing != p {
			return rejectf("data.line_id", "line %s was imported before with other content", p.LineID)
		}
		return nil
	case MatchConfirmed:
		var linesTotal, donationsTotal Money
		for i, id := range p.LineIDs {
			line, ok := a.lines[id]
			if !ok {
				return rejectf(fmt.Sprintf("data.line_ids[%d]", i), "no line %s in account %s", id, a.ID)
			}
			linesTotal += absMoney(line.Amount)
		}
		for _, donation := range p.Donations {
			donationsTotal += donation.Amount
		}
		if linesTotal+p.Fee != donationsTotal {
			return rejectf("data.donations", "the lines (%s yuan) and the fee (%s yuan) must add up to the donations (%s yuan)",
				linesTotal, p.Fee, donationsTotal)
		}
		for id, amount := range a.usage(p, 1) {
			if a.used[id]+amount > absMoney(a.lines[id].Amount) {
				return rejectf("data.line_ids", "line %s is already matched or written off", id)
			}
		}
	case FeeWrittenOff:
		line, ok := a.lines[p.LineID]
		if !ok {
			return rejectf("data.line_id", "no line %s in account %s", p.LineID, a.ID)
		}
		if a.used[p.LineID]+p.Amount > absMoney(line.Amount) {
			return rejectf("data.amount", "line %s has only %s yuan left to write off", p.LineID, absMoney(line.Amount)-a.used[p.LineID])
		}
	case DecisionUndone:
		id, _ := uuid.Parse(p.DecisionEventID)
		decision, ok := a.decisions[id]
		switch {
		case !ok:
			return rejectf("data.decision_event_id", "no decision %s in account %s", p.DecisionEventID, a.ID)
		case decision.undone:
			return rejectf("data.decision_event_id", "decision %s was already undone", p.DecisionEventID)
		}
	}
	return nil
}

// Apply folds a stored finance event into the account.
func (a *Account) Apply(event Event, position uint64) {
	switch p := event.Data.(type) {
	case BankLineImported:
		a.lines[p.LineID] = p
	case MatchConfirmed, FeeWrittenOff, MatchRejected:
		for id, amount := range a.usage(p, 1) {
			a.used[id] += amount
		}
		a.decisions[event.ID] = &accountDecision{payload: p}
	case DecisionUndone:
		id, _ := uuid.Parse(p.DecisionEventID)
		if decision, ok := a.decisions[id]; ok && !decision.undone {
			decision.undone = true
			for line, amount := range a.usage(decision.payload, -1) {
				a.used[line] += amount
			}
		}
	}
	a.remember(event, position)
}

// Periods holds the closed months.
type Periods struct {
	keyIndex
	closed map[string]bool
}

// NewPeriods returns the state with no month closed.
func NewPeriods() *Periods {
	return &Periods{keyIndex: keyIndex{keys: map[string]KeyRecord{}}, closed: map[string]bool{}}
}

// Closed reports whether a month (YYYY-MM) is closed.
func (p *Periods) Closed(month string) bool { return p.closed[month] }

// Decide checks a close or reopening.
func (p *Periods) Decide(event *Event, _ Validator) error {
	switch data := event.Data.(type) {
	case PeriodClosed:
		if p.closed[data.Month] {
			return rejectf("data.month", "%s is already closed", data.Month)
		}
	case PeriodReopened:
		if !p.closed[data.Month] {
			return rejectf("data.month", "%s is not closed", data.Month)
		}
	}
	return nil
}

// Apply folds a close or reopening in.
func (p *Periods) Apply(event Event, position uint64) {
	switch data := event.Data.(type) {
	case PeriodClosed:
		p.closed[data.Month] = true
	case PeriodReopened:
		delete(p.closed, data.Month)
	}
	p.remember(event, position)
}

// MonthOf is the Beijing-time month an instant falls in.
func MonthOf(instant time.Time) string {
	return instant.In(time.FixedZone("CST", 8*3600)).Format("2006-01")
}

// Erasure of personal data.
const (
	TypeSubjectErased EventType = "subject_erased"
	// AggregatePrivacy holds erasures; SubjectsID is its one aggregate.
	AggregatePrivacy = "privacy"
	SubjectsID       = "subjects"
)

func init() { EventTypes = append(EventTypes, TypeSubjectErased) }

// SubjectErased records that a data subject's key was destroyed: who, when
// and why, without the personal data itself.
type SubjectErased struct {
	SubjectID string `json:"subject_id"`
	Reason    string `json:"reason"`
}

func (SubjectErased) EventType() EventType { return TypeSubjectErased }
func (SubjectErased) CampaignCode() string { return "" }

// Subjects holds the erased data subjects.
type Subjects struct {
	keyIndex
	erased map[string]bool
}

// NewSubjects returns the state with nobody erased.
func NewSubjects() *Subjects {
	return &Subjects{keyIndex: keyIndex{keys: map[string]KeyRecord{}}, erased: map[string]bool{}}
}

// Erased reports whether a subject was erased.
func (s *Subjects) Erased(subject string) bool { return s.erased[subject] }

// Decide refuses erasing a subject twice.
func (s *Subjects) Decide(event *Event, _ Validator) error {
	if data, ok := event.Data.(SubjectErased); ok && s.erased[data.SubjectID] {
		return rejectf("data.subject_id", "%s was already erased", data.SubjectID)
	}
	return nil
}

// Apply folds an erasure in.
func (s *Subjects) Apply(event Event, position uint64) {
	if data, ok := event.Data.(SubjectErased); ok {
		s.erased[data.SubjectID] = true
	}
	s.remember(event, position)
}
