package sheets

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/xlsxlimit"
	"github.com/ordos-union/ledger/ledger"
)

// Limits of an XLSX's contents, unit last.
const (
	unzipBytesMax    = 64 << 20
	unzipXMLBytesMax = 32 << 20
	// partBytesMax caps what any one part of the workbook (shared strings,
	// styles, a worksheet) unpacks to, counted before excelize decodes it
	// (xlsxlimit.Limits.PartBytesMax): excelize decodes the shared strings
	// and styles whole, and each row whole, at several times their bytes,
	// and one string of 400 MiB took a statement's reader 2.7 GB. A full
	// sheet (rowsMax entries, each with texts of its own) is some 10 MiB of
	// sheet and a few MiB of shared strings.
	partBytesMax = 32 << 20
	// workbookSheetsMax caps the sheets of a workbook, each of which may be
	// searched for a template's headers.
	workbookSheetsMax = 32
	// workbookRowCellsMax caps the cells of a row on any sheet of the
	// workbook, counted before excelize parses a row (sheetColumnsMax holds
	// the template's sheet to less). Each sheet's first row is parsed to
	// look for headers, and a cell costs excelize about 700 bytes: with
	// Excel's 16,384 a 27 KB workbook of 32 sheets made 348 MiB of garbage.
	workbookRowCellsMax = 1024
	// workbookElementsMax caps the elements of a workbook besides its
	// cells: shared strings, styles, names, which excelize decodes whole at
	// some hundreds of bytes each (an 80 KB workbook of tiny shared strings
	// took 2 GiB). Ten for each entry leaves room for several distinct
	// texts on every row.
	workbookElementsMax = 10 * rowsMax
)

// cellRule is a rule of the sheet's own (not the ledger's), about a
// cell or a row as the sheet reads it: a violation of one has the rule as
// its Code and its English as its Rule, and Layout.Rule says it in the
// sheet's language (ruleWords), so that English is English alone.
type cellRule string

// The sheet's own rules. A negative amount is left to the ledger's own
// rule (must be > 0), which knows whether the column may be zero.
const (
	ruleMoney cellRule = "sheet-money"
	ruleYuan  cellRule = "sheet-yuan"
	ruleCount cellRule = "sheet-count"
	// ruleThousands is a thousands separator out of its place: "12,50"
	// is a decimal comma, and "1,5" no count; reading them without the
	// comma made 1250 yuan and 15 of them.
	ruleThousands cellRule = "sheet-thousands"
	ruleDate      cellRule = "sheet-date"
	// ruleTooLarge is an amount beyond the ledger's largest.
	ruleTooLarge cellRule = "sheet-too-large"
	// ruleRepeated is a row the same as one above it: the same entry,
	// which the ledger records once.
	ruleRepeated cellRule = "sheet-repeated"
	// ruleSameRegion is an allocation from the region it goes to. The
	// ledger's rule names its fields (to_county, from_county); the clerk
	// knows the two columns.
	ruleSameRegion cellRule = "sheet-same-region"
)

// ruleWords are the sheet's own rules in Chinese and English. A cell's
// rule (quoted) is followed by what the cell holds, which its format may
// show otherwise (100.555 shown as 100.56); a rule about a column names
// it with %[1]s (zh) and %[2]q (en).
var ruleWords = map[cellRule]struct {
	zh, en string
	quoted bool
}{
	ruleMoney: {"必须是不超过两位小数的金额", "must be an amount in yuan with at most two decimals", true},
	ruleYuan:  {"必须是以元为单位的数字，如 1250.50", "must be a number of yuan such as 1250.50", true},
	ruleCount: {"必须是整数", "must be a whole number", true},
	ruleThousands: {"千位分隔符只能用在每三位数字之间，如 1,250.50",
		"a thousands separator may only separate groups of three digits, as in 1,250.50", true},
	ruleDate:       {"必须是日期，如 2022-06-15", "must be a date such as 2022-06-15", true},
	ruleTooLarge:   {"超出上限，最多 " + domain.AmountFenMax.String() + " 元", "must be at most " + domain.AmountFenMax.String() + " yuan", true},
	ruleRepeated:   {"与另一行完全相同", "is the same as another row", false},
	ruleSameRegion: {"必须与「%[1]s」不同", "must differ from %[2]q", false},
}

