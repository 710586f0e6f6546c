package statement

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/domain"
)

// CAMT.053 (ISO 20022 BankToCustomerStatement) elements, matched by local
// name so that every version (camt.053.001.02 … .13) reads the same. A
// statement (<Stmt>) is read one child at a time: its account, each
// balance and each entry.
type camtAccount struct {
	camtAccountRef
	Ccy string `xml:"Ccy"`
}

type camtAmount struct {
	Value string `xml:",chardata"`
	Ccy   string `xml:"Ccy,attr"`
}

type camtDate struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type camtBalance struct {
	Tp struct {
		CdOrPrtry struct {
			Cd    string `xml:"Cd"`
			Prtry string `xml:"Prtry"`
		} `xml:"CdOrPrtry"`
	} `xml:"Tp"`
	Amt       camtAmount `xml:"Amt"`
	CdtDbtInd string     `xml:"CdtDbtInd"`
	Dt        camtDate   `xml:"Dt"`
}

type camtParty struct {
	Nm  string `xml:"Nm"`
	Pty struct {
		Nm string `xml:"Nm"`
	} `xml:"Pty"` // camt.053.001.08 and later
}

func (p camtParty) name() string {
	if p.Nm != "" {
		return strings.TrimSpace(p.Nm)
	}
	return strings.TrimSpace(p.Pty.Nm)
}

type camtAccountRef struct {
	ID struct {
		IBAN string `xml:"IBAN"`
		Othr struct {
			ID string `xml:"Id"`
		} `xml:"Othr"`
	} `xml:"Id"`
}

func (a camtAccountRef) id() string {
	if iban := strings.TrimSpace(a.ID.IBAN); iban != "" {
		return iban
	}
	return strings.TrimSpace(a.ID.Othr.ID)
}

type camtTx struct {
	Refs struct {
		AcctSvcrRef string `xml:"AcctSvcrRef"`
	} `xml:"Refs"`
	RltdPties struct {
		Dbtr     camtParty      `xml:"Dbtr"`
		DbtrAcct camtAccountRef `xml:"DbtrAcct"`
		Cdtr     camtParty      `xml:"Cdtr"`
		CdtrAcct camtAccountRef `xml:"CdtrAcct"`
	} `xml:"RltdPties"`
	RmtInf struct {
		Ustrd []string `xml:"Ustrd"`
	} `xml:"RmtInf"`
	AddtlTxInf string `xml:"AddtlTxInf"`
}

type camtEntry struct {
	NtryRef   string     `xml:"NtryRef"`
	Amt       camtAmount `xml:"Amt"`
	CdtDbtInd string     `xml:"CdtDbtInd"`
	Sts       struct {
		Text string `xml:",chardata"`
		Cd   string `xml:"Cd"` // camt.053.001.08 and later
	} `xml:"Sts"`
	BookgDt      camtDate `xml:"BookgDt"`
	ValDt        camtDate `xml:"ValDt"`
	AcctSvcrRef  string   `xml:"AcctSvcrRef"`
	AddtlNtryInf string   `xml:"AddtlNtryInf"`
	NtryDtls     []struct {
		TxDtls []camtTx `xml:"TxDtls"`
	} `xml:"NtryDtls"`
}

