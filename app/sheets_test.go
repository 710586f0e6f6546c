package app_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/report"
	"github.com/ordos-union/ledger/sheets"
	"github.com/ordos-union/ledger/sheets/sheetstest"
)

// A sheet's row with a bad cell and a field the ledger refuses reports
// both at once (a clerk once fixed the cost, imported again, and only then
// heard of the campaign), each once: what became of a cell that could not
// be read (a date that is no date is also no time) is not told again. The
// ledger's rules are said in the sheet's language.
func TestSheetRowReportsEveryProblemAtOnce(t *testing.T) {
	use := openLedger(t)
	// The Chinese headers alone: the entries begin on row 2.
	csv := "培训编号,地区,活动,日期,主题,标题,形式,参训人数,时长（分钟）,地点,受益群体,费用（元）\r\n" +
		"S-1,150626,夏送清凉,2022-06-15,safety,安全生产讲座,offline,30,90,职工之家,,12.345\r\n" +
		"S-2,999999,general,2022-13-45,safety,安全生产讲座,offline,30,90,职工之家,,\r\n" +
		// Row 4 is valid: at no cost, it spends nothing of what the
		// county holds (none), which the ledger's rules would refuse.
		"S-3,150626,general,2022-06-15,safety,安全生产讲座,offline,30,90,职工之家,,\r\n"
	layout, rows, err := sheets.Read([]byte(csv))
	if err != nil || len(rows) != 3 {
		t.Fatalf("Read = %d rows, %v", len(rows), err)
	}
	for i := range rows {
		rows[i].Event.Actor = "clerk"
	}
	recorded, err := use.ImportSheet(context.Background(), rows, app.LinesOptions{DryRun: true})
	if !errors.Is(err, app.ErrInvalidLines) || recorded.Invalid != 2 || recorded.Outcomes[2].Err != nil {
		t.Fatalf("ImportSheet = %+v, %v; want rows 2 and 3 invalid, row 4 valid", recorded, err)
	}
	var printed, out bytes.Buffer
	_ = report.RecordedLinesText(&out, &printed, recorded, err, report.LinesShown{
		Where:   func(row int, field string) string { return layout.Where(row, field, "zh") },
		Repeats: func(row int) string { return layout.Repeats(row, "zh") },
		Rule:    func(violation domain.Violation) string { return layout.Rule(violation, "zh") },
	})
	want := []string{
		"第 2 行「费用（元）」: 必须是不超过两位小数的金额 (must be an amount in yuan with at most two decimals)：单元格的值是 12.345",
		`第 2 行「活动」: 「夏送清凉」不在目录中，请从下拉列表选择 (unknown campaign "夏送清凉"`,
		"第 3 行「日期」: 必须是日期，如 2022-06-15 (must be a date such as 2022-06-15)：单元格的值是 2022-13-45",
		`第 3 行「地区」: 「999999」不在目录中，请从下拉列表选择 (unknown region code "999999"`,
	}
	lines := strings.Split(strings.TrimSpace(printed.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("the problems:\n%s\nwant %d lines", printed.String(), len(want))
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, want[i]) {
			t.Errorf("problem %d reads %q, want it to begin %q", i+1, line, want[i])
		}
	}
}

// Every template's example row, copied to its entry sheet as a clerk
// would, imports as it is into an empty ledger in the order the
// instructions say (donation, allocation, then delivery, training and
// service in the region the allocation went to): once only the donation's
// did, the others refused for money the city level or the region did not
// hold. Each is then found recorded.
func TestSheetExamplesImportInOrder(t *testing.T) {
	use := openLedger(t)
	ctx := context.Background()
	examples := make([][]ledger.Line, len(sheets.Layouts))
	for i, layout := range sheets.Layouts {
		var template bytes.Buffer
		if err := sheets.Template(&template, use.Catalog(), layout.Type); err != nil {
			t.Fatal(err)
		}
		read, rows, err := sheets.Read(sheetstest.Example(t, template.Bytes()))
		if err != nil || read.Type != layout.Type || len(rows) != 1 || rows[0].Err != nil {
			t.Fatalf("%s: the example reads as %s, %+v, %v", layout.Type, read.Type, rows, err)
		}
		rows[0].Event.Actor = "clerk"
		examples[i] = rows
		recorded, err := use.ImportSheet(ctx, rows, app.LinesOptions{})
		if err != nil || recorded.Recorded != 1 {
			var said, out bytes.Buffer
			failure := report.RecordedLinesText(&out, &said, recorded, err, sheetShown(read, "en", use))
			t.Fatalf("%s: the example, imported after those before it, is not recorded: %v\n%s", layout.Type, failure, said.String())
		}
	}
	if got := head(t, use); got != uint64(len(sheets.Layouts)) {
		t.Fatalf("%d events after importing the %d examples", got, len(sheets.Layouts))
	}
	for i, layout := range sheets.Layouts {
		found, err := use.ImportSheet(ctx, examples[i], app.LinesOptions{DryRun: true})
		if err != nil || found.Duplicates != 1 || !found.Outcomes[0].Result.Duplicate {
			t.Errorf("%s: the example is not found recorded: %+v, %v", layout.Type, found, err)
		}
	}
}

