package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Shortcut is one entry given field by field, as a clerk types it on the
// command line (`ledger record donation --amount 5000.00 …`): money in
// yuan, goods as item:quantity:value, the time as a date or an instant.
// Its field names (the JSON tags) are what its errors name, so a front end
// can say which of its own inputs was wrong.
type Shortcut struct {
	// Kind is donation, allocation, delivery, training, service or void.
	Kind       string `json:"kind"`
	Campaign   string `json:"campaign"`
	County     string `json:"county"`
	OccurredAt string `json:"occurred_at"`
	Actor      string `json:"actor"`
	Key        string `json:"key"`
	Note       string `json:"note"`
	// DonationID is a donation's id; empty makes one (from Key, or new).
	// A pledge's receipt carries the pledge's id.
	DonationID string `json:"donation_id"`
	// Amount is yuan: a donation's or allocation's amount, or what a
	// delivery, training or service spent. It is read as a sheet's money
	// cell is (domain.ParseYuanTyped): "1250.50", "1,250.50", "￥300".
	Amount string `json:"amount"`
	// Items is goods as "drinking-water:100:3000.00,sunscreen:50:1500",
	// each value read as Amount is ("drinking-water:100:1,250.50").
	Items      string `json:"items"`
	DonorKind  string `json:"donor_kind"`
	DonorOrg   string `json:"donor_org"`
	DonorName  string `json:"donor_name"`
	DonorPhone string `json:"donor_phone"`
	BankRef    string `json:"bank_ref"`
	From       string `json:"from"`
	Group      string `json:"group"`
	SiteKind   string `json:"site_kind"`
	SiteName   string `json:"site"`
	Topic      string `json:"topic"`
	Title      string `json:"title"`
	Format     string `json:"format"`
	Venue      string `json:"venue"`
	Service    string `json:"service"`
	// Target is what the void is about: the event id, the entry id
	// (V-…, S-LEC-4) or the log position a clerk sees (Ledger.Target).
	Target string `json:"target"`
	Reason string `json:"reason"`
	// ClosedPeriod (YYYY-MM) lets a void change a month finance has
	// closed: the month the voided entry occurred in.
	ClosedPeriod string `json:"closed_period"`
	Headcount    int64  `json:"headcount"`
	Participants int64  `json:"participants"`
	Minutes      int64  `json:"minutes"`
	Count        int64  `json:"count"`
	PersonTimes  int64  `json:"person_times"`
}

// ShortcutKinds are the kinds of entry a Shortcut records.
var ShortcutKinds = []string{"donation", "allocation", "delivery", "training", "service", "void"}

// ShortcutEvent builds the event a shortcut describes. Its own fields'
// errors are a *domain.ValidationError naming the fields by their JSON
// names (a void's target that names no event, or more than one, is a
// TargetRefusedError, which is one too); the event itself is validated
// when it is recorded.
func (l *Ledger) ShortcutEvent(ctx context.Context, shortcut Shortcut) (domain.Event, error) {
	var problems []domain.Violation
	bad := func(field, format string, args ...any) {
		problems = append(problems, domain.Violation{Field: field, Rule: fmt.Sprintf(format, args...)})
	}
	var money domain.Money
	if shortcut.Amount != "" {
		var err error
		if money, err = domain.ParseYuanTyped(shortcut.Amount); err != nil {
			bad("amount", "%v", err)
		}
	}
	goods, rule := parseItems(shortcut.Items)
	if rule != "" {
		bad("items", "%s", rule)
	}
	occurred := l.parts.Clock()
	switch {
	case shortcut.OccurredAt == "" && shortcut.Key != "":
		// "now" differs on every run, so a repeated command would carry
		// different content under the same key and be refused.
		bad("key", "needs occurred_at, so that repeating it records the same entry")
	case shortcut.OccurredAt != "":
		var err error
		if occurred, err = domain.ParseStart(shortcut.OccurredAt); err != nil {
			bad("occurred_at", "%v", err)
		}
	}
	if shortcut.Kind == "void" && shortcut.Target == "" {
		bad("target", "is required: the event id, entry id or log position of the entry to void; %s", TargetHint)
	}
	// A void looks for its target in the campaign given: one the catalog
	// does not list is a typo, not a campaign without the entry.
	if shortcut.Kind == "void" && shortcut.Campaign != "" &&
		!slices.ContainsFunc(l.parts.Catalog.Campaigns, func(label domain.Label) bool { return label.Code == shortcut.Campaign }) {
		bad("campaign", "must be a campaign code of the catalog: there is no campaign %q", shortcut.Campaign)
	}
	if shortcut.DonationID != "" && shortcut.Kind != "donation" {
		bad("donation_id", "is for a donation only")
	}
	if shortcut.ClosedPeriod != "" {
		if shortcut.Kind != "void" {
			bad("closed_period", "is for a void only")
		} else if _, err := time.ParseInLocation("2006-01", shortcut.ClosedPeriod, domain.Beijing); err != nil {
			bad("closed_period", "%q is not a month YYYY-MM", shortcut.ClosedPeriod)
		}
	}
	if len(problems) > 0 {
		return domain.Event{}, &domain.ValidationError{Violations: problems}
	}
	if shortcut.Kind == "void" {
		original, err := l.voided(ctx, shortcut)
		if err != nil {
			return domain.Event{}, err
		}
		// A clerk knows the entry's id or its place in the log, not its
		// event id and county: they are the voided event's, and so is its
		// campaign, which a clerk may give to tell apart entries of two
		// campaigns with one id.
		shortcut.Target = original.Event.ID.String()
		shortcut.County, shortcut.Campaign = original.Event.County, original.Event.Aggregate.ID
	}
	data, personal, err := shortcut.payload(money, goods, l.parts.Catalog.CityCode())
	if err != nil {
		return domain.Event{}, err
	}
	return domain.Event{Type: data.EventType(), County: shortcut.County, OccurredAt: occurred, Actor: shortcut.Actor,
		IdempotencyKey: shortcut.Key, Data: data, Personal: personal}, nil
}

