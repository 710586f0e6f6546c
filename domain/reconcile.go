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
	TypeBankLineImported  EventType = "bank_line_imported"
	TypeMatchConfirmed    EventType = "match_confirmed"
	TypeMatchRejected     EventType = "match_rejected"
	TypeFeeWrittenOff     EventType = "fee_written_off"
	TypeDecisionUndone    EventType = "decision_undone"
	TypePeriodClosed      EventType = "period_closed"
	TypePeriodReopened    EventType = "period_reopened"
	TypeStatementImported EventType = "statement_imported"
	TypeRefundPaired      EventType = "refund_paired"
	TypeLineWrittenOff    EventType = "bank_line_written_off"
)

func init() {
	EventTypes = append(EventTypes, TypeBankLineImported, TypeMatchConfirmed, TypeMatchRejected, TypeFeeWrittenOff,
		TypeDecisionUndone, TypePeriodClosed, TypePeriodReopened, TypeStatementImported, TypeRefundPaired, TypeLineWrittenOff)
}

// Limits of one statement_imported event, unit last. A statement larger
// than one part is recorded in several parts, each in the batch that
// writes its lines.
const (
	// StatementPartLinesMax bounds the line ids (new and already there)
	// one statement_imported event lists.
	StatementPartLinesMax = 400
	// statementWarningsMax bounds the warnings one import records.
	statementWarningsMax = 20
)

// BankLineImported is one line of a bank statement. Amount is signed: money
// in is positive, money out (fees, refunds) negative. The counterparty's name
// and account number may name a person, so they sit in personal.donor.
//
// Its content is only what the bank printed, so the same line imported from
// another file, in another encoding or by another clerk is the same event.
// Who imported which file is recorded by statement_imported. Statement (the
// file name) is kept for lines recorded before that event existed; the
// ledger no longer writes it and ignores it when comparing lines.
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

// SameLine reports whether two imports of a line are what the bank printed
// alike: the file name they came from does not matter.
func (b BankLineImported) SameLine(other BankLineImported) bool {
	b.Statement, other.Statement = "", ""
	if (b.Balance == nil) != (other.Balance == nil) || (b.Balance != nil && *b.Balance != *other.Balance) {
		return false
	}
	b.Balance, other.Balance = nil, nil
	return b == other
}

// StatementImported records one import of a bank statement (or one part of
// a large one): who brought which file, the lines it added and the lines
// it found already there, the rows the bank printed twice, and the checks
// the clerk imported past. The lines themselves are bank_line_imported
// events in the same batch.
type StatementImported struct {
	StatementHeader
	Part         int            `json:"part"`
	Parts        int            `json:"parts"`
	Lines        []string       `json:"lines"`
	Already      []string       `json:"already,omitempty"`
	PrintedTwice []PrintedTwice `json:"printed_twice,omitempty"`
	Warnings     []string       `json:"warnings,omitempty"`
}

// StatementHeader is what a statement says of itself: whose account, which
// file in which format, the days it covers and its balances.
type StatementHeader struct {
	Account   string `json:"account"`
	File      string `json:"file,omitempty"`
	Format    string `json:"format"`
	Profile   string `json:"profile,omitempty"`
	FirstDate string `json:"first_date"`
	LastDate  string `json:"last_date"`
	Opening   *Money `json:"opening,omitempty"`
	Closing   *Money `json:"closing,omitempty"`
}

// PrintedTwice is a statement row the bank printed twice (typically at a
// page break): not a second movement of money.
type PrintedTwice struct {
	LineID string `json:"line_id"`
	Serial string `json:"serial"`
	Where  string `json:"where"`
	Of     string `json:"of"`
}

// RefundPaired records that a money-out line returns an earlier money-in
// line of the same amount (a transfer sent back): both are explained, and
// neither is a donation or a fee.
type RefundPaired struct {
	Account      string `json:"account"`
	PairID       string `json:"pair_id"`
	ReturnedLine string `json:"returned_line"`
	RefundLine   string `json:"refund_line"`
	Amount       Money  `json:"amount"`
	Note         string `json:"note,omitempty"`
}

