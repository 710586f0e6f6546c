package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/ledger"
)

// recordedOne records one event and returns its id.
func recordedOne(t *testing.T, use *app.Ledger, event domain.Event) string {
	t.Helper()
	results, err := use.Record(context.Background(), []domain.Event{event})
	if err != nil {
		t.Fatal(err)
	}
	return results[0].EventID.String()
}

// targetRule is the rule a refused void's target broke, named as field.
func targetRule(t *testing.T, err error, field string) string {
	t.Helper()
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) == 0 || validation.Violations[0].Field != field {
		t.Fatalf("want a violation of %s, got %v", field, err)
	}
	return validation.Violations[0].Rule
}

// A clerk voids an entry by what ledger events and ledger audit show: the
// entry id (D-1) or the log position (2), as well as the event id; the
// void is stored naming the event id, in the voided entry's campaign and
// county. What names no event, or more than one (a pledge and its
// receipt; digits that are a position and an entry's id), is refused on
// the target with the way to find the event id;
// before, anything but a UUID was "not an event id (a UUID)", and a UUID
// that was none "no event … in the ledger: not found".
func TestVoidNamesItsTargetAsAClerkSeesIt(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	first := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-1", 100))
	second := recordedOne(t, use, eventstoretest.Donation("2022-summer-cooling", "150602", "D-2", 200))
	pledge := eventstoretest.Donation("general", "150626", "D-3", 300)
	pledge.Type, pledge.Data = domain.TypeDonationPledged, domain.DonationPledged{DonationID: "D-3", Campaign: "general",
		DonorKind: "enterprise", DonorOrg: "某公司", Form: domain.FormMoney, Amount: 300}
	pledged := recordedOne(t, use, pledge)
	received := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-3", 300))

	void := func(target string) (domain.Event, error) {
		return use.ShortcutEvent(ctx, app.Shortcut{Kind: "void", Target: target, Reason: "重复录入", Actor: "clerk-test"})
	}
	for _, given := range []struct{ target, want, campaign, county string }{
		{"D-1", first, "general", "150626"},
		{"2", second, "2022-summer-cooling", "150602"},
		{strings.ToUpper(first), first, "general", "150626"},
	} {
		event, err := void(given.target)
		if err != nil {
			t.Fatalf("void --target %s: %v", given.target, err)
		}
		voided := event.Data.(domain.EntryVoided)
		if voided.TargetEventID != given.want || voided.Campaign != given.campaign || event.County != given.county {
			t.Errorf("void --target %s names %s in %s/%s, want %s in %s/%s", given.target, voided.TargetEventID,
				voided.Campaign, event.County, given.want, given.campaign, given.county)
		}
	}
	event, err := void("D-1")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := use.RecordLines(ctx, []ledger.Line{{Number: 1, Event: event}}, app.LinesOptions{Writing: app.Operator})
	if err != nil || recorded.Recorded != 1 {
		t.Fatalf("the void of D-1: %+v %v", recorded, err)
	}

	for _, refused := range []struct{ target, want string }{
		{"V-01a231a9-5a45-772b-0000-000000000000", `no event or entry "V-01a231a9-5a45-772b-0000-000000000000" in the ledger`},
		{"01a231a9-5a45-772b-a411-ded49728227a", "no event has the id 01a231a9-5a45-772b-a411-ded49728227a"},
		{"123", "log position 123 is not in the log, whose positions run from 1 to 5"},
		{"D-3", "entry D-3 has 2 events (position 3 donation_pledged " + pledged + ", position 4 donation_received " + received + ")"},
		{"", "is required"},
	} {
		_, err := void(refused.target)
		rule := targetRule(t, err, "target")
		if !strings.Contains(rule, refused.want) || !strings.HasSuffix(rule, app.TargetHint) {
			t.Errorf("void --target %q: %q, want %q and how to find the event id", refused.target, rule, refused.want)
		}
		if after := head(t, use); after != 5 {
			t.Fatalf("a refused void moved the head to %d", after)
		}
	}
	digits := recordedOne(t, use, eventstoretest.Donation("general", "150626", "3", 300))
	_, err = void("3")
	if rule := targetRule(t, err, "target"); !strings.Contains(rule, `"3" is both log position 3 and the id of entry 3 (position 6 donation_received `+digits+")") {
		t.Errorf("void --target 3 with an entry 3: %q, want both named", rule)
	}
}

