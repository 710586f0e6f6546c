package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

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

// hasHan says whether text has a Chinese character.
func hasHan(text string) bool {
	return strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// exampleOf writes the template `ledger template` makes for an entry type
// with its example row copied to the entry sheet, as a clerk who tries it
// would, and returns the file.
func exampleOf(t *testing.T, eventType string) string {
	t.Helper()
	template := filepath.Join(t.TempDir(), eventType+".xlsx")
	runLedger(t, "", "template", "--type", eventType, "--out", template).expect(t, 0)
	content, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(t.TempDir(), eventType+"-example.xlsx")
	if err := os.WriteFile(example, sheetstest.Example(t, content), 0o600); err != nil {
		t.Fatal(err)
	}
	return example
}

// A user's review of `ledger import`: with the default --lang zh a rule
// of the ledger a row broke was the ledger's English at no column, the
// summaries were English ("1 lines are valid", "1 invalid lines were
// skipped" of a refused row), --lang en began cells' rules in Chinese,
// and the templates' example rows did not import as they are. Now a row
// refused is said in Chinese at its column with the ledger's figures, the
// summaries are the sheet's, en is English alone, and the examples import
// in the order their instructions say. Each part starts from an empty
// ledger of its own.
func TestImportSaysTheSheetsLanguage(t *testing.T) {
	order := []string{"donation_received", "funds_allocated", "supplies_delivered", "training_held", "service_provided"}
	examples := map[string]string{}
	for _, eventType := range order {
		examples[eventType] = exampleOf(t, eventType)
	}
	allocation := examples["funds_allocated"]
	refusal := "第 3 行「金额（元）」: 被拒：资金不足，活动「日常帮扶」(general) 中，市本级（150600 鄂尔多斯市总工会）的资金将为 -3000.00 元" +
		"（现有 0.00 元，缺 3000.00 元）；拨款或支出不能超过收到的资金 (campaign general: the city level (150600) would hold -3000.00 yuan"
	t.Run("a refusal in Chinese at its column", func(t *testing.T) {
		data := t.TempDir()
		runLedger(t, "", "import", allocation, "--data", data).expect(t, 1, "未写入："+refusal)
		runLedger(t, "", "import", allocation, "--data", data, "--dry-run").expect(t, 1, "未写入："+refusal)
	})
	t.Run("summaries in the sheet's language", func(t *testing.T) {
		data := t.TempDir()
		runLedger(t, "", "import", allocation, "--data", data, "--skip-invalid").expect(t, 1,
			"已记录 0 条，0 条此前已记录（相同幂等键），跳过 1 行被拒", "已跳过 1 行违反台账规则被拒，这些行未写入")
		runLedger(t, "", "import", examples["donation_received"], "--data", data, "--dry-run").expect(t, 0, "共 1 行有效，未写入（试运行）")
		runLedger(t, "", "import", examples["donation_received"], "--data", data, "--dry-run", "--lang", "en").expect(t, 0,
			"1 row is valid; nothing was written (dry run)")
	})
	t.Run("English alone", func(t *testing.T) {
		data := t.TempDir()
		csv := filepath.Join(t.TempDir(), "deliveries.csv")
		if err := os.WriteFile(csv, []byte("配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注\r\n"+
			"V-1,150626,general,2022-06-15,service-station,,outdoor-workers,10,drinking-water,1,\"12,50\",100.555,\r\n"+
			"V-2,150626,general,2022-06-15,service-station,Site,outdoor-workers,10,drinking-water,1,abc,10,\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		bad := runLedger(t, "", "import", csv, "--data", data, "--lang", "en")
		if hasHan(bad.stderr) {
			t.Fatalf("--lang en says Chinese:\n%s", bad.stderr)
		}
		bad.expect(t, 1, `row 2, "Site name": is required`, `row 2, "Items value (yuan)": a thousands separator may only separate groups`,
			`row 2, "Spent (yuan)": must be an amount in yuan with at most two decimals: the cell holds 100.555`,
			`row 3, "Items value (yuan)": must be a number of yuan such as 1250.50: the cell holds abc`, "2 of 2 rows are invalid")
		english := runLedger(t, "", "import", allocation, "--data", data, "--skip-invalid", "--lang", "en")
		if hasHan(english.stderr) {
			t.Errorf("--lang en says Chinese:\n%s", english.stderr)
		}
		english.expect(t, 1, `row 3, "Amount (yuan)": refused: campaign general: the city level (150600) would hold -3000.00 yuan`,
			"1 row refused by a rule of the ledger was skipped")
	})
	t.Run("the examples in order", func(t *testing.T) {
		data := t.TempDir()
		imported := make([]outcome, len(order))
		for i, eventType := range order {
			imported[i] = runLedger(t, "", "import", examples[eventType], "--data", data)
			imported[i].expect(t, 0)
		}
		if got := countEvents(t, "--data", data); got != len(order) {
			t.Fatalf("%d events after importing the %d examples", got, len(order))
		}
		for i, eventType := range order {
			imported[i].expect(t, 0, fmt.Sprintf("第 3 行: 已记录 %s ", eventType), fmt.Sprintf("，日志位置 %d", i+1),
				"已记录 1 条，0 条此前已记录（相同幂等键）")
		}
	})
}

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
		runLedger(t, "", "import", filled, "--data", data).expect(t, 0, "已记录 "+sheet.eventType)
		recorded += len(sheet.rows)
		runLedger(t, "", "import", filled, "--data", data).expect(t, 0, "已记录 0 条，"+strconv.Itoa(len(sheet.rows))+" 条此前已记录")
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
	runLedger(t, "", "import", grown, "--data", data).expect(t, 0, "已记录 1 条，2 条此前已记录")

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
		"共 6 行，其中 6 行无效；未写入")
	runLedger(t, "", "import", bad, "--data", data, "--lang", "en").expect(t, 1,
		`row 3, "Amount (yuan)": must be an amount in yuan with at most two decimals: the cell holds 12.345`, "6 of 6 rows are invalid")
	if got := countEvents(t, "--data", data); got != recorded+1 {
		t.Fatalf("%d events after a refused import, want %d", got, recorded+1)
	}
	// --skip-invalid records the good rows and names the bad ones.
	mixed := fillTemplate(t, donations, [][]any{
		{"D-S-7", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", 70},
		{"D-S-8", "150626 乌审旗 Uxin", "general", june15, "enterprise 企业", "某公司", "money 资金", "7.001"},
	})
	runLedger(t, "", "import", mixed, "--data", data, "--skip-invalid").expect(t, 1, "第 4 行「金额（元）」", "已记录 1 条，", "已跳过 1 行无效")

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
	runLedger(t, "", "import", path, "--data", data).expect(t, 0, "已记录 1 条，")
	runLedger(t, "", "import", path, "--data", data).expect(t, 0, "已记录 0 条，1 条此前已记录")
	// Another clerk's import of the same sheet finds the row recorded, by
	// whoever recorded it.
	runLedger(t, "", "import", path, "--data", data, "--actor", "clerk-2").expect(t, 0, "此前已记录 donation_received", "，记录人 ",
		"已记录 0 条，1 条此前已记录")
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
	runLedger(t, "", "import", exa2, "--data", data, "--dry-run").expect(t, 0, "共 2 行有效，未写入（试运行）")
	bad := write("bad.csv", headers+"UX-A-12,150626,general,2022-06-15,150600,\"12,50\",\r\n")
	rule := "a thousands separator may only separate groups of three digits, as in 1,250.50"
	runLedger(t, "", "import", bad, "--data", data).expect(t, 1, "第 2 行「金额（元）」: 千位分隔符只能用在每三位数字之间，如 1,250.50 ("+rule+")：单元格的值是 12,50")
	english := runLedger(t, "", "import", bad, "--data", data, "--lang", "en")
	english.expect(t, 1, `row 2, "Amount (yuan)": `+rule+": the cell holds 12,50", "1 of 1 row is invalid")
	if hasHan(english.stderr) {
		t.Errorf("--lang en says Chinese:\n%s", english.stderr)
	}
	if got := countEvents(t, "--data", data); got != 1 {
		t.Fatalf("%d events, want the one donation", got)
	}
}
