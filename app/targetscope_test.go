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

// An entry id is unique within its campaign alone (general and the summer
// campaign may each have a D-1), and a void or correction is recorded in
// its target's campaign: what it names by entry id or log position is
// looked for in the campaign it names. A void in general of D-1 is
// general's D-1; one of D-7, which only the summer campaign has, or of the
// position of a summer entry, is refused in the words the clerk typed,
// never with the summer event's id; an entry id two events of the campaign
// carry lists those two alone. Before, the whole log was searched: the D-1
// void was refused as naming two events, and the D-7 one as "no entry
// <the summer event's id> in campaign general", an id the clerk never
// typed.
func TestAmendmentTargetIsLookedForInItsCampaign(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	const summer = "2022-summer-cooling"
	generalD1 := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-1", 100))
	summerD1 := recordedOne(t, use, eventstoretest.Donation(summer, "150602", "D-1", 200))
	summerD7 := recordedOne(t, use, eventstoretest.Donation(summer, "150602", "D-7", 300))
	pledge := eventstoretest.Donation("general", "150626", "D-3", 400)
	pledge.Type, pledge.Data = domain.TypeDonationPledged, domain.DonationPledged{DonationID: "D-3", Campaign: "general",
		DonorKind: "enterprise", DonorOrg: "某公司", Form: domain.FormMoney, Amount: 400}
	pledged := recordedOne(t, use, pledge)
	received := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-3", 400))
	summerD3 := recordedOne(t, use, eventstoretest.Donation(summer, "150602", "D-3", 500))
	voidOf := func(campaign, county, target string) domain.Event {
		return domain.Event{Type: domain.TypeEntryVoided, County: county, OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
			Data: domain.EntryVoided{Campaign: campaign, TargetEventID: target, Reason: "重复录入"}}
	}

	before := head(t, use)
	for _, refused := range []struct{ target, want string }{
		{"D-7", `no entry "D-7" in campaign general`},
		{"2", "log position 2 holds an event of another campaign, not of campaign general"},
		{"D-3", "entry D-3 has 2 events (position 4 donation_pledged " + pledged + ", position 5 donation_received " + received + ")"},
	} {
		_, err := use.RecordAs(ctx, []domain.Event{voidOf("general", "150626", refused.target)}, app.Writing{})
		rule := targetRule(t, err, "data.target_event_id")
		if !strings.HasPrefix(rule, refused.want) || !strings.HasSuffix(rule, app.TargetHint) {
			t.Errorf("a void in general of %s: %q, want %q and how to find the event id", refused.target, rule, refused.want)
		}
		for _, other := range []string{summerD1, summerD7, summerD3} {
			if strings.Contains(rule, other) {
				t.Errorf("a void in general of %s names the summer campaign's event %s: %q", refused.target, other, rule)
			}
		}
	}
	if after := head(t, use); after != before {
		t.Fatalf("refused voids moved the head from %d to %d", before, after)
	}

	results, err := use.RecordAs(ctx, []domain.Event{voidOf("general", "150626", "D-1")}, app.Writing{})
	if err != nil {
		t.Fatalf("a void in general of D-1: %v", err)
	}
	stored, err := use.Store().Get(ctx, results[0].Position)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.Event.Data.(domain.EntryVoided).TargetEventID; got != generalD1 {
		t.Fatalf("the void in general of D-1 names %s, want general's D-1 %s", got, generalD1)
	}
	replacement, _ := json.Marshal(domain.DonationReceived{DonationID: "D-1", Campaign: summer, DonorKind: "enterprise",
		DonorOrg: "某公司", Form: domain.FormMoney, Amount: 250})
	correction := domain.Event{Type: domain.TypeEntryCorrected, County: "150602", OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
		Data: &domain.EntryCorrected{Campaign: summer, TargetEventID: "D-1", Reason: "金额录入错误", Replacement: replacement}}
	recorded, err := use.RecordLines(ctx, []ledger.Line{{Number: 1, Event: correction}}, app.LinesOptions{Writing: app.Operator})
	if err != nil || recorded.Recorded != 1 {
		t.Fatalf("a correction in the summer campaign of D-1: %+v %v", recorded, err)
	}
	if got := recorded.Outcomes[0].Event.Data.(*domain.EntryCorrected).TargetEventID; got != summerD1 {
		t.Fatalf("the correction in the summer campaign of D-1 names %s, want the summer D-1 %s", got, summerD1)
	}
}

