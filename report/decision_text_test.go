package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
	"github.com/ordos-union/ledger/report"
)

// A decision and a period's change are said in words, then the event that
// records them and where; never "recorded written off" or "recorded
// fee_written_off".
func TestDecisionTextSaysWhatWasDecided(t *testing.T) {
	id := uuid.MustParse("01a2312f-db08-70ac-8c4a-2184386558bd")
	result := ledger.Result{EventID: id, Position: 12}
	for _, test := range []struct {
		data domain.Payload
		want string
	}{
		{domain.MatchConfirmed{MatchID: "S-1", Fee: 1000}, "confirmed match S-1, with the bank fee of ¥10.00 deducted on the way (match_confirmed, event " + id.String() + ", position 12)"},
		{domain.MatchConfirmed{MatchID: "S-2"}, "confirmed match S-2 (match_confirmed, event " + id.String() + ", position 12)"},
		{domain.MatchRejected{SuggestionID: "S-3"}, "rejected S-3: the same lines are not matched to the same donations again (match_rejected, event " + id.String() + ", position 12)"},
		{domain.FeeWrittenOff{LineID: "L-1", Amount: 1500}, "wrote off ¥15.00 of line L-1 as a bank fee (fee_written_off, event " + id.String() + ", position 12)"},
		{domain.LineWrittenOff{LineID: "L-2", Amount: 8888}, "wrote off line L-2: ¥88.88 explained without a donation (bank_line_written_off, event " + id.String() + ", position 12)"},
		{domain.RefundPaired{ReturnedLine: "L-3", RefundLine: "L-4", Amount: 123456}, "paired line L-3 with line L-4, which sends its ¥1,234.56 back (refund_paired, event " + id.String() + ", position 12)"},
		{domain.DecisionUndone{DecisionEventID: "E-1"}, "undid decision E-1 (decision_undone, event " + id.String() + ", position 12)"},
		{domain.PeriodClosed{Month: "2022-06"}, "closed 2022-06 (period_closed, event " + id.String() + ", position 12)"},
		{domain.PeriodReopened{Month: "2022-06"}, "reopened 2022-06 (period_reopened, event " + id.String() + ", position 12)"},
	} {
		var out bytes.Buffer
		report.DecisionText(&out, domain.Event{Type: test.data.EventType(), Data: test.data}, result)
		if got := strings.TrimSuffix(out.String(), "\n"); got != test.want {
			t.Errorf("%s:\n got %s\nwant %s", test.data.EventType(), got, test.want)
		}
	}
}

// One of a thing is said in the singular: "1 line imported", "1 day".
func TestReconciliationTextSaysOneInTheSingular(t *testing.T) {
	for n, want := range map[int]string{0: "0 lines", 1: "1 line", 2: "2 lines"} {
		if got := report.Counted(n, "line", "lines"); got != want {
			t.Errorf("Counted(%d) = %q, want %q", n, got, want)
		}
	}
	header := domain.StatementHeader{Account: "icbc", FirstDate: "2022-06-01", LastDate: "2022-06-30"}
	var out bytes.Buffer
	report.ImportText(&out, "june.csv", statement.Statement{Format: "csv"}, reconcile.ImportResult{ImportPlan: reconcile.ImportPlan{StatementHeader: header}, Written: 1}, false)
	report.ImportText(&out, "june.csv", statement.Statement{Format: "csv"},
		reconcile.ImportResult{ImportPlan: reconcile.ImportPlan{StatementHeader: header, New: []reconcile.PlannedLine{{}}}}, true)
	for _, want := range []string{": 1 line imported, 0 already in the ledger", ": 1 line would be imported, 0 already"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the import says %q, want %q in it", out.String(), want)
		}
	}

	day := time.Date(2022, 6, 7, 0, 0, 0, 0, domain.Beijing)
	result := reconcile.Result{
		Fees: []reconcile.Fee{{LineID: "L-1", Date: day, Amount: 1000, Source: "match", MatchID: "S-1", DecidedBy: "E-1"},
			{LineID: "L-2", Date: day, Amount: 1500, Source: "write-off", DecidedBy: "E-2"}},
		Outstanding: []reconcile.Outstanding{{Donation: reconcile.Donation{DonationID: "P-1", Date: day, Amount: 100, Donor: "某公司"}, AgeDays: 1, Bucket: reconcile.Bucket0to30}},
	}
	out.Reset()
	report.ReconciliationText(&out, result)
	text := out.String()
	for _, want := range []string{"¥10.00  deducted from the donation on its way, recorded with match S-1 [event E-1]",
		"¥15.00  charged on a line of its own, written off [event E-2]", "P-1 ¥1.00 某公司, 1 day (0-30)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "recorded written off") || strings.Contains(text, "1 days") {
		t.Errorf("the report still says it the old way:\n%s", text)
	}
}