// The limits on a CAMT.053 statement's XML. The statement is read one
// entry (<Ntry>) at a time, so what the parse holds is one entry and the
// lines read so far; these limits bound what one entry, or what lies
// between the entries, can make it hold or spend, whatever an upload
// repeats. Before them the whole <Stmt> was decoded at once: 6.7 MiB of
// empty <Ntry/> held 545 MiB before the first entry was found to have no
// amount, and 23 MiB of empty <Bal/> held 1.4 GiB. A real statement is far
// inside every one of them: an entry is some 25 elements, nested 11 deep,
// its longest text (AddtlNtryInf) is 500 characters, and its elements
// carry at most a currency attribute.
const (
	// camtDepthMax caps how deep elements nest: the decoder holds every
	// open element, and 4 million nested ones held 450 MiB.
	camtDepthMax = 64
	// camtAttrsMax caps the attributes of one element. The decoder
	// parses a tag's attributes whole, some 150 bytes of memory for each
	// 6 bytes of them, before they can be counted; camtRunBytesMax bounds
	// the tag, and with it that cost, first.
	camtAttrsMax = 64
	// camtTextBytesMax caps the text of one element (leaving out the
	// whitespace between elements), and the bytes of one comment,
	// processing instruction or declaration.
	camtTextBytesMax = 64 << 10
	// camtRunBytesMax caps a token as its bytes are read, before the
	// decoder holds it whole (camtRuns): a tag and the text after it, or a
	// comment, CDATA section, processing instruction or declaration. A
	// tag and a text of camtTextBytesMax each are within it; a run beyond
	// it has a tag or a text (whitespace too) of more than that.
	camtRunBytesMax = 2 * camtTextBytesMax
	// camtEntryTokensMax caps the tokens (elements, texts, comments) of
	// one entry: an entry's transaction details are decoded whole, and
	// 2 million empty <TxDtls/> in one entry held 880 MiB.
	camtEntryTokensMax = 20_000
	// camtOutsideTokensMax caps the tokens outside the entries in all: the
	// group header and each statement's account, balances and summary,
	// some hundreds of them a statement.
	camtOutsideTokensMax = 200_000
)

// CAMTLimit names a limit on a CAMT.053 statement's XML.
type CAMTLimit int

// The limits a CAMTLimitError names.
const (
	// CAMTEntries counts the entries (<Ntry>) of the document, booked or
	// not, against MaxLines; each is counted before it is decoded.
	CAMTEntries CAMTLimit = iota + 1
	// CAMTEntryTokens counts the elements, texts and comments of one
	// entry.
	CAMTEntryTokens
	// CAMTOutsideTokens counts the elements, texts and comments outside
	// the entries.
	CAMTOutsideTokens
	// CAMTDepth counts how deep elements nest.
	CAMTDepth
	// CAMTAttributes counts the attributes of one element.
	CAMTAttributes
	// CAMTTextBytes counts the bytes of one element's text, of one
	// comment, and of any run without markup (a tag, or a text).
	CAMTTextBytes
)

func (l CAMTLimit) String() string {
	switch l {
	case CAMTEntries:
		return "entries (<Ntry>), the most a statement may have (MaxLines); split the statement"
	case CAMTEntryTokens:
		return "XML elements, texts and comments in one entry"
	case CAMTOutsideTokens:
		return "XML elements, texts and comments outside the entries"
	case CAMTDepth:
		return "elements nested in one another"
	case CAMTAttributes:
		return "attributes on one element"
	case CAMTTextBytes:
		return "bytes of text in one element, of one tag or of one comment"
	}
	return fmt.Sprintf("CAMTLimit(%d)", int(l))
}

// ErrCAMTLimit is what every CAMTLimitError is (errors.Is).
var ErrCAMTLimit = errors.New("statement: camt.053: beyond a limit")

// CAMTLimitError says that a CAMT.053 statement was refused at a limit,
// and where: the statement and entry are 0 outside any.
type CAMTLimitError struct {
	Limit     CAMTLimit
	Max       int
	Statement int // the <Stmt>, from 1
	Entry     int // the <Ntry> within the statement, from 1
	XMLLine   int // the XML's line where the parse was when it refused
}

func (e *CAMTLimitError) Error() string {
	return fmt.Sprintf("statement: camt.053: %sxml line %d: more than %d %s", camtPlace(e.Statement, e.Entry), e.XMLLine, e.Max, e.Limit)
}

// Is makes errors.Is(err, ErrCAMTLimit) hold.
func (e *CAMTLimitError) Is(target error) bool { return target == ErrCAMTLimit }

// camtPlace names a statement and an entry for a message, followed by ", "
// ("Ntry 3, ", "Stmt 2 Ntry 3, ", "Stmt, "), or nothing outside any
// statement. The first statement is "Stmt": while it is read, whether
// others follow is not yet known.
func camtPlace(statement, entry int) string {
	place := ""
	switch {
	case statement > 1:
		place = fmt.Sprintf("Stmt %d", statement)
	case statement == 1 && entry == 0:
		place = "Stmt"
	}
	if entry > 0 {
		if place != "" {
			place += " "
		}
		place += fmt.Sprintf("Ntry %d", entry)
	}
	if place != "" {
		place += ", "
	}
	return place
}

