package statement

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ordos-union/ledger/domain"
)

// maxHeaderSearch is how many rows may come before the column header row.
const maxHeaderSearch = 200

// columns holds the index of each field's column, or -1.
type columns struct {
	date, time, amount, direction, credit, debit, serial int
	counterparty, counterpartyAccount                    int
	payer, payerAccount, payee, payeeAccount, balance    int
	remark                                               []int
	header                                               []string // the header cells as written
	normalized                                           []string
}

// table turns rows of cells (from CSV or XLSX) into a Statement with a
// profile: it skips the bank's rows before the column header, finds the
// header, reads the lines, and reads or skips the rows after them.
type table struct {
	profile  Profile
	stmt     Statement
	cols     *columns
	rowsSeen int
	// serialDates accepts Excel serial day numbers (44743) as dates.
	serialDates bool
	date1904    bool
	// roundExcel rounds amounts to 15 significant digits first (Excel
	// float noise such as 1234.5599999999999).
	roundExcel bool
	// rowName names a row for messages; cellName names a cell.
	rowName  func(row int) string
	cellName func(row, col int) string
}

// row feeds one row. rowNumber is the 1-based row (CSV line, sheet row).
func (t *table) row(rowNumber int, cells []string) error {
	t.rowsSeen++
	for i, c := range cells {
		cells[i] = cleanCell(c)
	}
	if allEmpty(cells) {
		return nil
	}
	if t.cols == nil {
		if cols, ok := t.findHeader(cells); ok {
			t.cols = cols
			if t.stmt.layout != nil {
				t.stmt.layout.cols = cols
			}
			return nil
		}
		if t.rowsSeen > maxHeaderSearch {
			return t.noHeader()
		}
		t.preamble(cells)
		return nil
	}
	return t.line(rowNumber, cells)
}

func (t *table) noHeader() error {
	p := t.profile
	return fmt.Errorf("statement: no column header row found in the first %d rows for profile %q: a header row needs a date column (one of %s) and an amount column (one of %s; or credit %s / debit %s)",
		maxHeaderSearch, p.Name, quoteList(p.Date), quoteList(p.Amount), quoteList(p.Credit), quoteList(p.Debit))
}

func quoteList(names []string) string {
	if len(names) > 6 {
		names = append(slices.Clone(names[:6]), "…")
	}
	return strings.Join(names, ", ")
}

// finish returns the statement once every row was fed.
func (t *table) finish() (Statement, error) {
	if t.cols == nil {
		return Statement{}, t.noHeader()
	}
	s := t.stmt
	lines := s.Lines
	// Some banks export newest first: put the lines in booking order.
	if len(lines) > 1 && lines[0].Date.After(lines[len(lines)-1].Date) {
		descending := true
		for i := 1; i < len(lines); i++ {
			if lines[i].Date.After(lines[i-1].Date) {
				descending = false
				break
			}
		}
		if descending {
			slices.Reverse(lines)
		}
	}
	for i := range lines {
		lines[i].Number = i + 1
	}
	if s.Opening == nil && len(lines) > 0 && lines[0].Balance != nil {
		if v, ok := addMoney(*lines[0].Balance, -lines[0].Amount); ok {
			s.Opening = &v
		}
	}
	return s, nil
}

// normalizeHeader makes header text comparable: no spaces, ASCII
// punctuation, lower case, and no trailing "(元)" / "[ Trade Amount ]".
func normalizeHeader(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '（':
			return '('
		case '）':
			return ')'
		case '【', '［':
			return '['
		case '】', '］':
			return ']'
		case '：':
			return ':'
		case '／':
			return '/'
		case '*', '\ufeff', '"':
			return -1
		}
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return strings.TrimRight(s, ":")
}

// stripSuffix removes one trailing bracketed group: "借方发生额(支取)" →
// "借方发生额".
func stripSuffix(s string) string {
	for _, pair := range [][2]string{{"(", ")"}, {"[", "]"}} {
		if strings.HasSuffix(s, pair[1]) {
			if i := strings.LastIndex(s, pair[0]); i > 0 {
				return s[:i]
			}
		}
	}
	return s
}

