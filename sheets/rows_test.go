package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/sheets/sheetstest"
)

const allocationHeaders = "拨款编号,地区,活动,日期,拨出地区,金额（元）,用途\r\n"

// template is the XLSX template of an entry type.
func template(t *testing.T, eventType domain.EventType) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := Template(&out, domain.DefaultCatalog(), eventType); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// lineNumbers are the rows a sheet's lines come from.
func lineNumbers(t *testing.T, content []byte) []int {
	t.Helper()
	_, lines, err := Read(content)
	if err != nil {
		t.Fatal(err)
	}
	numbers := make([]int, len(lines))
	for i, line := range lines {
		numbers[i] = line.Number
	}
	return numbers
}

// The second row is skipped as the English headers only when it is them:
// a CSV with the Chinese headers alone, or a workbook whose first entry
// was typed over the English headers, once lost that entry without a word
// (two allocations read as "1 lines are valid"). A second row that is
// neither the headers nor a clean entry is read, and refused, not dropped.
func TestSecondRowIsHeadersOnlyWhenItSaysThem(t *testing.T) {
	csv := allocationHeaders +
		"UX-A-10,150626 乌审旗 Uxin,general,2022-06-15,150600,100.00,\r\n" +
		"UX-A-11,150627 伊金霍洛旗,general,2022-06-15,150600,200.00,\r\n"
	if got := lineNumbers(t, []byte(csv)); fmt.Sprint(got) != "[2 3]" {
		t.Errorf("a CSV with the Chinese headers alone reads rows %v, want [2 3]", got)
	}
	english := allocationHeaders + "Allocation id, region ,Campaign,Date,From region,Amount (yuan),Purpose\r\n" +
		"UX-A-10,150626 乌审旗 Uxin,general,2022-06-15,150600,100.00,\r\n"
	if got := lineNumbers(t, []byte(english)); fmt.Sprint(got) != "[3]" {
		t.Errorf("a CSV with both header rows reads rows %v, want [3]", got)
	}
	halfTyped := allocationHeaders + "UX-A-9,150626,general,Date,From region,Amount (yuan),Purpose\r\n" +
		"UX-A-10,150626 乌审旗 Uxin,general,2022-06-15,150600,100.00,\r\n"
	_, lines, err := Read([]byte(halfTyped))
	if err != nil || len(lines) != 2 || lines[0].Number != 2 || lines[0].Err == nil || lines[1].Err != nil {
		t.Fatalf("a second row typed over part of the English headers: %d lines, %v, want row 2 read and refused", len(lines), err)
	}

	rows := [][]any{
		{"UX-A-10", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "150600 鄂尔多斯市总工会 Ordos City", 100},
		{"UX-A-11", "150627 伊金霍洛旗 Ejin Horo", "general 日常帮扶", "2022-06-15", "150600 鄂尔多斯市总工会 Ordos City", 200},
	}
	over := sheetstest.FillFrom(t, template(t, domain.TypeFundsAllocated), 2, rows)
	_, lines, err = Read(over)
	if err != nil || len(lines) != 2 || lines[0].Number != 2 || lines[0].Err != nil || lines[1].Err != nil {
		t.Fatalf("entries typed from the English headers' row: %d lines (%+v), %v; want rows 2 and 3, valid", len(lines), lines, err)
	}
}

// donationRow is a CSV donation of goods with its amount, quantity and
// value as given.
func donationRow(id, amount, quantity, value string) string {
	return fmt.Sprintf("%s,150626,general,2022-06-15,enterprise,某公司,goods,%s,drinking-water,%s,%s,,\r\n", id, amount, quantity, value)
}

