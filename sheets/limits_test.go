package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/xlsxlimit"
	"github.com/ordos-union/ledger/internal/xlsxlimit/xlsxtest"
	"github.com/ordos-union/ledger/sheets/sheetstest"
)

// handMadeBook is a minimal XLSX written by hand, as an attacker would:
// one sheet whose rows are written as XML (inline strings, so no shared
// strings part is needed).
func handMadeBook(t testing.TB, rows func(sheet *strings.Builder)) []byte {
	t.Helper()
	return handMadeSheets(t, 1, func(_ int, sheet *strings.Builder) { rows(sheet) })
}

// handMadeSheets is a hand-made XLSX of count sheets, Sheet1 to SheetN,
// each one's rows written as XML by rows.
func handMadeSheets(t testing.TB, count int, rows func(i int, sheet *strings.Builder)) []byte {
	t.Helper()
	sheets := make([]string, count)
	for i := range sheets {
		var sheet strings.Builder
		rows(i+1, &sheet)
		sheets[i] = sheet.String()
	}
	return xlsxtest.Workbook(t, "", sheets...)
}

// inline is the XML of a cell holding text.
var inline = xlsxtest.InlineCell

// donationHeaders writes row 1 with the donations template's Chinese
// headers, so the sheet is read as that layout.
func donationHeaders(sheet *strings.Builder) {
	sheet.WriteString(`<row r="1">`)
	for i, column := range Layouts[0].columns {
		sheet.WriteString(inline(fmt.Sprintf("%c1", 'A'+i), column.header))
	}
	sheet.WriteString(`</row>`)
}

// allocatedBytes is what reading content allocates, in total.
func allocatedBytes(content []byte) (uint64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Read(content)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}

// A row with a value in column XFD is refused when it is read, and reading
// it costs that one row: the whole sheet was once read first, each row
// padded to its last cell, so 1,000 such rows (22 KB) took 4.5 GiB. The
// refusal names the row, the column and the limit.
func TestWideSheetIsRefusedInBoundedMemory(t *testing.T) {
	const rows = 1000
	wide := handMadeBook(t, func(sheet *strings.Builder) {
		donationHeaders(sheet)
		for row := 2; row <= rows; row++ {
			fmt.Fprintf(sheet, `<row r="%d">%s</row>`, row, inline(fmt.Sprintf("XFD%d", row), "x"))
		}
	})
	allocated, err := allocatedBytes(wide)
	t.Logf("%d-byte sheet of %d rows, one cell in column XFD each: %d KiB allocated, %v", len(wide), rows, allocated>>10, err)
	if err == nil || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "row 2 has a value in column XFD") ||
		!strings.Contains(err.Error(), fmt.Sprintf("at most %d columns", sheetColumnsMax)) {
		t.Fatalf("a sheet with a value in column XFD: %v", err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing the wide sheet allocated %d MiB, want under 8 MiB", allocated>>20)
	}
	// Without a template's headers the sheet is refused as before, at the
	// cost of its first row.
	headless := handMadeBook(t, func(sheet *strings.Builder) {
		for row := 1; row <= rows; row++ {
			fmt.Fprintf(sheet, `<row r="%d">%s</row>`, row, inline(fmt.Sprintf("XFD%d", row), "x"))
		}
	})
	allocated, err = allocatedBytes(headless)
	if err == nil || !strings.Contains(err.Error(), "no sheet of the workbook has the headers") || allocated > 8<<20 {
		t.Fatalf("a headless wide sheet: %v, %d KiB allocated", err, allocated>>10)
	}
}

// A value below the rowsMax entries is refused where it is met, without
// keeping the empty rows above it: one cell in the sheet's last row
// (1,048,576) costs no more than a small sheet.
func TestLongSheetIsRefusedInBoundedMemory(t *testing.T) {
	for _, last := range []int{rowsMax + headerRows + 1, 1 << 20} {
		long := handMadeBook(t, func(sheet *strings.Builder) {
			donationHeaders(sheet)
			fmt.Fprintf(sheet, `<row r="%d">%s</row>`, last, inline(fmt.Sprintf("A%d", last), "D-1"))
		})
		allocated, err := allocatedBytes(long)
		if err == nil || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("the sheet has %d rows, at most %d entries", last, rowsMax)) {
			t.Fatalf("a value in row %d: %v", last, err)
		}
		if allocated > 8<<20 {
			t.Fatalf("refusing a value in row %d allocated %d MiB, want under 8 MiB", last, allocated>>20)
		}
	}
	// The last row an entry may take is read.
	edge := handMadeBook(t, func(sheet *strings.Builder) {
		donationHeaders(sheet)
		fmt.Fprintf(sheet, `<row r="%d">%s</row>`, rowsMax+headerRows, inline(fmt.Sprintf("A%d", rowsMax+headerRows), "D-1"))
	})
	if _, lines, err := Read(edge); err != nil || len(lines) != 1 || lines[0].Number != rowsMax+headerRows {
		t.Fatalf("a value in row %d: %d lines, %v", rowsMax+headerRows, len(lines), err)
	}
}

