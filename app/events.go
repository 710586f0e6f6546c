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
	// WithoutAccounts leaves out the events of bank accounts (bank lines,
	// statement imports, match decisions, write-offs): the
	// reconciliation's, for a reader who may not read it. Limit counts
	// only the events listed.
	WithoutAccounts bool
	// ScanMax stops the listing after reading this many events of the log,
	// listed or left out; 0 does not. Without it a listing that leaves
	// most events out (WithoutAccounts over a log of bank lines) reads the
	// whole log to fill even a page of one. EventsPage says where such a
	// listing stopped, so that the next page goes on from there.
	ScanMax int
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
	return l.events(ctx, query, &scan{})
}

// scan is how far a listing read the log: how many events, the position
// of the last, and whether it stopped at its query's ScanMax.
type scan struct {
	read    int
	last    uint64
	stopped bool
}

// events is Events, noting in s every event it reads, listed or not.
func (l *Ledger) events(ctx context.Context, query EventsQuery, s *scan) iter.Seq2[ListedEvent, error] {
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
			s.read, s.last = s.read+1, record.Position
			if query.WithoutAccounts && record.Event.Aggregate.Kind == domain.AggregateAccount {
				if s.stopped = query.ScanMax > 0 && s.read >= query.ScanMax; s.stopped {
					return
				}
				continue
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
				event.Event.Sealed = withoutDigests(event.Event.Sealed)
			}
			if !yield(event, nil) {
				return
			}
			if listed++; query.Limit > 0 && listed >= query.Limit {
				return
			}
			if s.stopped = query.ScanMax > 0 && s.read >= query.ScanMax; s.stopped {
				return
			}
		}
	}
}

// EventsPage is one page of a listing.
type EventsPage struct {
	Events []ListedEvent
	// Next is the position the next page goes on after: the last event
	// the page read, listed or left out (the query's After if it read
	// none).
	Next uint64
	// ScanLimited says the page stopped after reading the query's ScanMax
	// events, before its Limit or the log's end: the log may go on after
	// Next, however short the page is.
	ScanLimited bool
}

// EventsPage reads one page of a listing, as the API's GET /api/v1/events
// pages: Events up to query.Limit events listed or query.ScanMax events
// read, whichever comes first, and where the next page goes on. A page
// does not follow the log (query.Follow is not taken).
func (l *Ledger) EventsPage(ctx context.Context, query EventsQuery) (EventsPage, error) {
	query.Follow = false
	read := scan{last: query.After}
	page := EventsPage{Events: []ListedEvent{}}
	for listed, err := range l.events(ctx, query, &read) {
		if err != nil {
			return EventsPage{}, err
		}
		page.Events = append(page.Events, listed)
	}
	page.Next, page.ScanLimited = read.last, read.stopped
	return page, nil
}

// listedPageMax is how many events ListEvents reads ahead and records in
// one access record before it shows them; the access log caps a record's
// subjects and counts those left out.
const listedPageMax = 200

// ListEvents is Events for one reader who may open personal data, as the
// command line's `events --personal` reads: the query is checked first,
// so that a refused listing leaves no trace. When it opens personal data
// (Personal) and the ledger keeps an access log, events are read ahead a
// page at a time (up to listedPageMax; a followed listing's new events
// one by one), and each page's read is recorded as access says (who, in
// what role, through what) with the data subjects the page shows before
// any of it is yielded, for a read that cannot be recorded must not
// happen. A listing records at least once, even if it shows no one, and
// each event's read is logged in the process log with its subjects.
func (l *Ledger) ListEvents(ctx context.Context, query EventsQuery, access privacy.AccessRecord) iter.Seq2[ListedEvent, error] {
	return func(yield func(ListedEvent, error) bool) {
		if err := query.Check(l.parts.Catalog); err != nil {
			yield(ListedEvent{}, err)
			return
		}
		if !query.Personal || l.parts.AccessLog == nil {
			for listed, err := range l.Events(ctx, query) {
				if err == nil && query.Personal {
					l.parts.Logger.Info("personal data read", "event", listed.Event.ID.String(), "subjects", listed.Subjects)
				}
				if !yield(listed, err) {
					return
				}
			}
			return
		}
		pages := listedPages{ledger: l, access: access, yield: yield}
		// What the log holds now is read in pages; a followed listing then
		// goes on from the last event shown, one event a page.
		catchUp := query
		catchUp.Follow = false
		last, listed := query.After, 0
		for event, err := range l.Events(ctx, catchUp) {
			if err != nil {
				if pages.flush(ctx) {
					yield(ListedEvent{}, err)
				}
				return
			}
			pages.page = append(pages.page, event)
			last, listed = event.Position, listed+1
			if len(pages.page) == listedPageMax && !pages.flush(ctx) {
				return
			}
		}
		if !pages.flush(ctx) || !query.Follow || (query.Limit > 0 && listed >= query.Limit) {
			return
		}
		live := query
		live.After = last
		if query.Limit > 0 {
			live.Limit = query.Limit - listed
		}
		for event, err := range l.Events(ctx, live) {
			if err != nil {
				yield(ListedEvent{}, err)
				return
			}
			pages.page = append(pages.page, event)
			if !pages.flush(ctx) {
				return
			}
		}
	}
}

// listedPages shows a listing's events a page at a time, each page's
// read recorded first.
type listedPages struct {
	ledger   *Ledger
	access   privacy.AccessRecord
	yield    func(ListedEvent, error) bool
	page     []ListedEvent
	recorded bool
}

// flush records the page's read, naming each subject it shows once, and
// yields its events; it is false when the listing is to stop (the read
// could not be recorded, or the caller stopped).
func (p *listedPages) flush(ctx context.Context) bool {
	var subjects []string
	seen := map[string]bool{}
	for _, listed := range p.page {
		for _, subject := range listed.Subjects {
			if !seen[subject] {
				seen[subject] = true
				subjects = append(subjects, subject)
			}
		}
	}
	if len(subjects) > 0 || !p.recorded {
		record := p.access
		record.Subjects = subjects
		if err := p.ledger.parts.AccessLog.Record(ctx, record); err != nil {
			p.yield(ListedEvent{}, err)
			return false
		}
		p.recorded = true
	}
	for _, listed := range p.page {
		p.ledger.parts.Logger.Info("personal data read", "event", listed.Event.ID.String(), "subjects", listed.Subjects)
		if !p.yield(listed, nil) {
			return false
		}
	}
	p.page = p.page[:0]
	return true
}

// withoutDigests is a copy of sealed records without their digests, for a
// listing to a reader without the personal-data grant. A digest is an
// HMAC of the person's data under the person's key, the same for the same
// data: shown, it would let a reader compare two records' data, and
// confirm a guess whenever one could get the guess sealed under the key.
// Retries are compared by the ledger, not the client, so none needs it;
// the log as stored keeps it (served at /tlog/ only to those who may read
// every event, and in mirrors).
func withoutDigests(sealed []domain.SealedPerson) []domain.SealedPerson {
	if len(sealed) == 0 {
		return sealed
	}
	out := make([]domain.SealedPerson, len(sealed))
	for i, person := range sealed {
		person.Digest = nil
		out[i] = person
	}
	return out
}
