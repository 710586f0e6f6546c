package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// EventBytesMax caps one event as a client sends it. Real entries are well
// under 4 KiB; the cap keeps one request from filling memory or the stream.
const EventBytesMax = 64 << 10

// StoredEventBytesMax caps an event as stored. The ledger adds the envelope
// fields it owns (id, recorded-at, aggregate, schema version: about 200
// bytes), so every event a client may send also fits once stored, and reads
// back.
const StoredEventBytesMax = EventBytesMax + 1024

// wireEvent is the JSON shape read from clients and from the log. Times are
// strings so that a bad time is reported with its field path.
type wireEvent struct {
	ID             string          `json:"id"`
	Type           EventType       `json:"type"`
	SchemaVersion  int             `json:"schema_version"`
	Aggregate      *AggregateRef   `json:"aggregate"`
	County         string          `json:"county"`
	OccurredAt     string          `json:"occurred_at"`
	RecordedAt     string          `json:"recorded_at"`
	Actor          string          `json:"actor"`
	CorrelationID  string          `json:"correlation_id"`
	CausationID    string          `json:"causation_id"`
	IdempotencyKey string          `json:"idempotency_key"`
	Data           json.RawMessage `json:"data"`
	Personal       *Personal       `json:"personal"`
	Sealed         []SealedPerson  `json:"sealed_personal"`
}

// DecodeEvent reads one event a client sent, refusing unknown fields,
// invalid UTF-8, input over EventBytesMax and unknown types. The result is
// not yet validated: call Validate for the rules that need the catalog and
// the clock.
//
// A refused event whose payload did decode, refused only for a malformed
// envelope value (occurred_at that is no time, id that is no UUID), comes
// back with what did decode: Data set, the malformed values zero. Its
// rules can then be checked too, and JoinChecked reports their problems
// with the decoding's, so that one pass names every problem of the event
// that is known without the log. Any other refusal comes back with a zero
// Event.
func DecodeEvent(raw []byte) (Event, error) { return decodeEvent(raw, EventBytesMax, false) }

// DecodeStoredEvent reads one event from the log, where the ledger's own
// envelope fields make it up to StoredEventBytesMax long.
// Older schema versions are upcast to the current shape; UpcastFrom keeps
// the version as stored.
func DecodeStoredEvent(raw []byte) (Event, error) { return decodeEvent(raw, StoredEventBytesMax, true) }

// fastPathOff turns the fast paths off, for the tests that hold them to
// the strict path.
var fastPathOff bool

