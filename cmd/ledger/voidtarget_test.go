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
