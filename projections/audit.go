package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Change is one field a correction changed.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// AuditEntry is one step of an entity's history.
type AuditEntry struct {
	Position   uint64           `json:"position"`
	EventID    string           `json:"event_id"`
	Type       domain.EventType `json:"type"`
	Actor      string           `json:"actor"`
	RecordedAt time.Time        `json:"recorded_at"`
	OccurredAt time.Time        `json:"occurred_at"`
	County     string           `json:"county"`
	Campaign   string           `json:"campaign"`
	Summary    string           `json:"summary"`
	Changes    []Change         `json:"changes,omitempty"`
	Reason     string           `json:"reason,omitempty"`
	// TargetPosition is where the entry a void or correction is about
	// stands, when the event names it: its target's id alone may be that
	// of two events in an old log. It is left out of the JSON so that a
	// sealed report's figures digest stays what it was.
	TargetPosition uint64 `json:"-"`
	// TargetEventID and TargetEntryID name the entry a void or correction
	// is about: its event id, and its own id (a donation's, a session's)
	// when the trail holds it, so that a reader sees which entry is voided
	// without reading the summary. The audit trail sets them; the month
	// report's changes leave them out, so that its figures digest stays
	// what it was.
	TargetEventID string `json:"target_event_id,omitempty"`
	TargetEntryID string `json:"target_entry_id,omitempty"`
}

// AuditTrail is an entity's complete history, in log order.
type AuditTrail struct {
	Subject  string       `json:"subject"`
	Kind     string       `json:"kind"`
	Position uint64       `json:"position"`
	Entries  []AuditEntry `json:"entries"`
}

// Audit returns the history of an event id, an entity id (donation,
// allocation, delivery, session, service), a campaign (its fund) or a
// region, reading the whole log (a campaign's part of it for a fund).
func Audit(ctx context.Context, store eventstore.Store, catalog *domain.Catalog, subject string) (*AuditTrail, error) {
	return AuditIndexed(ctx, store, nil, catalog, subject)
}

// AuditIndexed is Audit that reads an entry's history through the entity
// index: the events the index names and the log after the index's
// position, so its cost follows the entry's history and not the log. A
// nil index, or one that cannot name an event the log still has, reads
// the whole log.
func AuditIndexed(ctx context.Context, store eventstore.Store, index *Index, catalog *domain.Catalog, subject string) (*AuditTrail, error) {
	fold := newAuditFold(catalog, subject)
	if head, err := store.Head(ctx); err == nil {
		fold.trail.Position = head
	}
	records := store.Read(ctx, 0, fold.filter)
	if fold.trail.Kind == "entry" {
		records = EntityRecords(ctx, store, index, subject)
	}
	for record, err := range records {
		if err != nil {
			return nil, err
		}
		if err := fold.add(record); err != nil {
			return nil, err
		}
	}
	return fold.finish()
}

// auditFold folds events into one subject's audit trail.
type auditFold struct {
	trail    *AuditTrail
	subject  string
	filter   eventstore.Filter
	matchAll bool
	// matched holds the effective payloads of matched entries by their
	// position, so a correction can say what it changed.
	matched map[uint64]domain.Event
	// firstOf is the position of the first matched event with each id: an
	// old log may hold one id on two events (the ledger refuses that now),
	// and a void or correction that names no position is about the first.
	firstOf map[string]uint64
	// ownSeen says the event the subject names by its id was taken in: a
	// later event that reused the id is not the subject's.
	ownSeen bool
}

func newAuditFold(catalog *domain.Catalog, subject string) *auditFold {
	fold := &auditFold{trail: &AuditTrail{Subject: subject, Entries: []AuditEntry{}}, subject: subject, matched: map[uint64]domain.Event{},
		firstOf: map[string]uint64{}}
	switch {
	case isRegion(catalog, subject):
		// All events are read: money allocated out of a region is an event
		// of the receiving county, and belongs to both histories.
		fold.trail.Kind = "region"
	case isCampaign(catalog, subject):
		fold.trail.Kind, fold.matchAll = "campaign fund", true
		fold.filter = eventstore.Filter{AggregateKind: domain.AggregateCampaign, AggregateID: subject}
	default:
		fold.trail.Kind = "entry"
	}
	return fold
}

