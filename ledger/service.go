// Package ledger records entries: it validates them, checks them against
// their campaign's history and appends them to the event store with
// optimistic concurrency and idempotency. It is the one way events are
// written, for the CLI and the HTTP API alike.
package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

// Limits of the service, unit last.
const (
	// appendAttemptsMax bounds retries after concurrency conflicts. A retry
	// re-reads the campaign (all of it when the failed attempt had applied
	// tentative events to the cached state); a campaign that conflicts this
	// often is reported, not retried forever.
	appendAttemptsMax = 32
	// conflictBackoffMaxMs caps the random wait before a retry. Writers that
	// collided wait different times, so they do not collide again in step.
	conflictBackoffMaxMs = 64
	// campaignsCachedMax bounds the campaign states kept in memory. A
	// campaign's state grows with its entries; unused ones are dropped and
	// re-read on demand.
	campaignsCachedMax = 256
)

// Service records entries into a store.
type Service struct {
	store     eventstore.Store
	sealer    *privacy.Sealer
	catalog   *domain.Catalog
	validator domain.Validator
	clock     func() time.Time
	logger    *slog.Logger

	mu sync.Mutex
	// campaigns are keyed by the aggregate itself: its name would be
	// built anew for every event of every request.
	campaigns map[domain.AggregateRef]*campaignSlot
	uses      uint64
	// keys knows which aggregate used each idempotency key first.
	keys *keyIndex

	periodsMu      sync.Mutex
	periods        *domain.Periods
	periodsVersion uint64
	periodsRead    time.Time
}

// campaignSlot holds one aggregate's cached state (a campaign, a bank
// account or the periods) and the lock its writers take.
type campaignSlot struct {
	mu       sync.Mutex
	ref      domain.AggregateRef
	state    domain.Aggregate
	lastUsed uint64
}

// periodsRefreshMs is how stale the service's view of closed months may be:
// a month closed this recently may still take one entry (documented).
const periodsRefreshMs = 1000

// Options configure a Service. Zero values take defaults.
type Options struct {
	// Sealer, if set, seals every event's personal part with the person's
	// own key before it is written.
	Sealer  *privacy.Sealer
	Catalog *domain.Catalog
	Clock   func() time.Time
	Logger  *slog.Logger
}

// New returns a Service on the store.
func New(store eventstore.Store, options Options) *Service {
	if options.Catalog == nil {
		options.Catalog = domain.DefaultCatalog()
	}
	if options.Clock == nil {
		options.Clock = time.Now
	}
	if options.Logger == nil {
		options.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store:     store,
		sealer:    options.Sealer,
		catalog:   options.Catalog,
		validator: domain.Validator{Catalog: options.Catalog, Now: options.Clock},
		clock:     options.Clock,
		logger:    options.Logger,
		campaigns: map[domain.AggregateRef]*campaignSlot{},
		keys:      newKeyIndex(store),
	}
}

// Catalog is the reference data the service checks against.
func (s *Service) Catalog() *domain.Catalog { return s.catalog }

// Result is what recording one event did.
type Result struct {
	EventID  uuid.UUID `json:"event_id"`
	Position uint64    `json:"position"`
	// Duplicate is true when the idempotency key had already written this
	// same content: nothing new was written and the original is returned.
	Duplicate bool `json:"duplicate"`
	// RecordedBy is who recorded a Duplicate: a spreadsheet's row imported
	// again by another clerk was recorded by the first. The API's answer
	// to a batch keeps its shape without it.
	RecordedBy string `json:"-"`
}

// Checked is an event whose stateless rules Check has checked: Record
// takes it without checking them again. Only Check makes one.
type Checked struct{ event domain.Event }

// Event is the checked event, with what the ledger filled in.
func (c Checked) Event() domain.Event { return c.event }

// Check fills what the ledger decides (schema version, aggregate) and
// checks the event's stateless rules. Record calls it; callers that report
// per line (the CLI) call it first, to name the violations their own way
// and to write nothing when any line is bad, then record what it checked.
func (s *Service) Check(event domain.Event) (Checked, error) {
	if event.SchemaVersion == 0 {
		event.SchemaVersion = domain.CurrentVersion(event.Type)
	}
	if event.Data != nil && event.Aggregate == (domain.AggregateRef{}) {
		event.Aggregate = domain.AggregateOf(event.Data)
	}
	if err := s.validator.Validate(event); err != nil {
		return Checked{}, err
	}
	return Checked{event: event}, nil
}

