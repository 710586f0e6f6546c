package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/ordos-union/ledger/domain"
)

// Rules a match is made by, strongest first.
const (
	RuleReference  = "reference"        // the bank serial is the donation's bank reference, or the remark names the donation
	RuleAmountName = "amount-date-name" // same amount within the date window, and a similar donor name
	RuleSplit      = "split"            // several lines from one donor add up to one donation
	RuleCombined   = "combined"         // one line covers several donations or pledges of one donor
	RulePledge     = "pledge"           // one line pays one pledge of the same donor in full
	RulePartialFee = "partial-fee"      // the line is the donation less a bank fee
	RuleRefund     = "refund"           // money out that returns a donation
	RuleRefundPair = "refund-pair"      // money out that sends an unexplained money-in line back
	RuleFee        = "fee"              // money out that is a bank charge
	RuleManual     = "manual"
)

// Options tune matching. Zero values take the defaults.
type Options struct {
	// WindowDays is how far apart a line's and a donation's dates may be.
	WindowDays int
	// FeeMax is the largest difference taken for a bank fee.
	FeeMax domain.Money
	// NameSimilarityMin is the least name similarity (0-1) for a suggestion.
	NameSimilarityMin float64
	// Now dates the ageing of pledges: pledges made after it, and
	// receipts after it, are left out (pledges --as-of).
	Now time.Time
	// RefundWindowDays is how long after money came in a refund of it is
	// looked for.
	RefundWindowDays int
}

// Limits of the matcher, unit last.
const (
	windowDaysDefault        = 10
	feeMaxFenDefault         = 100_00
	nameSimilarityMinDefault = 0.5
	// combineItemsMax bounds the donations or lines one split or combined
	// match may join: real transfers join a handful, and the search stays
	// small.
	combineItemsMax = 4
	// groupItemsMax bounds the candidates of one donor searched for splits
	// and combinations.
	groupItemsMax = 12
	// suggestionsPerLineMax bounds the suggestions one bank line is in.
	suggestionsPerLineMax   = 3
	refundWindowDaysDefault = 30
)

// Match is a matched or suggested set of lines and donations.
type Match struct {
	ID         string            `json:"id"`
	Rule       string            `json:"rule"`
	Lines      []Line            `json:"lines"`
	Donations  []MatchedDonation `json:"donations"`
	Fee        domain.Money      `json:"fee,omitempty"`
	Similarity float64           `json:"similarity,omitempty"`
	// Why says what made the suggestion, in the clerk's words.
	Why string `json:"why,omitempty"`
	// DecidedBy is the event that confirmed it, for confirmed matches.
	DecidedBy string `json:"decided_by,omitempty"`
	// Note is what the person who confirmed it wrote, when they did.
	Note string `json:"note,omitempty"`
	// ToReceive lists the pledges a confirmed match settles whose receipt
	// is not recorded yet. The line is the money arriving; the totals
	// count it once a donation_received with the pledge's id records it.
	ToReceive []string `json:"to_receive,omitempty"`
}

// MatchedDonation is a donation a match or suggestion joins: Amount is
// the part of it the match covers, as the confirmation records it, and Of
// is the donation's whole amount (a pledge's promised amount), so that a
// match covering part of a donation says both.
type MatchedDonation struct {
	domain.MatchedDonation
	// Of is the donation's whole amount; it is absent for a donation
	// voided since, whose amount the book no longer holds.
	Of domain.Money `json:"of,omitempty"`
}

// withWhole adds each donation's whole amount to the parts a match covers.
func (m *matcher) withWhole(donations []domain.MatchedDonation) []MatchedDonation {
	out := make([]MatchedDonation, len(donations))
	for i, donation := range donations {
		out[i] = MatchedDonation{MatchedDonation: donation}
		if whole := m.book.Donations[donation.DonationID]; whole != nil {
			out[i].Of = whole.Amount
		} else if pledge := m.book.Pledges[donation.DonationID]; pledge != nil {
			out[i].Of = pledge.Amount
		}
	}
	return out
}

// parts is what a match's donations record in a confirmation: the parts
// covered, without the whole amounts, which the book holds.
func parts(donations []MatchedDonation) []domain.MatchedDonation {
	out := make([]domain.MatchedDonation, len(donations))
	for i, donation := range donations {
		out[i] = donation.MatchedDonation
	}
	return out
}

