package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Campaign is the consistency boundary of the ledger: every entry of one
// campaign is an event of this aggregate, so one expected-version check guards
// all of the campaign's money at once. Its invariants:
//
//   - a donation is pledged at most once and received at most once (until the
//     entry is voided);
//   - an entry is voided at most once, and only entries that exist (in this
//     campaign) can be voided or corrected;
//   - a delivery, session, service or allocation id is recorded once;
//   - no level of the campaign fund (the city pot or a county's pot) ever
//     holds less than zero: nothing allocates or spends more than was
//     received or allocated to it;
//   - no donation pays, through funded_by, for more than it brought in.
//
// The state is a pure fold over the campaign's events: Apply never refuses a
// stored event, Decide checks a new one without changing anything.
type Campaign struct {
	Ref      AggregateRef
	Version  uint64
	cityCode string

	entries map[uuid.UUID]*campaignEntry
	// shadows are entries whose event reused the id of an earlier one, by
	// position. The ledger refuses a reused id now; an old log may hold
	// one, and its first event keeps the id while voids and corrections
	// find a later one by their target position. Made on first use.
	shadows  map[uint64]*campaignEntry
	entities map[entityRef]uuid.UUID // type and id of an active entry → its event
	pots     map[string]Money        // region code → money it holds
	// donations hold each donation's figures in one entry, so that a new
	// donation is one map insert rather than one in each of four maps.
	donations map[string]*donationFigures // donation id → its figures
	// keyed remembers what each idempotency key wrote; the campaign keeps
	// its version itself (Version), so keyed's stays unused.
	keyed keyIndex
}

// KeyRecord remembers what an idempotency key wrote, so a retry years later
// still returns the original result.
type KeyRecord struct {
	EventID     uuid.UUID
	ContentHash string
	Position    uint64
	// Actor is who recorded the event: a retry under a key made from the
	// content (ContentKeyed) may come from anyone, and is told who did.
	Actor string
}

type campaignEntry struct {
	eventType EventType
	county    string
	payload   Payload // the effective payload: the last correction's, if any
	voidedBy  uuid.UUID
	// position of the entry's event, and of the event whose payload is in
	// effect; 0 while the entry waits for its append to be acknowledged.
	position          uint64
	effectivePosition uint64
	// occurred is when the entry occurred, in Unix seconds: the day and
	// month its figures, and every void or correction of it, count in.
	occurred int64
}

// NewCampaign returns the empty state of a campaign's aggregate.
func NewCampaign(code, cityCode string) *Campaign {
	return &Campaign{
		Ref:       AggregateRef{Kind: AggregateCampaign, ID: code},
		cityCode:  cityCode,
		entries:   map[uuid.UUID]*campaignEntry{},
		entities:  map[entityRef]uuid.UUID{},
		pots:      map[string]Money{},
		donations: map[string]*donationFigures{},
		keyed:     keyIndex{keys: map[string]KeyRecord{}},
	}
}

// Key returns what an idempotency key wrote in this campaign, if anything.
func (c *Campaign) Key(key string) (KeyRecord, bool) { return c.keyed.Key(key) }

// Confirm records where the store put events applied before their append
// was acknowledged: the aggregate's version, each event's position and each
// key's position.
func (c *Campaign) Confirm(version uint64, positions map[uuid.UUID]uint64) {
	c.Version = version
	for id, position := range positions {
		entry := c.entries[id]
		if entry == nil || entry.position != 0 {
			continue
		}
		entry.position = position
		if entry.effectivePosition == 0 {
			entry.effectivePosition = position
		}
		if correction, ok := entry.payload.(*EntryCorrected); ok {
			targetID, _ := uuid.Parse(correction.TargetEventID)
			if target := c.entries[targetID]; target != nil && target.effectivePosition == 0 {
				target.effectivePosition = position
			}
		}
	}
	c.keyed.unconfirmed = confirmKeys(c.keyed.keys, c.keyed.unconfirmed, positions)
}

// confirmKeys gives each unconfirmed key whose event is in positions its
// position, and returns the keys still unconfirmed.
func confirmKeys(keys map[string]KeyRecord, unconfirmed []string, positions map[uuid.UUID]uint64) []string {
	still := unconfirmed[:0]
	for _, key := range unconfirmed {
		record, ok := keys[key]
		if !ok || record.Position != 0 {
			continue
		}
		if position, found := positions[record.EventID]; found {
			record.Position = position
			keys[key] = record
			continue
		}
		still = append(still, key)
	}
	clear(unconfirmed[len(still):])
	return still
}