// Record appends the events atomically: all are written or none. Each event
// is validated, checked against its campaign's history, and written with the
// campaign's version as the expected version. A retry with an idempotency key
// already written with the same content returns the original result and
// writes nothing (domain.SameRetry: a spreadsheet row's key leaves out who
// imports it); the same key with different content fails with
// domain.ErrIdempotencyKeyReused.
func (s *Service) Record(ctx context.Context, events []domain.Event) ([]Result, error) {
	if err := checkBatchSize(len(events)); err != nil {
		return nil, err
	}
	checked := make([]Checked, len(events))
	var violations []domain.Violation
	for i, event := range events {
		var err error
		checked[i], err = s.Check(event)
		if err == nil {
			// Placing no error in the batch costs two allocations per
			// event of a bulk request, for nothing.
			continue
		}
		var validation *domain.ValidationError
		if errors.As(domain.InEvent(err, i), &validation) {
			violations = append(violations, validation.Violations...)
		}
	}
	if len(violations) > 0 {
		return nil, &domain.ValidationError{Violations: violations}
	}
	return s.RecordChecked(ctx, checked)
}

func checkBatchSize(events int) error {
	if events == 0 {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "events", Rule: "must hold at least one event"}}}
	}
	if events > eventstore.BatchEventsMax {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "events",
			Rule: fmt.Sprintf("must hold at most %d events, not %d", eventstore.BatchEventsMax, events)}}}
	}
	return nil
}

// RecordChecked is Record of events Check has checked: all are written or
// none.
func (s *Service) RecordChecked(ctx context.Context, events []Checked) ([]Result, error) {
	if err := checkBatchSize(len(events)); err != nil {
		return nil, err
	}
	prepared, given, err := s.prepare(events)
	if err != nil {
		return nil, err
	}
	if err := checkPersons(prepared); err != nil {
		return nil, err
	}
	var sealing *sealing
	if s.sealer != nil {
		if err := checkSealedSizes(prepared); err != nil {
			return nil, err
		}
		if sealing, err = s.sealPending(ctx, prepared); err != nil {
			return nil, err
		}
	}
	slots := s.lockCampaigns(prepared)
	defer unlockCampaigns(slots)
	return s.recordLocked(ctx, prepared, given, slots, sealing)
}

// PersonsPerRequestMax caps the people one request lists, donors and
// workers of all its events together. Each new person gets a key in the
// keystore when the request is written, so this bounds what one request
// adds to the keystore and how long sealing and storing the keys take.
const PersonsPerRequestMax = 5000

// checkPersons refuses a request that lists more than PersonsPerRequestMax
// people, before anything is sealed. The cap on one event's people is a
// rule of the event (domain.WorkersPerEventMax), which Check checks.
func checkPersons(events []domain.Event) error {
	persons := 0
	for i := range events {
		personal := events[i].Personal
		if personal == nil {
			continue
		}
		persons += len(personal.Workers)
		if personal.Donor != nil {
			persons++
		}
		if persons > PersonsPerRequestMax {
			return &domain.ValidationError{Violations: []domain.Violation{{Event: i + 1, Field: "personal",
				Rule: fmt.Sprintf("brings the people of the request to more than %d: a request lists at most %d people, "+
					"send its events in smaller batches", PersonsPerRequestMax, PersonsPerRequestMax)}}}
		}
	}
	return nil
}

// checkSealedSizes refuses an event whose personal part, sealed, would
// make it longer than the store keeps, before any key is made or read: each
// event with personal data is sealed with a throwaway key, which gives the
// stored size exactly. An event without personal data makes no key, and
// the store refuses it by its size before anything is written.
func checkSealedSizes(events []domain.Event) error {
	var violations []domain.Violation
	for i := range events {
		if events[i].Personal == nil {
			continue
		}
		sealed := events[i]
		if err := privacy.SealWithoutKeys(&sealed); err != nil {
			return fmt.Errorf("record: events[%d]: %w", i, err)
		}
		data, err := sealed.Marshal()
		if err != nil {
			return fmt.Errorf("record: events[%d]: %w", i, err)
		}
		if len(data) > domain.StoredEventBytesMax {
			violations = append(violations, domain.Violation{Event: i + 1, Field: "personal",
				Rule: fmt.Sprintf("makes the event %d bytes once sealed, at most %d: list fewer people or shorter details",
					len(data), domain.StoredEventBytesMax)})
		}
	}
	if len(violations) > 0 {
		return &domain.ValidationError{Violations: violations}
	}
	return nil
}

