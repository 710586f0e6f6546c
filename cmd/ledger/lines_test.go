package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// donationLine is a JSON line receiving donation id.
func donationLine(id string) string {
	return `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-uxin",` +
		`"data":{"donation_id":"` + id + `","campaign":"general","donor_kind":"enterprise","donor_organisation":"乌审旗某公司",` +
		`"form":"money","amount":"1.00"}}`
}

// A file of more lines than one batch whose last line receives the first
// line's donation again writes nothing and names both lines; with
// --skip-invalid it writes every other line.
func TestRecordRefusesALateRepeatBeforeWritingAnything(t *testing.T) {
	data := t.TempDir()
	const count = 1501
	var lines strings.Builder
	for i := range count - 1 {
		lines.WriteString(donationLine(fmt.Sprintf("D-L-%d", i)) + "\n")
	}
	lines.WriteString(donationLine("D-L-0") + "\n")
	file := filepath.Join(t.TempDir(), "entries.jsonl")
	if err := os.WriteFile(file, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runLedger(t, "", "record", file, "--data", data)
	out.expect(t, 1, "nothing was written: rejected: line 1501: data.donation_id: donation D-L-0 is received twice in the same input",
		"(repeats line 1)")
	if strings.Contains(out.stderr, "earlier events were") {
		t.Fatalf("the refusal says something was written:\n%s", out.stderr)
	}
	if got := countEvents(t, "--data", data); got != 0 {
		t.Fatalf("%d events written from a refused file", got)
	}
	runLedger(t, "", "record", file, "--data", data, "--skip-invalid").expect(t, 1,
		"line 1501: data.donation_id: rejected: donation D-L-0 is received twice", "recorded 1500 events", "1 invalid lines were skipped")
	if got := countEvents(t, "--data", data); got != count-1 {
		t.Fatalf("%d events after --skip-invalid, want %d", got, count-1)
	}
}

// Two rows of a sheet receiving one donation, or two identical rows, are
// refused naming the row they repeat as the clerk sees it, never an event
// that was not written nor events[0]; a dry run says the same.
func TestImportNamesTheRowARowRepeats(t *testing.T) {
	data := t.TempDir()
	template := filepath.Join(t.TempDir(), "donation_received.xlsx")
	runLedger(t, "", "template", "--type", "donation_received", "--out", template).expect(t, 0)
	row := func(id string, amount any) []any {
		return []any{id, "150626 乌审旗 Uxin", "general 日常帮扶", june15, "enterprise 企业", "某公司", "money 资金", amount}
	}
	twice := fillTemplate(t, template, [][]any{row("D-Z-1", 10), row("D-Z-2", 20), row("D-Z-2", 30)})
	for _, args := range [][]string{{}, {"--dry-run"}} {
		out := runLedger(t, "", append([]string{"import", twice, "--data", data}, args...)...)
		out.expect(t, 1, "未写入：第 5 行「捐赠编号」: 被拒：捐赠 D-Z-2 在同一表格中到账了两次；一笔捐赠只到账一次 "+
			"(donation D-Z-2 is received twice in the same input", "(与第 4 行重复)")
		if strings.Contains(out.stderr, "by event") {
			t.Fatalf("the refusal names an event that was not written:\n%s", out.stderr)
		}
	}
	runLedger(t, "", "import", twice, "--data", data, "--lang", "en").expect(t, 1, `row 5, "Donation id"`, "(repeats row 4)")
	// Two identical rows are one entry: the second names the first as a
	// row, never the key the sheet has no column for.
	same := fillTemplate(t, template, [][]any{row("D-Z-1", 10), row("D-Z-1", 10)})
	for _, args := range [][]string{{}, {"--dry-run"}} {
		out := runLedger(t, "", append([]string{"import", same, "--data", data}, args...)...)
		out.expect(t, 1, "第 4 行: 与另一行完全相同 (is the same as another row) (与第 3 行重复)")
		if strings.Contains(out.stderr, "events[") || strings.Contains(out.stderr, "idempotency_key") {
			t.Fatalf("the refusal names an event by its place in a request, or its key:\n%s", out.stderr)
		}
	}
	if got := countEvents(t, "--data", data); got != 0 {
		t.Fatalf("%d events written from refused sheets", got)
	}
}

// A key starting sheet- is made by the spreadsheet import from a row's
// content, and is compared without its actor: a client that chose one
// could have another clerk's entry answered as its own. `ledger record
// FILE` and the shortcut refuse it, naming the field or flag and the rule,
// and write nothing; the import itself keeps it (TestSpreadsheetTemplates
// ImportAllOrNothing imports again as another clerk).
func TestRecordRefusesAKeyReservedToTheSheetImport(t *testing.T) {
	data := t.TempDir()
	keyed := strings.Replace(donationLine("D-K-1"), `"actor"`, `"idempotency_key":"sheet-client-7","actor"`, 1)
	file := filepath.Join(t.TempDir(), "entries.jsonl")
	if err := os.WriteFile(file, []byte(keyed+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rule := "keys starting with sheet- are made by the spreadsheet import"
	runLedger(t, "", "record", file, "--data", data).expect(t, 1, "line 1: idempotency_key: "+rule, "nothing was written")
	runLedger(t, "", "record", "donation", "--data", data, "--county", "150626", "--amount", "1.00", "--donor-org", "某公司",
		"--occurred-at", "2022-06-15", "--key", "sheet-client-7", "--actor", "clerk-2").expect(t, 2, "--key "+rule)
	if got := countEvents(t, "--data", data); got != 0 {
		t.Fatalf("%d events written under a reserved key", got)
	}
}

// `ledger record FILE` is a generic record path: a bank line in the file
// is refused naming type and the rule, and nothing is written, not even
// the file's valid lines; bank lines are the statement import's.
func TestRecordRefusesABankLine(t *testing.T) {
	data := t.TempDir()
	bankLine := `{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00","actor":"finance",` +
		`"data":{"account":"icbc-0602001109000012345","line_id":"L-R-1","serial":"CN-20220620-0001","booked_on":"2022-06-20",` +
		`"amount":"999999.00","balance":"1.00","remark":"捐款","statement":"icbc-2022-06.csv"}}`
	file := filepath.Join(t.TempDir(), "entries.jsonl")
	if err := os.WriteFile(file, []byte(donationLine("D-R-1")+"\n"+bankLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "record", file, "--data", data).expect(t, 1, "line 2: type: bank lines are recorded by importing a statement", "nothing was written")
	if got := countEvents(t, "--data", data); got != 0 {
		t.Fatalf("%d events written from a file with a bank line", got)
	}
}
