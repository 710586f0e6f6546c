package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

// Writing is who records a client's events, as far as the ledger's rules
// on personal data go: whether the writer holds the personal-data grant
// (the operator of the data directory always does; a clerk never).
type Writing struct {
	Granted bool
}

// Operator is the writing of the operator of the data directory, who may
// read everyone's personal data.
var Operator = Writing{Granted: true}

// ExistingSubjectRule is the rule a subject_id breaks when a writer
// without the personal-data grant names a person the ledger already holds
// data of. Sealing the new record under that person's key would give it
// the person's digest (an HMAC of the plaintext under the key) for the
// same data: comparing it with the person's own digest would confirm a
// guessed name or phone.
const ExistingSubjectRule = "names a person the ledger already holds data of: only a writer with the personal-data grant may add to a " +
	"person's data (leave subject_id out, and the ledger makes a new one)"

// ErasedSubjectRule is the rule a subject_id breaks when it names an
// erased person, for every writer: the person is gone, and new data
// sealed under their subject would read again under a fresh key.
const ErasedSubjectRule = "names an erased person: their data is gone for good, and new data needs a new subject id"

// subjectCheck holds what checking a request's subject ids reads once: the
// erased subjects.
type subjectCheck struct {
	ledger  *Ledger
	writing Writing
	erased  map[string]bool
}

// violations are the rules the event's subject ids break for the writer:
// an erased subject for anyone, and a subject whose key exists for a
// writer without the grant, unless the event is a retry of what the same
// writer recorded under the same idempotency key (ledger.Service.Try finds
// it a duplicate of theirs). Each names the field, personal.donor.subject_id
// or personal.workers[i].subject_id; an error is a failure to read.
func (c *subjectCheck) violations(ctx context.Context, event domain.Event) ([]domain.Violation, error) {
	if event.Personal == nil || c.ledger.parts.Keystore == nil {
		return nil, nil
	}
	type named struct{ field, subject string }
	var people []named
	if donor := event.Personal.Donor; donor != nil && donor.SubjectID != "" {
		people = append(people, named{"personal.donor.subject_id", donor.SubjectID})
	}
	for i, worker := range event.Personal.Workers {
		if worker.SubjectID != "" {
			people = append(people, named{fmt.Sprintf("personal.workers[%d].subject_id", i), worker.SubjectID})
		}
	}
	if len(people) == 0 {
		return nil, nil
	}
	if c.erased == nil {
		subjects, err := c.ledger.Erasures(ctx)
		if err != nil {
			return nil, err
		}
		c.erased = make(map[string]bool, len(subjects))
		for _, subject := range subjects {
			c.erased[subject] = true
		}
	}
	var violations []domain.Violation
	var existing []named
	for _, person := range people {
		if c.erased[person.subject] {
			violations = append(violations, domain.Violation{Field: person.field, Rule: ErasedSubjectRule})
			continue
		}
		if c.writing.Granted {
			continue
		}
		_, err := c.ledger.parts.Keystore.Key(ctx, person.subject)
		switch {
		case err == nil:
			existing = append(existing, person)
		case !errors.Is(err, domain.ErrNotFound):
			return nil, err
		}
	}
	if len(existing) == 0 || len(violations) > 0 {
		for _, person := range existing {
			violations = append(violations, domain.Violation{Field: person.field, Rule: ExistingSubjectRule})
		}
		return violations, nil
	}
	retry, err := c.ledger.ownRetry(ctx, event)
	if err != nil || retry {
		return nil, err
	}
	for _, person := range existing {
		violations = append(violations, domain.Violation{Field: person.field, Rule: ExistingSubjectRule})
	}
	return violations, nil
}

// ownRetry says whether the event is a retry of one its own writer
// recorded under its idempotency key, with the same content: recording it
// writes nothing and answers the first result. Another writer's entry
// under the key is no retry of this one (a spreadsheet row's key leaves
// out who imports it, so it is compared by who recorded it here).
func (l *Ledger) ownRetry(ctx context.Context, event domain.Event) (bool, error) {
	if event.IdempotencyKey == "" {
		return false, nil
	}
	checked, err := l.parts.Service.Check(event)
	if err != nil {
		// The event's own rules refuse it when it is recorded.
		return false, nil
	}
	results, err := l.parts.Service.Try(ctx, []ledger.Checked{checked})
	if err != nil {
		if ctx.Err() != nil {
			return false, err
		}
		// Whatever refuses the event (another content under the key, a
		// rule of the ledger, a store that cannot answer), it is not
		// found to be the writer's retry, and naming the subject is
		// refused: nothing is written either way.
		return false, nil
	}
	return len(results) == 1 && results[0].Duplicate && results[0].RecordedBy == event.Actor, nil
}

// LedgerMadeRule is the rule a client's event type breaks when the ledger
// makes such events itself, by a use case that checks what the generic
// record path cannot; empty when a client may record the type. Bank lines
// and statement imports come only from a statement's import, which checks
// the balances, serials and the opening balance and writes nothing for a
// line already there; the reconciliation's decisions only from the
// decisions use case, which reads the book; an erasure only from `ledger
// forget`, which destroys the person's key. A month's close and reopening
// stay with the clients: the ledger checks them whole (the month has
// ended), and finance closes a month over HTTP so (`ledger period close`
// also signs a checkpoint, which `ledger checkpoint` signs later for a
// close recorded otherwise).
func LedgerMadeRule(eventType domain.EventType) string {
	switch eventType {
	case domain.TypeBankLineImported, domain.TypeStatementImported:
		return "bank lines are recorded by importing a statement (ledger reconcile import, POST /api/v1/reconciliation/statements)"
	case domain.TypeMatchConfirmed, domain.TypeMatchRejected, domain.TypeFeeWrittenOff, domain.TypeDecisionUndone,
		domain.TypeRefundPaired, domain.TypeLineWrittenOff:
		return "the reconciliation's decisions are recorded by deciding (ledger reconcile confirm|reject|write-off|undo, " +
			"POST /api/v1/reconciliation/decisions)"
	case domain.TypeSubjectErased:
		return "a person is erased by ledger forget, which destroys their key"
	}
	return ""
}

// refuse is violations as one line's error: a *domain.ValidationError of
// them, or the failure to read.
func (c *subjectCheck) refuse(ctx context.Context, event domain.Event) error {
	violations, err := c.violations(ctx, event)
	if err != nil || len(violations) == 0 {
		return err
	}
	return &domain.ValidationError{Violations: violations}
}