// sealing is a request's personal data while it is recorded: the events'
// unsealed personal parts, to seal them again if a pending key loses a
// race, and the keys its new people get when it is written.
type sealing struct {
	personal []*domain.Personal
	pending  *privacy.PendingKeys
}

// sealPending seals the events' personal parts in place with the keys
// their people have, and new keys that wait in pending: nothing is made in
// the keystore until the request is decided (attempt).
func (s *Service) sealPending(ctx context.Context, events []domain.Event) (*sealing, error) {
	sealed := &sealing{personal: make([]*domain.Personal, len(events)), pending: privacy.NewPendingKeys()}
	for i := range events {
		sealed.personal[i] = events[i].Personal
		if err := s.sealer.SealPending(ctx, &events[i], sealed.pending); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	}
	return sealed, nil
}

// reseal seals the events again from their personal parts, after a
// pending key lost a race: the subjects' stored keys are used now.
func (s *Service) reseal(ctx context.Context, events []domain.Event, sealed *sealing) error {
	sealed.pending = privacy.NewPendingKeys()
	for i := range events {
		if sealed.personal[i] == nil {
			continue
		}
		events[i].Personal, events[i].Sealed = sealed.personal[i], nil
		if err := s.sealer.SealPending(ctx, &events[i], sealed.pending); err != nil {
			return fmt.Errorf("record: %w", err)
		}
	}
	return nil
}

// TriedEventsMax bounds the events one Try checks: as many as an input
// file holds.
const TriedEventsMax = InputEventsMax

// Try checks events Check has checked against the ledger's rules as
// RecordChecked would record them, all in one request, and writes nothing:
// a file of more events than one atomic batch holds is checked whole
// before any of it is written. A key that already wrote the same content
// gives its original result (Duplicate); the other results are empty. It
// holds the events' aggregates while it decides, then drops the states it
// applied them to, so the next use reads the log again.
func (s *Service) Try(ctx context.Context, events []Checked) ([]Result, error) {
	switch {
	case len(events) == 0:
		return nil, checkBatchSize(0)
	case len(events) > TriedEventsMax:
		return nil, &domain.ValidationError{Violations: []domain.Violation{{Field: "events",
			Rule: fmt.Sprintf("must hold at most %d events to be tried, not %d", TriedEventsMax, len(events))}}}
	}
	prepared, given, err := s.prepare(events)
	if err != nil {
		return nil, err
	}
	if s.sealer != nil {
		for i := range prepared {
			// Only a keyed event is compared with what was written, and
			// sealing one that is not would make keys for nothing.
			if prepared[i].IdempotencyKey == "" {
				continue
			}
			if err := s.sealer.SealKnown(ctx, &prepared[i]); err != nil {
				return nil, fmt.Errorf("try: %w", err)
			}
		}
	}
	slots := s.lockCampaigns(prepared)
	defer unlockCampaigns(slots)
	// A try reads every aggregate up to date, so a refusal is never one
	// of a stale cache that a retry would lift.
	decided, _, err := s.decide(ctx, prepared, given, slots, false)
	if err != nil {
		return nil, err
	}
	for _, part := range decided.parts {
		slots[part.Aggregate].state = nil
	}
	for _, i := range decided.written {
		decided.results[i] = Result{}
	}
	return decided.results, nil
}

// prepare is what RecordChecked and Try do before they decide: it refuses
// an event Check has not checked, an idempotency key or an event id used
// twice, and a sealed personal part, and gives each event without an id
// an id and every event the time. given says which ids the caller chose
// (nil: none): only those can already be in the log.
func (s *Service) prepare(events []Checked) ([]domain.Event, []bool, error) {
	prepared := make([]domain.Event, len(events))
	// Most requests choose no id: given stays nil for them.
	var given []bool
	var violations []domain.Violation
	keys := map[string]int{}
	var ids map[uuid.UUID]int
	for i, checked := range events {
		event := checked.event
		if event.Type == "" {
			return nil, nil, fmt.Errorf("record: events[%d] was not checked: %w", i, domain.ErrInvalid)
		}
		if event.IdempotencyKey != "" {
			if first, seen := keys[event.IdempotencyKey]; seen {
				violations = append(violations, domain.Violation{Event: i + 1, Field: "idempotency_key",
					Rule: "is the key of another entry of the same input too", Other: first + 1})
			}
			keys[event.IdempotencyKey] = i
		}
		if event.ID != uuid.Nil {
			if ids == nil {
				ids = map[uuid.UUID]int{}
				given = make([]bool, len(events))
			}
			if first, seen := ids[event.ID]; seen {
				violations = append(violations, domain.Violation{Event: i + 1, Field: "id",
					Rule: "is the id of another event of the same input too: an id names one event", Other: first + 1})
			} else {
				ids[event.ID] = i
			}
			given[i] = true
		}
		prepared[i] = event
	}
	if len(violations) > 0 {
		return nil, nil, &domain.ValidationError{Violations: violations}
	}
	now := s.clock().UTC()
	for i := range prepared {
		if prepared[i].ID == uuid.Nil {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, nil, fmt.Errorf("record: new event id: %w", err)
			}
			prepared[i].ID = id
		}
		prepared[i].RecordedAt = now
		if len(prepared[i].Sealed) > 0 {
			return nil, nil, &domain.ValidationError{Violations: []domain.Violation{{Event: i + 1, Field: "sealed_personal",
				Rule: "is written by the ledger: send personal instead"}}}
		}
	}
	return prepared, given, nil
}

