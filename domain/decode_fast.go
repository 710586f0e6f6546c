package domain

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// The stored-event fast path. Replaying the log decodes every stored event,
// and the strict decoding (two json.Decoders, one for the envelope and one
// for the payload, each scanning its input twice and copying it into a
// buffer of its own) costs more than fetching the event. The fast path reads
// the envelope in one hand-written pass, checks the payload's keys against
// its type in the same pass, and decodes the payload once with
// json.Unmarshal.
//
// It accepts only what it is sure of: plain JSON as the ledger writes it,
// every key known and spelled exactly, no key twice, no escapes in the
// envelope's strings. Anything else (a syntax error, an unknown or
// differently cased key, a null, an escape, a value of the wrong kind) makes
// it give up, and the strict decoding runs as before and reports exactly
// what it always reported. So the fast path can never accept an event the
// strict one refuses, nor decode one differently; FuzzDecodeStoredFast
// checks both on arbitrary input.

// The same pass reads a client's event (DecodeEvent), where the strict path
// also refuses a key given twice anywhere in the document and never upcasts.
// For a client's event the fast path is stricter still: it refuses a key
// twice in every object it reads itself; it searches the values it hands to
// a decoder (personal data, a correction's replacement, a payload it cannot
// decode directly) for a key twice first; it gives up on an older schema
// version; and it shares no strings between events, so that input from
// outside cannot grow what the process keeps. FuzzDecodeEventFast holds it
// to the strict path as FuzzDecodeStoredFast does for stored events.

// decodeStoredFast decodes a stored event, or says it is not sure (ok
// false) and the strict decoding must decide.
func decodeStoredFast(raw []byte) (Event, bool) { return decodeFast(raw, false) }

// decodeClientFast decodes an event a client sent, or says it is not sure
// (ok false) and the strict decoding must decide.
func decodeClientFast(raw []byte) (Event, bool) { return decodeFast(raw, true) }

func decodeFast(raw []byte, client bool) (event Event, ok bool) {
	parser := fastParser{raw: raw, client: client}
	var wire struct {
		id, eventType, occurredAt, recordedAt []byte
		seen                                  uint32
		data                                  []byte
		personal                              *Personal
		sealed                                []SealedPerson
	}
	if !parser.object(func(key []byte) bool {
		field := envelopeField(key)
		if field < 0 || wire.seen&(1<<field) != 0 {
			return false
		}
		wire.seen |= 1 << field
		switch field {
		case fieldID:
			wire.id, ok = parser.plainString()
		case fieldType:
			wire.eventType, ok = parser.plainString()
		case fieldSchemaVersion:
			event.SchemaVersion, ok = parser.integer()
		case fieldAggregate:
			event.Aggregate, ok = parser.aggregate()
		case fieldCounty:
			event.County, ok = parser.code()
		case fieldOccurredAt:
			wire.occurredAt, ok = parser.plainString()
		case fieldRecordedAt:
			wire.recordedAt, ok = parser.plainString()
		case fieldActor:
			// Actors are the clerks: few, and in every event.
			event.Actor, ok = parser.code()
		case fieldCorrelationID:
			event.CorrelationID, ok = parser.text()
		case fieldCausationID:
			event.CausationID, ok = parser.text()
		case fieldIdempotencyKey:
			event.IdempotencyKey, ok = parser.text()
		case fieldData:
			// The payload's keys are checked once its type is known.
			wire.data, ok = parser.value(nil)
		case fieldPersonal:
			ok = parser.strict(&wire.personal)
		case fieldSealed:
			ok = parser.strict(&wire.sealed)
		}
		return ok
	}) || !parser.end() {
		return Event{}, false
	}
	eventType, known := internEventType(wire.eventType)
	payload := newPayload(eventType)
	// A payload that is no object (a null above all, which the strict
	// path reports as missing) is the strict path's to judge.
	if !known || payload == nil || len(wire.data) == 0 || wire.data[0] != '{' || wire.occurredAt == nil {
		return Event{}, false
	}
	event.Type = eventType
	event.Personal, event.Sealed = wire.personal, wire.sealed
	if wire.id != nil {
		id, err := uuid.ParseBytes(wire.id)
		// ParseBytes takes forms the strict path's uuid.Parse also takes;
		// an error there is the strict path's to report.
		if err != nil || len(wire.id) == 0 {
			return Event{}, false
		}
		event.ID = id
	}
	var err error
	if event.OccurredAt, err = time.Parse(time.RFC3339Nano, string(wire.occurredAt)); err != nil {
		return Event{}, false
	}
	if len(wire.recordedAt) > 0 {
		if event.RecordedAt, err = time.Parse(time.RFC3339Nano, string(wire.recordedAt)); err != nil {
			return Event{}, false
		}
	}
	data := json.RawMessage(wire.data)
	if event.SchemaVersion > 0 && event.SchemaVersion < CurrentVersion(eventType) {
		if client {
			// A client's event is never upcast: how the strict path reads
			// an older version is its own to say.
			return Event{}, false
		}
		upcasted, err := upcast(eventType, event.SchemaVersion, data)
		if err != nil {
			return Event{}, false
		}
		data = upcasted
		event.UpcastFrom, event.SchemaVersion = event.SchemaVersion, CurrentVersion(eventType)
	}
	direct := fastParser{raw: data, client: client}
	if direct.decode(planOf(reflect.TypeOf(payload).Elem()), reflect.ValueOf(payload).Elem()) && direct.end() {
		event.Data = derefPayload(payload)
		return event, true
	}
	if !direct.uniqueKeys(data) {
		// The check below does not look for a key given twice, which a
		// client's event must not have: the strict path names it.
		return Event{}, false
	}
	// The payload's keys must all be its type's, spelled exactly, as the
	// strict decoder's DisallowUnknownFields demands; json.Unmarshal then
	// checks the syntax and the kinds of the values, into a fresh payload
	// (the direct decoding may have filled part of the other).
	payload = newPayload(eventType)
	check := fastParser{raw: data}
	if _, ok := check.value(schemaOf(reflect.TypeOf(payload).Elem())); !ok || !check.end() {
		return Event{}, false
	}
	if err := json.Unmarshal(data, payload); err != nil {
		return Event{}, false
	}
	event.Data = derefPayload(payload)
	return event, true
}

