package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/httpapi"
)

// The review's upload on the dashboard: a sheet whose rows 2 and 4 were
// recorded before and whose row 3 spends more than Uxin holds once
// previewed as three rows ready to record, and its refused import was
// reported as done ("已记录 0 条"). The preview shows the recorded rows as
// recorded before and row 3 as breaking a rule, said in Chinese, and
// cannot be confirmed; a sheet refused only on confirmation (another
// clerk spent the money in between) is shown as failed, never as done.
func TestBrowserSpreadsheetRefusedByALedgerRule(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	fundUxinCooling(t, server)
	ctx, cancel := context.WithTimeout(context.Background(), sheetsTestSeconds*time.Second)
	defer cancel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	refused := write("refused.csv", uxinCoolingCSV(uxinDelivery101, uxinDelivery102, uxinDelivery103))
	late := write("late.csv", uxinCoolingCSV(uxinDelivery101,
		"V-U5-104,150626,2022-summer-cooling,2022-06-23,construction-site,某工地,construction-workers,30,drinking-water,100,3000,3000,"))
	head := server.head(t)

	browser := page{t: t, tab: startBrowser(ctx, t).tab}
	browser.do("open the dashboard as a clerk", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleClerk]))
	browser.waitFor("spreadsheet card shown", `!document.getElementById("sheet-card").hidden`, 20*time.Second)

	browser.do("choose the refused sheet", chromedp.SetUploadFiles(chromedp.ID("sheet-file"), []string{refused}))
	browser.do("preview it", chromedp.Click(chromedp.ID("sheet-preview")))
	browser.waitFor("preview shown", `document.querySelectorAll("#sheet-rows tr").length === 3`, 20*time.Second)
	rows := browser.eval("rows", `Array.from(document.querySelectorAll("#sheet-rows tr"),
		(row) => row.className + " | " + row.textContent).join("\n")`)
	summary := browser.eval("summary", `document.getElementById("sheet-summary").textContent + " | " +
		document.getElementById("sheet-status").textContent`)
	t.Logf("the preview:\n%s\n%s", summary, rows)
	for row, want := range map[string]string{"2": "sheet-duplicate", "3": "sheet-refused", "4": "sheet-duplicate"} {
		if got := browser.eval("row "+row, `document.querySelector("#sheet-rows tr[data-row='`+row+`']").className`); got != want {
			t.Errorf("row %s is shown as %s, want %s", row, got, want)
		}
	}
	problem := browser.eval("row 3's problem", `document.querySelector("#sheet-rows tr[data-row='3']").textContent`)
	for _, want := range []string{"违反台账规则", "第 3 行「支出（元）」: 资金不足，活动「2022喜迎二十大、建功新时代——情系职工、夏送清凉」(2022-summer-cooling) 中，乌审旗（150626）的资金将为 -11000.00 元（现有 4000.00 元，缺 11000.00 元）"} {
		if !strings.Contains(problem, want) {
			t.Errorf("row 3 reads %q, want it to hold %q", problem, want)
		}
	}
	for _, want := range []string{"配送台账：3 行，其中 1 行有问题。", "违反台账规则。"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the preview says %q, want it to hold %q", summary, want)
		}
	}
	if disabled := browser.eval("confirm", `String(document.getElementById("sheet-confirm").disabled)`); disabled != "true" {
		t.Errorf("a sheet the ledger refuses can be confirmed")
	}

	browser.do("choose a sheet that fits", chromedp.SetUploadFiles(chromedp.ID("sheet-file"), []string{late}))
	browser.do("preview it", chromedp.Click(chromedp.ID("sheet-preview")))
	browser.waitFor("ready to record", `document.querySelector("#sheet-rows tr[data-row='2'].sheet-duplicate") !== null &&
		document.querySelector("#sheet-rows tr[data-row='3'].sheet-valid") !== null &&
		!document.getElementById("sheet-confirm").disabled`, 20*time.Second)
	// Another clerk spends 2,000 of the 4,000 yuan left before this one
	// confirms: row 3's 3,000 no longer fit.
	if reply := call(t, "POST", server.URL+"/api/v1/imports", server.Tokens[httpapi.RoleAdmin], uxinCoolingCSV(
		"V-U5-105,150626,2022-summer-cooling,2022-06-24,construction-site,某工地,construction-workers,20,drinking-water,100,2000,2000,")); reply.status != http.StatusCreated {
		t.Fatalf("the other clerk's sheet: %d %s", reply.status, reply.body)
	}
	browser.do("record it", chromedp.Click(chromedp.ID("sheet-confirm")))
	browser.waitFor("the import answered", `document.getElementById("sheet-status").textContent !== ""`, 20*time.Second)
	status := browser.eval("status", `document.getElementById("sheet-status").className + " | " + document.getElementById("sheet-status").textContent`)
	if want := "entry-result | 导入失败：违反台账规则。"; status != want {
		t.Errorf("the refused import is reported as %q, want %q", status, want)
	}
	if got := browser.eval("row 3", `document.querySelector("#sheet-rows tr[data-row='3']").className`); got != "sheet-refused" {
		t.Errorf("after the refused import, row 3 is shown as %s, want sheet-refused", got)
	}
	if disabled := browser.eval("confirm", `String(document.getElementById("sheet-confirm").disabled)`); disabled != "true" {
		t.Errorf("a refused import can be confirmed again")
	}
	if after := server.head(t); after != head+1 {
		t.Fatalf("the log went from %d to %d events, want only the other clerk's", head, after)
	}
}