func (t *table) findHeader(cells []string) (*columns, bool) {
	c := &columns{header: slices.Clone(cells), normalized: make([]string, len(cells))}
	full := make([]string, len(cells))
	for i, cell := range cells {
		full[i] = normalizeHeader(cell)
		c.normalized[i] = stripSuffix(full[i])
	}
	used := make([]bool, len(cells))
	find := func(cands []string) int {
		for _, cand := range cands {
			n := normalizeHeader(cand)
			for i := range cells {
				if !used[i] && full[i] != "" && (full[i] == n || c.normalized[i] == n || c.normalized[i] == stripSuffix(n)) {
					used[i] = true
					return i
				}
			}
		}
		return -1
	}
	p := t.profile
	c.date = find(p.Date)
	if c.date < 0 {
		return nil, false
	}
	c.credit = find(p.Credit)
	c.debit = find(p.Debit)
	c.amount = find(p.Amount)
	if c.amount < 0 && c.credit < 0 && c.debit < 0 {
		return nil, false
	}
	if c.credit >= 0 || c.debit >= 0 {
		// Separate columns win; a further signed column is ignored.
		if c.amount >= 0 {
			used[c.amount] = false
			c.amount = -1
		}
	}
	c.direction = -1
	if c.amount >= 0 {
		c.direction = find(p.Direction)
	}
	c.time = find(p.Time)
	c.balance = find(p.Balance)
	c.serial = find(p.Serial)
	c.counterpartyAccount = find(p.CounterpartyAccount)
	c.counterparty = find(p.Counterparty)
	c.payerAccount = find(p.PayerAccount)
	c.payer = find(p.Payer)
	c.payeeAccount = find(p.PayeeAccount)
	c.payee = find(p.Payee)
	for i := range cells {
		if used[i] {
			continue
		}
		for _, cand := range p.Remark {
			n := normalizeHeader(cand)
			if full[i] == n || c.normalized[i] == n {
				used[i] = true
				c.remark = append(c.remark, i)
				break
			}
		}
	}
	return c, true
}

// Labels of balance rows and footer rows.
var (
	openingLabels = []string{"期初余额", "上期余额", "上日余额", "期初", "openingbalance", "opening balance"}
	closingLabels = []string{"期末余额", "本期余额", "本日余额", "期末", "closingbalance", "closing balance"}
	footerWords   = []string{"合计", "总计", "小计", "累计", "共计", "汇总", "笔数", "本页", "total"}
	accountLabels = []string{"账号", "帐号", "账户", "帐户", "查询账号", "本方账号", "账户号", "账户号码", "accountnumber", "accountno.", "accountno", "account"}
)

// preamble reads the rows above the header: our account, balances.
func (t *table) preamble(cells []string) {
	if t.stmt.Account == "" {
		if acct := findLabelled(cells, accountLabels); acct != "" {
			t.stmt.Account = cleanAccount(acct)
		}
	}
	t.balanceRow(cells)
}

// findLabelled returns the text after "label:" in a cell, or the next
// non-empty cell after a cell that is just the label.
func findLabelled(cells []string, labels []string) string {
	for i, cell := range cells {
		n := strings.ToLower(strings.TrimSpace(cell))
		for _, label := range labels {
			rest, ok := strings.CutPrefix(strings.ReplaceAll(n, " ", ""), label)
			if !ok {
				continue
			}
			if rest == "" {
				for _, next := range cells[i+1:] {
					if next != "" {
						return next
					}
				}
				return ""
			}
			if rest[0] != ':' && !strings.HasPrefix(rest, "：") {
				continue
			}
			// Take the original text after the colon, up to a wide gap.
			orig := cell
			if j := strings.IndexAny(orig, ":："); j >= 0 {
				_, size := utf8.DecodeRuneInString(orig[j:])
				orig = strings.TrimSpace(orig[j+size:])
			}
			for _, gap := range []string{"  ", "\u3000", "\t", ",", "，", "；", ";"} {
				if k := strings.Index(orig, gap); k >= 0 {
					orig = orig[:k]
				}
			}
			return strings.TrimSpace(orig)
		}
	}
	return ""
}

// cleanAccount removes the spaces and dashes banks print inside account
// numbers for readability.
func cleanAccount(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s)
}