// The envelope's fields, by their bit in fastParser's record of keys seen.
const (
	fieldID = iota
	fieldType
	fieldSchemaVersion
	fieldAggregate
	fieldCounty
	fieldOccurredAt
	fieldRecordedAt
	fieldActor
	fieldCorrelationID
	fieldCausationID
	fieldIdempotencyKey
	fieldData
	fieldPersonal
	fieldSealed
)

// envelopeField is the field a key names exactly, or -1.
func envelopeField(key []byte) int {
	switch string(key) {
	case "id":
		return fieldID
	case "type":
		return fieldType
	case "schema_version":
		return fieldSchemaVersion
	case "aggregate":
		return fieldAggregate
	case "county":
		return fieldCounty
	case "occurred_at":
		return fieldOccurredAt
	case "recorded_at":
		return fieldRecordedAt
	case "actor":
		return fieldActor
	case "correlation_id":
		return fieldCorrelationID
	case "causation_id":
		return fieldCausationID
	case "idempotency_key":
		return fieldIdempotencyKey
	case "data":
		return fieldData
	case "personal":
		return fieldPersonal
	case "sealed_personal":
		return fieldSealed
	}
	return -1
}

// internEventType returns the known type spelled by text without making a
// string of it.
func internEventType(text []byte) (EventType, bool) {
	for _, eventType := range allEventTypes {
		if string(eventType) == string(text) {
			return eventType, true
		}
	}
	return "", false
}

// allEventTypes lists every type newPayload knows, for internEventType.
var allEventTypes = []EventType{
	TypeDonationPledged, TypeDonationReceived, TypeFundsAllocated, TypeSuppliesDelivered, TypeTrainingHeld,
	TypeServiceProvided, TypeEntryVoided, TypeEntryCorrected, TypeBankLineImported, TypeMatchConfirmed,
	TypeMatchRejected, TypeFeeWrittenOff, TypeDecisionUndone, TypePeriodClosed, TypePeriodReopened,
	TypeSubjectErased, TypeStatementImported, TypeRefundPaired, TypeLineWrittenOff,
}

// fastParser reads plain JSON from raw at offset. Every method reports
// false when the input is anything it is not sure of.
type fastParser struct {
	raw    []byte
	offset int
	// client says the input came from outside the ledger: values handed
	// to a decoder must hold no key twice, and no string is shared.
	client bool
}

