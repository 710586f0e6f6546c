// Package sheetstest fills spreadsheet templates for tests, as a clerk
// would.
package sheetstest

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// firstEntryRow is the template's first row below its two header rows.
const firstEntryRow = 3

// Fill writes rows into a template made by sheets.Template, from its first
// entry row, and returns the filled workbook.
func Fill(tb testing.TB, template []byte, rows [][]any) []byte {
	tb.Helper()
	return FillFrom(tb, template, firstEntryRow, rows)
}

// FillFrom is Fill from another row: 2 types the entries over the
// template's English headers, as a clerk may.
func FillFrom(tb testing.TB, template []byte, first int, rows [][]any) []byte {
	tb.Helper()
	book, err := excelize.OpenReader(bytes.NewReader(template))
	if err != nil {
		tb.Fatal(err)
	}
	defer book.Close()
	sheet := book.GetSheetName(0)
	for r, row := range rows {
		for c, value := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+first)
			if err := book.SetCellValue(sheet, cell, value); err != nil {
				tb.Fatal(err)
			}
		}
	}
	var out bytes.Buffer
	if _, err := book.WriteTo(&out); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// instructionsSheet is the template's sheet of instructions, whose last
// row is its example.
const instructionsSheet = "说明 Instructions"

// Example copies a template's example row, the last row of its
// instructions, to its first entry row, as a clerk who tries the template
// would, and returns the workbook.
func Example(tb testing.TB, template []byte) []byte {
	tb.Helper()
	book, err := excelize.OpenReader(bytes.NewReader(template))
	if err != nil {
		tb.Fatal(err)
	}
	defer book.Close()
	instructions, err := book.GetRows(instructionsSheet)
	if err != nil || len(instructions) == 0 {
		tb.Fatalf("the template's instructions: %d rows, %v", len(instructions), err)
	}
	example := instructions[len(instructions)-1]
	row := make([]any, len(example))
	for i, cell := range example {
		row[i] = cell
	}
	return Fill(tb, template, [][]any{row})
}