// lockScanAggregatesMax is how many aggregates of a request lockCampaigns
// looks back over before it keeps a set of them instead.
const lockScanAggregatesMax = 8

// lockCampaigns takes the slot of every aggregate of the request, in the
// order of their kinds and then their ids, so two requests never wait on
// each other in a cycle.
func (s *Service) lockCampaigns(events []domain.Event) map[domain.AggregateRef]*campaignSlot {
	var ordered []domain.AggregateRef
	// Requests hold one aggregate, or a few: a look back over those seen
	// is quicker than a set, which is made only for a request of many.
	var seen map[domain.AggregateRef]bool
	for _, event := range events {
		ref := event.Aggregate
		switch {
		case seen != nil:
			if seen[ref] {
				continue
			}
			seen[ref] = true
		case slices.Contains(ordered, ref):
			continue
		case len(ordered) == lockScanAggregatesMax:
			seen = make(map[domain.AggregateRef]bool, 2*lockScanAggregatesMax)
			for _, each := range ordered {
				seen[each] = true
			}
			seen[ref] = true
		}
		ordered = append(ordered, ref)
	}
	slices.SortFunc(ordered, func(a, b domain.AggregateRef) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID))
	})
	slots := make(map[domain.AggregateRef]*campaignSlot, len(ordered))
	for _, ref := range ordered {
		slot := s.slot(ref)
		slot.mu.Lock()
		slots[ref] = slot
	}
	return slots
}

// unlockCampaigns lets go of the slots lockCampaigns took. Recording and
// trying both hold their request's slots until they return, and release
// them here, so that no way out of either leaves a slot locked.
func unlockCampaigns(slots map[domain.AggregateRef]*campaignSlot) {
	for _, slot := range slots {
		slot.mu.Unlock()
	}
}

func (s *Service) slot(ref domain.AggregateRef) *campaignSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uses++
	slot, ok := s.campaigns[ref]
	if !ok {
		if len(s.campaigns) >= campaignsCachedMax {
			s.evictLocked()
		}
		slot = &campaignSlot{ref: ref}
		s.campaigns[ref] = slot
	}
	slot.lastUsed = s.uses
	return slot
}

// evictLocked drops the state of the least recently used campaign that no
// request holds.
func (s *Service) evictLocked() {
	var oldestRef domain.AggregateRef
	var oldest uint64
	found := false
	for ref, slot := range s.campaigns {
		if (!found || slot.lastUsed < oldest) && slot.mu.TryLock() {
			slot.mu.Unlock()
			oldestRef, oldest, found = ref, slot.lastUsed, true
		}
	}
	if found {
		delete(s.campaigns, oldestRef)
	}
}

func (s *Service) recordLocked(ctx context.Context, events []domain.Event, given []bool, slots map[domain.AggregateRef]*campaignSlot,
	sealed *sealing) ([]Result, error) {
	var lastErr error
	for attempt := 1; attempt <= appendAttemptsMax; attempt++ {
		results, retry, err := s.attempt(ctx, events, given, slots, attempt, sealed)
		if !retry {
			return results, err
		}
		lastErr = err
		s.logger.Debug("append retried", "attempt", attempt, "error", err)
		window := min(conflictBackoffMaxMs, 1<<min(attempt, 6))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("record: %w", ctx.Err())
		case <-time.After(time.Duration(rand.Int64N(int64(window)*int64(time.Millisecond) + 1))):
		}
	}
	return nil, fmt.Errorf("record: gave up after %d concurrent conflicts: %w", appendAttemptsMax, lastErr)
}

