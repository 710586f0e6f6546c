package report_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/report"
)

// scopedMonth is everyTableMonth as a report of one region, so the line
// under the title names a region.
func scopedMonth() *app.MonthReport {
	monthly := everyTableMonth()
	monthly.County = "150626"
	return monthly
}

// pageEdit is an edit of a genuine page (from, replaced once, to) and what
// the error it fails with must say.
type pageEdit struct{ name, from, to, message string }

// checkEdits checks that page as printed passes, and that each edit of it
// fails, saying what the edit's message says.
func checkEdits(t *testing.T, monthly *app.MonthReport, page string, edits []pageEdit) {
	t.Helper()
	printed, err := report.ReadPrinted([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), printed); err != nil {
		t.Fatalf("the page as printed: %v", err)
	}
	for _, edit := range edits {
		if strings.Count(page, edit.from) != 1 {
			t.Fatalf("%s: the page prints %q %d times", edit.name, edit.from, strings.Count(page, edit.from))
		}
		edited, err := report.ReadPrinted([]byte(strings.Replace(page, edit.from, edit.to, 1)))
		if err != nil {
			t.Fatalf("%s: %v", edit.name, err)
		}
		if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), edited); !errors.Is(err, app.ErrReportMismatch) || !strings.Contains(err.Error(), edit.message) {
			t.Errorf("%s: %v, want an error saying %q", edit.name, err, edit.message)
		}
	}
}

func paper(t *testing.T, monthly *app.MonthReport, catalog *domain.Catalog, lang string) string {
	t.Helper()
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, catalog, lang); err != nil {
		t.Fatal(err)
	}
	return page.String()
}

