package statement_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/reconcile/statement"
)

// Where names a line's cell after parsing as the parser's own errors do,
// with the column's header, and the row when the cell is not known.
func TestWhereNamesTheCell(t *testing.T) {
	read := func(path, profile string) statement.Statement {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := statement.Parse(path, data, profile)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	generic := read("testdata/utf8-bom-generic.csv", "generic")
	for _, c := range []struct {
		field statement.Field
		want  string
	}{
		{statement.FieldCounterpartyAccount, "csv line 6, column 5 (对方账号)"},
		{statement.FieldCounterparty, "csv line 6, column 4 (对方户名)"},
		{statement.FieldSerial, "csv line 6, column 2 (流水号)"},
		{statement.FieldDate, "csv line 6, column 1 (日期)"},
		{statement.FieldBalance, "csv line 6, column 7 (余额)"},
	} {
		if got := generic.Where(generic.Lines[0], c.field); got != c.want {
			t.Errorf("csv %s: %q, want %q", c.field, got, c.want)
		}
	}
	ccb := read("testdata/ccb-2022-08.xlsx", "ccb")
	if got := ccb.Where(ccb.Lines[3], statement.FieldCounterpartyAccount); !strings.HasPrefix(got, "sheet 账户明细 cell ") ||
		!strings.HasSuffix(got, "9 (对方账号)") {
		t.Errorf("xlsx: %q", got)
	}
	// Payer and payee columns: the payer's of money in, the payee's of
	// money out.
	boc := "交易日期,付款人账号,付款人名称,收款人账号,收款人名称,交易金额,交易后余额\n" +
		"20220701,0602001209000088123,甲公司,1547 0000 0001,鄂尔多斯市总工会,\"+5,000.00\",\"5,000.00\"\n" +
		"20220702,1547 0000 0001,鄂尔多斯市总工会,0602003309000099001,乙中学,-1000.00,\"4,000.00\"\n"
	s, err := statement.ParseCSV([]byte(boc), "boc")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Where(s.Lines[0], statement.FieldCounterpartyAccount); got != "csv line 2, column 2 (付款人账号)" {
		t.Errorf("payer: %q", got)
	}
	if got := s.Where(s.Lines[1], statement.FieldCounterpartyAccount); got != "csv line 3, column 4 (收款人账号)" {
		t.Errorf("payee: %q", got)
	}
	camt := read("testdata/camt053-2022-07.xml", "")
	if got := camt.Where(camt.Lines[0], statement.FieldCounterpartyAccount); got != camt.Lines[0].Source || got == "" {
		t.Errorf("camt: %q, want the entry %q", got, camt.Lines[0].Source)
	}
}