// donationFigures are what a campaign knows of one donation.
type donationFigures struct {
	received  Money // money received
	spent     Money // money spent through funded_by
	receipts  int   // active receipts (0 or 1)
	moneyForm bool  // received as money
}

// figuresOf is a donation's figures, all zero for a donation the campaign
// has not seen.
func (c *Campaign) figuresOf(donation string) donationFigures {
	if figures := c.donations[donation]; figures != nil {
		return *figures
	}
	return donationFigures{}
}

// figures is a donation's figures to change, made when the campaign has
// not seen the donation.
func (c *Campaign) figures(donation string) *donationFigures {
	figures := c.donations[donation]
	if figures == nil {
		figures = &donationFigures{}
		c.donations[donation] = figures
	}
	return figures
}

// Balance is the money a level of the fund holds now.
func (c *Campaign) Balance(region string) Money { return c.pots[region] }

// Len is how many entries the campaign has, voided ones included.
func (c *Campaign) Len() int { return len(c.entries) }

// effect is what an entry changes: signed amounts per pot and per donation.
// An entry touches one or two pots and a few donations, and every Decide
// and Apply builds one, so each is a short list in the order first touched
// rather than a map, with room on the stack for the common case: four maps
// and the sorted keys the checks walk cost more.
type effect struct {
	pots     deltas[Money]
	received deltas[Money]
	spent    deltas[Money]
	receipts deltas[int]
}

// effectDeltasMax is the room each list of an effect starts with, more
// than an entry touches in the common case; a longer list grows on the heap.
const effectDeltasMax = 4

// newEffect returns an empty effect. Inlined, the lists' room is on the
// caller's stack.
func newEffect() effect {
	return effect{
		pots:     make(deltas[Money], 0, effectDeltasMax),
		received: make(deltas[Money], 0, effectDeltasMax),
		spent:    make(deltas[Money], 0, effectDeltasMax),
		receipts: make(deltas[int], 0, effectDeltasMax),
	}
}

// delta is the change of one pot's or one donation's figure.
type delta[V Money | int] struct {
	key    string
	amount V
}

// deltas holds each key once, as a map would: a key touched with a zero
// amount is still there, and still checked.
type deltas[V Money | int] []delta[V]

// add returns the list with amount added to key's change. It takes and
// returns the list by value, so a list that starts on the caller's stack
// stays there while it fits.
func (d deltas[V]) add(key string, amount V) deltas[V] {
	for i := range d {
		if d[i].key == key {
			d[i].amount += amount
			return d
		}
	}
	return append(d, delta[V]{key: key, amount: amount})
}

// of is the change of key (zero when it is not touched).
func (d deltas[V]) of(key string) V {
	for _, each := range d {
		if each.key == key {
			return each.amount
		}
	}
	return 0
}

// sort puts the list in key order: the checks report the first refusal in
// that order, as they did when the keys were sorted out of maps.
func (d deltas[V]) sort() {
	slices.SortFunc(d, func(a, b delta[V]) int { return strings.Compare(a.key, b.key) })
}

// spend takes amount out of the county's pot, and each funding's share out
// of its donation.
func (e effect) spend(county string, sign, amount Money, fundings []Funding) effect {
	e.pots = e.pots.add(county, -sign*amount)
	for _, funding := range fundings {
		e.spent = e.spent.add(funding.DonationID, sign*funding.Amount)
	}
	return e
}

// add returns the effect with the payload's added, by value as deltas.add.
func (e effect) add(payload Payload, county string, sign Money) effect {
	switch p := payload.(type) {
	case DonationReceived:
		e.receipts = e.receipts.add(p.DonationID, int(sign))
		if p.Form == FormMoney {
			e.pots = e.pots.add(county, sign*p.Amount)
			e.received = e.received.add(p.DonationID, sign*p.Amount)
		}
	case FundsAllocated:
		e.pots = e.pots.add(p.FromCounty, -sign*p.Amount)
		e.pots = e.pots.add(p.ToCounty, sign*p.Amount)
	case SuppliesDelivered:
		return e.spend(county, sign, p.Spent, p.FundedBy)
	case TrainingHeld:
		return e.spend(county, sign, p.Cost, p.FundedBy)
	case ServiceProvided:
		return e.spend(county, sign, p.Cost, p.FundedBy)
	}
	return e
}

