package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ordos-union/ledger/domain"
)

// The words each rule gives for a match. A rule says them when it suggests
// or makes the match, and confirmedWhy says them again for a confirmed
// one, whose event records the rule but not its words: both take them from
// here, so a match says the same thing before and after it is confirmed.

// namedBySerial is how a line names a donation whose bank reference is the
// line's serial.
const namedBySerial = "the bank serial is its bank reference"

// namedByRemarkReference is how a line names a donation whose bank
// reference its remark quotes.
func namedByRemarkReference(token string) string {
	return "the remark quotes its bank reference " + token
}

// namedByRemarkID is how a line names a donation, or a pledge not
// received, whose id its remark quotes.
func namedByRemarkID(token string, received bool) string {
	if !received {
		return "the remark names pledge " + token
	}
	return "the remark names donation " + token
}

// referenceNamed says how the line names the donation, as byReference
// found it: by its serial, by the remark quoting the donation's bank
// reference, or by the remark quoting its id; "" when it does not.
func referenceNamed(line Line, donation *Donation, pledge bool) string {
	if donation.Reference != "" && line.Serial == donation.Reference {
		return namedBySerial
	}
	for _, token := range referenceTokenPattern.FindAllString(line.Remark, -1) {
		switch token {
		case donation.Reference:
			return namedByRemarkReference(token)
		case donation.DonationID:
			return namedByRemarkID(token, !pledge)
		}
	}
	return ""
}

// referencePledgeWhy is the reference rule's words for a pledge paid in
// full.
func referencePledgeWhy(named string) string { return named + ", of the same amount" }

func referenceFeeWhy(named string, fee, left domain.Money) string {
	return fmt.Sprintf("%s; the line is %s yuan less than the donation's %s: a bank fee?", named, fee, left)
}

func referenceSplitWhy(named string, lineAmount, left domain.Money) string {
	return fmt.Sprintf("%s; the line is %s yuan of the donation's %s: one of several transfers?", named, lineAmount, left)
}

func amountNameWhy(line Line, donation *Donation, score float64) string {
	return fmt.Sprintf("the same amount (%s yuan) %s, and donor names %s alike (similarity %.2f)", line.Amount,
		daysApart(line.Date, donation.Date), similarityWords(score), score)
}

func (m *matcher) nameFeeWhy(line Line, donation *Donation, fee domain.Money, score float64) string {
	return fmt.Sprintf("the line is %s yuan less than the donation's %s (at most %s is taken for a bank fee), %s, "+
		"and donor names %s alike (similarity %.2f)", fee, donation.Amount, m.options.FeeMax,
		daysApart(line.Date, donation.Date), similarityWords(score), score)
}

func splitWhy(lines []Line, donationID string, amount domain.Money) string {
	parts := make([]string, len(lines))
	for i, line := range lines {
		parts[i] = line.Amount.String()
	}
	return fmt.Sprintf("%d transfers from the same donor (%s yuan) add up to %s %s yuan", len(lines), strings.Join(parts, " + "),
		donationID, amount)
}

func combinedWhy(line Line, donations []domain.MatchedDonation) string {
	return fmt.Sprintf("one transfer of %s yuan from the same donor is %s", line.Amount, amounts(donations))
}

func pledgePaidWhy(line Line, pledgeID string) string {
	return fmt.Sprintf("the same donor pays %s yuan, pledge %s in full", line.Amount, pledgeID)
}

func refundNamedWhy(token string) string { return "the refund's remark names donation " + token }

func refundRemarkWhy(line Line, donationID string, similarity float64) string {
	return fmt.Sprintf("money out with a refund remark (%s), the amount of donation %s, and names %s alike (similarity %.2f)",
		line.Remark, donationID, similarityWords(similarity), similarity)
}

// joinWhy joins two parts of a why; either may be empty.
func joinWhy(first, second string) string {
	switch {
	case first == "":
		return second
	case second == "":
		return first
	}
	return first + "; " + second
}

// confirmedWhy is what the rule of a confirmed match says of its lines
// and donations: the words it gave when it suggested the match, without
// what confirming would do (settle adds what is left to do). It is "" for
// a rule without words (manual) and for a donation no longer in the book
// (voided: voidedMatch says what to do).
func (m *matcher) confirmedWhy(match Match) string {
	if len(match.Lines) == 0 || len(match.Donations) == 0 {
		return ""
	}
	line, id := match.Lines[0], match.Donations[0].DonationID
	donation, pledge := m.book.Donations[id], m.book.Pledges[id] != nil
	if donation == nil {
		donation = m.book.Pledges[id]
	}
	if donation == nil {
		return ""
	}
	similarity := Similarity(line.Counterparty, donation.Donor)
	named := referenceNamed(line, donation, pledge)
	switch {
	case match.Rule == RuleReference && named != "" && pledge:
		return referencePledgeWhy(named)
	case match.Rule == RuleReference:
		return named
	case match.Rule == RulePartialFee && named != "":
		return referenceFeeWhy(named, match.Fee, match.Donations[0].Amount)
	case match.Rule == RulePartialFee:
		return m.nameFeeWhy(line, donation, match.Fee, similarity)
	case match.Rule == RuleSplit && len(match.Lines) == 1 && named != "":
		return referenceSplitWhy(named, line.Amount, donation.Amount)
	case match.Rule == RuleSplit:
		return splitWhy(match.Lines, id, donation.Amount)
	case match.Rule == RuleAmountName:
		return amountNameWhy(line, donation, similarity)
	case match.Rule == RuleCombined:
		return combinedWhy(line, parts(match.Donations))
	case match.Rule == RulePledge:
		return pledgePaidWhy(line, id)
	case match.Rule == RuleRefund && slices.Contains(referenceTokenPattern.FindAllString(line.Remark, -1), id):
		return refundNamedWhy(id)
	case match.Rule == RuleRefund:
		return refundRemarkWhy(line, id, similarity)
	}
	return ""
}
