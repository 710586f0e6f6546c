package sheets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
)

// A spreadsheet keeps 1234.56 as the nearest binary number, which a raw
// read may give as 1234.5599999999999: the shortest decimal that is the
// same number is what the clerk typed, read as yuan text. Three decimals,
// exponents and negative amounts are refused.
func TestMoneyCellsReadAsTyped(t *testing.T) {
	for cell, want := range map[string]string{"1234.56": "1234.56", "1234.5599999999999": "1234.56", "5000": "5000.00",
		"1,200.50": "1200.50", "0.1": "0.10"} {
		if got, rule := parseCell(kindMoney, cell); rule != "" || got != want {
			t.Errorf("money cell %q = %v (%s), want %s", cell, got, rule, want)
		}
	}
	for _, cell := range []string{"12.345", "1e3", "-5", "abc", "0.015"} {
		if _, rule := parseCell(kindMoney, cell); rule != ruleMoney {
			t.Errorf("money cell %q accepted", cell)
		}
	}
	if got, rule := parseCell(kindDate, "44727"); rule != "" || got != "2022-06-15T00:00:00+08:00" {
		t.Errorf("date serial 44727 = %v (%s), want 2022-06-15 in Beijing", got, rule)
	}
}

// Each template names its columns in Chinese and English, offers the
// catalog's codes as drop-down lists (kept on a hidden sheet), and reads
// back as its own layout.
func TestTemplatesCarryHeadersAndLists(t *testing.T) {
	catalog := domain.DefaultCatalog()
	for _, layout := range Layouts {
		var out bytes.Buffer
		if err := Template(&out, catalog, layout.Type); err != nil {
			t.Fatalf("%s: %v", layout.Type, err)
		}
		book, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := book.GetRows(layout.Title)
		if err != nil || len(rows) < 2 || !strings.HasPrefix(rows[0][0], layout.columns[0].header) || rows[1][0] != layout.columns[0].english {
			t.Fatalf("%s: header rows %v (%v)", layout.Type, rows, err)
		}
		validations, err := book.GetDataValidations(layout.Title)
		if err != nil || len(validations) == 0 {
			t.Fatalf("%s: no drop-down lists (%v)", layout.Type, err)
		}
		if visible, _ := book.GetSheetVisible(listsSheet); visible {
			t.Fatalf("%s: the lists sheet is visible", layout.Type)
		}
		lists, _ := book.GetRows(listsSheet)
		if len(lists) == 0 || !strings.HasPrefix(lists[0][0], "150600 ") {
			t.Fatalf("%s: the first list does not start with the city's region: %v", layout.Type, lists)
		}
		read, lines, err := Read(out.Bytes())
		if err != nil || read.Type != layout.Type || len(lines) != 0 {
			t.Fatalf("%s: an empty template reads as %s with %d lines (%v)", layout.Type, read.Type, len(lines), err)
		}
		book.Close()
	}
}

// A sheet file reads into its layout and one line per row; a sheet with
// its headers and no rows is refused, not recorded as nothing.
func TestReadFileWantsEntries(t *testing.T) {
	headers := "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n" +
		"Donation id,Region,Campaign,Date,Donor kind,Donor organisation,Form,Amount (yuan),Item,Quantity,Items value (yuan),Bank reference,Note\r\n"
	dir := t.TempDir()
	filled := filepath.Join(dir, "filled.csv")
	if err := os.WriteFile(filled, []byte(headers+"D-C-1,150626,general,2022/6/20,enterprise,伊金霍洛某矿业,money,888.80,,,,,\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	layout, lines, err := ReadFile(filled)
	if err != nil || layout.Type != domain.TypeDonationReceived || len(lines) != 1 {
		t.Fatalf("ReadFile = %v, %d lines, %v; want one donation", layout.Type, len(lines), err)
	}
	empty := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(empty, []byte(headers), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFile(empty); err == nil || !strings.Contains(err.Error(), "no entries below its headers") {
		t.Fatalf("a sheet of headers alone: %v", err)
	}
}
