package main

import (
	"regexp"
	"strings"
	"testing"
)

// A clerk finds what a void needs in what the ledger shows: ledger events
// and ledger audit print each event's id, and record void takes it, or the
// entry id, or the log position. A target that names nothing says how to
// find the event id. Before, the listings showed the entry id and the
// position only, and record void refused both as "not an event id (a
// UUID)".
func TestEndToEndClerkVoidsWhatTheListingShows(t *testing.T) {
	data := t.TempDir()
	recorded := runLedger(t, "", "record", "donation", "--data", data, "--campaign", "general", "--county", "150626",
		"--amount", "50.00", "--donor-org", "某公司", "--occurred-at", "2022-06-10")
	recorded.expect(t, 0, "recorded donation_received")
	eventID := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindString(recorded.stdout)
	listed := runLedger(t, "", "events", "--data", data)
	listed.expect(t, 0, "     1  "+eventID+"  2022-06-10 00:00  donation_received")
	entryID := regexp.MustCompile(`D-[0-9a-f-]{36}`).FindString(listed.stdout)
	if entryID == "" {
		t.Fatalf("no entry id listed:\n%s", listed.stdout)
	}
	runLedger(t, "", "audit", entryID, "--data", data).expect(t, 0, "     1  "+eventID+"  recorded ")

	// A target the ledger does not hold is a refusal (exit 1) naming
	// --target, not a usage error: the command was called right.
	for _, target := range []string{entryID[2:], "7", "D-NOPE"} {
		refused := runLedger(t, "", "record", "void", "--data", data, "--target", target, "--reason", "重复录入")
		refused.expect(t, 1, "ledger record void: --target: ", "ledger audit ENTRY-ID")
		if strings.Contains(refused.stderr, "--help") || strings.Contains(refused.stderr, "rejected") {
			t.Errorf("--target %s: a refusal points to the help, or says the sentinel:\n%s", target, refused.stderr)
		}
	}
	runLedger(t, "", "record", "void", "--data", data, "--target", entryID[2:], "--reason", "重复录入").
		expect(t, 1, "no event has the id "+entryID[2:])
	runLedger(t, "", "record", "void", "--data", data, "--target", "7", "--reason", "重复录入").
		expect(t, 1, "log position 7 is not in the log")
	// Called wrong stays a usage error: a missing or malformed --target.
	runLedger(t, "", "record", "void", "--data", data, "--reason", "重复录入").expect(t, 2, "--target is required", "--help")
	runLedger(t, "", "record", "void", "--data", data, "--target", strings.Repeat("D", 65), "--reason", "重复录入").
		expect(t, 2, "--target is 65 bytes", "--help")
	runLedger(t, "", "record", "void", "--data", data, "--target", entryID, "--reason", "重复录入").
		expect(t, 0, "recorded entry_voided")
	runLedger(t, "", "audit", entryID, "--data", data).expect(t, 0, "voids "+eventID+": 重复录入")
	// Voided already: said with the entry's id, in words.
	runLedger(t, "", "record", "void", "--data", data, "--target", "1", "--reason", "重复录入").
		expect(t, 1, "--target: entry "+entryID+" (event "+eventID+") was already voided by event ")
	voidID := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindString(
		runLedger(t, "", "events", "--data", data, "--type", "entry_voided").stdout)
	runLedger(t, "", "record", "void", "--data", data, "--target", voidID, "--reason", "重复录入").
		expect(t, 1, "--target: event "+voidID+" is a void of entry "+entryID+" (event "+eventID+"), not an entry")
}

// voidableDonation records a donation of 50.00 with the ledger in data
// and returns its event id.
func voidableDonation(t *testing.T, data, campaign, county, id string) string {
	t.Helper()
	recorded := runLedger(t, "", "record", "donation", "--data", data, "--campaign", campaign, "--county", county, "--donation-id", id,
		"--amount", "50.00", "--donor-org", "某公司", "--occurred-at", "2022-06-10")
	recorded.expect(t, 0, "recorded donation_received")
	return strings.Fields(recorded.stdout)[2]
}

