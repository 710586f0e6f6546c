package reconcile_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/report"
)

// The summary's money columns add up to the statement: In to its credits
// and Out to its debits, in the result, the XLSX and the CSV. A fee
// deducted from a donation on its way, and a charge written off, are bank
// fees in the fees column and nowhere else but where the charge's line is
// (written off); a charge written off in part counts its written-off part
// there and the rest with the unmatched lines; donations and pledges no
// line shows are recorded money, not money in.
func TestSummaryColumnsAddUpToTheStatement(t *testing.T) {
	b := newBooks(t)
	b.record(
		received("D-COL-1", "2022-summer-cooling", "内蒙古某能源集团有限公司", "30000.00", 6),
		received("D-COL-2", "general", "准格尔旗某物流有限公司", "5000.00", 15),
		received("D-COL-3", "general", "东胜区某商贸有限公司", "3000.00", 16),
		pledged("P-COL-1", "general", "达拉特旗某电力有限公司", "8000.00", 1),
	)
	lines := []statementLine{
		// D-COL-1 less a bank fee of 10.00: a partial-fee match.
		{"2022-06-07", "COL-0001", "夏送清凉捐款", "内蒙古某能源集团有限公司", "0602000100000000001", "29990.00"},
		// A charge, written off whole as a fee.
		{"2022-06-08", "COL-0002", "账户管理费", "", "", "-15.00"},
		// Money sent in error and sent back: a refund pair.
		{"2022-06-10", "COL-0003", "转账", "张某某", "6222020000000000001", "1234.56"},
		{"2022-06-12", "COL-0004", "退回误转款", "张某某", "6222020000000000001", "-1234.56"},
		// D-COL-2, left a suggestion.
		{"2022-06-15", "COL-0005", "捐款", "准格尔旗某物流有限公司", "", "5000.00"},
		// Interest, written off.
		{"2022-06-21", "COL-0006", "结息", "", "", "88.88"},
		// A payment of which 15.00 is written off as a fee; 85.00 is left.
		{"2022-06-22", "COL-0007", "转账支出", "某供应商", "", "-100.00"},
	}
	// What the bank says moved: the credits and debits of the statement.
	var credits, debits domain.Money
	for _, line := range lines {
		amount, err := domain.ParseYuan(line.amount)
		if err != nil {
			t.Fatal(err)
		}
		if amount < 0 {
			debits -= amount
		} else {
			credits += amount
		}
	}
	if _, err := b.importData("june.csv", statementCSV(t, "1000.00", lines, true), "icbc", reconcile.ImportRequest{Actor: "finance"}); err != nil {
		t.Fatal(err)
	}
	book, result := b.reconcile()
	lineID := map[string]string{}
	for _, line := range book.Lines {
		lineID[line.Serial] = line.LineID
	}
	suggestion := func(rule string) string {
		t.Helper()
		for _, match := range result.Suggested {
			if match.Rule == rule {
				return match.ID
			}
		}
		t.Fatalf("no %s suggestion in %+v", rule, result.Suggested)
		return ""
	}
	fifteen := yuan(t, "15.00")
	for _, request := range []reconcile.DecisionRequest{
		{Action: reconcile.ActionConfirm, ID: suggestion(reconcile.RulePartialFee)},
		{Action: reconcile.ActionConfirm, ID: suggestion(reconcile.RuleRefundPair)},
		{Action: reconcile.ActionWriteOff, ID: lineID["COL-0002"], Reason: "账户管理费"},
		{Action: reconcile.ActionWriteOff, ID: lineID["COL-0006"], Reason: "活期结息"},
		{Action: reconcile.ActionWriteOff, ID: lineID["COL-0007"], Reason: "汇款手续费", Amount: &fifteen},
	} {
		if err := b.decide(request); err != nil {
			t.Fatalf("%s %s: %v", request.Action, request.ID, err)
		}
	}
	_, result = b.reconcile()

	type figures struct {
		count                   int
		in, out, fees, recorded string
	}
	want := map[string]figures{
		"matched":             {1, "29990.00", "0.00", "0.00", "0.00"},
		"suggested":           {1, "5000.00", "0.00", "0.00", "0.00"},
		"voided_matches":      {0, "0.00", "0.00", "0.00", "0.00"},
		"unmatched_lines":     {1, "0.00", "85.00", "0.00", "0.00"},
		"unmatched_donations": {1, "0.00", "0.00", "0.00", "3000.00"},
		"refunds":             {1, "1234.56", "1234.56", "0.00", "0.00"},
		// 10.00 deducted on the way, 15.00 charged, 15.00 of a payment.
		"fees":                {3, "0.00", "0.00", "40.00", "0.00"},
		"written_off":         {3, "88.88", "30.00", "0.00", "0.00"},
		"printed_twice":       {0, "0.00", "0.00", "0.00", "0.00"},
		"duplicates":          {0, "0.00", "0.00", "0.00", "0.00"},
		"outstanding_pledges": {1, "0.00", "0.00", "0.00", "8000.00"},
	}
	var in, out domain.Money
	for _, summary := range result.Summaries() {
		in, out = in+summary.In, out+summary.Out
		got := figures{summary.Count, summary.In.String(), summary.Out.String(), summary.Fees.String(), summary.Recorded.String()}
		if got != want[summary.Key] {
			t.Errorf("%s: %+v, want %+v", summary.Key, got, want[summary.Key])
		}
	}
	if in != credits || out != debits {
		t.Errorf("the summary's In adds up to %s and Out to %s; the statement's credits are %s and debits %s", in, out, credits, debits)
	}

	// The workbook's summary sheet: a spreadsheet's SUM of each money
	// column is the statement's figure, and the fees are a column apart.
	var workbook bytes.Buffer
	if err := result.WriteXLSX(&workbook); err != nil {
		t.Fatal(err)
	}
	file, err := excelize.OpenReader(&workbook)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	const sheet = "汇总 Summary"
	rows, err := file.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for column, figure := range map[string]domain.Money{"C": credits, "D": debits, "E": yuan(t, "40.00"), "F": yuan(t, "11000.00")} {
		if err := file.SetCellFormula(sheet, "H1", "SUM("+column+"2:"+column+strconv.Itoa(len(rows))+")"); err != nil {
			t.Fatal(err)
		}
		total, err := file.CalcCellValue(sheet, "H1")
		if err != nil {
			t.Fatal(err)
		}
		if summed, err := domain.ParseYuan(total); err != nil || summed != figure {
			t.Errorf("SUM of column %s (%s) is %s, want %s", column, rows[0][map[string]int{"C": 2, "D": 3, "E": 4, "F": 5}[column]], total, figure)
		}
	}

	// The CSV's summary rows, and the text report's: the fees in their
	// column, the written-off charges' money out once.
	var csv bytes.Buffer
	if err := result.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"汇总 Summary,手续费 fees,3,,,40.00,", "汇总 Summary,已核销 written off,3,88.88,30.00,,",
		"汇总 Summary,未到账捐赠 unmatched donations,1,,,,3000.00"} {
		if !strings.Contains(csv.String(), row+"\n") && !strings.Contains(csv.String(), row+"\r\n") {
			t.Errorf("the CSV has no row %q:\n%s", row, csv.String())
		}
	}
	var text bytes.Buffer
	report.ReconciliationText(&text, result)
	for _, row := range [][]string{{"手续费", "fees", "3", "40.00"}, {"已核销", "written", "off", "3", "88.88", "30.00"},
		{"退回", "refunds", "1", "1,234.56", "1,234.56"}, {"未匹配流水", "unmatched", "lines", "1", "0.00", "85.00"}} {
		if !textHasRow(text.String(), row) {
			t.Errorf("the text report has no row %v:\n%s", row, text.String())
		}
	}
}