// balanceRow reads a 期初余额 / 期末余额 row; it reports whether it was one.
func (t *table) balanceRow(cells []string) bool {
	found := false
	for i, cell := range cells {
		n := strings.ToLower(strings.ReplaceAll(cell, " ", ""))
		for _, set := range []struct {
			labels []string
			target **domain.Money
			last   bool
		}{{openingLabels, &t.stmt.Opening, false}, {closingLabels, &t.stmt.Closing, true}} {
			for _, label := range set.labels {
				j := strings.Index(n, strings.ReplaceAll(label, " ", ""))
				if j < 0 {
					continue
				}
				found = true
				v, ok := amountAfter(n[j+len(strings.ReplaceAll(label, " ", "")):])
				if !ok && t.cols != nil && t.cols.balance > i && t.cols.balance < len(cells) {
					// Below the lines the balance column holds it.
					if m, empty, err := t.amount(cells[t.cols.balance]); err == nil && !empty {
						v, ok = m, true
					}
				}
				if !ok {
					for _, next := range cells[i+1:] {
						if next == "" {
							continue
						}
						if m, empty, err := parseAmount(next); err == nil && !empty {
							v, ok = m, true
						}
						break
					}
				}
				if ok && (*set.target == nil || set.last) {
					*set.target = moneyPtr(v)
				}
				break
			}
		}
	}
	return found
}

// amountAfter reads an amount that follows a label in the same cell:
// "期末余额：2,298,081.91元".
func amountAfter(rest string) (domain.Money, bool) {
	rest = strings.TrimLeft(rest, ":：¥￥ ")
	end := 0
	for end < len(rest) && strings.IndexByte("0123456789,.+-()", rest[end]) >= 0 {
		end++
	}
	m, empty, err := parseAmount(rest[:end])
	if err != nil || empty {
		return 0, false
	}
	return m, true
}

func containsAny(cells []string, words []string) bool {
	for _, cell := range cells {
		n := strings.ToLower(cell)
		for _, w := range words {
			if strings.Contains(n, w) {
				return true
			}
		}
	}
	return false
}

func (t *table) cell(cells []string, col int) string {
	if col < 0 || col >= len(cells) {
		return ""
	}
	return cells[col]
}

// line reads a row after the header.
func (t *table) line(rowNumber int, cells []string) error {
	c := t.cols
	if t.isHeaderAgain(cells) {
		return nil // a page's repeated header
	}
	dateText := t.cell(cells, c.date)
	date, dateErr := t.parseDate(dateText)
	if dateErr != nil {
		if t.balanceRow(cells) {
			return nil // 期初余额, 期末余额
		}
		if containsAny(cells, footerWords) {
			return t.footer(rowNumber, cells) // 合计, 本页小计, …
		}
		// A row with an amount but no date is a broken line, not a footer.
		for _, col := range []int{c.amount, c.credit, c.debit} {
			if _, empty, err := t.amount(t.cell(cells, col)); col >= 0 && !empty && err == nil {
				if dateText == "" {
					return fmt.Errorf("statement: %s: the row has an amount but no date in %s", t.cellName(rowNumber, c.date), c.header[c.date])
				}
				return fmt.Errorf("statement: %s: %s %q is not a date (expected a date like %s)",
					t.cellName(rowNumber, c.date), c.header[c.date], dateText, strings.Join(t.profile.DateLayouts[:min(5, len(t.profile.DateLayouts))], ", "))
			}
		}
		return nil // a note below the lines
	}
	amount, found, err := t.rowAmount(rowNumber, cells)
	if err != nil {
		return err
	}
	var balance *domain.Money
	if c.balance >= 0 {
		text := t.cell(cells, c.balance)
		v, empty, err := t.amount(text)
		if err != nil {
			return fmt.Errorf("statement: %s: %s: %v", t.cellName(rowNumber, c.balance), c.header[c.balance], err)
		}
		if !empty {
			balance = &v
		}
	}
	if !found {
		// A dated row without an amount: a 期初余额 / 期末余额 row, or broken.
		if t.balanceRow(cells) {
			if balance != nil {
				if containsAny(cells, openingLabels) && t.stmt.Opening == nil {
					t.stmt.Opening = moneyPtr(*balance)
				} else if containsAny(cells, closingLabels) {
					t.stmt.Closing = moneyPtr(*balance)
				}
			}
			return nil
		}
		cols := []string{}
		for _, col := range []int{c.amount, c.credit, c.debit} {
			if col >= 0 {
				cols = append(cols, c.header[col])
			}
		}
		return fmt.Errorf("statement: %s: the line dated %s has no amount in %s", t.rowName(rowNumber), dateText, strings.Join(cols, " or "))
	}
	if len(t.stmt.Lines) >= MaxLines {
		return tooManyLines(t.rowName(rowNumber))
	}
	if c.time >= 0 {
		date = t.withTime(date, t.cell(cells, c.time))
	}
	l := Line{
		Serial:              t.cell(cells, c.serial),
		Date:                date,
		Amount:              amount,
		Counterparty:        t.cell(cells, c.counterparty),
		CounterpartyAccount: cleanAccount(t.cell(cells, c.counterpartyAccount)),
		Balance:             balance,
		Source:              t.rowName(rowNumber),
		row:                 rowNumber,
	}
	if l.Counterparty == "" && l.CounterpartyAccount == "" {
		l.fromParty = true
		if amount >= 0 {
			l.Counterparty, l.CounterpartyAccount = t.cell(cells, c.payer), cleanAccount(t.cell(cells, c.payerAccount))
		} else {
			l.Counterparty, l.CounterpartyAccount = t.cell(cells, c.payee), cleanAccount(t.cell(cells, c.payeeAccount))
		}
	}
	var remarks []string
	for _, col := range c.remark {
		if r := t.cell(cells, col); r != "" && !slices.Contains(remarks, r) {
			remarks = append(remarks, r)
		}
	}
	l.Remark = strings.Join(remarks, " / ")
	t.stmt.Lines = append(t.stmt.Lines, l)
	return nil
}