// sheetShown says a sheet's rows as `ledger import --lang lang` does.
func sheetShown(layout sheets.Layout, lang string, use *app.Ledger) report.LinesShown {
	return report.LinesShown{
		Where:   func(row int, field string) string { return layout.Where(row, field, lang) },
		Repeats: func(row int) string { return layout.Repeats(row, lang) },
		Rule:    func(violation domain.Violation) string { return layout.Rule(violation, lang) },
		Refusal: func(rule domain.RuleError) (string, string) { return layout.Refusal(rule, lang, use.Catalog()) },
		Words:   report.SheetWords(lang),
	}
}

// A row that breaks a rule of the ledger (an allocation the city level
// has no money for) is said in the sheet's language at its column, with
// the ledger's figures, and called refused: once in zh it was the
// ledger's English at no column, and skipped as "1 invalid lines".
func TestSheetRefusalInTheSheetsLanguage(t *testing.T) {
	use := openLedger(t)
	csv := "拨款编号,地区,活动,日期,拨出地区,金额（元）,用途\r\n" +
		"A-1,150602,general,2022-06-15,150600,1200.00,\r\n"
	layout, rows, err := sheets.Read([]byte(csv))
	if err != nil || len(rows) != 1 {
		t.Fatalf("Read = %v, %v", rows, err)
	}
	rows[0].Event.Actor = "clerk"
	zh := "第 2 行「金额（元）」: 被拒：资金不足，活动「日常帮扶」(general) 中，市本级（150600 鄂尔多斯市总工会）的资金将为 -1200.00 元" +
		"（现有 0.00 元，缺 1200.00 元）；拨款或支出不能超过收到的资金 (campaign general: the city level (150600) would hold -1200.00 yuan"
	en := `row 2, "Amount (yuan)": refused: campaign general: the city level (150600) would hold -1200.00 yuan`
	for _, c := range []struct {
		lang    string
		options app.LinesOptions
		failure string
		said    []string
	}{
		{lang: "zh", failure: "未写入：" + zh},
		{lang: "zh", options: app.LinesOptions{DryRun: true}, failure: "未写入：" + zh},
		{lang: "zh", options: app.LinesOptions{SkipInvalid: true}, failure: "已跳过 1 行违反台账规则被拒，这些行未写入",
			said: []string{zh, "已记录 0 条，0 条此前已记录（相同幂等键），跳过 1 行被拒"}},
		{lang: "en", failure: "nothing was written: " + en},
		{lang: "en", options: app.LinesOptions{SkipInvalid: true}, failure: "1 row refused by a rule of the ledger was skipped",
			said: []string{en, "recorded 0 events, 0 already recorded (same idempotency key), skipped 0 invalid and 1 refused"}},
	} {
		recorded, err := use.ImportSheet(context.Background(), rows, c.options)
		var said, out bytes.Buffer
		shown := sheetShown(layout, c.lang, use)
		shown.DryRun = c.options.DryRun
		failure := report.RecordedLinesText(&out, &said, recorded, err, shown)
		if failure == nil || !strings.HasPrefix(failure.Error(), c.failure) {
			t.Errorf("%s %+v: failing with\n%v\nwant it to begin\n%s", c.lang, c.options, failure, c.failure)
		}
		for _, line := range c.said {
			if !strings.Contains(said.String(), line) {
				t.Errorf("%s %+v: said\n%s\nwant\n%s", c.lang, c.options, said.String(), line)
			}
		}
	}
	if got := head(t, use); got != 0 {
		t.Fatalf("%d events written", got)
	}
}