// LineWrittenOff records that a money-in line is explained without a
// donation (bank interest, a transfer between the union's own accounts),
// with the reason. Money-out charges are fee_written_off.
type LineWrittenOff struct {
	Account string `json:"account"`
	LineID  string `json:"line_id"`
	Amount  Money  `json:"amount"`
	Reason  string `json:"reason"`
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

func (BankLineImported) EventType() EventType  { return TypeBankLineImported }
func (MatchConfirmed) EventType() EventType    { return TypeMatchConfirmed }
func (MatchRejected) EventType() EventType     { return TypeMatchRejected }
func (FeeWrittenOff) EventType() EventType     { return TypeFeeWrittenOff }
func (DecisionUndone) EventType() EventType    { return TypeDecisionUndone }
func (PeriodClosed) EventType() EventType      { return TypePeriodClosed }
func (PeriodReopened) EventType() EventType    { return TypePeriodReopened }
func (StatementImported) EventType() EventType { return TypeStatementImported }
func (RefundPaired) EventType() EventType      { return TypeRefundPaired }
func (LineWrittenOff) EventType() EventType    { return TypeLineWrittenOff }

// Finance events belong to no campaign.
func (BankLineImported) CampaignCode() string  { return "" }
func (MatchConfirmed) CampaignCode() string    { return "" }
func (MatchRejected) CampaignCode() string     { return "" }
func (FeeWrittenOff) CampaignCode() string     { return "" }
func (DecisionUndone) CampaignCode() string    { return "" }
func (PeriodClosed) CampaignCode() string      { return "" }
func (PeriodReopened) CampaignCode() string    { return "" }
func (StatementImported) CampaignCode() string { return "" }
func (RefundPaired) CampaignCode() string      { return "" }
func (LineWrittenOff) CampaignCode() string    { return "" }

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
	case StatementImported:
		return AggregateRef{Kind: AggregateAccount, ID: p.Account}
	case RefundPaired:
		return AggregateRef{Kind: AggregateAccount, ID: p.Account}
	case LineWrittenOff:
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
		TypePeriodClosed, TypePeriodReopened, TypeSubjectErased, TypeStatementImported, TypeRefundPaired, TypeLineWrittenOff:
		return true
	}
	return false
}