// The command line's void takes its campaign from its target, and looks in
// every campaign unless the clerk gives one: D-1 of two campaigns is then
// refused listing each with its campaign, and one campaign given tells
// them apart. A campaign given that has no such entry is named with the
// target, as the clerk's choice that may be wrong.
func TestVoidShortcutLooksInTheCampaignGiven(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	const summer = "2022-summer-cooling"
	generalD1 := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-1", 100))
	summerD1 := recordedOne(t, use, eventstoretest.Donation(summer, "150602", "D-1", 200))
	summerD7 := recordedOne(t, use, eventstoretest.Donation(summer, "150602", "D-7", 300))
	void := func(campaign, target string) (domain.Event, error) {
		return use.ShortcutEvent(ctx, app.Shortcut{Kind: "void", Campaign: campaign, Target: target, Reason: "重复录入", Actor: "clerk-test"})
	}

	_, err := void("", "D-1")
	rule := targetRule(t, err, "target")
	want := "entry D-1 has 2 events (position 1 donation_received " + generalD1 + " of general, position 2 donation_received " +
		summerD1 + " of " + summer + "); give the event id of the one you mean, or its campaign"
	if !strings.HasPrefix(rule, want) {
		t.Errorf("void --target D-1 of two campaigns: %q, want %q", rule, want)
	}
	for _, given := range []struct{ campaign, target, want, county string }{
		{summer, "D-1", summerD1, "150602"},
		{"general", "D-1", generalD1, "150626"},
		{"", "D-7", summerD7, "150602"},
	} {
		event, err := void(given.campaign, given.target)
		if err != nil {
			t.Fatalf("void --campaign %q --target %s: %v", given.campaign, given.target, err)
		}
		voided := event.Data.(domain.EntryVoided)
		if voided.TargetEventID != given.want || event.County != given.county {
			t.Errorf("void --campaign %q --target %s names %s in %s, want %s in %s", given.campaign, given.target,
				voided.TargetEventID, event.County, given.want, given.county)
		}
	}

	_, err = void("general", "D-7")
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 2 {
		t.Fatalf("void --campaign general --target D-7: %v, want the target and the campaign named", err)
	}
	if got := validation.Violations[0]; got.Field != "target" || !strings.HasPrefix(got.Rule, `no entry "D-7" in campaign general`) ||
		strings.Contains(got.Rule, summerD7) {
		t.Errorf("first violation %+v, want target: no entry D-7 in campaign general", got)
	}
	if got := validation.Violations[1]; got.Field != "campaign" || !strings.Contains(got.Rule, `is general, which has no "D-7"`) {
		t.Errorf("second violation %+v, want campaign: general has no D-7", got)
	}
}

