package projections

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Limits of the entity index, unit last.
const (
	// indexRetryDelayMaxMs caps the wait before the index follows the log
	// again after a read failed.
	indexRetryDelayMaxMs = 5000
	// indexNamesMax bounds the county codes and event types kept once.
	indexNamesMax = 1024
)

// Index is the entity index: for each event id and each entity id
// (donation, delivery, session, service, allocation), the positions of the
// events that belong to its history, so an audit trail or a trace reads
// only those events and not the whole log.
//
// It is a cache of the log held in memory and built by following the log
// from its start; it is never saved, so it can never be stale or damaged
// across a restart. Until it has caught up, and for whatever was appended
// after the position it has reached, the readers read the log itself: a
// query never waits for the index and never misses an event.
type Index struct {
	mu       sync.RWMutex
	position uint64
	// events maps an event id to its own position.
	events map[uuid.UUID]uint64
	// targets maps an event's position to the voids and corrections
	// aimed at it.
	targets map[uint64][]uint64
	// entities maps an entity id to the position of the first event that
	// carries it, and more to the positions of the rest (most entries have
	// one event: a map of slices would cost every entry a slice).
	entities map[string]uint64
	more     map[string][]uint64
	// gaps are the positions the log lacked: the index reads it whole.
	gaps Gaps
	// names holds one copy of each county code and event type, which
	// every entry would otherwise hold its own copy of.
	names map[string]string
	// flows keeps each campaign's donation and spending entries, as
	// corrected, so a trace links money without reading the campaign.
	flows  map[string]*campaignEntries
	logger *slog.Logger
}

// campaignEntries are one campaign's fund-flow entries and the position of
// its last event.
type campaignEntries struct {
	entries flowEntries
	last    uint64
	// broken says an event could not be taken in: traces of the campaign
	// read the log.
	broken bool
	// links keep the campaign's money in its pots, so a trace answers
	// without a pass over every entry.
	links potLinks
	// renamed lists, for an entity id, the entries that a correction gave
	// that id: the entity index finds an entry by the id its recorded
	// event carries, and these by the id a correction gave it.
	renamed map[string][]int
}

// at finds an entry by its position (-1: none).
func (c *campaignEntries) at(position uint64) int { return c.entries.at(position) }

// NewIndex returns an empty index; Follow fills it.
func NewIndex(logger *slog.Logger) *Index {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Index{events: map[uuid.UUID]uint64{}, targets: map[uint64][]uint64{}, entities: map[string]uint64{},
		more: map[string][]uint64{}, names: map[string]string{},
		flows: map[string]*campaignEntries{}, logger: logger}
}

// Position is the last log position the index has taken in.
func (x *Index) Position() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.position
}

// Gaps are the positions the log lacked where the index read it.
func (x *Index) Gaps() Gaps {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.gaps
}

// Add takes one event in. Events at or before the index's position are
// ignored, so a read that starts over is harmless.
func (x *Index) Add(record eventstore.Record) {
	event := record.Event
	x.mu.Lock()
	defer x.mu.Unlock()
	if record.Position <= x.position {
		return
	}
	if record.Position > x.position+1 {
		x.gaps.observe(x.position, record.Position)
		x.logger.Error("entity index: the log lacks positions", "after", x.position, "next", record.Position)
	}
	x.position = record.Position
	// An old log may hold one id on two events (the ledger refuses that
	// now): the first keeps it, and a later one never stands in for it.
	if _, seen := x.events[event.ID]; !seen {
		x.events[event.ID] = record.Position
	}
	// The flow entries are taken in last, when the event is found by its
	// entity id as well: linking a campaign's money looks entries up by it.
	defer x.addFlow(record)
	if amendment, ok := domain.AmendmentOf(event.Data); ok {
		if target := x.targetPosition(event.Data, amendment.TargetEventID); target != 0 {
			x.targets[target] = append(x.targets[target], record.Position)
		}
		return
	}
	if event.Data != nil {
		if entity := domain.EntityID(event.Data); entity != "" {
			if _, seen := x.entities[entity]; seen {
				x.more[entity] = append(x.more[entity], record.Position)
			} else {
				x.entities[entity] = record.Position
			}
		}
	}
}

