package app_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/report"
	"github.com/ordos-union/ledger/sheets"
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
