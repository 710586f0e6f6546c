package reconcile

import (
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/domain"
)

// Actions finance takes on the reconciliation.
const (
	ActionConfirm  = "confirm"
	ActionReject   = "reject"
	ActionWriteOff = "write-off"
	ActionUndo     = "undo"
)

// DecisionRequest is what a person decides: an action on a suggestion id, a
// bank line id (write-off) or a decision's event id (undo).
type DecisionRequest struct {
	Action string        `json:"action"`
	ID     string        `json:"id"`
	Reason string        `json:"reason,omitempty"`
	Note   string        `json:"note,omitempty"`
	Amount *domain.Money `json:"amount,omitempty"`
}

// Decision turns a request into the event payload that records it. The
// payload is checked again by the account aggregate when it is recorded.
// Errors name the request's field (reason, amount, id) as data, so each
// front end names it its own way (--reason, "reason").
func (r Result) Decision(book *Book, request DecisionRequest) (domain.Payload, error) {
	required := func(field, value string) error {
		if strings.TrimSpace(value) == "" {
			return &domain.ValidationError{Violations: []domain.Violation{{Field: field, Rule: "is required"}}}
		}
		return nil
	}
	switch request.Action {
	case ActionConfirm, ActionReject:
		found := lastWhere(r.Suggested, func(match *Match) bool { return match.ID == request.ID })
		if found == nil {
			automatic, err := r.notSuggested(request)
			if err != nil {
				return nil, err
			}
			found = automatic
		}
		var lineIDs, donationIDs []string
		for _, line := range found.Lines {
			lineIDs = append(lineIDs, line.LineID)
		}
		for _, donation := range found.Donations {
			donationIDs = append(donationIDs, donation.DonationID)
		}
		account := found.Lines[0].Account
		switch {
		case request.Action == ActionReject:
			if err := required("reason", request.Reason); err != nil {
				return nil, err
			}
			return domain.MatchRejected{Account: account, SuggestionID: request.ID, LineIDs: lineIDs, DonationIDs: donationIDs,
				Reason: request.Reason}, nil
		case found.Rule == RuleFee:
			reason := request.Reason
			if reason == "" {
				reason = "银行手续费 bank fee"
			}
			return domain.FeeWrittenOff{Account: account, LineID: lineIDs[0], Amount: found.Fee, Reason: reason}, nil
		case found.Rule == RuleRefundPair:
			note := request.Note
			if note == "" {
				note = found.Why
			}
			return domain.RefundPaired{Account: account, PairID: found.ID, ReturnedLine: lineIDs[0], RefundLine: lineIDs[1],
				Amount: found.Lines[0].Amount, Note: truncateRunes(note, 2000)}, nil
		}
		return domain.MatchConfirmed{Account: account, MatchID: request.ID, LineIDs: lineIDs, Donations: parts(found.Donations),
			Fee: found.Fee, Rule: found.Rule, Note: request.Note}, nil
	case ActionWriteOff:
		if err := required("reason", request.Reason); err != nil {
			return nil, err
		}
		return r.writeOff(book, request)
	case ActionUndo:
		if err := required("reason", request.Reason); err != nil {
			return nil, err
		}
		for _, decision := range book.Decisions {
			if decision.EventID == request.ID {
				return domain.DecisionUndone{Account: domain.AggregateOf(decision.Payload).ID, DecisionEventID: request.ID,
					Reason: request.Reason}, nil
			}
		}
		return nil, &NotFoundError{What: "reconciliation decision", ID: request.ID, Where: "the reconciliation report shows each decision's event id"}
	}
	return nil, &domain.ValidationError{Violations: []domain.Violation{{Field: "action", Rule: "must be confirm, reject, write-off or undo"}}}
}

