package statement_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/internal/xlsxlimit"
	"github.com/ordos-union/ledger/internal/xlsxlimit/xlsxtest"
	"github.com/ordos-union/ledger/reconcile/statement"
)

// handMadeStatement is a minimal XLSX written by hand, as an attacker
// would: a header row and one line, then rows of one cell each in the
// column given (inline strings, so no shared strings part is needed).
func handMadeStatement(t testing.TB, rows int, column string) []byte {
	t.Helper()
	var more strings.Builder
	for row := 3; row < 3+rows; row++ {
		fmt.Fprintf(&more, `<row r="%d">%s</row>`, row, inlineCell(fmt.Sprintf("%s%d", column, row), "x"))
	}
	return handMadeStatementRows(t, more.String())
}

// inlineCell is the XML of a cell holding text.
var inlineCell = xlsxtest.InlineCell

// handMadeStatementRows is the header row and one line, then the rows
// given as XML.
func handMadeStatementRows(t testing.TB, rows string) []byte {
	t.Helper()
	return xlsxtest.Workbook(t, "", `<row r="1">`+inlineCell("A1", "Date")+inlineCell("B1", "Description")+inlineCell("C1", "Amount")+`</row>`+
		`<row r="2">`+inlineCell("A2", "2022-07-01")+inlineCell("B2", "Donation")+inlineCell("C2", "1000.50")+`</row>`+rows)
}