// violation is a broken rule of the sheet's own at field; value is what
// the cell holds, for a rule that quotes it.
func (l Layout) violation(field string, rule cellRule, value string) domain.Violation {
	words := ruleWords[rule]
	english := words.en
	if rule == ruleSameRegion {
		english = fmt.Sprintf(english, l.Header("county", "zh"), l.Header("county", "en"))
	}
	return domain.Violation{Field: field, Rule: english, Code: string(rule), Value: value}
}

// ReadFile reads a filled sheet from a file (Read), refusing one larger
// than FileBytesMax without reading it whole, and one with no entries
// below its headers.
func ReadFile(path string) (Layout, []ledger.Line, error) {
	file, err := os.Open(path)
	if err != nil {
		return Layout{}, nil, err
	}
	defer file.Close()
	content, err := io.ReadAll(io.LimitReader(file, FileBytesMax+1))
	if err != nil {
		return Layout{}, nil, fmt.Errorf("read %s: %w", path, err)
	}
	layout, lines, err := Read(content)
	if err != nil {
		return Layout{}, nil, err
	}
	if len(lines) == 0 {
		return Layout{}, nil, fmt.Errorf("%s has no entries below its headers", path)
	}
	return layout, lines, nil
}

// Read parses a filled sheet (XLSX, or CSV in UTF-8 or GBK) into entries,
// one line per row numbered as the spreadsheet numbers it. A row that
// cannot become an event carries its problems in Line.Err, each naming the
// column's field (a *RowError for its cells' problems, with the event of
// the cells that could be read); the caller checks the rest and decides.
// The layout is the one whose headers the sheet has.
func Read(content []byte) (Layout, []ledger.Line, error) {
	if len(content) > FileBytesMax {
		return Layout{}, nil, fmt.Errorf("the sheet is %d bytes, at most %d: %w", len(content), FileBytesMax, domain.ErrInvalid)
	}
	var rows [][]string
	var err error
	workbook := bytes.HasPrefix(content, []byte("PK\x03\x04"))
	if workbook {
		rows, err = workbookRows(content)
	} else {
		rows, err = csvRows(content)
	}
	if err != nil {
		return Layout{}, nil, err
	}
	if len(rows) > rowsMax+headerRows {
		return Layout{}, nil, tooManyRows(len(rows))
	}
	layout, positions, err := layoutOf(rows)
	if err != nil {
		return Layout{}, nil, err
	}
	// The second row is the English headers only when it says them: a
	// CSV may have the Chinese ones alone, and a clerk may type the first
	// entry over the English row of the template. Such a row is an entry,
	// read and checked as any other, never dropped unread.
	start := 1
	if len(rows) > 1 && englishHeaders(rows[1], layout, positions) {
		start = headerRows
	}
	var lines []ledger.Line
	// A row the same as one above it has the same key: it is named a
	// repeat of that row here, in the sheet's words, rather than by the
	// ledger's refusal of a key used twice in one input.
	rowOfKey := map[string]int{}
	for i := start; i < len(rows); i++ {
		if blank(rows[i]) {
			continue
		}
		event, err := layout.event(rows[i], positions, workbook)
		if err == nil {
			if first, seen := rowOfKey[event.IdempotencyKey]; seen {
				repeated := layout.violation("", ruleRepeated, "")
				repeated.Other = first
				err = &domain.ValidationError{Violations: []domain.Violation{repeated}}
			} else {
				rowOfKey[event.IdempotencyKey] = i + 1
			}
		}
		lines = append(lines, ledger.Line{Number: i + 1, Event: event, Err: err})
	}
	return layout, lines, nil
}

