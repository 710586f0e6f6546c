package statement_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile/statement"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func yuan(t testing.TB, s string) domain.Money {
	t.Helper()
	m, err := domain.ParseYuan(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func beijing(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, domain.Beijing)
}

// gbkToUTF8 decodes a GBK fixture for tampering in tests.
func gbkToUTF8(t testing.TB, data []byte) string {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func utf8ToGBK(t testing.TB, text string) []byte {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type wantLine struct {
	number              int
	serial              string
	date                time.Time
	amount              string
	counterparty        string
	counterpartyAccount string
	remark              string
	balance             string // "" when the statement gives none
}

func checkLine(t *testing.T, got statement.Line, want wantLine) {
	t.Helper()
	if got.Number != want.number {
		t.Errorf("line %d: Number %d", want.number, got.Number)
	}
	if got.Serial != want.serial {
		t.Errorf("line %d: Serial %q, want %q", want.number, got.Serial, want.serial)
	}
	if !got.Date.Equal(want.date) || got.Date.Location().String() != "CST" {
		t.Errorf("line %d: Date %v, want %v", want.number, got.Date, want.date)
	}
	if got.Amount != yuan(t, want.amount) {
		t.Errorf("line %d: Amount %s fen %d, want %s", want.number, got.Amount, int64(got.Amount), want.amount)
	}
	if got.Counterparty != want.counterparty {
		t.Errorf("line %d: Counterparty %q, want %q", want.number, got.Counterparty, want.counterparty)
	}
	if got.CounterpartyAccount != want.counterpartyAccount {
		t.Errorf("line %d: CounterpartyAccount %q, want %q", want.number, got.CounterpartyAccount, want.counterpartyAccount)
	}
	if got.Remark != want.remark {
		t.Errorf("line %d: Remark %q, want %q", want.number, got.Remark, want.remark)
	}
	switch {
	case want.balance == "" && got.Balance != nil:
		t.Errorf("line %d: Balance %s, want none", want.number, got.Balance)
	case want.balance != "" && (got.Balance == nil || *got.Balance != yuan(t, want.balance)):
		t.Errorf("line %d: Balance %v, want %s", want.number, got.Balance, want.balance)
	}
}

func checkMoney(t *testing.T, what string, got *domain.Money, want string) {
	t.Helper()
	switch {
	case want == "" && got != nil:
		t.Errorf("%s = %s, want none", what, got)
	case want != "" && (got == nil || *got != yuan(t, want)):
		t.Errorf("%s = %v, want %s", what, got, want)
	}
}

func TestICBCFixture(t *testing.T) {
	data := fixture(t, "icbc-2022-06.csv")
	s, err := statement.Parse("icbc-2022-06.csv", data, "icbc")
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "csv" || s.Profile != "icbc" || s.Account != "0602001109000012345" {
		t.Errorf("Format %q Profile %q Account %q", s.Format, s.Profile, s.Account)
	}
	if len(s.Lines) != 13 {
		t.Fatalf("%d lines, want 13", len(s.Lines))
	}
	checkMoney(t, "Opening (derived from line 1)", s.Opening, "1286430.25")
	checkMoney(t, "Closing (期末余额 row)", s.Closing, "2298081.91")
	if int64(s.Lines[0].Amount) != 20_000_000 || int64(s.Lines[12].Amount) != 5_000_000 {
		t.Errorf("first/last amounts in fen: %d, %d", s.Lines[0].Amount, s.Lines[12].Amount)
	}
	want := []wantLine{
		// Split donation, part 1 of 2.
		{1, "202206020013542", beijing(2022, 6, 2, 9, 32, 15), "200000.00", "鄂尔多斯市某建设集团有限公司", "0602004109000031777", "金秋助学捐款 D-EDU-03 第1笔(共2笔)", "1486430.25"},
		{2, "202206060021877", beijing(2022, 6, 6, 10, 5, 47), "500000.00", "内蒙古某能源集团有限公司", "0602001209000088123", "夏送清凉捐款 D-SUM-01", "1986430.25"},
		// Two donors, same amount, same day.
		{3, "202206060035410", beijing(2022, 6, 6, 14, 22, 3), "10000.00", "鄂尔多斯市某商贸有限公司", "0602002309000045678", "困难职工帮扶捐款", "1996430.25"},
		{4, "202206060035466", beijing(2022, 6, 6, 14, 22, 58), "10000.00", "准格尔旗某物流有限公司", "15050162700800001234", "困难职工帮扶捐款", "2006430.25"},
		// Bank fee.
		{5, "202206080041002", beijing(2022, 6, 8, 16, 40, 0), "-15.00", "", "", "手续费", "2006415.25"},
		// Typo in the company name (公 without 司), then the same row again.
		{6, "202206100017765", beijing(2022, 6, 10, 11, 11, 11), "80000.00", "鄂尔多斯某煤业有限责任公", "05480101040012345", "夏送清凉捐款 D-SUM-04", "2086415.25"},
		{7, "202206100017765", beijing(2022, 6, 10, 11, 11, 11), "80000.00", "鄂尔多斯某煤业有限责任公", "05480101040012345", "夏送清凉捐款 D-SUM-04", "2086415.25"},
		// Over-payment and its refund.
		{8, "202206140009981", beijing(2022, 6, 14, 9, 3, 27), "12000.00", "达拉特旗某农牧业有限公司", "0602004509000076543", "夏送清凉捐款 D-SUM-07", "2098415.25"},
		{9, "202206160052230", beijing(2022, 6, 16, 15, 30, 42), "-2000.00", "达拉特旗某农牧业有限公司", "0602004509000076543", "退款 多汇款项退回 D-SUM-07", "2096415.25"},
		// Split donation, part 2 of 2.
		{10, "202206200028874", beijing(2022, 6, 20, 10, 48, 19), "100000.00", "鄂尔多斯市某建设集团有限公司", "0602004109000031777", "金秋助学捐款 D-EDU-03 第2笔(共2笔)", "2196415.25"},
		// One transfer for three pledges.
		{11, "202206220039105", beijing(2022, 6, 22, 13, 57, 36), "45000.00", "伊金霍洛旗某矿业有限公司", "0602006609000012888", "D-SUM-02 D-SUM-03 D-EDU-05 三笔认捐合并汇款", "2241415.25"},
		{12, "202206280011236", beijing(2022, 6, 28, 9, 15, 0), "6666.66", "东胜区某餐饮管理有限公司", "0602000809000055321", "工会会员爱心捐款", "2248081.91"},
		// 有限责任公司 where line 2 says 有限公司.
		{13, "202206290044310", beijing(2022, 6, 29, 14, 5, 10), "50000.00", "内蒙古某能源集团有限责任公司", "0602001209000088123", "金秋助学捐款 D-EDU-06", "2298081.91"},
	}
	for i, w := range want {
		checkLine(t, s.Lines[i], w)
	}
	if s.Lines[0].Source != "csv line 5" || s.Lines[12].Source != "csv line 17" {
		t.Errorf("sources %q, %q", s.Lines[0].Source, s.Lines[12].Source)
	}
	if got := s.Duplicates(); !reflect.DeepEqual(got, []statement.Duplicate{{Line: 7, Of: 6}}) {
		t.Errorf("Duplicates() = %v, want line 7 repeats line 6", got)
	}
	if err := s.CheckBalances(); err != nil {
		t.Errorf("CheckBalances: %v", err)
	}
}

func TestGBKDetection(t *testing.T) {
	data := fixture(t, "icbc-2022-06.csv")
	if utf8.Valid(data) {
		t.Fatal("the ICBC fixture should be GBK, not UTF-8")
	}
	if !bytes.Contains(data, utf8ToGBK(t, "中国工商银行")) {
		t.Fatal("the ICBC fixture does not hold GBK text")
	}
	fromGBK, err := statement.ParseCSV(data, "icbc")
	if err != nil {
		t.Fatal(err)
	}
	text := gbkToUTF8(t, data)
	for name, variant := range map[string][]byte{
		"utf-8":          []byte(text),
		"utf-8 with BOM": append([]byte("\xEF\xBB\xBF"), text...),
	} {
		got, err := statement.ParseCSV(variant, "icbc")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, fromGBK) {
			t.Errorf("%s: parsed differently from the GBK file", name)
		}
	}
	if fromGBK.Lines[1].Counterparty != "内蒙古某能源集团有限公司" {
		t.Errorf("GBK counterparty decoded as %q", fromGBK.Lines[1].Counterparty)
	}
	// GB18030 beyond GBK: a rare character in a name.
	gb18030, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("交易日期,贷方发生额,对方户名\n2022-06-01,1.00,乌审旗𠮷祥商贸有限公司\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := statement.ParseCSV(gb18030, "generic")
	if err != nil {
		t.Fatal(err)
	}
	if s.Lines[0].Counterparty != "乌审旗𠮷祥商贸有限公司" {
		t.Errorf("GB18030 counterparty decoded as %q", s.Lines[0].Counterparty)
	}
}

func TestGenericBOMFixture(t *testing.T) {
	data := fixture(t, "utf8-bom-generic.csv")
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Fatal("the generic fixture should start with a UTF-8 BOM")
	}
	for _, profile := range []string{"generic", ""} {
		s, err := statement.Parse("utf8-bom-generic.csv", data, profile)
		if err != nil {
			t.Fatalf("profile %q: %v", profile, err)
		}
		if s.Format != "csv" || s.Profile != "generic" || s.Account != "6222020602012345678" {
			t.Errorf("Format %q Profile %q Account %q", s.Format, s.Profile, s.Account)
		}
		if len(s.Lines) != 6 {
			t.Fatalf("%d lines, want 6", len(s.Lines))
		}
		checkMoney(t, "Opening (期初余额 row)", s.Opening, "38500.00")
		checkMoney(t, "Closing (期末余额 row)", s.Closing, "43844.50")
		want := []wantLine{
			{1, "GN2207010001", beijing(2022, 7, 1, 0, 0, 0), "12600.00", "鄂尔多斯市东胜区总工会", "0602002209000045678", "会费收入", "51100.00"},
			{2, "GN2207040007", beijing(2022, 7, 4, 0, 0, 0), "-8350.00", "鄂尔多斯市某商贸有限公司", "0602002309000045678", "购买慰问品 / 夏送清凉慰问品 S-2022-07", "42750.00"},
			{3, "GN2207040009", beijing(2022, 7, 4, 0, 0, 0), "-5.50", "", "", "手续费", "42744.50"},
			{4, "GN2207150003", beijing(2022, 7, 15, 0, 0, 0), "2000.00", "张某某", "6222020602011111222", "个人捐款", "44744.50"},
			{5, "GN2207200011", beijing(2022, 7, 20, 0, 0, 0), "-1200.00", "张某某", "6222020602011111222", "退回多捐款项", "43544.50"},
			{6, "GN2207290002", beijing(2022, 7, 29, 0, 0, 0), "300.00", "", "", "利息", "43844.50"},
		}
		for i, w := range want {
			checkLine(t, s.Lines[i], w)
		}
		if int64(s.Lines[0].Amount) != 1_260_000 || int64(s.Lines[5].Amount) != 30_000 {
			t.Errorf("first/last amounts in fen: %d, %d", s.Lines[0].Amount, s.Lines[5].Amount)
		}
		if err := s.CheckBalances(); err != nil {
			t.Errorf("CheckBalances: %v", err)
		}
	}
	// The BOM directly before the column header must not hide it.
	text := strings.TrimPrefix(string(data), "\xEF\xBB\xBF")
	header := text[strings.Index(text, "日期,流水号"):]
	s, err := statement.ParseCSV([]byte("\xEF\xBB\xBF"+header), "generic")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lines) != 6 || s.Opening == nil || *s.Opening != yuan(t, "38500.00") {
		t.Errorf("BOM before header: %d lines, opening %v", len(s.Lines), s.Opening)
	}
}

