// Package eventstore is the contract between the ledger and the log that
// keeps its events. It names no storage technology: the JetStream store
// (eventstore/natsjs) implements it today and an EventStoreDB store can later,
// and both must pass the conformance suite in eventstore/eventstoretest.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/ordos-union/ledger/domain"
)

// AnyVersion skips the expected-version check of an append.
const AnyVersion uint64 = math.MaxUint64

// BatchEventsMax caps the events of one atomic append. JetStream's atomic
// batches take at most 1000 messages; other stores may take more but the
// contract keeps one limit for all.
const BatchEventsMax = 1000

// AggregateAppend is the part of an append that goes to one aggregate.
// ExpectedVersion is the position of the aggregate's last event as the writer
// saw it (0: the aggregate has no events), or AnyVersion.
type AggregateAppend struct {
	Aggregate       domain.AggregateRef
	ExpectedVersion uint64
	Events          []domain.Event
	// Stored, when set, holds each event's bytes exactly as another store
	// kept them (a migration): the store keeps those bytes rather than
	// encoding the event again, so an event stored in an older schema
	// version stays in it and integrity proofs still hold. Each must decode
	// to its event.
	Stored [][]byte
}

// StoredBytes returns the bytes to keep for the part's event i: the given
// stored bytes, checked against the event, or the event encoded.
func (a AggregateAppend) StoredBytes(i int) ([]byte, error) {
	event := a.Events[i]
	if a.Stored == nil {
		return event.Marshal()
	}
	decoded, err := domain.DecodeStoredEvent(a.Stored[i])
	if err != nil {
		return nil, fmt.Errorf("stored bytes of event %s: %w", event.ID, err)
	}
	if decoded.ID != event.ID || decoded.Aggregate != event.Aggregate {
		return nil, fmt.Errorf("stored bytes hold event %s of %s, not %s of %s: %w", decoded.ID, decoded.Aggregate, event.ID, event.Aggregate, domain.ErrInvalid)
	}
	return a.Stored[i], nil
}

// StoredVersion is the schema version an event is kept in: the version it
// was read from when it was upcast, else its own.
func StoredVersion(event domain.Event) int {
	if event.UpcastFrom != 0 {
		return event.UpcastFrom
	}
	return event.SchemaVersion
}

// Record is an event as stored: its position in the global log and the exact
// bytes kept, which later integrity proofs hash.
type Record struct {
	Position uint64
	Event    domain.Event
	Data     []byte
}

// Filter selects events from the global log. Zero fields select everything.
type Filter struct {
	AggregateKind string
	AggregateID   string
	County        string
	Type          domain.EventType
	// RecordedFrom and RecordedUntil bound recorded-at: [from, until).
	RecordedFrom  time.Time
	RecordedUntil time.Time
}

// Matches reports whether an event passes the filter. Stores push what they
// can down to the server and check the rest with Matches.
func (f Filter) Matches(event domain.Event) bool {
	switch {
	case f.AggregateKind != "" && event.Aggregate.Kind != f.AggregateKind,
		f.AggregateID != "" && event.Aggregate.ID != f.AggregateID,
		f.County != "" && event.County != f.County,
		f.Type != "" && event.Type != f.Type,
		!f.RecordedFrom.IsZero() && event.RecordedAt.Before(f.RecordedFrom),
		!f.RecordedUntil.IsZero() && !event.RecordedAt.Before(f.RecordedUntil):
		return false
	}
	return true
}

// Store keeps the ledger's events in one totally ordered log.
type Store interface {
	// Append writes all events of all parts or none. Each part's expected
	// version is checked against its aggregate; a stale one fails the whole
	// append with a *ConflictError. It returns each event's position, in
	// order. An event whose idempotency key the store has seen within its
	// deduplication window fails the append with a *DuplicateError.
	Append(ctx context.Context, parts ...AggregateAppend) ([]uint64, error)
	// Read yields the events after position from (exclusive) that match the
	// filter, in log order, up to the head as of the call.
	Read(ctx context.Context, from uint64, filter Filter) iter.Seq2[Record, error]
	// Subscribe is Read that goes on with new events until ctx ends.
	Subscribe(ctx context.Context, from uint64, filter Filter) iter.Seq2[Record, error]
	// Get reads the event at a position; domain.ErrNotFound if none.
	Get(ctx context.Context, position uint64) (Record, error)
	// Head is the position of the last event in the log (0: empty).
	Head(ctx context.Context) (uint64, error)
	// AggregateVersion is the position of the aggregate's last event.
	AggregateVersion(ctx context.Context, aggregate domain.AggregateRef) (uint64, error)
	// Close releases the store's resources; the log stays.
	Close() error
}