// TestPrintedPageIsComparedWhole: a page sealed as version 3 is compared
// whole with the page the log's report prints, so the edits reviewers
// found passing the keyed cells' check fail, each named by its place: a
// row added without a key (a void, a group), names swapped (regions, even
// with their keys; groups; a change's region), the page's region and
// campaign, a row hidden by a style, the unit line, column headers
// swapped, a goods unit, a comment holding the genuine cell beside an
// edited one written differently, a comment anywhere, and another seal's
// QR code.
func TestPrintedPageIsComparedWhole(t *testing.T) {
	monthly := scopedMonth()
	genuine := `<td class="num" data-key="all/received">500,000.00</td>`
	forged := `<td class="num"  data-key="all/received">900,000.00</td>`
	other := scopedMonth()
	other.Seal = strings.Replace(other.Seal, "size=121", "size=122", 1)
	otherQR := qrOf(t, paper(t, other, domain.DefaultCatalog(), "zh"))
	zh := paper(t, monthly, domain.DefaultCatalog(), "zh")
	checkEdits(t, monthly, zh, []pageEdit{
		{"1. a void row without a key", "<td data-key=\"changes/12/reason\">typed twice</td></tr>\n",
			"<td data-key=\"changes/12/reason\">typed twice</td></tr>\n<tr><td class=\"num\">150</td><td>entry_voided</td><td>2022-06-20 10:00</td><td>乌审旗 Uxin</td><td>clerk-1</td><td>D-9 received ¥1.00</td><td>typed twice</td></tr>\n",
			`the table "本月作废与更正", row 2, column "序号": the page prints "<td class=\"num\">" where the log's report prints ` +
				`"<td class=\"num\" data-key=\"changes/40/position\">" (the page's row: "150 | entry_voided | 2022-06-20 10:00 | 乌审旗 Uxin | clerk-1 | ` +
				`D-9 received ¥1.00 | typed twice"; the log's: "40 | entry_corrected |`},
		{"1. a void row after the last", "said &#34;30&#34; &amp; not 300</td></tr>\n",
			"said &#34;30&#34; &amp; not 300</td></tr>\n<tr><td class=\"num\">150</td><td>entry_voided</td></tr>\n",
			`the table "本月作废与更正", after row 2: the page prints a row the log's report does not have, "150 | entry_voided",`},
		{"1. a group row without a key", `60</td></tr></tbody>`, `60</td></tr><tr><td data-label="groups/fire">消防员</td><td class="num">500</td></tr></tbody>`,
			`the table "受益群体", after row 2: the page prints a row the log's report does not have, "消防员 | 500"`},
		{"a row left out", `<tr><td data-label="groups/sanitation-workers">环卫工</td><td class="num" data-key="groups/sanitation-workers/people">60</td></tr>`, ``,
			`the table "受益群体", row 2: the page prints </tbody> where the log's report prints one more row, "环卫工 | 60",`},
		{"2. region names swapped", `">乌审旗 Uxin</th><td class="num" data-key="150626/received">200,000.00</td>`,
			`">伊金霍洛旗 Ejin Horo</th><td class="num" data-key="150626/received">200,000.00</td>`,
			`the table of regions, row 1, column "地区": region 150626 is printed as "伊金霍洛旗 Ejin Horo"; the catalog now names it "乌审旗 Uxin"`},
		{"2. region names swapped with their labels", `data-label="regions/150626">乌审旗 Uxin`, `data-label="regions/150627">伊金霍洛旗 Ejin Horo`,
			`the table of regions, row 1, column "地区": the page prints "<th scope=\"row\" data-label=\"regions/150627\">" where the log's report prints "<th scope=\"row\" data-label=\"regions/150626\">"`},
		{"2. group names swapped", `>建筑工</td>`, `>环卫工</td>`,
			`the table "受益群体", row 1, column "群体": group construction-workers is printed as 环卫工; the catalog now names it 建筑工`},
		{"2. a change's region", `<td>伊金霍洛旗 Ejin Horo</td>`, `<td>乌审旗 Uxin</td>`,
			`the table "本月作废与更正", row 2 "40", column "地区": region 150627 is printed as "乌审旗 Uxin"; the catalog now names it "伊金霍洛旗 Ejin Horo"`},
		{"3. the page's region", `范围：乌审旗 Uxin`, `范围：全市`,
			`the line under the title: region 150626 is printed as 全市; the catalog now names it "乌审旗 Uxin"`},
		{"3. the page's campaign", `活动：2022喜迎`, `活动：2023喜迎`,
			`the line under the title: campaign 2022-summer-cooling is printed as 2023喜迎`},
		{"4. a row hidden", `<tr><td data-label="groups/sanitation-workers">`, `<tr style="display:none"><td data-label="groups/sanitation-workers">`,
			`the table "受益群体", row 2: the page prints "<tr style=\"display:none\">" where the log's report prints "<tr>"`},
		{"4. the unit line", `金额单位：元`, `金额单位：万元`,
			`the line under the title: the page prints the text "金额单位：万元" where the log's report prints the text "金额单位：元"`},
		{"4. column headers swapped", `<th>收到捐款</th><th>物资捐赠</th><th>拨入</th>`, `<th>物资捐赠</th><th>收到捐款</th><th>拨入</th>`,
			`the table of regions, its header, column 2: the page prints the text "物资捐赠" where the log's report prints the text "收到捐款"`},
		{"4. a goods unit", `</span> 箱</td>`, `</span> 吨</td>`,
			`the table "配送物资", row 1 "凉茶", column "数量": the page prints the text " 吨" where the log's report prints the text " 箱"`},
		{"5. the genuine cell in a comment", genuine, "<!-- " + genuine + " -->" + forged,
			`the table of regions, row 3 "合计", column "收到捐款": the page prints a comment, "<!-- <td class=\"num\" data-key=\"all/received\">500,000.00</td> -->"`},
		{"5. a cell written otherwise", genuine, forged, "regions/合计 received: printed 900,000.00, the log says 500,000.00 (cell all/received)"},
		{"a text written otherwise", `<td data-key="changes/12/reason">typed twice</td>`, `<td data-key="changes/12/reason">typed tw&#105;ce</td>`,
			`the table "本月作废与更正", row 1 "12", column "原因": the page prints the text written as "typed tw&#105;ce" where the log's report prints it as "typed twice"`},
		{"a comment anywhere", "</footer>", "</footer><!-- 以上数字已核对 -->", `after the footer: the page prints a comment, "<!-- 以上数字已核对 -->"`},
		{"another seal's QR code", qrOf(t, zh), otherQR, `the footer, the QR code's image: the page prints a PNG of`},
	})

	// The same in English, where the names and the unit line are in
	// English.
	en := paper(t, monthly, domain.DefaultCatalog(), "en")
	checkEdits(t, monthly, en, []pageEdit{
		{"region names swapped", `">乌审旗 Uxin</th>`, `">伊金霍洛旗 Ejin Horo</th><!---->`, `region 150626 is printed as "伊金霍洛旗 Ejin Horo"`},
		{"the page's region", `Scope：乌审旗 Uxin`, `Scope：all regions`, `the line under the title: region 150626 is printed as "all regions"`},
		{"the unit line", `Amounts in yuan`, `Amounts in ten thousand yuan`, `the line under the title: the page prints the text "Amounts in ten thousand yuan"`},
		{"a group row without a key", `60</td></tr></tbody>`, `60</td></tr><tr><td data-label="groups/fire">Firefighters</td><td class="num">500</td></tr></tbody>`,
			`the table "Beneficiary groups", after row 2: the page prints a row the log's report does not have, "Firefighters | 500"`},
		{"a group's people", `people">120<`, `people">1200<`, "groups/Construction workers people: printed 1200, the log says 120"},
	})
}

