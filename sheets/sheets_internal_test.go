package sheets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
)

// A spreadsheet keeps 1234.56 as the nearest binary number, which a raw
// read of a workbook may give as 1234.5599999999999: the shortest decimal
// that is the same number is what the clerk typed, read as yuan text (a
// CSV's cell is text, read as typed). A yuan sign, as
// a currency format writes it into a CSV, is dropped. Each refusal says
// its own rule: three decimals, not a number of yuan (an exponent, another
// currency's sign), too large. A negative amount is read, for the ledger
// to refuse by its rule (must be > 0).
func TestMoneyCellsReadAsTyped(t *testing.T) {
	for raw, want := range map[string]string{"1234.5599999999999": "1234.56", "100.555": "100.555", "-5": "-5", "1e3": "1e3",
		"007": "7", "1,200.50": "1,200.50"} {
		if got := binaryNumber(raw); got != want {
			t.Errorf("a workbook's money cell %q reads as %q, want %q", raw, got, want)
		}
	}
	for cell, want := range map[string]string{"1234.56": "1234.56", "5000": "5000.00",
		"1,200.50": "1200.50", "0.1": "0.10", "￥300.00": "300.00", "¥ 1,200": "1200.00", "-5.00": "-5.00", "-￥5": "-5.00"} {
		if got, rule := parseCell(kindMoney, cell); rule != "" || got != want {
			t.Errorf("money cell %q = %v (%s), want %s", cell, got, rule, want)
		}
	}
	for cell, want := range map[string]cellRule{"12.345": ruleMoney, "0.015": ruleMoney, "￥1.005": ruleMoney, "1e3": ruleYuan, "abc": ruleYuan,
		"$5": ruleYuan, "￥-5": ruleYuan, "--5": ruleYuan, "99999999999999999999": ruleTooLarge, "100000000000.01": ruleTooLarge,
		"12,50": ruleThousands} {
		if got, rule := parseCell(kindMoney, cell); rule != want {
			t.Errorf("money cell %q = %v (%q), want the rule %q", cell, got, rule, want)
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

// A row the same as one above it is refused as a repeat of that row, with
// no column: the key the ledger would name is not in the sheet. An
// allocation from the region it goes to names both columns.
func TestRowProblemsNameTheSheet(t *testing.T) {
	donations := "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n" +
		"Donation id,Region,Campaign,Date,Donor kind,Donor organisation,Form,Amount (yuan),Item,Quantity,Items value (yuan),Bank reference,Note\r\n" +
		"D-R1,150626,general,2022-06-10,enterprise,某公司,money,5000.00,,,,,\r\n" +
		"D-R2,150626,general,2022-06-10,enterprise,某公司,money,10,,,,,\r\n" +
		"D-R1,150626,general,2022-06-10,enterprise,某公司,money,5000,,,,,\r\n"
	layout, lines, err := Read([]byte(donations))
	if err != nil || len(lines) != 3 || lines[0].Err != nil || lines[1].Err != nil {
		t.Fatalf("Read = %d lines, %v", len(lines), err)
	}
	var validation *domain.ValidationError
	if !errors.As(lines[2].Err, &validation) || len(validation.Violations) != 1 || validation.Violations[0].Field != "" ||
		validation.Violations[0].Other != 3 {
		t.Fatalf("row 5 = %v, want one problem of the whole row repeating row 3", lines[2].Err)
	}
	repeats := func(row int) string { return layout.Repeats(row, "zh") }
	repeated := validation.Violations[0]
	repeated.Rule = layout.Rule(repeated, "zh")
	if got := layout.Where(5, repeated.Field, "zh") + ": " + repeated.RuleWith(repeats); got !=
		"第 5 行: 与另一行完全相同 (is the same as another row) (与第 3 行重复)" {
		t.Errorf("row 5 reads %q", got)
	}

	allocations := "拨款编号,地区,活动,日期,拨出地区,金额（元）,用途\r\n" +
		"Allocation id,Region,Campaign,Date,From region,Amount (yuan),Purpose\r\n" +
		"A-1,150626,general,2022-06-10,150626,100,\r\n"
	layout, lines, err = Read([]byte(allocations))
	if err != nil || len(lines) != 1 || !errors.As(lines[0].Err, &validation) || len(validation.Violations) != 1 {
		t.Fatalf("Read = %d lines, %v, %v", len(lines), lines, err)
	}
	for lang, want := range map[string]string{"zh": `第 3 行「拨出地区」: 必须与「地区」不同 (must differ from "Region")`,
		"en": `row 3, "From region": must differ from "Region"`} {
		if got := layout.Where(3, validation.Violations[0].Field, lang) + ": " + layout.Rule(validation.Violations[0], lang); got != want {
			t.Errorf("%s: the allocation reads %q, want %q", lang, got, want)
		}
	}
	if got := layout.Header("data.to_county", "zh"); got != "地区" {
		t.Errorf("an allocation's to_county is headed %q, want 地区", got)
	}
}
