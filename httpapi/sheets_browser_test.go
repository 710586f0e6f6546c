package httpapi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/httpapi"
)

// sheetsTestSeconds bounds the whole browser test.
const sheetsTestSeconds = 180

// A clerk uploads a filled spreadsheet on the dashboard: the preview names
// a bad row's row and column and cannot be confirmed; a good sheet is
// previewed row by row without writing, and recorded on confirmation.
func TestBrowserSpreadsheetImport(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), sheetsTestSeconds*time.Second)
	defer cancel()
	dir := t.TempDir()
	write := func(name string, content []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	bad := write("bad.xlsx", filledDonations(t, server, [][]any{
		{"D-B-1", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 10},
		{"D-B-2", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "<img src=x onerror=window.__xss=1>", "money 资金", "3.333"},
	}))
	good := write("good.xlsx", filledDonations(t, server, [][]any{
		{"D-B-3", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-15", "enterprise 企业", "某公司", "money 资金", 100},
		{"D-B-4", "150626 乌审旗 Uxin", "general 日常帮扶", "2022-06-16", "enterprise 企业", "某公司", "money 资金", "20.50"},
	}))

	browser := page{t: t, tab: startBrowser(ctx, t).tab}
	browser.do("open the dashboard as a clerk", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleClerk]))
	browser.waitFor("spreadsheet card shown", `!document.getElementById("sheet-card").hidden`, 20*time.Second)

	browser.do("choose the bad sheet", chromedp.SetUploadFiles(chromedp.ID("sheet-file"), []string{bad}))
	browser.do("preview it", chromedp.Click(chromedp.ID("sheet-preview")))
	browser.waitFor("bad row named", `document.querySelector("#sheet-rows tr[data-row='4']") !== null &&
		document.querySelector("#sheet-rows tr[data-row='4']").textContent.includes("第 4 行「金额（元）」")`, 20*time.Second)
	if disabled := browser.eval("confirm", `String(document.getElementById("sheet-confirm").disabled)`); disabled != "true" {
		t.Fatalf("a sheet with a bad row can be confirmed")
	}
	if kind := browser.eval("no script", `typeof window.__xss`); kind != "undefined" {
		t.Fatalf("a cell's markup ran (window.__xss is %s)", kind)
	}

	browser.do("choose the good sheet", chromedp.SetUploadFiles(chromedp.ID("sheet-file"), []string{good}))
	browser.do("preview it", chromedp.Click(chromedp.ID("sheet-preview")))
	browser.waitFor("rows ready", `document.querySelectorAll("#sheet-rows tr.sheet-valid").length === 2 &&
		!document.getElementById("sheet-confirm").disabled`, 20*time.Second)
	if head := server.head(t); head != 0 {
		t.Fatalf("the preview recorded %d events", head)
	}
	browser.do("record it", chromedp.Click(chromedp.ID("sheet-confirm")))
	browser.waitFor("recorded", `document.getElementById("sheet-status").textContent.includes("已记录 2 条") &&
		document.querySelectorAll("#sheet-rows tr.sheet-recorded").length === 2`, 20*time.Second)
	if head := server.head(t); head != 2 {
		t.Fatalf("the confirmed sheet left %d events, want 2", head)
	}
}
