package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A sheet whose rows 2 and 4 were recorded before (by another clerk) and
// whose row 3 spends more than the county holds: `ledger import`, and its
// dry run, tell every row's status, rows 2 and 4 already recorded by that
// clerk and row 3 refused by the rule, and write nothing. They once told
// only the refusal, as if rows 2 and 4 were new.
func TestImportTellsEachRowOfARefusedSheet(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const deliveries = "配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注"
	const (
		row101 = "V-U5-101,150626,2022-summer-cooling,2022-06-20,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,"
		row102 = "V-U5-102,150626,2022-summer-cooling,2022-06-21,construction-site,某工地,construction-workers,40,drinking-water,500,15000,15000,"
		row103 = "V-U5-103,150626,2022-summer-cooling,2022-06-22,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,"
	)
	funds := write("donations.csv", "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注",
		"D-U5-1,150626,2022-summer-cooling,2022-06-15,enterprise,某公司,money,10000,,,,,")
	runLedger(t, "", "import", funds, "--data", data, "--actor", "clerk-a").expect(t, 0)
	runLedger(t, "", "import", write("before.csv", deliveries, row101, row103), "--data", data, "--actor", "clerk-a").expect(t, 0)
	sheet := write("sheet.csv", deliveries, row101, row102, row103)
	for _, args := range [][]string{{"--dry-run"}, {}} {
		out := runLedger(t, "", append([]string{"import", sheet, "--data", data, "--actor", "clerk-b"}, args...)...)
		out.expect(t, 1, "未写入：第 3 行「支出（元）」: 被拒：资金不足", "(campaign 2022-summer-cooling: county 150626 would hold -11000.00 yuan")
		for _, row := range []string{"第 2 行", "第 4 行"} {
			if !strings.Contains(out.stdout, row+": 此前已记录 supplies_delivered ") || !strings.Contains(out.stdout, "记录人 clerk-a\n") {
				t.Errorf("%v: %s is not told as recorded before by clerk-a:\n%s", args, row, out.stdout)
			}
		}
		if !strings.Contains(out.stderr, "第 3 行「支出（元）」: 被拒：资金不足，活动「2022喜迎二十大、建功新时代——情系职工、夏送清凉」(2022-summer-cooling) 中，乌审旗（150626）的资金将为 -11000.00 元") {
			t.Errorf("%v: row 3 is not told as refused:\n%s", args, out.stderr)
		}
	}
	if got := countEvents(t, "--data", data); got != 3 {
		t.Fatalf("%d events after the refused sheet, want the 3 before it", got)
	}
}

// A sheet whose row 3 overspends while rows 2 and 4 are new and valid
// tells every row's status though nothing is written: rows 2 and 4 as
// valid in the sheet's language, row 3 refused; with --json every row is
// one JSON line, the refused one with its problem, and the summary goes to
// standard error. Before, standard output was empty and only row 3 was
// told.
func TestImportTellsValidRowsOfARefusedSheet(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	funds := write("donations.csv", "捐赠编号,地区,活动,日期,捐赠方类型,捐赠单位,形式,金额（元）,物资,数量,物资价值（元）,银行流水号,备注",
		"D-U6-1,150626,2022-summer-cooling,2022-06-15,enterprise,某公司,money,10000,,,,,")
	runLedger(t, "", "import", funds, "--data", data, "--actor", "clerk-a").expect(t, 0)
	sheet := write("sheet.csv", "配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注",
		"V-U6-101,150626,2022-summer-cooling,2022-06-20,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,",
		"V-U6-102,150626,2022-summer-cooling,2022-06-21,construction-site,某工地,construction-workers,40,drinking-water,500,15000,15000,",
		"V-U6-103,150626,2022-summer-cooling,2022-06-22,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,")
	for _, args := range [][]string{{"--dry-run"}, {}} {
		out := runLedger(t, "", append([]string{"import", sheet, "--data", data, "--actor", "clerk-b"}, args...)...)
		out.expect(t, 1, "未写入：第 3 行「支出（元）」: 被拒：资金不足")
		if want := "第 2 行: 有效 supplies_delivered（未写入）\n第 4 行: 有效 supplies_delivered（未写入）\n"; out.stdout != want {
			t.Errorf("%v: stdout %q, want %q", args, out.stdout, want)
		}
	}
	out := runLedger(t, "", "import", sheet, "--data", data, "--actor", "clerk-b", "--dry-run", "--json")
	out.expect(t, 1, "未写入：第 3 行「支出（元）」: 被拒：资金不足")
	rows := strings.Split(strings.TrimSuffix(out.stdout, "\n"), "\n")
	if len(rows) != 3 || rows[0] != `{"line":2,"status":"valid"}` || rows[2] != `{"line":4,"status":"valid"}` ||
		!strings.HasPrefix(rows[1], `{"line":3,"status":"refused","problem":"第 3 行「支出（元）」: 被拒：资金不足`) {
		t.Errorf("--json prints %q, want one JSON line for each row", rows)
	}
	valid := write("valid.csv", "配送编号,地区,活动,日期,站点类型,站点名称,受益群体,受益人数,物资,数量,物资价值（元）,支出（元）,备注",
		"V-U6-101,150626,2022-summer-cooling,2022-06-20,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,")
	passed := runLedger(t, "", "import", valid, "--data", data, "--actor", "clerk-b", "--dry-run", "--json")
	passed.expect(t, 0, "共 1 行有效，未写入（试运行）")
	if strings.Contains(passed.stdout, "共 1 行") {
		t.Errorf("--json prints the summary on standard output:\n%s", passed.stdout)
	}
	if got := countEvents(t, "--data", data); got != 1 {
		t.Fatalf("%d events after the refused sheet, want the 1 before it", got)
	}
}
