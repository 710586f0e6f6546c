// Package statement reads bank statements into one shape: Chinese bank CSV
// exports (GBK/GB18030 or UTF-8), XLSX exports, and ISO 20022 CAMT.053 XML.
//
// Amounts are domain.Money (integer fen) parsed from their decimal text; no
// float ever holds an amount. A positive amount is money in (收入/贷方, CRDT),
// a negative one money out (支出/借方, DBIT).
//
// Every error names where the problem is: the CSV line, the XLSX cell or the
// CAMT entry, and what is wrong with it.
package statement

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
)

// Limits on what Parse and the format parsers accept.
const (
	MaxFileSize = 64 << 20  // bytes
	MaxLines    = 1_000_000 // statement lines
)

// Line is one booked transaction of a statement.
type Line struct {
	Number              int           // 1-based line number within the statement (for messages)
	Serial              string        // bank serial number 流水号/交易流水号 (may be empty)
	Date                time.Time     // booking date, midnight Beijing time if no time given
	Amount              domain.Money  // positive: money in (credit 收入/贷方); negative: money out (debit 支出/借方)
	Counterparty        string        // 对方户名
	CounterpartyAccount string        // 对方账号
	Remark              string        // 摘要/附言/用途 (joined with " / " if several columns)
	Balance             *domain.Money // running balance after the line (余额), if the statement has it
	Source              string        // where the line is in the file: "csv line 9", "sheet 明细 row 9", "Ntry 3"
	// row is the line's row in a CSV or XLSX file (1-based), 0 in a
	// CAMT.053 statement; fromParty says the counterparty was read from the
	// payer or payee columns. Statement.Where names cells with them.
	row       int
	fromParty bool
}

// Statement is a parsed bank statement.
type Statement struct {
	Format  string        // "csv", "camt.053", "xlsx"
	Profile string        // profile used (csv/xlsx)
	Account string        // our account if the file states it
	Opening *domain.Money // opening balance if stated (or derived from the first line's balance - amount)
	Closing *domain.Money // closing balance if stated
	Lines   []Line
	// Footer is the grand total (合计) the statement prints below its
	// lines, when it prints money in and money out apart.
	Footer *Totals
	// layout names the cells of a CSV or XLSX statement (Where); nil for
	// CAMT.053.
	layout *layout
}

// Totals are a statement's printed sums of money in and money out.
type Totals struct {
	In     domain.Money // money in, positive
	Out    domain.Money // money out, positive
	Source string       // where the footer is: "csv line 17"
}

// CheckFooter compares the printed footer totals with the lines, leaving
// out the rows the bank printed twice. The error names both figures.
func (s Statement) CheckFooter() error {
	if s.Footer == nil {
		return nil
	}
	dups := s.duplicateOf()
	var in, out domain.Money
	for i, line := range s.Lines {
		if dups[i] >= 0 {
			continue
		}
		if line.Amount > 0 {
			in += line.Amount
		} else {
			out -= line.Amount
		}
	}
	var problems []string
	if in != s.Footer.In {
		problems = append(problems, fmt.Sprintf("money in: the footer says %s but the lines add up to %s", s.Footer.In, in))
	}
	if out != s.Footer.Out {
		problems = append(problems, fmt.Sprintf("money out: the footer says %s but the lines add up to %s", s.Footer.Out, out))
	}
	if len(problems) == 0 {
		return nil
	}
	where := ""
	if s.Footer.Source != "" {
		where = " (" + s.Footer.Source + ")"
	}
	return fmt.Errorf("statement footer%s disagrees with its lines, rows printed twice left out: %s", where, strings.Join(problems, "; "))
}

// Parse reads a statement, choosing the format by content first and file
// name extension second: XML (<?xml, <Document, or .xml) is CAMT.053, a zip
// archive (PK, or .xlsx) is XLSX, anything else is CSV. profile applies to
// CSV and XLSX only.
func Parse(fileName string, data []byte, profile string) (Statement, error) {
	if err := checkSize(fileName, data); err != nil {
		return Statement{}, err
	}
	switch kindOf(fileName, data) {
	case kindXLSX:
		return ParseXLSX(data, profile)
	case kindLegacyXLS:
		return Statement{}, fmt.Errorf("statement %s: a legacy Excel 97-2003 (.xls) workbook is not supported; save it as .xlsx or CSV", fileName)
	case kindHTML:
		return Statement{}, fmt.Errorf("statement %s: an HTML page (some banks' \".xls\" exports are HTML tables) is not supported; open it in Excel and save it as .xlsx or CSV", fileName)
	case kindCAMT:
		return ParseCAMT053(data)
	case kindOtherXLS:
		return Statement{}, fmt.Errorf("statement %s: not an Excel workbook this package can read; save it as .xlsx or CSV", fileName)
	default:
		return ParseCSV(data, profile)
	}
}

// fileKind is how Parse reads a file.
type fileKind int

const (
	kindCSV fileKind = iota
	kindXLSX
	kindCAMT
	kindLegacyXLS // refused
	kindHTML      // refused
	kindOtherXLS  // refused
)

// kindOf chooses how Parse reads a file, by content first and file name
// extension second.
func kindOf(fileName string, data []byte) fileKind {
	head := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	lowerHead := strings.ToLower(string(head[:min(len(head), 1024)]))
	ext := strings.ToLower(filepath.Ext(fileName))
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return kindXLSX
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return kindLegacyXLS
	case strings.HasPrefix(lowerHead, "<html") || strings.HasPrefix(lowerHead, "<table") ||
		strings.HasPrefix(lowerHead, "<!doctype html") || (strings.HasPrefix(lowerHead, "<") && strings.Contains(lowerHead, "<html")):
		return kindHTML
	case bytes.HasPrefix(head, []byte("<?xml")) || rootIsDocument(head):
		return kindCAMT
	case ext == ".xml":
		return kindCAMT
	case ext == ".xlsx" || ext == ".xlsm":
		return kindXLSX
	case ext == ".xls":
		return kindOtherXLS
	default:
		return kindCSV
	}
}