func TestCAMT053Fixture(t *testing.T) {
	data := fixture(t, "camt053-2022-07.xml")
	s, err := statement.Parse("camt053-2022-07.xml", data, "")
	if err != nil {
		t.Fatal(err)
	}
	checkCAMT(t, s)
}

func checkCAMT(t *testing.T, s statement.Statement) {
	t.Helper()
	if s.Format != "camt.053" || s.Account != "0602001109000012345" {
		t.Errorf("Format %q Account %q", s.Format, s.Account)
	}
	if len(s.Lines) != 6 {
		t.Fatalf("%d lines, want 6", len(s.Lines))
	}
	checkMoney(t, "Opening (OPBD)", s.Opening, "2298081.91")
	checkMoney(t, "Closing (CLBD)", s.Closing, "2716955.79")
	want := []wantLine{
		{1, "202207040018821", beijing(2022, 7, 4, 0, 0, 0), "300000.00", "内蒙古某能源集团有限公司", "0602001209000088123", "夏送清凉捐款 D-SUM-01 第二期", ""},
		{2, "202207050020114", beijing(2022, 7, 5, 0, 0, 0), "20000.00", "鄂尔多斯市某商贸有限公司", "0602002309000045678", "金秋助学捐款 D-EDU-08", ""},
		{3, "202207080041377", beijing(2022, 7, 8, 0, 0, 0), "-15.00", "", "", "手续费", ""},
		{4, "202207120030958", beijing(2022, 7, 12, 10, 20, 30), "8888.88", "东胜区某餐饮管理有限公司", "0602000809000055321", "工会会员爱心捐款", ""},
		{5, "202207180026603", beijing(2022, 7, 18, 0, 0, 0), "150000.00", "鄂尔多斯某煤业有限责任公司", "05480101040012345", "夏送清凉捐款 / D-SUM-04 尾款", ""},
		{6, "202207260047712", beijing(2022, 7, 26, 0, 0, 0), "-60000.00", "鄂尔多斯市某中学", "0602003309000099001", "金秋助学金拨付 D-EDU-03", ""},
	}
	for i, w := range want {
		checkLine(t, s.Lines[i], w)
	}
	if int64(s.Lines[0].Amount) != 30_000_000 || int64(s.Lines[5].Amount) != -6_000_000 {
		t.Errorf("first/last amounts in fen: %d, %d", s.Lines[0].Amount, s.Lines[5].Amount)
	}
	if s.Lines[2].Source != "Ntry 3" {
		t.Errorf("Source %q", s.Lines[2].Source)
	}
	if err := s.CheckBalances(); err != nil {
		t.Errorf("CheckBalances: %v", err)
	}
}