// ParseCAMT053 reads an ISO 20022 camt.053 BankToCustomerStatement. Elements
// are matched by local name, so camt.053.001.02 and later versions read the
// same. Only booked entries are lines: entries whose status is pending (PDNG)
// or information (INFO) are left out, as they do not move the balance. All
// amounts must be in CNY. The XML is read one entry at a time, within the
// limits CAMTLimit names.
func ParseCAMT053(data []byte) (Statement, error) {
	if err := checkSize("", data); err != nil {
		return Statement{}, err
	}
	raw := xml.NewDecoder(&camtRuns{r: bytes.NewReader(data)})
	raw.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "gbk", "gb2312", "gb18030", "cp936":
			return simplifiedchinese.GB18030.NewDecoder().Reader(input), nil
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", charset)
	}
	scan := &camtScanner{raw: raw, tokensMax: camtOutsideTokensMax}
	p := &camtParser{d: xml.NewTokenDecoder(scan), scan: scan, out: Statement{Format: "camt.053"}}
	root := ""
	for {
		tok, err := p.d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Statement{}, p.xmlError(0, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = start.Name.Local
			if root != "Document" && root != "BkToCstmrStmt" {
				return Statement{}, fmt.Errorf("statement: camt.053: the root element is <%s>, not <Document> of a camt.053 BkToCstmrStmt", root)
			}
		}
		switch start.Name.Local {
		case "BkToCstmrStmt", "Document":
			continue // descend
		case "Stmt":
			if err := p.statement(); err != nil {
				return Statement{}, err
			}
		default:
			if err := p.d.Skip(); err != nil {
				return Statement{}, p.xmlError(0, err)
			}
			if root == "Document" && p.stmts == 0 && start.Name.Local != "GrpHdr" {
				// <Document><BkToCstmrNtfctn> and friends: not a statement.
				if strings.HasPrefix(start.Name.Local, "BkToCstmr") {
					return Statement{}, fmt.Errorf("statement: camt.053: the document holds <%s>, not <BkToCstmrStmt> (camt.053)", start.Name.Local)
				}
			}
		}
	}
	if root == "" {
		return Statement{}, fmt.Errorf("statement: camt.053: no XML element in the file")
	}
	if p.stmts == 0 {
		return Statement{}, fmt.Errorf("statement: camt.053: no <BkToCstmrStmt><Stmt> element: not a camt.053 bank statement")
	}
	if p.stmts > 1 {
		// A line's Source names its statement when the document has
		// several; the first statement's lines were read before the
		// second was met.
		for i := range p.firstLines {
			p.out.Lines[i].Source = "Stmt 1 " + p.out.Lines[i].Source
		}
	}
	return p.out, nil
}

// camtParser reads a CAMT.053 document's statements one element at a time.
type camtParser struct {
	d    *xml.Decoder // the document's tokens, through scan
	scan *camtScanner
	out  Statement
	// stmts counts the statements read so far, entries their entries (the
	// document's, against MaxLines), and firstLines the lines of the first.
	stmts, entries, firstLines int
}

// xmlError names where an error of the XML decoder happened: in statement
// stmt (from 1), or outside any (0). A CAMTLimitError already says where.
func (p *camtParser) xmlError(stmt int, err error) error {
	if errors.Is(err, ErrCAMTLimit) {
		return err
	}
	line, _ := p.scan.raw.InputPos()
	if stmt > 0 {
		return fmt.Errorf("statement: camt.053: statement %d, xml line %d: %w", stmt, line, err)
	}
	return fmt.Errorf("statement: camt.053: xml line %d: %w", line, err)
}