// A thousands separator is taken between groups of three digits only:
// "12,50" is a decimal comma, once read as 1250.00 yuan, and "1,5" no
// count, once 15. The refusal names the header, says the rule and quotes
// the cell.
func TestThousandsSeparatorsOnlyInGroupsOfThree(t *testing.T) {
	headers := "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n"
	csv := headers + donationRow("D-T-1", `"1,250.50"`, `"1,500"`, `"1,250.50"`) + donationRow("D-T-2", "", "2", `"12,500"`) +
		donationRow("D-T-3", "", "2", `"12,50"`) + donationRow("D-T-4", "", `"1,5"`, "10") + donationRow("D-T-5", "", "2", `"1,2345.00"`)
	layout, lines, err := Read([]byte(csv))
	if err != nil || len(lines) != 5 {
		t.Fatalf("Read = %d lines, %v", len(lines), err)
	}
	for i, want := range []string{"1250.50", "12500.00"} {
		if lines[i].Err != nil {
			t.Fatalf("row %d: %v", lines[i].Number, lines[i].Err)
		}
		if got := lines[i].Event.Data.(domain.DonationReceived).Items[0].Value.String(); got != want {
			t.Errorf("row %d's value reads %s, want %s", lines[i].Number, got, want)
		}
	}
	if quantity := lines[0].Event.Data.(domain.DonationReceived).Items[0].Quantity; quantity != 1500 {
		t.Errorf("1,500 reads as %d", quantity)
	}
	for i, want := range map[int]string{
		2: "第 4 行「物资价值（元）」: 千位分隔符只能用在每三位数字之间，如 1,250.50 (a thousands separator may only separate groups of three digits, as in 1,250.50)：单元格的值是 12,50",
		3: "第 5 行「数量」: 千位分隔符只能用在每三位数字之间，如 1,250.50 (a thousands separator may only separate groups of three digits, as in 1,250.50)：单元格的值是 1,5",
		4: "第 6 行「物资价值（元）」: 千位分隔符只能用在每三位数字之间，如 1,250.50 (a thousands separator may only separate groups of three digits, as in 1,250.50)：单元格的值是 1,2345.00",
	} {
		if got := problems(t, layout, lines[i].Number, lines[i].Err, "zh"); len(got) != 1 || got[0] != want {
			t.Errorf("row %d reads %q, want %q", lines[i].Number, got, want)
		}
	}
}

// problems are a row's problems as the clerk reads them.
func problems(t *testing.T, layout Layout, row int, err error, lang string) []string {
	t.Helper()
	var validation *domain.ValidationError
	if !errors.As(err, &validation) {
		t.Fatalf("row %d: %v, want a validation error", row, err)
	}
	var said []string
	for _, violation := range validation.Violations {
		said = append(said, layout.Where(row, violation.Field, lang)+": "+layout.Rule(violation, lang))
	}
	return said
}