// A statement row with a value beyond xlsxColumnsMax (256) columns is
// refused when it is read: each row was padded to its last cell, so rows
// of one cell in column XFD, taken for notes below the lines, cost 16,384
// strings apiece. Refusing costs that one row; a note within the limit is
// still read past.
func TestWideStatementRowIsRefusedInBoundedMemory(t *testing.T) {
	wide := handMadeStatement(t, 1000, "XFD")
	allocated, err := parseMeasured(wide)
	t.Logf("%d-byte statement, 1,000 rows with a cell in column XFD: %d KiB allocated, %v", len(wide), allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "sheet Sheet1 row 3 has a value in column XFD (column 16384), more than the limit of 256 columns") {
		t.Fatalf("a statement with a value in column XFD: %v", err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing the wide statement allocated %d MiB, want under 8 MiB", allocated>>20)
	}
	s, err := statement.ParseXLSX(handMadeStatement(t, 10, "IV"), "generic")
	if err != nil || len(s.Lines) != 1 {
		t.Fatalf("notes in column IV (256) below a line: %d lines, %v", len(s.Lines), err)
	}
	if _, err := statement.ParseXLSX(handMadeStatement(t, 10, "IW"), "generic"); err == nil || !strings.Contains(err.Error(), "column IW (column 257)") {
		t.Fatalf("a note in column IW (257): %v", err)
	}
}

// A statement row of cells written without references, numbered past
// column XFD, is refused by counting its cells before excelize parses it.
func TestStatementRowOfUnnumberedCellsIsRefusedInBoundedMemory(t *testing.T) {
	const cells = 200_000
	row := `<row r="3">` + strings.Repeat(`<c><v>1</v></c>`, cells) + `</row>`
	book := handMadeStatementRows(t, row)
	allocated, err := parseMeasured(book)
	t.Logf("%d-byte statement, a row of %d cells without references: %d KiB allocated, %v", len(book), cells, allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "row 3 of the part has more than 16384 cells") {
		t.Fatalf("a row of %d cells: %v", cells, err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing the row allocated %d MiB, want under 8 MiB", allocated>>20)
	}
}

// A statement of a few cells and a million tiny shared strings (a 40 KB
// upload) is refused before excelize decodes the strings, which cost it
// over half a gigabyte: a statement's strings are paid for by its cells
// (xlsxElementsPerCellMax).
func TestStatementOfManyStringsAndFewCellsIsRefusedInBoundedMemory(t *testing.T) {
	const count = 1_000_000
	book := xlsxtest.Workbook(t, strings.Repeat(`<si><t>x</t></si>`, count), `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	allocated, err := parseMeasured(book)
	t.Logf("%d-byte statement of one cell and %d shared strings: %d KiB allocated, %v", len(book), count, allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "elements besides its 1 cells") {
		t.Fatalf("one cell and %d shared strings: %v", count, err)
	}
	if allocated > 16<<20 {
		t.Fatalf("refusing one cell and %d shared strings allocated %d MiB, want under 16 MiB", count, allocated>>20)
	}
}

// A statement whose shared strings are one string of 64 MiB (a 65 KB
// upload) is refused before excelize decodes it: excelize decodes the
// shared strings whole, at several times their bytes, and one string of
// 400 MiB held 2.7 GB for a minute. The refusal names the part and the
// limit, and costs little more than unpacking the part once to count it.
func TestStatementOfOneHugeSharedStringIsRefusedInBoundedMemory(t *testing.T) {
	const size = 64 << 20
	book := xlsxtest.Workbook(t, "<si><t>"+strings.Repeat("A", size)+"</t></si>", `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	allocated, err := parseMeasured(book)
	t.Logf("%d-byte statement whose shared strings are one string of %d MiB: %d KiB allocated, %v", len(book), size>>20, allocated>>10, err)
	var tooLarge *xlsxlimit.PartTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Part != "xl/sharedStrings.xml" || tooLarge.BytesMax != 32<<20 ||
		!strings.Contains(err.Error(), "xl/sharedStrings.xml: the part unpacks to more than 33554432 bytes (32 MiB)") {
		t.Fatalf("one shared string of %d MiB: %v", size>>20, err)
	}
	if allocated > 16<<20 {
		t.Fatalf("refusing one shared string of %d MiB allocated %d MiB, want under 16 MiB", size>>20, allocated>>20)
	}
}

// A large real statement, 20,000 lines each with a remark and a
// counterparty of its own (a sheet of inline strings as excelize's stream
// writer writes it, of about 13 MiB as the README says: between 12 and
// 14), is within xlsxPartBytesMax and imports whole.
func TestLargeRealStatementImports(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 lines")
	}
	const lines = 20_000
	f := excelize.NewFile()
	defer f.Close()
	stream, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SetRow("A1", []any{"交易日期", "摘要", "对方户名", "对方账号", "收入金额", "支出金额", "余额"}); err != nil {
		t.Fatal(err)
	}
	balance := int64(0)
	for i := 1; i <= lines; i++ {
		balance += 10_000 + int64(i)
		remark := fmt.Sprintf("第 %d 笔 会员会费 鄂尔多斯市总工会 乌审旗工会 帮扶资金 转账 汇款 附言 %s", i, strings.Repeat("款", 40))
		row := []any{fmt.Sprintf("2022-07-%02d", 1+i%28), remark, fmt.Sprintf("某某有限责任公司第 %d 分公司", i), fmt.Sprintf("6222 0000 %08d", i),
			fmt.Sprintf("%d.%02d", (10_000+i)/100, (10_000+i)%100), "", fmt.Sprintf("%d.%02d", balance/100, balance%100)}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := stream.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Flush(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	archive, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range archive.File {
		t.Logf("%s: %d KiB", file.Name, file.UncompressedSize64>>10)
		if size := file.UncompressedSize64; file.Name == "xl/worksheets/sheet1.xml" && (size < 12<<20 || size > 14<<20) {
			t.Fatalf("the sheet of %d lines unpacks to %d KiB, want about 13 MiB (12 to 14)", lines, size>>10)
		}
		if size := file.UncompressedSize64; size > 32<<20 {
			t.Fatalf("%s unpacks to %d KiB, more than a part may (32 MiB)", file.Name, size>>10)
		}
	}
	s, err := statement.ParseXLSX(out.Bytes(), "generic")
	if err != nil || len(s.Lines) != lines {
		t.Fatalf("a real statement of %d lines (%d bytes): %d lines, %v", lines, out.Len(), len(s.Lines), err)
	}
	if err := s.CheckBalances(); err != nil {
		t.Fatal(err)
	}
}

// parseMeasured parses a statement workbook and says how many bytes the
// parse allocated, for the tests that hold a refusal to bounded memory.
func parseMeasured(book []byte) (uint64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := statement.ParseXLSX(book, "generic")
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}