func TestCAMT053LaterVersions(t *testing.T) {
	text := string(fixture(t, "camt053-2022-07.xml"))
	// camt.053.001.08: other namespace, party names under Pty, status as a code.
	v08 := strings.NewReplacer(
		"camt.053.001.02", "camt.053.001.08",
		"<Dbtr><Nm>", "<Dbtr><Pty><Nm>", "</Nm></Dbtr>", "</Nm></Pty></Dbtr>",
		"<Cdtr><Nm>", "<Cdtr><Pty><Nm>", "</Nm></Cdtr>", "</Nm></Pty></Cdtr>",
		"<Sts>BOOK</Sts>", "<Sts><Cd>BOOK</Cd></Sts>",
	).Replace(text)
	if v08 == text || !strings.Contains(v08, "<Dbtr><Pty><Nm>") {
		t.Fatal("replacements did not apply")
	}
	s, err := statement.ParseCAMT053([]byte(v08))
	if err != nil {
		t.Fatal(err)
	}
	checkCAMT(t, s)
	// Prefixed elements.
	prefixed := strings.NewReplacer(`<Document xmlns=`, `<c:Document xmlns:c=`, "</Document>", "</c:Document>",
		"<BkToCstmrStmt>", "<c:BkToCstmrStmt>", "</BkToCstmrStmt>", "</c:BkToCstmrStmt>").Replace(text)
	s, err = statement.ParseCAMT053([]byte(prefixed))
	if err != nil {
		t.Fatal(err)
	}
	checkCAMT(t, s)
}

