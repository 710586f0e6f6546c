package statement

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/internal/xlsxlimit"
)

// xlsxUnzipLimit caps how much a workbook may inflate to, against zip bombs.
const xlsxUnzipLimit = 1 << 30

// xlsxPartBytesMax caps what any one part of a statement's workbook (its
// shared strings, styles, workbook, each worksheet) unpacks to
// (xlsxlimit.Limits.PartBytesMax). excelize decodes the shared strings
// and styles whole, and each row whole, at several times their bytes: a
// 409 KB upload whose shared strings were one string of 400 MiB held
// 2.7 GB for a minute. A real 10,000-line statement's shared strings and
// sheet are a few MB each, so 32 MiB leaves room for a statement some ten
// times that, and bounds what one part can make excelize hold to a few
// hundred MB.
const xlsxPartBytesMax = 32 << 20

// xlsxElementsPerCellMax caps a statement's shared strings and other
// elements at so many for each of its cells (xlsxlimit.ElementsPerCellMax):
// excelize decodes them whole at some hundreds of bytes each, and a 125 KB
// upload of three million tiny strings and one cell took 1.4 GB. A bank's
// statement is large because it has many lines, whose cells pay for its
// strings: one string a cell, with its phonetic properties and a few runs
// of rich text, is under eight elements.
const xlsxElementsPerCellMax = 8

// xlsxColumnsMax caps the columns of a statement row: banks export a few
// dozen at most. excelize pads a row with an empty string for every column
// up to its last cell, so without a cap one cell in column XFD per row made
// 16,384 strings of every row.
const xlsxColumnsMax = 256

// ParseXLSX reads the first sheet of a bank's XLSX export with a profile (""
// means "generic"), like ParseCSV. Cells are read as stored, not as
// formatted: numbers come as their decimal text (rounded to Excel's 15
// significant digits, so float noise like 1234.5599999999999 reads as
// 1234.56), and dates stored as numbers are Excel serial dates.
func ParseXLSX(data []byte, profile string) (s Statement, err error) {
	if err := checkSize("", data); err != nil {
		return Statement{}, err
	}
	p, err := lookupProfile(profile)
	if err != nil {
		return Statement{}, err
	}
	defer func() {
		// A malformed workbook must not take the caller down with it.
		if r := recover(); r != nil {
			s, err = Statement{}, fmt.Errorf("statement: xlsx: malformed workbook: %v", r)
		}
	}()
	// excelize parses a whole row before it answers with it: a row of
	// millions of cells is refused by counting them first.
	if err := xlsxlimit.Check(data, xlsxlimit.Limits{UnzipBytesMax: xlsxUnzipLimit, PartBytesMax: xlsxPartBytesMax,
		RowCellsMax: xlsxlimit.RowCellsMax, ElementsPerCellMax: xlsxElementsPerCellMax}); err != nil {
		return Statement{}, fmt.Errorf("statement: xlsx: %w", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    xlsxUnzipLimit,
		UnzipXMLSizeLimit: 64 << 20,
	})
	if err != nil {
		return Statement{}, fmt.Errorf("statement: xlsx: not a readable workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Statement{}, fmt.Errorf("statement: xlsx: the workbook has no sheet")
	}
	sheet := sheets[0]
	props, err := f.GetWorkbookProps()
	if err != nil {
		return Statement{}, fmt.Errorf("statement: xlsx: %v", err)
	}
	cells := &layout{format: "xlsx", sheet: sheet}
	t := &table{
		profile:     p,
		stmt:        Statement{Format: "xlsx", Profile: p.Name, layout: cells},
		serialDates: true,
		date1904:    props.Date1904 != nil && *props.Date1904,
		roundExcel:  true,
		rowName:     func(row int) string { return fmt.Sprintf("sheet %s row %d", sheet, row) },
		cellName:    cells.cellName,
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return Statement{}, fmt.Errorf("statement: xlsx: sheet %s: %v", sheet, err)
	}
	defer rows.Close()
	rowNumber := 0
	for rows.Next() {
		rowNumber++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Statement{}, fmt.Errorf("statement: xlsx: sheet %s row %d: %v", sheet, rowNumber, err)
		}
		if len(cells) > xlsxColumnsMax {
			// The row was padded to its last cell once, here; it is refused
			// before any more rows are read.
			column := fmt.Sprint(len(cells))
			if name, err := excelize.ColumnNumberToName(len(cells)); err == nil {
				column = fmt.Sprintf("%s (column %d)", name, len(cells))
			}
			return Statement{}, fmt.Errorf("statement: xlsx: sheet %s row %d has a value in column %s, more than the limit of %d columns; remove what is right of the statement",
				sheet, rowNumber, column, xlsxColumnsMax)
		}
		if err := t.row(rowNumber, cells); err != nil {
			return Statement{}, err
		}
	}
	if err := rows.Error(); err != nil {
		return Statement{}, fmt.Errorf("statement: xlsx: sheet %s after row %d: %v", sheet, rowNumber, err)
	}
	return t.finish()
}
