package statement_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

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
func inlineCell(cell, text string) string {
	return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, cell, text)
}

// handMadeStatementRows is the header row and one line, then the rows
// given as XML.
func handMadeStatementRows(t testing.TB, rows string) []byte {
	t.Helper()
	var out bytes.Buffer
	archive := zip.NewWriter(&out)
	add := func(name, body string) {
		writer, err := archive.Create(name)
		if err == nil {
			_, err = writer.Write([]byte(body))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	inline := inlineCell
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	sheet.WriteString(`<row r="1">` + inline("A1", "Date") + inline("B1", "Description") + inline("C1", "Amount") + `</row>`)
	sheet.WriteString(`<row r="2">` + inline("A2", "2022-07-01") + inline("B2", "Donation") + inline("C2", "1000.50") + `</row>`)
	sheet.WriteString(rows)
	sheet.WriteString(`</sheetData></worksheet>`)
	add("xl/worksheets/sheet1.xml", sheet.String())
	if err := archive.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// A statement row with a value beyond xlsxColumnsMax (256) columns is
// refused when it is read: each row was padded to its last cell, so rows
// of one cell in column XFD, taken for notes below the lines, cost 16,384
// strings apiece. Refusing costs that one row; a note within the limit is
// still read past.
func TestWideStatementRowIsRefusedInBoundedMemory(t *testing.T) {
	wide := handMadeStatement(t, 1000, "XFD")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := statement.ParseXLSX(wide, "generic")
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
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
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := statement.ParseXLSX(book, "generic")
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
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
	var out bytes.Buffer
	archive := zip.NewWriter(&out)
	for name, body := range map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`,
		"xl/sharedStrings.xml":       `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + strings.Repeat(`<si><t>x</t></si>`, count) + `</sst>`,
	} {
		writer, err := archive.Create(name)
		if err == nil {
			_, err = writer.Write([]byte(body))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := archive.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := statement.ParseXLSX(out.Bytes(), "generic")
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d-byte statement of one cell and %d shared strings: %d KiB allocated, %v", out.Len(), count, allocated>>10, err)
	if err == nil || !strings.Contains(err.Error(), "elements besides its 1 cells") {
		t.Fatalf("one cell and %d shared strings: %v", count, err)
	}
	if allocated > 16<<20 {
		t.Fatalf("refusing one cell and %d shared strings allocated %d MiB, want under 16 MiB", count, allocated>>20)
	}
}
