package statement

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/domain"
)

// CAMT.053 (ISO 20022 BankToCustomerStatement) elements, matched by local
// name so that every version (camt.053.001.02 … .13) reads the same.
type camtStatement struct {
	Acct struct {
		camtAccountRef
		Ccy string `xml:"Ccy"`
	} `xml:"Acct"`
	Bal  []camtBalance `xml:"Bal"`
	Ntry []camtEntry   `xml:"Ntry"`
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

// ParseCAMT053 reads an ISO 20022 camt.053 BankToCustomerStatement. Elements
// are matched by local name, so camt.053.001.02 and later versions read the
// same. Only booked entries are lines: entries whose status is pending (PDNG)
// or information (INFO) are left out, as they do not move the balance. All
// amounts must be in CNY.
func ParseCAMT053(data []byte) (Statement, error) {
	if err := checkSize("", data); err != nil {
		return Statement{}, err
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "gbk", "gb2312", "gb18030", "cp936":
			return simplifiedchinese.GB18030.NewDecoder().Reader(input), nil
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", charset)
	}
	var stmts []camtStatement
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return Statement{}, fmt.Errorf("statement: camt.053: xml line %d: %v", line, err)
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
			var st camtStatement
			if err := d.DecodeElement(&st, &start); err != nil {
				line, _ := d.InputPos()
				return Statement{}, fmt.Errorf("statement: camt.053: statement %d, xml line %d: %v", len(stmts)+1, line, err)
			}
			stmts = append(stmts, st)
		default:
			if err := d.Skip(); err != nil {
				line, _ := d.InputPos()
				return Statement{}, fmt.Errorf("statement: camt.053: xml line %d: %v", line, err)
			}
			if root == "Document" && len(stmts) == 0 && start.Name.Local != "GrpHdr" {
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
	if len(stmts) == 0 {
		return Statement{}, fmt.Errorf("statement: camt.053: no <BkToCstmrStmt><Stmt> element: not a camt.053 bank statement")
	}
	out := Statement{Format: "camt.053"}
	for si, st := range stmts {
		where := fmt.Sprintf("Stmt %d", si+1)
		if len(stmts) == 1 {
			where = "Stmt"
		}
		account := st.Acct.id()
		if si == 0 {
			out.Account = account
		} else if account != out.Account {
			return Statement{}, fmt.Errorf("statement: camt.053: %s is for account %q but the first statement is for %q; parse them separately", where, account, out.Account)
		}
		if ccy := strings.TrimSpace(st.Acct.Ccy); ccy != "" && ccy != "CNY" {
			return Statement{}, fmt.Errorf("statement: camt.053: %s: account currency %s; only CNY is supported", where, ccy)
		}
		var opening, closing *domain.Money
		for bi, b := range st.Bal {
			code := strings.TrimSpace(b.Tp.CdOrPrtry.Cd)
			if code != "OPBD" && code != "PRCD" && code != "CLBD" {
				continue
			}
			v, err := camtMoney(b.Amt, b.CdtDbtInd)
			if err != nil {
				return Statement{}, fmt.Errorf("statement: camt.053: %s Bal %d (%s): %v", where, bi+1, code, err)
			}
			switch {
			case code == "OPBD" || (code == "PRCD" && opening == nil):
				opening = moneyPtr(v)
			case code == "CLBD":
				closing = moneyPtr(v)
			}
		}
		if si == 0 {
			out.Opening = opening
		}
		out.Closing = closing
		for ni, e := range st.Ntry {
			entry := fmt.Sprintf("Ntry %d", ni+1)
			if len(stmts) > 1 {
				entry = where + " " + entry
			}
			status := strings.ToUpper(strings.TrimSpace(e.Sts.Cd))
			if status == "" {
				status = strings.ToUpper(strings.TrimSpace(e.Sts.Text))
			}
			if status == "PDNG" || status == "INFO" {
				continue
			}
			line, err := camtLine(e)
			if err != nil {
				if e.AcctSvcrRef != "" {
					entry += " (AcctSvcrRef " + e.AcctSvcrRef + ")"
				}
				return Statement{}, fmt.Errorf("statement: camt.053: %s: %v", entry, err)
			}
			if len(out.Lines) >= MaxLines {
				return Statement{}, tooManyLines(entry)
			}
			line.Number = len(out.Lines) + 1
			line.Source = entry
			out.Lines = append(out.Lines, line)
		}
	}
	return out, nil
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
	var names, accounts, remarks []string
	add := func(list *[]string, s string) {
		s = strings.TrimSpace(s)
		for _, have := range *list {
			if have == s {
				return
			}
		}
		if s != "" {
			*list = append(*list, s)
		}
	}
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
	if len(remarks) == 0 {
		add(&remarks, e.AddtlNtryInf)
	}
	l.Counterparty = strings.Join(names, " / ")
	l.CounterpartyAccount = strings.Join(accounts, " / ")
	l.Remark = strings.Join(remarks, " / ")
	return l, nil
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