// qrOf is the data: URL of a page's QR code.
func qrOf(t *testing.T, page string) string {
	t.Helper()
	_, rest, found := strings.Cut(page, `<img src="`)
	url, _, closed := strings.Cut(rest, `"`)
	if !found || !closed {
		t.Fatal("the page has no QR code")
	}
	return url
}

// TestCatalogNamesAreCompared: a page printed under a catalog that named
// a group otherwise fails, saying the page's name and the catalog's, so an
// auditor can tell a rename from a forgery; the footer's time of the
// signed checkpoint may be the time of another checkpoint of the same
// size (verify-report recomputes under the newest), but only a time.
func TestCatalogNamesAreCompared(t *testing.T) {
	monthly := everyTableMonth()
	renamed := domain.DefaultCatalog()
	for i, group := range renamed.BeneficiaryGroups {
		if group.Code == "construction-workers" {
			renamed.BeneficiaryGroups[i].ZH = "建筑工人"
		}
	}
	page := paper(t, monthly, renamed, "zh")
	printed, err := report.ReadPrinted([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	var name *report.NameMismatchError
	if err := report.CheckPrinted(monthly, renamed, printed); err != nil {
		t.Fatalf("the page under the catalog it was printed under: %v", err)
	}
	err = report.CheckPrinted(monthly, domain.DefaultCatalog(), printed)
	if !errors.As(err, &name) || !errors.Is(err, app.ErrReportMismatch) ||
		err.Error() != `the table "受益群体", row 1, column "群体": group construction-workers is printed as 建筑工人; the catalog now names it 建筑工` {
		t.Fatalf("a page printed under a renamed group: %v", err)
	}

	genuine := paper(t, monthly, domain.DefaultCatalog(), "zh")
	if strings.Count(genuine, "2022-07-01 08:00:00") != 1 {
		t.Fatal("the footer does not print the checkpoint's time once")
	}
	checkEdits(t, monthly, genuine, []pageEdit{
		{"the time is not a time", "2022-07-01 08:00:00", "2022-07-01 08:00:0x",
			`the footer: the page prints the text " 于 2022-07-01 08:00:0x 签署的检查点一致。"`},
		{"a word beside the time", "2022-07-01 08:00:00 签署", "2022-07-01 08:00:00 未签署", `the footer: the page prints the text`},
	})
	for _, lang := range report.PaperLanguages() {
		page := strings.Replace(paper(t, monthly, domain.DefaultCatalog(), lang), "2022-07-01 08:00:00", "2022-06-30 23:59:07", 1)
		printed, err := report.ReadPrinted([]byte(page))
		if err != nil {
			t.Fatal(err)
		}
		if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), printed); err != nil {
			t.Fatalf("%s: a page signed at another time under a checkpoint of the same size: %v", lang, err)
		}
	}
}

