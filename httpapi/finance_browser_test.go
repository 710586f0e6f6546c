package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/reconcile"
)

// financeTestSeconds bounds the whole finance browser test.
const financeTestSeconds = 90

// financeXSSRemark is a bank remark that runs script if the finance page
// ever inserts data as HTML.
const financeXSSRemark = `结息 <img src=x onerror="window.__xss=1">`

// financeStatement is the bank statement the test imports: a CSV in the
// generic profile's headers. The first line is D-F-2 to the fen, on its day,
// from its donor, with no reference: an amount-date-name suggestion. The
// second is D-F-1 less a 15.00 bank fee: a partial-fee suggestion. Then
// interest no donation explains, and one movement the bank printed twice
// under two serials.
var financeStatement = "日期,流水号,摘要,对方户名,对方账号,交易金额\n" +
	"2022-06-08,ICBC-0608-0001,捐款,准格尔旗某物流有限公司,0602 0023 0900 0011 111,\"10,000.00\"\n" +
	"2022-06-07,ICBC-0607-0002,夏送清凉捐款,内蒙古某能源集团有限公司,0602 0023 0900 0022 222,\"499,985.00\"\n" +
	"2022-06-21,ICBC-0621-0003,\"" + strings.ReplaceAll(financeXSSRemark, `"`, `""`) + "\",,,123.45\n" +
	"2022-06-12,ICBC-0612-0004,会费,杭锦旗某个体户,,800.00\n" +
	"2022-06-12,ICBC-0612-0005,会费,杭锦旗某个体户,,800.00\n"

