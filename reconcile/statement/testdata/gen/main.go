//go:build ignore

// Command gen writes the statement test fixtures into the directory it is
// run from:
//
//	cd reconcile/statement/testdata && go run gen/main.go
//
// The fixtures are committed; run this only to change them. Running balances
// are computed here in integer fen, so every fixture is consistent.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/domain"
)

func yuan(s string) domain.Money {
	m, err := domain.ParseYuan(s)
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// grouped renders 1234567.8 as "1,234,567.80".
func grouped(m domain.Money) string {
	s := m.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, fraction, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String() + "." + fraction
}

func write(name string, data []byte) {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", name, len(data), "bytes")
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func csvRow(b *bytes.Buffer, fields ...string) {
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(csvField(f))
	}
	b.WriteString("\r\n")
}

func main() {
	icbc()
	generic()
	camt()
	ccb()
}

// icbc writes the donations account's June 2022 ICBC export, GBK encoded.
func icbc() {
	type line struct {
		date, time, serial, remark, counterparty, account string
		amount                                            string // signed yuan
		duplicate                                         bool   // the bank printed the previous row twice
	}
	lines := []line{
		{"2022-06-02", "09:32:15", "202206020013542", "金秋助学捐款 D-EDU-03 第1笔(共2笔)", "鄂尔多斯市某建设集团有限公司", "0602004109000031777", "200000.00", false},
		{"2022-06-06", "10:05:47", "202206060021877", "夏送清凉捐款 D-SUM-01", "内蒙古某能源集团有限公司", "0602001209000088123", "500000.00", false},
		{"2022-06-06", "14:22:03", "202206060035410", "困难职工帮扶捐款", "鄂尔多斯市某商贸有限公司", "0602002309000045678", "10000.00", false},
		{"2022-06-06", "14:22:58", "202206060035466", "困难职工帮扶捐款", "准格尔旗某物流有限公司", "15050162700800001234", "10000.00", false},
		{"2022-06-08", "16:40:00", "202206080041002", "手续费", "", "", "-15.00", false},
		{"2022-06-10", "11:11:11", "202206100017765", "夏送清凉捐款 D-SUM-04", "鄂尔多斯某煤业有限责任公", "05480101040012345", "80000.00", false},
		{"2022-06-10", "11:11:11", "202206100017765", "夏送清凉捐款 D-SUM-04", "鄂尔多斯某煤业有限责任公", "05480101040012345", "80000.00", true},
		{"2022-06-14", "09:03:27", "202206140009981", "夏送清凉捐款 D-SUM-07", "达拉特旗某农牧业有限公司", "0602004509000076543", "12000.00", false},
		{"2022-06-16", "15:30:42", "202206160052230", "退款 多汇款项退回 D-SUM-07", "达拉特旗某农牧业有限公司", "0602004509000076543", "-2000.00", false},
		{"2022-06-20", "10:48:19", "202206200028874", "金秋助学捐款 D-EDU-03 第2笔(共2笔)", "鄂尔多斯市某建设集团有限公司", "0602004109000031777", "100000.00", false},
		{"2022-06-22", "13:57:36", "202206220039105", "D-SUM-02 D-SUM-03 D-EDU-05 三笔认捐合并汇款", "伊金霍洛旗某矿业有限公司", "0602006609000012888", "45000.00", false},
		{"2022-06-28", "09:15:00", "202206280011236", "工会会员爱心捐款", "东胜区某餐饮管理有限公司", "0602000809000055321", "6666.66", false},
		{"2022-06-29", "14:05:10", "202206290044310", "金秋助学捐款 D-EDU-06", "内蒙古某能源集团有限责任公司", "0602001209000088123", "50000.00", false},
	}
	balance := yuan("1286430.25")
	var b bytes.Buffer
	csvRow(&b, "中国工商银行账户交易明细")
	csvRow(&b, "账号: 0602 0011 0900 0012 345", "户名: 鄂尔多斯市总工会捐赠专户")
	csvRow(&b, "起止日期: 2022-06-01 至 2022-06-30")
	csvRow(&b, "交易日期", "交易时间", "交易流水号", "摘要", "对方户名", "对方账号", "借方发生额", "贷方发生额", "余额")
	var debits, credits domain.Money
	for _, l := range lines {
		amount := yuan(l.amount)
		if !l.duplicate {
			balance += amount
		}
		debit, credit := "", ""
		if amount < 0 {
			debit = grouped(-amount)
		} else {
			credit = grouped(amount)
		}
		// The bank's footer adds up its own records: a row printed twice
		// counts once.
		switch {
		case l.duplicate:
		case amount < 0:
			debits -= amount
		default:
			credits += amount
		}
		account := ""
		if l.account != "" {
			account = `="` + l.account + `"`
		}
		b.WriteString(strings.Join([]string{l.date, l.time, l.serial, l.remark, l.counterparty, account,
			csvField(debit), csvField(credit), csvField(grouped(balance))}, ","))
		b.WriteString("\r\n")
	}
	csvRow(&b)
	csvRow(&b, "合计", "", "", fmt.Sprintf("笔数: %d", len(lines)-1), "", "", grouped(debits), grouped(credits), "")
	csvRow(&b, "期末余额", "", "", "", "", "", "", "", grouped(balance))
	csvRow(&b, "打印日期: 2022-07-01 09:00:00")
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	write("icbc-2022-06.csv", gbk)
}

// generic writes a UTF-8 (with BOM) export of the federation's operating
// account, July 2022, with one signed amount column.
func generic() {
	type line struct{ date, serial, remark, counterparty, account, amount, printed string }
	lines := []line{
		{"2022/07/01", "GN2207010001", "会费收入", "鄂尔多斯市东胜区总工会", "0602 0022 0900 0045 678", "12600.00", "+12,600.00"},
		{"2022/07/04", "GN2207040007", "购买慰问品", "鄂尔多斯市某商贸有限公司", "0602 0023 0900 0045 678", "-8350.00", "-8,350.00"},
		{"2022/07/04", "GN2207040009", "手续费", "", "", "-5.50", "-5.50"},
		{"2022/07/15", "GN2207150003", "个人捐款", "张某某", "6222 0206 0201 1111 222", "2000.00", "¥ 2,000.00"},
		{"2022/07/20", "GN2207200011", "退回多捐款项", "张某某", "6222 0206 0201 1111 222", "-1200.00", "-¥1,200.00"},
		{"2022/07/29", "GN2207290002", "利息", "", "", "300.00", "+300.00"},
	}
	opening := yuan("38500.00")
	balance := opening
	var b bytes.Buffer
	b.Write([]byte{0xEF, 0xBB, 0xBF})
	csvRow(&b, "账户交易明细导出")
	csvRow(&b, "账号：6222 0206 0201 2345 678", "币种：人民币")
	csvRow(&b, "期初余额："+grouped(opening))
	csvRow(&b)
	csvRow(&b, "日期", "流水号", "摘要", "对方户名", "对方账号", "交易金额", "余额", "备注")
	for i, l := range lines {
		balance += yuan(l.amount)
		note := ""
		if i == 1 {
			note = "夏送清凉慰问品 S-2022-07"
		}
		csvRow(&b, l.date, l.serial, l.remark, l.counterparty, l.account, l.printed, grouped(balance), note)
	}
	csvRow(&b, "期末余额："+grouped(balance))
	write("utf8-bom-generic.csv", b.Bytes())
}

// camt writes the donations account's July 2022 statement as camt.053.001.02.
func camt() {
	type entry struct {
		ref, booked, indicator, amount, party, partyAccount, addtl string
		ustrd                                                      []string
	}
	entries := []entry{
		{"202207040018821", "<Dt>2022-07-04</Dt>", "CRDT", "300000.00", "内蒙古某能源集团有限公司", "0602001209000088123", "", []string{"夏送清凉捐款 D-SUM-01 第二期"}},
		{"202207050020114", "<Dt>2022-07-05</Dt>", "CRDT", "20000.00", "鄂尔多斯市某商贸有限公司", "0602002309000045678", "", []string{"金秋助学捐款 D-EDU-08"}},
		{"202207080041377", "<Dt>2022-07-08</Dt>", "DBIT", "15.00", "", "", "汇划手续费", []string{"手续费"}},
		{"202207120030958", "<DtTm>2022-07-12T10:20:30+08:00</DtTm>", "CRDT", "8888.88", "东胜区某餐饮管理有限公司", "0602000809000055321", "", []string{"工会会员爱心捐款"}},
		{"202207180026603", "<Dt>2022-07-18</Dt>", "CRDT", "150000.00", "鄂尔多斯某煤业有限责任公司", "05480101040012345", "", []string{"夏送清凉捐款", "D-SUM-04 尾款"}},
		{"202207260047712", "<Dt>2022-07-26</Dt>", "DBIT", "60000.00", "鄂尔多斯市某中学", "0602003309000099001", "", []string{"金秋助学金拨付 D-EDU-03"}},
	}
	opening := yuan("2298081.91")
	closing := opening
	var sumCredit, sumDebit domain.Money
	var nCredit, nDebit int
	var ntry strings.Builder
	for _, e := range entries {
		amount := yuan(e.amount)
		if e.indicator == "DBIT" {
			closing -= amount
			sumDebit += amount
			nDebit++
		} else {
			closing += amount
			sumCredit += amount
			nCredit++
		}
		fmt.Fprintf(&ntry, `      <Ntry>
        <Amt Ccy="CNY">%s</Amt>
        <CdtDbtInd>%s</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt>%s</BookgDt>
        <ValDt>%s</ValDt>
        <AcctSvcrRef>%s</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>%s</Cd></Prtry></BkTxCd>
`, e.amount, e.indicator, e.booked, strings.NewReplacer("DtTm", "Dt", "T10:20:30+08:00", "").Replace(e.booked), e.ref,
			map[string]string{"CRDT": "TRANSFER-IN", "DBIT": "TRANSFER-OUT"}[e.indicator])
		if e.addtl != "" {
			fmt.Fprintf(&ntry, "        <AddtlNtryInf>%s</AddtlNtryInf>\n", e.addtl)
		}
		fmt.Fprintf(&ntry, "        <NtryDtls>\n          <TxDtls>\n            <Refs><AcctSvcrRef>%s</AcctSvcrRef></Refs>\n", e.ref)
		if e.party != "" {
			role := map[string]string{"CRDT": "Dbtr", "DBIT": "Cdtr"}[e.indicator]
			fmt.Fprintf(&ntry, `            <RltdPties>
              <%[1]s><Nm>%[2]s</Nm></%[1]s>
              <%[1]sAcct><Id><Othr><Id>%[3]s</Id></Othr></Id></%[1]sAcct>
            </RltdPties>
`, role, e.party, e.partyAccount)
		}
		ntry.WriteString("            <RmtInf>\n")
		for _, u := range e.ustrd {
			fmt.Fprintf(&ntry, "              <Ustrd>%s</Ustrd>\n", u)
		}
		ntry.WriteString("            </RmtInf>\n          </TxDtls>\n        </NtryDtls>\n      </Ntry>\n")
	}
	doc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>ICBC-ORDOS-20220801-0001</MsgId>
      <CreDtTm>2022-08-01T06:00:00+08:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>0602001109000012345-202207</Id>
      <ElctrncSeqNb>7</ElctrncSeqNb>
      <CreDtTm>2022-08-01T06:00:00+08:00</CreDtTm>
      <FrToDt>
        <FrDtTm>2022-07-01T00:00:00+08:00</FrDtTm>
        <ToDtTm>2022-07-31T23:59:59+08:00</ToDtTm>
      </FrToDt>
      <Acct>
        <Id><Othr><Id>0602001109000012345</Id></Othr></Id>
        <Ccy>CNY</Ccy>
        <Nm>鄂尔多斯市总工会捐赠专户</Nm>
        <Svcr><FinInstnId><BIC>ICBKCNBJNMG</BIC><Nm>中国工商银行鄂尔多斯分行</Nm></FinInstnId></Svcr>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="CNY">%s</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2022-07-01</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="CNY">%s</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2022-07-31</Dt></Dt>
      </Bal>
      <TxsSummry>
        <TtlNtries><NbOfNtries>%d</NbOfNtries></TtlNtries>
        <TtlCdtNtries><NbOfNtries>%d</NbOfNtries><Sum>%s</Sum></TtlCdtNtries>
        <TtlDbtNtries><NbOfNtries>%d</NbOfNtries><Sum>%s</Sum></TtlDbtNtries>
      </TxsSummry>
%s    </Stmt>
  </BkToCstmrStmt>
</Document>
`, opening, closing, len(entries), nCredit, sumCredit, nDebit, sumDebit, ntry.String())
	write("camt053-2022-07.xml", []byte(doc))
}

// ccb writes the donations account's August 2022 CCB export as XLSX.
func ccb() {
	type line struct {
		booked                             int    // Excel serial day of 记账日期
		at                                 string // 交易时间
		debit, credit                      string // numeric cells; "" for none
		creditText                         bool   // credit stored as text "66,666.66"
		counterparty, account, institution string
		remark, note, serial, voucher      string
	}
	// 2022-08-01 is Excel serial day 44774.
	lines := []line{
		{44774, "2022-08-01 09:12:45", "", "100000", false, "准格尔旗某物流有限公司", "15050162700800001234", "中国建设银行准格尔旗支行", "转账", "金秋助学捐款 D-EDU-09", "2022080100117", "00117"},
		{44776, "2022-08-03 15:47:02", "0", "50000.5", false, "伊金霍洛旗某矿业有限公司", "0602006609000012888", "中国工商银行伊金霍洛旗支行", "跨行转账", "夏送清凉捐款 D-SUM-03 补差", "2022080300342", "00342"},
		{44778, "2022-08-05 17:30:00", "25", "", false, "", "", "", "手续费", "", "2022080500921", "00921"},
		{44783, "2022-08-10 11:03:36", "", "3000", false, "东胜区某餐饮管理有限公司", "0602000809000055321", "中国工商银行东胜支行", "转账", "工会会员爱心捐款", "2022081000205", "00205"},
		{44789, "2022-08-16 10:00:08", "12000", "", false, "鄂尔多斯市某中学", "0602003309000099001", "中国工商银行鄂尔多斯分行", "转账", "金秋助学金拨付 D-EDU-09", "2022081600150", "00150"},
		{44798, "2022-08-25 16:21:44", "", "66666.66", true, "内蒙古某能源集团有限公司", "0602001209000088123", "中国工商银行鄂尔多斯分行", "转账", "金秋助学捐款 D-EDU-06", "2022082500487", "00487"},
		{44804, "2022-08-31 23:59:59", "", "123.45", false, "", "", "", "结息", "利息", "2022083100999", "00999"},
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "账户明细"
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", sheet))
	_, err := f.NewSheet("说明")
	must(err)
	must(f.SetCellValue("说明", "A1", "本文件由中国建设银行企业网上银行导出"))
	dateFmt := "yyyymmdd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	must(err)
	moneyStyle, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	must(err)
	set := func(cell string, v any) { must(f.SetCellValue(sheet, cell, v)) }
	number := func(cell, v string, style int) {
		if v == "" {
			return
		}
		must(f.SetCellDefault(sheet, cell, v)) // a numeric cell from its decimal text: no float
		must(f.SetCellStyle(sheet, cell, cell, style))
	}
	set("A1", "中国建设银行单位客户账户明细")
	must(f.MergeCell(sheet, "A1", "O1"))
	set("A2", "账号：15050162700800009876")
	set("F2", "户名：鄂尔多斯市总工会")
	set("A3", "币种：人民币  起始日期：20220801  终止日期：20220831")
	header := []string{"交易时间", "借方发生额（支取）", "贷方发生额（收入）", "余额", "币种", "对方户名", "对方账号", "对方开户机构", "记账日期", "摘要", "备注", "账户明细编号-交易流水号", "企业流水号", "凭证种类", "凭证号"}
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 5)
		set(cell, h)
	}
	balance := yuan("2716955.79")
	var debits, credits domain.Money
	row := 6
	for _, l := range lines {
		r := func(col string) string { return fmt.Sprintf("%s%d", col, row) }
		if l.debit != "" {
			balance -= yuan(l.debit)
			debits += yuan(l.debit)
		}
		if l.credit != "" {
			balance += yuan(l.credit)
			credits += yuan(l.credit)
		}
		set(r("A"), l.at)
		number(r("B"), l.debit, moneyStyle)
		if l.creditText {
			set(r("C"), grouped(yuan(l.credit)))
		} else {
			number(r("C"), l.credit, moneyStyle)
		}
		printed := balance.String()
		if row == 9 {
			// A computed cell as Excel stores it: float noise in the raw XML.
			printed = "2869931.2899999998"
		}
		number(r("D"), printed, moneyStyle)
		set(r("E"), "人民币")
		set(r("F"), l.counterparty)
		set(r("G"), l.account)
		set(r("H"), l.institution)
		number(r("I"), fmt.Sprint(l.booked), dateStyle)
		set(r("J"), l.remark)
		set(r("K"), l.note)
		set(r("L"), l.serial)
		set(r("N"), "电子转账凭证")
		set(r("O"), l.voucher)
		row++
	}
	set(fmt.Sprintf("A%d", row), "合计")
	number(fmt.Sprintf("B%d", row), debits.String(), moneyStyle)
	number(fmt.Sprintf("C%d", row), credits.String(), moneyStyle)
	set(fmt.Sprintf("A%d", row+1), fmt.Sprintf("共 %d 笔", len(lines)))
	set(fmt.Sprintf("A%d", row+3), "注：本明细仅供参考，以银行记账为准。")
	fmt.Println("ccb closing balance", balance)
	var out bytes.Buffer
	_, err = f.WriteTo(&out)
	must(err)
	write("ccb-2022-08.xlsx", out.Bytes())
}