// Decide checks whether a new event may be appended to the campaign. It
// returns a *RuleError (ErrRejected) or a *ValidationError for a correction
// whose replacement is malformed; it changes nothing. For a correction it
// decodes the replacement into the target's type, so call it before Apply.
func (c *Campaign) Decide(event *Event, validator Validator) error {
	change := newEffect()
	switch p := event.Data.(type) {
	case EntryVoided:
		target, err := c.activeTarget("data.target_event_id", p.TargetEventID)
		if err != nil {
			return err
		}
		if p.TargetLocation, err = locate(p.TargetLocation, target, p.TargetEventID); err != nil {
			return err
		}
		event.Data = p
		change = change.add(target.payload, target.county, -1)
	case *EntryCorrected:
		target, err := c.activeTarget("data.target_event_id", p.TargetEventID)
		if err != nil {
			return err
		}
		if p.TargetLocation, err = locate(p.TargetLocation, target, p.TargetEventID); err != nil {
			return err
		}
		replacement, err := decodeReplacement(p.Replacement, target.eventType)
		if err != nil {
			return err
		}
		p.replacement = replacement
		if err := validator.Validate(*event); err != nil {
			return err
		}
		// What is stored is the replacement as decoded, encoded again,
		// never the client's bytes: those could hold what decoding drops
		// or merges (a key in another case, read as the field it folds
		// to), which would then sit in the log in plain text, outside the
		// sealed personal data and beyond erasure. Only a valid payload
		// encodes (an invalid amount does not), hence after Validate.
		if p.Replacement, err = encodeReplacement(replacement); err != nil {
			return err
		}
		if EntityID(replacement) != EntityID(target.payload) {
			return rejectf("data.replacement", "must keep the id %q of the entry it corrects", EntityID(target.payload))
		}
		change = change.add(target.payload, target.county, -1)
		change = change.add(replacement, event.County, +1)
		if err := c.checkFundings(replacement); err != nil {
			return err
		}
	default:
		if err := c.checkNewEntity(event.Data); err != nil {
			return err
		}
		if err := c.checkFundings(event.Data); err != nil {
			return err
		}
		change = change.add(event.Data, event.County, +1)
	}
	return c.checkEffect(change)
}

// TargetOccurredAt is when the entry a void or correction names occurred
// (to the second): the totals count the change on that day, so it is the
// month the change lands in. ok is false for a payload that is neither, or
// for an entry the campaign does not hold (Decide refuses that).
func (c *Campaign) TargetOccurredAt(payload Payload) (occurred time.Time, ok bool) {
	amendment, ok := AmendmentOf(payload)
	if !ok {
		return time.Time{}, false
	}
	id, err := uuid.Parse(amendment.TargetEventID)
	if err != nil {
		return time.Time{}, false
	}
	target := c.target(id, TargetLocationOf(payload))
	if target == nil {
		return time.Time{}, false
	}
	return time.Unix(target.occurred, 0), true
}

func (c *Campaign) activeTarget(field, id string) (*campaignEntry, error) {
	targetID, err := uuid.Parse(id)
	if err != nil {
		return nil, rejectf(field, "must be the UUID of an earlier event")
	}
	target, ok := c.entries[targetID]
	if !ok {
		return nil, rejectCode(field, CodeNoEntry, Figures{Campaign: c.Ref.ID, Entry: id}, "no entry %s in campaign %s", id, c.Ref.ID)
	}
	if target.eventType == TypeEntryVoided || target.eventType == TypeEntryCorrected {
		what := map[EventType]string{TypeEntryVoided: "a void", TypeEntryCorrected: "a correction"}[target.eventType]
		amendment, _ := AmendmentOf(target.payload)
		return nil, rejectf(field, "event %s is %s of %s, not an entry: void or correct the entry itself", id, what,
			c.entryNamed(amendment.TargetEventID))
	}
	if voider := c.entries[target.voidedBy]; voider != nil && voider.position == 0 {
		// Voided by an earlier entry of the same request, not written.
		return nil, &RuleError{Field: field, OtherID: target.voidedBy, Code: CodeAlreadyVoided, Figures: Figures{Campaign: c.Ref.ID, Entry: id},
			Rule: fmt.Sprintf("%s is voided by another entry of the same input already", c.entryNamed(id))}
	}
	if target.voidedBy != uuid.Nil {
		return nil, rejectCode(field, CodeAlreadyVoided, Figures{Campaign: c.Ref.ID, Entry: id, By: target.voidedBy},
			"%s was already voided by event %s", c.entryNamed(id), target.voidedBy)
	}
	return target, nil
}