// TestBrowserFinance drives the dashboard's finance page in headless
// Chromium against a real server over real JetStream: the reconciliation
// summary, confirming and rejecting suggestions without a reload, writing a
// bank line off, the exports downloaded with the token, the language switch,
// read-only auditors, and that a viewer never sees the page.
func TestBrowserFinance(t *testing.T) {
	started := time.Now()
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	artifacts := os.Getenv("LEDGER_ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	downloads := t.TempDir()

	// The API stamps a decision with its own clock, and the service refuses
	// an occurred_at more than ten minutes after the service's clock, which
	// startTestServer fixes at 2022-07-01 09:00. So the API's clock starts
	// there too and runs (the rate limiter needs time to pass).
	ledgerNow := financeClock()
	server := startTestServer(t, func(options *httpapi.Options) { options.Clock = ledgerNow })
	ctx, cancel := context.WithTimeout(context.Background(), financeTestSeconds*time.Second)
	defer cancel()
	seeded := financeSeed(ctx, t, server)
	statementFile := financeStatementFile(t)

	headless := startBrowser(ctx, t)
	tab := headless.tab

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	eval := func(step, expression string) string {
		t.Helper()
		value, err := chromedp.Run(tab, chromedp.Evaluate[string](expression))
		if err != nil {
			t.Fatalf("%s: %s: %v", step, expression, err)
		}
		return value
	}
	text := func(step, id string) string {
		t.Helper()
		return strings.TrimSpace(eval(step, fmt.Sprintf(`(document.getElementById(%q) || {textContent: "<no #%s>"}).textContent`, id, id)))
	}
	waitFor := func(step, predicate string, limit time.Duration) time.Duration {
		t.Helper()
		begin := time.Now()
		if _, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](predicate,
			chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(limit))); err != nil {
			t.Fatalf("%s: %q did not hold within %v: %v", step, predicate, limit, err)
		}
		return time.Since(begin)
	}
	screenshot := func(name string, element ...string) {
		t.Helper()
		shot := chromedp.FullScreenshot(100)
		if len(element) > 0 {
			shot = chromedp.Screenshot(chromedp.ID(element[0]))
		}
		image, err := chromedp.Run(tab, shot)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(artifacts, name)
		if err := os.WriteFile(path, image, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	suggestion := func(id string) string { return fmt.Sprintf(`document.getElementById(%q)`, "suggestion-"+id) }
	checkNoScript := func(step string) {
		t.Helper()
		if kind := eval(step, `typeof window.__xss`); kind != "undefined" {
			t.Errorf("%s: a bank remark's markup ran (window.__xss is %s)", step, kind)
		}
		if n := eval(step, `String(document.querySelectorAll("main img, main script").length)`); n != "0" {
			t.Errorf("%s: %s img or script elements appeared in the page", step, n)
		}
	}

	// checkSummary checks the summary's tiles: each one's count, and its
	// money as shown: in and out apart, or one amount, or none.
	checkSummary := func(step string, tiles map[string]summaryTile) {
		t.Helper()
		for key, want := range tiles {
			shown := func(part string) string {
				return eval(step, fmt.Sprintf(`(() => { const node = document.getElementById("fin-sum-%s-%s"); return node ? node.textContent.trim() : ""; })()`, key, part))
			}
			got := summaryTile{count: eval(step, fmt.Sprintf(`(document.getElementById("fin-sum-%s-count") || {dataset: {}}).dataset.count || ""`, key)),
				in: shown("in"), out: shown("out"), amount: shown("amount")}
			if got != want {
				t.Errorf("%s: the %s tile shows %+v, want %+v (the tile reads %q)", step, key, got, want, text(step, "fin-sum-"+key))
			}
		}
	}

	// Finance opens the dashboard and goes to the finance page.
	do("open the dashboard as finance",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleFinance]),
		chromedp.WaitVisible(chromedp.ID("tab-finance")),
	)
	waitFor("role shown", `document.getElementById("role").textContent.startsWith("财务")`, 10*time.Second)
	if got := text("tab", "tab-finance"); got != "财务对账" {
		t.Errorf("finance tab reads %q, want 财务对账", got)
	}
	do("open the finance page", chromedp.Click(chromedp.ID("tab-finance")), chromedp.WaitVisible(chromedp.ID("fin-summary")))

	// Finance uploads the month's statement (GBK, as the bank exports it):
	// the preview lists what will be recorded and writes nothing; Import
	// writes it, and the suggestions appear.
	waitFor("import card shown", `!document.getElementById("fin-import-card").hidden`, 10*time.Second)
	headBefore, err := server.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The statement does not say its account: without one the page shows
	// the API's refusal, naming the field.
	do("choose the statement", chromedp.SetUploadFiles(chromedp.ID("fin-import-file"), []string{statementFile}))
	do("preview it without an account", chromedp.Click(chromedp.ID("fin-import-preview")))
	waitFor("account refusal", `document.getElementById("fin-import-status").textContent.includes("account")`, 15*time.Second)
	do("give the account", chromedp.SendKeys(chromedp.ID("fin-import-account"), "icbc-test-account"))
	do("preview it", chromedp.Click(chromedp.ID("fin-import-preview")))
	waitFor("preview shown", `document.getElementById("fin-import-summary").dataset.new === "5"`, 15*time.Second)
	if already := eval("preview", `document.getElementById("fin-import-summary").dataset.already`); already != "0" {
		t.Errorf("the preview says %s lines are already in the ledger, want 0", already)
	}
	if rows := eval("preview rows", `String(document.querySelectorAll("#fin-import-lines tbody tr").length)`); rows != "5" {
		t.Errorf("the preview lists %s lines, want 5", rows)
	}
	preview := text("preview summary", "fin-import-summary")
	if !strings.Contains(preview, "对账单-2022-06.csv") || !strings.Contains(preview, "新流水 5 笔") {
		t.Errorf("the preview reads %q", preview)
	}
	checkNoScript("preview")
	if head, err := server.Store.Head(ctx); err != nil || head != headBefore {
		t.Fatalf("the preview wrote to the log: head %d → %d (%v)", headBefore, head, err)
	}
	screenshot("finance-import-preview-zh.png")
	do("import it", chromedp.Click(chromedp.ID("fin-import-confirm")))
	waitFor("imported", `document.getElementById("fin-import-status").textContent.includes("已导入") && document.getElementById("fin-import-result").hidden`,
		15*time.Second)
	// A statement line event per line and the statement_imported event.
	if head, err := server.Store.Head(ctx); err != nil || head != headBefore+6 {
		t.Fatalf("the import moved the head from %d to %d, want 6 events (%v)", headBefore, head, err)
	}
	// Uploading it again writes nothing: the preview says every line is there.
	do("choose it again", chromedp.SetUploadFiles(chromedp.ID("fin-import-file"), []string{statementFile}))
	do("preview it again", chromedp.Click(chromedp.ID("fin-import-preview")))
	waitFor("second preview", `document.getElementById("fin-import-summary").dataset.already === "5" && document.getElementById("fin-import-confirm").disabled`,
		15*time.Second)
	do("cancel", chromedp.Click(chromedp.ID("fin-import-cancel")))

	// What the API says after the import: the premises of the rest.
	before := financeGet(ctx, t, server, httpapi.RoleFinance)
	lineIDs := map[string]string{}
	for _, line := range before.Reconciliation.UnmatchedLines {
		lineIDs[line.Serial] = line.LineID
	}
	var exactID, feeID string
	for _, match := range before.Reconciliation.Suggested {
		switch {
		case match.Rule == reconcile.RuleAmountName && len(match.Donations) == 1 && match.Donations[0].DonationID == "D-F-2":
			exactID = match.ID
		case match.Rule == reconcile.RulePartialFee && len(match.Donations) == 1 && match.Donations[0].DonationID == "D-F-1" && match.Fee.String() == "15.00":
			feeID = match.ID
		}
	}
	if len(before.Reconciliation.Suggested) != 2 || exactID == "" || feeID == "" {
		t.Fatalf("want an amount-date-name suggestion for D-F-2 and a partial-fee one for D-F-1, got %+v", before.Reconciliation.Suggested)
	}
	if n := len(before.Reconciliation.UnmatchedLines); n != 3 {
		t.Fatalf("want 3 unmatched lines (interest and the printed-twice pair), got %d", n)
	}
	// The API's own rule for a rejection without a reason, to compare with
	// what the page shows. Nothing is written.
	status, body := financePost(ctx, t, server, httpapi.RoleFinance, fmt.Sprintf(`{"action":"reject","id":%q}`, feeID))
	if status != http.StatusBadRequest {
		t.Fatalf("reject without a reason: want 400, got %d %s", status, body)
	}
	reasonRule := browserViolationRule(t, body, "reason")

	waitFor("suggestions shown", `document.querySelectorAll("#fin-suggestions > li").length === 2`, 10*time.Second)
	if hidden := eval("overview hidden", `String(document.getElementById("dashboard").hidden)`); hidden != "true" {
		t.Errorf("the campaign dashboard is still shown beside the finance page")
	}
	if hash := eval("hash", `location.hash`); hash != "#finance" {
		t.Errorf("the finance page's address ends in %q, want #finance", hash)
	}

	// The summary: counts and ¥ amounts with separators, from the API's
	// yuan strings; bank lines' money in and money out apart, the other
	// parts' money in their own column, and a part only counted with none.
	checkSummary("the summary", map[string]summaryTile{
		"matched":             {count: "0", in: browserYuan(0), out: browserYuan(0)},
		"suggested":           {count: "2", in: browserYuan(50998500), out: browserYuan(0)},
		"unmatched-lines":     {count: "3", in: browserYuan(12345 + 160000), out: browserYuan(0)},
		"unmatched-donations": {count: "1", amount: browserYuan(300000)},
		"outstanding-pledges": {count: "3", amount: browserYuan(7800000)},
		"written-off":         {count: "0", in: browserYuan(0), out: browserYuan(0)},
		"refunds":             {count: "0", in: browserYuan(0), out: browserYuan(0)},
		"fees":                {count: "0", amount: browserYuan(0)},
		"possible-duplicates": {count: "1"},
	})
	if got := text("position", "fin-position"); got != fmt.Sprint(before.Reconciliation.Position) {
		t.Errorf("reconciled position shown as %q, want %d", got, before.Reconciliation.Position)
	}

	// Each suggestion shows its rule, lines, donations, fee and similarity.
	exact := eval("exact suggestion", suggestion(exactID)+`.textContent`)
	for _, want := range []string{"金额、日期、户名相符", "amount-date-name", "2022-06-08", "¥10,000.00", "准格尔旗某物流有限公司", "捐款", "D-F-2", "夏送清凉", "1.00"} {
		if !strings.Contains(exact, want) {
			t.Errorf("the D-F-2 suggestion does not show %q: %q", want, exact)
		}
	}
	// And why the rule made it, in the API's words.
	for _, match := range before.Reconciliation.Suggested {
		shown := eval("suggestion why", suggestion(match.ID)+`.querySelector(".sug-why").textContent`)
		if match.Why == "" || shown != "依据： "+match.Why {
			t.Errorf("suggestion %s shows its why as %q, want the API's %q", match.ID, shown, match.Why)
		}
	}
	fee := eval("fee suggestion", suggestion(feeID)+`.textContent`)
	for _, want := range []string{"扣除手续费后到账", "partial-fee", "2022-06-07", "¥499,985.00", "内蒙古某能源集团有限公司", "D-F-1", "¥500,000.00", "手续费 ¥15.00",
		"流水 ¥499,985.00 ＋ 手续费 ¥15.00 ＝ 捐赠 ¥500,000.00"} {
		if !strings.Contains(fee, want) {
			t.Errorf("the D-F-1 suggestion does not show %q: %q", want, fee)
		}
	}
	// The other sections.
	if lines := text("unmatched lines", "fin-lines"); !strings.Contains(lines, financeXSSRemark) || !strings.Contains(lines, "¥123.45") || !strings.Contains(lines, "ICBC-0612-0005") {
		t.Errorf("unmatched lines do not show the interest line and the pair: %q", lines)
	}
	// Money in and money out are totalled apart under the lines, never
	// netted.
	if in, out := text("lines total in", "fin-lines-total-in"), text("lines total out", "fin-lines-total-out"); in != browserYuan(12345+160000) || out != browserYuan(0) {
		t.Errorf("unmatched lines totals: in %q, out %q; want %s and %s", in, out, browserYuan(12345+160000), browserYuan(0))
	}
	if donations := text("donations", "fin-donations"); !strings.Contains(donations, "D-F-3") || !strings.Contains(donations, "¥3,000.00") || !strings.Contains(donations, "东胜区") {
		t.Errorf("donations with no bank line do not show D-F-3: %q", donations)
	}
	if groups := eval("duplicates", `String(document.querySelectorAll("#fin-duplicates tbody tr").length)`); groups != "2" {
		t.Errorf("duplicates table has %s rows, want the 2 lines of the pair", groups)
	}
	buckets := map[string][2]string{
		"0-30": {"1", browserYuan(2000000)}, "31-90": {"1", browserYuan(5000000)}, "90plus": {"1", browserYuan(800000)}, "all": {"3", browserYuan(7800000)},
	}
	for bucket, want := range buckets {
		count := eval("bucket count", fmt.Sprintf(`(document.getElementById("fin-bucket-%s-count") || {dataset: {}}).dataset.count || ""`, bucket))
		amount := text("bucket amount", "fin-bucket-"+bucket+"-amount")
		if count != want[0] || amount != want[1] {
			t.Errorf("ageing bucket %s shows %s, %q; want %s, %q", bucket, count, amount, want[0], want[1])
		}
	}
	for id, bucket := range map[string]string{"P-F-1": "0–30 天", "P-F-2": "31–90 天", "P-F-3": "90 天以上"} {
		if row := text("pledge", "pledge-"+id); !strings.Contains(row, bucket) {
			t.Errorf("pledge %s is not in the %s bucket: %q", id, bucket, row)
		}
	}
	for _, link := range []struct{ id, href string }{
		{"fin-export-xlsx", "/api/v1/reconciliation/export?format=xlsx"},
		{"fin-export-csv", "/api/v1/reconciliation/export?format=csv"},
	} {
		if href := eval("export link", fmt.Sprintf(`(document.getElementById(%q) || {getAttribute: () => ""}).getAttribute("href") || ""`, link.id)); href != link.href {
			t.Errorf("export link #%s goes to %q, want %q", link.id, href, link.href)
		}
	}
	checkNoScript("finance page")
	screenshot("finance-desktop-zh.png")

	// Confirm the exact match: the summary follows without a reload.
	do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = "yes"`))
	do("confirm D-F-2", chromedp.Click(chromedp.CSS(`#suggestion-`+exactID+` button[data-action="confirm"]`)))
	latency := waitFor("matched count follows",
		`document.getElementById("fin-sum-matched-count").dataset.count === "1" && !`+suggestion(exactID), 10*time.Second)
	t.Logf("the confirmation showed %v after the click", latency.Round(time.Millisecond))
	checkSummary("after the confirmation", map[string]summaryTile{"matched": {count: "1", in: browserYuan(1000000), out: browserYuan(0)}})
	if row := text("matched row", "matched-"+exactID); !strings.Contains(row, "D-F-2") {
		t.Errorf("the confirmed match is not listed as matched: %q", row)
	}
	if status := text("status", "fin-status"); !strings.Contains(status, "已确认匹配 "+exactID) {
		t.Errorf("status after confirming: %q", status)
	}

	// Reject the fee match: the page asks for a reason; without one the
	// API's own rule is shown and nothing is written.
	do("reject without a reason",
		chromedp.Click(chromedp.CSS(`#suggestion-`+feeID+` button[data-action="reject"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#suggestion-`+feeID+` form .reason-input`)),
		chromedp.Click(chromedp.CSS(`#suggestion-`+feeID+` form button[type="submit"]`)),
	)
	waitFor("the API's refusal shown", suggestion(feeID)+` && `+suggestion(feeID)+`.querySelector(".decision-error") !== null`, 10*time.Second)
	if shown := eval("refusal", suggestion(feeID)+`.querySelector(".decision-error").textContent`); !strings.Contains(shown, "reason: "+reasonRule) {
		t.Errorf("the page shows %q for a rejection without a reason, want the API's rule %q", shown, reasonRule)
	}
	screenshot("finance-reject-refused-zh.png", "fin-suggestions-card")
	// While the reason is being typed, the log moves (a clerk records a
	// donation) and the page reloads the reconciliation: what is typed, and
	// the focus, survive.
	reasonInput := `#suggestion-` + feeID + ` form .reason-input`
	do("start typing a reason", chromedp.SendKeys(chromedp.CSS(reasonInput), "金额差额非手续费"))
	positionBefore := text("position", "fin-position")
	status, body = browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk],
		browserDonation("D-F-4", "150600", "88.00", "鄂尔多斯某建材有限公司", "2022-06-30T10:00:00+08:00"))
	if status != http.StatusCreated {
		t.Fatalf("record a donation meanwhile: %d %s", status, body)
	}
	waitFor("reloaded while typing", fmt.Sprintf(`document.getElementById("fin-position").textContent !== %q`, positionBefore), 10*time.Second)
	if typed := eval("typed reason", fmt.Sprintf(`(() => { const input = document.querySelector(%q); return input ? input.value + "|" + (document.activeElement === input) : "<gone>"; })()`, reasonInput)); typed != "金额差额非手续费|true" {
		t.Errorf("after a reload the reason input holds/focused %q, want the typed text, focused", typed)
	}
	do("finish the reason and reject",
		chromedp.SendKeys(chromedp.CSS(reasonInput), "，待与银行核实"),
		chromedp.Click(chromedp.CSS(`#suggestion-`+feeID+` form button[type="submit"]`)),
	)
	waitFor("rejected suggestion gone", `!`+suggestion(feeID)+` && document.getElementById("fin-sum-suggested-count").dataset.count === "0"`, 10*time.Second)
	waitFor("no suggestions left", `!document.getElementById("fin-suggestions-empty").hidden`, 5*time.Second)
	// Rejected, D-F-1 and its line are open again.
	if lines := eval("lines after reject", `document.getElementById("fin-sum-unmatched-lines-count").dataset.count`); lines != "4" {
		t.Errorf("after the rejection %s lines are unmatched, want 4", lines)
	}

	// Write the interest line off, with a reason.
	interest := lineIDs["ICBC-0621-0003"]
	do("write the interest off",
		chromedp.Click(chromedp.CSS(`#line-`+interest+` button[data-action="write-off"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#fin-lines form .reason-input`)),
		chromedp.SendKeys(chromedp.CSS(`#fin-lines form .reason-input`), "存款利息，非捐赠"),
		chromedp.Click(chromedp.CSS(`#fin-lines form button[type="submit"]`)),
	)
	waitFor("line written off", `document.getElementById("fin-sum-written-off-count").dataset.count === "1" && !document.getElementById("line-`+interest+`")`, 10*time.Second)
	checkSummary("after the write-off", map[string]summaryTile{"written-off": {count: "1", in: browserYuan(12345), out: browserYuan(0)}})
	if marker := eval("marker", `window.__notReloaded || ""`); marker != "yes" {
		t.Errorf("the page reloaded to show the decisions")
	}

	// The API agrees with what the page shows.
	after := financeGet(ctx, t, server, httpapi.RoleFinance)
	if len(after.Reconciliation.Matched) != 1 || after.Reconciliation.Matched[0].ID != exactID || len(after.Reconciliation.Suggested) != 0 ||
		len(after.Reconciliation.WrittenOff) != 1 || after.Reconciliation.WrittenOff[0].LineID != interest {
		t.Errorf("after the decisions the API says %+v", after.Reconciliation)
	}

	// The exports: fetched with the token, saved through a blob: URL.
	var downloadMu sync.Mutex
	begun := map[string]string{} // guid → suggested file name
	completed := make(chan string, 4)
	if err := chromedp.Listen(tab, func(event any) {
		switch event := event.(type) {
		case *browser.EventDownloadWillBegin:
			downloadMu.Lock()
			begun[event.GUID] = event.SuggestedFilename
			downloadMu.Unlock()
		case *browser.EventDownloadProgress:
			if event.State == browser.DownloadProgressStateCompleted {
				completed <- event.GUID
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		enabled := true
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &enabled})
		return err
	}))
	download := func(link string) (string, []byte) {
		t.Helper()
		do("export "+link, chromedp.Click(chromedp.ID(link)))
		select {
		case guid := <-completed:
			data, err := os.ReadFile(filepath.Join(downloads, guid))
			if err != nil {
				t.Fatal(err)
			}
			downloadMu.Lock()
			defer downloadMu.Unlock()
			return begun[guid], data
		case <-time.After(10 * time.Second):
			t.Fatalf("export %s: no download completed within 10s (status %q)", link, text("status", "fin-status"))
		}
		return "", nil
	}
	name, csvData := download("fin-export-csv")
	if name != "reconciliation-2022-07-01.csv" {
		t.Errorf("CSV saved as %q, want the API's name reconciliation-2022-07-01.csv", name)
	}
	for _, want := range []string{"\ufeff部分 Section", "已匹配 Matched," + exactID, "D-F-2", "未到账捐赠 Unmatched donations,D-F-3"} {
		if !strings.Contains(string(csvData), want) {
			t.Errorf("the downloaded CSV lacks %q:\n%s", want, csvData)
		}
	}
	name, xlsxData := download("fin-export-xlsx")
	if name != "reconciliation-2022-07-01.xlsx" || !bytes.HasPrefix(xlsxData, []byte("PK\x03\x04")) {
		t.Errorf("XLSX saved as %q starting %q, want reconciliation-2022-07-01.xlsx, a zip", name, xlsxData[:min(4, len(xlsxData))])
	}
	if status := text("status", "fin-status"); !strings.Contains(status, "reconciliation-2022-07-01.xlsx") {
		t.Errorf("status after the export: %q", status)
	}
	do("open the settled list", chromedp.Evaluate[chromedp.Void](`document.getElementById("fin-settled").open = true`))
	screenshot("finance-decided-zh.png")

	// English.
	do("switch to English", chromedp.Click(chromedp.ID("lang-toggle")))
	waitFor("English finance page", `document.getElementById("tab-finance").textContent === "Bank reconciliation" && document.querySelector("#fin-sum-matched .kpi-label").textContent === "Matched"`, 5*time.Second)
	if pledges := text("pledges in English", "pledge-P-F-3"); !strings.Contains(pledges, "over 90 days") {
		t.Errorf("pledge ageing in English: %q", pledges)
	}
	screenshot("finance-desktop-en.png")
	do("switch back to Chinese", chromedp.Click(chromedp.ID("lang-toggle")))
	waitFor("Chinese again", `document.getElementById("tab-finance").textContent === "财务对账"`, 5*time.Second)

	// Someone else undoes the confirmation through the API: the page follows
	// the log, without a reload, and D-F-2 is a suggestion again.
	status, body = financePost(ctx, t, server, httpapi.RoleAdmin,
		fmt.Sprintf(`{"action":"undo","id":%q,"reason":"复核：待银行回单"}`, after.Reconciliation.Matched[0].DecidedBy))
	if status != http.StatusCreated {
		t.Fatalf("undo the confirmation through the API: %d %s", status, body)
	}
	latency = waitFor("the undo shows live", `document.getElementById("fin-sum-matched-count").dataset.count === "0" && !!`+suggestion(exactID), 10*time.Second)
	t.Logf("another user's undo showed %v after the API answered", latency.Round(time.Millisecond))
	if marker := eval("marker", `window.__notReloaded || ""`); marker != "yes" {
		t.Errorf("the page reloaded to show another user's decision")
	}

	// Finance confirms D-F-2 again, with a note: the matched row says why
	// the rule matched it, in the API's words, and what the confirmer wrote.
	note := "回单已核对 <b>ok</b>"
	status, body = financePost(ctx, t, server, httpapi.RoleFinance, fmt.Sprintf(`{"action":"confirm","id":%q,"note":%q}`, exactID, note))
	if status != http.StatusCreated {
		t.Fatalf("confirm D-F-2 with a note through the API: %d %s", status, body)
	}
	matchedRow := `document.getElementById("matched-` + exactID + `")`
	waitFor("the note shows", matchedRow+` && `+matchedRow+`.querySelector(".match-note")`, 10*time.Second)
	noted := financeGet(ctx, t, server, httpapi.RoleFinance)
	if len(noted.Reconciliation.Matched) != 1 || noted.Reconciliation.Matched[0].Note != note || noted.Reconciliation.Matched[0].Why == "" {
		t.Fatalf("after the confirmation with a note the API's matches are %+v", noted.Reconciliation.Matched)
	}
	confirmed := noted.Reconciliation.Matched[0]
	if shown := eval("matched why", matchedRow+`.querySelector(".matched-why").textContent`); shown != "依据： "+confirmed.Why {
		t.Errorf("the matched row shows its why as %q, want the API's %q", shown, confirmed.Why)
	}
	if !strings.Contains(confirmed.Why, "the same amount (10000.00 yuan)") {
		t.Errorf("the API's why for the amount-date-name match is %q", confirmed.Why)
	}
	if shown := eval("matched note", matchedRow+`.querySelector(".match-note").textContent`); shown != "确认说明： "+note {
		t.Errorf("the matched row shows the note as %q, want %q", shown, "确认说明： "+note)
	}
	checkNoScript("a note with markup")
	if n := eval("note markup", `String(document.querySelectorAll("#fin-matched b").length)`); n != "0" {
		t.Errorf("the note's markup became %s elements", n)
	}

	// A clerk voids D-F-2: the match is listed among the voided ones, with
	// what to do, and no longer as matched.
	status, body = browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk], fmt.Sprintf(`{"type":"entry_voided","county":"150622",`+
		`"occurred_at":"2022-07-01T08:00:00+08:00","data":{"campaign":"2022-summer-cooling","target_event_id":%q,"reason":"录错"}}`, seeded["D-F-2"]))
	if status != http.StatusCreated {
		t.Fatalf("void D-F-2: %d %s", status, body)
	}
	voidedRow := `document.getElementById("voided-` + exactID + `")`
	waitFor("the voided match shows", voidedRow+` && !document.getElementById("fin-voided-card").hidden && !`+matchedRow, 10*time.Second)
	voided := financeGet(ctx, t, server, httpapi.RoleFinance)
	if len(voided.Reconciliation.VoidedMatches) != 1 || voided.Reconciliation.VoidedMatches[0].ID != exactID {
		t.Fatalf("after the void the API's voided matches are %+v", voided.Reconciliation.VoidedMatches)
	}
	if n := eval("voided rows", `String(document.querySelectorAll("#fin-voided tbody tr").length)`); n != "1" {
		t.Errorf("the voided matches list has %s rows, want 1", n)
	}
	todo := eval("voided todo", voidedRow+`.querySelector(".todo-text").textContent`)
	if want := "撤销此匹配（撤销确认事件 " + confirmed.DecidedBy + "），再重新匹配该流水或将其核销。"; todo != want {
		t.Errorf("the voided match says to do %q, want %q", todo, want)
	}
	if shown := eval("voided why", voidedRow+`.querySelector(".voided-why").textContent`); shown != "依据： "+voided.Reconciliation.VoidedMatches[0].Why {
		t.Errorf("the voided match shows %q, want the API's %q", shown, voided.Reconciliation.VoidedMatches[0].Why)
	}
	if row := text("voided row", "voided-"+exactID); !strings.Contains(row, "D-F-2") || !strings.Contains(row, "¥10,000.00") || !strings.Contains(row, "金额、日期、户名相符") {
		t.Errorf("the voided match does not show its rule, line and donation: %q", row)
	}
	if label := text("voided tile", "fin-sum-matched-to-voided-donations"); !strings.HasPrefix(label, "匹配到已作废捐赠") {
		t.Errorf("the voided matches' tile reads %q", label)
	}

	// A pledge paid: a later statement has P-F-1's money; confirmed, the
	// matched row lists the receipt still to be recorded.
	status, body = financeDo(ctx, t, server, httpapi.RoleFinance, http.MethodPost,
		"/api/v1/reconciliation/statements?file=statement-2022-06-b.csv&account=icbc-test-account",
		"日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-25,ICBC-0625-0006,认捐款,鄂托克旗某化工有限公司,,\"20,000.00\"\n"+
			// Money sent in error and sent back, and a bank charge: the
			// summary shows the refund pair's money in and out apart, and
			// the charge once as money out (written off) and once as a fee.
			"2022-06-26,ICBC-0626-0007,转账,张某某,6222020000000000001,\"1,234.56\"\n"+
			"2022-06-27,ICBC-0627-0008,退回误转款,张某某,6222020000000000001,\"-1,234.56\"\n"+
			"2022-06-28,ICBC-0628-0009,账户管理费,,,-15.00\n")
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("import the pledge's statement: %d %s", status, body)
	}
	var pledgeID string
	for _, match := range financeGet(ctx, t, server, httpapi.RoleFinance).Reconciliation.Suggested {
		if match.Rule == reconcile.RulePledge && len(match.Donations) == 1 && match.Donations[0].DonationID == "P-F-1" {
			pledgeID = match.ID
		}
	}
	if pledgeID == "" {
		t.Fatalf("no pledge suggestion for P-F-1")
	}
	status, body = financePost(ctx, t, server, httpapi.RoleFinance, fmt.Sprintf(`{"action":"confirm","id":%q}`, pledgeID))
	if status != http.StatusCreated {
		t.Fatalf("confirm the pledge's match: %d %s", status, body)
	}
	pledgeRow := `document.getElementById("matched-` + pledgeID + `")`
	waitFor("the receipt to record shows", pledgeRow+` && `+pledgeRow+`.querySelector(".match-receive")`, 10*time.Second)
	if shown := eval("receipt to record", pledgeRow+`.querySelector(".match-receive").textContent`); !strings.HasPrefix(shown, "待记录到账： P-F-1（此流水兑现了该认捐") ||
		!strings.Contains(shown, "donation_received") {
		t.Errorf("the pledge's match shows the receipt to record as %q", shown)
	}
	if ids := eval("receipt ids", `Array.from(`+pledgeRow+`.querySelectorAll(".receive-id")).map((node) => node.dataset.donation).join(",")`); ids != "P-F-1" {
		t.Errorf("the pledge's match lists %q to receive, want P-F-1", ids)
	}
	screenshot("finance-voided-zh.png", "fin-voided-card")

	// The refund pair and the charge confirmed: the refunds' tile shows
	// 1,234.56 in and 1,234.56 out, never their sum; the written-off tile
	// the interest in and the charge out; the fees' tile the charge as a
	// fee.
	for _, match := range financeGet(ctx, t, server, httpapi.RoleFinance).Reconciliation.Suggested {
		if match.Rule != reconcile.RuleRefundPair && match.Rule != reconcile.RuleFee {
			continue
		}
		if status, body := financePost(ctx, t, server, httpapi.RoleFinance, fmt.Sprintf(`{"action":"confirm","id":%q}`, match.ID)); status != http.StatusCreated {
			t.Fatalf("confirm the %s suggestion %s: %d %s", match.Rule, match.ID, status, body)
		}
	}
	waitFor("the refund and the fee show", `document.getElementById("fin-sum-refunds-count").dataset.count === "1" && `+
		`document.getElementById("fin-sum-fees-count").dataset.count === "1"`, 10*time.Second)
	checkSummary("the refund pair and the charge", map[string]summaryTile{
		"refunds":     {count: "1", in: browserYuan(123456), out: browserYuan(123456)},
		"written-off": {count: "2", in: browserYuan(12345), out: browserYuan(1500)},
		"fees":        {count: "1", amount: browserYuan(1500)},
	})
	screenshot("finance-summary-zh.png", "fin-summary")

	// The same in English.
	do("switch to English again", chromedp.Click(chromedp.ID("lang-toggle")))
	waitFor("English voided matches", `document.getElementById("fin-voided-title").textContent === "Matched to voided donations"`, 5*time.Second)
	if todo := eval("voided todo in English", voidedRow+`.querySelector(".todo-text").textContent`); !strings.HasPrefix(todo, "Undo this match (undo the confirmation, event "+confirmed.DecidedBy+")") {
		t.Errorf("the voided match's what to do in English: %q", todo)
	}
	if shown := eval("receipt in English", pledgeRow+`.querySelector(".match-receive").textContent`); !strings.HasPrefix(shown, "Receipts to record: P-F-1(this line pays the pledge") {
		t.Errorf("the receipt to record in English: %q", shown)
	}
	if shown := eval("why in English", pledgeRow+`.querySelector(".matched-why .why-label").textContent`); shown != "Why:" {
		t.Errorf("the why's label in English: %q", shown)
	}
	if shown := text("refunds in English", "fin-sum-refunds"); !strings.Contains(shown, "In "+browserYuan(123456)) || !strings.Contains(shown, "Out "+browserYuan(123456)) {
		t.Errorf("the refunds' tile in English reads %q", shown)
	}
	do("switch back to Chinese again", chromedp.Click(chromedp.ID("lang-toggle")))
	waitFor("Chinese once more", `document.getElementById("tab-finance").textContent === "财务对账"`, 5*time.Second)

	// A phone: nothing wider than the screen but the tables, which scroll.
	do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.ScrollIntoView(chromedp.ID("page-title")))
	waitFor("phone layout", `document.documentElement.scrollWidth <= window.innerWidth + 1`, 5*time.Second)
	screenshot("finance-phone-zh.png")
	do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	checkNoScript("end of finance")

	// An auditor reads the page but decides nothing.
	do("open as an auditor", chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleAuditor]+"#finance"))
	waitFor("auditor finance page", `document.getElementById("role").textContent.startsWith("审计") && !document.getElementById("finance-page").hidden && document.querySelectorAll("#fin-lines tbody tr").length === 3`, 10*time.Second)
	if buttons := eval("auditor buttons", `String(document.querySelectorAll("#finance-page button[data-action]").length)`); buttons != "0" {
		t.Errorf("an auditor is offered %s decision buttons", buttons)
	}
	if hidden := eval("read-only note", `String(document.getElementById("fin-readonly").hidden)`); hidden != "false" {
		t.Errorf("the auditor is not told the page is read-only")
	}

	// A viewer sees neither the tab nor the page, even asked for it, and the
	// page does not ask the API for the reconciliation.
	do("open as a viewer", chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleViewer]+"#finance"))
	waitFor("viewer dashboard", `document.getElementById("role").textContent.startsWith("看板查看") && (document.getElementById("total-150600") || {textContent: ""}).textContent.startsWith("¥")`, 10*time.Second)
	if state := eval("viewer", `[document.getElementById("view-tabs").hidden, document.getElementById("finance-page").hidden, document.getElementById("dashboard").hidden].join(" ")`); state != "true true false" {
		t.Errorf("a viewer sees tabs/finance page/dashboard hidden as %q, want \"true true false\"", state)
	}
	if asked := eval("viewer requests", `String(performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/api/v1/reconciliation")).length)`); asked != "0" {
		t.Errorf("a viewer's page asked for the reconciliation %s times", asked)
	}
	status, body = financePost(ctx, t, server, httpapi.RoleViewer, `{"action":"confirm","id":"S-0000000000000000"}`)
	if status != http.StatusForbidden {
		t.Errorf("a viewer's decision: want 403, got %d %s", status, body)
	}

	// The access log tab: an auditor sees the reads of personal data the
	// finance page made (the test's finance token holds the grant); finance
	// is not offered the tab.
	do("open the access log as an auditor", chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleAuditor]+"#access"))
	waitFor("access log", `!document.getElementById("access-page").hidden && document.getElementById("tab-access").getAttribute("aria-selected") === "true" && `+
		`Array.from(document.querySelectorAll("#access-table tbody tr")).some((row) => row.textContent.includes("test-finance") && row.textContent.includes("GET /api/v1/reconciliation"))`, 10*time.Second)
	screenshot("access-log-zh.png")
	do("open the access log as finance", chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleFinance]+"#access"))
	waitFor("finance sees the campaign dashboard instead", `document.getElementById("role").textContent.startsWith("财务") && !document.getElementById("dashboard").hidden`, 10*time.Second)
	if state := eval("finance access tab", `[document.getElementById("tab-access").hidden, document.getElementById("access-page").hidden].join(" ")`); state != "true true" {
		t.Errorf("finance sees the access tab/page hidden as %q, want \"true true\"", state)
	}

	headless.finish(t)
	t.Logf("finance browser test took %v", time.Since(started).Round(time.Millisecond))
}