// voided is the event a void shortcut names (Target), looked for in its
// campaign when it gives one and in every campaign otherwise. A void sent
// again under its key is answered as the first one was (retriedTarget).
// A target that names nothing or more than one event is a violation of
// target; one that names nothing of the campaign given is a violation of
// campaign too, the clerk's choice that may be the wrong one.
func (l *Ledger) voided(ctx context.Context, shortcut Shortcut) (eventstore.Record, error) {
	first, retried, err := l.retriedTarget(ctx, sentAgain{Key: shortcut.Key, Actor: shortcut.Actor, Type: domain.TypeEntryVoided,
		Campaign: shortcut.Campaign, Target: shortcut.Target})
	switch {
	case err != nil:
		return eventstore.Record{}, fmt.Errorf("void %s: %w", shortcut.Target, err)
	case retried:
		return first, nil
	}
	original, err := l.Target(ctx, shortcut.Campaign, shortcut.Target)
	var refused *TargetError
	if !errors.As(err, &refused) {
		if err != nil {
			return eventstore.Record{}, fmt.Errorf("void %s: %w", shortcut.Target, err)
		}
		return original, nil
	}
	violations := []domain.Violation{{Field: "target", Rule: refused.Rule}}
	if refused.Campaign != "" {
		violations = append(violations, domain.Violation{Field: "campaign", Rule: fmt.Sprintf(
			"is %s, which has no %q: give the campaign the entry is in, or none to look in every campaign", refused.Campaign, shortcut.Target)})
	}
	if errors.Is(err, domain.ErrInvalid) {
		return eventstore.Record{}, &domain.ValidationError{Violations: violations}
	}
	// Well formed, but naming nothing the ledger holds (or more than one
	// event): a refusal of what the ledger holds, not a flag given wrong.
	return eventstore.Record{}, &TargetRefusedError{Violation: &domain.ValidationError{Violations: violations}, Refused: refused}
}

// TargetRefusedError is a void's target that is well formed but names no
// event the ledger holds, or more than one: a violation of target, as any
// other field's (Violation), which also matches what finding it found
// (Refused: domain.ErrNotFound or ErrTargetAmbiguous), so that a front end
// tells a refusal of what the ledger holds from an input given wrong.
type TargetRefusedError struct {
	Violation *domain.ValidationError
	Refused   *TargetError
}

func (e *TargetRefusedError) Error() string { return e.Violation.Error() }

func (e *TargetRefusedError) Unwrap() []error { return []error{e.Violation, e.Refused} }