// entryNamed names the entry the event id is of as a clerk knows it, by
// its id and its event ("entry D-1 (event 0190…)"); an entry without an
// id of its own, or an event the campaign does not hold, by its event.
func (c *Campaign) entryNamed(eventID string) string {
	if id, err := uuid.Parse(eventID); err == nil {
		if entry := c.entries[id]; entry != nil {
			if entity := EntityID(entry.payload); entity != "" {
				return fmt.Sprintf("entry %s (event %s)", entity, eventID)
			}
		}
	}
	return "event " + eventID
}

// locate fills where the target sits in the log. A client that sends the
// location (a copy of a stored event, say) must send the right one.
func locate(given TargetLocation, target *campaignEntry, id string) (TargetLocation, error) {
	if target.position == 0 || target.effectivePosition == 0 {
		return given, rejectf("data.target_event_id", "entry %s is recorded or corrected in this same request; "+
			"record that first, then void or correct it", id)
	}
	location := TargetLocation{TargetPosition: target.position, EffectivePosition: target.effectivePosition}
	if given.TargetPosition != 0 && given.TargetPosition != location.TargetPosition {
		return given, rejectf("data.target_position", "must be %d, where entry %s is (or left out)", location.TargetPosition, id)
	}
	if given.EffectivePosition != 0 && given.EffectivePosition != location.EffectivePosition {
		return given, rejectf("data.effective_position", "must be %d, where the payload in effect is (or left out)", location.EffectivePosition)
	}
	return location, nil
}

// entityRef names the thing an entry is about by its type and id. It is a
// pair rather than one "type:id" string so that every Decide and Apply
// looks the entry up without building a string.
type entityRef struct {
	eventType EventType
	id        string
}

// entityKey is the payload's entity, and whether it has one (voids and
// corrections have none).
func entityKey(payload Payload) (entityRef, bool) {
	if id := EntityID(payload); id != "" {
		return entityRef{eventType: payload.EventType(), id: id}, true
	}
	return entityRef{}, false
}

func (c *Campaign) checkNewEntity(payload Payload) error {
	key, ok := entityKey(payload)
	if !ok {
		return nil
	}
	if existing, ok := c.entities[key]; ok {
		if entry := c.entries[existing]; entry != nil && entry.position == 0 {
			// The other entry is of the same request and not written:
			// its id means nothing to anyone, its place in the request
			// does (the ledger fills it in from OtherID).
			twice := map[EventType]string{
				TypeDonationPledged:  "donation %s is pledged twice in the same input",
				TypeDonationReceived: "donation %s is received twice in the same input; a donation is received once",
			}[payload.EventType()]
			if twice == "" {
				twice = "%s is recorded twice in the same input; an entry is recorded once"
			}
			return &RuleError{Field: "data." + idField(payload), Rule: fmt.Sprintf(twice, EntityID(payload)), OtherID: existing, Code: CodeAlreadyRecorded,
				Figures: Figures{Campaign: c.Ref.ID, Entry: EntityID(payload)}}
		}
		what := map[EventType]string{
			TypeDonationPledged: "donation %s was already pledged by event %s",
			TypeDonationReceived: "donation %s was already received by event %s; a donation is received once " +
				"(void that entry first if it was wrong)",
		}[payload.EventType()]
		if what == "" {
			what = "%s was already recorded by event %s; correct that entry instead"
		}
		return rejectCode("data."+idField(payload), CodeAlreadyRecorded, Figures{Campaign: c.Ref.ID, Entry: EntityID(payload), By: existing},
			what, EntityID(payload), existing)
	}
	return nil
}

func idField(payload Payload) string {
	switch payload.(type) {
	case DonationPledged, DonationReceived:
		return "donation_id"
	case FundsAllocated:
		return "allocation_id"
	case SuppliesDelivered:
		return "delivery_id"
	case TrainingHeld:
		return "session_id"
	case ServiceProvided:
		return "service_id"
	}
	return "id"
}

func fundingsOf(payload Payload) []Funding {
	switch p := payload.(type) {
	case SuppliesDelivered:
		return p.FundedBy
	case TrainingHeld:
		return p.FundedBy
	case ServiceProvided:
		return p.FundedBy
	}
	return nil
}

func (c *Campaign) checkFundings(payload Payload) error {
	for i, funding := range fundingsOf(payload) {
		if figures := c.figuresOf(funding.DonationID); figures.receipts == 0 || !figures.moneyForm {
			return rejectf(fmt.Sprintf("data.funded_by[%d].donation_id", i),
				"donation %s has no money received in campaign %s", funding.DonationID, c.Ref.ID)
		}
	}
	return nil
}