func TestCAMT053Errors(t *testing.T) {
	text := string(fixture(t, "camt053-2022-07.xml"))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"three decimals", "<Amt Ccy=\"CNY\">8888.88</Amt>", "<Amt Ccy=\"CNY\">8888.888</Amt>", "Ntry 4 (AcctSvcrRef 202207120030958): <Amt>: amount \"8888.888\" has more than two decimals"},
		{"float syntax", "<Amt Ccy=\"CNY\">20000.00</Amt>", "<Amt Ccy=\"CNY\">2E4</Amt>", "Ntry 2"},
		{"bad indicator", "<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>DEBIT</CdtDbtInd>", "Ntry 3 (AcctSvcrRef 202207080041377): <CdtDbtInd> \"DEBIT\""},
		{"currency", "<Amt Ccy=\"CNY\">150000.00</Amt>", "<Amt Ccy=\"USD\">150000.00</Amt>", "Ntry 5 (AcctSvcrRef 202207180026603): amount in USD"},
		{"no date", "<BookgDt><Dt>2022-07-26</Dt></BookgDt>\n        <ValDt><Dt>2022-07-26</Dt></ValDt>", "", "Ntry 6 (AcctSvcrRef 202207260047712): <BookgDt>: no booking date"},
		{"notification", "BkToCstmrStmt", "BkToCstmrNtfctn", "not <BkToCstmrStmt>"},
		{"broken xml", "</Stmt>", "</Stmnt>", "xml line"},
	} {
		bad := strings.Replace(text, tc.old, tc.new, 1)
		if tc.name == "notification" {
			bad = strings.ReplaceAll(text, tc.old, tc.new)
		}
		if bad == text {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		_, err := statement.ParseCAMT053([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	// A DBIT opening balance is negative.
	neg := strings.Replace(text, "<CdtDbtInd>CRDT</CdtDbtInd>\n        <Dt><Dt>2022-07-01", "<CdtDbtInd>DBIT</CdtDbtInd>\n        <Dt><Dt>2022-07-01", 1)
	s, err := statement.ParseCAMT053([]byte(neg))
	if err != nil {
		t.Fatal(err)
	}
	checkMoney(t, "DBIT opening", s.Opening, "-2298081.91")
	// Pending entries are not booked lines.
	pending := strings.Replace(text, "<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>", 1)
	if s, err = statement.ParseCAMT053([]byte(pending)); err != nil || len(s.Lines) != 5 {
		t.Errorf("pending entry: %d lines, %v", len(s.Lines), err)
	}
}

func TestCCBXLSXFixture(t *testing.T) {
	data := fixture(t, "ccb-2022-08.xlsx")
	s, err := statement.Parse("ccb-2022-08.xlsx", data, "ccb")
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "xlsx" || s.Profile != "ccb" || s.Account != "15050162700800009876" {
		t.Errorf("Format %q Profile %q Account %q", s.Format, s.Profile, s.Account)
	}
	if len(s.Lines) != 7 {
		t.Fatalf("%d lines, want 7", len(s.Lines))
	}
	checkMoney(t, "Opening (derived from line 1)", s.Opening, "2716955.79")
	checkMoney(t, "Closing (not stated)", s.Closing, "")
	want := []wantLine{
		{1, "2022080100117", beijing(2022, 8, 1, 9, 12, 45), "100000.00", "准格尔旗某物流有限公司", "15050162700800001234", "转账 / 金秋助学捐款 D-EDU-09", "2816955.79"},
		{2, "2022080300342", beijing(2022, 8, 3, 15, 47, 2), "50000.50", "伊金霍洛旗某矿业有限公司", "0602006609000012888", "跨行转账 / 夏送清凉捐款 D-SUM-03 补差", "2866956.29"},
		{3, "2022080500921", beijing(2022, 8, 5, 17, 30, 0), "-25.00", "", "", "手续费", "2866931.29"},
		// The balance cell holds 2869931.2899999998 as Excel stored it.
		{4, "2022081000205", beijing(2022, 8, 10, 11, 3, 36), "3000.00", "东胜区某餐饮管理有限公司", "0602000809000055321", "转账 / 工会会员爱心捐款", "2869931.29"},
		{5, "2022081600150", beijing(2022, 8, 16, 10, 0, 8), "-12000.00", "鄂尔多斯市某中学", "0602003309000099001", "转账 / 金秋助学金拨付 D-EDU-09", "2857931.29"},
		// The amount is a text cell "66,666.66".
		{6, "2022082500487", beijing(2022, 8, 25, 16, 21, 44), "66666.66", "内蒙古某能源集团有限公司", "0602001209000088123", "转账 / 金秋助学捐款 D-EDU-06", "2924597.95"},
		{7, "2022083100999", beijing(2022, 8, 31, 23, 59, 59), "123.45", "", "", "结息 / 利息", "2924721.40"},
	}
	for i, w := range want {
		checkLine(t, s.Lines[i], w)
	}
	if int64(s.Lines[0].Amount) != 10_000_000 || int64(s.Lines[6].Amount) != 12_345 {
		t.Errorf("first/last amounts in fen: %d, %d", s.Lines[0].Amount, s.Lines[6].Amount)
	}
	if s.Lines[3].Source != "sheet 账户明细 row 9" {
		t.Errorf("Source %q", s.Lines[3].Source)
	}
	if err := s.CheckBalances(); err != nil {
		t.Errorf("CheckBalances: %v", err)
	}

	// The fixture really exercises serial dates and float noise.
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); len(sheets) != 2 || sheets[0] != "账户明细" {
		t.Errorf("sheets %v", sheets)
	}
	for cell, raw := range map[string]string{"I6": "44774", "D9": "2869931.2899999998", "C11": "66,666.66", "A13": "合计"} {
		if got, _ := f.GetCellValue("账户明细", cell, excelize.Options{RawCellValue: true}); got != raw {
			t.Errorf("raw %s = %q, want %q", cell, got, raw)
		}
	}
}

// editXLSX changes one cell of the CCB fixture.
func editXLSX(t *testing.T, cell, value string, numeric bool) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(fixture(t, "ccb-2022-08.xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if numeric {
		err = f.SetCellDefault("账户明细", cell, value)
	} else {
		err = f.SetCellStr("账户明细", cell, value)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestTamperedBalances(t *testing.T) {
	icbc := gbkToUTF8(t, fixture(t, "icbc-2022-06.csv"))
	generic := string(fixture(t, "utf8-bom-generic.csv"))
	camt := string(fixture(t, "camt053-2022-07.xml"))
	for _, tc := range []struct {
		name string
		file string
		data []byte
		want []string
	}{{
		name: "icbc running balance",
		file: "x.csv",
		data: utf8ToGBK(t, strings.Replace(icbc, `"12,000.00","2,098,415.25"`, `"12,000.00","2,098,415.26"`, 1)),
		// Line 7 repeats line 6, so the previous balance is line 6's.
		want: []string{"statement line 8 (csv line 12)", "balance is 2098415.26", "balance after line 6 2086415.25 + amount 12000.00 = 2098415.25"},
	}, {
		name: "icbc closing",
		file: "x.csv",
		data: utf8ToGBK(t, strings.Replace(icbc, `期末余额,,,,,,,,"2,298,081.91"`, `期末余额,,,,,,,,"2,298,081.90"`, 1)),
		want: []string{"closing balance is 2298081.90", "opening balance 1286430.25 + the 12 line amounts 1011651.66 = 2298081.91"},
	}, {
		name: "generic opening",
		file: "x.csv",
		data: []byte(strings.Replace(generic, "期初余额：38,500.00", "期初余额：38,500.01", 1)),
		want: []string{"statement line 1 (csv line 6)", "balance is 51100.00", "opening balance 38500.01 + amount 12600.00 = 51100.01"},
	}, {
		name: "camt closing",
		file: "x.xml",
		data: []byte(strings.Replace(camt, "2716955.79", "2716955.80", 1)),
		want: []string{"closing balance is 2716955.80", "opening balance 2298081.91 + the 6 line amounts 418873.88 = 2716955.79"},
	}, {
		name: "xlsx running balance",
		file: "x.xlsx",
		data: editXLSX(t, "D10", "2857931.28", true),
		want: []string{"statement line 5 (sheet 账户明细 row 10)", "balance is 2857931.28", "balance after line 4 2869931.29 + amount -12000.00 = 2857931.29"},
	}} {
		s, err := statement.Parse(tc.file, tc.data, "")
		if tc.file == "x.csv" && strings.Contains(tc.name, "icbc") {
			s, err = statement.Parse(tc.file, tc.data, "icbc")
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = s.CheckBalances()
		if err == nil {
			t.Errorf("%s: CheckBalances passed", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tc.name, err, w)
			}
		}
	}
}

func TestThreeDecimalsNamesTheLine(t *testing.T) {
	icbc := gbkToUTF8(t, fixture(t, "icbc-2022-06.csv"))
	bad := strings.Replace(icbc, `"6,666.66"`, `"6,666.666"`, 1)
	_, err := statement.ParseCSV(utf8ToGBK(t, bad), "icbc")
	if err == nil || !strings.Contains(err.Error(), "csv line 16, column 8: 贷方发生额: amount \"6,666.666\" has more than two decimals") {
		t.Errorf("error %v", err)
	}
	_, err = statement.ParseXLSX(editXLSX(t, "C7", "50000.505", true), "ccb")
	if err == nil || !strings.Contains(err.Error(), "sheet 账户明细 cell C7: 贷方发生额（收入）: amount \"50000.505\" has more than two decimals") {
		t.Errorf("xlsx error %v", err)
	}
}

func TestUnknownProfile(t *testing.T) {
	data := fixture(t, "icbc-2022-06.csv")
	for name, parse := range map[string]func() (statement.Statement, error){
		"csv": func() (statement.Statement, error) { return statement.ParseCSV(data, "hsbc") },
		"xlsx": func() (statement.Statement, error) {
			return statement.ParseXLSX(fixture(t, "ccb-2022-08.xlsx"), "hsbc")
		},
		"Parse": func() (statement.Statement, error) { return statement.Parse("a.csv", data, "hsbc") },
	} {
		_, err := parse()
		if err == nil || !strings.Contains(err.Error(), `unknown profile "hsbc" (known profiles: abc, boc, ccb, generic, icbc)`) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	for _, name := range []string{"generic", "icbc", "ccb", "abc", "boc"} {
		if _, ok := statement.Profiles[name]; !ok {
			t.Errorf("profile %s missing", name)
		}
	}
}

func TestParseChoosesFormat(t *testing.T) {
	xml := fixture(t, "camt053-2022-07.xml")
	xlsx := fixture(t, "ccb-2022-08.xlsx")
	icbc := fixture(t, "icbc-2022-06.csv")
	for _, tc := range []struct {
		file    string
		data    []byte
		profile string
		format  string
		lines   int
	}{
		{"camt053-2022-07.xml", xml, "", "camt.053", 6},
		{"statement.txt", xml, "", "camt.053", 6},                                                       // <?xml
		{"statement", []byte(strings.SplitN(string(xml), "\n", 2)[1]), "", "camt.053", 6},               // <Document
		{"statement.csv", xlsx, "ccb", "xlsx", 7},                                                       // PK, whatever the name
		{"ccb-2022-08.xlsx", xlsx, "ccb", "xlsx", 7},                                                    //
		{"icbc-2022-06.csv", icbc, "icbc", "csv", 13},                                                   //
		{"download", icbc, "icbc", "csv", 13},                                                           // no extension
		{"statement.CSV", fixture(t, "utf8-bom-generic.csv"), "generic", "csv", 6},                      //
		{"export.xls.csv", append([]byte("\r\n"), fixture(t, "utf8-bom-generic.csv")...), "", "csv", 6}, //
		{"notes.txt", []byte("<银行流水>\n交易日期,金额\n2022-06-01,1.00\n"), "", "csv", 1},                       // < but not XML
		{"camt", []byte(strings.NewReplacer("<Document", "<c:Document", "</Document", "</c:Document").Replace(strings.SplitN(string(xml), "\n", 2)[1])), "", "camt.053", 6},
	} {
		s, err := statement.Parse(tc.file, tc.data, tc.profile)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if s.Format != tc.format || len(s.Lines) != tc.lines {
			t.Errorf("%s: format %q with %d lines, want %q with %d", tc.file, s.Format, len(s.Lines), tc.format, tc.lines)
		}
	}
	for _, tc := range []struct {
		file string
		data []byte
		want string
	}{
		{"old.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), "legacy Excel 97-2003"},
		{"page.xls", []byte("<html><body><table><tr><td>交易日期</td></tr></table></body></html>"), "HTML"},
		{"x.xml", []byte("交易日期,金额\n"), "camt.053"},
		{"x.xlsx", []byte("交易日期,金额\n"), "xlsx: not a readable workbook"},
		{"x.xml", []byte("<?xml version=\"1.0\"?><Document><Other/></Document>"), "no <BkToCstmrStmt><Stmt>"},
	} {
		_, err := statement.Parse(tc.file, tc.data, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.file, err, tc.want)
		}
	}
}

func TestLimits(t *testing.T) {
	big := make([]byte, statement.MaxFileSize+1)
	for name, parse := range map[string]func([]byte) error{
		"Parse": func(b []byte) error { _, err := statement.Parse("big.csv", b, ""); return err },
		"CSV":   func(b []byte) error { _, err := statement.ParseCSV(b, ""); return err },
		"CAMT":  func(b []byte) error { _, err := statement.ParseCAMT053(b); return err },
		"XLSX":  func(b []byte) error { _, err := statement.ParseXLSX(b, ""); return err },
	} {
		if err := parse(big); err == nil || !strings.Contains(err.Error(), "more than the limit of 67108864 bytes (64 MiB)") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if testing.Short() {
		t.Skip("the line limit test writes a million lines")
	}
	var b bytes.Buffer
	b.WriteString("交易日期,交易金额\n")
	for i := 0; i <= statement.MaxLines; i++ {
		b.WriteString("20220601,1\n")
	}
	_, err := statement.ParseCSV(b.Bytes(), "generic")
	if err == nil || !strings.Contains(err.Error(), "csv line 1000002: more than 1000000 lines") {
		t.Errorf("line limit: %v", err)
	}
}

func TestAmountForms(t *testing.T) {
	for _, tc := range []struct {
		cell string
		fen  int64
		err  string
	}{
		{`"1,234.56"`, 123456, ""},
		{`"¥1,234.56"`, 123456, ""},
		{`"￥ 1,234.56 元"`, 123456, ""},
		{" +1234.56 ", 123456, ""},
		{"-15.00", -1500, ""},
		{"-¥15", -1500, ""},
		{"(15.00)", -1500, ""},
		{"0.5", 50, ""},
		{".5", 50, ""},
		{"RMB 88.80", 8880, ""},
		{"12.345", 0, `csv line 3, column 2: 交易金额: amount "12.345" has more than two decimals`},
		{`"1,23.45"`, 0, `csv line 3, column 2: 交易金额: amount "1,23.45": misplaced thousands separator`},
		{"1.2.3", 0, `csv line 3, column 2: 交易金额: amount "1.2.3" is not a yuan amount`},
		{"12e3", 0, `amount "12e3" is not a yuan amount`},
		{"100000000001", 0, "too large"},
	} {
		data := "交易日期,交易金额\n2022-06-01,1.00\n2022-06-02," + tc.cell + "\n"
		s, err := statement.ParseCSV([]byte(data), "generic")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.cell, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.cell, err)
			continue
		}
		if len(s.Lines) != 2 || int64(s.Lines[1].Amount) != tc.fen {
			t.Errorf("%s: %+v, want %d fen", tc.cell, s.Lines, tc.fen)
		}
	}
}

func TestCreditDebitColumns(t *testing.T) {
	data := "交易日期,收入金额,支出金额,余额\n" +
		"2022-06-01,100.00,,100.00\n" +
		"2022-06-02,,-30.00,70.00\n" + // some banks print debits negative
		"2022-06-03,0.00,20.00,50.00\n" +
		"2022-06-04,,,50.00\n"
	_, err := statement.ParseCSV([]byte(data), "abc")
	if err == nil || !strings.Contains(err.Error(), "csv line 5: the line dated 2022-06-04 has no amount in 收入金额 or 支出金额") {
		t.Errorf("no amount: %v", err)
	}
	s, err := statement.ParseCSV([]byte(strings.TrimSuffix(data, "2022-06-04,,,50.00\n")), "abc")
	if err != nil {
		t.Fatal(err)
	}
	got := []int64{int64(s.Lines[0].Amount), int64(s.Lines[1].Amount), int64(s.Lines[2].Amount)}
	if !reflect.DeepEqual(got, []int64{10000, -3000, -2000}) {
		t.Errorf("amounts %v", got)
	}
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
	_, err = statement.ParseCSV([]byte("交易日期,收入金额,支出金额\n2022-06-01,100.00,5.00\n"), "abc")
	if err == nil || !strings.Contains(err.Error(), "csv line 2: both 收入金额 100.00 and 支出金额 5.00") {
		t.Errorf("both columns: %v", err)
	}
}

func TestFootersAndBrokenRows(t *testing.T) {
	base := "中国农业银行对公账户明细\n户名：鄂尔多斯市总工会\n账号：0548 0101 0400 99999\n" +
		"交易日期,交易时间,收入金额,支出金额,本次余额,对方户名,对方账号,交易用途\n" +
		"20220601,093015,1000.00,,1000.00,甲,1,捐款\n"
	// Repeated page header, 本页合计, blank lines and notes are skipped.
	ok := base +
		"本页合计,,1000.00,0.00,,,,\n\n" +
		"交易日期,交易时间,收入金额,支出金额,本次余额,对方户名,对方账号,交易用途\n" +
		"20220602,101500,,200.00,800.00,乙,2,退款\n" +
		"总计,,1000.00,200.00,,,,\n" +
		"期末余额：800.00\n" +
		"打印柜员: 0001\n"
	s, err := statement.ParseCSV([]byte(ok), "abc")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lines) != 2 || s.Account != "05480101040099999" || s.Closing == nil || *s.Closing != 80000 {
		t.Fatalf("lines %d account %q closing %v", len(s.Lines), s.Account, s.Closing)
	}
	if !s.Lines[0].Date.Equal(beijing(2022, 6, 1, 9, 30, 15)) || s.Lines[1].Remark != "退款" {
		t.Errorf("line 1 date %v, line 2 remark %q", s.Lines[0].Date, s.Lines[1].Remark)
	}
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
	// A row with an amount but a broken date is an error, not a footer.
	_, err = statement.ParseCSV([]byte(base+"2022-13-01,,5.00,,1005.00,丙,3,捐款\n"), "abc")
	if err == nil || !strings.Contains(err.Error(), `csv line 6, column 1: 交易日期 "2022-13-01" is not a date`) {
		t.Errorf("bad date: %v", err)
	}
	_, err = statement.ParseCSV([]byte(base+",,5.00,,1005.00,丙,3,捐款\n"), "abc")
	if err == nil || !strings.Contains(err.Error(), "csv line 6, column 1: the row has an amount but no date in 交易日期") {
		t.Errorf("no date: %v", err)
	}
	// A bad balance names its cell.
	_, err = statement.ParseCSV([]byte(base+"20220602,,5.00,,1O05.00,丙,3,捐款\n"), "abc")
	if err == nil || !strings.Contains(err.Error(), `csv line 6, column 5: 本次余额: amount "1O05.00"`) {
		t.Errorf("bad balance: %v", err)
	}
	// No header at all.
	_, err = statement.ParseCSV([]byte("a,b,c\n1,2,3\n"), "icbc")
	if err == nil || !strings.Contains(err.Error(), `no column header row found`) || !strings.Contains(err.Error(), "交易日期") {
		t.Errorf("no header: %v", err)
	}
}

func TestDatedBalanceRows(t *testing.T) {
	data := "日期,摘要,收入,支出,余额\n" +
		"2022-06-01,期初余额,,,500.00\n" +
		"2022-06-03,捐款,100.00,,600.00\n" +
		"2022-06-30,期末余额,,,600.00\n"
	s, err := statement.ParseCSV([]byte(data), "generic")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lines) != 1 || s.Opening == nil || *s.Opening != 50000 || s.Closing == nil || *s.Closing != 60000 {
		t.Fatalf("lines %d opening %v closing %v", len(s.Lines), s.Opening, s.Closing)
	}
	// A closing row that also carries totals: the balance column wins.
	s, err = statement.ParseCSV([]byte(strings.Replace(data, "2022-06-30,期末余额,,,600.00", "期末余额,,100.00,0.00,600.00", 1)), "generic")
	if err != nil {
		t.Fatal(err)
	}
	checkMoney(t, "Closing", s.Closing, "600.00")
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
}

func TestDirectionAndPayerPayee(t *testing.T) {
	// 中国银行 style: bilingual headers, payer and payee columns, signed amount.
	boc := "交易日期[ Transaction Date ],交易时间[ Transaction time ],付款人账号[ Payer's Account Number ],付款人名称[ Payer's Name ],收款人账号[ Payee's Account Number ],收款人名称[ Payee's Name ],交易金额[ Trade Amount ],交易后余额[ After-transaction balance ],交易流水号[ Transaction reference number ],用途[ Purpose ],摘要[ Remark ]\n" +
		"20220701,10:00:00,0602001209000088123,内蒙古某能源集团有限公司,1547 0000 0001,鄂尔多斯市总工会,\"+5,000.00\",\"5,000.00\",BOC001,捐款 D-SUM-09,转账\n" +
		"20220702,11:00:00,1547 0000 0001,鄂尔多斯市总工会,0602003309000099001,鄂尔多斯市某中学,-1000.00,\"4,000.00\",BOC002,助学金,转账\n"
	s, err := statement.ParseCSV([]byte(boc), "boc")
	if err != nil {
		t.Fatal(err)
	}
	want := []wantLine{
		{1, "BOC001", beijing(2022, 7, 1, 10, 0, 0), "5000.00", "内蒙古某能源集团有限公司", "0602001209000088123", "捐款 D-SUM-09 / 转账", "5000.00"},
		{2, "BOC002", beijing(2022, 7, 2, 11, 0, 0), "-1000.00", "鄂尔多斯市某中学", "0602003309000099001", "助学金 / 转账", "4000.00"},
	}
	for i, w := range want {
		checkLine(t, s.Lines[i], w)
	}
	// An unsigned amount with a 借贷标志 column, tab separated.
	tsv := "记账日期\t借贷标志\t发生额\t对方户名\n2022年07月01日\t贷\t300.00\t甲公司\n2022年07月02日\t借\t20.00\t乙公司\n2022年07月03日\t冲\t1.00\t丙\n"
	_, err = statement.ParseCSV([]byte(tsv), "generic")
	if err == nil || !strings.Contains(err.Error(), `csv line 4, column 2: 借贷标志 "冲" is neither credit`) {
		t.Errorf("direction: %v", err)
	}
	s, err = statement.ParseCSV([]byte(strings.TrimSuffix(tsv, "2022年07月03日\t冲\t1.00\t丙\n")), "generic")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lines) != 2 || s.Lines[0].Amount != 30000 || s.Lines[1].Amount != -2000 || !s.Lines[1].Date.Equal(beijing(2022, 7, 2, 0, 0, 0)) {
		t.Errorf("direction lines %+v", s.Lines)
	}
}

func TestNewestFirstIsReversed(t *testing.T) {
	data := "交易日期,金额,余额\n2022-06-03,-5.00,95.00\n2022-06-02,50.00,100.00\n2022-06-01,50.00,50.00\n"
	s, err := statement.ParseCSV([]byte(data), "generic")
	if err != nil {
		t.Fatal(err)
	}
	if s.Lines[0].Number != 1 || !s.Lines[0].Date.Equal(beijing(2022, 6, 1, 0, 0, 0)) || s.Lines[0].Source != "csv line 4" {
		t.Errorf("first line %+v", s.Lines[0])
	}
	checkMoney(t, "Opening", s.Opening, "0.00")
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
}

func TestXLSXSerialDatesAndHeaderAlone(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"Date", "Description", "Paid in", "Paid out", "Balance"},
		{44743, "Donation", "1000.50", nil, "1000.50"}, // 2022-07-01 as a serial number
		{"44744.5", "Fee", nil, "0.50", "1000"},        // noon on 2022-07-02
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if s, ok := v.(string); ok && i > 0 {
				if err := f.SetCellDefault("Sheet1", cell, s); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if v != nil {
				if err := f.SetCellValue("Sheet1", cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	s, err := statement.ParseXLSX(out.Bytes(), "generic")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lines) != 2 || !s.Lines[0].Date.Equal(beijing(2022, 7, 1, 0, 0, 0)) || !s.Lines[1].Date.Equal(beijing(2022, 7, 2, 12, 0, 0)) {
		t.Fatalf("lines %+v", s.Lines)
	}
	if s.Lines[0].Amount != 100050 || s.Lines[1].Amount != -50 {
		t.Errorf("amounts %s %s", s.Lines[0].Amount, s.Lines[1].Amount)
	}
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
}

func TestCheckBalancesWithoutBalances(t *testing.T) {
	open, closing := domain.Money(1000), domain.Money(1500)
	s := statement.Statement{Opening: &open, Closing: &closing, Lines: []statement.Line{
		{Number: 1, Amount: 300}, {Number: 2, Amount: 200},
	}}
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
	s.Lines[1].Amount = 201
	err := s.CheckBalances()
	if err == nil || !strings.Contains(err.Error(), "closing balance is 15.00 but opening balance 10.00 + the 2 line amounts 5.01 = 15.01") {
		t.Errorf("error %v", err)
	}
	// Same serial but a different balance: two real bookings, not a repeat.
	b1, b2 := domain.Money(1300), domain.Money(1600)
	s = statement.Statement{Opening: &open, Lines: []statement.Line{
		{Number: 1, Serial: "X", Amount: 300, Balance: &b1}, {Number: 2, Serial: "X", Amount: 300, Balance: &b2},
	}}
	if len(s.Duplicates()) != 0 {
		t.Errorf("Duplicates %v", s.Duplicates())
	}
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
}

func Example() {
	data, err := os.ReadFile("testdata/icbc-2022-06.csv")
	if err != nil {
		panic(err)
	}
	s, err := statement.Parse("icbc-2022-06.csv", data, "icbc")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Format, s.Account, len(s.Lines), "lines, opening", s.Opening, "closing", s.Closing)
	l := s.Lines[1]
	fmt.Println(l.Date.Format("2006-01-02"), l.Amount, l.Counterparty, l.Remark)
	fmt.Println("balances:", s.CheckBalances(), "duplicates:", s.Duplicates())
	// Output:
	// csv 0602001109000012345 13 lines, opening 1286430.25 closing 2298081.91
	// 2022-06-06 500000.00 内蒙古某能源集团有限公司 夏送清凉捐款 D-SUM-01
	// balances: <nil> duplicates: [{7 6}]
}

// The grand total below the lines (合计) is read and compared with the
// lines, a row the bank printed twice counted once; a footer that disagrees
// is named with both figures. A page's subtotal is not a grand total.
func TestFooterTotalsAreCheckedAgainstTheLines(t *testing.T) {
	icbc := []byte(gbkToUTF8(t, fixture(t, "icbc-2022-06.csv")))
	parsed, err := statement.Parse("icbc.csv", icbc, "icbc")
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Footer == nil || parsed.Footer.In.String() != "1013666.66" || parsed.Footer.Out.String() != "2015.00" {
		t.Fatalf("footer = %+v, want in 1013666.66 out 2015.00", parsed.Footer)
	}
	if err := parsed.CheckFooter(); err != nil {
		t.Fatalf("a footer that adds up: %v", err)
	}
	wrong := bytes.Replace(icbc, []byte(`"1,013,666.66"`), []byte(`"1,093,666.66"`), 1)
	parsed, err = statement.Parse("icbc.csv", wrong, "icbc")
	if err != nil {
		t.Fatal(err)
	}
	err = parsed.CheckFooter()
	if err == nil || !strings.Contains(err.Error(), "1093666.66") || !strings.Contains(err.Error(), "1013666.66") ||
		!strings.Contains(err.Error(), "money in") {
		t.Fatalf("a footer that disagrees: %v", err)
	}
	page := bytes.Replace(icbc, []byte("合计,"), []byte("本页小计,"), 1)
	page = bytes.Replace(page, []byte(`"1,013,666.66"`), []byte(`"1.00"`), 1)
	parsed, err = statement.Parse("icbc.csv", page, "icbc")
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Footer != nil {
		t.Fatalf("a page subtotal was read as the footer: %+v", parsed.Footer)
	}
}

// A statement file is read whole; one larger than a statement can be is
// refused by its size, before it is read.
func TestReadFileRefusesOversizedFiles(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.csv")
	if err := os.WriteFile(small, []byte("日期,金额\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := statement.ReadFile(small); err != nil || string(data) != "日期,金额\n" {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
	// A sparse file: its size is what is checked, and nothing is read.
	large := filepath.Join(dir, "large.csv")
	if err := os.WriteFile(large, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(large, statement.MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := statement.ReadFile(large); err == nil || !strings.Contains(err.Error(), "split it") {
		t.Fatalf("oversized file: %v", err)
	}
	if _, err := statement.ReadFile(filepath.Join(dir, "missing.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// A document of several statements of one account reads as one: the
// opening balance of the first, the closing balance of the last, and each
// line named by its statement and entry, as imported lines keep it.
func TestCAMT053SeveralStatements(t *testing.T) {
	text := string(fixture(t, "camt053-2022-07.xml"))
	begin, end := strings.Index(text, "<Stmt>"), strings.Index(text, "</Stmt>")+len("</Stmt>")
	first := text[begin:end]
	// The second statement's entries are other bookings than the first's
	// (other serials), or they would be rows printed twice.
	second := strings.NewReplacer("2298081.91", "2716955.79", "2716955.79", "3135829.67", "AcctSvcrRef>202207", "AcctSvcrRef>202208").Replace(first)
	two := text[:end] + "\n    " + second + text[end:]
	s, err := statement.ParseCAMT053([]byte(two))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Lines) != 12 || s.Account != "0602001109000012345" {
		t.Fatalf("%d lines of account %q, want 12 of 0602001109000012345", len(s.Lines), s.Account)
	}
	checkMoney(t, "Opening (the first statement's)", s.Opening, "2298081.91")
	checkMoney(t, "Closing (the last statement's)", s.Closing, "3135829.67")
	for i, line := range s.Lines {
		if want := fmt.Sprintf("Stmt %d Ntry %d", i/6+1, i%6+1); line.Source != want || line.Number != i+1 {
			t.Errorf("line %d: Number %d Source %q, want %q", i+1, line.Number, line.Source, want)
		}
	}
	if err := s.CheckBalances(); err != nil {
		t.Error(err)
	}
	badSecond := strings.Replace(second, "<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>DEBIT</CdtDbtInd>", 1)
	if _, err := statement.ParseCAMT053([]byte(text[:end] + badSecond + text[end:])); err == nil ||
		!strings.Contains(err.Error(), "Stmt 2 Ntry 3 (AcctSvcrRef 202208080041377): <CdtDbtInd> \"DEBIT\"") {
		t.Errorf("a bad entry in the second statement: %v", err)
	}
	other := strings.Replace(second, "0602001109000012345</Id></Othr>", "0602001109000099999</Id></Othr>", 1)
	if _, err := statement.ParseCAMT053([]byte(text[:end] + other + text[end:])); err == nil ||
		!strings.Contains(err.Error(), `Stmt 2 is for account "0602001109000099999" but the first statement is for "0602001109000012345"`) {
		t.Errorf("a second statement of another account: %v", err)
	}
}

// A statement declared and written in GBK reads as the UTF-8 one: the
// decoder reads GB18030 through the byte limits of the reader.
func TestCAMT053GBK(t *testing.T) {
	text := strings.Replace(string(fixture(t, "camt053-2022-07.xml")), `encoding="UTF-8"`, `encoding="GBK"`, 1)
	s, err := statement.ParseCAMT053(utf8ToGBK(t, text))
	if err != nil {
		t.Fatal(err)
	}
	checkCAMT(t, s)
}