// summaryTile is what a tile of the finance page's summary shows: its
// count, and its money in and out, or its one amount ("" where it shows
// none).
type summaryTile struct{ count, in, out, amount string }

// financeClock starts at the service's fixed clock and runs.
func financeClock() func() time.Time {
	start := time.Now()
	return func() time.Time { return eventstoretest.Clock().Add(time.Since(start)) }
}

// financeSeed records money donations and pledges through the service, as
// the CLI does; the statement is uploaded on the page. It returns each
// donation's and pledge's event id, by donation id, for the tests that void
// one.
func financeSeed(ctx context.Context, t *testing.T, server *testServer) map[string]string {
	t.Helper()
	beijing := time.FixedZone("CST", 8*3600)
	at := func(month time.Month, day int) time.Time { return time.Date(2022, month, day, 10, 0, 0, 0, beijing) }
	yuan := func(text string) domain.Money {
		money, err := domain.ParseYuan(text)
		if err != nil {
			t.Fatal(err)
		}
		return money
	}
	received := func(id, county, campaign, donor, amount string, when time.Time) domain.Event {
		return domain.Event{Type: domain.TypeDonationReceived, County: county, OccurredAt: when, Actor: "test-clerk", IdempotencyKey: "finance-" + id,
			Data: domain.DonationReceived{DonationID: id, Campaign: campaign, DonorKind: "enterprise", DonorOrg: donor, Form: domain.FormMoney, Amount: yuan(amount)}}
	}
	pledged := func(id, campaign, donor, amount string, when time.Time) domain.Event {
		return domain.Event{Type: domain.TypeDonationPledged, County: "150600", OccurredAt: when, Actor: "test-clerk", IdempotencyKey: "finance-" + id,
			Data: domain.DonationPledged{DonationID: id, Campaign: campaign, DonorKind: "enterprise", DonorOrg: donor, Form: domain.FormMoney, Amount: yuan(amount)}}
	}
	events := []domain.Event{
		received("D-F-1", "150600", "2022-summer-cooling", "内蒙古某能源集团有限公司", "500000.00", at(time.June, 6)),
		received("D-F-2", "150622", "2022-summer-cooling", "准格尔旗某物流有限公司", "10000.00", at(time.June, 8)),
		received("D-F-3", "150602", "2022-summer-cooling", "东胜区某商贸有限公司", "3000.00", at(time.June, 15)),
		pledged("P-F-1", "2022-summer-cooling", "鄂托克旗某化工有限公司", "20000.00", at(time.June, 20)),
		pledged("P-F-2", "2022-new-workers-month", "乌审旗某煤业有限公司", "50000.00", at(time.April, 15)),
		pledged("P-F-3", "2022-spring-jobs", "达拉特旗某电力有限公司", "8000.00", at(time.February, 1)),
	}
	results, err := server.Service.Record(ctx, events)
	if err != nil {
		t.Fatalf("record the donations and pledges: %v", err)
	}
	eventIDs := map[string]string{}
	for i, result := range results {
		switch data := events[i].Data.(type) {
		case domain.DonationReceived:
			eventIDs[data.DonationID] = result.EventID.String()
		case domain.DonationPledged:
			eventIDs[data.DonationID] = result.EventID.String()
		}
	}
	return eventIDs
}