// rootIsDocument reports whether text starts with a <Document> or
// <prefix:Document> element.
func rootIsDocument(text []byte) bool {
	if len(text) == 0 || text[0] != '<' {
		return false
	}
	end := bytes.IndexAny(text, " \t\r\n/>")
	if end < 0 {
		return false
	}
	name := string(text[1:end])
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return name == "Document"
}

// ReadFile reads a statement file, refusing one larger than a statement
// can be (MaxFileSize) before reading it whole.
func ReadFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes, more than a statement's limit of %d bytes (64 MiB): split it", path, info.Size(), MaxFileSize)
	}
	return os.ReadFile(path)
}

func checkSize(what string, data []byte) error {
	if len(data) > MaxFileSize {
		if what != "" {
			what += ": "
		}
		return fmt.Errorf("statement: %sfile is %d bytes, more than the limit of %d bytes (64 MiB); split the statement", what, len(data), MaxFileSize)
	}
	return nil
}

func tooManyLines(where string) error {
	return fmt.Errorf("statement: %s: more than %d lines; split the statement", where, MaxLines)
}

// Duplicate says that statement line Line repeats line Of: same non-empty
// serial, date, amount, counterparty, counterparty account and remark, and,
// when the statement gives balances, the same balance after the line. Banks
// export such repeats (a row printed twice, typically at a page break); the
// repeat is not a second movement of money.
type Duplicate struct {
	Line int // Number of the repeating line
	Of   int // Number of the line it repeats
}

// Duplicates lists lines that repeat an earlier line of the statement.
func (s Statement) Duplicates() []Duplicate {
	var out []Duplicate
	for i, of := range s.duplicateOf() {
		if of >= 0 {
			out = append(out, Duplicate{Line: s.Lines[i].Number, Of: s.Lines[of].Number})
		}
	}
	return out
}

type dupKey struct {
	serial, counterparty, account, remark string
	date                                  int64
	amount                                domain.Money
	hasBalance                            bool
	balance                               domain.Money
}

// duplicateOf gives, for each line index, the index of the earlier line it
// repeats, or -1.
func (s Statement) duplicateOf() []int {
	out := make([]int, len(s.Lines))
	seen := make(map[dupKey]int)
	for i, l := range s.Lines {
		out[i] = -1
		if l.Serial == "" {
			continue
		}
		k := dupKey{serial: l.Serial, counterparty: l.Counterparty, account: l.CounterpartyAccount,
			remark: l.Remark, date: l.Date.UnixNano(), amount: l.Amount}
		if l.Balance != nil {
			k.hasBalance, k.balance = true, *l.Balance
		}
		if j, ok := seen[k]; ok {
			out[i] = j
			continue
		}
		seen[k] = i
	}
	return out
}

// CheckBalances verifies the statement's arithmetic: each line's balance is
// the previous balance plus the line's amount, and opening plus the sum of
// the amounts is the closing balance, as far as these are known. Lines that
// repeat an earlier line (see Duplicates) are left out of both sums. The
// error names the line and the two amounts that disagree.
func (s Statement) CheckBalances() error {
	dups := s.duplicateOf()
	var running *domain.Money // balance after the previous line, when known
	if s.Opening != nil {
		v := *s.Opening
		running = &v
	}
	var sum domain.Money
	counted := 0
	lastBalanced := "" // the line whose balance running is, for messages
	for i, l := range s.Lines {
		if dups[i] >= 0 {
			continue
		}
		counted++
		var ok bool
		if sum, ok = addMoney(sum, l.Amount); !ok {
			return fmt.Errorf("statement line %d%s: the sum of the amounts overflows", l.Number, sourceSuffix(l))
		}
		var expected *domain.Money
		if running != nil {
			e, ok := addMoney(*running, l.Amount)
			if !ok {
				return fmt.Errorf("statement line %d%s: the balance overflows", l.Number, sourceSuffix(l))
			}
			expected = &e
		}
		if l.Balance != nil {
			if expected != nil && *expected != *l.Balance {
				prev := "opening balance"
				if lastBalanced != "" {
					prev = "balance after " + lastBalanced
				}
				return fmt.Errorf("statement line %d%s: balance is %s but %s %s + amount %s = %s",
					l.Number, sourceSuffix(l), l.Balance, prev, running, l.Amount, expected)
			}
			v := *l.Balance
			running = &v
		} else {
			running = expected
		}
		if running != nil {
			lastBalanced = fmt.Sprintf("line %d", l.Number)
		}
	}
	if s.Opening != nil && s.Closing != nil {
		if total, ok := addMoney(*s.Opening, sum); !ok || total != *s.Closing {
			amounts := fmt.Sprintf("the %d line amounts", counted)
			if counted == 1 {
				amounts = "the 1 line's amount"
			}
			return fmt.Errorf("statement: closing balance is %s but opening balance %s + %s %s = %s", s.Closing, s.Opening, amounts, sum, total)
		}
	}
	if s.Closing != nil && running != nil && *running != *s.Closing {
		return fmt.Errorf("statement: closing balance is %s but the balance after %s is %s", s.Closing, lastBalanced, running)
	}
	return nil
}

func sourceSuffix(l Line) string {
	if l.Source == "" {
		return ""
	}
	return " (" + l.Source + ")"
}

func addMoney(a, b domain.Money) (domain.Money, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

var errNotDate = errors.New("not a date")

func moneyPtr(m domain.Money) *domain.Money { return &m }
