package statement

import (
	"fmt"
	"slices"
	"strings"
)

// Profile tells the CSV and XLSX readers which column headers mean what. Each
// field lists candidate header names, best first; a header matches a
// candidate ignoring spaces, letter case, full-width punctuation and a
// trailing unit or translation such as "(元)", "（支取）" or "[ Trade Amount ]".
//
// The amount is either one signed column (Amount; or Amount unsigned plus a
// Direction column saying 借/贷), or separate Credit (money in) and Debit
// (money out) columns. Counterparty columns may instead be given as payer and
// payee columns: the payer is the counterparty of money in, the payee of
// money out.
type Profile struct {
	Name string // key in Profiles
	Bank string // whose exports it reads

	Date                []string // booking date; may hold a time too
	Time                []string // time of day, when in its own column
	Amount              []string // one signed amount column
	Direction           []string // 借贷标志 for an unsigned Amount column
	Credit              []string // money in
	Debit               []string // money out
	Serial              []string
	Remark              []string // every matching column is joined with " / "
	Counterparty        []string
	CounterpartyAccount []string
	Payer               []string
	PayerAccount        []string
	Payee               []string
	PayeeAccount        []string
	Balance             []string

	DateLayouts []string // Go time layouts, tried in order
}

// Profiles are the known profiles by name. ParseCSV and ParseXLSX take the
// empty name as "generic".
var Profiles = map[string]Profile{
	"generic": genericProfile(),
	"icbc":    icbcProfile(),
	"ccb":     ccbProfile(),
	"abc":     abcProfile(),
	"boc":     bocProfile(),
}

