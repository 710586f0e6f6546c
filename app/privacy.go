package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Forget erases a data subject: it records who, when and why, and destroys
// the key their personal data is sealed with, and says what it did. The
// erasure is recorded first: if destroying the key then fails, the record
// says what must still be done, and it can be run again. already says the
// subject had been erased before.
func (l *Ledger) Forget(ctx context.Context, subject, reason, actor string) (outcome string, already bool, err error) {
	event := domain.Event{Type: domain.TypeSubjectErased, County: l.parts.Catalog.CityCode(), OccurredAt: l.Now(), Actor: actor,
		Data: domain.SubjectErased{SubjectID: subject, Reason: reason}}
	results, err := l.Record(ctx, []domain.Event{event})
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