// Every template fits the column limit with room for a clerk's own
// columns; a row using the room is read, one beyond it refused, in a
// workbook and in a CSV alike (where empty fields at a row's end do not
// count).
func TestSheetColumnsLimit(t *testing.T) {
	for _, layout := range Layouts {
		if len(layout.columns)+8 > sheetColumnsMax {
			t.Errorf("%s has %d columns: sheetColumnsMax %d leaves too little room", layout.Type, len(layout.columns), sheetColumnsMax)
		}
	}
	headers := make([]string, len(Layouts[0].columns))
	for i, column := range Layouts[0].columns {
		headers[i] = column.header
	}
	row := func(width int) string {
		cells := make([]string, width)
		cells[0] = "D-1"
		cells[width-1] = "own note"
		return strings.Join(cells, ",")
	}
	fits := strings.Join(headers, ",") + "\nDonation id\n" + row(sheetColumnsMax) + strings.Repeat(",", 1000) + "\n"
	if _, lines, err := Read([]byte(fits)); err != nil || len(lines) != 1 {
		t.Fatalf("a CSV row of %d columns: %d lines, %v", sheetColumnsMax, len(lines), err)
	}
	wide := strings.Join(headers, ",") + "\nDonation id\n" + row(sheetColumnsMax+1) + "\n"
	if _, _, err := Read([]byte(wide)); err == nil || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "row 3 has a value in column AG (column 33)") {
		t.Fatalf("a CSV row of %d columns: %v", sheetColumnsMax+1, err)
	}
	book := func(width int) []byte {
		return handMadeBook(t, func(sheet *strings.Builder) {
			donationHeaders(sheet)
			fmt.Fprintf(sheet, `<row r="3">%s%s</row>`, inline("A3", "D-1"), inline(fmt.Sprintf("%c%c3", 'A'+(width-1)/26-1, 'A'+(width-1)%26), "own note"))
		})
	}
	if _, lines, err := Read(book(sheetColumnsMax)); err != nil || len(lines) != 1 {
		t.Fatalf("a workbook row of %d columns: %d lines, %v", sheetColumnsMax, len(lines), err)
	}
	if _, _, err := Read(book(sheetColumnsMax + 1)); err == nil || !strings.Contains(err.Error(), "sheet Sheet1: row 3 has a value in column AG") {
		t.Fatalf("a workbook row of %d columns: %v", sheetColumnsMax+1, err)
	}
}

// A row of cells written without references is numbered one cell after
// another, past column XFD, and excelize parses all of it before the
// reader can count it: a row of more than workbookRowCellsMax cells is
// refused by counting them first (xlsxlimit), at little cost. A 65 KB
// file of one such row once allocated 1.5 GiB.
func TestRowOfUnnumberedCellsIsRefusedInBoundedMemory(t *testing.T) {
	const cells = 200_000
	book := handMadeBook(t, func(sheet *strings.Builder) {
		donationHeaders(sheet)
		sheet.WriteString(`<row r="2">`)
		for range cells {
			sheet.WriteString(`<c><v>1</v></c>`)
		}
		sheet.WriteString(`</row>`)
	})
	allocated, err := allocatedBytes(book)
	t.Logf("%d-byte sheet, a row of %d cells without references: %d KiB allocated, %v", len(book), cells, allocated>>10, err)
	if err == nil || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "xl/worksheets/sheet1.xml: row 2 of the part has more than 1024 cells") {
		t.Fatalf("a row of %d cells: %v", cells, err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing the row allocated %d MiB, want under 8 MiB", allocated>>20)
	}
}