// entityID derives the entity's id from the idempotency key, so a repeated
// command builds the same entry, or makes a fresh one.
func (s *Shortcut) entityID(prefix string) string {
	if s.Key != "" {
		return prefix + "-" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(s.Key)).String()[:18]
	}
	return prefix + "-" + uuid.Must(uuid.NewV7()).String()
}

// parseItems reads "drinking-water:100:3000.00,sunscreen:50:1500" as
// item:quantity:value-in-yuan, the value read as an amount is
// (domain.ParseYuanTyped); a non-empty rule says what is wrong. A comma
// separates items, and also the thousands of a value ("water:100:1,250.50"):
// a piece without a colon is the rest of the value before it, since an
// item always has two.
func parseItems(text string) ([]domain.GoodsItem, string) {
	if text == "" {
		return nil, ""
	}
	var fields []string
	for piece := range strings.SplitSeq(text, ",") {
		if len(fields) > 0 && !strings.Contains(piece, ":") {
			fields[len(fields)-1] += "," + piece
			continue
		}
		fields = append(fields, piece)
	}
	var items []domain.GoodsItem
	for _, field := range fields {
		parts := strings.Split(strings.TrimSpace(field), ":")
		if len(parts) != 3 {
			return nil, fmt.Sprintf("%q: each item is item:quantity:value, e.g. drinking-water:100:3000.00", field)
		}
		quantity, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("%q: quantity must be an integer", field)
		}
		value, err := domain.ParseYuanTyped(parts[2])
		if err != nil {
			return nil, fmt.Sprintf("%q: value: %v", field, err)
		}
		items = append(items, domain.GoodsItem{Item: parts[0], Quantity: quantity, Value: value})
	}
	return items, ""
}

// payload builds the entry's data and personal part.
func (s *Shortcut) payload(money domain.Money, goods []domain.GoodsItem, cityCode string) (domain.Payload, *domain.Personal, error) {
	var site *domain.Site
	if s.SiteKind != "" || s.SiteName != "" {
		site = &domain.Site{Kind: s.SiteKind, Name: s.SiteName}
	}
	switch s.Kind {
	case "donation":
		form := domain.FormMoney
		if len(goods) > 0 {
			form = domain.FormGoods
		}
		var personal *domain.Personal
		if s.DonorName != "" || s.DonorPhone != "" {
			personal = &domain.Personal{Donor: &domain.Person{Name: s.DonorName, Phone: s.DonorPhone}}
		}
		id := s.DonationID
		if id == "" {
			id = s.entityID("D")
		}
		return domain.DonationReceived{DonationID: id, Campaign: s.Campaign, DonorKind: s.DonorKind,
			DonorOrg: s.DonorOrg, Form: form, Amount: money, Items: goods, BankReference: s.BankRef, Note: s.Note}, personal, nil
	case "allocation":
		source := s.From
		if source == "" {
			source = cityCode
		}
		return domain.FundsAllocated{AllocationID: s.entityID("A"), Campaign: s.Campaign, FromCounty: source,
			ToCounty: s.County, Amount: money, Purpose: s.Note}, nil, nil
	case "delivery":
		delivery := domain.SuppliesDelivered{DeliveryID: s.entityID("V"), Campaign: s.Campaign,
			BeneficiaryGroup: s.Group, Headcount: s.Headcount, Items: goods, Spent: money, Note: s.Note}
		if site != nil {
			delivery.Site = *site
		}
		return delivery, nil, nil
	case "training":
		return domain.TrainingHeld{SessionID: s.entityID("S"), Campaign: s.Campaign, Topic: s.Topic, Title: s.Title,
			Format: s.Format, Participants: s.Participants, DurationMinutes: s.Minutes, Venue: s.Venue,
			BeneficiaryGroup: s.Group, Cost: money}, nil, nil
	case "service":
		return domain.ServiceProvided{ServiceID: s.entityID("SV"), Campaign: s.Campaign, Kind: s.Service,
			BeneficiaryGroup: s.Group, Count: s.Count, PersonTimes: s.PersonTimes, Site: site, Cost: money, Note: s.Note}, nil, nil
	case "void":
		return domain.EntryVoided{Campaign: s.Campaign, TargetEventID: s.Target, Reason: s.Reason, ClosedPeriod: s.ClosedPeriod}, nil, nil
	}
	return nil, nil, &domain.ValidationError{Violations: []domain.Violation{{Field: "kind",
		Rule: "must be one of " + strings.Join(ShortcutKinds, ", ")}}}
}