// grandTotalWords mark the footer of the whole statement; pageWords mark a
// page's subtotal, which is not compared.
var (
	grandTotalWords = []string{"合计", "总计", "共计", "total"}
	pageWords       = []string{"本页", "小计", "page"}
)

// footer reads the statement's grand total row (合计) when it prints the
// money in and money out in the credit and debit columns. A single signed
// amount column's total is a net figure a duplicate could hide in, so it
// is not read.
func (t *table) footer(rowNumber int, cells []string) error {
	c := t.cols
	if c.credit < 0 || c.debit < 0 || !containsAny(cells, grandTotalWords) || containsAny(cells, pageWords) {
		return nil
	}
	credit, noCredit, creditErr := t.amount(t.cell(cells, c.credit))
	debit, noDebit, debitErr := t.amount(t.cell(cells, c.debit))
	if creditErr != nil || debitErr != nil || (noCredit && noDebit) {
		return nil
	}
	t.stmt.Footer = &Totals{In: abs(credit), Out: abs(debit), Source: t.rowName(rowNumber)}
	return nil
}

func (t *table) isHeaderAgain(cells []string) bool {
	c := t.cols
	if len(cells) == 0 || c.date >= len(cells) {
		return false
	}
	return stripSuffix(normalizeHeader(cells[c.date])) == c.normalized[c.date]
}

func (t *table) amount(text string) (domain.Money, bool, error) {
	if t.roundExcel {
		text = roundSignificant(text)
	}
	return parseAmount(text)
}

// rowAmount reads the signed amount of a line; found is false when every
// amount cell is empty.
func (t *table) rowAmount(rowNumber int, cells []string) (amount domain.Money, found bool, err error) {
	c := t.cols
	read := func(col int) (domain.Money, bool, error) {
		if col < 0 {
			return 0, true, nil
		}
		v, empty, err := t.amount(t.cell(cells, col))
		if err != nil {
			return 0, false, fmt.Errorf("statement: %s: %s: %v", t.cellName(rowNumber, col), c.header[col], err)
		}
		return v, empty, nil
	}
	if c.amount >= 0 {
		v, empty, err := read(c.amount)
		if err != nil || empty {
			return 0, false, err
		}
		if c.direction >= 0 {
			d := t.cell(cells, c.direction)
			switch sign := direction(d); {
			case sign > 0:
				v = abs(v)
			case sign < 0:
				v = -abs(v)
			case d != "":
				return 0, false, fmt.Errorf("statement: %s: %s %q is neither credit (贷/收入/C) nor debit (借/支出/D)", t.cellName(rowNumber, c.direction), c.header[c.direction], d)
			}
		}
		return v, true, nil
	}
	credit, noCredit, err := read(c.credit)
	if err != nil {
		return 0, false, err
	}
	debit, noDebit, err := read(c.debit)
	if err != nil {
		return 0, false, err
	}
	if noCredit && noDebit {
		return 0, false, nil
	}
	if credit != 0 && debit != 0 {
		return 0, false, fmt.Errorf("statement: %s: both %s %s and %s %s are given; a line moves money one way",
			t.rowName(rowNumber), c.header[c.credit], credit, c.header[c.debit], debit)
	}
	// A debit column holds the amount paid out, whether the bank prints it
	// as 15.00 or -15.00.
	return credit - abs(debit), true, nil
}