// A client's void or correction (the API, a file) that names its target by
// entry id or log position is stored naming the event id; one whose target
// names nothing is refused on data.target_event_id with every other
// problem of the event, and nothing is written. Checking it alone does not
// complain of the target, which is found only when it is recorded.
func TestClientAmendmentsNameTheirTargetByEntry(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	first := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-1", 100))
	second := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-2", 200))
	voidOf := func(target string) domain.Event {
		return domain.Event{Type: domain.TypeEntryVoided, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
			Data: domain.EntryVoided{Campaign: "general", TargetEventID: target, Reason: "重复录入"}}
	}
	if err := use.Check(voidOf("D-1")); err != nil {
		t.Fatalf("checking a void of D-1: %v", err)
	}
	results, err := use.RecordAs(ctx, []domain.Event{voidOf("D-1")}, app.Writing{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := use.Store().Get(ctx, results[0].Position)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.Event.Data.(domain.EntryVoided).TargetEventID; got != first {
		t.Fatalf("the void of D-1 names %s, want %s", got, first)
	}

	replacement, _ := json.Marshal(domain.DonationReceived{DonationID: "D-2", Campaign: "general", DonorKind: "enterprise",
		DonorOrg: "某公司", Form: domain.FormMoney, Amount: 250})
	correction := domain.Event{Type: domain.TypeEntryCorrected, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
		Data: &domain.EntryCorrected{Campaign: "general", TargetEventID: "2", Reason: "金额录入错误", Replacement: replacement}}
	recorded, err := use.RecordLines(ctx, []ledger.Line{{Number: 1, Event: correction}}, app.LinesOptions{Writing: app.Operator})
	if err != nil || recorded.Recorded != 1 {
		t.Fatalf("the correction of position 2: %+v %v", recorded, err)
	}
	if got := recorded.Outcomes[0].Event.Data.(*domain.EntryCorrected).TargetEventID; got != second {
		t.Fatalf("the correction of position 2 names %s, want %s", got, second)
	}
	if got := correction.Data.(*domain.EntryCorrected).TargetEventID; got != "2" {
		t.Fatalf("the client's own event was changed to name %s", got)
	}

	before := head(t, use)
	unknown := voidOf("D-9")
	unknown.Data = domain.EntryVoided{Campaign: "general", TargetEventID: "D-9"}
	_, err = use.RecordAs(ctx, []domain.Event{voidOf("D-2"), unknown}, app.Writing{})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 2 {
		t.Fatalf("a void of an unknown entry: %v, want its target and its reason named", err)
	}
	if got := validation.Violations[0]; got.Event != 2 || got.Field != "data.target_event_id" ||
		!strings.Contains(got.Rule, `no entry "D-9" in campaign general`) || !strings.HasSuffix(got.Rule, app.TargetHint) {
		t.Errorf("first violation %+v, want events[1].data.target_event_id and how to find the event id", got)
	}
	if got := validation.Violations[1]; got.Event != 2 || got.Field != "data.reason" {
		t.Errorf("second violation %+v, want events[1].data.reason", got)
	}
	if after := head(t, use); after != before {
		t.Fatalf("a refused request moved the head from %d to %d", before, after)
	}
}

// One input looks up at most 1000 targets named by entry id or position:
// each may read the whole log where no entity index runs. The line past
// the limit is told to give the event id.
func TestTargetLookupsAreBounded(t *testing.T) {
	use := openLedger(t)
	recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-1", 100))
	lines := make([]ledger.Line, 1001)
	for i := range lines {
		lines[i] = ledger.Line{Number: i + 1, Event: domain.Event{Type: domain.TypeEntryVoided, County: "150626",
			OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
			Data: domain.EntryVoided{Campaign: "general", TargetEventID: "D-1", Reason: "重复录入"}}}
	}
	recorded, err := use.RecordLines(context.Background(), lines, app.LinesOptions{Writing: app.Operator, DryRun: true})
	if !errors.Is(err, app.ErrInvalidLines) {
		t.Fatalf("1001 voids of D-1: %v", err)
	}
	if recorded.Invalid != 1 || recorded.Outcomes[999].Err != nil {
		t.Fatalf("%d lines invalid, line 1000: %v; want line 1001 alone", recorded.Invalid, recorded.Outcomes[999].Err)
	}
	last := targetRule(t, recorded.Outcomes[1000].Err, "data.target_event_id")
	if !strings.HasPrefix(last, "more than 1000 voids and corrections of one input name their target by entry id or log position") {
		t.Errorf("line 1001: %q, want the limit named", last)
	}
}