// addFlow takes a campaign's event into its fund-flow entries. Called with
// x.mu held.
func (x *Index) addFlow(record eventstore.Record) {
	if record.Event.Aggregate.Kind != domain.AggregateCampaign {
		return
	}
	campaign := x.flows[record.Event.Aggregate.ID]
	if campaign == nil {
		campaign = &campaignEntries{links: newPotLinks(), renamed: map[string][]int{}}
		x.flows[record.Event.Aggregate.ID] = campaign
	}
	campaign.last = record.Position
	record.Event.County, record.Event.Type = x.name(record.Event.County), domain.EventType(x.name(string(record.Event.Type)))
	find := func(id uuid.UUID) int {
		if position, ok := x.events[id]; ok {
			return campaign.at(position)
		}
		return -1
	}
	// The entry the event changes, and what it was, for the links.
	changed, before := -1, flowEntry{}
	if amendment, ok := domain.AmendmentOf(record.Event.Data); ok {
		if changed = campaign.entries.target(record.Event.Data, amendment.TargetEventID, find); changed >= 0 {
			before = campaign.entries[changed]
		}
	}
	added := len(campaign.entries)
	if err := campaign.entries.fold(record, find); err != nil {
		// A correction the ledger accepted always resolves; if one does
		// not, the trace reads the campaign from the log and says why.
		x.logger.Warn("entity index: a correction does not resolve", "position", record.Position, "error", err)
		campaign.broken = true
		return
	}
	if campaign.broken {
		return
	}
	if len(campaign.entries) > added {
		changed, before = added, flowEntry{}
		campaign.links.place(campaign.entries, added)
	}
	if changed >= 0 {
		x.linkChanged(campaign, changed, before)
	}
}

// targetPosition is the position of the event a void or correction is
// about: the one it names, else the first event with its target's id (0:
// none). Called with x.mu held.
func (x *Index) targetPosition(payload domain.Payload, targetID string) uint64 {
	if location := domain.TargetLocationOf(payload); location.TargetPosition != 0 {
		return location.TargetPosition
	}
	id, err := uuid.Parse(targetID)
	if err != nil {
		return 0
	}
	return x.events[id]
}

// name returns the index's copy of a county code or an event type.
func (x *Index) name(text string) string {
	if kept, ok := x.names[text]; ok {
		return kept
	}
	if len(x.names) < indexNamesMax {
		x.names[text] = text
	}
	return text
}

// Positions returns, in log order, the positions of the events that
// carry id (an event id or an entity id) up to the index's position, and
// that position: the caller reads the log after it itself.
func (x *Index) Positions(id string) (positions []uint64, upTo uint64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if first, ok := x.entities[id]; ok {
		positions = append([]uint64{first}, x.more[id]...)
	}
	if eventID, err := uuid.Parse(id); err == nil {
		if position, ok := x.events[eventID]; ok {
			positions = append(positions, position)
		}
	}
	slices.Sort(positions)
	return slices.Compact(positions), x.position
}

// trace fills a trace of id within trace.Campaign from the index's
// entries and the campaign's events after the index's position. done is
// false when the index cannot answer for the campaign: the caller then
// reads the campaign from the log.
func (x *Index) trace(ctx context.Context, store eventstore.Store, trace *Trace, id string) (done bool, err error) {
	x.mu.RLock()
	upTo := x.position
	x.mu.RUnlock()
	filter := eventstore.Filter{AggregateKind: domain.AggregateCampaign, AggregateID: trace.Campaign}
	var tail []eventstore.Record
	for record, err := range store.Read(ctx, upTo, filter) {
		if err != nil {
			return false, err
		}
		tail = append(tail, record)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	kept := x.flows[trace.Campaign]
	if kept != nil && kept.broken {
		return false, nil
	}
	var entries flowEntries
	if kept != nil {
		entries, trace.Position = kept.entries, kept.last
	}
	moved := len(tail) > 0 && tail[len(tail)-1].Position > x.position
	if !moved {
		// The index has every event of the campaign: its entries answer.
		if kept != nil {
			trace.Donation, trace.Spending, err = x.traceOne(kept, id)
		}
		return err == nil, err
	}
	// The campaign moved on past the index: its newest events are
	// folded into a copy of its entries. An entry is found by its
	// position, which the index or the tail gives.
	entries = slices.Clone(entries)
	newer := map[uuid.UUID]uint64{}
	find := func(id uuid.UUID) int {
		position, ok := x.events[id]
		if !ok {
			position, ok = newer[id]
		}
		if !ok {
			return -1
		}
		return entries.at(position)
	}
	for _, record := range tail {
		if record.Position <= x.position {
			continue
		}
		if _, seen := newer[record.Event.ID]; !seen {
			newer[record.Event.ID] = record.Position
		}
		if err := entries.fold(record, find); err != nil {
			return false, err
		}
		trace.Position = record.Position
	}
	trace.Donation, trace.Spending, err = entries.linkFor(id)
	return err == nil, err
}

// Followers returns the positions of the voids and corrections aimed at the
// event at a position, up to the index's position.
func (x *Index) Followers(position uint64) []uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Clone(x.targets[position])
}

