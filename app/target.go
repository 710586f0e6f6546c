package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/projections"
)

// Limits of finding a void's or correction's target, unit last.
const (
	// targetBytesMax bounds what is looked up as a target: an entry id is
	// at most 64 bytes, an event id 36 and a log position 20 digits.
	targetBytesMax = 64
	// targetEventsShown bounds the events a refusal of an entry id that
	// names several lists.
	targetEventsShown = 5
	// targetLookupsMax bounds the targets given by entry id or position
	// that one request or input looks up: each may read the whole log
	// where no entity index runs (the command line), and an input of
	// more voids than one batch names its targets by event id.
	targetLookupsMax = 1000
)

// ErrTargetAmbiguous says what names the entry to void or correct names
// more than one event that could be meant.
var ErrTargetAmbiguous = errors.New("names more than one event")

// TargetHint says where a clerk finds an event's id: it ends every
// refusal of a target, so that the clerk is never left with a bare "not
// found".
const TargetHint = "ledger events and ledger audit ENTRY-ID (GET /api/v1/audit/ENTRY-ID) show each event's id and log position"

// TargetError says that what a void or correction names as its target
// (Target, as given) names no event (it matches domain.ErrNotFound) or
// more than one (ErrTargetAmbiguous). Rule says which, in words that end
// with TargetHint; each front end puts it under its own field's name.
// Campaign is the campaign the target was looked for in when the refusal
// is that nothing of that campaign is it (though it may name another
// campaign's event): a front end whose clerk chose the campaign says so.
type TargetError struct {
	Target   string
	Rule     string
	Campaign string
	Err      error
}

func (e *TargetError) Error() string { return e.Rule }

func (e *TargetError) Unwrap() error { return e.Err }

// Target finds the event a void or correction of campaign is about from
// what a clerk can see of it: its event id (a UUID), the id of its entry
// (V-…, S-LEC-4: the one event of the campaign that carries it) or its log
// position (digits, as ledger events lists it). An entry id is unique
// within its campaign only (two campaigns may each have a D-1), and a void
// or correction is recorded in its target's campaign: what it names is
// looked for in its own campaign alone, and a position or event id of
// another campaign names nothing. An empty campaign looks in every
// campaign (the command line's void, which takes its target's campaign).
//
// An entry id that several events carry (a pledge and its receipt) is
// refused with their event ids, rather than one of them guessed; so are
// digits that are both an entry's id and the position of an event that
// could be meant. Whether the event may be voided or corrected (not voided
// already, not itself a void) is the ledger's rule, checked when the void
// is recorded. A target that names nothing, or more than one event, is a
// *TargetError.
func (l *Ledger) Target(ctx context.Context, campaign, target string) (eventstore.Record, error) {
	refuse := func(sentinel error, format string, args ...any) (eventstore.Record, error) {
		return eventstore.Record{}, &TargetError{Target: target, Err: sentinel,
			Rule: fmt.Sprintf(format, args...) + "; " + TargetHint}
	}
	// outside refuses what names nothing of the campaign.
	outside := func(format string, args ...any) (eventstore.Record, error) {
		return eventstore.Record{}, &TargetError{Target: target, Campaign: campaign, Err: domain.ErrNotFound,
			Rule: fmt.Sprintf(format, args...) + "; " + TargetHint}
	}
	switch {
	case target == "":
		return refuse(domain.ErrInvalid, "is required: the event id, entry id or log position of the entry")
	case len(target) > targetBytesMax:
		return refuse(domain.ErrInvalid, "is %d bytes, longer than any event id, entry id or log position", len(target))
	}
	scope := targetScope(campaign)
	if id, err := uuid.Parse(target); err == nil {
		record, found, err := l.eventByID(ctx, id)
		switch {
		case err != nil:
			return eventstore.Record{}, err
		case !found:
			return refuse(domain.ErrNotFound, "no event has the id %s (an entry id begins with a letter, V-… or D-…)", id)
		case !scope.holds(record):
			return outside("the event %s is of another campaign, not of campaign %s", id, campaign)
		}
		return record, nil
	}
	carriers, count, err := l.carriers(ctx, scope, target)
	if err != nil {
		return eventstore.Record{}, err
	}
	position, err := strconv.ParseUint(target, 10, 64)
	isPosition := err == nil
	var at eventstore.Record
	var head uint64
	if isPosition {
		if at, head, err = l.eventAt(ctx, position); err != nil {
			return eventstore.Record{}, err
		}
	}
	inLog := at.Position != 0
	switch {
	case inLog && count == 1 && carriers[0].Position == at.Position:
		// Entry "2" at position 2: both name the one event.
		return at, nil
	case inLog && scope.holds(at) && count > 0:
		return refuse(ErrTargetAmbiguous, "%q is both log position %d and the id of entry %s (%s); give the event id you mean",
			target, position, target, scope.list(carriers, count))
	case inLog && scope.holds(at):
		return at, nil
	case count == 1:
		return carriers[0], nil
	case count > 1:
		return refuse(ErrTargetAmbiguous, "entry %s has %d events (%s); give the event id of the one you mean%s",
			target, count, scope.list(carriers, count), scope.orCampaign(carriers))
	case inLog:
		return outside("log position %d holds an event of another campaign, not of campaign %s", position, campaign)
	case isPosition && (position == 0 || position > head):
		return refuse(domain.ErrNotFound, "log position %d is not in the log, whose positions run from 1 to %d", position, head)
	case isPosition:
		return refuse(domain.ErrNotFound, "the log holds no event at position %d", position)
	case scope.any():
		return refuse(domain.ErrNotFound, "no event or entry %q in the ledger", target)
	}
	return outside("no entry %q in campaign %s", target, campaign)
}

