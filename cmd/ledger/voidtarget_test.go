package main

import (
	"regexp"
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

	runLedger(t, "", "record", "void", "--data", data, "--target", entryID[2:], "--reason", "重复录入").
		expect(t, 2, "--target", "no event has the id "+entryID[2:], "ledger audit ENTRY-ID")
	runLedger(t, "", "record", "void", "--data", data, "--target", "7", "--reason", "重复录入").
		expect(t, 2, "--target", "log position 7 is not in the log", "ledger audit ENTRY-ID")
	runLedger(t, "", "record", "void", "--data", data, "--target", entryID, "--reason", "重复录入").
		expect(t, 0, "recorded entry_voided")
	runLedger(t, "", "audit", entryID, "--data", data).expect(t, 0, "voids "+eventID+": 重复录入")
	runLedger(t, "", "record", "void", "--data", data, "--target", "1", "--reason", "重复录入").
		expect(t, 1, "already voided")
}