// Result is the reconciliation state.
type Result struct {
	Position uint64 `json:"position"`
	// Matched: confirmed by finance, or made automatically by an exact
	// reference with equal amounts.
	Matched []Match `json:"matched"`
	// Suggested: a person decides (ledger reconcile confirm/reject).
	Suggested []Match `json:"suggested"`
	// VoidedMatches: confirmed matches to a donation voided since. The
	// line stays taken by the match until it is undone, so it is listed
	// here, with what to do, rather than as matched.
	VoidedMatches []Match `json:"voided_matches"`
	// WrittenOff: lines (or parts of lines) written off, with the reason.
	WrittenOff []WriteOff `json:"written_off"`
	// Refunds: confirmed pairs of a money-in line and the money-out line
	// that sent it back.
	Refunds []Match `json:"refunds"`
	// Fees: bank fees, deducted from a donation on its way (recorded with
	// its match) or charged as a line of their own (written off).
	Fees []Fee `json:"fees"`
	// PrintedTwice: statement rows the bank printed twice, as recorded
	// when the statement was imported; they were not imported as lines.
	PrintedTwice []PrintedTwiceRow `json:"printed_twice"`
	// UnmatchedLines: bank lines no donation explains.
	UnmatchedLines []Line `json:"unmatched_lines"`
	// UnmatchedDonations: money recorded as received with no bank line.
	UnmatchedDonations []Donation `json:"unmatched_donations"`
	// Duplicates: lines that repeat another line (same date, amount,
	// counterparty and remark under another serial).
	Duplicates [][]Line `json:"duplicates"`
	// Outstanding: pledges not received, with their age.
	Outstanding []Outstanding `json:"outstanding"`
	// AsOf is the day pledges are aged from.
	AsOf string `json:"as_of"`
	// left is each line's money not yet explained, for decisions.
	left map[string]domain.Money
}

// WriteOff is a line written off: the line, how much of it, and why.
type WriteOff struct {
	Line
	WrittenOff domain.Money `json:"written_off"`
	// Kind is "fee" for a charge (money out) and "other" for money in
	// explained without a donation (interest, an own transfer).
	Kind      string `json:"kind"`
	Reason    string `json:"reason"`
	DecidedBy string `json:"decided_by"`
	Actor     string `json:"actor"`
}

// Kinds of write-off.
const (
	WriteOffFee   = "fee"
	WriteOffOther = "other"
)

// Fee is a bank fee and where it was recorded.
type Fee struct {
	LineID string       `json:"line_id"`
	Serial string       `json:"serial,omitempty"`
	Date   time.Time    `json:"date"`
	Amount domain.Money `json:"amount"`
	// Source is "match" (deducted from a donation, recorded with its
	// match) or "write-off" (a charge line).
	Source    string `json:"source"`
	MatchID   string `json:"match_id,omitempty"`
	DecidedBy string `json:"decided_by"`
}

// PrintedTwiceRow is a row the bank printed twice and where.
type PrintedTwiceRow struct {
	Line
	Where string `json:"where"`
	Of    string `json:"of"`
	File  string `json:"file,omitempty"`
}

// Outstanding is a pledge still to be received.
type Outstanding struct {
	Donation
	AgeDays int    `json:"age_days"`
	Bucket  string `json:"bucket"`
}

// Ageing buckets of outstanding pledges.
const (
	Bucket0to30  = "0-30"
	Bucket31to90 = "31-90"
	BucketOver90 = "90+"
)