// targetScope is where a target is looked for: one campaign's aggregate,
// or every campaign when the campaign is "".
type targetScope string

// any says the scope is every campaign.
func (s targetScope) any() bool { return s == "" }

// holds says an event is in the scope.
func (s targetScope) holds(record eventstore.Record) bool {
	return s.any() || record.Event.Aggregate == domain.AggregateRef{Kind: domain.AggregateCampaign, ID: string(s)}
}

// list names events by log position, type and event id, and by campaign
// too when they were looked for in every campaign and several campaigns
// have them.
func (s targetScope) list(records []eventstore.Record, count int) string {
	names := make([]string, len(records))
	spans := s.spans(records)
	for i, record := range records {
		names[i] = fmt.Sprintf("position %d %s %s", record.Position, record.Event.Type, record.Event.ID)
		if spans {
			names[i] += " of " + record.Event.Aggregate.ID
		}
	}
	if more := count - len(records); more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(names, ", ")
}

// orCampaign ends the refusal of an entry id that events of several
// campaigns carry, looked for in every campaign: the campaign tells them
// apart too.
func (s targetScope) orCampaign(records []eventstore.Record) string {
	if s.spans(records) {
		return ", or its campaign"
	}
	return ""
}

// spans says events looked for in every campaign are of more than one.
func (s targetScope) spans(records []eventstore.Record) bool {
	if !s.any() {
		return false
	}
	for _, record := range records {
		if record.Event.Aggregate != records[0].Event.Aggregate {
			return true
		}
	}
	return false
}

// eventByID finds the event with an event id, in its canonical spelling
// whatever the clerk typed.
func (l *Ledger) eventByID(ctx context.Context, id uuid.UUID) (eventstore.Record, bool, error) {
	for record, err := range projections.EntityRecords(ctx, l.parts.Store, l.entityIndex(), id.String()) {
		if err != nil {
			return eventstore.Record{}, false, err
		}
		if record.Event.ID == id {
			// An old log may hold one event id on two events (the
			// ledger refuses that now): the first is the event.
			return record, true, nil
		}
	}
	return eventstore.Record{}, false, nil
}