func (c *Campaign) checkEffect(change effect) error {
	change.pots.sort()
	for _, pot := range change.pots {
		region := pot.key
		if balance := c.pots[region] + pot.amount; balance < 0 {
			level := "county " + region
			if region == c.cityCode {
				level = "the city level (" + region + ")"
			}
			// The figures go as data too, for a front end that words the
			// rule in its own language: typed for a sheet, by name for the
			// API's answer.
			details := map[string]string{"campaign": c.Ref.ID, "county": region, "balance": c.pots[region].String(),
				"after": balance.String(), "shortfall": (-balance).String()}
			return &RuleError{Code: CodeOverspent, Figures: Figures{Campaign: c.Ref.ID, Region: region, Would: balance, Holds: c.pots[region]},
				Details: details, Rule: fmt.Sprintf("campaign %s: %s would hold %s yuan; nothing may allocate or spend more than it "+
					"received (it holds %s yuan)", c.Ref.ID, level, balance, c.pots[region])}
		}
	}
	change.receipts.sort()
	for _, receipt := range change.receipts {
		if receipts := c.figuresOf(receipt.key).receipts + receipt.amount; receipts > 1 {
			return rejectCode("data.donation_id", CodeAlreadyRecorded, Figures{Campaign: c.Ref.ID, Entry: receipt.key},
				"donation %s would be received twice", receipt.key)
		}
	}
	// Every donation either list touches, once, in key order.
	change.spent.sort()
	change.received.sort()
	spentAt, receivedAt := 0, 0
	for spentAt < len(change.spent) || receivedAt < len(change.received) {
		var donation string
		switch {
		case receivedAt == len(change.received) || (spentAt < len(change.spent) && change.spent[spentAt].key < change.received[receivedAt].key):
			donation = change.spent[spentAt].key
			spentAt++
		case spentAt == len(change.spent) || change.received[receivedAt].key < change.spent[spentAt].key:
			donation = change.received[receivedAt].key
			receivedAt++
		default:
			donation = change.spent[spentAt].key
			spentAt++
			receivedAt++
		}
		figures := c.figuresOf(donation)
		spent := figures.spent + change.spent.of(donation)
		received := figures.received + change.received.of(donation)
		if spent > received {
			details := map[string]string{"campaign": c.Ref.ID, "donation": donation, "spent": spent.String(),
				"received": received.String(), "shortfall": (spent - received).String()}
			return &RuleError{Code: CodeOverspent, Figures: Figures{Campaign: c.Ref.ID, Entry: donation, Would: spent, Holds: received},
				Details: details, Rule: fmt.Sprintf("donation %s would pay for %s yuan of entries but brought in %s yuan", donation, spent, received)}
		}
	}
	return nil
}

// Apply folds a stored event into the state. It never refuses: the event was
// checked when it was written.
func (c *Campaign) Apply(event Event, position uint64) {
	change := newEffect()
	switch p := event.Data.(type) {
	case EntryVoided:
		targetID, _ := uuid.Parse(p.TargetEventID)
		if target := c.target(targetID, p.TargetLocation); target != nil {
			change = change.add(target.payload, target.county, -1)
			target.voidedBy = event.ID
			if key, ok := entityKey(target.payload); ok && c.entities[key] == targetID {
				delete(c.entities, key)
			}
		}
	case *EntryCorrected:
		targetID, _ := uuid.Parse(p.TargetEventID)
		if target := c.target(targetID, p.TargetLocation); target != nil {
			replacement := p.replacement
			if replacement == nil {
				decoded, err := decodeReplacement(p.Replacement, target.eventType)
				if err != nil {
					break
				}
				replacement, p.replacement = decoded, decoded
			}
			change = change.add(target.payload, target.county, -1)
			change = change.add(replacement, event.County, +1)
			target.payload, target.county = replacement, event.County
			target.effectivePosition = position
			if received, ok := replacement.(DonationReceived); ok {
				c.figures(received.DonationID).moneyForm = received.Form == FormMoney
			}
		}
	default:
		change = change.add(event.Data, event.County, +1)
		if key, ok := entityKey(event.Data); ok {
			c.entities[key] = event.ID
		}
		if received, ok := event.Data.(DonationReceived); ok {
			c.figures(received.DonationID).moneyForm = received.Form == FormMoney
		}
	}
	for _, pot := range change.pots {
		c.pots[pot.key] += pot.amount
	}
	for _, donation := range change.received {
		c.figures(donation.key).received += donation.amount
	}
	for _, donation := range change.spent {
		c.figures(donation.key).spent += donation.amount
	}
	for _, donation := range change.receipts {
		c.figures(donation.key).receipts += donation.amount
	}
	applied := &campaignEntry{eventType: event.Type, county: event.County, payload: event.Data,
		position: position, effectivePosition: position, occurred: event.OccurredAt.Unix()}
	if first, reused := c.entries[event.ID]; reused && first.position != 0 && position != 0 {
		// A stored event that reused an id: the first keeps it.
		if c.shadows == nil {
			c.shadows = map[uint64]*campaignEntry{}
		}
		c.shadows[position] = applied
	} else {
		c.entries[event.ID] = applied
	}
	c.keyed.rememberKey(event, position)
	if position > c.Version {
		c.Version = position
	}
}

