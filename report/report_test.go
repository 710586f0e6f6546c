package report_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

func TestGroupDigits(t *testing.T) {
	for text, want := range map[string]string{
		"0.00": "0.00", "999.99": "999.99", "1000.00": "1,000.00", "5120000.00": "5,120,000.00", "-1234567.50": "-1,234,567.50",
	} {
		if got := report.GroupDigits(text); got != want {
			t.Errorf("GroupDigits(%q) = %q, want %q", text, got, want)
		}
	}
	if got := report.Yuan(domain.Money(512_000_000)); got != "5,120,000.00" {
		t.Errorf("Yuan(512000000 fen) = %q", got)
	}
}

// A table lines its columns up in terminal cells: a Chinese character
// takes two.
func TestTableAlignsChineseText(t *testing.T) {
	var out bytes.Buffer
	report.Table(&out, [][]string{{"地区 Region", "¥"}}, [][]string{{"乌审旗 Uxin", "1,000.00"}, {"City", "5.00"}})
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table = %q, want a header and two rows", out.String())
	}
	for _, line := range lines[1:] {
		if report.DisplayWidth(line) != report.DisplayWidth(lines[0]) {
			t.Errorf("row %q is %d cells wide, header %d", line, report.DisplayWidth(line), report.DisplayWidth(lines[0]))
		}
		if !strings.HasSuffix(line, "1,000.00") && !strings.HasSuffix(line, "    5.00") {
			t.Errorf("row %q: the amount is not right aligned", line)
		}
	}
	if report.DisplayWidth("乌审旗 Uxin") != 11 {
		t.Errorf("DisplayWidth(乌审旗 Uxin) = %d, want 11", report.DisplayWidth("乌审旗 Uxin"))
	}
}

func TestTotalsTableSaysWhatItCounts(t *testing.T) {
	answer := projections.Answer{Position: 42, Tree: &projections.TreeStamp{Size: 42, Root: "abc"},
		Rows: []projections.Row{{County: "150626", Figures: projections.Figures{Received: 500_000}}},
		All:  []projections.Row{{County: projections.AllRegions, Figures: projections.Figures{Received: 500_000}}}}
	var out bytes.Buffer
	report.TotalsTable(&out, answer, func(code string) string { return "乌审旗 " + code }, "2022-06-30", "")
	text := out.String()
	for _, want := range []string{"收到捐款", "received", "乌审旗 150626", "合计 All", "5,000.00", "As of log position 42 (tree size 42, root abc); entries that occurred by 2022-06-30."} {
		if !strings.Contains(text, want) {
			t.Errorf("totals table lacks %q:\n%s", want, text)
		}
	}
	out.Reset()
	if err := report.TotalsCSV(&out, answer, func(code string) string { return code }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "150626,150626,,0.00,5000.00,") || !strings.HasPrefix(out.String(), "# log position,42,tree root,abc\n") {
		t.Errorf("totals CSV = %q", out.String())
	}
}

// WriteTotals writes each format it names, JSON as the answer itself, and
// refuses one it does not know.
func TestWriteTotalsInEachFormat(t *testing.T) {
	answer := projections.Answer{Position: 42, Rows: []projections.Row{{County: "150626", Figures: projections.Figures{Received: 500_000}}}}
	name := func(code string) string { return code }
	for _, format := range report.TotalsFormats {
		var out bytes.Buffer
		if err := report.WriteTotals(&out, answer, name, format, "", ""); err != nil || out.Len() == 0 {
			t.Errorf("format %s: %v, wrote %d bytes", format, err, out.Len())
		}
		if format != "json" {
			continue
		}
		var decoded projections.Answer
		if err := json.Unmarshal(out.Bytes(), &decoded); err != nil || decoded.Position != 42 || len(decoded.Rows) != 1 {
			t.Errorf("JSON %s does not read back as the answer: %v", out.String(), err)
		}
	}
	if err := report.WriteTotals(io.Discard, answer, name, "xml", "", ""); err == nil {
		t.Error("format xml was written")
	}
}

// The totals CSV's text cells (region code, name, period) cannot be run as
// formulas, whatever a region is named; its figures stay numbers, a
// negative balance included.
func TestTotalsCSVCarriesNoFormula(t *testing.T) {
	answer := projections.Answer{Position: 1,
		Rows: []projections.Row{{County: "150626", Period: "2022-06", Figures: projections.Figures{Spent: 500}}}}
	var out bytes.Buffer
	if err := report.TotalsCSV(&out, answer, func(string) string { return `=HYPERLINK("http://evil.example","旗")` }); err != nil {
		t.Fatal(err)
	}
	want := `150626,"'=HYPERLINK(""http://evil.example"",""旗"")",2022-06,0.00,0.00,0.00,0.00,0.00,5.00,-5.00,`
	if !strings.Contains(out.String(), want) {
		t.Errorf("totals CSV =\n%s\nwant a row starting\n%s", out.String(), want)
	}
}

// A trace's text says where a donation's money went through the pots (the
// allocations, what it paid and through which allocation, what is left
// in which pot) and, for a spending, where each donation was received and
// which allocations brought its money.
func TestTraceTextFollowsThePots(t *testing.T) {
	name := func(code string) string {
		return map[string]string{"150626": "乌审旗", "150622": "准格尔旗"}[code]
	}
	via := []projections.Hop{{AllocationID: "A-UJ", FromCounty: "150626", ToCounty: "150622"}}
	paid := projections.Funded{DonationID: "D-R1", EntityID: "V-J1", Type: "supplies_delivered", County: "150622", Amount: 7549,
		Rule: projections.RuleFIFO, DonationCounty: "150626", Via: via}
	trace := &projections.Trace{Campaign: "2022-summer-cooling", Position: 5,
		Donation: &projections.DonationFlow{DonationID: "D-R1", County: "150626", Received: 500000, Paid: []projections.Funded{paid},
			Allocated: []projections.Allocated{{Hop: via[0], Amount: 100000}},
			Unspent:   []projections.PotShare{{County: "150622", Amount: 92451}, {County: "150626", Amount: 400000}}, Remaining: 492451},
		Spending: &projections.SpendingFlow{EntityID: "V-J1", Type: "supplies_delivered", County: "150622", Amount: 7549, FundedBy: []projections.Funded{paid}}}
	var out bytes.Buffer
	report.TraceText(&out, trace, name)
	for _, want := range []string{
		"Donation D-R1 received ¥5,000.00 in 乌审旗",
		"1,000.00  A-UJ                     乌审旗 → 准格尔旗",
		"75.49  supplies_delivered   V-J1                     准格尔旗 (fifo) via A-UJ (乌审旗 → 准格尔旗)",
		"924.51  not yet spent, in 准格尔旗",
		"4,000.00  not yet spent, in 乌审旗",
		"75.49  D-R1                     (fifo) received in 乌审旗 via A-UJ (乌审旗 → 准格尔旗)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("trace text lacks %q:\n%s", want, out.String())
		}
	}
}