func decodeEvent(raw []byte, bytesMax int, stored bool) (Event, error) {
	var problems violations
	if len(raw) > bytesMax {
		problems.add("$", "event is %d bytes, must be at most %d", len(raw), bytesMax)
		return Event{}, problems.err()
	}
	if !utf8.Valid(raw) {
		offset := invalidUTF8Offset(raw)
		problems.add(pathAt(raw, int64(offset)), "must be valid UTF-8 (invalid byte at offset %d)", offset)
		return Event{}, problems.err()
	}
	// The fast path accepts only what the strict path below accepts and
	// decodes it the same way (see decode_fast.go); whatever it is not
	// sure of, the strict path decides and reports.
	if !fastPathOff {
		decodeFast := decodeStoredFast
		if !stored {
			decodeFast = decodeClientFast
		}
		if event, ok := decodeFast(raw); ok {
			return event, nil
		}
	}
	// A key given twice is read as its last value by encoding/json: what
	// the client meant is unknowable, so a client's event with one is
	// refused. The ledger's own stored events never have one.
	if !stored {
		if path, found := duplicateKey(raw); found {
			problems.add(path, "appears twice in the same object; give each field once")
			return Event{}, problems.err()
		}
	}
	var wire wireEvent
	if err := strictUnmarshal(raw, &wire); err != nil {
		problems.addCode(jsonErrorField("", err), jsonErrorCode(err), "%s", jsonErrorRule(err))
		return Event{}, problems.err()
	}
	event := Event{
		Type:           wire.Type,
		SchemaVersion:  wire.SchemaVersion,
		County:         wire.County,
		Actor:          wire.Actor,
		CorrelationID:  wire.CorrelationID,
		CausationID:    wire.CausationID,
		IdempotencyKey: wire.IdempotencyKey,
		Personal:       wire.Personal,
		Sealed:         wire.Sealed,
	}
	if wire.Aggregate != nil {
		event.Aggregate = *wire.Aggregate
	}
	if wire.ID != "" {
		// uuid.Parse fills part of an id it refuses: the event keeps no id
		// rather than that part.
		if id, err := uuid.Parse(wire.ID); err != nil {
			problems.add("id", "must be a UUID")
		} else {
			event.ID = id
		}
	}
	event.OccurredAt = parseTime(&problems, "occurred_at", wire.OccurredAt)
	if wire.RecordedAt != "" {
		event.RecordedAt = parseTime(&problems, "recorded_at", wire.RecordedAt)
	}
	payload := newPayload(wire.Type)
	switch {
	case wire.Type == "":
		problems.addCode("type", CodeRequired, "is required")
	case payload == nil:
		problems.add("type", "unknown event type %q; known types: %s", wire.Type, knownTypes())
	case len(bytes.TrimSpace(wire.Data)) == 0 || bytes.Equal(bytes.TrimSpace(wire.Data), []byte("null")):
		problems.addCode("data", CodeRequired, "is required")
	default:
		if stored && wire.SchemaVersion > 0 && wire.SchemaVersion < CurrentVersion(wire.Type) {
			upcasted, err := upcast(wire.Type, wire.SchemaVersion, wire.Data)
			if err != nil {
				problems.add("schema_version", "%v", err)
				break
			}
			wire.Data = upcasted
			event.UpcastFrom, event.SchemaVersion = wire.SchemaVersion, CurrentVersion(wire.Type)
		}
		if err := strictUnmarshal(wire.Data, payload); err != nil {
			problems.addCode(jsonErrorField("data", err), jsonErrorCode(err), "%s", jsonErrorRule(err))
		} else {
			event.Data = derefPayload(payload)
		}
	}
	if err := problems.err(); err != nil {
		if stored || event.Data == nil {
			return Event{}, err
		}
		// Only envelope values are malformed, each named by the decoding
		// and left zero: what decoded is the client's to have checked.
		// The log's readers take an event whole or not at all.
		return event, err
	}
	return event, nil
}

// UnmarshalJSON lets an Event be read with encoding/json, through DecodeEvent.
func (e *Event) UnmarshalJSON(raw []byte) error {
	event, err := DecodeEvent(raw)
	if err != nil {
		return err
	}
	*e = event
	return nil
}

func knownTypes() string {
	names := make([]string, len(EventTypes))
	for i, eventType := range EventTypes {
		names[i] = string(eventType)
	}
	return strings.Join(names, ", ")
}

func parseTime(problems *violations, field, text string) time.Time {
	if text == "" {
		problems.addCode(field, CodeRequired, "is required (RFC 3339 time such as 2022-06-15T09:30:00+08:00)")
		return time.Time{}
	}
	parsed, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		problems.addCode(field, CodeTime, "must be an RFC 3339 time such as 2022-06-15T09:30:00+08:00")
	}
	return parsed
}