// workbookRows are the rows of the workbook's first sheet that has a
// layout's headers, with raw cell values (numbers as numbers, dates as
// serial days).
//
// The rows are streamed, and each is checked as it is read: a sheet with
// a row wider than sheetColumnsMax, or with a value below the rowsMax
// entries, is refused there. Reading the whole sheet first (GetRows) pads
// every row to its last cell, so one cell in column XFD per row made
// 16,384 strings of each, and a 12 KB upload took a gigabyte.
func workbookRows(content []byte) ([][]string, error) {
	// excelize parses a whole row before it answers with it, and the
	// shared strings and styles whole: a row of millions of cells, or
	// millions of strings, are refused by counting them first.
	if err := xlsxlimit.Check(content, xlsxlimit.Limits{UnzipBytesMax: unzipBytesMax, PartBytesMax: partBytesMax, RowCellsMax: workbookRowCellsMax, ElementsMax: workbookElementsMax}); err != nil {
		return nil, fmt.Errorf("%w: %w", err, domain.ErrInvalid)
	}
	// An XLSX is a zip: what it may unpack to is bounded too, so a small
	// file cannot fill memory.
	book, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{UnzipSizeLimit: unzipBytesMax, UnzipXMLSizeLimit: unzipXMLBytesMax})
	if err != nil {
		return nil, fmt.Errorf("not a readable XLSX workbook: %v: %w", err, domain.ErrInvalid)
	}
	defer book.Close()
	list := book.GetSheetList()
	if len(list) > workbookSheetsMax {
		return nil, fmt.Errorf("the workbook has %d sheets, at most %d: %w", len(list), workbookSheetsMax, domain.ErrInvalid)
	}
	for _, sheet := range list {
		rows, found, err := sheetRows(book, sheet)
		if err != nil {
			return nil, fmt.Errorf("sheet %s: %w", sheet, err)
		}
		if found {
			return rows, nil
		}
	}
	return nil, fmt.Errorf("no sheet of the workbook has the headers of a template (ledger template): %w", domain.ErrInvalid)
}

// sheetRows reads one sheet whose first row has a layout's headers, row by
// row; found is false, with nothing more read, when the first row has no
// layout's headers. Empty rows at the bottom are left off, as GetRows
// leaves them.
func sheetRows(book *excelize.File, sheet string) (rows [][]string, found bool, err error) {
	iterator, err := book.Rows(sheet)
	if err != nil {
		return nil, false, fmt.Errorf("%v: %w", err, domain.ErrInvalid)
	}
	defer iterator.Close()
	// used is how many rows are kept: up to the last with a value.
	used := 0
	for number := 1; iterator.Next(); number++ {
		// Columns pads a row to its last cell before answering: that one
		// row is the most a sheet costs before it is refused.
		cells, err := iterator.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, false, fmt.Errorf("row %d: %v: %w", number, err, domain.ErrInvalid)
		}
		if number == 1 {
			if _, _, err := layoutOf([][]string{cells}); err != nil {
				return nil, false, nil
			}
		}
		if len(cells) == 0 {
			if number <= rowsMax+headerRows {
				rows = append(rows, nil)
			}
			continue
		}
		if len(cells) > sheetColumnsMax {
			return nil, true, tooWide(number, len(cells))
		}
		if number > rowsMax+headerRows {
			return nil, true, tooManyRows(number)
		}
		rows = append(rows, cells)
		used = number
	}
	if err := iterator.Error(); err != nil {
		return nil, false, fmt.Errorf("%v: %w", err, domain.ErrInvalid)
	}
	if len(rows) == 0 {
		// A sheet without rows has no headers either.
		return nil, false, nil
	}
	return rows[:used], true, nil
}