// attempt decides and appends once. It reports retry when the campaign moved
// under it and a fresh look may change the answer.
func (s *Service) attempt(ctx context.Context, events []domain.Event, given []bool, slots map[domain.AggregateRef]*campaignSlot,
	attempt int, sealed *sealing) ([]Result, bool, error) {
	// The cached state is used as it is: if another writer moved the
	// campaign, the expected-version check fails and the retry reads what
	// changed. Only a first use, or a retry, reads the log.
	decided, retry, err := s.decide(ctx, events, given, slots, attempt == 1)
	if err != nil || retry {
		return nil, retry, err
	}
	if len(decided.written) == 0 {
		return decided.results, false, nil
	}
	if sealed != nil && sealed.pending.Len() > 0 {
		// The request is decided and is to be written: only now do its
		// new people get their keys, so a refused request makes none.
		if err := s.sealer.StorePending(ctx, sealed.pending); err != nil {
			// The states hold the request's events tentatively, sealed
			// under a key that lost: drop them and decide again.
			for _, slot := range slots {
				slot.state = nil
			}
			if !errors.Is(err, privacy.ErrKeyRaced) {
				return nil, false, fmt.Errorf("record: %w", err)
			}
			if err := s.reseal(ctx, events, sealed); err != nil {
				return nil, false, err
			}
			return nil, true, err
		}
	}
	return s.appendDecided(ctx, events, slots, attempt, decided)
}

// decision is what decide made of a request: each event's result so far
// (a duplicate's is final), the appends of the others by aggregate, and
// which events those are.
type decision struct {
	results []Result
	parts   []eventstore.AggregateAppend
	written []int
}

// decide checks each event against its aggregate's state, with the
// request's earlier events applied tentatively, as recording and trying
// both do. cached uses a state the service holds without reading the log;
// a refusal by a cached state that may be behind reports retry. On an
// error it drops the states it changed; on success they hold the
// tentative events until the caller confirms or drops them.
func (s *Service) decide(ctx context.Context, events []domain.Event, given []bool, slots map[domain.AggregateRef]*campaignSlot,
	cached bool) (decision, bool, error) {
	caughtUp := map[domain.AggregateRef]bool{}
	for ref, slot := range slots {
		if slot.state != nil && cached {
			continue
		}
		if _, err := s.catchUp(ctx, ref.String(), slot); err != nil {
			return decision{}, false, err
		}
		caughtUp[ref] = true
	}
	results := make([]Result, len(events))
	versions := map[domain.AggregateRef]uint64{}
	for ref, slot := range slots {
		versions[ref] = slot.state.Revision()
	}
	// Any failure after the first Apply leaves tentative events in a state:
	// drop those states so the next use re-reads the log.
	dirty := false
	defer func() {
		if dirty {
			for _, slot := range slots {
				slot.state = nil
			}
		}
	}()
	var parts []eventstore.AggregateAppend
	partIndex := map[domain.AggregateRef]int{}
	var written []int
	for i := range events {
		event := &events[i]
		key := event.Aggregate
		state := slots[key].state
		if event.IdempotencyKey != "" {
			if record, found := state.Key(event.IdempotencyKey); found {
				same, err := domain.SameRetry(record, *event)
				if err != nil {
					return decision{}, false, err
				}
				if canonical, ok := domain.CanonicalRetry(state, *event); ok && !same {
					// A correction is stored with its replacement encoded
					// again (Decide): the retry is the same request if that
					// is what it says.
					if same, err = domain.SameRetry(record, canonical); err != nil {
						return decision{}, false, err
					}
				}
				if !same {
					dirty = dirty || len(written) > 0
					return decision{}, false, keyReusedError(i, event.IdempotencyKey, record)
				}
				results[i] = Result{EventID: record.EventID, Position: record.Position, Duplicate: true, RecordedBy: record.Actor}
				continue
			}
			// Not this campaign's key: another aggregate may have used it.
			use, found, err := s.keys.lookup(ctx, event.IdempotencyKey)
			if err != nil {
				return decision{}, false, err
			}
			if found && use.aggregate != key.String() {
				dirty = dirty || len(written) > 0
				return decision{}, false, &domain.KeyReusedError{Event: i + 1, Key: event.IdempotencyKey, EventID: use.eventID.String(),
					Position: use.position, Aggregate: use.aggregate}
			}
		}
		err := s.checkPeriod(ctx, *event, state)
		if err == nil {
			err = state.Decide(event, s.validator)
		}
		if err != nil {
			dirty = dirty || len(written) > 0
			if errors.Is(err, domain.ErrRejected) && !caughtUp[key] {
				// The cached state may be behind another writer: refuse
				// only if the campaign is where the state says it is.
				current, versionErr := s.store.AggregateVersion(ctx, event.Aggregate)
				if versionErr != nil {
					return decision{}, false, versionErr
				}
				if current != versions[key] {
					dirty = true
					return decision{}, true, err
				}
			}
			refusal := prefixRule(err, i, events[:i])
			if errors.As(err, new(*domain.ValidationError)) {
				refusal = &InvalidEventsError{Err: refusal}
			}
			return decision{}, false, refusal
		}
		state.Apply(*event, 0)
		dirty = true
		index, ok := partIndex[key]
		if !ok {
			index = len(parts)
			partIndex[key] = index
			parts = append(parts, eventstore.AggregateAppend{Aggregate: event.Aggregate, ExpectedVersion: versions[key]})
		}
		parts[index].Events = append(parts[index].Events, *event)
		written = append(written, i)
	}
	if err := s.checkIDs(ctx, events, given, written); err != nil {
		dirty = dirty || len(written) > 0
		return decision{}, false, err
	}
	dirty = false
	return decision{results: results, parts: parts, written: written}, false, nil
}