// localizedMonth is scopedMonth sealed as version 4, whose page names its
// region in the page's language and says its signing time is Beijing time.
func localizedMonth() *app.MonthReport {
	monthly := scopedMonth()
	monthly.Seal = strings.Replace(monthly.Seal, "ledger-report/3 ", "ledger-report/4 ", 1)
	return monthly
}

// TestPageSpeaksItsLanguage: a page sealed as version 4 names its region
// in the page's language alone (范围：乌审旗, Scope：Uxin; before, both
// printed "乌审旗 Uxin") and says the checkpoint was signed in Beijing
// time; it verifies as printed, and an edit of its region, or of the
// words around the signing time, is refused.
func TestPageSpeaksItsLanguage(t *testing.T) {
	monthly := localizedMonth()
	for lang, want := range map[string][]string{
		"zh": {`<span>范围：乌审旗</span>`, `于北京时间 2022-07-01 08:00:00 签署的检查点一致。`},
		"en": {`<span>Scope：Uxin</span>`, `signed at 2022-07-01 08:00:00 Beijing time commits to.`},
	} {
		page := paper(t, monthly, domain.DefaultCatalog(), lang)
		for _, text := range want {
			if !strings.Contains(page, text) {
				t.Errorf("%s: the page lacks %q", lang, text)
			}
		}
		scope := want[0][len("<span>") : len(want[0])-len("</span>")]
		checkEdits(t, monthly, page, []pageEdit{
			{"the region in both languages", scope, scope + " Uxin", "the line under the title: region 150626 is printed as"},
			{"the time's zone left out", want[1], strings.NewReplacer("北京时间 ", "", " Beijing time", "").Replace(want[1]), "the footer: the page prints the text"},
		})
		// Another checkpoint's time of the same size still passes.
		other, err := report.ReadPrinted([]byte(strings.Replace(page, "2022-07-01 08:00:00", "2022-06-30 23:59:07", 1)))
		if err != nil {
			t.Fatal(err)
		}
		if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), other); err != nil {
			t.Errorf("%s: a page signed at another time under a checkpoint of the same size: %v", lang, err)
		}
	}
}

// TestVersion3PagesStillVerify: pages sealed as version 3, as Paper printed
// them before version 4 (testdata/printed-v3-*.html: scopedMonth, written
// at commit 4042fde, "范围：乌审旗 Uxin" and a footer without Beijing
// time), still pass as printed, since a page is printed again in its
// seal's layout; an edit of one still fails; and the same page does not
// pass under a version 4 seal, whose layout differs.
func TestVersion3PagesStillVerify(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		page, err := os.ReadFile(filepath.Join("testdata", "printed-v3-"+lang+".html"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), "乌审旗 Uxin</span>") || strings.Contains(string(page), "Beijing") || strings.Contains(string(page), "北京") {
			t.Fatalf("%s: the version 3 page is not as version 3 printed it", lang)
		}
		checkEdits(t, scopedMonth(), string(page), []pageEdit{
			{"a figure", `data-key="all/received">500,000.00<`, `data-key="all/received">500,000.01<`, "printed 500,000.01, the log says 500,000.00"},
		})
		printed, err := report.ReadPrinted(page)
		if err != nil {
			t.Fatal(err)
		}
		if err := report.CheckPrinted(localizedMonth(), domain.DefaultCatalog(), printed); !errors.Is(err, app.ErrReportMismatch) {
			t.Errorf("%s: a version 3 page checked as version 4's report: %v", lang, err)
		}
	}
}