// financeStatementFile writes the test's statement as the bank exports it,
// GBK encoded, and returns its path.
func financeStatementFile(t *testing.T) string {
	t.Helper()
	encoded, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(financeStatement))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "对账单-2022-06.csv")
	if err := os.WriteFile(path, encoded, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// financeAnswer is GET /api/v1/reconciliation.
type financeAnswer struct {
	Summary        []reconcile.Summary `json:"summary"`
	Reconciliation reconcile.Result    `json:"reconciliation"`
}

func financeGet(ctx context.Context, t *testing.T, server *testServer, role httpapi.Role) financeAnswer {
	t.Helper()
	status, body := financeDo(ctx, t, server, role, http.MethodGet, "/api/v1/reconciliation", "")
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/reconciliation: %d %s", status, body)
	}
	var answer financeAnswer
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("GET /api/v1/reconciliation: %v: %s", err, body)
	}
	return answer
}

func financePost(ctx context.Context, t *testing.T, server *testServer, role httpapi.Role, request string) (int, []byte) {
	t.Helper()
	return financeDo(ctx, t, server, role, http.MethodPost, "/api/v1/reconciliation/decisions", request)
}

func financeDo(ctx context.Context, t *testing.T, server *testServer, role httpapi.Role, method, path, body string) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	request, err := http.NewRequestWithContext(ctx, method, server.URL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Authorization", "Bearer "+server.Tokens[role])
	if body != "" {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer response.Body.Close()
	answer, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response.StatusCode, answer
}