// ProfileNames lists the known profile names in order.
func ProfileNames() []string {
	names := make([]string, 0, len(Profiles))
	for name := range Profiles {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func lookupProfile(name string) (Profile, error) {
	if name == "" {
		name = "generic"
	}
	p, ok := Profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("statement: unknown profile %q (known profiles: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	if p.Name == "" {
		p.Name = name
	}
	if len(p.DateLayouts) == 0 {
		p.DateLayouts = defaultDateLayouts
	}
	return p, nil
}

var defaultDateLayouts = []string{
	"2006-01-02",
	"2006/01/02",
	"20060102",
	"2006-01-02 15:04:05",
	"2006年01月02日",
	"2006-1-2",
	"2006/1/2",
	"2006.01.02",
	"2006.1.2",
	"2006年1月2日",
	"2006-1-2 15:04:05",
	"2006-1-2 15:04",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"20060102 15:04:05",
	"20060102150405",
	"2006年1月2日 15:04:05",
	"2006年1月2日 15时04分05秒",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// Candidate header names shared by the profiles.
var (
	hDate = []string{"交易日期", "记账日期", "入账日期", "日期", "交易时间", "记账时间",
		"date", "booking date", "transaction date", "posting date", "value date", "交易日"}
	hTime       = []string{"交易时间", "时间", "记账时间", "time", "transaction time"}
	hAmount     = []string{"交易金额", "金额", "发生额", "交易发生额", "amount", "transaction amount"}
	hDirection  = []string{"借贷标志", "借贷方向", "借贷标识", "借/贷", "借贷", "收支标志", "收支方向", "收支", "交易方向", "方向", "dr/cr", "direction", "debit/credit"}
	hCredit     = []string{"收入金额", "贷方发生额", "贷方金额", "收入", "贷方", "存入金额", "存入", "收款金额", "credit", "credit amount", "paid in", "deposit", "deposits", "money in"}
	hDebit      = []string{"支出金额", "借方发生额", "借方金额", "支出", "借方", "支取金额", "支取", "付款金额", "debit", "debit amount", "paid out", "withdrawal", "withdrawals", "money out"}
	hSerial     = []string{"交易流水号", "流水号", "账户明细编号-交易流水号", "银行流水号", "业务流水号", "核心流水号", "交易参考号", "交易序号", "凭证号", "凭证号码", "serial", "serial number", "transaction id", "reference", "bank reference"}
	hRemark     = []string{"摘要", "附言", "用途", "备注", "交易摘要", "交易附言", "交易用途", "交易说明", "摘要说明", "用途说明", "附加信息", "description", "remark", "remarks", "memo", "narrative", "purpose"}
	hCounter    = []string{"对方户名", "对方账户名称", "对方账户名", "对方名称", "对方单位名称", "对方单位", "收(付)方名称", "收/付方名称", "counterparty", "counterparty name", "payee/payer"}
	hCounterAcc = []string{"对方账号", "对方账户", "对方账户账号", "收(付)方账号", "收/付方账号", "对方卡号", "counterparty account", "counterparty account number"}
	hPayer      = []string{"付款人名称", "付款方名称", "付款人户名", "付款人", "payer", "payer name"}
	hPayerAcc   = []string{"付款人账号", "付款方账号", "payer account"}
	hPayee      = []string{"收款人名称", "收款方名称", "收款人户名", "收款人", "payee", "payee name"}
	hPayeeAcc   = []string{"收款人账号", "收款方账号", "payee account"}
	hBalance    = []string{"余额", "账户余额", "交易后余额", "本次余额", "当前余额", "联机余额", "余额(元)", "balance", "running balance"}
)

func genericProfile() Profile {
	return Profile{
		Name: "generic", Bank: "any bank (English or Chinese headers)",
		Date: hDate, Time: hTime, Amount: hAmount, Direction: hDirection, Credit: hCredit, Debit: hDebit,
		Serial: hSerial, Remark: hRemark, Counterparty: hCounter, CounterpartyAccount: hCounterAcc,
		Payer: hPayer, PayerAccount: hPayerAcc, Payee: hPayee, PayeeAccount: hPayeeAcc,
		Balance: hBalance, DateLayouts: defaultDateLayouts,
	}
}

// first puts the bank's own names ahead of the shared candidates.
func first(own []string, shared []string) []string {
	out := slices.Clone(own)
	for _, s := range shared {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// 中国工商银行 corporate online banking (企业网银) detail export: 交易日期,
// 交易时间, 交易流水号/凭证号, 摘要, 用途, 借方发生额, 贷方发生额, 余额, 对方户名
// (对方单位名称), 对方账号.
func icbcProfile() Profile {
	p := genericProfile()
	p.Name, p.Bank = "icbc", "中国工商银行"
	p.Date = first([]string{"交易日期", "记账日期", "入账日期", "日期", "交易时间"}, hDate)
	p.Credit = first([]string{"贷方发生额", "收入金额", "贷方金额", "收入"}, hCredit)
	p.Debit = first([]string{"借方发生额", "支出金额", "借方金额", "支出"}, hDebit)
	p.Serial = first([]string{"交易流水号", "流水号", "凭证号"}, hSerial)
	p.Counterparty = first([]string{"对方户名", "对方单位名称", "对方账户名称"}, hCounter)
	return p
}

// 中国建设银行 corporate detail export: 交易时间, 借方发生额（支取）, 贷方发生额
// （收入）, 余额, 币种, 对方户名, 对方账号, 对方开户机构, 记账日期, 摘要, 备注,
// 账户明细编号-交易流水号, 企业流水号, 凭证种类, 凭证号.
func ccbProfile() Profile {
	p := genericProfile()
	p.Name, p.Bank = "ccb", "中国建设银行"
	p.Date = first([]string{"记账日期", "交易日期", "交易时间"}, hDate)
	p.Time = first([]string{"交易时间"}, hTime)
	p.Credit = first([]string{"贷方发生额", "收入金额", "贷方金额"}, hCredit)
	p.Debit = first([]string{"借方发生额", "支出金额", "借方金额"}, hDebit)
	p.Serial = first([]string{"账户明细编号-交易流水号", "交易流水号", "流水号"}, hSerial)
	return p
}

// 中国农业银行 corporate detail export: 交易日期, 交易时间, 收入金额, 支出金额,
// 本次余额, 对方账号, 对方户名, 交易用途/摘要, 交易流水号.
func abcProfile() Profile {
	p := genericProfile()
	p.Name, p.Bank = "abc", "中国农业银行"
	p.Credit = first([]string{"收入金额", "贷方发生额", "收入"}, hCredit)
	p.Debit = first([]string{"支出金额", "借方发生额", "支出"}, hDebit)
	p.Balance = first([]string{"本次余额", "账户余额", "余额"}, hBalance)
	p.Remark = first([]string{"摘要", "交易摘要", "交易用途", "交易附言", "附言", "用途"}, hRemark)
	return p
}

// 中国银行 corporate transaction detail export, with bilingual headers:
// 交易日期[ Transaction Date ], 交易时间, 交易金额[ Trade Amount ] (signed),
// 交易后余额, 付款人账号/名称, 收款人账号/名称, 交易流水号, 用途, 摘要, 附言.
func bocProfile() Profile {
	p := genericProfile()
	p.Name, p.Bank = "boc", "中国银行"
	p.Amount = first([]string{"交易金额", "金额"}, hAmount)
	p.Balance = first([]string{"交易后余额", "余额"}, hBalance)
	p.Serial = first([]string{"交易流水号", "流水号", "客户业务编号"}, hSerial)
	return p
}

// detectOrder is the order profiles are tried in when none is named: the
// banks' own first, the generic one last.
var detectOrder = []string{"icbc", "ccb", "abc", "boc", "generic"}

// ParseDetect parses a statement with the named profile, or, when profile
// is empty, with the first profile (banks' own first, generic last) that
// reads the file and whose balances add up. CAMT.053 needs no profile. The
// statement's Profile says which was used.
func ParseDetect(fileName string, data []byte, profile string) (Statement, error) {
	if kind := kindOf(fileName, data); profile != "" || (kind != kindCSV && kind != kindXLSX) {
		// A format without profiles is read once: trying each profile
		// parsed a refused CAMT.053 statement five times.
		return Parse(fileName, data, profile)
	}
	for _, name := range detectOrder {
		parsed, err := Parse(fileName, data, name)
		switch {
		case err == nil && parsed.Format != "csv" && parsed.Format != "xlsx":
			return parsed, nil // the format has no profile
		case err == nil && len(parsed.Lines) > 0 && parsed.CheckBalances() == nil:
			return parsed, nil
		case name == "generic":
			// No profile reads it cleanly: the most lenient one says why
			// (or its balances do, when it is imported).
			return parsed, err
		}
	}
	return Statement{}, fmt.Errorf("statement %s: no profile reads it", fileName)
}