// textHasRow reports whether a line of a text table holds exactly these
// fields.
func textHasRow(text string, fields []string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}

func yuan(t *testing.T, text string) domain.Money {
	t.Helper()
	money, err := domain.ParseYuan(text)
	if err != nil {
		t.Fatal(err)
	}
	return money
}

// Over a bank's own month (a row printed twice, a charge, a refund,
// pledges and a donation the bank never saw), the summary's money columns
// add up to the footer the bank printed, 合计 debits 2,015.00 and credits
// 1,013,666.66, before the charge is written off as a fee and after.
func TestSummaryColumnsAddUpToTheBanksFooter(t *testing.T) {
	b := newBooks(t)
	b.june()
	b.importFile(icbcPath, "icbc", "")
	credits, debits := yuan(t, "1013666.66"), yuan(t, "2015.00")
	check := func(when string, result reconcile.Result) {
		t.Helper()
		var in, out domain.Money
		for _, summary := range result.Summaries() {
			in, out = in+summary.In, out+summary.Out
		}
		if in != credits || out != debits {
			t.Errorf("%s: the summary's In adds up to %s and Out to %s; the footer says credits %s and debits %s", when, in, out, credits, debits)
		}
	}
	_, result := b.reconcile()
	check("before the decisions", result)
	if len(result.PrintedTwice) != 1 || len(result.Outstanding) == 0 || len(result.UnmatchedDonations) == 0 {
		t.Fatalf("the month lacks a part the check is about: %d printed twice, %d pledges, %d unmatched donations",
			len(result.PrintedTwice), len(result.Outstanding), len(result.UnmatchedDonations))
	}
	charged := false
	for _, match := range result.Suggested {
		if match.Rule == reconcile.RuleFee {
			if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: match.ID}); err != nil {
				t.Fatal(err)
			}
			charged = true
		}
	}
	if !charged {
		t.Fatalf("no fee suggestion for the charge: %+v", result.Suggested)
	}
	_, result = b.reconcile()
	if len(result.Fees) != 1 || len(result.WrittenOff) != 1 {
		t.Fatalf("the charge is not written off as a fee: fees %+v, written off %+v", result.Fees, result.WrittenOff)
	}
	check("after the charge is written off", result)
}