// The first row of each sheet is read to look for a template's headers:
// a workbook of as many sheets as it may have, each with a first row as
// wide as it may be, costs tens of MiB at most; one sheet more is refused
// before any is read.
func TestManySheetsCostLittle(t *testing.T) {
	wide := func(_ int, sheet *strings.Builder) {
		sheet.WriteString(`<row r="1">` + strings.Repeat(`<c><v>1</v></c>`, workbookRowCellsMax) + `</row>`)
		sheet.WriteString(`<row r="2">` + inline("XFD2", "x") + `</row>`)
	}
	allocated, err := allocatedBytes(handMadeSheets(t, workbookSheetsMax, wide))
	t.Logf("%d sheets, each a first row of %d cells: %d KiB allocated, %v", workbookSheetsMax, workbookRowCellsMax, allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "no sheet of the workbook has the headers") {
		t.Fatalf("%d sheets without headers: %v", workbookSheetsMax, err)
	}
	if allocated > 48<<20 {
		t.Fatalf("searching %d sheets allocated %d MiB, want under 48 MiB", workbookSheetsMax, allocated>>20)
	}
	if _, _, err := Read(handMadeSheets(t, workbookSheetsMax+1, wide)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the workbook has %d sheets, at most %d", workbookSheetsMax+1, workbookSheetsMax)) {
		t.Fatalf("%d sheets: %v", workbookSheetsMax+1, err)
	}
	// The template's sheet may come after others.
	last := handMadeSheets(t, 3, func(i int, sheet *strings.Builder) {
		if i == 3 {
			donationHeaders(sheet)
			sheet.WriteString(`<row r="3">` + inline("A3", "D-1") + `</row>`)
		}
	})
	if _, lines, err := Read(last); err != nil || len(lines) != 1 {
		t.Fatalf("the template's sheet third of three: %d lines, %v", len(lines), err)
	}
}

// sharedStringsBook is a workbook whose one cell names a shared string,
// with count tiny shared strings.
func sharedStringsBook(t *testing.T, count int) []byte {
	t.Helper()
	return xlsxtest.Workbook(t, strings.Repeat(`<si><t>x</t></si>`, count), `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
}

// excelize decodes the shared strings whole, at some hundreds of bytes a
// string: a workbook of more elements besides its cells than
// workbookElementsMax is refused by counting them first. 1,000,000 tiny
// strings (a 40 KB file) allocated about a gigabyte.
func TestManySharedStringsAreRefusedInBoundedMemory(t *testing.T) {
	const count = 1_000_000
	book := sharedStringsBook(t, count)
	allocated, err := allocatedBytes(book)
	t.Logf("%d-byte workbook of %d shared strings: %d KiB allocated, %v", len(book), count, allocated>>10, err)
	if err == nil || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("more than %d elements besides its cells", workbookElementsMax)) {
		t.Fatalf("%d shared strings: %v", count, err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing %d shared strings allocated %d MiB, want under 8 MiB", count, allocated>>20)
	}
}

// A full sheet, rowsMax entries each with four texts of its own (id,
// donor, bank reference, note), is within every limit and reads whole.
func TestFullSheetOfTextsReads(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 20,000 rows")
	}
	var template bytes.Buffer
	if err := Template(&template, domain.DefaultCatalog(), domain.TypeDonationReceived); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, rowsMax)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("D-%d", i), "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", fmt.Sprintf("某公司 %d", i),
			"money 资金", 100 + i, "", "", "", fmt.Sprintf("ICBC-%d", i), fmt.Sprintf("第 %d 笔", i)}
	}
	filled := sheetstest.Fill(t, template.Bytes(), rows)
	layout, lines, err := Read(filled)
	if err != nil || layout.Type != domain.TypeDonationReceived || len(lines) != rowsMax || lines[rowsMax-1].Number != rowsMax+headerRows || lines[rowsMax-1].Err != nil {
		t.Fatalf("a full sheet: %s, %d lines, %v", layout.Type, len(lines), err)
	}
}

// A workbook whose shared strings are one string of 48 MiB (within
// unzipBytesMax, a 49 KB upload) is refused before excelize decodes it,
// naming the part and partBytesMax: excelize decodes the shared strings
// whole, at several times their bytes.
func TestOneHugeSharedStringIsRefusedInBoundedMemory(t *testing.T) {
	const size = 48 << 20
	book := xlsxtest.Workbook(t, "<si><t>"+strings.Repeat("A", size)+"</t></si>", `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	allocated, err := allocatedBytes(book)
	t.Logf("%d-byte workbook whose shared strings are one string of %d MiB: %d KiB allocated, %v", len(book), size>>20, allocated>>10, err)
	var tooLarge *xlsxlimit.PartTooLargeError
	if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &tooLarge) || tooLarge.Part != "xl/sharedStrings.xml" || tooLarge.BytesMax != partBytesMax || partBytesMax != 32<<20 {
		t.Fatalf("one shared string of %d MiB: %v", size>>20, err)
	}
	if allocated > 8<<20 {
		t.Fatalf("refusing one shared string of %d MiB allocated %d MiB, want under 8 MiB", size>>20, allocated>>20)
	}
}