// Deduplicator is a store that itself refuses an idempotency key it saw
// within the last Window, anywhere in the log (JetStream's duplicate
// window). Writers that keep their own index of keys need read the log for
// keys of others only as often as that window allows.
type Deduplicator interface {
	DeduplicationWindow() time.Duration
}

// ConflictError says an aggregate moved on since the writer read it.
type ConflictError struct {
	Aggregate domain.AggregateRef
	Expected  uint64
	Actual    uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("aggregate %s is at version %d, not the expected %d", e.Aggregate, e.Actual, e.Expected)
}

// Is makes errors.Is(err, domain.ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == domain.ErrConflict }

// DuplicateError says an idempotency key was written before, at Position when
// the store knows it. Key is empty when the store cannot tell which key of a
// multi-event append it was. EventID is set instead of Key when the store
// deduplicated an event without a key on its id, and another event with
// that id stands at Position: the event was not written.
type DuplicateError struct {
	Key      string
	EventID  string
	Position uint64
}

func (e *DuplicateError) Error() string {
	if e.EventID != "" {
		return fmt.Sprintf("event id %s was already written by another event (position %d)", e.EventID, e.Position)
	}
	return fmt.Sprintf("idempotency key %q was already written (position %d)", e.Key, e.Position)
}

// ErrUnsupported says a store cannot do what the contract allows others to,
// such as an atomic append across aggregates on a store that appends to one
// stream at a time. Nothing was written.
var ErrUnsupported = errors.New("not supported by this store")

// ErrNotWritten says an append failed before any of it reached the store:
// none of its events were written, and they may be sent again, with an
// idempotency key or without. A store marks only the failures it knows
// wrote nothing (NotWritten): a store closed before the append, a
// deadline met while the append still waited its turn. Any other failure
// of an append that is no refusal (domain.ErrInvalid, ErrDuplicate, …)
// says nothing of whether it wrote.
var ErrNotWritten = errors.New("nothing was written")

// NotWrittenError is a failure of an append that wrote nothing: Err says
// why, in its own words. It is ErrNotWritten, and Err.
type NotWrittenError struct{ Err error }

func (e *NotWrittenError) Error() string { return e.Err.Error() }

func (e *NotWrittenError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotWritten) true.
func (e *NotWrittenError) Is(target error) bool { return target == ErrNotWritten }

// NotWritten marks err as the failure of an append that wrote nothing
// (ErrNotWritten); nil stays nil.
func NotWritten(err error) error {
	if err == nil {
		return nil
	}
	return &NotWrittenError{Err: err}
}

// ErrDuplicate matches every *DuplicateError.
var ErrDuplicate = errors.New("duplicate idempotency key")

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// CheckAppend applies the contract's own limits, so every store refuses the
// same things the same way.
func CheckAppend(parts []AggregateAppend) error {
	total := 0
	seen := map[domain.AggregateRef]bool{}
	for _, part := range parts {
		if seen[part.Aggregate] {
			return fmt.Errorf("append: aggregate %s appears twice: %w", part.Aggregate, domain.ErrInvalid)
		}
		seen[part.Aggregate] = true
		if len(part.Events) == 0 {
			return fmt.Errorf("append: no events for %s: %w", part.Aggregate, domain.ErrInvalid)
		}
		if part.Stored != nil && len(part.Stored) != len(part.Events) {
			return fmt.Errorf("append: %d stored encodings for %d events of %s: %w", len(part.Stored), len(part.Events), part.Aggregate, domain.ErrInvalid)
		}
		for _, event := range part.Events {
			if event.Aggregate != part.Aggregate {
				return fmt.Errorf("append: event %s belongs to %s, not %s: %w", event.ID, event.Aggregate, part.Aggregate, domain.ErrInvalid)
			}
		}
		total += len(part.Events)
	}
	if total == 0 {
		return fmt.Errorf("append: no events: %w", domain.ErrInvalid)
	}
	if total > BatchEventsMax {
		return fmt.Errorf("append: %d events, at most %d in one append: %w", total, BatchEventsMax, domain.ErrInvalid)
	}
	return nil
}

