package domain

import (
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Every append encodes its events to the bytes the log keeps, and
// encoding/json's reflection over the envelope, the payload interface and
// the MarshalJSON methods of time and money was the largest single part of
// the ledger's own work on an append after the content hash. The common
// events (no personal data, a payload the content hash also writes by hand)
// are encoded here into the bytes encoding/json writes; anything else goes
// to encoding/json. FuzzFastEncoders and TestMarshalFastCoversEveryField hold
// the two to the same bytes.

// eventBytesGuess is the room set aside for a common event's encoding: a
// money donation with a Chinese donor name takes about 450 bytes.
const eventBytesGuess = 640

// appendEventFast appends the bytes Event.marshalStrict returns, or says it
// is not sure of them (ok false).
func appendEventFast(buffer []byte, e Event) ([]byte, bool) {
	if e.Personal != nil || len(e.Sealed) > 0 || e.Data == nil {
		return nil, false
	}
	ok := true
	buffer = append(buffer, `{"id":"`...)
	buffer = AppendUUID(buffer, e.ID)
	buffer = append(buffer, `","type":`...)
	buffer, ok = appendPlainString(buffer, string(e.Type), ok)
	buffer = append(buffer, `,"schema_version":`...)
	buffer = strconv.AppendInt(buffer, int64(e.SchemaVersion), 10)
	buffer = append(buffer, `,"aggregate":{"kind":`...)
	buffer, ok = appendPlainString(buffer, e.Aggregate.Kind, ok)
	buffer = append(buffer, `,"id":`...)
	buffer, ok = appendPlainString(buffer, e.Aggregate.ID, ok)
	buffer = append(buffer, `},"county":`...)
	buffer, ok = appendPlainString(buffer, e.County, ok)
	buffer = append(buffer, `,"occurred_at":`...)
	buffer, ok = appendTimeInZone(buffer, e.OccurredAt, ok)
	buffer = append(buffer, `,"recorded_at":`...)
	buffer, ok = appendTimeInZone(buffer, e.RecordedAt, ok)
	buffer, ok = appendField(buffer, `,"actor":`, e.Actor, ok)
	buffer, ok = appendFieldOmitEmpty(buffer, `,"correlation_id":`, e.CorrelationID, ok)
	buffer, ok = appendFieldOmitEmpty(buffer, `,"causation_id":`, e.CausationID, ok)
	buffer, ok = appendField(buffer, `,"idempotency_key":`, e.IdempotencyKey, ok)
	buffer = append(buffer, `,"data":`...)
	buffer, ok = appendPayloadFast(buffer, e.Data, ok)
	if !ok {
		return nil, false
	}
	return append(buffer, '}'), true
}

// AppendUUID appends an id in its canonical text form, lower-case hex in
// groups of 8-4-4-4-12, as uuid.UUID's MarshalText writes it, without the
// allocation of String.
func AppendUUID(buffer []byte, id uuid.UUID) []byte {
	const digits = "0123456789abcdef"
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buffer = append(buffer, '-')
		}
		buffer = append(buffer, digits[b>>4], digits[b&0x0f])
	}
	return buffer
}

// appendTimeInZone writes what time.Time.MarshalJSON writes, in the time's
// own zone. A zone whose offset is not whole minutes or a day or more, and a
// year outside 0-9999, are left to encoding/json.
func appendTimeInZone(buffer []byte, at time.Time, ok bool) ([]byte, bool) {
	_, offset := at.Zone()
	if year := at.Year(); year < 0 || year > 9999 || offset%60 != 0 || offset <= -24*3600 || offset >= 24*3600 {
		return buffer, false
	}
	buffer = append(buffer, '"')
	buffer = at.AppendFormat(buffer, time.RFC3339Nano)
	return append(buffer, '"'), ok
}