// tooWide refuses a row with a value beyond sheetColumnsMax columns.
func tooWide(row, columns int) error {
	column := strconv.Itoa(columns)
	if name, err := excelize.ColumnNumberToName(columns); err == nil {
		column = fmt.Sprintf("%s (column %d)", name, columns)
	}
	return fmt.Errorf("row %d has a value in column %s, at most %d columns (the template's and a few of your own): %w",
		row, column, sheetColumnsMax, domain.ErrInvalid)
}

// tooManyRows refuses a sheet with a value below its rowsMax entries.
func tooManyRows(rows int) error {
	return fmt.Errorf("the sheet has %d rows, at most %d entries: %w", rows, rowsMax, domain.ErrInvalid)
}

// csvRows reads CSV in UTF-8 (with or without a byte order mark) or GBK.
// Empty fields at the end of a row are left off, and a row with a value
// beyond sheetColumnsMax columns is refused, as in a workbook.
func csvRows(content []byte) ([][]string, error) {
	content = bytes.TrimPrefix(content, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(content) {
		decoded, err := simplifiedchinese.GBK.NewDecoder().Bytes(content)
		if err != nil {
			return nil, fmt.Errorf("the CSV is neither UTF-8 nor GBK: %w", domain.ErrInvalid)
		}
		content = decoded
	}
	reader := csv.NewReader(bytes.NewReader(content))
	reader.FieldsPerRecord = -1
	// One record's fields are held at a time; the rows kept are copies cut
	// to their width.
	reader.ReuseRecord = true
	var rows [][]string
	for {
		row, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %v: %w", err, domain.ErrInvalid)
		}
		if len(rows) > rowsMax+headerRows {
			return rows, nil
		}
		width := len(row)
		for width > 0 && row[width-1] == "" {
			width--
		}
		if width > sheetColumnsMax {
			return nil, tooWide(len(rows)+1, width)
		}
		rows = append(rows, slices.Clone(row[:width]))
	}
}

// layoutOf finds the layout whose Chinese headers the first row has, and
// where each of its columns is.
func layoutOf(rows [][]string) (Layout, []int, error) {
	if len(rows) == 0 {
		return Layout{}, nil, fmt.Errorf("the sheet is empty: %w", domain.ErrInvalid)
	}
	at := map[string]int{}
	for i, cell := range rows[0] {
		at[strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cell), "*"))] = i
	}
	for _, layout := range Layouts {
		positions := make([]int, len(layout.columns))
		found := true
		for i, column := range layout.columns {
			position, ok := at[column.header]
			if !ok {
				found = false
				break
			}
			positions[i] = position
		}
		if found {
			return layout, positions, nil
		}
	}
	return Layout{}, nil, fmt.Errorf("the first row has no template's headers (make one with ledger template): %w", domain.ErrInvalid)
}

// englishHeaders says whether a row is the layout's English header row:
// each of its cells in the layout's columns is that column's English
// header (or empty, as a clerk may clear one), and one at least is. A row
// with an entry typed over some of them is not: it is read as an entry,
// and its leftover headers are refused as such.
func englishHeaders(row []string, layout Layout, positions []int) bool {
	found := false
	for i, column := range layout.columns {
		cell := ""
		if positions[i] < len(row) {
			cell = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(row[positions[i]]), "*"))
		}
		switch {
		case cell == "":
		case strings.EqualFold(cell, column.english):
			found = true
		default:
			return false
		}
	}
	return found
}

func blank(row []string) bool {
	for _, cell := range row {
		if strings.TrimSpace(cell) != "" {
			return false
		}
	}
	return true
}