func abs(m domain.Money) domain.Money {
	if m < 0 {
		return -m
	}
	return m
}

// direction reads a 借贷标志: +1 money in, -1 money out, 0 unknown.
func direction(s string) int {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "贷", "贷方", "收", "收入", "入", "来账", "c", "cr", "credit", "crdt", "+":
		return 1
	case "借", "借方", "付", "支", "支出", "出", "往账", "d", "dr", "debit", "dbit", "-":
		return -1
	}
	return 0
}

// parseDate reads a booking date in Beijing time.
func (t *table) parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errNotDate
	}
	for _, layout := range t.profile.DateLayouts {
		if d, err := time.ParseInLocation(layout, s, domain.Beijing); err == nil {
			if d.Year() < 1900 || d.Year() > 2200 {
				return time.Time{}, errNotDate
			}
			return d.In(domain.Beijing), nil
		}
	}
	if t.serialDates {
		if d, ok := excelSerial(s, t.date1904); ok {
			return d, nil
		}
	}
	return time.Time{}, errNotDate
}

// withTime sets the time of day from a separate time column: "10:23:45",
// "102345", or a date and time on the same day.
func (t *table) withTime(date time.Time, s string) time.Time {
	if s == "" {
		return date
	}
	for _, layout := range []string{"15:04:05", "15:04", "150405", "15:04:05.999999999"} {
		if clock, err := time.Parse(layout, s); err == nil {
			return date.Add(time.Duration(clock.Hour())*time.Hour + time.Duration(clock.Minute())*time.Minute +
				time.Duration(clock.Second())*time.Second + time.Duration(clock.Nanosecond()))
		}
	}
	if t.serialDates && strings.HasPrefix(s, "0.") {
		if d, ok := excelSerial(s, true); ok { // a bare time: a fraction of a day
			return date.Add(d.Sub(time.Date(1904, 1, 1, 0, 0, 0, 0, domain.Beijing)))
		}
	}
	if full, err := t.parseDate(s); err == nil {
		if full.Year() == date.Year() && full.YearDay() == date.YearDay() {
			return full
		}
	}
	return date
}

// excelSerial reads an Excel serial date: days since 1899-12-30 (or
// 1904-01-01), with the day's fraction as the time. It uses the digits, not
// a float.
func excelSerial(s string, date1904 bool) (time.Time, bool) {
	whole, fraction, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 7 || !allDigits(whole) || !allDigits(fraction) {
		return time.Time{}, false
	}
	days := 0
	for _, r := range whole {
		days = days*10 + int(r-'0')
	}
	if days > 2958465 { // 9999-12-31
		return time.Time{}, false
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, domain.Beijing)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, domain.Beijing)
	} else if days < 60 {
		base = base.AddDate(0, 0, 1) // Excel's phantom 1900-02-29
	}
	d := base.AddDate(0, 0, days)
	if fraction != "" {
		if len(fraction) > 10 {
			fraction = fraction[:10]
		}
		num, den := int64(0), int64(1)
		for _, r := range fraction {
			num, den = num*10+int64(r-'0'), den*10
		}
		seconds := (num*86400 + den/2) / den
		d = d.Add(time.Duration(seconds) * time.Second)
	}
	return d, true
}

// cleanCell trims a cell and removes the wrappers banks add to keep Excel
// from turning numbers into floats: ="0602…", a leading tab or apostrophe.
func cleanCell(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = strings.TrimSpace(s[2 : len(s)-1])
	}
	if strings.HasPrefix(s, "'") && len(s) > 1 && allDigits(strings.TrimLeft(s[1:], " ")) {
		s = s[1:]
	}
	return s
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}