// Follow takes in the log from the index's position and goes on with new
// events until ctx ends. A failed read is tried again after a growing
// pause; the index meanwhile answers for what it has.
func (x *Index) Follow(ctx context.Context, store eventstore.Store) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		for record, err := range store.Subscribe(ctx, x.Position(), eventstore.Filter{}) {
			if err != nil {
				if ctx.Err() == nil {
					x.logger.Warn("entity index: the log read failed; following again", "position", x.Position(), "error", err)
				}
				break
			}
			x.Add(record)
			delay = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, indexRetryDelayMaxMs*time.Millisecond)
	}
}

// History reads, in log order, the events of id's history that the index
// names: the events that carry it and the voids and corrections aimed at
// them, up to the returned position. An event the index names that the log
// cannot give is an error: the caller then reads the log itself.
func (x *Index) History(ctx context.Context, store eventstore.Store, id string) ([]eventstore.Record, uint64, error) {
	own, upTo := x.Positions(id)
	records := make([]eventstore.Record, 0, len(own))
	var followers []uint64
	for _, position := range own {
		record, err := store.Get(ctx, position)
		if err != nil {
			x.logger.Warn("entity index: the log does not give an indexed event; reading the whole log", "id", id, "position", position, "error", err)
			return nil, 0, err
		}
		records = append(records, record)
		for _, follower := range x.Followers(record.Position) {
			if follower <= upTo {
				followers = append(followers, follower)
			}
		}
	}
	slices.Sort(followers)
	for _, position := range slices.Compact(followers) {
		record, err := store.Get(ctx, position)
		if err != nil {
			x.logger.Warn("entity index: the log does not give an indexed event; reading the whole log", "id", id, "position", position, "error", err)
			return nil, 0, err
		}
		records = append(records, record)
	}
	slices.SortFunc(records, func(a, b eventstore.Record) int { return cmp.Compare(a.Position, b.Position) })
	return records, upTo, nil
}

// EntityRecords yields the events that may belong to id's history, in log
// order: those the index names, then every event after the index's
// position. Without an index, or when the index cannot be read, it yields
// the whole log. Callers keep what is theirs.
func EntityRecords(ctx context.Context, store eventstore.Store, index *Index, id string) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		from := uint64(0)
		if index != nil {
			if history, upTo, err := index.History(ctx, store, id); err == nil {
				for _, record := range history {
					if !yield(record, nil) {
						return
					}
				}
				from = upTo
			}
		}
		for record, err := range store.Read(ctx, from, eventstore.Filter{}) {
			if !yield(record, err) || err != nil {
				return
			}
		}
	}
}

// Carries says whether an event is id: its event id, or the entity id its
// payload names.
func Carries(event domain.Event, id string) bool {
	return event.ID.String() == id || (event.Data != nil && domain.EntityID(event.Data) == id)
}

// Latest returns the event id names: the event with that id, or the
// latest event that carries an entity id. An old log may hold one event id
// on two events (the ledger refuses that now): the first is the event.
func Latest(ctx context.Context, store eventstore.Store, index *Index, id string) (eventstore.Record, error) {
	var found eventstore.Record
	ok := false
	for record, err := range EntityRecords(ctx, store, index, id) {
		if err != nil {
			return eventstore.Record{}, err
		}
		if record.Event.ID.String() == id {
			return record, nil
		}
		if Carries(record.Event, id) {
			found, ok = record, true
		}
	}
	if !ok {
		return eventstore.Record{}, fmt.Errorf("no event %q in the ledger: %w", id, domain.ErrNotFound)
	}
	return found, nil
}
