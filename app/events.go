package app

import (
	"context"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

// EventsQuery says which events of the log to list.
type EventsQuery struct {
	// After is the log position to start after.
	After uint64
	// County, Campaign and Type keep only the events of a region, of a
	// campaign and of a type; RecordedFrom only those recorded at or after
	// an instant. Empty keeps all.
	County, Campaign string
	Type             domain.EventType
	RecordedFrom     time.Time
	// Limit stops the listing after this many events; 0 does not.
	Limit int
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

// filter is the store's filter for the query: a campaign is the
// aggregate its events belong to.
func (q EventsQuery) filter() eventstore.Filter {
	filter := eventstore.Filter{County: q.County, Type: q.Type, RecordedFrom: q.RecordedFrom}
	if q.Campaign != "" {
		filter.AggregateKind, filter.AggregateID = domain.AggregateCampaign, q.Campaign
	}
	return filter
}

// Check refuses a filter no event can match: a region or campaign the
// catalog does not list, or an event type the ledger does not know.
// Events checks it too; a front end that does something before it lists
// (records a read of personal data) checks first, so a refused listing
// leaves no trace. Errors name the fields county, campaign and type.
func (q EventsQuery) Check(catalog *domain.Catalog) error {
	if err := checkFilters(catalog, q.County, q.Campaign); err != nil {
		return err
	}
	if q.Type != "" && !slices.Contains(domain.EventTypes, q.Type) {
		names := make([]string, len(domain.EventTypes))
		for i, eventType := range domain.EventTypes {
			names[i] = string(eventType)
		}
		return invalid("type", "must be an event type: "+strings.Join(names, ", "))
	}
	return nil
}

// Events lists the log's events in order, for the command line's `events`
// and the API's GET /api/v1/events alike. A region, campaign or type the
// ledger does not know is refused before anything is read (the only
// element yielded is the error), naming the field county, campaign or
// type: no event carries such a code, so an empty listing would hide the
// mistake.
func (l *Ledger) Events(ctx context.Context, query EventsQuery) iter.Seq2[ListedEvent, error] {
	read := l.parts.Store.Read
	if query.Follow {
		read = l.parts.Store.Subscribe
	}
	return func(yield func(ListedEvent, error) bool) {
		if err := query.Check(l.parts.Catalog); err != nil {
			yield(ListedEvent{}, err)
			return
		}
		listed := 0
		for record, err := range read(ctx, query.After, query.filter()) {
			if err != nil {
				yield(ListedEvent{}, err)
				return
			}
			event := ListedEvent{Record: record, Event: record.Event}
			if query.Personal && l.parts.Sealer != nil {
				if err := l.parts.Sealer.Unseal(ctx, &event.Event); err != nil {
					yield(ListedEvent{}, err)
					return
				}
				event.Subjects = privacy.Subjects(event.Event)
				// The opened part stands for the sealed one.
				event.Event.Sealed = nil
			} else {
				event.Event.Personal = nil
			}
			if !yield(event, nil) {
				return
			}
			if listed++; query.Limit > 0 && listed >= query.Limit {
				return
			}
		}
	}
}

// ListEvents is Events for one reader who may open personal data, as the
// command line's `events --personal` reads: the query is checked first,
// so that a refused listing leaves no trace; when it opens personal data
// (Personal), the read is recorded in the access log as access says (who,
// in what role, through what) before anything is read, for a read that
// cannot be recorded must not happen; and each event's read is logged in
// the process log with the data subjects it shows, as well as recorded
// once. A ledger without an access log records nothing.
func (l *Ledger) ListEvents(ctx context.Context, query EventsQuery, access privacy.AccessRecord) iter.Seq2[ListedEvent, error] {
	return func(yield func(ListedEvent, error) bool) {
		if err := query.Check(l.parts.Catalog); err != nil {
			yield(ListedEvent{}, err)
			return
		}
		if query.Personal && l.parts.AccessLog != nil {
			if err := l.parts.AccessLog.Record(ctx, access); err != nil {
				yield(ListedEvent{}, err)
				return
			}
		}
		for listed, err := range l.Events(ctx, query) {
			if err == nil && query.Personal {
				l.parts.Logger.Info("personal data read", "event", listed.Event.ID.String(), "subjects", listed.Subjects)
			}
			if !yield(listed, err) {
				return
			}
		}
	}
}
