package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
)

// These tests walk through a finance clerk's month: statements imported
// again and overlapping, references quoted in remarks, refunds, fees,
// footers and pledges aged at the close.

const icbcPath = "statement/testdata/icbc-2022-06.csv"

// statementLine is one row of a statement made in a test.
type statementLine struct {
	date, serial, remark, counterparty, account, amount string
}

// statementCSV writes an ICBC-style statement (UTF-8) that opens at opening
// yuan; the running balance is computed in fen.
func statementCSV(t *testing.T, opening string, lines []statementLine, footer bool) []byte {
	t.Helper()
	balance, err := domain.ParseYuan(opening)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.WriteString("账号: 0602 0011 0900 0012 345\n")
	out.WriteString("交易日期,交易流水号,摘要,对方户名,对方账号,借方发生额,贷方发生额,余额\n")
	var in, paid domain.Money
	for _, line := range lines {
		amount, err := domain.ParseYuan(line.amount)
		if err != nil {
			t.Fatal(err)
		}
		balance += amount
		debit, credit := "", ""
		if amount < 0 {
			debit, paid = (-amount).String(), paid-amount
		} else {
			credit, in = amount.String(), in+amount
		}
		fmt.Fprintf(&out, "%s,%s,%s,%s,%s,%s,%s,%s\n", line.date, line.serial, line.remark, line.counterparty, line.account, debit, credit, balance)
	}
	if footer {
		fmt.Fprintf(&out, "合计,,,,,%s,%s,\n", paid, in)
	}
	return []byte(out.String())
}

