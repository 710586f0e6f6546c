package reconcile

import (
	"fmt"

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
func (r Result) Decision(book *Book, request DecisionRequest) (domain.Payload, error) {
	switch request.Action {
	case ActionConfirm, ActionReject:
		var found *Match
		for i := range r.Suggested {
			if r.Suggested[i].ID == request.ID {
				found = &r.Suggested[i]
			}
		}
		if found == nil {
			return nil, fmt.Errorf("no open suggestion %s: %w", request.ID, domain.ErrNotFound)
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
			return domain.MatchRejected{Account: account, SuggestionID: request.ID, LineIDs: lineIDs, DonationIDs: donationIDs,
				Reason: request.Reason}, nil
		case found.Rule == RuleFee:
			reason := request.Reason
			if reason == "" {
				reason = "银行手续费 bank fee"
			}
			return domain.FeeWrittenOff{Account: account, LineID: lineIDs[0], Amount: found.Fee, Reason: reason}, nil
		}
		return domain.MatchConfirmed{Account: account, MatchID: request.ID, LineIDs: lineIDs, Donations: found.Donations,
			Fee: found.Fee, Rule: found.Rule, Note: request.Note}, nil
	case ActionWriteOff:
		for _, line := range book.Lines {
			if line.LineID != request.ID {
				continue
			}
			amount := abs(line.Amount)
			if request.Amount != nil {
				amount = *request.Amount
			}
			return domain.FeeWrittenOff{Account: line.Account, LineID: line.LineID, Amount: amount, Reason: request.Reason}, nil
		}
		return nil, fmt.Errorf("no bank line %s: %w", request.ID, domain.ErrNotFound)
	case ActionUndo:
		for _, decision := range book.Decisions {
			if decision.EventID == request.ID {
				return domain.DecisionUndone{Account: domain.AggregateOf(decision.Payload).ID, DecisionEventID: request.ID,
					Reason: request.Reason}, nil
			}
		}
		return nil, fmt.Errorf("no reconciliation decision %s: %w", request.ID, domain.ErrNotFound)
	}
	return nil, &domain.ValidationError{Violations: []domain.Violation{{Field: "action", Rule: "must be confirm, reject, write-off or undo"}}}
}
