package reconcile_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/report"
)

// summaryOf is the summary part with the key.
func summaryOf(t *testing.T, result reconcile.Result, key string) reconcile.Summary {
	t.Helper()
	for _, summary := range result.Summaries() {
		if summary.Key == key {
			return summary
		}
	}
	t.Fatalf("no summary part %q", key)
	return reconcile.Summary{}
}

// unmatchedOf is the unmatched donation with the id, and whether it is
// listed.
func unmatchedOf(result reconcile.Result, id string) (reconcile.Donation, bool) {
	for _, donation := range result.UnmatchedDonations {
		if donation.DonationID == id {
			return donation, true
		}
	}
	return reconcile.Donation{}, false
}

// A line that pays part of a donation: the suggestion and the confirmed
// match say the part and the whole, and the donation stays among the
// unmatched with what no confirmed match covers: all of it while the
// suggestion waits, the rest once it is confirmed.
func TestMatchCoveringPartOfADonationSaysTheWholeAndLeavesTheRest(t *testing.T) {
	b := newBooks(t)
	// The statement's 45,000.00 line names D-SUM-02 (and two pledges the
	// ledger here does not hold); D-X-9 no line shows.
	b.record(
		received("D-SUM-02", "2022-summer-cooling", "伊金霍洛旗某矿业有限公司", "300000.00", 20),
		received("D-X-9", "general", "鄂尔多斯某科技有限公司", "1000.00", 20),
	)
	b.importFile("statement/testdata/icbc-2022-06.csv", "icbc", "")

	_, result := b.reconcile()
	var split *reconcile.Match
	for i, match := range result.Suggested {
		if match.Rule == reconcile.RuleSplit && donationsOf(match) == "D-SUM-02" {
			split = &result.Suggested[i]
		}
	}
	if split == nil {
		t.Fatalf("no split suggestion for D-SUM-02: %+v", result.Suggested)
	}
	if got := split.Donations[0]; got.Amount.String() != "45000.00" || got.Of.String() != "300000.00" {
		t.Errorf("split covers %s of %s, want 45000.00 of 300000.00", got.Amount, got.Of)
	}
	encoded, err := json.Marshal(split.Donations[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(encoded), `"amount":"45000.00"`) || !strings.Contains(string(encoded), `"of":"300000.00"`) {
		t.Errorf("JSON of the suggestion's donation: %s, want amount 45000.00 and of 300000.00", encoded)
	}
	// The suggestion covers nothing yet: all of the donation is still
	// recorded with no bank line.
	donation, listed := unmatchedOf(result, "D-SUM-02")
	if !listed || donation.Unmatched.String() != "300000.00" || donation.Amount.String() != "300000.00" {
		t.Errorf("before confirming: D-SUM-02 listed %v with %s of %s unmatched, want all 300000.00", listed, donation.Unmatched, donation.Amount)
	}
	if part := summaryOf(t, result, "unmatched_donations"); part.Count != 2 || part.Recorded.String() != "301000.00" {
		t.Errorf("before confirming: unmatched donations %d, %s recorded; want 2, 301000.00", part.Count, part.Recorded)
	}

	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: split.ID}); err != nil {
		t.Fatal(err)
	}
	_, after := b.reconcile()
	if len(after.Matched) != 1 || after.Matched[0].Donations[0].Amount.String() != "45000.00" || after.Matched[0].Donations[0].Of.String() != "300000.00" {
		t.Fatalf("after confirming, matched: %+v, want D-SUM-02's 45000.00 of 300000.00", after.Matched)
	}
	donation, listed = unmatchedOf(after, "D-SUM-02")
	if !listed || donation.Unmatched.String() != "255000.00" || donation.Amount.String() != "300000.00" {
		t.Errorf("after confirming: D-SUM-02 listed %v with %s of %s unmatched, want 255000.00 of 300000.00", listed, donation.Unmatched, donation.Amount)
	}
	if part := summaryOf(t, after, "unmatched_donations"); part.Count != 2 || part.Recorded.String() != "256000.00" {
		t.Errorf("after confirming: unmatched donations %d, %s recorded; want 2, 256000.00", part.Count, part.Recorded)
	}
	// The report and the export say the part and the whole too.
	var text, csv bytes.Buffer
	report.ReconciliationText(&text, after)
	for _, want := range []string{"D-SUM-02 ¥45,000.00 of ¥300,000.00", "D-SUM-02 ¥255,000.00 not in the bank of ¥300,000.00"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, text.String())
		}
	}
	if err := after.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{",D-SUM-02,2022-summer-cooling,45000.00,300000.00,", ",300000.00,255000.00,", "未到账捐赠 unmatched donations,2,,,,256000.00"} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("the CSV does not hold %q:\n%s", want, csv.String())
		}
	}
}
