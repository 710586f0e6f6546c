package app

import (
	"context"
	"iter"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

// EventsQuery says which events of the log to list.
type EventsQuery struct {
	// After is the log position to start after.
	After  uint64
	Filter eventstore.Filter
	// Follow goes on with new events as they are appended, until ctx ends.
	Follow bool
	// Personal opens each event's sealed personal data (erased persons
	// read as erased); without it the personal part is left out. The
	// caller records the read in the access log: who reads is the front
	// end's to say.
	Personal bool
}

// ListedEvent is one event of a listing: as stored, and as the reader may
// see it.
type ListedEvent struct {
	eventstore.Record
	// Event is the event with its personal part opened in place of the
	// sealed one (Personal), or left out.
	Event domain.Event
	// Subjects are the data subjects whose personal data Event shows.
	Subjects []string
}

// Events lists the log's events in order, for the command line's `events`
// and the API's GET /api/v1/events alike.
func (l *Ledger) Events(ctx context.Context, query EventsQuery) iter.Seq2[ListedEvent, error] {
	read := l.parts.Store.Read
	if query.Follow {
		read = l.parts.Store.Subscribe
	}
	return func(yield func(ListedEvent, error) bool) {
		for record, err := range read(ctx, query.After, query.Filter) {
			if err != nil {
				yield(ListedEvent{}, err)
				return
			}
			listed := ListedEvent{Record: record, Event: record.Event}
			if query.Personal && l.parts.Sealer != nil {
				if err := l.parts.Sealer.Unseal(ctx, &listed.Event); err != nil {
					yield(ListedEvent{}, err)
					return
				}
				listed.Subjects = privacy.Subjects(listed.Event)
				// The opened part stands for the sealed one.
				listed.Event.Sealed = nil
			} else {
				listed.Event.Personal = nil
			}
			if !yield(listed, nil) {
				return
			}
		}
	}
}