// Checkpoint is a projection's state together with the log position it
// reflects: saved and loaded as one value, so that a crash can never keep one
// without the other.
type Checkpoint struct {
	Name     string    `json:"name"`
	Version  int       `json:"version"`
	Position uint64    `json:"position"`
	SavedAt  time.Time `json:"saved_at"`
	State    []byte    `json:"state"`
	// StateSHA256 is the hex SHA-256 of State when it was saved, so a
	// damaged checkpoint is recognised as damaged, not trusted.
	StateSHA256 string `json:"state_sha256,omitempty"`
	// MissingPositions counts the positions the log lacked when the
	// projection read it, and MissingRanges names them (the first few
	// stretches, first and last position): damage a projection loaded from
	// this checkpoint must go on reporting.
	MissingPositions uint64      `json:"missing_positions,omitempty"`
	MissingRanges    [][2]uint64 `json:"missing_ranges,omitempty"`
	// TreeRoot is the root of the log's Merkle tree at Position, as the
	// ledger that saved the checkpoint had it: a checkpoint folded from
	// another log does not load. Empty when no tree was at hand.
	TreeRoot string `json:"tree_root,omitempty"`
	// Seal is a keyed MAC of everything above (projections.CheckpointSeal),
	// with a key only the ledger's nodes hold: the checkpoint's bucket is
	// writable by the runtime NATS credential, so a checksum alone would
	// let whoever holds it write any figures. Empty on a checkpoint saved
	// before seals, or where no key was at hand.
	Seal string `json:"seal,omitempty"`
}

// CheckpointStore keeps one checkpoint per projection.
type CheckpointStore interface {
	// Load returns the projection's checkpoint; domain.ErrNotFound if none.
	Load(ctx context.Context, name string) (Checkpoint, error)
	// Save replaces the projection's checkpoint atomically.
	Save(ctx context.Context, checkpoint Checkpoint) error
}

// Leases hand one process at a time the right to write a projection's
// checkpoints. On a cluster every node folds the log to serve reads; only
// the holder of the lease saves, and another takes over when it falls
// silent.
type Leases interface {
	// Claim takes or renews the lease on name for holder until now+ttl and
	// reports whether holder has it. An error means the claim could not be
	// decided and held is then false: a store never answers (true, err),
	// since callers treat any error as the lease not held. Housekeeping
	// that fails after the lease was taken is the store's to log.
	Claim(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error)
}

// CheckpointArchive copies every projection checkpoint out and in, for
// backups and migrations.
type CheckpointArchive interface {
	Export(ctx context.Context) ([]Checkpoint, error)
	Import(ctx context.Context, checkpoints []Checkpoint) error
}

// SaveAll saves checkpoints one by one, as a store's Import does for a
// restore; the first that cannot be saved stops it.
func SaveAll(ctx context.Context, store CheckpointStore, checkpoints []Checkpoint) error {
	for _, checkpoint := range checkpoints {
		if err := store.Save(ctx, checkpoint); err != nil {
			return fmt.Errorf("import checkpoint %s: %w", checkpoint.Name, err)
		}
	}
	return nil
}

// LoadAll loads the named checkpoints, as a store's Export does for a
// backup. A name whose checkpoint is gone since it was listed is left
// out; the first that cannot be loaded otherwise stops it.
func LoadAll(ctx context.Context, store CheckpointStore, names []string) ([]Checkpoint, error) {
	var checkpoints []Checkpoint
	for _, name := range names {
		checkpoint, err := store.Load(ctx, name)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("export checkpoint %s: %w", name, err)
		}
		checkpoints = append(checkpoints, checkpoint)
	}
	return checkpoints, nil
}

// SignedCheckpointLog keeps the signed tree checkpoints, append-only like
// the ledger itself.
type SignedCheckpointLog interface {
	// Append stores one signed checkpoint note.
	Append(ctx context.Context, signed []byte) error
	// Latest returns the last one stored; domain.ErrNotFound if none.
	Latest(ctx context.Context) ([]byte, error)
	// All returns every one in the order stored.
	All(ctx context.Context) ([][]byte, error)
}