func (p *fastParser) space() {
	for p.offset < len(p.raw) {
		switch p.raw[p.offset] {
		case ' ', '\t', '\n', '\r':
			p.offset++
		default:
			return
		}
	}
}

// end says only white space follows.
func (p *fastParser) end() bool {
	p.space()
	return p.offset == len(p.raw)
}

// next skips white space and reports whether the next byte is want,
// consuming it if so.
func (p *fastParser) next(want byte) bool {
	p.space()
	if p.offset < len(p.raw) && p.raw[p.offset] == want {
		p.offset++
		return true
	}
	return false
}

// object reads an object, calling member with each key while the parser
// stands before the key's value, which member must read.
func (p *fastParser) object(member func(key []byte) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		key, ok := p.plainString()
		if !ok || !p.next(':') || !member(key) {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next('}')
	}
}

// plainString reads a string without escapes and returns its bytes.
// Control characters are a syntax error, escapes the strict path's to
// unquote.
func (p *fastParser) plainString() ([]byte, bool) {
	if !p.next('"') {
		return nil, false
	}
	start := p.offset
	for p.offset < len(p.raw) {
		c := p.raw[p.offset]
		switch {
		case c == '"':
			p.offset++
			return p.raw[start : p.offset-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.offset++
	}
	return nil, false
}

func (p *fastParser) text() (string, bool) {
	text, ok := p.plainString()
	return string(text), ok
}

// code reads a string of few values, shared through internCode.
func (p *fastParser) code() (string, bool) {
	text, ok := p.plainString()
	return p.share(text), ok
}

// share returns text as a string shared through internCode, or, for input
// from outside the ledger, as a string of its own: a client could otherwise
// fill the shared table with values that are no codes at all.
func (p *fastParser) share(text []byte) string {
	if p.client {
		return string(text)
	}
	return internCode(text)
}

// uniqueKeys says whether value, which a decoder will read, is fit for
// the parser's input: for a client's, no object in it has a key twice.
func (p *fastParser) uniqueKeys(value []byte) bool {
	if !p.client {
		return true
	}
	_, found := duplicateKey(value)
	return !found
}

// codeFields are the payload fields whose values come from the catalog or a
// short list: the same few strings in event after event.
var codeFields = map[string]bool{
	"campaign": true, "kind": true, "beneficiary_group": true, "form": true, "donor_kind": true,
	"county": true, "from_county": true, "to_county": true, "unit": true, "topic": true,
	"item": true, "format": true, "role": true,
}

// codesMax bounds the strings internCode shares, in strings: far more than
// a catalog holds, so that a log of many distinct values cannot grow it
// without end (those are then allocated as any other string).
const codesMax = 4096

var (
	// codes is read without a lock and replaced whole when a string is
	// added, which happens only until every code has been seen.
	codes      atomic.Pointer[map[string]string]
	codesAdder sync.Mutex
)

// internCode returns text as a string shared by every decoding of the
// same bytes, so that the codes of millions of events cost one string
// each, not one per event.
func internCode(text []byte) string {
	if known := codes.Load(); known != nil {
		if code, ok := (*known)[string(text)]; ok {
			return code
		}
	}
	code := string(text)
	codesAdder.Lock()
	defer codesAdder.Unlock()
	known := codes.Load()
	var grown map[string]string
	if known != nil {
		if len(*known) >= codesMax {
			return code
		}
		grown = make(map[string]string, len(*known)+1)
		for k, v := range *known {
			grown[k] = v
		}
	} else {
		grown = map[string]string{}
	}
	grown[code] = code
	codes.Store(&grown)
	return code
}

// integerDigitsMax keeps an integer far inside int64.
const integerDigitsMax = 15

// integer reads a JSON integer: an optional minus and digits, with no
// leading zero, fraction or exponent.
func (p *fastParser) integer() (int, bool) {
	p.space()
	negative := p.offset < len(p.raw) && p.raw[p.offset] == '-'
	if negative {
		p.offset++
	}
	start, value := p.offset, 0
	for p.offset < len(p.raw) && p.raw[p.offset] >= '0' && p.raw[p.offset] <= '9' {
		value = value*10 + int(p.raw[p.offset]-'0')
		p.offset++
	}
	digits := p.offset - start
	if digits == 0 || digits > integerDigitsMax || (digits > 1 && p.raw[start] == '0') {
		return 0, false
	}
	if p.offset < len(p.raw) {
		switch p.raw[p.offset] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	if negative {
		value = -value
	}
	return value, true
}

// aggregate reads an aggregate's object of kind and id.
func (p *fastParser) aggregate() (AggregateRef, bool) {
	var aggregate AggregateRef
	var kindSeen, idSeen, ok bool
	read := p.object(func(key []byte) bool {
		switch {
		case string(key) == "kind" && !kindSeen:
			kindSeen = true
			aggregate.Kind, ok = p.code()
		case string(key) == "id" && !idSeen:
			idSeen = true
			aggregate.ID, ok = p.code()
		default:
			return false
		}
		return ok
	})
	return aggregate, read
}

// strict decodes the value at the offset, an object of the ledger's
// rarer envelope fields, with the strict decoder, into target.
func (p *fastParser) strict(target any) bool {
	value, ok := p.value(nil)
	return ok && value[0] != 'n' && p.uniqueKeys(value) && strictUnmarshal(value, target) == nil
}

// value skips one value and returns its bytes. With a schema, every key of
// every object in it must be one the schema's type has, spelled exactly;
// without one (a value an Unmarshaler or a json.RawMessage reads), keys are
// not looked at. The syntax is only followed, not checked: the decoder
// the value goes to checks it.
func (p *fastParser) value(schema *keySchema) ([]byte, bool) {
	p.space()
	if p.offset >= len(p.raw) {
		return nil, false
	}
	start := p.offset
	switch p.raw[p.offset] {
	case '{':
		if !p.object(func(key []byte) bool {
			var child *keySchema
			if schema != nil {
				field, known := schema.fields[string(key)]
				if !known {
					return false
				}
				child = field
			}
			_, ok := p.value(child)
			return ok
		}) {
			return nil, false
		}
	case '[':
		p.offset++
		var element *keySchema
		if schema != nil {
			element = schema.element
		}
		if !p.next(']') {
			for {
				if _, ok := p.value(element); !ok {
					return nil, false
				}
				if p.next(',') {
					continue
				}
				if !p.next(']') {
					return nil, false
				}
				break
			}
		}
	case '"':
		// Escapes are allowed in values: only the end of the string is
		// looked for.
		p.offset++
		for {
			if p.offset >= len(p.raw) {
				return nil, false
			}
			c := p.raw[p.offset]
			p.offset++
			if c == '"' {
				break
			}
			if c == '\\' {
				p.offset++
			}
		}
	default:
		for p.offset < len(p.raw) {
			switch p.raw[p.offset] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return p.raw[start:p.offset], p.offset > start
			}
			p.offset++
		}
	}
	return p.raw[start:p.offset], p.offset > start
}

// keySchema is what keys a JSON object may have where a struct is decoded,
// and the schema of each key's value; element is the schema of a list's
// elements. A nil schema checks no keys.
type keySchema struct {
	fields  map[string]*keySchema
	element *keySchema
}

var (
	schemas      sync.Map // reflect.Type → *keySchema
	unmarshalers = []reflect.Type{
		reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler](),
	}
)

// schemaOf builds the schema of a type as encoding/json decodes into it:
// the fields it knows by their exact names (the strict decoder also knows
// them in other cases, which the fast path leaves to it), embedded
// structs' fields as their own, nothing for types that decode themselves.
func schemaOf(t reflect.Type) *keySchema {
	return cachedFor(&schemas, t, buildSchema)
}

// cachedFor is what build makes of a type, made once per type and kept in
// cache: the schemas and the decoding plans are each built this way.
// Two goroutines may build the same type at once; both results are
// equal, and the one stored last is kept.
func cachedFor[T any](cache *sync.Map, t reflect.Type, build func(reflect.Type, map[reflect.Type]*T) *T) *T {
	if cached, ok := cache.Load(t); ok {
		return cached.(*T)
	}
	built := build(t, map[reflect.Type]*T{})
	cache.Store(t, built)
	return built
}

func buildSchema(t reflect.Type, building map[reflect.Type]*keySchema) *keySchema {
	for _, unmarshaler := range unmarshalers {
		if t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
			return nil
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return buildSchema(t.Elem(), building)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		return &keySchema{element: buildSchema(t.Elem(), building)}
	case reflect.Struct:
		if schema, ok := building[t]; ok {
			return schema
		}
		schema := &keySchema{fields: map[string]*keySchema{}}
		building[t] = schema
		addFields(schema, t, building)
		return schema
	}
	return nil
}

// addFields adds t's fields to schema, promoting those of embedded
// structs as encoding/json does.
func addFields(schema *keySchema, t reflect.Type, building map[reflect.Type]*keySchema) {
	for i := range t.NumField() {
		field := t.Field(i)
		tag := field.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if field.Anonymous && name == "" {
			embedded := field.Type
			if embedded.Kind() == reflect.Pointer {
				embedded = embedded.Elem()
			}
			if embedded.Kind() == reflect.Struct {
				addFields(schema, embedded, building)
				continue
			}
		}
		if !field.IsExported() {
			continue
		}
		if name == "" {
			name = field.Name
		}
		if _, taken := schema.fields[name]; taken {
			// Two fields of one name: encoding/json's rules for which
			// wins are the strict path's to apply.
			schema.fields[name] = nil
			delete(schema.fields, name)
			continue
		}
		schema.fields[name] = buildSchema(field.Type, building)
	}
}

// The payload's direct decoding. Most payloads hold only strings without
// escapes, integers, amounts, lists and nested objects: those are decoded
// here in the pass that checks their keys, with no second scan. A plan says
// how each type is decoded; a type it has no way for (a map, an interface,
// a float, an Unmarshaler other than Money and json.RawMessage, an embedded
// pointer) and any value it is not sure of (a null, an escape, a key twice,
// a number for an amount) make it give up, and json.Unmarshal decodes the
// payload as before.

type planKind int

const (
	planUnsupported planKind = iota
	planString
	// planCode is a string of few values (a campaign, a county, a kind),
	// shared rather than allocated for every event.
	planCode
	planInt
	planUint
	planBool
	planMoney
	planRawMessage
	planStruct
	planPointer
	planSlice
)

// decodePlan is how to decode a JSON value into one type.
type decodePlan struct {
	kind   planKind
	typ    reflect.Type
	fields map[string]planField
	elem   *decodePlan
}

// planField is a struct field a key decodes into: its index path (through
// embedded structs), its order among the struct's keys, for finding a key
// given twice, and its plan.
type planField struct {
	index []int
	order int
	plan  *decodePlan
}

// structFieldsMax bounds the keys a directly decoded struct may have, so
// that the keys seen fit one uint64.
const structFieldsMax = 64

var (
	plans          sync.Map // reflect.Type → *decodePlan
	moneyType      = reflect.TypeFor[Money]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

func planOf(t reflect.Type) *decodePlan {
	return cachedFor(&plans, t, buildPlan)
}

func buildPlan(t reflect.Type, building map[reflect.Type]*decodePlan) *decodePlan {
	if plan, ok := building[t]; ok {
		return plan
	}
	plan := &decodePlan{typ: t}
	building[t] = plan
	switch {
	case t == moneyType:
		plan.kind = planMoney
		return plan
	case t == rawMessageType:
		plan.kind = planRawMessage
		return plan
	}
	for _, unmarshaler := range unmarshalers {
		if t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
			return plan
		}
	}
	switch t.Kind() {
	case reflect.String:
		plan.kind = planString
	case reflect.Int, reflect.Int64:
		plan.kind = planInt
	case reflect.Uint, reflect.Uint64:
		plan.kind = planUint
	case reflect.Bool:
		plan.kind = planBool
	case reflect.Pointer:
		plan.kind, plan.elem = planPointer, buildPlan(t.Elem(), building)
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 {
			plan.kind, plan.elem = planSlice, buildPlan(t.Elem(), building)
		}
	case reflect.Struct:
		plan.fields = map[string]planField{}
		if planFields(plan, t, nil, building) && len(plan.fields) <= structFieldsMax {
			plan.kind = planStruct
		}
	}
	return plan
}

// planFields adds t's fields to plan, embedded structs' as its own, and
// says whether every one can be decoded directly.
func planFields(plan *decodePlan, t reflect.Type, within []int, building map[reflect.Type]*decodePlan) bool {
	for i := range t.NumField() {
		field := t.Field(i)
		index := append(append([]int(nil), within...), i)
		tag := field.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, options, _ := strings.Cut(tag, ",")
		if strings.Contains(","+options+",", ",string,") {
			// A number or bool written as a string is encoding/json's
			// to read.
			return false
		}
		if field.Anonymous && name == "" {
			switch {
			case field.Type.Kind() == reflect.Struct:
				if !planFields(plan, field.Type, index, building) {
					return false
				}
				continue
			case field.Type.Kind() == reflect.Pointer:
				return false
			}
		}
		if !field.IsExported() {
			continue
		}
		if name == "" {
			name = field.Name
		}
		if _, taken := plan.fields[name]; taken {
			return false
		}
		fieldPlan := buildPlan(field.Type, building)
		if fieldPlan.kind == planString && codeFields[name] {
			fieldPlan = &decodePlan{kind: planCode, typ: field.Type}
		}
		plan.fields[name] = planField{index: index, order: len(plan.fields), plan: fieldPlan}
	}
	return true
}

// decode reads the value at the offset into target as plan says, or
// reports false.
func (p *fastParser) decode(plan *decodePlan, target reflect.Value) bool {
	switch plan.kind {
	case planString:
		text, ok := p.plainString()
		if ok {
			target.SetString(string(text))
		}
		return ok
	case planCode:
		text, ok := p.plainString()
		if ok {
			target.SetString(p.share(text))
		}
		return ok
	case planInt:
		value, ok := p.integer()
		if ok {
			target.SetInt(int64(value))
		}
		return ok
	case planUint:
		p.space()
		if p.offset < len(p.raw) && p.raw[p.offset] == '-' {
			return false
		}
		value, ok := p.integer()
		if ok {
			target.SetUint(uint64(value))
		}
		return ok
	case planBool:
		return p.boolean(target)
	case planMoney:
		// Money.UnmarshalJSON reads a string without escapes as
		// parseYuan of its bytes; anything else is its own to read.
		text, ok := p.plainString()
		if ok {
			target.SetInt(int64(parseYuan(string(text))))
		}
		return ok
	case planRawMessage:
		value, ok := p.value(nil)
		if !ok || value[0] == 'n' || !json.Valid(value) || !p.uniqueKeys(value) {
			return false
		}
		target.SetBytes(append([]byte(nil), value...))
		return true
	case planPointer:
		p.space()
		if p.offset >= len(p.raw) || p.raw[p.offset] == 'n' {
			return false
		}
		value := reflect.New(plan.elem.typ)
		if !p.decode(plan.elem, value.Elem()) {
			return false
		}
		target.Set(value)
		return true
	case planSlice:
		return p.list(plan, target)
	case planStruct:
		var seen uint64
		return p.object(func(key []byte) bool {
			field, known := plan.fields[string(key)]
			if !known || seen&(1<<field.order) != 0 {
				return false
			}
			seen |= 1 << field.order
			return p.decode(field.plan, target.FieldByIndex(field.index))
		})
	}
	return false
}

// list reads a JSON array into a slice; an empty one is an empty slice, not
// nil, as encoding/json makes it.
func (p *fastParser) list(plan *decodePlan, target reflect.Value) bool {
	if !p.next('[') {
		return false
	}
	slice := reflect.MakeSlice(plan.typ, 0, 0)
	if !p.next(']') {
		for {
			slice = reflect.Append(slice, reflect.Zero(plan.elem.typ))
			if !p.decode(plan.elem, slice.Index(slice.Len()-1)) {
				return false
			}
			if p.next(',') {
				continue
			}
			if !p.next(']') {
				return false
			}
			break
		}
	}
	target.Set(slice)
	return true
}

// boolean reads true or false.
func (p *fastParser) boolean(target reflect.Value) bool {
	p.space()
	for _, literal := range [...]string{"true", "false"} {
		if bytes.HasPrefix(p.raw[p.offset:], []byte(literal)) {
			p.offset += len(literal)
			if p.offset < len(p.raw) {
				switch p.raw[p.offset] {
				case ',', '}', ']', ' ', '\t', '\n', '\r':
				default:
					return false
				}
			}
			target.SetBool(literal == "true")
			return true
		}
	}
	return false
}