// eventAt reads the event at a log position, and the log's head: a zero
// record when the log holds none there.
func (l *Ledger) eventAt(ctx context.Context, position uint64) (eventstore.Record, uint64, error) {
	head, err := l.parts.Store.Head(ctx)
	if err != nil {
		return eventstore.Record{}, 0, err
	}
	if position == 0 || position > head {
		return eventstore.Record{}, head, nil
	}
	record, err := l.parts.Store.Get(ctx, position)
	if errors.Is(err, domain.ErrNotFound) {
		return eventstore.Record{}, head, nil
	}
	return record, head, err
}

// carriers are the first targetEventsShown events of the scope whose
// payload carries an entry id, and how many carry it.
func (l *Ledger) carriers(ctx context.Context, scope targetScope, entryID string) ([]eventstore.Record, int, error) {
	var shown []eventstore.Record
	count := 0
	for record, err := range projections.EntityRecords(ctx, l.parts.Store, l.entityIndex(), entryID) {
		if err != nil {
			return nil, 0, err
		}
		if record.Event.Data == nil || domain.EntityID(record.Event.Data) != entryID || !scope.holds(record) {
			continue
		}
		count++
		if len(shown) < targetEventsShown {
			shown = append(shown, record)
		}
	}
	return shown, count, nil
}

// targets resolves the targets of one request's or input's voids and
// corrections, up to targetLookupsMax of them.
type targets struct {
	ledger *Ledger
	looked int
}

// resolve is the event id that a client's void or correction names, when
// it names its target by an entry id or a log position (Ledger.Target):
// what is stored is the event id, as in every void and correction of the
// log. It is "" for any other event, and for one whose target is an
// event id already (the ledger's rules check that id). A target Target
// refuses is a violation of data.target_event_id.
func (t *targets) resolve(ctx context.Context, event domain.Event) (string, *domain.Violation, error) {
	if !namesTargetByEntry(event) {
		return "", nil, nil
	}
	if t.looked++; t.looked > targetLookupsMax {
		return "", &domain.Violation{Field: targetField, Rule: fmt.Sprintf("more than %d voids and corrections of one input name "+
			"their target by entry id or log position, the most that are looked up: give the event id; %s", targetLookupsMax, TargetHint)}, nil
	}
	amendment, _ := domain.AmendmentOf(event.Data)
	sent := sentAgain{Key: event.IdempotencyKey, Actor: event.Actor, Type: event.Type, Campaign: event.Data.CampaignCode(),
		Target: amendment.TargetEventID}
	first, retried, err := t.ledger.retriedTarget(ctx, sent)
	switch {
	case err != nil:
		return "", nil, err
	case retried:
		return first.Event.ID.String(), nil, nil
	}
	record, err := t.ledger.Target(ctx, sent.Campaign, amendment.TargetEventID)
	var refused *TargetError
	if errors.As(err, &refused) {
		return "", &domain.Violation{Field: targetField, Rule: refused.Rule}, nil
	}
	if err != nil {
		return "", nil, err
	}
	return record.Event.ID.String(), nil, nil
}

// sentAgain is what a void or correction says that retriedTarget compares
// with what its idempotency key recorded.
type sentAgain struct {
	Key, Actor string
	Type       domain.EventType
	// Campaign is the void's or correction's; "" takes the first one's.
	Campaign string
	// Target is what it names its target by: an entry id or a position.
	Target string
}