// A money cell shown through the template's format (#,##0.00) as 100.56
// may hold 100.555: the refusal quotes what the cell holds, in the
// sheet's language.
func TestRefusedCellIsQuoted(t *testing.T) {
	filled := sheetstest.Fill(t, template(t, domain.TypeDonationReceived), [][]any{
		{"D-Q-1", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 100.555},
	})
	layout, lines, err := Read(filled)
	if err != nil || len(lines) != 1 {
		t.Fatalf("Read = %d lines, %v", len(lines), err)
	}
	for lang, want := range map[string]string{
		"zh": "第 3 行「金额（元）」: 必须是不超过两位小数的金额 (must be an amount in yuan with at most two decimals)：单元格的值是 100.555",
		"en": `row 3, "Amount (yuan)": must be an amount in yuan with at most two decimals: the cell holds 100.555`,
	} {
		if got := problems(t, layout, 3, lines[0].Err, lang); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}

// The instructions sheet's example row of every template, copied to the
// entry sheet as a clerk would, reads as an entry the ledger's rules take:
// the donation's example was once money with goods, the allocation's from
// its own region. The instructions say the order the examples import in
// (app's TestSheetExamplesImportInOrder imports them so).
func TestExampleRowsAreValid(t *testing.T) {
	catalog := domain.DefaultCatalog()
	validator := domain.Validator{Catalog: catalog, Now: time.Now}
	for _, layout := range Layouts {
		book, err := excelize.OpenReader(bytes.NewReader(template(t, layout.Type)))
		if err != nil {
			t.Fatal(err)
		}
		instructions, err := book.GetRows("说明 Instructions")
		book.Close()
		if err != nil || len(instructions) < 2 {
			t.Fatalf("%s: instructions %v (%v)", layout.Type, instructions, err)
		}
		var said []string
		for _, row := range instructions {
			said = append(said, strings.Join(row, " "))
		}
		for _, order := range []string{exampleOrder, exampleOrderEnglish} {
			if !strings.Contains(strings.Join(said, "\n"), order) {
				t.Errorf("%s: the instructions do not say the examples' order %q:\n%s", layout.Type, order, strings.Join(said, "\n"))
			}
		}
		example := instructions[len(instructions)-1]
		read, lines, err := Read(sheetstest.Example(t, template(t, layout.Type)))
		if err != nil || read.Type != layout.Type || len(lines) != 1 {
			t.Fatalf("%s: the example reads as %s, %d lines, %v", layout.Type, read.Type, len(lines), err)
		}
		if lines[0].Err != nil {
			t.Errorf("%s: the example row %q is refused: %v", layout.Type, example, lines[0].Err)
			continue
		}
		event := lines[0].Event
		event.Actor = "clerk"
		if err := validator.Validate(event); err != nil {
			t.Errorf("%s: the example row %q breaks the ledger's rules: %v", layout.Type, example, err)
		}
	}
}

// A rule about a field made of several columns names them all, in the
// sheet's language; the rules a clerk meets are said in Chinese with zh
// (then as the ledger says them), and as the ledger says them with en.
func TestFieldRulesInTheSheetsWords(t *testing.T) {
	donations, _ := LayoutOf(domain.TypeDonationReceived)
	deliveries, _ := LayoutOf(domain.TypeSuppliesDelivered)
	for _, c := range []struct {
		layout              Layout
		field, lang, header string
	}{
		{donations, "data.items", "zh", "物资 / 数量 / 物资价值（元）"},
		{donations, "data.items", "en", "Item / Quantity / Items value (yuan)"},
		{donations, "data.items[0]", "zh", "物资 / 数量 / 物资价值（元）"},
		{deliveries, "data.site", "zh", "站点类型 / 站点名称"},
		{deliveries, "data.items[0].value", "zh", "物资价值（元）"},
		{deliveries, "data.funded_by", "zh", "funded_by"},
	} {
		if got := c.layout.Header(c.field, c.lang); got != c.header {
			t.Errorf("%s %s is headed %q, want %q", c.layout.Type, c.field, got, c.header)
		}
	}

	validator := domain.Validator{Catalog: domain.DefaultCatalog(), Now: time.Now}
	for _, c := range []struct {
		csv  string
		want []string
	}{
		// A service without person-times is one the ledger takes: the
		// template does not ask for them.
		{"服务编号,地区,活动,日期,服务项目,受益群体,次数,人次,费用（元）,备注\r\n" +
			"SV-1,150626,夏送清凉,2022-06-15,massage,outdoor-workers,0,,,\r\n", []string{
			`第 2 行「活动」: 「夏送清凉」不在目录中，请从下拉列表选择 (unknown campaign "夏送清凉"; known: 2022-autumn-school-aid, ` +
				`2022-health-law-lectures, 2022-new-workers-month, 2022-spring-jobs, 2022-summer-cooling, 2022-winter-warmth, general)`,
			`第 2 行「服务项目」: 「massage」不是可选的值，请从下拉列表选择 (must be one of health-checkup, legal-consultation, visit, station-opened, assistance)`,
			"第 2 行「次数」: 必须大于 0 (must be > 0)",
		}},
		{"配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注\r\n" +
			"V-1,999999,general,2099-06-15,tent,某工地,pilots,10,ice,1,10,,\r\n", []string{
			`第 2 行「地区」: 「999999」不在目录中，请从下拉列表选择 (unknown region code "999999" (GB/T 2260 codes of the catalog))`,
			"第 2 行「日期」: 不能是将来的日期 (must not be more than 10 minutes in the future)",
			`第 2 行「站点类型」: 「tent」不在目录中，请从下拉列表选择 (unknown site kind "tent"; known: `,
			`第 2 行「受益群体」: 「pilots」不在目录中，请从下拉列表选择 (unknown beneficiary group "pilots"; known: `,
			`第 2 行「物资」: 「ice」不在目录中，请从下拉列表选择 (unknown item kind "ice"; known: `,
		}},
		{"培训编号,地区,活动,日期,主题,标题,形式,参训人数,时长（分钟）,地点,受益群体,费用（元）\r\n" +
			"S-1,150626,general,1999-06-15,yoga,讲座,offline,30,90,职工之家,,\r\n", []string{
			"第 2 行「日期」: 必须在 2000-01-01 之后 (must be after 2000-01-01)",
			`第 2 行「主题」: 「yoga」不在目录中，请从下拉列表选择 (unknown training topic "yoga"; known: `,
		}},
		{"捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n" +
			"D-1,150626,general,2022-06-15,enterprise,,money,100,drinking-water,1,10,,\r\n", []string{
			"第 2 行「捐赠单位」: 必填 (is required)",
			"第 2 行「物资 / 数量 / 物资价值（元）」: 形式为资金时必须留空 (must be empty for a money donation)",
		}},
	} {
		layout, lines, err := Read([]byte(c.csv))
		if err != nil || len(lines) != 1 || lines[0].Err != nil {
			t.Fatalf("%s: %v, %v", layout.Type, lines, err)
		}
		event := lines[0].Event
		event.Actor = "clerk"
		got := problems(t, layout, 2, validator.Validate(event), "zh")
		if len(got) != len(c.want) {
			t.Errorf("%s: the problems in zh:\n%s\nwant\n%s", layout.Type, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], c.want[i]) {
				t.Errorf("%s: problem %d reads %q, want it to begin %q", layout.Type, i+1, got[i], c.want[i])
			}
		}
		var validation *domain.ValidationError
		errors.As(validator.Validate(event), &validation)
		for _, violation := range validation.Violations {
			if got := layout.Rule(violation, "en"); got != violation.Rule {
				t.Errorf("%s: in en %s reads %q, want the ledger's %q", layout.Type, violation.Field, got, violation.Rule)
			}
		}
	}
}