func (f *auditFold) add(record eventstore.Record) error {
	event := record.Event
	entry := AuditEntry{Position: record.Position, EventID: event.ID.String(), Type: event.Type, Actor: event.Actor,
		RecordedAt: event.RecordedAt, OccurredAt: event.OccurredAt, County: event.County, Campaign: event.Aggregate.ID,
		Summary: Describe(event.Data), TargetPosition: domain.TargetLocationOf(event.Data).TargetPosition}
	region := f.trail.Kind == "region"
	switch data := event.Data.(type) {
	case domain.EntryVoided:
		target, ok := f.matched[f.targetOf(data.TargetEventID, data.TargetLocation)]
		if !f.matchAll && !ok && !(region && event.County == f.subject) {
			return nil
		}
		entry.Reason, entry.TargetEventID = data.Reason, data.TargetEventID
		if ok {
			entry.TargetEntryID = domain.EntityID(target.Data)
		}
	case *domain.EntryCorrected:
		target := f.targetOf(data.TargetEventID, data.TargetLocation)
		original, ok := f.matched[target]
		if !f.matchAll && !ok && !(region && event.County == f.subject) {
			return nil
		}
		entry.Reason, entry.TargetEventID = data.Reason, data.TargetEventID
		if ok {
			entry.TargetEntryID = domain.EntityID(original.Data)
			replacement, err := domain.ResolveCorrection(data, original.Type)
			if err != nil {
				return err
			}
			entry.Changes = diff(original.Data, replacement)
			entry.Summary = "corrected to: " + Describe(replacement)
			original.Data = replacement
			f.matched[target] = original
		}
	default:
		if region {
			allocation, isAllocation := event.Data.(domain.FundsAllocated)
			if event.County != f.subject && (!isAllocation || allocation.FromCounty != f.subject) {
				return nil
			}
		} else if !f.matchAll {
			own := event.ID.String() == f.subject
			if (!own || f.ownSeen) && domain.EntityID(event.Data) != f.subject {
				return nil
			}
			f.ownSeen = f.ownSeen || own
		}
		id := event.ID.String()
		if _, seen := f.firstOf[id]; !seen {
			f.firstOf[id] = record.Position
		}
		f.matched[record.Position] = event
	}
	f.trail.Entries = append(f.trail.Entries, entry)
	return nil
}

// targetOf is the position of the entry a void or correction is about: the
// one it names, else the first matched entry with its target's id (0:
// none matched).
func (f *auditFold) targetOf(id string, location domain.TargetLocation) uint64 {
	if location.TargetPosition != 0 {
		return location.TargetPosition
	}
	return f.firstOf[id]
}

func (f *auditFold) finish() (*AuditTrail, error) {
	if len(f.trail.Entries) == 0 && f.trail.Kind == "entry" {
		if _, err := uuid.Parse(f.subject); err != nil && !isEntityID(f.subject) {
			return nil, fmt.Errorf("%q is not an event id, entry id, campaign or region: %w", f.subject, domain.ErrInvalid)
		}
		return nil, fmt.Errorf("no history for %q: %w", f.subject, domain.ErrNotFound)
	}
	return f.trail, nil
}

func isRegion(catalog *domain.Catalog, code string) bool {
	_, ok := catalog.Region(code)
	return ok
}

func isCampaign(catalog *domain.Catalog, code string) bool {
	for _, campaign := range catalog.Campaigns {
		if campaign.Code == code {
			return true
		}
	}
	return false
}

func isEntityID(id string) bool { return id != "" && len(id) <= 64 }

