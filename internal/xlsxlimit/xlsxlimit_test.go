package xlsxlimit

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// book zips parts given by name.
func book(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	var out bytes.Buffer
	archive := zip.NewWriter(&out)
	for name, body := range parts {
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
	return out.Bytes()
}

// sheet is a worksheet part whose rows hold the given numbers of cells,
// written without references, each tag as given (so a prefix or
// whitespace can be tried).
func sheet(open string, cells ...int) string {
	var out strings.Builder
	out.WriteString(`<?xml version="1.0"?><worksheet><sheetData>`)
	for _, count := range cells {
		out.WriteString(`<row>`)
		for range count {
			out.WriteString(open + `<v>1</v></c>`)
		}
		out.WriteString(`</row>`)
	}
	out.WriteString(`</sheetData></worksheet>`)
	return out.String()
}

// A row of more cells than Excel has columns is refused wherever its part
// lives and however its tags are written; rows up to the limit, and many
// of them, pass; the scan allocates little whatever the part holds.
func TestCheckCountsTheCellsOfEachRow(t *testing.T) {
	for _, open := range []string{`<c>`, `<c r="A1" t="n">`, `<x:c>`, "<c\n>", `<` + strings.Repeat("p", 200) + `:c>`} {
		refused := book(t, map[string]string{"any/where.bin": sheet(open, 3, RowCellsMax+1)})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := Check(refused, Limits{UnzipBytesMax: 64 << 20, RowCellsMax: RowCellsMax})
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("any/where.bin: row 2 of the part has more than %d cells", RowCellsMax)) {
			t.Fatalf("%q: a row of %d cells: %v", open, RowCellsMax+1, err)
		}
		if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
			t.Fatalf("%q: the scan allocated %d KiB", open, allocated>>10)
		}
		if err := Check(book(t, map[string]string{"xl/worksheets/sheet1.xml": sheet(open, RowCellsMax, RowCellsMax, 5)}), Limits{UnzipBytesMax: 64 << 20, RowCellsMax: RowCellsMax}); err != nil {
			t.Fatalf("%q: rows of at most %d cells: %v", open, RowCellsMax, err)
		}
	}
	// Elements that only begin with c, or end tags, are not cells.
	others := `<row>` + strings.Repeat(`<col/><cols></cols><x:color/></c>`, RowCellsMax) + `</row>`
	if err := Check(book(t, map[string]string{"xl/styles.xml": others}), Limits{UnzipBytesMax: 64 << 20, RowCellsMax: RowCellsMax}); err != nil {
		t.Fatalf("elements that are not cells were counted: %v", err)
	}
	big := book(t, map[string]string{"a.xml": strings.Repeat("x", 1000), "b.xml": strings.Repeat("y", 1000)})
	if err := Check(big, Limits{UnzipBytesMax: 1500, RowCellsMax: RowCellsMax}); err == nil || !strings.Contains(err.Error(), "unpacks to more than 1500 bytes") {
		t.Fatalf("parts of 2000 bytes against a limit of 1500: %v", err)
	}
	if err := Check(big, Limits{UnzipBytesMax: 2000, RowCellsMax: RowCellsMax}); err != nil {
		t.Fatalf("parts of 2000 bytes against a limit of 2000: %v", err)
	}
	// One part may be held to fewer bytes than all of them: at the cap it
	// passes, one byte over it is refused, naming the part and the cap.
	if err := Check(big, Limits{UnzipBytesMax: 2000, PartBytesMax: 1000, RowCellsMax: RowCellsMax}); err != nil {
		t.Fatalf("parts of 1000 bytes against a part limit of 1000: %v", err)
	}
	var tooLarge *PartTooLargeError
	if err := Check(big, Limits{UnzipBytesMax: 2000, PartBytesMax: 999, RowCellsMax: RowCellsMax}); !errors.As(err, &tooLarge) ||
		!errors.Is(err, ErrPartTooLarge) || (tooLarge.Part != "a.xml" && tooLarge.Part != "b.xml") || tooLarge.BytesMax != 999 {
		t.Fatalf("parts of 1000 bytes against a part limit of 999: %v", err)
	}
	// A caller may hold rows to fewer cells, never to more than Excel has.
	narrow := book(t, map[string]string{"s.xml": sheet("<c>", 10, 11)})
	if err := Check(narrow, Limits{UnzipBytesMax: 1 << 20, RowCellsMax: 10}); err == nil || !strings.Contains(err.Error(), "s.xml: row 2 of the part has more than 10 cells") {
		t.Fatalf("a row of 11 cells held to 10: %v", err)
	}
	if err := Check(book(t, map[string]string{"s.xml": sheet("<c>", RowCellsMax+1)}), Limits{UnzipBytesMax: 1 << 20, RowCellsMax: 1 << 30}); err == nil {
		t.Fatalf("a row of %d cells passed a limit above Excel's", RowCellsMax+1)
	}
	if err := Check([]byte("PK\x03\x04 not a zip"), Limits{UnzipBytesMax: 1 << 20, RowCellsMax: RowCellsMax}); err != nil {
		t.Fatalf("a broken zip is left to excelize: %v", err)
	}
}