func strictUnmarshal(data []byte, target any) error {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(target); err != nil {
		return err
	}
	if _, err := decoder.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// jsonErrorField turns a decoding error into the field path it is about.
func jsonErrorField(prefix string, err error) string {
	join := func(field string) string {
		if prefix == "" {
			return field
		}
		if field == "" {
			return prefix
		}
		return prefix + "." + field
	}
	var typeError *json.UnmarshalTypeError
	if errors.As(err, &typeError) && typeError.Field != "" {
		return join(typeError.Field)
	}
	if name, ok := unknownFieldName(err); ok && name != "" {
		return join(name)
	}
	if prefix == "" {
		return "$"
	}
	return prefix
}

func jsonErrorRule(err error) string {
	var typeError *json.UnmarshalTypeError
	var syntaxError *json.SyntaxError
	switch {
	case errors.As(err, &typeError):
		return fmt.Sprintf("must be %s, not %s", describeKind(typeError.Type.Kind().String()), typeError.Value)
	case errors.As(err, &syntaxError):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syntaxError.Offset, syntaxError)
	}
	if _, ok := unknownFieldName(err); ok {
		return "unknown field"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonErrorCode is the code of the rule a decoding error breaks: a whole
// number given as something else; "" for the rest.
func jsonErrorCode(err error) string {
	var typeError *json.UnmarshalTypeError
	if errors.As(err, &typeError) {
		switch typeError.Type.Kind() {
		case reflect.Int, reflect.Int64:
			return CodeWholeNumber
		}
	}
	return ""
}

func describeKind(kind string) string {
	switch kind {
	case "int64", "int":
		return "an integer"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "struct", "ptr":
		return "an object"
	}
	return "a " + kind
}

func unknownFieldName(err error) (string, bool) {
	const marker = `json: unknown field "`
	message := err.Error()
	if !strings.HasPrefix(message, marker) {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(message, marker), `"`), true
}

func invalidUTF8Offset(raw []byte) int {
	for offset := 0; offset < len(raw); {
		r, size := utf8.DecodeRune(raw[offset:])
		if r == utf8.RuneError && size <= 1 {
			return offset
		}
		offset += size
	}
	return -1
}

// duplicateKey finds the first key that appears twice in one JSON object
// and returns its path ("data.amount"). Keys are compared as encoding/json
// matches them to fields, ignoring case: {"DONOR_KIND": …, "donor_kind": …}
// fills one field twice, the last value winning, just as an exact
// duplicate does. Malformed JSON finds nothing: the strict decoding after
// it names that problem.
func duplicateKey(raw []byte) (string, bool) {
	var found string
	keys := map[string]bool{}
	walkJSON(raw, func(path string, isKey bool, _, _ int64) bool {
		if !isKey {
			return true
		}
		folded := foldKey(path)
		if keys[folded] {
			found = path
			return false
		}
		keys[folded] = true
		return true
	}, func(objectPath string) {
		// An object opens: its keys start afresh, which matters for the
		// objects of an array, which share one path.
		folded := foldKey(objectPath)
		for key := range keys {
			if folded == "" || strings.HasPrefix(key, folded+".") {
				delete(keys, key)
			}
		}
	})
	return found, found != ""
}

// foldKey folds a key (or a path of keys) as encoding/json does when it
// matches a key to a field (its foldName): ASCII letters upper-cased, any
// other rune replaced by the smallest rune of its Unicode fold set, so
// that "K" (the Kelvin sign) and "ſ" (the long s) fold as "K" and "S" do.
// The separators of a path fold to themselves.
func foldKey(key string) string {
	folded := make([]byte, 0, len(key))
	for i := 0; i < len(key); {
		if c := key[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			folded = append(folded, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(key[i:])
		folded = utf8.AppendRune(folded, foldRune(r))
		i += size
	}
	return string(folded)
}

// foldRune is the smallest rune of r's fold set, as encoding/json's.
func foldRune(r rune) rune {
	for {
		next := unicode.SimpleFold(r)
		if next <= r {
			return next
		}
		r = next
	}
}

// pathAt names the field whose key or value holds byte offset in raw ("$"
// when none does), so that an invalid byte is reported where the client
// wrote it.
func pathAt(raw []byte, offset int64) string {
	found := "$"
	walkJSON(raw, func(path string, _ bool, start, end int64) bool {
		if offset >= start && offset < end {
			// A document that is one bare value has no field path:
			// that is the document itself, "$".
			if path != "" {
				found = path
			}
			return false
		}
		return true
	}, nil)
	return found
}

// walkJSON calls visit for every key and scalar value of a JSON document
// with its path ("data.items[].quantity"), whether it is a key, and the
// bytes it spans; newObject is called as each object opens. It stops when
// visit returns false or the JSON is malformed.
func walkJSON(raw []byte, visit func(path string, isKey bool, start, end int64) bool, newObject func(path string)) {
	decoder := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		object    bool
		path      string
		expectKey bool
		key       string
	}
	var stack []*frame
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if !top.object {
			return top.path + "[]"
		}
		if top.path == "" {
			return top.key
		}
		return top.path + "." + top.key
	}
	valueEnded := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expectKey = true
		}
	}
	for {
		start := decoder.InputOffset()
		token, err := decoder.Token()
		if err != nil {
			return
		}
		end := decoder.InputOffset()
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey {
			top := stack[len(stack)-1]
			if delim, ok := token.(json.Delim); ok && delim == '}' {
				stack = stack[:len(stack)-1]
				valueEnded()
				continue
			}
			key, _ := token.(string)
			top.key, top.expectKey = key, false
			if !visit(childPath(), true, start, end) {
				return
			}
			continue
		}
		switch token {
		case json.Delim('{'):
			path := childPath()
			stack = append(stack, &frame{object: true, path: path, expectKey: true})
			if newObject != nil {
				newObject(path)
			}
			continue
		case json.Delim('['):
			stack = append(stack, &frame{path: childPath()})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if !visit(childPath(), false, start, end) {
				return
			}
		}
		valueEnded()
	}
}