// A void or correction sent again under its idempotency key is answered
// as the first one was, a duplicate, though what it names its target by
// has since come to name more: after a void of position 2 with a key, an
// entry "2" is recorded, and the void of "2" sent again is the first one,
// by the API's path, a file's and the command line's alike; so is a
// correction of position 1 after an entry "1". Before, the target was
// looked up again first and the retry refused as naming both position 2
// and entry 2. The same key with another reason is still refused as a key
// reused with other content.
func TestRetriedAmendmentIsAnsweredAsTheFirst(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-1", 100))
	second := recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-2", 200))
	recordedOne(t, use, eventstoretest.Donation("general", "150626", "D-3", 300))
	replacement, _ := json.Marshal(domain.DonationReceived{DonationID: "D-1", Campaign: "general", DonorKind: "enterprise",
		DonorOrg: "某公司", Form: domain.FormMoney, Amount: 150})
	correction := domain.Event{Type: domain.TypeEntryCorrected, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
		IdempotencyKey: "correct-pos-1", Data: &domain.EntryCorrected{Campaign: "general", TargetEventID: "1", Reason: "金额录入错误",
			Replacement: replacement}}
	corrected, err := use.RecordAs(ctx, []domain.Event{correction}, app.Writing{})
	if err != nil {
		t.Fatal(err)
	}
	void := domain.Event{Type: domain.TypeEntryVoided, County: "150626", OccurredAt: eventstoretest.Clock(), Actor: "clerk-test",
		IdempotencyKey: "void-pos-2", Data: domain.EntryVoided{Campaign: "general", TargetEventID: "2", Reason: "重复录入"}}
	first, err := use.RecordAs(ctx, []domain.Event{void}, app.Writing{})
	if err != nil {
		t.Fatal(err)
	}
	shortcut := app.Shortcut{Kind: "void", Target: "3", Reason: "重复录入", Actor: "clerk-test", Key: "void-pos-3",
		OccurredAt: "2022-06-20"}
	event, err := use.ShortcutEvent(ctx, shortcut)
	if err != nil {
		t.Fatal(err)
	}
	shortcutFirst, err := use.RecordLines(ctx, []ledger.Line{{Number: 1, Event: event}}, app.LinesOptions{Writing: app.Operator})
	if err != nil {
		t.Fatal(err)
	}
	recordedOne(t, use, eventstoretest.Donation("general", "150626", "1", 300))
	recordedOne(t, use, eventstoretest.Donation("general", "150626", "2", 400))
	recordedOne(t, use, eventstoretest.Donation("general", "150626", "3", 500))
	before := head(t, use)

	again, err := use.RecordAs(ctx, []domain.Event{void}, app.Writing{})
	if err != nil || !again[0].Duplicate || again[0].EventID != first[0].EventID {
		t.Fatalf("the void of position 2 sent again by the API's path: %+v %v, want the first %s as a duplicate", again, err, first[0].EventID)
	}
	lines, err := use.RecordLines(ctx, []ledger.Line{{Number: 1, Event: void}}, app.LinesOptions{Writing: app.Operator})
	if err != nil || lines.Duplicates != 1 || lines.Outcomes[0].Result.EventID != first[0].EventID {
		t.Fatalf("the void of position 2 sent again in a file: %+v %v, want the first as a duplicate", lines, err)
	}
	if got := lines.Outcomes[0].Event.Data.(domain.EntryVoided).TargetEventID; got != second {
		t.Errorf("the retry names %s, want the first void's target %s", got, second)
	}
	event, err = use.ShortcutEvent(ctx, shortcut)
	if err != nil {
		t.Fatalf("void --target 3 --key void-pos-3 again: %v", err)
	}
	lines, err = use.RecordLines(ctx, []ledger.Line{{Number: 1, Event: event}}, app.LinesOptions{Writing: app.Operator})
	if err != nil || lines.Duplicates != 1 || lines.Outcomes[0].Result.EventID != shortcutFirst.Outcomes[0].Result.EventID {
		t.Fatalf("void --target 3 --key void-pos-3 again: %+v %v, want the first as a duplicate", lines, err)
	}
	again, err = use.RecordAs(ctx, []domain.Event{correction}, app.Writing{})
	if err != nil || !again[0].Duplicate || again[0].EventID != corrected[0].EventID {
		t.Fatalf("the correction of position 1 sent again: %+v %v, want the first %s as a duplicate", again, err, corrected[0].EventID)
	}
	if after := head(t, use); after != before {
		t.Fatalf("retries moved the head from %d to %d", before, after)
	}

	other := void
	other.Data = domain.EntryVoided{Campaign: "general", TargetEventID: "2", Reason: "另一个原因"}
	if _, err := use.RecordAs(ctx, []domain.Event{other}, app.Writing{}); !errors.Is(err, domain.ErrIdempotencyKeyReused) {
		t.Fatalf("the key with another reason: %v, want it refused as reused", err)
	}
}