// Elements other than a worksheet's rows, cells and values are counted
// across all parts, however they are written: shared strings, styles and
// names are decoded whole, and a comment cannot hide them.
func TestCheckCountsTheOtherElements(t *testing.T) {
	limits := Limits{UnzipBytesMax: 64 << 20, ElementsMax: 1000}
	strings500 := `<?xml version="1.0"?><!-- <worksheet> --><sst>` + strings.Repeat(`<si><t>x</t></si>`, 500) + `</sst>`
	// 500 si, the sst itself: 501 counted; the t are values.
	if err := Check(book(t, map[string]string{"xl/sharedStrings.xml": strings500}), limits); err != nil {
		t.Fatalf("501 elements against 1000: %v", err)
	}
	err := Check(book(t, map[string]string{"xl/sharedStrings.xml": strings500, "xl/other.xml": strings500}), limits)
	if err == nil || !strings.Contains(err.Error(), "more than 1000 elements besides its cells") {
		t.Fatalf("1002 elements in two parts against 1000: %v", err)
	}
	prefixed := `<x:sst>` + strings.Repeat(`<x:si><x:r><x:rPr/><x:t>x</x:t></x:r></x:si>`, 400) + `</x:sst>`
	if err := Check(book(t, map[string]string{"s.xml": prefixed}), limits); err == nil {
		t.Fatal("1201 prefixed elements passed a limit of 1000")
	}
	// A worksheet's rows, cells and values are not counted here.
	if err := Check(book(t, map[string]string{"xl/worksheets/sheet1.xml": sheet(`<c t="inlineStr">`, 500, 500, 500)}), limits); err != nil {
		t.Fatalf("a worksheet of 1500 cells: %v", err)
	}
	if err := Check(book(t, map[string]string{"s.xml": strings500 + strings500}), Limits{UnzipBytesMax: 64 << 20}); err != nil {
		t.Fatalf("no element cap: %v", err)
	}
}

// Under ElementsPerCellMax a workbook's other elements are paid for by its
// cells: many strings for many cells pass, the same strings for one cell
// do not, and the count is over every part, whatever order they come in.
func TestCheckWeighsTheOtherElementsAgainstTheCells(t *testing.T) {
	limits := Limits{UnzipBytesMax: 64 << 20, ElementsPerCellMax: 2}
	manyStrings := `<sst>` + strings.Repeat(`<si><t>x</t><phoneticPr fontId="1"/></si>`, 30_000) + `</sst>`
	cells := make([]int, 300)
	for i := range cells {
		cells[i] = 100
	}
	// 60,003 elements (the strings, the sst, the worksheet and its sheetData)
	// against 20,000 free and 2 for each of 30,000 cells.
	if err := Check(book(t, map[string]string{"xl/sharedStrings.xml": manyStrings, "xl/worksheets/sheet1.xml": sheet(`<c t="s">`, cells...)}), limits); err != nil {
		t.Fatalf("30,000 strings for 30,000 cells: %v", err)
	}
	err := Check(book(t, map[string]string{"xl/sharedStrings.xml": manyStrings, "xl/worksheets/sheet1.xml": sheet(`<c t="s">`, 1)}), limits)
	if err == nil || !strings.Contains(err.Error(), "60003 elements besides its 1 cells") || !strings.Contains(err.Error(), "more than 20000 and 2 for each cell") {
		t.Fatalf("30,000 strings for one cell: %v", err)
	}
	if err := Check(book(t, map[string]string{"xl/sharedStrings.xml": manyStrings}), Limits{UnzipBytesMax: 64 << 20}); err != nil {
		t.Fatalf("no cap relative to the cells: %v", err)
	}
}
