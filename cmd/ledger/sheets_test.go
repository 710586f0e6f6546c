package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/sheets/sheetstest"
)

// fillTemplate writes rows into a template made by `ledger template` and
// returns the filled file.
func fillTemplate(t *testing.T, template string, rows [][]any) string {
	t.Helper()
	content, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	filled := filepath.Join(t.TempDir(), filepath.Base(template))
	if err := os.WriteFile(filled, sheetstest.Fill(t, content, rows), 0o600); err != nil {
		t.Fatal(err)
	}
	return filled
}

var june15 = time.Date(2022, 6, 15, 0, 0, 0, 0, time.UTC)

// sheetRows are valid rows for each entry type's template, in the order
// the money they move allows (donations before what spends them).
var sheetRows = []struct {
	eventType string
	rows      [][]any
}{
	{"donation_received", [][]any{
		{"D-S-1", "150600 鄂尔多斯市总工会 Ordos City", "general 日常帮扶", june15, "enterprise 企业", "鄂尔多斯某公司", "money 资金", 50000.5},
		{"D-S-2", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-16", "organisation 社会组织", "某协会", "goods 物资", nil, "drinking-water 饮用水", 20, 600},
	}},
	{"funds_allocated", [][]any{{"A-S-1", "150626 乌审旗 Uxin", "general", june15, "150600 鄂尔多斯市总工会 Ordos City", 10000, "夏送清凉"}}},
	{"supplies_delivered", [][]any{{"V-S-1", "150626 乌审旗 Uxin", "general 日常帮扶", june15, "service-station 户外劳动者服务站点", "乌审旗服务站",
		"outdoor-workers 户外劳动者", 40, "drinking-water 饮用水", 20, 600, 600.25}}},
	{"training_held", [][]any{{"S-S-1", "150626 乌审旗 Uxin", "general 日常帮扶", june15, "safety 安全生产", "安全生产讲座", "offline 线下", 30, 90, "职工之家"}}},
	{"service_provided", [][]any{{"SV-S-1", "150626 乌审旗 Uxin", "general 日常帮扶", june15, "visit 走访慰问", "new-form-workers 新业态劳动者", 3, 3}}},
}

// Every entry type has a template; filled, it imports all or nothing, with
// problems named by row and header as the clerk sees them; imported again
// it adds nothing, and rows added at the bottom add only themselves.
func TestSpreadsheetTemplatesImportAllOrNothing(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	recorded := 0
	for _, sheet := range sheetRows {
		template := filepath.Join(dir, sheet.eventType+".xlsx")
		runLedger(t, "", "template", "--type", sheet.eventType, "--out", template).expect(t, 0, "wrote the "+sheet.eventType+" template")
		filled := fillTemplate(t, template, sheet.rows)
		runLedger(t, "", "import", filled, "--data", data).expect(t, 0, "recorded "+sheet.eventType)
		recorded += len(sheet.rows)
		runLedger(t, "", "import", filled, "--data", data).expect(t, 0, "recorded 0 events, "+strconv.Itoa(len(sheet.rows))+" already recorded")
	}
	if got := countEvents(t, "--data", data); got != recorded {
		t.Fatalf("%d events after importing every template, want %d", got, recorded)
	}
	totals := runLedger(t, "", "totals", "--data", data, "--county", "150626", "--format", "csv")
	if !strings.Contains(totals.stdout, "600.25") {
		t.Fatalf("the imported delivery's spending is not in the totals:\n%s", totals.stdout)
	}

	// A row added at the bottom is recorded alone.
	donations := filepath.Join(dir, "donation_received.xlsx")
	grown := fillTemplate(t, donations, append(sheetRows[0].rows,
		[]any{"D-S-3", "150626 乌审旗 Uxin", "general 日常帮扶", june15, "enterprise 企业", "另一公司", "money 资金", "1,200.00"}))
	runLedger(t, "", "import", grown, "--data", data).expect(t, 0, "recorded 1 event, 2 already recorded")

	// Bad rows: nothing is written, and each problem names its row and
	// header, in Chinese by default and in English on request.
	bad := fillTemplate(t, donations, [][]any{
		{"D-S-4", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", "12.345"},
		{"D-S-5", "150626 乌审旗 Uxin", "general", "not a day", "enterprise 企业", "某公司", "money 资金", 10},
		{"", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", 10},
		{"D-S-6", "999999 nowhere", "general", june15, "enterprise 企业", "某公司", "money 资金", 10},
		{"D-S-9", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", "-5.00"},
		{"D-S-10", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", "$5.00"},
	})
	out := runLedger(t, "", "import", bad, "--data", data)
	out.expect(t, 1, "第 3 行「金额（元）」: 必须是不超过两位小数的金额", "第 4 行「日期」: 必须是日期", "第 5 行「捐赠编号」: 必填",
		"第 6 行「地区」: 「999999」不在目录中", "第 7 行「金额（元）」: 必须大于 0 (must be > 0)", "第 8 行「金额（元）」: 必须是以元为单位的数字，如 1250.50 (must be a number of yuan such as 1250.50)",
		"nothing was written")
	runLedger(t, "", "import", bad, "--data", data, "--lang", "en").expect(t, 1, `row 3, "Amount (yuan)": 必须是不超过两位小数的金额 (must be an amount in yuan with at most two decimals)`)
	if got := countEvents(t, "--data", data); got != recorded+1 {
		t.Fatalf("%d events after a refused import, want %d", got, recorded+1)
	}
	// --skip-invalid records the good rows and names the bad ones.
	mixed := fillTemplate(t, donations, [][]any{
		{"D-S-7", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", 70},
		{"D-S-8", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", "7.001"},
	})
	runLedger(t, "", "import", mixed, "--data", data, "--skip-invalid").expect(t, 1, "第 4 行「金额（元）」", "recorded 1 event,")

	// CSV with the same headers, in GBK as Chinese Excel saves it.
	csv := "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n" +
		"Donation id,Region,Campaign,Date,Donor kind,Donor organisation,Form,Amount (yuan),Item,Quantity,Items value (yuan),Bank reference,Note\r\n" +
		"D-C-1,150626 乌审旗,general,2022/6/20,enterprise,伊金霍洛某矿业,money,888.80,,,,,夏送清凉\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "donations.csv")
	if err := os.WriteFile(path, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "import", path, "--data", data).expect(t, 0, "recorded 1 event,")
	runLedger(t, "", "import", path, "--data", data).expect(t, 0, "recorded 0 events, 1 already recorded")
	// Another clerk's import of the same sheet finds the row recorded, by
	// whoever recorded it.
	runLedger(t, "", "import", path, "--data", data, "--actor", "clerk-2").expect(t, 0, "already recorded donation_received", " by ",
		"recorded 0 events, 1 already recorded")
	runLedger(t, "", "audit", "D-C-1", "--data", data).expect(t, 0, "888.80")
}

// A CSV with the Chinese headers alone imports both its rows (the first
// was once taken for the English headers: "1 lines are valid"); money
// given as the sheet takes it (1,250.50) is taken by --amount too, and a
// misplaced thousands separator (12,50, once 1250.00 yuan) is refused by
// both, the sheet's refusal naming the header and quoting the cell in
// the language asked for.
func TestEndToEndSheetAndShortcutReadMoneyAlike(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "record", "donation", "--data", data, "--campaign", "general", "--county", "150600", "--amount", "1,250.50",
		"--donor-org", "某公司").expect(t, 0, "recorded donation_received")
	runLedger(t, "", "record", "donation", "--data", data, "--campaign", "general", "--county", "150600", "--amount", "12,50",
		"--donor-org", "某公司").expect(t, 2, `--amount "12,50" has a misplaced thousands separator`)
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	headers := "拨款编号,地区,活动,日期,拨出地区,金额（元）,用途\r\n"
	exa2 := write("exa2.csv", headers+"UX-A-10,150626,general,2022-06-15,150600,100.00,\r\n"+
		"UX-A-11,150627,general,2022-06-15,150600,\"1,000.00\",\r\n")
	runLedger(t, "", "import", exa2, "--data", data, "--dry-run").expect(t, 0, "2 lines are valid")
	bad := write("bad.csv", headers+"UX-A-12,150626,general,2022-06-15,150600,\"12,50\",\r\n")
	rule := "千位分隔符只能用在每三位数字之间，如 1,250.50 (a thousands separator may only separate groups of three digits, as in 1,250.50)"
	runLedger(t, "", "import", bad, "--data", data).expect(t, 1, "第 2 行「金额（元）」: "+rule+"：单元格的值是 12,50")
	runLedger(t, "", "import", bad, "--data", data, "--lang", "en").expect(t, 1, `row 2, "Amount (yuan)": `+rule+": the cell holds 12,50")
	if got := countEvents(t, "--data", data); got != 1 {
		t.Fatalf("%d events, want the one donation", got)
	}
}