func (o Options) withDefaults() Options {
	if o.WindowDays == 0 {
		o.WindowDays = windowDaysDefault
	}
	if o.FeeMax == 0 {
		o.FeeMax = feeMaxFenDefault
	}
	if o.NameSimilarityMin == 0 {
		o.NameSimilarityMin = nameSimilarityMinDefault
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.RefundWindowDays == 0 {
		o.RefundWindowDays = refundWindowDaysDefault
	}
	return o
}

// matchID is stable: the same rule, lines and donations give the same id,
// so a rejection keeps the suggestion away for good.
func matchID(rule string, lines []Line, donations []domain.MatchedDonation) string {
	hash := sha256.New()
	hash.Write([]byte(rule))
	for _, line := range lines {
		hash.Write([]byte("|L" + line.LineID))
	}
	for _, donation := range donations {
		hash.Write([]byte("|D" + donation.DonationID))
	}
	return "S-" + hex.EncodeToString(hash.Sum(nil))[:16]
}

// pairing names the lines and donations a match joins, in any order and
// under any rule: a rejection is of the pairing, so that no other rule
// suggests it again (a rejected reference match coming back as an
// amount-date-name suggestion).
func pairing(lineIDs, donationIDs []string) string {
	lineIDs, donationIDs = slices.Clone(lineIDs), slices.Clone(donationIDs)
	slices.Sort(lineIDs)
	slices.Sort(donationIDs)
	var key strings.Builder
	for _, id := range lineIDs {
		key.WriteString("|L" + id)
	}
	for _, id := range donationIDs {
		key.WriteString("|D" + id)
	}
	return key.String()
}

// pairingOf is the pairing of a match's lines and donations.
func pairingOf(lines []Line, donations []domain.MatchedDonation) string {
	lineIDs := make([]string, len(lines))
	for i, line := range lines {
		lineIDs[i] = line.LineID
	}
	donationIDs := make([]string, len(donations))
	for i, donation := range donations {
		donationIDs[i] = donation.DonationID
	}
	return pairing(lineIDs, donationIDs)
}

type matcher struct {
	book          *Book
	suggestedLine map[string]bool
	// suggestionsPerLine counts the suggestions each line is in.
	suggestionsPerLine map[string]int
	// normalized holds each donation's folded donor name.
	normalized map[string]string
	// suggestedCover is, for each donation, what its suggestions offer
	// lines for, added up: two transfers of one donation are two
	// suggestions of one line each.
	suggestedCover map[string]domain.Money
	options        Options
	lineLeft       map[string]domain.Money // line id → money not yet explained
	donLeft        map[string]domain.Money // donation id → money not yet found in the bank
	// rejected holds the rejected suggestions' ids and their pairings
	// (pairing).
	rejected map[string]bool
	// settled holds the day each pledge a confirmed match settles was paid
	// (its latest line's), so that it is no longer outstanding from then.
	settled   map[string]time.Time
	written   map[string]bool
	byAmount  map[domain.Money][]*Donation
	donations []*Donation
	result    Result
}

// Reconcile matches the book's lines and donations.
func Reconcile(book *Book, options Options) Result {
	options = options.withDefaults()
	m := &matcher{book: book, suggestedLine: map[string]bool{}, suggestionsPerLine: map[string]int{}, normalized: map[string]string{}, suggestedCover: map[string]domain.Money{}, options: options,
		lineLeft: map[string]domain.Money{}, donLeft: map[string]domain.Money{},
		rejected: map[string]bool{}, written: map[string]bool{}, byAmount: map[domain.Money][]*Donation{}, settled: map[string]time.Time{}}
	m.result = Result{Position: book.Position, Matched: []Match{}, Suggested: []Match{}, VoidedMatches: []Match{}, WrittenOff: []WriteOff{},
		Refunds: []Match{}, Fees: []Fee{}, PrintedTwice: []PrintedTwiceRow{},
		UnmatchedLines: []Line{}, UnmatchedDonations: []Donation{}, Duplicates: [][]Line{}, Outstanding: []Outstanding{},
		AsOf: options.Now.In(domain.Beijing).Format(time.DateOnly)}
	for _, line := range book.Lines {
		m.lineLeft[line.LineID] = abs(line.Amount)
	}
	for _, donation := range book.Donations {
		m.donations = append(m.donations, donation)
	}
	sort.Slice(m.donations, func(i, j int) bool { return m.donations[i].Position < m.donations[j].Position })
	for _, donation := range m.donations {
		m.normalized[donation.DonationID] = NormalizeName(donation.Donor)
		m.donLeft[donation.DonationID] = donation.Amount
		m.byAmount[donation.Amount] = append(m.byAmount[donation.Amount], donation)
	}
	// A pledge not received is money promised: a line may pay it, once.
	for _, pledge := range book.Pledges {
		if !pledge.Received {
			m.donLeft[pledge.DonationID] = pledge.Amount
		}
	}
	m.applyDecisions()
	m.printedTwice()
	m.findDuplicates()
	m.byReference()
	m.byAmountAndName()
	m.byPartialFee()
	m.byCombination()
	m.outgoing()
	m.leftovers()
	m.ageing()
	m.result.left = m.lineLeft
	return m.result
}

func abs(m domain.Money) domain.Money {
	if m < 0 {
		return -m
	}
	return m
}

func (m *matcher) lineByID() map[string]Line {
	lines := make(map[string]Line, len(m.book.Lines))
	for _, line := range m.book.Lines {
		lines[line.LineID] = line
	}
	return lines
}

func (m *matcher) applyDecisions() {
	lines := m.lineByID()
	for _, decision := range m.book.Decisions {
		if decision.Undone {
			continue
		}
		switch p := decision.Payload.(type) {
		case domain.MatchConfirmed:
			match := Match{ID: p.MatchID, Rule: p.Rule, Donations: m.withWhole(p.Donations), Fee: p.Fee, DecidedBy: decision.EventID, Note: p.Note}
			for _, id := range p.LineIDs {
				match.Lines = append(match.Lines, lines[id])
				m.lineLeft[id] = 0
			}
			// The event records the rule, not its words: they are said
			// again from the lines and donations, as the rule said them.
			match.Why = m.confirmedWhy(match)
			// A refund is money going back: it explains a line, not a
			// donation's arrival.
			if p.Rule != RuleRefund {
				if m.voidedMatch(&match) {
					continue
				}
				m.settle(&match)
				for _, donation := range p.Donations {
					m.donLeft[donation.DonationID] -= donation.Amount
				}
			}
			m.result.Matched = append(m.result.Matched, match)
			if p.Fee > 0 && len(p.LineIDs) > 0 {
				line := lines[p.LineIDs[0]]
				m.result.Fees = append(m.result.Fees, Fee{LineID: line.LineID, Serial: line.Serial, Date: line.Date, Amount: p.Fee,
					Source: "match", MatchID: p.MatchID, DecidedBy: decision.EventID})
			}
		case domain.MatchRejected:
			m.rejected[p.SuggestionID] = true
			m.rejected[pairing(p.LineIDs, p.DonationIDs)] = true
		case domain.FeeWrittenOff:
			m.lineLeft[p.LineID] -= p.Amount
			m.written[p.LineID] = true
			line := lines[p.LineID]
			m.result.WrittenOff = append(m.result.WrittenOff, WriteOff{Line: line, WrittenOff: p.Amount, Kind: WriteOffFee, Reason: p.Reason,
				DecidedBy: decision.EventID, Actor: decision.Actor})
			m.result.Fees = append(m.result.Fees, Fee{LineID: line.LineID, Serial: line.Serial, Date: line.Date, Amount: p.Amount,
				Source: "write-off", DecidedBy: decision.EventID})
		case domain.LineWrittenOff:
			m.lineLeft[p.LineID] -= p.Amount
			m.written[p.LineID] = true
			m.result.WrittenOff = append(m.result.WrittenOff, WriteOff{Line: lines[p.LineID], WrittenOff: p.Amount, Kind: WriteOffOther,
				Reason: p.Reason, DecidedBy: decision.EventID, Actor: decision.Actor})
		case domain.RefundPaired:
			m.lineLeft[p.ReturnedLine] -= p.Amount
			m.lineLeft[p.RefundLine] -= p.Amount
			m.result.Refunds = append(m.result.Refunds, Match{ID: p.PairID, Rule: RuleRefundPair,
				Lines: []Line{lines[p.ReturnedLine], lines[p.RefundLine]}, Why: p.Note, DecidedBy: decision.EventID})
		}
	}
}

// voidedMatch lists a confirmed match whose donation has been voided since
// among the voided matches, saying what to do, and reports whether it did.
// The account still holds the line as matched, so it cannot be matched
// again before the confirmation is undone.
func (m *matcher) voidedMatch(match *Match) bool {
	var voided []string
	for _, donation := range match.Donations {
		id := donation.DonationID
		if m.book.Donations[id] != nil || m.book.Pledges[id] != nil {
			continue
		}
		if by, ok := m.book.Voided[id]; ok {
			voided = append(voided, fmt.Sprintf("%s (voided by event %s)", id, by))
		}
	}
	if len(voided) == 0 {
		return false
	}
	match.Why = fmt.Sprintf("the donation this line was matched to is voided: %s; no donation explains the line any more: "+
		"undo the match (reconcile undo %s), then match the line again or write it off", strings.Join(voided, ", "), match.DecidedBy)
	m.result.VoidedMatches = append(m.result.VoidedMatches, *match)
	return true
}

// settle notes the pledges a confirmed match pays: from its line's day
// they are not outstanding. A pledge with no receipt recorded is listed on
// the match, to be recorded, so that the money counts once: in the totals
// when its receipt is recorded, and in the reconciliation as this line.
func (m *matcher) settle(match *Match) {
	var paid time.Time
	for _, line := range match.Lines {
		if line.Date.After(paid) {
			paid = line.Date
		}
	}
	for _, donation := range match.Donations {
		id := donation.DonationID
		if m.book.Pledges[id] == nil {
			continue
		}
		if day, ok := m.settled[id]; !ok || paid.After(day) {
			m.settled[id] = paid
		}
		if m.book.Donations[id] == nil {
			match.ToReceive = append(match.ToReceive, id)
		}
	}
	if len(match.ToReceive) > 0 {
		receipts := ReceiptsToRecord(match.ToReceive)
		for _, id := range match.ToReceive {
			if by, ok := m.book.Voided[id]; ok {
				receipts += fmt.Sprintf(" (the receipt of %s recorded before was voided by event %s)", id, by)
			}
		}
		match.Why = joinWhy(match.Why, receipts)
	}
}

func (m *matcher) open(line Line) bool { return m.lineLeft[line.LineID] > 0 && line.Amount > 0 }

// suggestWhy suggests a match, or makes it when automatic, saying why.
func (m *matcher) suggestWhy(rule string, lines []Line, donations []domain.MatchedDonation, fee domain.Money, similarity float64,
	automatic bool, why string) {
	id := matchID(rule, lines, donations)
	if m.rejected[id] || m.rejected[pairingOf(lines, donations)] {
		return
	}
	if !automatic {
		// A person can weigh a few candidates, not hundreds.
		for _, line := range lines {
			if m.suggestionsPerLine[line.LineID] >= suggestionsPerLineMax {
				return
			}
		}
		for _, line := range lines {
			m.suggestionsPerLine[line.LineID]++
		}
	}
	match := Match{ID: id, Rule: rule, Lines: lines, Donations: m.withWhole(donations), Fee: fee, Similarity: round2(similarity), Why: why}
	if automatic {
		for _, line := range lines {
			m.lineLeft[line.LineID] = 0
		}
		for _, donation := range donations {
			m.donLeft[donation.DonationID] -= donation.Amount
		}
		m.result.Matched = append(m.result.Matched, match)
		return
	}
	m.result.Suggested = append(m.result.Suggested, match)
	for _, line := range lines {
		m.suggestedLine[line.LineID] = true
	}
	// A refund sends money back: it is no line for a donation's arrival.
	if rule == RuleRefund {
		return
	}
	for _, donation := range donations {
		m.suggestedCover[donation.DonationID] += donation.Amount
	}
}

func round2(value float64) float64 { return float64(int(value*100+0.5)) / 100 }

func (m *matcher) withinWindow(line Line, donation *Donation) bool {
	days := line.Date.Sub(donation.Date).Hours() / 24
	return days >= -float64(m.options.WindowDays) && days <= float64(m.options.WindowDays)
}

// byReference: the serial, or a whole word of the remark (附言, 用途),
// is a donation's bank reference or its id. With the same amount the match
// is made at once; otherwise it is a suggestion that says why.
func (m *matcher) byReference() {
	references := map[string]*Donation{}
	ids := map[string]*Donation{}
	for _, donation := range m.donations {
		if donation.Reference != "" {
			references[donation.Reference] = donation
		}
		ids[donation.DonationID] = donation
	}
	// A pledge not received yet may be named too: the line is its money
	// arriving.
	for _, pledge := range m.book.Pledges {
		if !pledge.Received {
			ids[pledge.DonationID] = pledge
		}
	}
	for _, line := range m.book.Lines {
		if !m.open(line) {
			continue
		}
		donation, named := references[line.Serial], namedBySerial
		if donation == nil || m.donLeft[donation.DonationID] <= 0 {
			donation = nil
			for _, token := range referenceTokenPattern.FindAllString(line.Remark, -1) {
				if candidate := references[token]; candidate != nil && m.donLeft[candidate.DonationID] > 0 {
					donation, named = candidate, namedByRemarkReference(token)
					break
				}
				if candidate := ids[token]; candidate != nil && m.donLeft[candidate.DonationID] > 0 {
					donation, named = candidate, namedByRemarkID(token, candidate.Received)
					break
				}
			}
		}
		if donation == nil {
			continue
		}
		left := m.donLeft[donation.DonationID]
		switch fee := left - line.Amount; {
		case fee == 0 && !donation.Received:
			// A pledge is only promised: a person confirms that this is
			// its money, and the receipt is recorded with it.
			m.suggestWhy(RuleReference, []Line{line}, []domain.MatchedDonation{matched(donation, left)}, 0, 1, false,
				joinWhy(referencePledgeWhy(named), pledgeWhy))
		case fee == 0:
			m.suggestWhy(RuleReference, []Line{line}, []domain.MatchedDonation{matched(donation, left)}, 0, 1, true, named)
		case fee > 0 && fee <= m.options.FeeMax:
			m.suggestWhy(RulePartialFee, []Line{line}, []domain.MatchedDonation{matched(donation, left)}, fee, 1, false,
				referenceFeeWhy(named, fee, left))
		case line.Amount < left:
			// Part of the donation: perhaps one of several transfers.
			m.suggestWhy(RuleSplit, []Line{line}, []domain.MatchedDonation{matched(donation, line.Amount)}, 0, 1, false,
				referenceSplitWhy(named, line.Amount, left))
		}
	}
}

// ReceiptsToRecord says which pledges a confirmed line pays with no
// receipt recorded, and what the clerk does about it.
func ReceiptsToRecord(ids []string) string {
	what, them, receipts := "pledge "+ids[0], "it", "its receipt"
	if len(ids) > 1 {
		what, them, receipts = "pledges "+strings.Join(ids, ", "), "them", "their receipts"
	}
	return fmt.Sprintf("this line pays %s, settled from the line's day in the reconciliation and the pledges; no receipt is recorded for %s: "+
		"record %s (donation_received with the same donation_id) so that the totals count the money", what, them, receipts)
}

// pledgeWhy says what confirming a pledge's match does.
const pledgeWhy = "a pledge is money promised, not recorded as received: confirming settles the pledge; then record its receipt so that the totals count the money"

// referenceTokenPattern finds the words of a remark that could be ids.
var referenceTokenPattern = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._-]{1,63}`)

func matched(donation *Donation, amount domain.Money) domain.MatchedDonation {
	return domain.MatchedDonation{DonationID: donation.DonationID, Campaign: donation.Campaign, Amount: amount}
}

// byAmountAndName: equal amounts in the window; the most similar donor
// name wins; equally good candidates are all suggested.
func (m *matcher) byAmountAndName() {
	for _, line := range m.book.Lines {
		if !m.open(line) {
			continue
		}
		var best []*Donation
		bestScore := 0.0
		for _, donation := range m.byAmount[line.Amount] {
			if m.donLeft[donation.DonationID] != donation.Amount || !m.withinWindow(line, donation) {
				continue
			}
			score := Similarity(line.Counterparty, donation.Donor)
			switch {
			case score < m.options.NameSimilarityMin:
			case score > bestScore+1e-9:
				best, bestScore = []*Donation{donation}, score
			case score >= bestScore-1e-9:
				best = append(best, donation)
			}
		}
		for _, donation := range best {
			m.suggestWhy(RuleAmountName, []Line{line}, []domain.MatchedDonation{matched(donation, donation.Amount)}, 0, bestScore, false,
				amountNameWhy(line, donation, bestScore))
		}
	}
}

// byPartialFee: the line is a donation less a small bank fee.
func (m *matcher) byPartialFee() {
	amounts := make([]domain.Money, 0, len(m.byAmount))
	for amount := range m.byAmount {
		amounts = append(amounts, amount)
	}
	sort.Slice(amounts, func(i, j int) bool { return amounts[i] < amounts[j] })
	for _, line := range m.book.Lines {
		if !m.open(line) || m.suggested(line) {
			continue
		}
		start := sort.Search(len(amounts), func(i int) bool { return amounts[i] > line.Amount })
		// The most similar donor names win; the fee breaks ties (smallest
		// first), and a line gets at most suggestionsPerLineMax.
		type candidate struct {
			donation *Donation
			score    float64
		}
		var best []candidate
		counterparty := NormalizeName(line.Counterparty)
		// Exact names first: they are cheap to compare and, when present,
		// beat every fuzzy candidate.
		exact := false
		for i := start; i < len(amounts) && amounts[i]-line.Amount <= m.options.FeeMax && !exact; i++ {
			for _, donation := range m.byAmount[amounts[i]] {
				if m.normalized[donation.DonationID] == counterparty && counterparty != "" &&
					m.donLeft[donation.DonationID] == donation.Amount && m.withinWindow(line, donation) {
					best, exact = append(best, candidate{donation, 1}), true
				}
			}
		}
		for i := start; i < len(amounts) && amounts[i]-line.Amount <= m.options.FeeMax && !exact; i++ {
			for _, donation := range m.byAmount[amounts[i]] {
				if m.donLeft[donation.DonationID] != donation.Amount || !m.withinWindow(line, donation) {
					continue
				}
				score := Similarity(line.Counterparty, donation.Donor)
				switch {
				case score < m.options.NameSimilarityMin:
				case len(best) == 0 || score > best[0].score+1e-9:
					best = []candidate{{donation, score}}
				case score >= best[0].score-1e-9:
					best = append(best, candidate{donation, score})
				}
			}
		}
		for _, found := range best {
			fee := found.donation.Amount - line.Amount
			m.suggestWhy(RulePartialFee, []Line{line}, []domain.MatchedDonation{matched(found.donation, found.donation.Amount)},
				fee, found.score, false, m.nameFeeWhy(line, found.donation, fee, found.score))
		}
	}
}

func (m *matcher) suggested(line Line) bool { return m.suggestedLine[line.LineID] }

// daysApart says how far apart a line's and a donation's days are, in
// Beijing calendar days: a line is booked on a day, a donation recorded at
// an hour of one.
func daysApart(line, donation time.Time) string {
	day := func(at time.Time) time.Time {
		year, month, date := at.In(domain.Beijing).Date()
		return time.Date(year, month, date, 0, 0, 0, 0, time.UTC)
	}
	days := int(day(line).Sub(day(donation)).Hours() / 24)
	switch {
	case days == 0:
		return "on the same day"
	case days == 1:
		return "1 day after the donation was recorded"
	case days == -1:
		return "1 day before the donation was recorded"
	case days < 0:
		return fmt.Sprintf("%d days before the donation was recorded", -days)
	}
	return fmt.Sprintf("%d days after the donation was recorded", days)
}

// similarityWords says how alike two names are, the score being the
// matcher's (1 equal, 0.9 one inside the other).
func similarityWords(score float64) string {
	switch {
	case score >= 1:
		return "are"
	case score >= 0.9:
		return "are nearly"
	}
	return "are partly"
}

// amounts lists the donations' amounts, to say what adds up.
func amounts(donations []domain.MatchedDonation) string {
	var parts []string
	for _, donation := range donations {
		parts = append(parts, donation.DonationID+" "+donation.Amount.String())
	}
	return strings.Join(parts, " + ")
}

// byCombination: within one donor, several lines that add up to one
// donation, or one line that covers several donations or pledges.
func (m *matcher) byCombination() {
	type group struct {
		lines     []Line
		donations []*Donation
	}
	groups := map[string]*group{}
	for _, line := range m.book.Lines {
		if m.open(line) && !m.suggested(line) {
			// One account per group: a match never joins two accounts.
			key := line.Account + "|" + NormalizeName(line.Counterparty)
			if groups[key] == nil {
				groups[key] = &group{}
			}
			groups[key].lines = append(groups[key].lines, line)
		}
	}
	accountSet := map[string]bool{}
	for _, line := range m.book.Lines {
		accountSet[line.Account] = true
	}
	accounts := make([]string, 0, len(accountSet))
	for account := range accountSet {
		accounts = append(accounts, account)
	}
	sort.Strings(accounts)
	candidates := append([]*Donation{}, m.donations...)
	var pledges []*Donation
	for _, pledge := range m.book.Pledges {
		if !pledge.Received {
			pledges = append(pledges, pledge)
		}
	}
	// Log order, so the same book always gives the same suggestions.
	sort.Slice(pledges, func(i, j int) bool { return pledges[i].Position < pledges[j].Position })
	candidates = append(candidates, pledges...)
	for _, donation := range candidates {
		left, received := m.donLeft[donation.DonationID]
		if received && left != donation.Amount {
			continue
		}
		// Only the same donor (names equal once company suffixes are
		// folded) joins a split or combination: a fuzzy search over all
		// pairs would cost the square of the lines.
		for _, account := range accounts {
			if g := groups[account+"|"+NormalizeName(donation.Donor)]; g != nil && len(g.donations) < groupItemsMax {
				g.donations = append(g.donations, donation)
			}
		}
	}
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g := groups[name]
		if len(g.lines) > groupItemsMax {
			g.lines = g.lines[:groupItemsMax]
		}
		// Several lines for one donation.
		for _, donation := range g.donations {
			for _, subset := range subsetsSumming(len(g.lines), func(i int) domain.Money { return g.lines[i].Amount }, donation.Amount) {
				if len(subset) < 2 {
					continue
				}
				var lines []Line
				for _, i := range subset {
					lines = append(lines, g.lines[i])
				}
				m.suggestWhy(RuleSplit, lines, []domain.MatchedDonation{matched(donation, donation.Amount)}, 0, Similarity(lines[0].Counterparty, donation.Donor), false,
					splitWhy(lines, donation.DonationID, donation.Amount))
				break
			}
		}
		// One line for several donations or pledges.
		for _, line := range g.lines {
			for _, subset := range subsetsSumming(len(g.donations), func(i int) domain.Money { return g.donations[i].Amount }, line.Amount) {
				similarity := Similarity(line.Counterparty, g.donations[subset[0]].Donor)
				if len(subset) == 1 {
					// One received donation of the same amount is the
					// amount-date-name tier's, within its window; a
					// pledge is paid whenever the donor pays it.
					if pledge := g.donations[subset[0]]; !pledge.Received {
						m.suggestWhy(RulePledge, []Line{line}, []domain.MatchedDonation{matched(pledge, pledge.Amount)}, 0, similarity, false,
							joinWhy(pledgePaidWhy(line, pledge.DonationID), pledgeWhy))
						break
					}
					continue
				}
				var donations []domain.MatchedDonation
				pledges := false
				for _, i := range subset {
					donations = append(donations, matched(g.donations[i], g.donations[i].Amount))
					pledges = pledges || !g.donations[i].Received
				}
				why := combinedWhy(line, donations)
				if pledges {
					why += "; pledges among them are promised, not recorded as received: confirming settles them; " +
						"then record their receipts so the totals count the money"
				}
				m.suggestWhy(RuleCombined, []Line{line}, donations, 0, similarity, false, why)
				break
			}
		}
	}
}

// subsetsSumming finds index sets of at most combineItemsMax items whose
// amounts add up to target, smallest sets first.
func subsetsSumming(count int, amount func(int) domain.Money, target domain.Money) [][]int {
	var found [][]int
	var walk func(start int, chosen []int, sum domain.Money)
	walk = func(start int, chosen []int, sum domain.Money) {
		if sum == target && len(chosen) > 0 {
			found = append(found, append([]int(nil), chosen...))
			return
		}
		if len(chosen) == combineItemsMax || sum > target || len(found) > 0 {
			return
		}
		for i := start; i < count; i++ {
			walk(i+1, append(chosen, i), sum+amount(i))
		}
	}
	walk(0, nil, 0)
	return found
}

// refundWords mark a money-out line as money sent back.
var refundWords = []string{"退", "refund", "冲正", "return"}

// outgoing: money out is a refund of a donation, money sent back that came
// in unexplained, or a bank charge.
func (m *matcher) outgoing() {
	for _, line := range m.book.Lines {
		if line.Amount >= 0 || m.lineLeft[line.LineID] <= 0 {
			continue
		}
		remark := strings.ToLower(line.Remark)
		refund := false
		for _, word := range refundWords {
			refund = refund || strings.Contains(remark, word)
		}
		switch {
		case refund:
			// A refund that names its donation goes with it, whatever the
			// amount; then money that came in unexplained and goes back;
			// then a donation of the same amount and donor.
			named := false
			for _, token := range referenceTokenPattern.FindAllString(line.Remark, -1) {
				if donation := m.book.Donations[token]; donation != nil {
					m.suggestWhy(RuleRefund, []Line{line}, []domain.MatchedDonation{matched(donation, -line.Amount)}, 0,
						Similarity(line.Counterparty, donation.Donor), false, refundNamedWhy(token))
					named = true
					break
				}
			}
			if named || m.refundPairs(line) {
				continue
			}
			for _, donation := range m.byAmount[-line.Amount] {
				if similarity := Similarity(line.Counterparty, donation.Donor); similarity >= m.options.NameSimilarityMin {
					m.suggestWhy(RuleRefund, []Line{line}, []domain.MatchedDonation{matched(donation, -line.Amount)}, 0, similarity, false,
						refundRemarkWhy(line, donation.DonationID, similarity))
				}
			}
		case strings.Contains(remark, "手续费") || strings.Contains(remark, "费") || strings.Contains(remark, "fee"):
			if -line.Amount <= m.options.FeeMax {
				m.suggestWhy(RuleFee, []Line{line}, nil, -line.Amount, 0, false, "a bank charge: the remark says "+line.Remark)
			}
		}
	}
}

// refundPairs suggests pairing a refund with the money-in lines it may send
// back: the same amount, untouched, from the same account or a similar
// name, booked within the refund window before it. It reports whether it
// suggested any.
func (m *matcher) refundPairs(refund Line) bool {
	found := false
	for _, line := range m.book.Lines {
		if line.Account != refund.Account || line.Amount != -refund.Amount || m.lineLeft[line.LineID] != line.Amount {
			continue
		}
		days := refund.Date.Sub(line.Date).Hours() / 24
		if days < 0 || days > float64(m.options.RefundWindowDays) {
			continue
		}
		sameAccount := line.CounterpartyAccount != "" && line.CounterpartyAccount == refund.CounterpartyAccount
		similarity := Similarity(line.Counterparty, refund.Counterparty)
		if !sameAccount && similarity < m.options.NameSimilarityMin {
			continue
		}
		why := fmt.Sprintf("%s yuan came in on %s and the same amount went back on %s (%s)", line.Amount,
			line.Date.Format(time.DateOnly), refund.Date.Format(time.DateOnly), refund.Remark)
		if sameAccount {
			why += "; the same counterparty account"
			similarity = 1
		}
		m.suggestWhy(RuleRefundPair, []Line{line, refund}, nil, 0, similarity, false, why)
		found = true
	}
	return found
}

func (m *matcher) findDuplicates() {
	seen := map[string][]Line{}
	var keys []string
	for _, line := range m.book.Lines {
		key := line.Account + "|" + line.Date.Format(time.DateOnly) + "|" + line.Amount.String() + "|" + NormalizeName(line.Counterparty) + "|" + line.Remark
		if _, ok := seen[key]; !ok {
			keys = append(keys, key)
		}
		seen[key] = append(seen[key], line)
	}
	for _, key := range keys {
		if len(seen[key]) > 1 {
			m.result.Duplicates = append(m.result.Duplicates, seen[key])
		}
	}
}

func (m *matcher) leftovers() {
	for _, line := range m.book.Lines {
		if m.lineLeft[line.LineID] > 0 && !m.suggested(line) {
			m.result.UnmatchedLines = append(m.result.UnmatchedLines, line)
		}
	}
	// A donation is listed with what no confirmed match covers: a
	// suggestion covers nothing until it is confirmed. It is left off only
	// while its suggestions offer lines for all of that, waiting for a
	// decision; suggestions for part of it (one transfer of several, the
	// others not in the bank) leave the rest with no bank line at all, so
	// the donation stays listed, whole until a match is confirmed.
	for _, donation := range m.donations {
		left := m.donLeft[donation.DonationID]
		if left > 0 && m.suggestedCover[donation.DonationID] < left {
			unmatched := *donation
			unmatched.Unmatched = left
			m.result.UnmatchedDonations = append(m.result.UnmatchedDonations, unmatched)
		}
	}
}

// ageing lists the pledges outstanding on the as-of day (Options.Now):
// pledges made after it are left out, and a pledge received after it was
// still outstanding then. A pledge a confirmed match settles is paid from
// its line's day, its receipt recorded or not.
func (m *matcher) ageing() {
	asOf := m.options.Now
	var pledges []*Donation
	for _, pledge := range m.book.Pledges {
		if pledge.Date.After(asOf) {
			continue
		}
		if receipt := m.book.Donations[pledge.DonationID]; receipt != nil && !receipt.Date.After(asOf) {
			continue
		}
		if paid, ok := m.settled[pledge.DonationID]; ok && !paid.After(asOf) {
			continue
		}
		// Outstanding on the day means not received on the day, whatever
		// was received later.
		outstanding := *pledge
		outstanding.Received = false
		pledges = append(pledges, &outstanding)
	}
	sort.Slice(pledges, func(i, j int) bool { return pledges[i].Position < pledges[j].Position })
	for _, pledge := range pledges {
		days := int(asOf.Sub(pledge.Date).Hours() / 24)
		bucket := Bucket0to30
		switch {
		case days > 90:
			bucket = BucketOver90
		case days > 30:
			bucket = Bucket31to90
		}
		m.result.Outstanding = append(m.result.Outstanding, Outstanding{Donation: *pledge, AgeDays: days, Bucket: bucket})
	}
}

// printedTwice lists the rows the bank printed twice, as the imports
// recorded them, each once.
func (m *matcher) printedTwice() {
	lines := m.lineByID()
	seen := map[string]bool{}
	for _, imported := range m.book.Imports {
		for _, row := range imported.PrintedTwice {
			key := imported.Account + "|" + row.LineID + "|" + row.Where + "|" + imported.File
			line, ok := lines[row.LineID]
			if seen[key] || !ok {
				continue
			}
			seen[key] = true
			m.result.PrintedTwice = append(m.result.PrintedTwice, PrintedTwiceRow{Line: line, Where: row.Where, Of: row.Of, File: imported.File})
		}
	}
}

// companySuffixes are left out when names are compared: 有限公司 and
// 有限责任公司 name the same company.
var companySuffixes = []string{"股份有限公司", "有限责任公司", "有限公司", "责任公司", "集团公司", "公司", "co., ltd.", "co.,ltd.", "co. ltd", "ltd.", "ltd", "inc."}

// NormalizeName folds a donor name for comparison: lower case, no spaces,
// punctuation or company suffixes.
func NormalizeName(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, suffix := range companySuffixes {
		name = strings.TrimSuffix(name, suffix)
	}
	var builder strings.Builder
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			builder.WriteRune(r)
		}
	}
	return builder.String()
}

// Similarity of two donor names, 0 to 1: the Dice coefficient of their
// character bigrams after NormalizeName; a name inside the other scores 0.9.
func Similarity(a, b string) float64 {
	a, b = NormalizeName(a), NormalizeName(b)
	switch {
	case a == "" || b == "":
		return 0
	case a == b:
		return 1
	case strings.Contains(a, b) || strings.Contains(b, a):
		return 0.9
	}
	bigrams := func(text string) map[string]int {
		runes := []rune(text)
		out := map[string]int{}
		for i := 0; i+1 < len(runes); i++ {
			out[string(runes[i:i+2])]++
		}
		return out
	}
	first, second := bigrams(a), bigrams(b)
	shared, total := 0, 0
	for gram, count := range first {
		shared += min(count, second[gram])
		total += count
	}
	for _, count := range second {
		total += count
	}
	if total == 0 {
		return 0
	}
	return 2 * float64(shared) / float64(total)
}