// IsAccountEvent reports whether events of a type belong to a bank
// account (AggregateOf): bank lines, statement imports and the
// reconciliation's decisions. They are the reconciliation's, read only by
// those who may read it; period closes and erasures are not.
func IsAccountEvent(eventType EventType) bool {
	switch eventType {
	case TypeBankLineImported, TypeStatementImported, TypeMatchConfirmed, TypeMatchRejected, TypeFeeWrittenOff,
		TypeDecisionUndone, TypeRefundPaired, TypeLineWrittenOff:
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
		checkWriteOff(problems, at, p.LineID, p.Amount, p.Reason)
	case StatementImported:
		checkAccount(p.Account)
		checkText(problems, at("file"), p.File, shortTextRunesMax, false)
		checkText(problems, at("format"), p.Format, 32, true)
		checkText(problems, at("profile"), p.Profile, 32, false)
		for _, date := range []struct{ field, value string }{{"first_date", p.FirstDate}, {"last_date", p.LastDate}} {
			if _, err := time.Parse(time.DateOnly, date.value); err != nil || !datePattern.MatchString(date.value) {
				problems.add(at(date.field), "must be a date YYYY-MM-DD")
			}
		}
		if p.LastDate < p.FirstDate {
			problems.add(at("last_date"), "must not be before first_date")
		}
		for _, balance := range []struct {
			field string
			value *Money
		}{{"opening", p.Opening}, {"closing", p.Closing}} {
			if balance.value != nil && balance.value.sentinel() {
				problems.add(at(balance.field), "%s", balance.value.problem())
			}
		}
		if p.Parts < 1 || p.Part < 1 || p.Part > p.Parts {
			problems.add(at("part"), "must be 1 to parts (%d)", p.Parts)
		}
		if len(p.Lines) == 0 {
			problems.add(at("lines"), "must list the lines the import added")
		}
		if len(p.Lines)+len(p.Already) > StatementPartLinesMax {
			problems.add(at("lines"), "lines and already must list at most %d ids together", StatementPartLinesMax)
		}
		seen := map[string]bool{}
		for _, list := range []struct {
			field string
			ids   []string
		}{{"lines", p.Lines}, {"already", p.Already}} {
			for i, id := range list.ids {
				checkEntityID(problems, fmt.Sprintf("%s[%d]", at(list.field), i), id)
				if seen[id] {
					problems.add(fmt.Sprintf("%s[%d]", at(list.field), i), "is listed twice")
				}
				seen[id] = true
			}
		}
		if len(p.PrintedTwice) > StatementPartLinesMax {
			problems.add(at("printed_twice"), "must list at most %d rows", StatementPartLinesMax)
		}
		for i, row := range p.PrintedTwice {
			path := fmt.Sprintf("%s[%d]", at("printed_twice"), i)
			checkEntityID(problems, path+".line_id", row.LineID)
			checkText(problems, path+".serial", row.Serial, 64, false)
			checkText(problems, path+".where", row.Where, 64, true)
			checkText(problems, path+".of", row.Of, 64, true)
		}
		if len(p.Warnings) > statementWarningsMax {
			problems.add(at("warnings"), "must list at most %d warnings", statementWarningsMax)
		}
		for i, warning := range p.Warnings {
			checkText(problems, fmt.Sprintf("%s[%d]", at("warnings"), i), warning, longTextRunesMax, true)
		}
	case RefundPaired:
		checkAccount(p.Account)
		checkEntityID(problems, at("pair_id"), p.PairID)
		checkEntityID(problems, at("returned_line"), p.ReturnedLine)
		checkEntityID(problems, at("refund_line"), p.RefundLine)
		if p.ReturnedLine == p.RefundLine && p.RefundLine != "" {
			problems.add(at("refund_line"), "must be another line than returned_line")
		}
		checkMoney(problems, at("amount"), p.Amount, true)
		checkText(problems, at("note"), p.Note, longTextRunesMax, false)
	case LineWrittenOff:
		checkAccount(p.Account)
		checkWriteOff(problems, at, p.LineID, p.Amount, p.Reason)
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

// checkWriteOff checks what every write-off names: the line, the amount
// written off and why.
func checkWriteOff(problems *violations, at func(string) string, lineID string, amount Money, reason string) {
	checkEntityID(problems, at("line_id"), lineID)
	checkMoney(problems, at("amount"), amount, true)
	checkText(problems, at("reason"), reason, longTextRunesMax, true)
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
	// unconfirmed are the keys remembered at position 0, waiting for
	// Confirm, which visits them alone.
	unconfirmed []string
}

func (k *keyIndex) Key(key string) (KeyRecord, bool) {
	record, ok := k.keys[key]
	return record, ok
}

func (k *keyIndex) remember(event Event, position uint64) {
	k.rememberKey(event, position)
	if position > k.version {
		k.version = position
	}
}

// rememberKey remembers what the event's idempotency key wrote, if it has
// one; at position 0 the key waits for Confirm.
func (k *keyIndex) rememberKey(event Event, position uint64) {
	if event.IdempotencyKey == "" {
		return
	}
	hash, _ := event.ContentHash()
	k.keys[event.IdempotencyKey] = KeyRecord{EventID: event.ID, ContentHash: hash, Position: position, Actor: event.Actor}
	if position == 0 {
		k.unconfirmed = append(k.unconfirmed, event.IdempotencyKey)
	}
}

func (k *keyIndex) Confirm(version uint64, positions map[uuid.UUID]uint64) {
	k.version = version
	k.unconfirmed = confirmKeys(k.keys, k.unconfirmed, positions)
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
	case LineWrittenOff:
		change[p.LineID] += sign * p.Amount
	case RefundPaired:
		change[p.ReturnedLine] += sign * p.Amount
		change[p.RefundLine] += sign * p.Amount
	}
	return change
}

// Decide checks a finance event against the account.
func (a *Account) Decide(event *Event, _ Validator) error {
	switch p := event.Data.(type) {
	case BankLineImported:
		if existing, ok := a.lines[p.LineID]; ok && !existing.SameLine(p) {
			return rejectf("data.line_id", "line %s was imported before with other content", p.LineID)
		}
		return nil
	case StatementImported:
		for i, id := range p.Lines {
			if _, err := a.line(fmt.Sprintf("data.lines[%d]", i), id); err != nil {
				return err
			}
		}
		for i, id := range p.Already {
			if _, err := a.line(fmt.Sprintf("data.already[%d]", i), id); err != nil {
				return err
			}
		}
		return nil
	case RefundPaired:
		returned, err := a.line("data.returned_line", p.ReturnedLine)
		if err != nil {
			return err
		}
		refund, err := a.line("data.refund_line", p.RefundLine)
		if err != nil {
			return err
		}
		switch {
		case returned.Amount <= 0:
			return rejectf("data.returned_line", "line %s is money out; the returned line is the money that came in", p.ReturnedLine)
		case refund.Amount >= 0:
			return rejectf("data.refund_line", "line %s is money in; a refund is money going out", p.RefundLine)
		case returned.Amount != p.Amount || -refund.Amount != p.Amount:
			return rejectf("data.amount", "a refund pair returns the whole amount: the lines are %s and %s yuan, the pair says %s",
				returned.Amount, refund.Amount, p.Amount)
		}
		return a.checkUnused("data.pair_id", p)
	case LineWrittenOff:
		line, err := a.line("data.line_id", p.LineID)
		if err != nil {
			return err
		}
		if line.Amount < 0 {
			return rejectf("data.line_id", "line %s is money out: a charge is written off as fee_written_off", p.LineID)
		}
		if left := line.Amount - a.used[p.LineID]; p.Amount != left {
			return rejectf("data.amount", "a money-in line is written off whole: line %s has %s yuan left, not %s", p.LineID, left, p.Amount)
		}
	case MatchConfirmed:
		var linesTotal, donationsTotal Money
		for i, id := range p.LineIDs {
			line, err := a.line(fmt.Sprintf("data.line_ids[%d]", i), id)
			if err != nil {
				return err
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
		return a.checkUnused("data.line_ids", p)
	case FeeWrittenOff:
		line, err := a.line("data.line_id", p.LineID)
		if err != nil {
			return err
		}
		if line.Amount > 0 {
			// Before bank_line_written_off existed a money-in line could be
			// written off as a fee; such events are still folded in.
			return rejectf("data.line_id", "line %s is money in: a fee is money out (write the line off as bank_line_written_off, "+
				"or confirm the donation's partial-fee match, which records the fee)", p.LineID)
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

// line is a line of the account, or the refusal naming field.
func (a *Account) line(field, id string) (BankLineImported, error) {
	line, ok := a.lines[id]
	if !ok {
		return line, rejectf(field, "no line %s in account %s", id, a.ID)
	}
	return line, nil
}

// checkUnused refuses a decision that would explain more of a line than
// is left of it.
func (a *Account) checkUnused(field string, payload Payload) error {
	for id, amount := range a.usage(payload, 1) {
		if a.used[id]+amount > absMoney(a.lines[id].Amount) {
			return rejectf(field, "line %s is already matched or written off", id)
		}
	}
	return nil
}

// Apply folds a stored finance event into the account.
func (a *Account) Apply(event Event, position uint64) {
	switch p := event.Data.(type) {
	case BankLineImported:
		a.lines[p.LineID] = p
	case MatchConfirmed, FeeWrittenOff, MatchRejected, RefundPaired, LineWrittenOff:
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

// MayHaveClosed reports whether any month may be closed: false means that
// Closed is false for every month, so a caller need not name the month.
func (p *Periods) MayHaveClosed() bool { return len(p.closed) > 0 }

// Decide checks a close or reopening.
func (p *Periods) Decide(event *Event, _ Validator) error {
	switch data := event.Data.(type) {
	case PeriodClosed:
		if p.closed[data.Month] {
			return rejectf("data.month", "%s is already closed", data.Month)
		}
		if err := checkMonthEnded(data.Month, event.RecordedAt); err != nil {
			return err
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

// checkMonthEnded refuses to close a month that has not ended, Beijing
// time, when the close is recorded: a close says the month's figures are
// final, and a month still under way (or not begun) will have entries in
// it yet. Finance closes June from 1 July on. A close not stamped with
// the time it is recorded at (zero) is not checked here.
func checkMonthEnded(month string, recorded time.Time) error {
	start, err := time.ParseInLocation("2006-01", month, Beijing)
	if err != nil || recorded.IsZero() {
		return nil // validation names a malformed month
	}
	end := start.AddDate(0, 1, 0)
	if recorded.Before(end) {
		return rejectf("data.month", "%s has not ended yet (it is %s in Beijing): a month can be closed once it has ended, "+
			"from %s on", month, recorded.In(Beijing).Format("2006-01-02 15:04"), end.Format("2006-01-02"))
	}
	return nil
}

// MonthOf is the Beijing-time month an instant falls in.
func MonthOf(instant time.Time) string {
	return instant.In(Beijing).Format("2006-01")
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
		return &RuleError{Field: "data.subject_id", Rule: fmt.Sprintf("%s was already erased", data.SubjectID), Cause: ErrAlreadyErased}
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