// checkIDs refuses an event to be written whose id, chosen by the caller,
// an event of the log already has, in any aggregate and however old: an id
// names one event, and readers find voids' and corrections' targets,
// audit trails and proofs by it. A retry of a keyed event that was written
// is a duplicate, not written, and not checked here.
func (s *Service) checkIDs(ctx context.Context, events []domain.Event, given []bool, written []int) error {
	var queries []idQuery
	var places []int
	if given == nil {
		return nil
	}
	for _, i := range written {
		if !given[i] {
			continue
		}
		queries = append(queries, idQuery{id: events[i].ID, storeRefuses: events[i].IdempotencyKey == ""})
		places = append(places, i)
	}
	if len(queries) == 0 {
		return nil
	}
	positions, err := s.keys.firstIDs(ctx, queries)
	if err != nil {
		return err
	}
	for j, position := range positions {
		if position != 0 {
			return &domain.RuleError{Event: places[j] + 1, Field: "id",
				Rule: fmt.Sprintf("is the id of the event already at position %d: an id names one event, "+
					"leave id out and the ledger gives the event one of its own", position)}
		}
	}
	return nil
}

// appendDecided appends what decide made of a request and confirms it in
// the states.
func (s *Service) appendDecided(ctx context.Context, events []domain.Event, slots map[domain.AggregateRef]*campaignSlot, attempt int,
	decided decision) ([]Result, bool, error) {
	results, parts, written := decided.results, decided.parts, decided.written
	// A failed append leaves the tentative events in the states: drop
	// those states so the next use re-reads the log.
	dirty := true
	defer func() {
		if dirty {
			for _, slot := range slots {
				slot.state = nil
			}
		}
	}()
	positions, err := s.store.Append(ctx, parts...)
	if errors.Is(err, domain.ErrConflict) {
		return nil, true, err
	}
	var duplicate *eventstore.DuplicateError
	if errors.As(err, &duplicate) {
		// JetStream's own window saw a key our campaign state does not hold:
		// another campaign used it recently, or a writer elsewhere just did.
		// A fresh look at the campaigns settles the second case.
		if attempt < 2 {
			// The retry reads the log for ids and keys, so a reused id
			// is refused as such.
			s.keys.stale()
			return nil, true, err
		}
		if duplicate.EventID != "" {
			return nil, false, &domain.RuleError{Field: "id", Rule: fmt.Sprintf("is the id of the event already at position %d: "+
				"an id names one event, leave id out and the ledger gives the event one of its own", duplicate.Position)}
		}
		if duplicate.Key == "" {
			return nil, false, fmt.Errorf("record: an idempotency key of this request was used by another entry within the deduplication window: %w",
				domain.ErrIdempotencyKeyReused)
		}
		return nil, false, fmt.Errorf("record: idempotency key %q was used by another entry within the deduplication window: %w",
			duplicate.Key, domain.ErrIdempotencyKeyReused)
	}
	if err != nil {
		return nil, false, fmt.Errorf("record: %w", err)
	}
	// Positions come back in part order; map them to the request's events.
	positionOf := map[uuid.UUID]uint64{}
	cursor := 0
	for _, part := range parts {
		partPositions := map[uuid.UUID]uint64{}
		for _, event := range part.Events {
			positionOf[event.ID] = positions[cursor]
			partPositions[event.ID] = positions[cursor]
			cursor++
		}
		slots[part.Aggregate].state.Confirm(positions[cursor-1], partPositions)
		if part.Aggregate.Kind == domain.AggregatePeriods {
			// This process closed or reopened a month: see it at once.
			s.periodsMu.Lock()
			s.periods = nil
			s.periodsMu.Unlock()
		}
	}
	writtenEvents := make([]domain.Event, len(written))
	writtenPositions := make([]uint64, len(written))
	for j, i := range written {
		results[i] = Result{EventID: events[i].ID, Position: positionOf[events[i].ID]}
		writtenEvents[j], writtenPositions[j] = events[i], positionOf[events[i].ID]
	}
	s.keys.noted(writtenEvents, writtenPositions)
	dirty = false
	return results, false, nil
}