// diff compares two payloads field by field, in field-name order.
func diff(before, after domain.Payload) []Change {
	flatten := func(payload domain.Payload) map[string]string {
		encoded, _ := json.Marshal(payload)
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(encoded, &fields)
		flat := map[string]string{}
		for key, value := range fields {
			flat[key] = string(value)
		}
		return flat
	}
	old, updated := flatten(before), flatten(after)
	keys := map[string]bool{}
	for key := range old {
		keys[key] = true
	}
	for key := range updated {
		keys[key] = true
	}
	var changes []Change
	for key := range keys {
		if old[key] != updated[key] {
			changes = append(changes, Change{Field: key, From: old[key], To: updated[key]})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Field < changes[j].Field })
	return changes
}

// Describe renders a payload as a short English line. Printed monthly
// reports carry it, and verify-report prints their pages again to compare
// them, so its words and its money ("¥5000.00") stay as they are.
func Describe(payload domain.Payload) string { return DescribeWith(payload, domain.Money.String) }

// DescribeWith is Describe with money written by yuan: a listing for
// people groups its thousands as the totals do ("¥5,000.00").
func DescribeWith(payload domain.Payload, yuan func(domain.Money) string) string {
	switch data := payload.(type) {
	case domain.DonationPledged:
		return fmt.Sprintf("%s pledged %s ¥%s by %s", data.DonationID, data.Form, yuan(data.Amount), orDash(data.DonorOrg))
	case domain.DonationReceived:
		value := data.Amount
		if data.Form == domain.FormGoods {
			value = itemsValue(data.Items)
		}
		return fmt.Sprintf("%s received %s ¥%s from %s", data.DonationID, data.Form, yuan(value), orDash(data.DonorOrg))
	case domain.FundsAllocated:
		return fmt.Sprintf("%s allocated ¥%s %s → %s", data.AllocationID, yuan(data.Amount), data.FromCounty, data.ToCounty)
	case domain.SuppliesDelivered:
		return fmt.Sprintf("%s delivered to %d %s, spent ¥%s", data.DeliveryID, data.Headcount, data.BeneficiaryGroup, yuan(data.Spent))
	case domain.TrainingHeld:
		return fmt.Sprintf("%s %q %s, %d participants, cost ¥%s", data.SessionID, data.Title, data.Format, data.Participants, yuan(data.Cost))
	case domain.ServiceProvided:
		return fmt.Sprintf("%s %s ×%d, %d person-times, cost ¥%s", data.ServiceID, data.Kind, data.Count, data.PersonTimes, yuan(data.Cost))
	case domain.EntryVoided:
		return fmt.Sprintf("voids %s: %s", data.TargetEventID, data.Reason)
	case *domain.EntryCorrected:
		return fmt.Sprintf("corrects %s: %s", data.TargetEventID, data.Reason)
	case domain.BankLineImported:
		return fmt.Sprintf("bank line %s %s ¥%s %s", data.LineID, data.BookedOn, yuan(data.Amount), data.Remark)
	case domain.MatchConfirmed:
		return fmt.Sprintf("match %s confirmed (%s): %d lines, %d donations, fee ¥%s", data.MatchID, data.Rule, len(data.LineIDs), len(data.Donations), yuan(data.Fee))
	case domain.MatchRejected:
		return fmt.Sprintf("suggestion %s rejected: %s", data.SuggestionID, data.Reason)
	case domain.FeeWrittenOff:
		return fmt.Sprintf("line %s written off ¥%s: %s", data.LineID, yuan(data.Amount), data.Reason)
	case domain.DecisionUndone:
		return fmt.Sprintf("decision %s undone: %s", data.DecisionEventID, data.Reason)
	case domain.PeriodClosed:
		return fmt.Sprintf("%s closed", data.Month)
	case domain.PeriodReopened:
		return fmt.Sprintf("%s reopened: %s", data.Month, data.Reason)
	}
	return ""
}

func orDash(text string) string {
	if text == "" {
		return "-"
	}
	return text
}