// statement reads one <Stmt>, whose start element was just read: its
// account, its balances one at a time, and its entries one at a time,
// each counted before it is decoded. Other elements are skipped.
func (p *camtParser) statement() error {
	p.stmts++
	si := p.stmts
	p.scan.stmt = si
	defer func() { p.scan.stmt = 0 }()
	where := "Stmt"
	if si > 1 {
		where = fmt.Sprintf("Stmt %d", si)
	}
	var acct camtAccount
	// The account is checked before the first balance or entry, as it
	// comes first in every camt.053, so that a statement of another
	// account is refused as such; and at the end if no <Acct> came first,
	// or one came after them.
	accountSeen, accountChecked := false, false
	checkAccount := func() error {
		accountChecked = true
		account := acct.id()
		if si == 1 {
			p.out.Account = account
		} else if account != p.out.Account {
			return fmt.Errorf("statement: camt.053: %s is for account %q but the first statement is for %q; parse them separately", where, account, p.out.Account)
		}
		if ccy := strings.TrimSpace(acct.Ccy); ccy != "" && ccy != "CNY" {
			return fmt.Errorf("statement: camt.053: %s: account currency %s; only CNY is supported", where, ccy)
		}
		return nil
	}
	var opening, closing *domain.Money
	balances, entries := 0, 0
	for {
		tok, err := p.d.Token()
		if err != nil {
			return p.xmlError(si, err)
		}
		if _, end := tok.(xml.EndElement); end {
			// The decoder matches end tags to start tags, and every child
			// is read whole below: this is </Stmt>.
			if !accountChecked {
				if err := checkAccount(); err != nil {
					return err
				}
			}
			if si == 1 {
				p.out.Opening = opening
				p.firstLines = len(p.out.Lines)
			}
			p.out.Closing = closing
			return nil
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "Acct":
			if err := p.d.DecodeElement(&acct, &start); err != nil {
				return p.xmlError(si, err)
			}
			accountSeen, accountChecked = true, false
		case "Bal":
			if accountSeen && !accountChecked {
				if err := checkAccount(); err != nil {
					return err
				}
			}
			balances++
			var b camtBalance
			if err := p.d.DecodeElement(&b, &start); err != nil {
				return p.xmlError(si, err)
			}
			code := strings.TrimSpace(b.Tp.CdOrPrtry.Cd)
			if code != "OPBD" && code != "PRCD" && code != "CLBD" {
				continue
			}
			v, err := camtMoney(b.Amt, b.CdtDbtInd)
			if err != nil {
				return fmt.Errorf("statement: camt.053: %s Bal %d (%s): %v", where, balances, code, err)
			}
			switch {
			case code == "OPBD" || (code == "PRCD" && opening == nil):
				opening = moneyPtr(v)
			case code == "CLBD":
				closing = moneyPtr(v)
			}
		case "Ntry":
			if accountSeen && !accountChecked {
				if err := checkAccount(); err != nil {
					return err
				}
			}
			entries++
			p.entries++
			if err := p.entry(si, entries, &start); err != nil {
				return err
			}
		default:
			if err := p.d.Skip(); err != nil {
				return p.xmlError(si, err)
			}
		}
	}
}

// entry reads entry n of statement si, whose start element was just read,
// and adds its line if it is booked. The entry is counted against
// MaxLines before it is decoded, and its tokens against
// camtEntryTokensMax as it is.
func (p *camtParser) entry(si, n int, start *xml.StartElement) error {
	p.scan.beginEntry(n)
	if p.entries > MaxLines {
		return p.scan.refuse(CAMTEntries, MaxLines)
	}
	var e camtEntry
	err := p.d.DecodeElement(&e, start)
	p.scan.endEntry()
	if err != nil {
		return p.xmlError(si, err)
	}
	entry := fmt.Sprintf("Ntry %d", n)
	if si > 1 {
		entry = fmt.Sprintf("Stmt %d %s", si, entry)
	}
	status := strings.ToUpper(strings.TrimSpace(e.Sts.Cd))
	if status == "" {
		status = strings.ToUpper(strings.TrimSpace(e.Sts.Text))
	}
	if status == "PDNG" || status == "INFO" {
		return nil
	}
	line, err := camtLine(e)
	if err != nil {
		if e.AcctSvcrRef != "" {
			entry += " (AcctSvcrRef " + e.AcctSvcrRef + ")"
		}
		return fmt.Errorf("statement: camt.053: %s: %v", entry, err)
	}
	line.Number = len(p.out.Lines) + 1
	line.Source = entry
	p.out.Lines = append(p.out.Lines, line)
	return nil
}

