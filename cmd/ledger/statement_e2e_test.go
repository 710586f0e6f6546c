package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeGenericStatement writes a statement in the generic profile's CSV
// layout of lines money-in lines of 10.00 yuan in June 2022, balances
// adding up; account gives line n's (1-based) counterparty account. Line n
// is csv line n+5.
func writeGenericStatement(t *testing.T, name string, lines int, account func(n int) string) string {
	t.Helper()
	var text strings.Builder
	text.WriteString("\ufeff账户交易明细导出\n账号：6222 0206 0201 2345 678,币种：人民币\n\"期初余额：1,000.00\"\n\n")
	text.WriteString("日期,流水号,摘要,对方户名,对方账号,交易金额,余额,备注\n")
	fen := 100000
	for n := 1; n <= lines; n++ {
		fen += 1000
		fmt.Fprintf(&text, "2022/06/%02d,GN%08d,会费收入,鄂尔多斯市某单位%d,%s,+10.00,%d.%02d,\n", 1+(n-1)*29/lines, n, n, account(n),
			fen/100, fen%100)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A statement whose late line breaks a rule of the ledger is refused
// alike by --dry-run and the import, which writes no part of it; the
// refusal names the line's cell. A masked account imports as printed.
func TestEndToEndStatementRefusalNamesTheCell(t *testing.T) {
	data := t.TempDir()
	plain := func(n int) string { return fmt.Sprintf("0602 0022 0900 %04d 678", n) }
	large := writeGenericStatement(t, "large.csv", 1200, func(n int) string {
		if n == 900 {
			return "1222"
		}
		return plain(n)
	})
	const where = "csv line 905, column 5 (对方账号): counterparty account must be"
	runLedger(t, "", "reconcile", "import", large, "--dry-run", "--account", "test-large", "--data", data).expect(t, 1, where)
	refused := runLedger(t, "", "reconcile", "import", large, "--account", "test-large", "--data", data)
	refused.expect(t, 1, where)
	if strings.Contains(refused.stderr, "events[") {
		t.Fatalf("the refusal names the event:\n%s", refused.stderr)
	}
	if got := countEvents(t, "--data", data); got != 0 {
		t.Fatalf("the refused import wrote %d events", got)
	}
	masked := writeGenericStatement(t, "masked.csv", 6, func(n int) string {
		if n == 4 {
			return "6222****1222"
		}
		return plain(n)
	})
	runLedger(t, "", "reconcile", "import", masked, "--dry-run", "--account", "test-masked", "--data", data).expect(t, 0, "6 lines would be imported")
	runLedger(t, "", "reconcile", "import", masked, "--account", "test-masked", "--data", data).expect(t, 0, "6 lines imported")
}
