// Package esdb keeps the ledger in EventStoreDB (KurrentDB) through
// EventStore-Client-Go: one stream per aggregate, the global log read from
// $all. It implements the same eventstore.Store contract as the JetStream
// store and runs the same conformance suite against a live server.
//
// This file holds the mapping between ledger events and EventStoreDB events;
// it needs no server and is unit tested on its own.
package esdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// DefaultStreamPrefix starts the name of every ledger stream, so that $all
// can be filtered to the ledger on the server and other applications may
// share the database. Tests use their own prefix for an empty ledger on a
// shared server.
const DefaultStreamPrefix = "ledger-"

// EnvelopeVersion is the version of the metadata layout below.
const EnvelopeVersion = 1

// idempotencyNamespace derives EventStoreDB event ids from idempotency keys.
var idempotencyNamespace = uuid.MustParse("6c1d8f4e-4b0a-5d1e-9a57-1f2c3b4d5e6f")

// Envelope is what every stored event carries in its EventStoreDB metadata:
// enough to route, filter and audit without decoding the payload.
type Envelope struct {
	Version        int       `json:"envelope_version"`
	EventID        string    `json:"event_id"`
	Type           string    `json:"type"`
	SchemaVersion  int       `json:"schema_version"`
	AggregateKind  string    `json:"aggregate_kind"`
	AggregateID    string    `json:"aggregate_id"`
	County         string    `json:"county"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	RecordedAt     time.Time `json:"recorded_at"`
}

// StreamName is the aggregate's stream: <prefix><kind>-<id>.
func StreamName(prefix string, aggregate domain.AggregateRef) string {
	return prefix + aggregate.Kind + "-" + aggregate.ID
}

// IsLedgerStream reports whether a stream in $all is one of the ledger's:
// the prefix, then an aggregate kind. Naming the kind keeps apart ledgers
// whose prefixes nest ("union-a-" and "union-a-b-") in one database.
func IsLedgerStream(prefix, stream string) bool {
	rest, found := strings.CutPrefix(stream, prefix)
	if !found {
		return false
	}
	for _, kind := range domain.AggregateKinds {
		if strings.HasPrefix(rest, kind+"-") {
			return true
		}
	}
	return false
}

// StoreEventID is the id EventStoreDB keeps for an event. The server treats
// an append whose event ids it has seen as already done, so an event with an
// idempotency key gets an id derived from the aggregate and the key: a retry
// with a fresh ledger event id is still recognised. Other events keep their
// own id.
func StoreEventID(event domain.Event) uuid.UUID {
	if event.IdempotencyKey == "" {
		return event.ID
	}
	return uuid.NewSHA1(idempotencyNamespace, []byte(event.Aggregate.Kind+"\x00"+event.Aggregate.ID+"\x00"+event.IdempotencyKey))
}

// ToEventData maps a ledger event to what EventStoreDB stores. The data are
// the exact bytes the JetStream store keeps, so integrity proofs and content
// hashes carry across a migration unchanged; the envelope goes in metadata.
func ToEventData(event domain.Event, data []byte) (esdb.EventData, error) {
	metadata, err := json.Marshal(Envelope{
		Version: EnvelopeVersion, EventID: event.ID.String(), Type: string(event.Type), SchemaVersion: eventstore.StoredVersion(event),
		AggregateKind: event.Aggregate.Kind, AggregateID: event.Aggregate.ID, County: event.County,
		IdempotencyKey: event.IdempotencyKey, RecordedAt: event.RecordedAt,
	})
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("event %s metadata: %w", event.ID, err)
	}
	return esdb.EventData{EventID: StoreEventID(event), EventType: string(event.Type),
		ContentType: esdb.ContentTypeJson, Data: data, Metadata: metadata}, nil
}

// FromRecorded decodes a stored EventStoreDB event back into a ledger event,
// checking that its envelope agrees with its data.
func FromRecorded(prefix string, recorded *esdb.RecordedEvent) (domain.Event, error) {
	var envelope Envelope
	if err := json.Unmarshal(recorded.UserMetadata, &envelope); err != nil {
		return domain.Event{}, undecodable("stream %s revision %d: metadata: %w", recorded.StreamID, recorded.EventNumber, err)
	}
	if envelope.Version != EnvelopeVersion {
		return domain.Event{}, undecodable("stream %s revision %d: envelope version %d, this build reads %d",
			recorded.StreamID, recorded.EventNumber, envelope.Version, EnvelopeVersion)
	}
	event, err := domain.DecodeStoredEvent(recorded.Data)
	if err != nil {
		return domain.Event{}, undecodable("stream %s revision %d: %w", recorded.StreamID, recorded.EventNumber, err)
	}
	if envelope.EventID != event.ID.String() || envelope.Type != string(event.Type) || recorded.StreamID != StreamName(prefix, event.Aggregate) {
		return domain.Event{}, undecodable("stream %s revision %d: envelope names event %s (%s) but the data hold %s (%s) of %s",
			recorded.StreamID, recorded.EventNumber, envelope.EventID, envelope.Type, event.ID, event.Type, event.Aggregate)
	}
	return event, nil
}

// ErrUndecodable marks a stored event that does not decode, or whose
// envelope disagrees with its data: reading it again will not mend it.
var ErrUndecodable = errors.New("stored event does not decode")

func undecodable(format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrUndecodable, fmt.Errorf(format, args...))
}

// ExpectedRevision maps the contract's expected version to an expected
// stream revision. The contract speaks in global log positions; a stream
// speaks in its own revisions. The store first reads the aggregate's last
// event: if its position is not the one expected the append is a conflict,
// and otherwise the append expects exactly that event's revision, so a writer
// that slips in between is caught by the server.
func ExpectedRevision(expected uint64, last LastEvent) (esdb.ExpectedRevision, error) {
	if expected == eventstore.AnyVersion {
		return esdb.Any{}, nil
	}
	if !last.Exists {
		if expected != 0 {
			return nil, &eventstore.ConflictError{Expected: expected, Actual: 0}
		}
		return esdb.NoStream{}, nil
	}
	if last.Position != expected {
		return nil, &eventstore.ConflictError{Expected: expected, Actual: last.Position}
	}
	return esdb.Revision(last.Revision), nil
}

// LastEvent is an aggregate's last event: its stream revision and its
// position in the global log.
type LastEvent struct {
	Exists   bool
	Revision uint64
	Position uint64
}

// ErrUnsupported says the store cannot do what JetStream can, such as an
// atomic append across aggregates.
var ErrUnsupported = eventstore.ErrUnsupported

// MapError turns client errors into the contract's: a wrong expected version
// is a conflict; a missing stream is not found; the rest keep their cause.
func MapError(err error, aggregate domain.AggregateRef, expected uint64) error {
	// The stream name is the caller's to add; here only the kind of error.
	if err == nil {
		return nil
	}
	var clientError *esdb.Error
	if !errors.As(err, &clientError) {
		return err
	}
	switch clientError.Code() {
	case esdb.ErrorCodeWrongExpectedVersion:
		return &eventstore.ConflictError{Aggregate: aggregate, Expected: expected}
	case esdb.ErrorCodeResourceNotFound, esdb.ErrorCodeStreamDeleted:
		return fmt.Errorf("aggregate %s: %w", aggregate, domain.ErrNotFound)
	}
	return err
}