// target is the entry a stored void or correction is about: the entry at
// its target position when it names one, else the first entry with the id.
func (c *Campaign) target(id uuid.UUID, location TargetLocation) *campaignEntry {
	first := c.entries[id]
	if location.TargetPosition == 0 || (first != nil && first.position == location.TargetPosition) {
		return first
	}
	if shadow := c.shadows[location.TargetPosition]; shadow != nil {
		return shadow
	}
	return first
}

func decodeReplacement(raw []byte, targetType EventType) (Payload, error) {
	payload := newPayload(targetType)
	if payload == nil {
		return nil, rejectf("data.replacement", "entries of type %s cannot be corrected", targetType)
	}
	// A replacement carries no version of its own: it is in the shape of
	// its time, which the (idempotent) upcasters bring to today's.
	if CurrentVersion(targetType) > SchemaVersion {
		if upcasted, err := upcast(targetType, SchemaVersion, raw); err == nil {
			raw = upcasted
		}
	}
	if err := strictUnmarshal(raw, payload); err != nil {
		var problems violations
		// Named and coded as the same problem in the event's own data is.
		problems.addCode(jsonErrorField("data.replacement", err), jsonErrorCode(err), "%s", jsonErrorRule(err))
		return nil, problems.err()
	}
	return derefPayload(payload), nil
}

// encodeReplacement encodes a decoded replacement as the ledger stores it:
// encoding/json's bytes, without the HTML escaping nothing here needs, as
// the ledger writes its events.
func encodeReplacement(replacement Payload) (json.RawMessage, error) {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(replacement); err != nil {
		return nil, fmt.Errorf("encode the replacement: %w", err)
	}
	return bytes.TrimSuffix(buffer.Bytes(), []byte("\n")), nil
}

// CanonicalRetry returns the event as Decide would store it when it is a
// correction of an entry state holds: its replacement decoded against the
// target's type and encoded again. A retry of a correction (same
// idempotency key) carries the client's bytes again, while the ledger
// stored, and hashed, the re-encoded ones; the retry is the same request
// when either hash matches. ok is false when there is nothing to redo.
func CanonicalRetry(state Aggregate, event Event) (Event, bool) {
	campaign, isCampaign := state.(*Campaign)
	correction, isCorrection := event.Data.(*EntryCorrected)
	if !isCampaign || !isCorrection {
		return event, false
	}
	targetID, err := uuid.Parse(correction.TargetEventID)
	if err != nil {
		return event, false
	}
	target, found := campaign.entries[targetID]
	if !found {
		return event, false
	}
	replacement, err := decodeReplacement(correction.Replacement, target.eventType)
	if err != nil {
		return event, false
	}
	encoded, err := encodeReplacement(replacement)
	if err != nil {
		return event, false
	}
	copied := *correction
	copied.Replacement = encoded
	copied.replacement = replacement
	event.Data = &copied
	return event, true
}

// ResolveCorrection decodes a stored correction's replacement against the
// target's type, for readers that are not the aggregate (projections).
func ResolveCorrection(correction *EntryCorrected, targetType EventType) (Payload, error) {
	if correction.replacement != nil {
		return correction.replacement, nil
	}
	payload, err := decodeReplacement(correction.Replacement, targetType)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("resolve correction of %s", correction.TargetEventID), err)
	}
	correction.replacement = payload
	return payload, nil
}

func sortedKeys[V any](values map[string]V) []string {
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	sortStrings(keys)
	return keys
}
