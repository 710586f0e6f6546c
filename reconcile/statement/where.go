package statement

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// Field names what a line says, for Where.
type Field string

// The fields of a line whose cell Where can name.
const (
	FieldDate                Field = "date"
	FieldSerial              Field = "serial"
	FieldAmount              Field = "amount"
	FieldBalance             Field = "balance"
	FieldCounterparty        Field = "counterparty"
	FieldCounterpartyAccount Field = "counterparty account"
	FieldRemark              Field = "remark"
)

// layout is how a CSV or XLSX statement names its cells, kept so that a
// check made after parsing (the ledger's rules on an imported line) can
// name the cell the way the parser's own errors do.
type layout struct {
	format string // "csv" or "xlsx"
	sheet  string // the sheet of an XLSX statement
	cols   *columns
}

// cellName names a cell: "csv line 9, column 5" or "sheet 明细 cell E9".
// row is 1-based, col 0-based.
func (l *layout) cellName(row, col int) string {
	if l.format == "xlsx" {
		name, err := excelize.CoordinatesToCellName(col+1, row)
		if err != nil {
			return fmt.Sprintf("sheet %s row %d column %d", l.sheet, row, col+1)
		}
		return fmt.Sprintf("sheet %s cell %s", l.sheet, name)
	}
	return fmt.Sprintf("csv line %d, column %d", row, col+1)
}

// Where names the cell a line's field was read from, with the column's
// header: "csv line 9, column 5 (对方账号)" or "sheet 明细 cell E9
// (对方账号)". When the cell is not known (a CAMT.053 entry, a field read
// from several columns, or one the profile has no column for) it names
// the line's row: its Source, or "statement line N".
func (s Statement) Where(line Line, field Field) string {
	row := line.Source
	if row == "" {
		row = fmt.Sprintf("statement line %d", line.Number)
	}
	if s.layout == nil || s.layout.cols == nil || line.row == 0 {
		return row
	}
	c := s.layout.cols
	col := -1
	switch field {
	case FieldDate:
		col = c.date
	case FieldSerial:
		col = c.serial
	case FieldAmount:
		switch {
		case c.amount >= 0:
			col = c.amount
		case line.Amount >= 0:
			col = c.credit
		default:
			col = c.debit
		}
	case FieldBalance:
		col = c.balance
	case FieldCounterparty, FieldCounterpartyAccount:
		// The table reads the payer's or payee's columns only when the
		// counterparty's are empty; the line remembers which it read.
		name, account := c.counterparty, c.counterpartyAccount
		if line.fromParty {
			name, account = c.payee, c.payeeAccount
			if line.Amount >= 0 {
				name, account = c.payer, c.payerAccount
			}
		}
		col = name
		if field == FieldCounterpartyAccount {
			col = account
		}
	case FieldRemark:
		if len(c.remark) == 1 {
			col = c.remark[0]
		}
	}
	if col < 0 || col >= len(c.header) {
		return row
	}
	return s.layout.cellName(line.row, col) + " (" + c.header[col] + ")"
}