// catchUp loads a campaign's state or reads what was appended since. It
// reports whether it read anything; a store that reports the aggregate's
// version unchanged is not read at all.
func (s *Service) catchUp(ctx context.Context, code string, slot *campaignSlot) (bool, error) {
	if slot.state == nil {
		slot.state = domain.NewAggregate(slot.ref, s.catalog.CityCode())
	}
	current, err := s.store.AggregateVersion(ctx, slot.ref)
	if err != nil {
		return false, fmt.Errorf("load %s: %w", code, err)
	}
	if current == slot.state.Revision() {
		return false, nil
	}
	changed := false
	filter := eventstore.Filter{AggregateKind: slot.ref.Kind, AggregateID: slot.ref.ID}
	for record, err := range s.store.Read(ctx, slot.state.Revision(), filter) {
		if err != nil {
			slot.state = nil
			return false, fmt.Errorf("load campaign %s: %w", code, err)
		}
		slot.state.Apply(record.Event, record.Position)
		changed = true
	}
	return changed, nil
}

func keyReusedError(index int, key string, record domain.KeyRecord) error {
	return &domain.KeyReusedError{Event: index + 1, Key: key, EventID: record.EventID.String(), Position: record.Position}
}

// InvalidEventsError is the refusal of an event by its own field rules
// that Check could not apply: a correction's replacement is of its
// target's type, so its fields are checked once the target is found, when
// the request is decided (domain.Campaign.Decide). Err is the
// *domain.ValidationError, placed in its event of the request as Record
// places Check's. A front end that reports each line's problems
// (app.Ledger.RecordLines) reports these as the line's own, as it does
// Check's, rather than as a refusal of the request.
type InvalidEventsError struct{ Err error }

func (e *InvalidEventsError) Error() string { return e.Err.Error() }

// Unwrap gives the *domain.ValidationError, so errors.As and errors.Is
// (domain.ErrInvalid) find it.
func (e *InvalidEventsError) Unwrap() error { return e.Err }

// prefixRule places a refusal in the index-th event of the batch, and
// names the earlier event of the batch it is about by its place: that
// event is not written, so its id means nothing to anyone.
func prefixRule(err error, index int, earlier []domain.Event) error {
	placed := domain.InEvent(err, index)
	var rule *domain.RuleError
	if !errors.As(placed, &rule) || rule.OtherID == uuid.Nil {
		return placed
	}
	for j := range earlier {
		if earlier[j].ID == rule.OtherID {
			rule.Other = j + 1
			break
		}
	}
	return placed
}