func camtLine(e camtEntry) (Line, error) {
	var l Line
	v, err := camtMoney(e.Amt, e.CdtDbtInd)
	if err != nil {
		return l, err
	}
	l.Amount = v
	date := e.BookgDt
	if date.Dt == "" && date.DtTm == "" {
		date = e.ValDt
	}
	if l.Date, err = camtTime(date); err != nil {
		return l, fmt.Errorf("<BookgDt>: %v", err)
	}
	l.Serial = strings.TrimSpace(e.AcctSvcrRef)
	var names, accounts, remarks camtList
	add := func(list *camtList, s string) { list.add(s) }
	for _, details := range e.NtryDtls {
		for _, tx := range details.TxDtls {
			if l.Serial == "" {
				l.Serial = strings.TrimSpace(tx.Refs.AcctSvcrRef)
			}
			if v >= 0 {
				add(&names, tx.RltdPties.Dbtr.name())
				add(&accounts, tx.RltdPties.DbtrAcct.id())
			} else {
				add(&names, tx.RltdPties.Cdtr.name())
				add(&accounts, tx.RltdPties.CdtrAcct.id())
			}
			for _, u := range tx.RmtInf.Ustrd {
				add(&remarks, u)
			}
			if len(tx.RmtInf.Ustrd) == 0 {
				add(&remarks, tx.AddtlTxInf)
			}
		}
	}
	if l.Serial == "" {
		l.Serial = strings.TrimSpace(e.NtryRef)
	}
	if len(remarks.items) == 0 {
		add(&remarks, e.AddtlNtryInf)
	}
	l.Counterparty = strings.Join(names.items, " / ")
	l.CounterpartyAccount = strings.Join(accounts.items, " / ")
	l.Remark = strings.Join(remarks.items, " / ")
	return l, nil
}

// camtList is an entry's names, accounts or remarks, each once, in the
// order first met. seen makes adding one cost the same however many there
// are: an entry may carry thousands of remarks, and comparing each with
// all before it took 90 ms for an entry of 9,000.
type camtList struct {
	items []string
	seen  map[string]bool
}

// add adds s, trimmed, unless it is empty or already there.
func (l *camtList) add(s string) {
	s = strings.TrimSpace(s)
	if s == "" || l.seen[s] {
		return
	}
	if l.seen == nil {
		l.seen = make(map[string]bool)
	}
	l.seen[s] = true
	l.items = append(l.items, s)
}

// camtMoney reads <Amt Ccy="CNY">1234.56</Amt> with its CdtDbtInd: DBIT is
// negative.
func camtMoney(a camtAmount, indicator string) (domain.Money, error) {
	if ccy := strings.TrimSpace(a.Ccy); ccy != "" && ccy != "CNY" {
		return 0, fmt.Errorf("amount in %s; only CNY is supported", ccy)
	}
	text := strings.TrimSpace(a.Value)
	if text == "" {
		return 0, fmt.Errorf("no <Amt>")
	}
	if strings.ContainsAny(text, "+-,eE ") {
		return 0, fmt.Errorf("<Amt> %q is not an unsigned decimal like 1234.56", text)
	}
	v, empty, err := parseAmount(text)
	if err != nil {
		return 0, fmt.Errorf("<Amt>: %v", err)
	}
	if empty {
		return 0, fmt.Errorf("no <Amt>")
	}
	switch strings.TrimSpace(indicator) {
	case "CRDT":
		return v, nil
	case "DBIT":
		return -v, nil
	case "":
		return 0, fmt.Errorf("no <CdtDbtInd> for <Amt> %s", text)
	default:
		return 0, fmt.Errorf("<CdtDbtInd> %q is neither CRDT nor DBIT", indicator)
	}
}

// camtTime reads <Dt>2022-07-04</Dt> (midnight Beijing time) or
// <DtTm>2022-07-04T10:20:30+08:00</DtTm> (zone-less means Beijing time).
func camtTime(d camtDate) (time.Time, error) {
	if dt := strings.TrimSpace(d.DtTm); dt != "" {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if t, err := time.ParseInLocation(layout, dt, domain.Beijing); err == nil {
				return t.In(domain.Beijing), nil
			}
		}
		return time.Time{}, fmt.Errorf("<DtTm> %q is not a date and time like 2022-07-04T10:20:30+08:00", dt)
	}
	dt := strings.TrimSpace(d.Dt)
	if dt == "" {
		return time.Time{}, fmt.Errorf("no booking date (<BookgDt> or <ValDt> with <Dt> or <DtTm>)")
	}
	day := dt
	if len(day) > 10 { // xs:date may carry a zone: 2022-07-04+08:00
		day = day[:10]
	}
	t, err := time.ParseInLocation("2006-01-02", day, domain.Beijing)
	if err != nil {
		return time.Time{}, fmt.Errorf("<Dt> %q is not a date like 2022-07-04", dt)
	}
	return t, nil
}