// record void looks for the entry --target names in every campaign unless
// --campaign gives one: D-1 of two campaigns is refused naming each with
// its campaign, and --campaign tells them apart; --campaign general with
// D-7, which only the summer campaign has, is refused naming both flags.
// Before, --campaign changed nothing: D-1 was refused as naming two events
// whatever it said. Both refusals are of what the ledger holds, so they
// fail (exit 1), naming the flags, rather than calling the usage wrong.
func TestEndToEndVoidTargetInTheCampaignGiven(t *testing.T) {
	data := t.TempDir()
	voidableDonation(t, data, "general", "150626", "D-1")
	summerD1 := voidableDonation(t, data, "2022-summer-cooling", "150602", "D-1")
	voidableDonation(t, data, "2022-summer-cooling", "150602", "D-7")

	runLedger(t, "", "record", "void", "--data", data, "--target", "D-1", "--reason", "重复录入").
		expect(t, 1, "--target", "entry D-1 has 2 events", " of general, ", " of 2022-summer-cooling)", "or its --campaign")
	runLedger(t, "", "record", "void", "--data", data, "--target", "D-7", "--campaign", "general", "--reason", "重复录入").
		expect(t, 1, `no entry "D-7" in campaign general`, `--campaign`, `is general, which has no "D-7"`)
	runLedger(t, "", "record", "void", "--data", data, "--target", "D-1", "--campaign", "2022-summer-cooling", "--reason", "重复录入").
		expect(t, 0, "recorded entry_voided")
	runLedger(t, "", "events", "--json", "--data", data).expect(t, 0, `"target_event_id":"`+summerD1+`"`)
}

// The void's refusals name the flags the clerk gives, in their rules'
// texts too: an ambiguous id asks for the event id or --campaign, a void
// of a closed month's entry asks for --closed-period, and a --campaign
// the catalog does not list is a usage error naming it, not a campaign
// without the entry. Before, they said "or its campaign", "name it in
// closed_period" and `no entry "D-1" in campaign nope`.
func TestEndToEndVoidRefusalsNameTheFlags(t *testing.T) {
	data := t.TempDir()
	voidableDonation(t, data, "general", "150626", "D-1")
	voidableDonation(t, data, "2022-summer-cooling", "150602", "D-1")
	runLedger(t, "", "record", "void", "--data", data, "--target", "D-1", "--reason", "重复录入").
		expect(t, 1, "give the event id of the one you mean, or its --campaign")
	unknown := runLedger(t, "", "record", "void", "--data", data, "--target", "D-1", "--campaign", "nope", "--reason", "重复录入")
	unknown.expect(t, 2, `--campaign must be a campaign code of the catalog: there is no campaign "nope"`)
	if strings.Contains(unknown.stderr, "no entry") {
		t.Errorf("an unknown campaign is refused as one without the entry:\n%s", unknown.stderr)
	}
	runLedger(t, "", "period", "close", "2022-06", "--data", data).expect(t, 0, "period_closed")
	closed := runLedger(t, "", "record", "void", "--data", data, "--target", "D-1", "--campaign", "general", "--reason", "重复录入")
	closed.expect(t, 1, `--closed-period: the voided entry occurred in 2022-06, a closed month`, `name it in --closed-period ("2022-06")`)
	if strings.Contains(closed.stderr, "closed_period") {
		t.Errorf("the refusal names the API field:\n%s", closed.stderr)
	}
}

// A void repeated with its --key is the first one, already recorded,
// though the position it names has since come to be an entry's id too.
// Before, the repeated void was refused as naming two events.
func TestEndToEndVoidRepeatedWithItsKey(t *testing.T) {
	data := t.TempDir()
	voidableDonation(t, data, "general", "150626", "D-1")
	retry := []string{"record", "void", "--data", data, "--target", "1", "--key", "void-position-1", "--occurred-at", "2022-06-20",
		"--reason", "重复录入"}
	first := runLedger(t, "", retry...)
	first.expect(t, 0, "recorded entry_voided")
	voidableDonation(t, data, "general", "150626", "1")
	runLedger(t, "", retry...).expect(t, 0, "already recorded entry_voided "+strings.Fields(first.stdout)[2])
}