// hasHan says whether text has a Chinese character.
func hasHan(text string) bool {
	return strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// With en a row's problems are English alone, the sheet's own rules as
// the ledger's (a thousands separator out of place, a required cell, a
// cell of too many decimals or no number, a repeated row, an allocation
// from its own region once began in Chinese); with zh they are Chinese,
// then the same English.
func TestEnglishProblemsAreEnglishAlone(t *testing.T) {
	sheets := []string{"配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注\r\n" +
		"V-1,150626,general,2022-06-15,service-station,,outdoor-workers,10,drinking-water,\"1,5\",\"12,50\",100.555,\r\n" +
		"V-2,150626,general,not a day,service-station,Site,outdoor-workers,10,drinking-water,1,abc,99999999999999999999,\r\n" +
		"V-3,150626,general,2022-06-15,service-station,Site,outdoor-workers,ten,drinking-water,1,10,10,\r\n" +
		"V-3,150626,general,2022-06-15,service-station,Site,outdoor-workers,ten,drinking-water,1,10,10,\r\n" +
		"V-4,150626,general,2022-06-15,service-station,Site,outdoor-workers,10,drinking-water,1,10,10,\r\n" +
		"V-4,150626,general,2022-06-15,service-station,Site,outdoor-workers,10,drinking-water,1,10,10,\r\n",
		allocationHeaders + "A-1,150626,general,2022-06-15,150626,100,\r\n"}
	wanted := map[string]bool{ // each rule of the sheet's own is met
		string(ruleThousands): true, domain.CodeRequired: true, string(ruleMoney): true, string(ruleYuan): true, string(ruleDate): true,
		string(ruleTooLarge): true, string(ruleCount): true, string(ruleRepeated): true, string(ruleSameRegion): true}
	for _, sheet := range sheets {
		layout, lines, err := Read([]byte(sheet))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range lines {
			var validation *domain.ValidationError
			if !errors.As(line.Err, &validation) {
				continue
			}
			for _, violation := range validation.Violations {
				delete(wanted, violation.Code)
				english := layout.Where(line.Number, violation.Field, "en") + ": " + layout.Rule(violation, "en")
				if hasHan(english) || !strings.Contains(english, violation.Rule) {
					t.Errorf("row %d in en: %q, want the English %q alone", line.Number, english, violation.Rule)
				}
				chinese := layout.Rule(violation, "zh")
				if first, _ := utf8.DecodeRuneInString(chinese); !unicode.Is(unicode.Han, first) || !strings.Contains(chinese, " ("+violation.Rule+")") {
					t.Errorf("row %d in zh: %q, want Chinese, then (%s)", line.Number, chinese, violation.Rule)
				}
			}
		}
	}
	if len(wanted) > 0 {
		t.Errorf("rules not met by the test's rows: %v", wanted)
	}
}

// decided is what a campaign decides of a sheet's one row (CSV) after the
// rows before (applied): a rule of the ledger's the row breaks, with the
// layout of the row.
func decided(t *testing.T, campaign *domain.Campaign, csv string) (Layout, error) {
	t.Helper()
	layout, lines, err := Read([]byte(csv))
	if err != nil || len(lines) != 1 || lines[0].Err != nil {
		t.Fatalf("Read = %v, %v", lines, err)
	}
	event := lines[0].Event
	event.ID, event.Actor = uuid.New(), "clerk"
	validator := domain.Validator{Catalog: domain.DefaultCatalog(), Now: time.Now}
	if err := campaign.Decide(&event, validator); err != nil {
		return layout, err
	}
	campaign.Apply(event, campaign.Version+1)
	campaign.Version++
	return layout, nil
}

// A rule of the ledger a row breaks (money its region does not hold, an
// id recorded already) is said in Chinese with zh, with the figures the
// ledger's English quotes (campaign, region, what it would hold, holds
// and lacks), then that English; with en, in the English alone. It names
// the column: the money a row moves for money the region does not hold.
func TestLedgerRefusalsInTheSheetsWords(t *testing.T) {
	catalog := domain.DefaultCatalog()
	campaign := domain.NewCampaign("general", catalog.CityCode())
	deliveries := "配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注\r\n"
	donations := "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注\r\n"
	for _, c := range []struct {
		csv, zh, field string
	}{
		{csv: allocationHeaders + "A-1,150602,general,2022-06-15,150600,1200.00,\r\n", field: "金额（元）",
			zh: "资金不足，活动「日常帮扶」(general) 中，市本级（150600 鄂尔多斯市总工会）的资金将为 -1200.00 元（现有 0.00 元，缺 1200.00 元）；" +
				"拨款或支出不能超过收到的资金 (campaign general: the city level (150600) would hold -1200.00 yuan; "},
		{csv: donations + "D-1,150600,general,2022-06-15,enterprise,某公司,money,3000.00,,,,,\r\n"},
		{csv: allocationHeaders + "A-2,150602,general,2022-06-15,150600,3000.00,\r\n"},
		{csv: deliveries + "V-1,150602,general,2022-06-15,service-station,站点,outdoor-workers,10,drinking-water,1,10,3500.00,\r\n",
			field: "支出（元）",
			zh:    "资金不足，活动「日常帮扶」(general) 中，东胜区（150602）的资金将为 -500.00 元（现有 3000.00 元，缺 500.00 元）；拨款或支出不能超过收到的资金 (campaign general: county 150602 would hold -500.00 yuan;"},
		{csv: deliveries + "V-1,150602,general,2022-06-15,service-station,站点,outdoor-workers,10,drinking-water,1,10,100.00,\r\n"},
		{csv: deliveries + "V-1,150602,general,2022-06-16,service-station,站点,outdoor-workers,10,drinking-water,1,10,100.00,\r\n",
			field: "配送编号", zh: "编号 V-1 已由事件 "},
	} {
		layout, err := decided(t, campaign, c.csv)
		if c.zh == "" {
			if err != nil {
				t.Fatalf("%s: %v", c.csv, err)
			}
			continue
		}
		var rule *domain.RuleError
		if !errors.As(err, &rule) || rule.Code == "" {
			t.Fatalf("%s: %v, want a coded rule of the ledger", c.csv, err)
		}
		field, text := layout.Refusal(*rule, "zh", catalog)
		if where := layout.Where(3, field, "zh"); where != "第 3 行「"+c.field+"」" || !strings.HasPrefix(text, c.zh) ||
			!strings.HasSuffix(text, " ("+rule.Rule+")") {
			t.Errorf("in zh: %s: %s\nwant 第 3 行「%s」: %s… (%s)", where, text, c.field, c.zh, rule.Rule)
		}
		field, text = layout.Refusal(*rule, "en", catalog)
		if english := layout.Where(3, field, "en") + ": " + text; hasHan(english) || text != rule.Rule {
			t.Errorf("in en: %s, want the ledger's English alone", english)
		}
	}
	// A rule without a code is the ledger's words, at its own field.
	donationsLayout, _ := LayoutOf(domain.TypeDonationReceived)
	plain := domain.RuleError{Field: "occurred_at", Rule: "2022-06 is closed by finance"}
	if field, text := donationsLayout.Refusal(plain, "zh", catalog); field != plain.Field || text != plain.Rule {
		t.Errorf("an uncoded rule in zh: %s: %s", field, text)
	}
	// So is a coded rule without the figures to say, still at its column.
	deliveriesLayout, _ := LayoutOf(domain.TypeSuppliesDelivered)
	bare := domain.RuleError{Code: domain.CodeOverspent, Rule: "campaign general: county 150602 would hold -1.00 yuan"}
	if field, text := deliveriesLayout.Refusal(bare, "zh", catalog); field != "data.spent" || text != bare.Rule {
		t.Errorf("a coded rule without figures in zh: %s: %s", field, text)
	}
}