// camtScanner hands the XML decoder's tokens on, counting them against
// the limits CAMTLimit names, so that the decoding of an entry, a balance
// or a skipped element stops at a limit wherever it is.
type camtScanner struct {
	raw *xml.Decoder
	// stmt and entry are where the parse is, for errors: the statement
	// (from 1) and the entry within it (from 1), 0 outside any.
	stmt, entry int
	depth       int
	// text holds the bytes of text so far of the element open at each
	// depth (0: outside the root).
	text [camtDepthMax + 1]int
	// tokens counts the tokens of the entry being read, or outside the
	// entries; outside keeps the latter while an entry is read.
	tokens, tokensMax, outside int
}

// Token implements xml.TokenReader.
func (s *camtScanner) Token() (xml.Token, error) {
	tok, err := s.raw.Token()
	if err != nil {
		var limit *CAMTLimitError
		if errors.As(err, &limit) {
			// Refused by camtRuns, which does not know where.
			return nil, s.refuse(limit.Limit, limit.Max)
		}
		return nil, err
	}
	if _, end := tok.(xml.EndElement); end {
		s.depth--
		return tok, nil
	}
	s.tokens++
	if s.tokens > s.tokensMax {
		if s.entry > 0 {
			return nil, s.refuse(CAMTEntryTokens, s.tokensMax)
		}
		return nil, s.refuse(CAMTOutsideTokens, s.tokensMax)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if s.depth == camtDepthMax {
			return nil, s.refuse(CAMTDepth, camtDepthMax)
		}
		if len(t.Attr) > camtAttrsMax {
			return nil, s.refuse(CAMTAttributes, camtAttrsMax)
		}
		s.depth++
		s.text[s.depth] = 0
	case xml.CharData:
		// The whitespace between elements is not their text: a
		// statement's many entries are indented.
		if !camtBlank(t) {
			s.text[s.depth] += len(t)
			if s.text[s.depth] > camtTextBytesMax {
				return nil, s.refuse(CAMTTextBytes, camtTextBytesMax)
			}
		}
	case xml.Comment:
		if len(t) > camtTextBytesMax {
			return nil, s.refuse(CAMTTextBytes, camtTextBytesMax)
		}
	case xml.ProcInst:
		if len(t.Inst) > camtTextBytesMax {
			return nil, s.refuse(CAMTTextBytes, camtTextBytesMax)
		}
	case xml.Directive:
		if len(t) > camtTextBytesMax {
			return nil, s.refuse(CAMTTextBytes, camtTextBytesMax)
		}
	}
	return tok, nil
}

// camtBlank says whether text is only whitespace.
func camtBlank(text []byte) bool {
	for _, b := range text {
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			return false
		}
	}
	return true
}

// refuse is the error of a limit passed where the parse is.
func (s *camtScanner) refuse(limit CAMTLimit, most int) error {
	line, _ := s.raw.InputPos()
	return &CAMTLimitError{Limit: limit, Max: most, Statement: s.stmt, Entry: s.entry, XMLLine: line}
}

// beginEntry counts the tokens from here on, the entry's start element
// just read among them, as entry n's.
func (s *camtScanner) beginEntry(n int) {
	s.entry = n
	s.outside, s.tokens, s.tokensMax = s.tokens-1, 1, camtEntryTokensMax
}

// endEntry counts the tokens from here on as outside the entries again.
func (s *camtScanner) endEntry() {
	s.entry = 0
	s.tokens, s.tokensMax = s.outside, camtOutsideTokensMax
}

