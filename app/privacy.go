package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

// Forget erases a data subject: it records who, when and why, and destroys
// the key their personal data is sealed with, and says what it did. The
// erasure is recorded first: if destroying the key then fails, the record
// says what must still be done, and it can be run again. already says the
// subject had been erased before.
func (l *Ledger) Forget(ctx context.Context, subject, reason, actor string) (outcome string, already bool, err error) {
	if privacy.Reserved(subject) {
		// The ledger's own secrets are no person's: destroying the one
		// bank lines' ids are keyed with would make a statement imported
		// again look new, and write its lines twice.
		return "", false, invalid("subject", fmt.Sprintf("%s is the ledger's own secret, not a person's, and cannot be forgotten", subject))
	}
	event := domain.Event{Type: domain.TypeSubjectErased, County: l.parts.Catalog.CityCode(), OccurredAt: l.Now(), Actor: actor,
		Data: domain.SubjectErased{SubjectID: subject, Reason: reason}}
	results, err := l.record(ctx, []domain.Event{event})
	already = errors.Is(err, domain.ErrAlreadyErased)
	if err != nil && !already {
		return "", false, err
	}
	if err := l.parts.Keystore.Destroy(ctx, subject); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return "", false, err
	}
	if already {
		return "it was already erased; its key is gone", true, nil
	}
	return fmt.Sprintf("key destroyed, erasure recorded as %s at position %d", results[0].EventID, results[0].Position), false, nil
}

// Erasures lists every data subject the ledger has erased, in the order
// they were erased: what a restore of an older backup must erase again.
func (l *Ledger) Erasures(ctx context.Context) ([]string, error) {
	var subjects []string
	filter := eventstore.Filter{Type: domain.TypeSubjectErased}
	for record, err := range l.parts.Store.Read(ctx, 0, filter) {
		if err != nil {
			return nil, err
		}
		if data, ok := record.Event.Data.(domain.SubjectErased); ok {
			subjects = append(subjects, data.SubjectID)
		}
	}
	return subjects, nil
}

// Reapplied is what re-applying one erasure at a restore did: the
// outcome Forget reported, or why it could not.
type Reapplied struct {
	Subject string
	Outcome string
	Err     error
}

// ReapplyErasures erases again the subjects erased since a backup was
// taken (listed in the file named source): a backup taken before someone
// was forgotten still holds their key, and the erasures since must be
// applied before anyone reads it. Every subject is tried; the error says
// how many could not be, and that the ledger must not be handed out until
// they are.
func (l *Ledger) ReapplyErasures(ctx context.Context, subjects []string, source, actor string) ([]Reapplied, error) {
	done := make([]Reapplied, 0, len(subjects))
	failed := 0
	for _, subject := range subjects {
		outcome, _, err := l.Forget(ctx, subject, "erasure re-applied at restore from "+source, actor)
		if err != nil {
			failed++
		}
		done = append(done, Reapplied{Subject: subject, Outcome: outcome, Err: err})
	}
	if failed > 0 {
		return done, fmt.Errorf("%d of %d erasures could not be re-applied: do not hand this ledger out until they are (ledger forget SUBJECT)", failed, len(subjects))
	}
	return done, nil
}