// event builds one row's event, as the API would receive it, and decodes
// it strictly; problems name the columns' fields. A workbook's money
// cells may hold binary numbers (binaryNumber); a CSV's cells are text as
// typed, read as the command line reads what a clerk types. A row with
// problems in its cells is a *RowError, and keeps the event its other
// cells make, so that the ledger's rules about those are told with the
// cells' problems (app.Ledger.ImportSheet): a clerk fixes a row once, not
// once for each problem.
func (l Layout) event(row []string, positions []int, workbook bool) (domain.Event, error) {
	var problems []domain.Violation
	fields := map[string]any{}
	for i, column := range l.columns {
		cell := ""
		if positions[i] < len(row) {
			cell = strings.TrimSpace(row[positions[i]])
		}
		if cell == "" {
			if column.required {
				// The ledger's own rule, said as the ledger's are.
				problems = append(problems, domain.Violation{Field: column.field, Rule: "is required", Code: domain.CodeRequired})
			}
			continue
		}
		if workbook && column.kind == kindMoney {
			cell = binaryNumber(cell)
		}
		value, rule := parseCell(column.kind, cell)
		if rule != "" {
			problems = append(problems, l.violation(column.field, rule, cell))
			continue
		}
		fields[column.field] = value
	}
	if l.Type == domain.TypeFundsAllocated && fields["data.from_county"] != nil && fields["data.from_county"] == fields["county"] {
		problems = append(problems, l.violation("data.from_county", ruleSameRegion, ""))
	}
	if l.Type == domain.TypeFundsAllocated && fields["county"] != nil {
		// An allocation is the receiving region's entry.
		fields["data.to_county"] = fields["county"]
	}
	event, err := l.decode(fields, len(problems) > 0)
	if len(problems) == 0 {
		return event, err
	}
	if err != nil {
		// What the readable cells make does not decode either: the
		// cells' problems are the row's.
		event = domain.Event{}
	}
	return event, &RowError{Cells: &domain.ValidationError{Violations: problems}, allocation: l.Type == domain.TypeFundsAllocated}
}

// decode makes the event of a row's fields. The key is made from the
// fields (rowKey). A row whose date could not be read (partial) is decoded
// with a stand-in time, taken out again, so that the rest of it can still
// be checked.
func (l Layout) decode(fields map[string]any, partial bool) (domain.Event, error) {
	document := map[string]any{"type": l.Type, "idempotency_key": rowKey(l.Type, fields)}
	for path, value := range fields {
		place(document, strings.Split(path, "."), value)
	}
	standIn := partial && fields["occurred_at"] == nil
	if partial {
		if standIn {
			document["occurred_at"] = "2022-01-01T00:00:00+08:00"
		}
		if document["data"] == nil {
			document["data"] = map[string]any{}
		}
	}
	raw, err := json.Marshal(document)
	if err != nil {
		return domain.Event{}, err
	}
	event, err := domain.DecodeEvent(raw)
	if standIn {
		event.OccurredAt = time.Time{}
	}
	return event, err
}

// RowError is the problems of a row's cells (a *domain.ValidationError
// underneath, naming the columns' fields). Its line keeps the event the
// row's other cells make.
type RowError struct {
	Cells *domain.ValidationError
	// allocation says the row is an allocation's, whose to_county is made
	// from its region.
	allocation bool
}

func (e *RowError) Error() string { return e.Cells.Error() }

// Unwrap gives the cells' problems, for errors.As and errors.Is (it
// matches domain.ErrInvalid).
func (e *RowError) Unwrap() error { return e.Cells }

// Covers says whether a problem of the ledger's about field (a path in
// the event: data.items[0].value) is one the cells have told already: the
// field is a cell's that has a problem, or is made of such cells (the list
// of goods, an allocation's to_county made from its region). Such a
// problem is only what became of the cell the clerk is already told of (a
// required amount that could not be read is also not > 0).
func (e *RowError) Covers(field string) bool {
	fields := []string{strings.ReplaceAll(field, "[0]", ".0")}
	if e.allocation && fields[0] == "data.to_county" {
		// The region, or the rule that it differ from the source, which
		// the sheet words itself.
		fields = []string{"county", "data.from_county"}
	}
	for _, violation := range e.Cells.Violations {
		for _, field := range fields {
			if violation.Field == field || strings.HasPrefix(violation.Field, field+".") {
				return true
			}
		}
	}
	return false
}