// notSuggested is the automatic match a rejection undoes, or the error
// saying what the id is and what can be done with it: a match confirmed by
// a person is taken back by undoing its event; an automatic match (an exact
// reference) is rejected, which keeps it from being made again, but is
// never confirmed, being matched already.
func (r Result) notSuggested(request DecisionRequest) (*Match, error) {
	// What the id names is decided already: a refusal of what the ledger
	// holds, not of how the request was made.
	refuse := func(rule string, args ...any) error {
		return &domain.RuleError{Field: "id", Rule: fmt.Sprintf(rule, args...)}
	}
	if match := lastWhere(r.Matched, func(match *Match) bool { return match.ID == request.ID }); match != nil {
		switch {
		case match.DecidedBy != "":
			return nil, refuse("%s is a match confirmed by event %s, not an open suggestion: to take it back, undo event %s (with a reason)",
				request.ID, match.DecidedBy, match.DecidedBy)
		case request.Action == ActionConfirm:
			return nil, refuse("%s is a match made automatically by the %s rule: it is matched already, there is nothing to confirm; "+
				"if it is wrong, reject it (with a reason) and it is not made again", request.ID, match.Rule)
		}
		return match, nil
	}
	if match := lastWhere(r.VoidedMatches, func(match *Match) bool { return match.ID == request.ID }); match != nil {
		return nil, refuse("%s is a match confirmed by event %s to a donation voided since: undo event %s (with a reason), "+
			"then match the line again or write it off", request.ID, match.DecidedBy, match.DecidedBy)
	}
	return nil, &NotFoundError{What: "suggestion or match", ID: request.ID, Where: "the reconciliation report lists their ids"}
}

// writeOff writes a line off: a charge (money out) as a fee, in whole or
// in part; money in only whole, as explained without a donation. A line
// that is matched is refused with what matched it: a fee deducted from a
// donation was recorded with its match, and writing it off again would
// count it twice.
func (r Result) writeOff(book *Book, request DecisionRequest) (domain.Payload, error) {
	line := lastWhere(book.Lines, func(line *Line) bool { return line.LineID == request.ID })
	if line == nil {
		return nil, &NotFoundError{What: "bank line", ID: request.ID, Where: "the reconciliation report lists their ids"}
	}
	refuse := func(field, rule string, args ...any) error {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: field, Rule: fmt.Sprintf(rule, args...)}}}
	}
	// A line matched or written off already is a refusal of what the
	// ledger holds, not of how the request was made.
	decided := func(rule string, args ...any) error {
		return &domain.RuleError{Field: "id", Rule: fmt.Sprintf(rule, args...)}
	}
	left := r.left[line.LineID]
	if left <= 0 {
		for _, match := range append(append([]Match{}, r.Matched...), r.Refunds...) {
			for _, matchedLine := range match.Lines {
				if matchedLine.LineID != line.LineID {
					continue
				}
				if match.Fee > 0 {
					return nil, decided("line %s is matched (%s, event %s) and its bank fee of %s yuan was recorded with the match: "+
						"there is nothing left to write off", line.LineID, match.ID, match.DecidedBy, match.Fee)
				}
				return nil, decided("line %s is matched (%s, event %s): there is nothing left to write off; undo the match first",
					line.LineID, match.ID, match.DecidedBy)
			}
		}
		return nil, decided("line %s is written off already", line.LineID)
	}
	amount := left
	if request.Amount != nil {
		amount = *request.Amount
	}
	if line.Amount < 0 {
		if amount <= 0 || amount > left {
			return nil, refuse("amount", "must be more than 0 and at most the %s yuan left of line %s", left, line.LineID)
		}
		return domain.FeeWrittenOff{Account: line.Account, LineID: line.LineID, Amount: amount, Reason: request.Reason}, nil
	}
	if amount != left {
		for _, match := range r.Suggested {
			if match.Rule == RulePartialFee && len(match.Lines) == 1 && match.Lines[0].LineID == line.LineID {
				return nil, refuse("amount", "line %s is money in; its bank fee of %s yuan is recorded by confirming suggestion %s "+
					"(the donation less the fee), not by writing part of the line off", line.LineID, match.Fee, match.ID)
			}
		}
		return nil, refuse("amount", "line %s is money in and is written off whole (%s yuan), or matched; a fee is money out", line.LineID, left)
	}
	return domain.LineWrittenOff{Account: line.Account, LineID: line.LineID, Amount: amount, Reason: request.Reason}, nil
}

// NotFoundError says that the id a decision names (ID) is no What the
// reconciliation knows, and Where their ids are shown. It matches
// domain.ErrNotFound.
type NotFoundError struct {
	What  string
	ID    string
	Where string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("there is no %s %s: %s", e.What, e.ID, e.Where)
}

// Is makes errors.Is(err, domain.ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == domain.ErrNotFound }

// lastWhere is the last item that matches, in place; nil when none does.
// The ids it is asked for are unique within a result and a book, so the
// last is the only one; the last is what the decisions always took.
func lastWhere[T any](items []T, match func(*T) bool) *T {
	var found *T
	for i := range items {
		if match(&items[i]) {
			found = &items[i]
		}
	}
	return found
}