// retriedTarget is the target of the void or correction that sent's key
// recorded, when sent repeats that request: the same actor's (a key a
// client chose is that client's; one made from a sheet's row is anyone's),
// the same type and campaign, and a target that names that event (its
// entry id or its position). A retry is then answered as the first
// request was, a duplicate, rather than looked up again: what it names may
// since name more than one event (an entry "2" recorded after the void of
// position 2) and be refused, though the README promises a retry after
// "outcome unknown" is safe. Whether the rest is the same (the reason, the
// replacement) is the ledger's idempotency rule, which refuses a key
// reused with other content. It says false when the key recorded nothing
// or another request: that one is looked up as any other.
func (l *Ledger) retriedTarget(ctx context.Context, sent sentAgain) (eventstore.Record, bool, error) {
	if sent.Key == "" {
		return eventstore.Record{}, false, nil
	}
	first, found, err := l.parts.Service.KeyRecorded(ctx, sent.Key)
	if err != nil || !found {
		return eventstore.Record{}, false, err
	}
	amendment, isAmendment := domain.AmendmentOf(first.Event.Data)
	switch {
	case !isAmendment || first.Event.Type != sent.Type:
		return eventstore.Record{}, false, nil
	case first.Event.Actor != sent.Actor && !domain.ContentKeyed(sent.Key):
		return eventstore.Record{}, false, nil
	case !targetScope(sent.Campaign).holds(first):
		return eventstore.Record{}, false, nil
	}
	id, err := uuid.Parse(amendment.TargetEventID)
	if err != nil {
		return eventstore.Record{}, false, nil
	}
	target, found, err := l.eventByID(ctx, id)
	if err != nil || !found {
		return eventstore.Record{}, false, err
	}
	position, err := strconv.ParseUint(sent.Target, 10, 64)
	names := (err == nil && position == target.Position) ||
		(target.Event.Data != nil && domain.EntityID(target.Event.Data) == sent.Target)
	return target, names, nil
}

// retargeted is a void or correction naming its target by the event id.
func retargeted(event domain.Event, id string) domain.Event {
	switch data := event.Data.(type) {
	case domain.EntryVoided:
		data.TargetEventID = id
		event.Data = data
	case *domain.EntryCorrected:
		// A copy: the client's event stays as it was sent.
		corrected := *data
		corrected.TargetEventID = id
		event.Data = &corrected
	}
	return event
}

// targetField is where a void or correction names its target.
const targetField = "data.target_event_id"

// namesTargetByEntry says the event is a void or correction whose target
// is given, and not as an event id: an entry id or a log position, which
// targets.resolve turns into one.
func namesTargetByEntry(event domain.Event) bool {
	amendment, ok := domain.AmendmentOf(event.Data)
	if !ok || amendment.TargetEventID == "" {
		return false
	}
	_, err := uuid.Parse(amendment.TargetEventID)
	return err != nil
}

// targetRefusal is the refusal of an event whose target named nothing or
// more than one event: the violation, with the event's other problems
// (checkErr, from checking it as sent) but the one about its target, which
// the violation says better.
func targetRefusal(violation domain.Violation, checkErr error) error {
	violations := []domain.Violation{violation}
	var validation *domain.ValidationError
	if errors.As(without(checkErr, targetField), &validation) {
		violations = append(violations, validation.Violations...)
	}
	return &domain.ValidationError{Violations: violations}
}

// without is a check's error without its violations of one field: nil
// when they were all it had. Any other error is returned as it is.
func without(err error, field string) error {
	var validation *domain.ValidationError
	if !errors.As(err, &validation) {
		return err
	}
	var kept []domain.Violation
	for _, violation := range validation.Violations {
		if violation.Field != field {
			kept = append(kept, violation)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return &domain.ValidationError{Violations: kept}
}

// withTargets is targets.resolve for each event of a request: the events
// as they are to be recorded (a copy when any changed, the request's own
// otherwise), and the violation of each whose target named nothing, by
// its index.
func (l *Ledger) withTargets(ctx context.Context, events []domain.Event) ([]domain.Event, map[int]domain.Violation, error) {
	resolved := events
	copied := false
	var refused map[int]domain.Violation
	lookups := targets{ledger: l}
	for i, event := range events {
		id, violation, err := lookups.resolve(ctx, event)
		switch {
		case err != nil:
			return nil, nil, err
		case violation != nil:
			if refused == nil {
				refused = map[int]domain.Violation{}
			}
			refused[i] = *violation
		case id != "":
			if !copied {
				resolved, copied = slices.Clone(events), true
			}
			resolved[i] = retargeted(event, id)
		}
	}
	return resolved, refused, nil
}