func headOf(t *testing.T, b *books) uint64 {
	t.Helper()
	head, err := b.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// The same statement imported under another file name, saved as UTF-8, or
// by another clerk writes nothing at all; the first import is recorded once,
// with who brought which file.
func TestReimportInAnyNameEncodingOrByAnyClerkWritesNothing(t *testing.T) {
	b := newBooks(t)
	b.june()
	first := b.importFile(icbcPath, "icbc", "")
	if first.Written != 12 {
		t.Fatalf("first import wrote %d lines, want 12", first.Written)
	}
	head := headOf(t, b)
	gbk, err := os.ReadFile(icbcPath)
	if err != nil {
		t.Fatal(err)
	}
	utf8, err := simplifiedchinese.GBK.NewDecoder().Bytes(gbk)
	if err != nil {
		t.Fatal(err)
	}
	for _, again := range []struct {
		name  string
		data  []byte
		actor string
	}{
		{"六月流水-副本.csv", gbk, "finance"},
		{"icbc-2022-06-utf8.csv", utf8, "finance"},
		{icbcPath, gbk, "another-clerk"},
	} {
		result, err := b.importData(again.name, again.data, "icbc", reconcile.ImportRequest{Actor: again.actor})
		if err != nil {
			t.Fatalf("%s by %s: %v", again.name, again.actor, err)
		}
		if result.Written != 0 || len(result.New) != 0 || len(result.Already) != 12 {
			t.Fatalf("%s by %s: %d written, %d new, %d already there", again.name, again.actor, result.Written, len(result.New), len(result.Already))
		}
		if after := headOf(t, b); after != head {
			t.Fatalf("%s by %s moved the log from %d to %d", again.name, again.actor, head, after)
		}
	}
	book, _ := b.reconcile()
	if len(book.Imports) != 1 || book.Imports[0].Actor != "finance" || book.Imports[0].File != icbcPath ||
		len(book.Imports[0].Lines) != 12 || len(book.Imports[0].PrintedTwice) != 1 {
		t.Fatalf("provenance: %+v", book.Imports)
	}
}

// A statement that overlaps the last one (the last days of June again in
// July's export) adds exactly its new lines, once the balances agree over
// the overlap; a statement whose opening balance disagrees with the ledger
// says where, and writes nothing unless the gap is accepted.
func TestOverlappingStatementAddsExactlyItsNewLines(t *testing.T) {
	b := newBooks(t)
	b.june()
	b.importFile(icbcPath, "icbc", "")
	// The June fixture's last two lines (serials as printed), then July.
	july := []statementLine{
		{"2022-06-28", "202206280011236", "工会会员爱心捐款", "东胜区某餐饮管理有限公司", "0602000809000055321", "6666.66"},
		{"2022-06-29", "202206290044310", "金秋助学捐款 D-EDU-06", "内蒙古某能源集团有限责任公司", "0602001209000088123", "50000.00"},
		{"2022-07-04", "202207040000101", "夏送清凉捐款", "鄂尔多斯某新材料有限公司", "0602000100000000001", "20000.00"},
		{"2022-07-05", "202207050000102", "手续费", "", "", "-10.00"},
	}
	head := headOf(t, b)
	result, err := b.importData("icbc-2022-07.csv", statementCSV(t, "2241415.25", july, true), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil {
		t.Fatalf("overlapping import: %v", err)
	}
	if result.Written != 2 || len(result.Already) != 2 || !result.BalanceChecked {
		t.Fatalf("overlap: %d written, %d already there, balance checked %v; want 2, 2, true", result.Written, len(result.Already), result.BalanceChecked)
	}
	// Two line events and one statement_imported.
	if after := headOf(t, b); after != head+3 {
		t.Fatalf("the log moved from %d to %d, want 3 events", head, after)
	}

	// August, but it opens at a balance the ledger never had.
	august := []statementLine{{"2022-08-02", "202208020000201", "捐款", "某公司", "0602000100000000009", "100.00"}}
	head = headOf(t, b)
	_, err = b.importData("icbc-2022-08.csv", statementCSV(t, "1.00", august, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || !strings.Contains(err.Error(), "opens at 1.00") || !strings.Contains(err.Error(), "2318071.91") ||
		!strings.Contains(err.Error(), "202207050000102") {
		t.Fatalf("a balance gap: %v", err)
	}
	if after := headOf(t, b); after != head {
		t.Fatalf("a refused import moved the log from %d to %d", head, after)
	}
	accepted, err := b.importData("icbc-2022-08.csv", statementCSV(t, "1.00", august, false), "icbc",
		reconcile.ImportRequest{Actor: "finance", AcceptBalanceGap: true})
	if err != nil || accepted.Written != 1 || len(accepted.Warnings) != 1 {
		t.Fatalf("an accepted gap: %+v, %v", accepted, err)
	}
	book, _ := b.reconcile()
	last := book.Imports[len(book.Imports)-1]
	if len(last.Warnings) != 1 || !strings.Contains(last.Warnings[0], "opens at 1.00") {
		t.Fatalf("the accepted gap is not recorded with the import: %+v", last.Warnings)
	}

	// A line the ledger has, printed with another balance, is refused.
	changed := append([]statementLine{}, july[2:]...)
	_, err = b.importData("icbc-2022-07-again.csv", statementCSV(t, "2298081.92", changed, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err == nil || !strings.Contains(err.Error(), "the balance after it is") {
		t.Fatalf("a line with another balance: %v", err)
	}
}

// A donation's bank reference quoted among the words of the remark matches
// at once when the amounts agree; with an amount short by a fee it is a
// suggestion that says why.
func TestReferenceQuotedInTheRemarkMatchesAtOnce(t *testing.T) {
	b := newBooks(t)
	withReference := func(id, reference, yuan string) domain.Event {
		event := received(id, "2022-summer-cooling", "内蒙古某能源集团有限公司", yuan, 6)
		data := event.Data.(domain.DonationReceived)
		data.BankReference = reference
		event.Data = data
		return event
	}
	b.record(withReference("D-REF-1", "XSQL-2022-001", "30000.00"), withReference("D-REF-2", "XSQL-2022-002", "30000.00"))
	lines := []statementLine{
		{"2022-06-07", "202206070000001", "XSQL-2022-001 夏送清凉捐赠", "某某公司", "0602000100000000001", "30000.00"},
		{"2022-06-08", "202206080000002", "用途:XSQL-2022-002", "某某公司", "0602000100000000001", "29990.00"},
		// Not a whole word: XSQL-2022-0011 is another reference.
		{"2022-06-09", "202206090000003", "XSQL-2022-0011", "另一家", "0602000100000000002", "30000.00"},
	}
	b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	_, result := b.reconcile()
	if len(result.Matched) != 1 || result.Matched[0].Rule != reconcile.RuleReference || result.Matched[0].Donations[0].DonationID != "D-REF-1" {
		t.Fatalf("matched: %+v", result.Matched)
	}
	if len(result.UnmatchedLines) != 1 || result.UnmatchedLines[0].Remark != "XSQL-2022-0011" {
		t.Fatalf("a reference inside a longer word matched: %+v", result.UnmatchedLines)
	}
	if len(result.Suggested) != 1 || result.Suggested[0].Rule != reconcile.RulePartialFee ||
		!strings.Contains(result.Suggested[0].Why, "XSQL-2022-002") || !strings.Contains(result.Suggested[0].Why, "10.00") {
		t.Fatalf("suggested: %+v", result.Suggested)
	}
}

// A money-out line that sends back an unexplained money-in line of the same
// amount from the same account is suggested as a refund pair; confirming
// it records refund_paired and clears both, and the summary shows 3,000 in
// and 3,000 out.
func TestRefundPairsWithTheLineItReturns(t *testing.T) {
	b := newBooks(t)
	lines := []statementLine{
		{"2022-06-03", "202206030000001", "转账", "张某某", "6222020000000000001", "3000.00"},
		{"2022-06-10", "202206100000002", "退回误转款", "张某某", "6222020000000000001", "-3000.00"},
	}
	b.importData("june.csv", statementCSV(t, "100.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	_, result := b.reconcile()
	if len(result.Suggested) != 1 || result.Suggested[0].Rule != reconcile.RuleRefundPair || len(result.Suggested[0].Lines) != 2 {
		t.Fatalf("suggested: %+v", result.Suggested)
	}
	pair := result.Suggested[0]
	if pair.Lines[0].Amount.String() != "3000.00" || pair.Lines[1].Amount.String() != "-3000.00" || pair.Why == "" {
		t.Fatalf("pair: %+v", pair)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: pair.ID}); err != nil {
		t.Fatalf("confirm the pair: %v", err)
	}
	book, after := b.reconcile()
	if len(after.Suggested) != 0 || len(after.UnmatchedLines) != 0 || len(after.Refunds) != 1 || len(after.WrittenOff) != 0 {
		t.Fatalf("after the pair: %+v", after)
	}
	if kind := book.Decisions[len(book.Decisions)-1].Type; kind != string(domain.TypeRefundPaired) {
		t.Fatalf("the pair was recorded as %s", kind)
	}
	for _, summary := range after.Summaries() {
		if summary.Key == "refunds" && (summary.Count != 1 || summary.In.String() != "3000.00" || summary.Out.String() != "3000.00") {
			t.Fatalf("refunds summary: %+v", summary)
		}
	}
	if rows := sheetRows(t, after, "退回 Refunds"); len(rows) != 3 || rows[1][0] != pair.ID {
		t.Fatalf("XLSX refunds sheet: %v", rows)
	}
	var csv bytes.Buffer
	if err := after.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !csvRowHas(csv.String(), "退回 Refunds", pair.ID, "-3000.00") {
		t.Fatalf("CSV has no refund row:\n%s", csv.String())
	}

	// Money sent back more than the window (30 days) after it came in is
	// not paired: it is a matter for a person.
	late := newBooks(t)
	lines[1].date = "2022-07-20"
	late.importData("june.csv", statementCSV(t, "100.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	if _, result := late.reconcile(); len(result.Suggested) != 0 || len(result.UnmatchedLines) != 2 {
		t.Fatalf("a refund 47 days later: %+v", result.Suggested)
	}
}

// The row the bank printed twice shows in the JSON, the CSV and the XLSX.
func TestPrintedTwiceShowsInEveryFormat(t *testing.T) {
	b := newBooks(t)
	b.june()
	b.importFile(icbcPath, "icbc", "")
	_, result := b.reconcile()
	if len(result.PrintedTwice) != 1 {
		t.Fatalf("printed twice: %+v", result.PrintedTwice)
	}
	const serial = "202206100017765"
	row := result.PrintedTwice[0]
	if row.Serial != serial || row.Where == "" || row.Of == "" || row.Where == row.Of || row.File != icbcPath {
		t.Fatalf("printed twice: %+v", row)
	}
	encoded, err := json.Marshal(result)
	if err != nil || !strings.Contains(string(encoded), `"printed_twice":[{`) || !strings.Contains(string(encoded), serial) {
		t.Fatalf("JSON: %s %v", encoded, err)
	}
	var csv bytes.Buffer
	if err := result.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !csvRowHas(csv.String(), "银行重复打印 Printed twice", serial, row.Where) {
		t.Fatalf("CSV has no printed-twice row with %s at %s", serial, row.Where)
	}
	rows := sheetRows(t, result, "银行重复打印 Printed twice")
	if len(rows) != 2 || rows[1][1] != serial || rows[1][5] != row.Where {
		t.Fatalf("XLSX printed-twice sheet: %v", rows)
	}
}

func csvRowHas(csv, section string, values ...string) bool {
	for _, line := range strings.Split(csv, "\n") {
		if !strings.HasPrefix(line, section+",") {
			continue
		}
		all := true
		for _, value := range values {
			all = all && strings.Contains(line, value)
		}
		if all {
			return true
		}
	}
	return false
}

func sheetRows(t *testing.T, result reconcile.Result, sheet string) [][]string {
	t.Helper()
	var workbook bytes.Buffer
	if err := result.WriteXLSX(&workbook); err != nil {
		t.Fatal(err)
	}
	file, err := excelize.OpenReader(&workbook)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rows, err := file.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// A fee deducted from a donation is recorded with its match and shows in
// every format; writing it off again afterwards, or writing part of the
// line off before, is refused with what to do instead.
func TestFeeConfirmedWithItsMatchShowsEverywhere(t *testing.T) {
	b := newBooks(t)
	b.record(received("D-FEE-1", "2022-summer-cooling", "内蒙古某能源集团有限公司", "30000.00", 6))
	lines := []statementLine{{"2022-06-07", "202206070000009", "夏送清凉捐款", "内蒙古某能源集团有限公司", "0602000100000000001", "29990.00"}}
	b.importData("june.csv", statementCSV(t, "0.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	book, result := b.reconcile()
	if len(result.Suggested) != 1 || result.Suggested[0].Rule != reconcile.RulePartialFee {
		t.Fatalf("suggested: %+v", result.Suggested)
	}
	lineID, suggestion := book.Lines[0].LineID, result.Suggested[0].ID
	ten, _ := domain.ParseYuan("10.00")
	err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionWriteOff, ID: lineID, Reason: "手续费", Amount: &ten})
	if err == nil || !strings.Contains(err.Error(), suggestion) {
		t.Fatalf("writing the fee off before the match: %v", err)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionConfirm, ID: suggestion}); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	err = b.decide(reconcile.DecisionRequest{Action: reconcile.ActionWriteOff, ID: lineID, Reason: "手续费", Amount: &ten})
	if err == nil || !strings.Contains(err.Error(), "recorded with the match") {
		t.Fatalf("writing the fee off after the match: %v", err)
	}
	_, result = b.reconcile()
	if len(result.Fees) != 1 || result.Fees[0].Amount != ten || result.Fees[0].Source != "match" || result.Fees[0].MatchID != suggestion {
		t.Fatalf("fees: %+v", result.Fees)
	}
	encoded, _ := json.Marshal(result)
	if !strings.Contains(string(encoded), `"fees":[{`) {
		t.Fatalf("JSON has no fee: %s", encoded)
	}
	var csv bytes.Buffer
	if err := result.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !csvRowHas(csv.String(), "手续费 Fees", lineID, "10.00", suggestion) {
		t.Fatalf("CSV has no fee row:\n%s", csv.String())
	}
	rows := sheetRows(t, result, "手续费 Fees")
	if len(rows) != 2 || rows[1][0] != lineID || !strings.Contains(rows[1][3], "10") {
		t.Fatalf("XLSX fees sheet: %v", rows)
	}
	for _, summary := range result.Summaries() {
		// The fee never was the account's money: it is a fee, not money out.
		if summary.Key == "fees" && (summary.Count != 1 || summary.Fees != ten || summary.Out != 0) {
			t.Fatalf("fees summary: %+v", summary)
		}
	}
}

// A charge line written off shows with its reason, and the summary counts
// only what was written off.
func TestWriteOffsKeepTheirReasons(t *testing.T) {
	b := newBooks(t)
	lines := []statementLine{
		{"2022-06-07", "202206070000011", "账户管理费", "", "", "-15.00"},
		{"2022-06-21", "202206210000012", "结息", "", "", "12.34"},
	}
	b.importData("june.csv", statementCSV(t, "1000.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	book, _ := b.reconcile()
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionWriteOff, ID: book.Lines[0].LineID, Reason: "年度账户管理费"}); err != nil {
		t.Fatal(err)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionWriteOff, ID: book.Lines[1].LineID}); err == nil ||
		!strings.Contains(err.Error(), "reason") {
		t.Fatalf("a write-off without a reason: %v", err)
	}
	if err := b.decide(reconcile.DecisionRequest{Action: reconcile.ActionWriteOff, ID: book.Lines[1].LineID, Reason: "活期结息"}); err != nil {
		t.Fatal(err)
	}
	book, result := b.reconcile()
	kinds := map[string]string{}
	for _, written := range result.WrittenOff {
		kinds[written.Reason] = written.Kind
	}
	if kinds["年度账户管理费"] != reconcile.WriteOffFee || kinds["活期结息"] != reconcile.WriteOffOther {
		t.Fatalf("written off: %+v", result.WrittenOff)
	}
	types := map[string]bool{}
	for _, decision := range book.Decisions {
		types[decision.Type] = true
	}
	if !types[string(domain.TypeFeeWrittenOff)] || !types[string(domain.TypeLineWrittenOff)] {
		t.Fatalf("recorded as %v", types)
	}
	rows := sheetRows(t, result, "已核销 Written off")
	if len(rows) != 3 || !strings.Contains(rows[1][6]+rows[2][6], "活期结息") {
		t.Fatalf("XLSX written-off sheet: %v", rows)
	}
	for _, summary := range result.Summaries() {
		if summary.Key == "written_off" && (summary.In.String() != "12.34" || summary.Out.String() != "15.00") {
			t.Fatalf("written-off summary: %+v", summary)
		}
	}
}

// A printed footer that disagrees with the lines is a warning naming both
// figures; with Strict the import is refused and nothing is written.
func TestFooterThatDisagreesWarnsAndStrictRefuses(t *testing.T) {
	b := newBooks(t)
	gbk, err := os.ReadFile(icbcPath)
	if err != nil {
		t.Fatal(err)
	}
	utf8, err := simplifiedchinese.GBK.NewDecoder().Bytes(gbk)
	if err != nil {
		t.Fatal(err)
	}
	wrong := bytes.Replace(utf8, []byte(`"1,013,666.66"`), []byte(`"1,093,666.66"`), 1)
	head := headOf(t, b)
	_, err = b.importData("icbc.csv", wrong, "icbc", reconcile.ImportRequest{Actor: "finance", Strict: true})
	if err == nil || !strings.Contains(err.Error(), "1093666.66") || !strings.Contains(err.Error(), "1013666.66") {
		t.Fatalf("strict: %v", err)
	}
	if after := headOf(t, b); after != head {
		t.Fatalf("a refused import moved the log from %d to %d", head, after)
	}
	result, err := b.importData("icbc.csv", wrong, "icbc", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || result.Written != 12 || len(result.Warnings) != 1 || !strings.Contains(result.Warnings[0], "1093666.66") {
		t.Fatalf("not strict: %+v, %v", result.Warnings, err)
	}
}

// Pledges are aged from the as-of day: later pledges are left out, and a
// pledge received after the day was still outstanding on it.
func TestPledgesAgeFromTheAsOfDay(t *testing.T) {
	b := newBooks(t)
	b.record(pledged("D-P-1", "general", "某公司", "1000.00", 1), pledged("D-P-2", "general", "某公司", "2000.00", 20))
	late := received("D-P-1", "general", "某公司", "1000.00", 25)
	b.record(late)
	book, err := reconcile.BuildBook(context.Background(), b.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2022, 6, 15, 23, 59, 59, 0, cst)
	result := reconcile.Reconcile(book, reconcile.Options{Now: asOf})
	if len(result.Outstanding) != 1 || result.Outstanding[0].DonationID != "D-P-1" || result.Outstanding[0].AgeDays != 14 ||
		result.AsOf != "2022-06-15" {
		t.Fatalf("as of 2022-06-15: %+v", result.Outstanding)
	}
	result = reconcile.Reconcile(book, reconcile.Options{Now: time.Date(2022, 6, 30, 23, 59, 59, 0, cst)})
	if len(result.Outstanding) != 1 || result.Outstanding[0].DonationID != "D-P-2" || result.Outstanding[0].AgeDays != 10 {
		t.Fatalf("as of 2022-06-30: %+v", result.Outstanding)
	}
}

// Two clerks importing the same statement at the same moment both succeed,
// and the lines are written once: the one who comes second finds them
// there and plans again from the log.
func TestTwoClerksImportingAtOnceWriteEachLineOnce(t *testing.T) {
	b := newBooks(t)
	data, err := os.ReadFile(icbcPath)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan reconcile.ImportResult, 2)
	failures := make(chan error, 2)
	for _, actor := range []string{"clerk-a", "clerk-b"} {
		go func() {
			result, err := b.importData(icbcPath, data, "icbc", reconcile.ImportRequest{Actor: actor})
			if err != nil {
				failures <- fmt.Errorf("%s: %w", actor, err)
				return
			}
			results <- result
		}()
	}
	written := 0
	for range 2 {
		select {
		case err := <-failures:
			t.Fatal(err)
		case result := <-results:
			written += result.Written
		}
	}
	book, _ := b.reconcile()
	if written != 12 || len(book.Lines) != 12 {
		t.Fatalf("written %d, the book has %d lines; want 12 and 12", written, len(book.Lines))
	}
}

// The account refuses the new decisions when they break its rules, whoever
// sends them (the API's plain event route included): a fee written off a
// money-in line, part of a money-in line written off, a refund pair of
// other amounts or the wrong way round, a statement import naming a line
// the account does not have.
func TestTheAccountRefusesBrokenDecisions(t *testing.T) {
	b := newBooks(t)
	lines := []statementLine{
		{"2022-06-03", "202206030000001", "转账", "张某某", "6222020000000000001", "3000.00"},
		{"2022-06-10", "202206100000002", "退回误转款", "张某某", "6222020000000000001", "-2999.00"},
	}
	b.importData("june.csv", statementCSV(t, "100.00", lines, false), "icbc", reconcile.ImportRequest{Actor: "finance"})
	book, _ := b.reconcile()
	in, out, account := book.Lines[0].LineID, book.Lines[1].LineID, book.Lines[0].Account
	money := func(text string) domain.Money {
		amount, err := domain.ParseYuan(text)
		if err != nil {
			t.Fatal(err)
		}
		return amount
	}
	for name, data := range map[string]domain.Payload{
		"fee off money in":      domain.FeeWrittenOff{Account: account, LineID: in, Amount: money("10.00"), Reason: "手续费"},
		"part of money in":      domain.LineWrittenOff{Account: account, LineID: in, Amount: money("10.00"), Reason: "利息"},
		"money out as money in": domain.LineWrittenOff{Account: account, LineID: out, Amount: money("2999.00"), Reason: "利息"},
		"pair of other amounts": domain.RefundPaired{Account: account, PairID: "S-1", ReturnedLine: in, RefundLine: out, Amount: money("3000.00")},
		"pair the wrong way":    domain.RefundPaired{Account: account, PairID: "S-2", ReturnedLine: out, RefundLine: in, Amount: money("3000.00")},
		"import of no line": domain.StatementImported{StatementHeader: domain.StatementHeader{Account: account, Format: "csv",
			FirstDate: "2022-06-01", LastDate: "2022-06-30"}, Part: 1, Parts: 1, Lines: []string{"L-nosuchline"}},
	} {
		_, err := b.service.Record(context.Background(), []domain.Event{{Type: data.EventType(), County: "150600", OccurredAt: clock(),
			Actor: "finance", Data: data}})
		if !errors.Is(err, domain.ErrRejected) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}