// place sets value at a path in a JSON document; a number in the path is
// a list index.
func place(document map[string]any, path []string, value any) {
	if len(path) == 1 {
		document[path[0]] = value
		return
	}
	if len(path) >= 3 {
		if index, err := strconv.Atoi(path[1]); err == nil && index == 0 {
			list, _ := document[path[0]].([]any)
			if len(list) == 0 {
				list = []any{map[string]any{}}
			}
			place(list[0].(map[string]any), path[2:], value)
			document[path[0]] = list
			return
		}
	}
	inner, _ := document[path[0]].(map[string]any)
	if inner == nil {
		inner = map[string]any{}
	}
	place(inner, path[1:], value)
	document[path[0]] = inner
}

// parseCell reads one cell; the rule it breaks, if any.
func parseCell(kind kind, cell string) (any, cellRule) {
	switch kind {
	case kindMoney:
		return parseMoneyCell(cell)
	case kindCount:
		text := cell
		if strings.Contains(text, ",") {
			var err error
			if text, err = domain.WithoutThousands(text); err != nil {
				return nil, ruleThousands
			}
		}
		number, err := strconv.ParseInt(strings.TrimSuffix(text, ".0"), 10, 64)
		if err != nil {
			return nil, ruleCount
		}
		return number, ""
	case kindDate:
		day, ok := parseDay(cell)
		if !ok {
			return nil, ruleDate
		}
		return day.Format(time.RFC3339), ""
	case kindCode:
		return strings.Fields(cell)[0], ""
	}
	return cell, ""
}

// parseMoneyCell reads an amount of yuan as domain.ParseYuanTyped reads
// what a clerk types (the command line's --amount reads the same); the
// rule it breaks, if any. A negative amount is read as such, for the
// ledger to refuse by its own rule.
func parseMoneyCell(cell string) (any, cellRule) {
	amount, err := domain.ParseYuanTyped(cell)
	switch {
	case errors.Is(err, domain.ErrTooManyDecimals):
		return nil, ruleMoney
	case errors.Is(err, domain.ErrAmountTooLarge):
		return nil, ruleTooLarge
	case errors.Is(err, domain.ErrMisplacedThousands):
		return nil, ruleThousands
	case err != nil:
		return nil, ruleYuan
	}
	return amount.String(), ""
}

// binaryNumber is what a workbook's money cell holds, as the clerk typed
// it. A spreadsheet keeps a number as binary floating point, which a raw
// read may give as 1234.5599999999999: the shortest decimal that reads
// back as the same number is what was typed. It is read as text, never
// computed with. Anything but a plain decimal is the cell's text.
func binaryNumber(cell string) string {
	if !plainDecimal(strings.TrimPrefix(cell, "-")) {
		return cell
	}
	number, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return cell
	}
	return strconv.FormatFloat(number, 'f', -1, 64)
}

// plainDecimal says whether text is digits with at most one decimal point
// between them.
func plainDecimal(text string) bool {
	whole, fraction, _ := strings.Cut(text, ".")
	if whole == "" {
		return false
	}
	for _, r := range whole + fraction {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseDay reads a day as a spreadsheet serial number or as text
// (2022-06-15, 2022/6/15), at midnight in Beijing time.
func parseDay(cell string) (time.Time, bool) {
	if serial, err := strconv.ParseFloat(cell, 64); err == nil && serial > 0 && serial < 2958466 {
		moment, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			return time.Time{}, false
		}
		return time.Date(moment.Year(), moment.Month(), moment.Day(), 0, 0, 0, 0, domain.Beijing), true
	}
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "2006.1.2"} {
		if day, err := time.ParseInLocation(layout, cell, domain.Beijing); err == nil {
			return day, true
		}
	}
	return time.Time{}, false
}
