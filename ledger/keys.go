package ledger

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// keyUse is where an idempotency key was first used.
type keyUse struct {
	aggregate string
	eventID   uuid.UUID
	position  uint64
}

// keyIndex knows every idempotency key in the log and the aggregate that
// used it first, and every event id and where it was first used, so a key is never used again by another aggregate: not
// after the store's own deduplication window, and not on a store that
// deduplicates within one stream only (EventStoreDB). A campaign's own
// state answers retries within the campaign; this index answers the
// question no campaign can: has another aggregate used this key?
//
// It is read from the log on first use and caught up with the head before
// an answer; what this service writes itself is noted at once. On a store
// that refuses a repeated key across the whole log within a window of its
// own (JetStream), catching up once in half that window is enough: a key
// another writer used since was used within the window, and the store
// refuses it. Elsewhere (EventStoreDB) every answer catches up.
type keyIndex struct {
	store eventstore.Store
	// freshFor is how long a catch-up answers for: half the store's own
	// deduplication window, or 0.
	freshFor time.Duration

	mu       sync.Mutex
	caughtUp time.Time
	position uint64
	keys     map[string]keyUse
	// ids holds the position of the first event of the log with each id.
	// Ids are unique from now on, but an old log may hold one twice: the
	// first event keeps it, as every reader sees it. An entry costs the id
	// and a position (see BenchmarkEventIDIndex for the bytes per event).
	ids map[uuid.UUID]uint64
	// aggregates holds one copy of each aggregate's name, found by the
	// aggregate itself so that noting an event builds no name.
	aggregates map[domain.AggregateRef]string
}

func newKeyIndex(store eventstore.Store) *keyIndex {
	index := &keyIndex{store: store, keys: map[string]keyUse{}, ids: map[uuid.UUID]uint64{},
		aggregates: map[domain.AggregateRef]string{}}
	if deduplicator, ok := store.(eventstore.Deduplicator); ok {
		index.freshFor = deduplicator.DeduplicationWindow() / 2
	}
	return index
}

// lookup says where key was first used, after catching up with the log.
func (k *keyIndex) lookup(ctx context.Context, key string) (keyUse, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if use, found := k.keys[key]; found || (!k.caughtUp.IsZero() && time.Since(k.caughtUp) < k.freshFor) {
		// A key's first use never changes; a recent catch-up leaves the
		// rest to the store's own window.
		return use, found, nil
	}
	if err := k.catchUpLocked(ctx); err != nil {
		return keyUse{}, false, err
	}
	use, found := k.keys[key]
	return use, found, nil
}

// idQuery is one event id a request would write, and whether the store
// refuses it itself within its deduplication window (it is the message id
// of an event without an idempotency key).
type idQuery struct {
	id           uuid.UUID
	storeRefuses bool
}

// firstIDs says, for each id, the position of the event of the log that
// already has it, or 0. It catches up with the log once for all of them,
// unless every id not yet known is one the store itself would refuse
// within its window and a catch-up is recent.
func (k *keyIndex) firstIDs(ctx context.Context, queries []idQuery) ([]uint64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fresh := !k.caughtUp.IsZero() && time.Since(k.caughtUp) < k.freshFor
	positions := make([]uint64, len(queries))
	caughtUp := false
	for i, query := range queries {
		position, found := k.ids[query.id]
		if !found && !caughtUp && !(fresh && query.storeRefuses) {
			if err := k.catchUpLocked(ctx); err != nil {
				return nil, err
			}
			caughtUp = true
			position = k.ids[query.id]
		}
		positions[i] = position
	}
	return positions, nil
}

// stale makes the next answer catch up with the log: the store refused
// something the index did not know of.
func (k *keyIndex) stale() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.caughtUp = time.Time{}
}

// catchUpLocked reads the log from where the index stands to the head. It
// is apart from lookup because a loop over the store's iterator puts its
// variables on the heap on entry to the function that holds it, and
// lookup is entered for every keyed event.
func (k *keyIndex) catchUpLocked(ctx context.Context) error {
	started := time.Now()
	head, err := k.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("idempotency keys: %w", err)
	}
	if head > k.position {
		for record, err := range k.store.Read(ctx, k.position, eventstore.Filter{}) {
			if err != nil {
				return fmt.Errorf("idempotency keys: %w", err)
			}
			k.addLocked(record.Event, record.Position)
		}
	}
	k.caughtUp = started
	return nil
}

// noted takes in events this service has just written at positions; if
// they follow what the index has read, the index moves past them without
// reading the log.
func (k *keyIndex) noted(events []domain.Event, positions []uint64) {
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(positions[a], positions[b]) })
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, i := range order {
		if positions[i] != k.position+1 {
			// Someone else wrote in between: the next lookup reads it.
			return
		}
		k.addLocked(events[i], positions[i])
	}
}

func (k *keyIndex) addLocked(event domain.Event, position uint64) {
	if position <= k.position {
		return
	}
	k.position = position
	if _, seen := k.ids[event.ID]; !seen {
		k.ids[event.ID] = position
	}
	if event.IdempotencyKey == "" {
		return
	}
	if _, seen := k.keys[event.IdempotencyKey]; seen {
		return
	}
	aggregate, ok := k.aggregates[event.Aggregate]
	if !ok {
		aggregate = event.Aggregate.String()
		k.aggregates[event.Aggregate] = aggregate
	}
	k.keys[event.IdempotencyKey] = keyUse{aggregate: aggregate, eventID: event.ID, position: position}
}

// KeyRecorded is the event an idempotency key first wrote, read from the
// log, and whether it has written one. A front end that turns what a
// request says into what is stored (a void's target named by entry id)
// asks it first, so that a retry is answered as the first request was
// even where that turning would now come out otherwise. A key not yet
// known makes the index read the log up to its head, whatever its own
// window: the retry may follow a first request another writer recorded.
func (s *Service) KeyRecorded(ctx context.Context, key string) (eventstore.Record, bool, error) {
	if key == "" {
		return eventstore.Record{}, false, nil
	}
	use, found, err := s.keys.recorded(ctx, key)
	if err != nil || !found {
		return eventstore.Record{}, false, err
	}
	record, err := s.store.Get(ctx, use.position)
	if err != nil {
		return eventstore.Record{}, false, fmt.Errorf("idempotency key %q: the event at position %d: %w", key, use.position, err)
	}
	return record, true, nil
}

// recorded is lookup that reads the log to its head whenever the key is
// not known yet, however recent the last catch-up.
func (k *keyIndex) recorded(ctx context.Context, key string) (keyUse, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if use, found := k.keys[key]; found {
		return use, true, nil
	}
	if err := k.catchUpLocked(ctx); err != nil {
		return keyUse{}, false, err
	}
	use, found := k.keys[key]
	return use, found, nil
}