// checkPeriod refuses a campaign entry that occurred in a month finance has
// closed, unless it is a void or correction that names that month. A void
// or correction changes the figures of the month its target occurred in
// (the totals count it on the target's day, whenever it is dated), so that
// month must be open or named too; naming the one month is all a change
// may do, so one dated in a closed month that lands in another closed
// month is refused either way. A closed_period must name the month the
// change lands in, closed when it is recorded: one that names an open
// month, even the change's own, is refused (CodeOpenMonth), so that no
// change of an open month is recorded as a change of a closed one. state
// is the campaign's state, which knows when the target occurred.
func (s *Service) checkPeriod(ctx context.Context, event domain.Event, state domain.Aggregate) error {
	if event.Aggregate.Kind != domain.AggregateCampaign {
		return nil
	}
	periods, err := s.closedPeriods(ctx)
	if err != nil {
		return err
	}
	amendment, amends := domain.AmendmentOf(event.Data)
	if !periods.MayHaveClosed() && amendment.ClosedPeriod == "" {
		// Naming the month formats a time: not worth it for every entry
		// of a ledger whose finance has closed no month yet.
		return nil
	}
	month := domain.MonthOf(event.OccurredAt)
	named := amendment.ClosedPeriod
	if periods.Closed(month) && named != month {
		// Only a void or correction may name a closed month: a new entry
		// is told to change its date instead.
		advice := fmt.Sprintf("record a void or correction that names closed_period %q", month)
		if !amends {
			advice = "change the entry's date"
		}
		return &domain.RuleError{Field: "occurred_at", Code: domain.CodeClosedMonth, Details: map[string]string{"month": month},
			Rule: fmt.Sprintf("%s is closed by finance: %s, or ask finance to reopen the month", month, advice)}
	}
	if !amends {
		return nil
	}
	campaign, ok := state.(*domain.Campaign)
	if !ok {
		return nil
	}
	occurred, ok := campaign.TargetOccurredAt(event.Data)
	if !ok {
		return nil // no such entry: Decide says so
	}
	landsIn := domain.MonthOf(occurred)
	what, change := "voided", "void"
	if event.Type == domain.TypeEntryCorrected {
		what, change = "corrected", "correction"
	}
	if periods.Closed(landsIn) && named != landsIn {
		if named == "" {
			return &domain.RuleError{Field: "data.closed_period", Code: domain.CodeClosedMonth, Details: map[string]string{"month": landsIn},
				Rule: fmt.Sprintf("the %s entry occurred in %s, a closed month, "+
					"and the change counts there: name it in closed_period (%q) to change it deliberately, or ask finance to reopen the month",
					what, landsIn, landsIn)}
		}
		rule := fmt.Sprintf("the %s entry occurred in %s, a closed month, and the change counts there, not in %s: "+
			"name %q to change it deliberately", what, landsIn, named, landsIn)
		if periods.Closed(month) {
			rule += fmt.Sprintf(", and date the %s in an open month (%s is closed too)", change, month)
		}
		return &domain.RuleError{Field: "data.closed_period", Rule: rule, Code: domain.CodeClosedMonth, Details: map[string]string{"month": landsIn}}
	}
	if named == "" {
		return nil
	}
	// Naming closed_period is the deliberate change of a closed month, and
	// the API lets finance record a void or correction only when it names
	// one: a month that is open, or one the change does not land in, would
	// let a change of an open month pass as a change of a closed one.
	if !periods.Closed(landsIn) {
		rule := fmt.Sprintf("names %s, but the %s entry occurred in %s, which finance has not closed, and the change counts there: "+
			"closed_period names only the closed month a change lands in; leave it out", named, what, landsIn)
		if periods.Closed(month) {
			rule += fmt.Sprintf(", and date the %s in an open month (%s is closed)", change, month)
		}
		return &domain.RuleError{Field: "data.closed_period", Rule: rule, Code: domain.CodeOpenMonth,
			Details: map[string]string{"month": landsIn, "named": named}}
	}
	return nil
}

// closedPeriods returns the periods state, read again when it is older than
// periodsRefreshMs and the store's version moved.
func (s *Service) closedPeriods(ctx context.Context) (*domain.Periods, error) {
	s.periodsMu.Lock()
	defer s.periodsMu.Unlock()
	// Freshness is measured on the monotonic wall clock, not the service's
	// injectable clock: it is about this process's cache, not about events.
	if s.periods != nil && time.Since(s.periodsRead) < periodsRefreshMs*time.Millisecond {
		return s.periods, nil
	}
	ref := domain.AggregateRef{Kind: domain.AggregatePeriods, ID: domain.PeriodsID}
	version, err := s.store.AggregateVersion(ctx, ref)
	if err != nil {
		return nil, err
	}
	if s.periods == nil || version != s.periodsVersion {
		periods, err := s.readPeriods(ctx, ref)
		if err != nil {
			return nil, err
		}
		s.periods, s.periodsVersion = periods, version
	}
	s.periodsRead = time.Now()
	return s.periods, nil
}

// readPeriods folds the periods aggregate from the log. It is apart from
// closedPeriods because a loop over the store's iterator puts its
// variables on the heap on entry to the function that holds it, and
// closedPeriods is entered for every campaign entry.
func (s *Service) readPeriods(ctx context.Context, ref domain.AggregateRef) (*domain.Periods, error) {
	periods := domain.NewPeriods()
	for record, err := range s.store.Read(ctx, 0, eventstore.Filter{AggregateKind: ref.Kind, AggregateID: ref.ID}) {
		if err != nil {
			return nil, err
		}
		periods.Apply(record.Event, record.Position)
	}
	return periods, nil
}