// camtRuns reads a statement's bytes for the XML decoder, refusing a
// token of more than camtRunBytesMax bytes as soon as that much of it is
// read, before the decoder holds it whole: read whole, a 32 MiB text was
// measured holding 120 MiB, a tag of 4 million attributes (23 MiB)
// 580 MiB, and a CDATA section of 16 MiB 80 MiB. Outside comments, CDATA
// sections, processing instructions and declarations, a token is a run of
// bytes up to the next '<' (a tag and the text after it: an attribute's
// value may not hold a '<'); those four run to their own ends ("-->",
// "]]>", "?>", the '>' that closes the declaration's nested '<'), as they
// may hold '<'.
type camtRuns struct {
	r     io.Reader
	state camtRunState
	// opened holds what follows the '<' while it is not yet known what it
	// opens (at most "![CDATA[").
	opened []byte
	run    int     // bytes of the token so far
	depth  int     // of '<' in a declaration
	last   [2]byte // the two bytes before, for an end split between reads
	err    error
}

type camtRunState int

const (
	runsPlain     camtRunState = iota // a tag or a text
	runsOpened                        // just after '<'
	runsComment                       // <!-- … -->
	runsCDATA                         // <![CDATA[ … ]]>
	runsPI                            // <? … ?>
	runsDirective                     // <!DOCTYPE …>
)

func (c *camtRuns) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	if !c.scan(p[:n]) {
		// camtScanner says where.
		c.err = &CAMTLimitError{Limit: CAMTTextBytes, Max: camtTextBytesMax}
		return n, c.err
	}
	return n, err
}

// scan follows the tokens through b, and is false when one is longer than
// camtRunBytesMax.
func (c *camtRuns) scan(b []byte) bool {
	for i := 0; i < len(b); {
		switch c.state {
		case runsPlain:
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				c.run += len(b) - i
				i = len(b)
				break
			}
			if c.run += j; c.run > camtRunBytesMax {
				return false
			}
			c.state, c.opened, c.run = runsOpened, c.opened[:0], 1
			i += j + 1
		case runsOpened:
			c.opened = append(c.opened, b[i])
			c.run++
			i++
			switch opened := string(c.opened); {
			case opened == "!--":
				c.state = runsComment
			case opened == "![CDATA[":
				c.state = runsCDATA
			case opened == "?":
				c.state = runsPI
			case strings.HasPrefix("![CDATA[", opened) || strings.HasPrefix("!--", opened):
				// Not known yet.
			case opened[0] == '!':
				c.state, c.depth = runsDirective, 1
				switch opened[len(opened)-1] {
				case '<':
					c.depth++
				case '>':
					c.state, c.run = runsPlain, 0
				}
			default:
				c.state = runsPlain
			}
		case runsComment, runsCDATA, runsPI:
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				c.run += len(b) - i
				i = len(b)
				break
			}
			c.run += j + 1
			i += j + 1
			if c.closes(b, i-1) {
				c.state, c.run = runsPlain, 0
			}
		case runsDirective:
			switch b[i] {
			case '<':
				c.depth++
			case '>':
				c.depth--
			}
			c.run++
			i++
			if c.depth == 0 {
				c.state, c.run = runsPlain, 0
			}
		}
		if c.run > camtRunBytesMax {
			return false
		}
	}
	if len(b) >= 2 {
		c.last = [2]byte{b[len(b)-2], b[len(b)-1]}
	} else if len(b) == 1 {
		c.last = [2]byte{c.last[1], b[0]}
	}
	return true
}

// closes says whether the '>' at b[at] ends the comment, CDATA section or
// processing instruction open, looking back into the previous read when
// the end is split between reads.
func (c *camtRuns) closes(b []byte, at int) bool {
	before := func(k int) byte { // the byte k before b[at]
		if at-k >= 0 {
			return b[at-k]
		}
		return c.last[2+(at-k)]
	}
	// The end's bytes must belong to the token, not to its opening: "<!-->"
	// and "<?>" do not end there.
	switch c.state {
	case runsComment:
		return c.run >= len("<!---->") && before(1) == '-' && before(2) == '-'
	case runsCDATA:
		return c.run >= len("<![CDATA[]]>") && before(1) == ']' && before(2) == ']'
	default:
		return c.run >= len("<??>") && before(1) == '?'
	}
}
