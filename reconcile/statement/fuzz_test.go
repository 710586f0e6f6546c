package statement_test

import (
	"testing"

	"github.com/ordos-union/ledger/reconcile/statement"
)

// FuzzParseCSV feeds arbitrary bytes to the CSV reader with each profile.
// It must never panic, and what it returns must hold together.
func FuzzParseCSV(f *testing.F) {
	profiles := statement.ProfileNames() // abc, boc, ccb, generic, icbc
	f.Add(fixture(f, "icbc-2022-06.csv"), uint8(4))
	f.Add(fixture(f, "icbc-2022-06.csv"), uint8(3))
	f.Add(fixture(f, "utf8-bom-generic.csv"), uint8(3))
	f.Add([]byte("交易日期,收入金额,支出金额,余额\n2022-06-01,100.00,,100.00\n期末余额,,,100.00\n"), uint8(0))
	f.Add([]byte("记账日期\t借贷标志\t发生额\n2022年07月01日\t贷\t300.00\n"), uint8(3))
	f.Add([]byte("Date,Amount\n44743,(1,234.56)\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, profile uint8) {
		s, err := statement.ParseCSV(data, profiles[int(profile)%len(profiles)])
		if err != nil {
			return
		}
		checkShape(t, s)
	})
}

// FuzzParse covers format detection and the CAMT and XLSX readers too.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"icbc-2022-06.csv", "utf8-bom-generic.csv", "camt053-2022-07.xml", "ccb-2022-08.xlsx"} {
		f.Add(name, fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		s, err := statement.Parse(name, data, "")
		if err != nil {
			return
		}
		checkShape(t, s)
	})
}

func checkShape(t *testing.T, s statement.Statement) {
	t.Helper()
	if len(s.Lines) > statement.MaxLines {
		t.Fatalf("%d lines", len(s.Lines))
	}
	for i, l := range s.Lines {
		if l.Number != i+1 {
			t.Fatalf("line %d has Number %d", i+1, l.Number)
		}
		if l.Date.IsZero() {
			t.Fatalf("line %d has no date", l.Number)
		}
	}
	_ = s.CheckBalances()
	_ = s.Duplicates()
}
