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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/httpapi"
)

// browserChromium is Debian's chromium. CI installs it; the browser test
// fails, and does not skip, where it is missing.
const browserChromium = "/usr/bin/chromium"

// browserTestSeconds bounds the whole browser test.
const browserTestSeconds = 60

// browserXSSDonor is a donor organisation that runs script if the page ever
// inserts data as HTML.
const browserXSSDonor = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`

// TestBrowserDashboard drives the embedded dashboard in headless Chromium
// against a real server over real JetStream: live totals without reload,
// the data-entry form with the API's own violations, the language switch,
// text-only rendering of user data, and screenshots for a person to look at.
func TestBrowserDashboard(t *testing.T) {
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

	server := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTestSeconds*time.Second)
	defer cancel()
	browserSeed(ctx, t, server)

	headless := startBrowser(ctx, t)
	browser := headless.tab

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(step, id string) string {
		t.Helper()
		value, err := chromedp.Run(browser, chromedp.TextContent(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("%s: read #%s: %v", step, id, err)
		}
		return strings.TrimSpace(value)
	}
	// waitFor polls a JavaScript predicate until it holds, for at most the
	// given time; it returns how long that took.
	waitFor := func(step, predicate string, limit time.Duration) time.Duration {
		t.Helper()
		begin := time.Now()
		if _, err := chromedp.Run(browser, chromedp.Poll[chromedp.Void](predicate,
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
		image, err := chromedp.Run(browser, shot)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(artifacts, name)
		if err := os.WriteFile(path, image, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}

	// Open the page with the token in the URL.
	do("open the dashboard",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleAdmin]),
		chromedp.WaitVisible(chromedp.ID("total-150626")),
	)
	waitFor("county table filled", `document.getElementById("total-150626").textContent.startsWith("¥")`, 10*time.Second)
	waitFor("live stream open", `document.getElementById("live-status").dataset.state === "live"`, 10*time.Second)

	location, err := chromedp.Run(browser, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(location, "token") {
		t.Errorf("the token is still in the URL: %s", location)
	}
	stored, err := chromedp.Run(browser, chromedp.Evaluate[string](`localStorage.getItem("ledger.token") || ""`))
	if err != nil {
		t.Fatal(err)
	}
	if stored != server.Tokens[httpapi.RoleAdmin] {
		t.Errorf("localStorage holds token %q, want the admin token", stored)
	}
	if role := text("whoami", "role"); !strings.Contains(role, "管理员") {
		t.Errorf("role shown as %q, want 管理员 (admin)", role)
	}

	// The seeded individual donation of 2000.50 yuan is Uxin's only receipt.
	before := text("initial total", "total-150626")
	if want := browserYuan(200050); before != want {
		t.Fatalf("Uxin received %q before the new donation, want %q", before, want)
	}
	beforeFen := browserParseYuan(t, before)
	do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = "yes"`))

	// A donation recorded through the API shows up without a reload.
	status, body := browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk], browserDonation("D-BROWSER-0001", "150626", "1234.56", "鄂尔多斯某建设集团", "2022-06-30T10:00:00+08:00"))
	if status != http.StatusCreated {
		t.Fatalf("record donation: %d %s", status, body)
	}
	afterAPI := browserYuan(beforeFen + 123456)
	latency := waitFor("live total after the API donation",
		fmt.Sprintf(`document.getElementById("total-150626").textContent === %q`, afterAPI), 10*time.Second)
	t.Logf("county total updated in the page %v after the API answered", latency.Round(time.Millisecond))
	if latency > 3*time.Second {
		t.Errorf("the county total took %v to update; the dashboard must follow within about a second", latency)
	}
	marker, err := chromedp.Run(browser, chromedp.Evaluate[string](`window.__notReloaded || ""`))
	if err != nil || marker != "yes" {
		t.Errorf("the page reloaded to show the new total (marker %q, %v)", marker, err)
	}
	// Chart and map follow the same totals: received + allocated in
	// (110,000.00 seeded for Uxin).
	moneyIn := browserYuan(beforeFen + 123456 + 11000000)
	waitFor("chart follows", fmt.Sprintf(`document.getElementById("bar-in-value-150626").textContent === %q`, moneyIn), 5*time.Second)
	waitFor("map follows", fmt.Sprintf(`document.getElementById("tile-value-150626").textContent === %q`, moneyIn), 5*time.Second)

	// The data-entry form: a bad amount shows the API's rule next to the
	// field, said in Chinese from its code (the API's own words are its
	// tooltip), and nothing is written.
	badEvent := browserDonation("D-FORM-0001", "150626", "12.345", "乌审旗某煤业有限公司", "2022-06-30T11:00:00+08:00")
	status, body = browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk], badEvent)
	if status != http.StatusBadRequest {
		t.Fatalf("bad amount: want 400 from the API, got %d %s", status, body)
	}
	apiRule := browserViolationRule(t, body, "data.amount")
	do("fill the form with a bad amount",
		chromedp.ScrollIntoView(chromedp.ID("entry-card")),
		chromedp.SetValue(chromedp.ID("entry-type"), "donation"),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T11:00"),
		chromedp.SetValue(chromedp.ID("d-id"), "D-FORM-0001"),
		chromedp.SetValue(chromedp.ID("d-kind"), "enterprise"),
		chromedp.SetValue(chromedp.ID("d-org"), "乌审旗某煤业有限公司"),
		chromedp.SetValue(chromedp.ID("d-amount"), "12.345"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	waitFor("violation shown", `document.querySelector('#entry-form .field-error[data-for="data.amount"]') !== null`, 10*time.Second)
	shown, err := chromedp.Run(browser, chromedp.Evaluate[string](`document.querySelector('#entry-form .field-error[data-for="data.amount"]').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "须为以元为单位的金额，最多两位小数，如 1250.50"; shown != want {
		t.Errorf("the form shows %q next to the amount, want the API's rule in Chinese %q", shown, want)
	}
	if title := browserFieldErrorTitle(t, browser, "data.amount"); title != apiRule {
		t.Errorf("the amount's violation keeps %q as the API's words, want the API's rule %q", title, apiRule)
	}
	inAmountField, err := chromedp.Run(browser, chromedp.Evaluate[bool](
		`document.getElementById("d-amount").closest(".field").contains(document.querySelector('.field-error[data-for="data.amount"]'))`))
	if err != nil || !inAmountField {
		t.Errorf("the amount's violation is not next to the amount field (%v)", err)
	}
	if got := text("total unchanged", "total-150626"); got != afterAPI {
		t.Errorf("a refused entry changed the total to %q", got)
	}

	// Corrected, the same form records the donation, and the total follows.
	do("correct the amount and submit",
		chromedp.SetValue(chromedp.ID("d-amount"), "88.00"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	waitFor("entry recorded", `document.querySelector("#entry-result.ok") !== null`, 10*time.Second)
	if result := text("entry result", "entry-result"); !strings.Contains(result, "已记录") {
		t.Errorf("entry result %q, want a 已记录 (recorded) message", result)
	}
	afterForm := browserYuan(beforeFen + 123456 + 8800)
	waitFor("live total after the form donation",
		fmt.Sprintf(`document.getElementById("total-150626").textContent === %q`, afterForm), 10*time.Second)

	// The delivery form: a quantity of 0 on an item line is shown next to
	// that line's quantity with the API's rule; corrected, it is recorded and
	// the spending and beneficiary panels follow.
	badDelivery := browserDelivery("V-FORM-0001", 0)
	status, body = browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk], badDelivery)
	if status != http.StatusBadRequest {
		t.Fatalf("bad delivery: want 400 from the API, got %d %s", status, body)
	}
	quantityRule := browserViolationRule(t, body, "data.items[0].quantity")
	do("fill the delivery form with a zero quantity",
		chromedp.SetValue(chromedp.ID("entry-type"), "delivery"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("entry-type").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.ID("v-id")),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T14:00"),
		chromedp.SetValue(chromedp.ID("v-id"), "V-FORM-0001"),
		chromedp.SetValue(chromedp.ID("v-group"), "outdoor-workers"),
		chromedp.SetValue(chromedp.ID("v-site-kind"), "service-station"),
		chromedp.SetValue(chromedp.ID("v-site-name"), "乌审旗户外劳动者服务站点"),
		chromedp.SetValue(chromedp.ID("v-headcount"), "120"),
		chromedp.SetValue(chromedp.ID("v-item-0"), "cooling-gift-pack"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("v-item-0").dispatchEvent(new Event("change"))`),
		chromedp.SetValue(chromedp.ID("v-quantity-0"), "0"),
		chromedp.SetValue(chromedp.ID("v-value-0"), "6000.00"),
		chromedp.SetValue(chromedp.ID("v-spent"), "6000.00"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	waitFor("item violation shown", `document.querySelector('#entry-form .field-error[data-for="data.items[0].quantity"]') !== null`, 10*time.Second)
	shown, err = chromedp.Run(browser, chromedp.Evaluate[string](
		`document.getElementById("v-quantity-0").closest(".field").querySelector(".field-error").textContent`))
	if err != nil {
		t.Fatalf("the quantity's violation is not next to the quantity field: %v", err)
	}
	if want := "须大于 0"; shown != want {
		t.Errorf("the form shows %q next to the quantity, want the API's rule in Chinese %q", shown, want)
	}
	if title := browserFieldErrorTitle(t, browser, "data.items[0].quantity"); title != quantityRule {
		t.Errorf("the quantity's violation keeps %q as the API's words, want the API's rule %q", title, quantityRule)
	}
	screenshot("entry-form-violation-zh.png", "entry-card")
	unit, err := chromedp.Run(browser, chromedp.Value(chromedp.ID("v-unit-0")))
	if err != nil || unit != "份" {
		t.Errorf("choosing the item did not fill its catalog unit: %q (%v)", unit, err)
	}
	do("correct the quantity and submit",
		chromedp.SetValue(chromedp.ID("v-quantity-0"), "120"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	waitFor("delivery recorded", `document.querySelector("#entry-result.ok") !== null`, 10*time.Second)
	waitFor("spending follows", fmt.Sprintf(`document.getElementById("spent-150626").textContent === %q`, browserYuan(2750000)), 10*time.Second)
	waitFor("beneficiaries follow", `document.querySelector("#group-outdoor-workers .bar-value").textContent === "9,420"`, 10*time.Second)
	waitFor("campaign progress follows", fmt.Sprintf(`document.getElementById("campaign-spent-2022-summer-cooling").textContent === %q`, browserYuan(6550000)), 10*time.Second)

	// User data is text, never markup: the feed and the audit trail show the
	// donor's name literally and run none of it.
	status, body = browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk], browserDonation("D-XSS-0001", "150600", "1.00", browserXSSDonor, "2022-06-30T12:00:00+08:00"))
	if status != http.StatusCreated {
		t.Fatalf("record the donation with markup in its donor: %d %s", status, body)
	}
	quoted, err := json.Marshal(browserXSSDonor)
	if err != nil {
		t.Fatal(err)
	}
	waitFor("feed shows the markup as text", fmt.Sprintf(`document.getElementById("feed").textContent.includes(%s)`, quoted), 10*time.Second)
	checkNoScript := func(step string) {
		t.Helper()
		kind, err := chromedp.Run(browser, chromedp.Evaluate[string](`typeof window.__xss`))
		if err != nil {
			t.Fatal(err)
		}
		if kind != "undefined" {
			t.Errorf("%s: the donor's markup ran (window.__xss is %s)", step, kind)
		}
		injected, err := chromedp.Run(browser, chromedp.Evaluate[int](`document.querySelectorAll("main img, main script").length`))
		if err != nil {
			t.Fatal(err)
		}
		if injected != 0 {
			t.Errorf("%s: %d img or script elements appeared in the page", step, injected)
		}
	}
	checkNoScript("live feed")

	do("look up the audit trail",
		chromedp.SetValue(chromedp.ID("audit-id"), "D-XSS-0001"),
		chromedp.Click(chromedp.ID("audit-submit")),
	)
	waitFor("audit trail shown", `document.querySelector("#audit-table tbody tr") !== null`, 10*time.Second)
	auditText := text("audit", "audit-result")
	if !strings.Contains(auditText, browserXSSDonor) || !strings.Contains(auditText, "D-XSS-0001") {
		t.Errorf("audit trail does not show the entry literally: %q", auditText)
	}
	checkNoScript("audit trail")

	screenshot("dashboard-desktop-zh.png")

	// The language switch: Chinese by default, English on request, and the
	// choice is remembered.
	titleZH := text("title", "page-title")
	if !strings.Contains(titleZH, "鄂尔多斯市总工会") {
		t.Errorf("page heading %q is not Chinese", titleZH)
	}
	do("switch to English", chromedp.Click(chromedp.ID("lang-toggle")))
	waitFor("English title", `document.title.startsWith("Ordos") && document.getElementById("page-title").textContent.startsWith("Ordos")`, 5*time.Second)
	if header := text("table header", "counties-title"); header != "Funds by county" {
		t.Errorf("county heading in English is %q", header)
	}
	lang, err := chromedp.Run(browser, chromedp.Evaluate[string](`localStorage.getItem("ledger.lang") + " " + document.documentElement.lang`))
	if err != nil || lang != "en en" {
		t.Errorf("language choice stored/applied as %q (%v), want \"en en\"", lang, err)
	}
	if got := text("total after switch", "total-150626"); got != afterForm {
		t.Errorf("after the switch the Uxin total reads %q, want %q", got, afterForm)
	}
	screenshot("dashboard-desktop-en.png")
	do("switch back to Chinese", chromedp.Click(chromedp.ID("lang-toggle")))
	waitFor("Chinese title", `document.title.startsWith("鄂尔多斯")`, 5*time.Second)

	// A phone: nothing wider than the screen but the tables, which scroll.
	do("phone viewport",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.ScrollIntoView(chromedp.ID("page-title")),
	)
	waitFor("phone layout", `document.documentElement.scrollWidth <= window.innerWidth + 1`, 5*time.Second)
	screenshot("dashboard-phone-zh.png")
	checkNoScript("end")

	// Signing out forgets the token; the form signs in again, here as a
	// viewer, who sees the figures but neither the entry form nor audits.
	do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("token-input")))
	stored, err = chromedp.Run(browser, chromedp.Evaluate[string](`localStorage.getItem("ledger.token") || ""`))
	if err != nil || stored != "" {
		t.Errorf("signing out left token %q in localStorage (%v)", stored, err)
	}
	do("sign in as a viewer",
		chromedp.SendKeys(chromedp.ID("token-input"), server.Tokens[httpapi.RoleViewer]),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
	)
	waitFor("viewer dashboard", fmt.Sprintf(`document.getElementById("role").textContent.startsWith("看板查看") && document.getElementById("total-150626").textContent === %q`, afterForm), 10*time.Second)
	hidden, err := chromedp.Run(browser, chromedp.Evaluate[bool](`document.getElementById("entry-card").hidden && document.getElementById("audit-card").hidden`))
	if err != nil || !hidden {
		t.Errorf("a viewer sees the entry form or the audit lookup (%v)", err)
	}
	waitFor("viewer feed replayed", `document.querySelectorAll("#feed li").length > 0`, 10*time.Second)
	auditButtons, err := chromedp.Run(browser, chromedp.Evaluate[int](`document.querySelectorAll("#feed button").length`))
	if err != nil || auditButtons != 0 {
		t.Errorf("a viewer's feed offers %d audit buttons (%v)", auditButtons, err)
	}

	headless.finish(t)
	t.Logf("browser test took %v", time.Since(started).Round(time.Millisecond))
}

// browserSeed records a small campaign season so that every panel of the
// dashboard has something to show.
func browserSeed(ctx context.Context, t *testing.T, server *testServer) {
	t.Helper()
	events := []string{
		`{"type":"donation_received","county":"150600","occurred_at":"2022-06-06T10:00:00+08:00","idempotency_key":"seed-D-SC-0001",
		  "data":{"donation_id":"D-SC-0001","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"内蒙古某能源集团有限公司","form":"money","amount":"500000.00","bank_reference":"BANK-20220606-0001"}}`,
		`{"type":"donation_received","county":"150626","occurred_at":"2022-06-09T15:30:00+08:00","idempotency_key":"seed-D-SC-0002",
		  "data":{"donation_id":"D-SC-0002","campaign":"2022-summer-cooling","donor_kind":"individual","form":"money","amount":"2000.50"},
		  "personal":{"donor":{"subject_id":"donor-0001","name":"王某某","phone":"13900000001"}}}`,
		`{"type":"donation_received","county":"150623","occurred_at":"2022-06-10T09:00:00+08:00","idempotency_key":"seed-D-SC-0003",
		  "data":{"donation_id":"D-SC-0003","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"鄂尔多斯某饮品有限公司","form":"goods","amount":"108000.00",
		  "items":[{"item":"drinking-water","unit":"箱","quantity":2000,"value":"60000.00"},{"item":"herbal-tea","unit":"箱","quantity":1000,"value":"48000.00"}]}}`,
	}
	allocations := []struct{ county, amount string }{
		{"150626", "110000.00"}, {"150602", "60000.00"}, {"150621", "45000.00"},
		{"150622", "80000.00"}, {"150623", "30000.00"}, {"150627", "25000.00"},
	}
	for _, allocation := range allocations {
		events = append(events, fmt.Sprintf(`{"type":"funds_allocated","county":%q,"occurred_at":"2022-06-12T09:00:00+08:00","idempotency_key":"seed-A-SC-%s",
		  "data":{"allocation_id":"A-SC-%s","campaign":"2022-summer-cooling","from_county":"150600","to_county":%q,"amount":%q,"purpose":"夏送清凉物资采购"}}`,
			allocation.county, allocation.county, allocation.county, allocation.county, allocation.amount))
	}
	events = append(events,
		`{"type":"supplies_delivered","county":"150626","occurred_at":"2022-06-20T10:00:00+08:00","idempotency_key":"seed-V-SC-150626-0001",
		  "data":{"delivery_id":"V-SC-150626-0001","campaign":"2022-summer-cooling","site":{"kind":"sanitation-depot","name":"乌审旗嘎鲁图镇环卫站"},
		  "beneficiary_group":"sanitation-workers","headcount":150,
		  "items":[{"item":"drinking-water","unit":"箱","quantity":100,"value":"3000.00"},{"item":"sunscreen","unit":"支","quantity":150,"value":"4500.00"},{"item":"heatstroke-medicine","unit":"盒","quantity":150,"value":"6000.00"}],
		  "spent":"13500.00","funded_by":[{"donation_id":"D-SC-0001","amount":"13500.00"}],"note":"为环卫工人送去清凉物资"}}`,
		`{"type":"supplies_delivered","county":"150622","occurred_at":"2022-06-21T10:00:00+08:00","idempotency_key":"seed-V-SC-150622-0001",
		  "data":{"delivery_id":"V-SC-150622-0001","campaign":"2022-summer-cooling","site":{"kind":"construction-site","name":"准格尔旗某施工工地"},
		  "beneficiary_group":"construction-workers","headcount":200,
		  "items":[{"item":"cooling-gift-pack","unit":"份","quantity":200,"value":"30000.00"}],"spent":"30000.00"}}`,
		`{"type":"supplies_delivered","county":"150602","occurred_at":"2022-06-22T10:00:00+08:00","idempotency_key":"seed-V-SC-150602-0001",
		  "data":{"delivery_id":"V-SC-150602-0001","campaign":"2022-summer-cooling","site":{"kind":"police-post","name":"东胜区交警岗亭"},
		  "beneficiary_group":"traffic-police","headcount":80,
		  "items":[{"item":"drinking-water","unit":"箱","quantity":160,"value":"4800.00"},{"item":"herbal-tea","unit":"箱","quantity":80,"value":"3200.00"}],"spent":"8000.00"}}`,
		`{"type":"training_held","county":"150626","occurred_at":"2022-06-28T09:00:00+08:00","idempotency_key":"seed-S-SC-150626-01",
		  "data":{"session_id":"S-SC-150626-01","campaign":"2022-summer-cooling","topic":"heatstroke-prevention","title":"夏季防暑降温与急救知识讲座",
		  "format":"both","participants":300,"duration_minutes":120,"venue":"乌审旗总工会职工活动中心","beneficiary_group":"outdoor-workers","cost":"8000.00"}}`,
		`{"type":"donation_received","county":"150600","occurred_at":"2022-05-20T10:00:00+08:00","idempotency_key":"seed-D-HL-0001",
		  "data":{"donation_id":"D-HL-0001","campaign":"2022-health-law-lectures","donor_kind":"union-allocation","donor_organisation":"内蒙古自治区总工会","form":"money","amount":"50000.00"}}`,
		`{"type":"training_held","county":"150600","occurred_at":"2022-05-25T09:00:00+08:00","idempotency_key":"seed-S-HL-01",
		  "data":{"session_id":"S-HL-01","campaign":"2022-health-law-lectures","topic":"civil-code","title":"《民法典》进企业公益宣讲",
		  "format":"online","participants":1000,"duration_minutes":90,"venue":"线上直播","beneficiary_group":"enterprise-workers","cost":"12000.00"}}`,
		`{"type":"training_held","county":"150600","occurred_at":"2022-05-26T09:00:00+08:00","idempotency_key":"seed-S-HL-02",
		  "data":{"session_id":"S-HL-02","campaign":"2022-health-law-lectures","topic":"trade-union-law","title":"《工会法》专题座谈",
		  "format":"offline","participants":620,"duration_minutes":120,"venue":"某煤炭企业会议室","beneficiary_group":"enterprise-workers","cost":"8000.00"}}`,
		`{"type":"donation_received","county":"150600","occurred_at":"2022-04-02T10:00:00+08:00","idempotency_key":"seed-D-NW-0001",
		  "data":{"donation_id":"D-NW-0001","campaign":"2022-new-workers-month","donor_kind":"enterprise","donor_organisation":"鄂尔多斯某物流有限公司","form":"money","amount":"120000.00"}}`,
		`{"type":"service_provided","county":"150600","occurred_at":"2022-04-15T09:00:00+08:00","idempotency_key":"seed-SV-NW-01",
		  "data":{"service_id":"SV-NW-01","campaign":"2022-new-workers-month","kind":"health-checkup","beneficiary_group":"new-form-workers","count":60,"person_times":60,"cost":"9000.00","note":"免费健康体检"}}`,
		`{"type":"service_provided","county":"150600","occurred_at":"2022-04-20T09:00:00+08:00","idempotency_key":"seed-SV-NW-02",
		  "data":{"service_id":"SV-NW-02","campaign":"2022-new-workers-month","kind":"station-opened","beneficiary_group":"outdoor-workers","count":28,"person_times":9000,"cost":"56000.00"}}`,
		`{"type":"service_provided","county":"150600","occurred_at":"2022-04-28T09:00:00+08:00","idempotency_key":"seed-SV-NW-03",
		  "data":{"service_id":"SV-NW-03","campaign":"2022-new-workers-month","kind":"visit","beneficiary_group":"new-form-workers","count":3370,"person_times":3370}}`,
	)
	batch := "[" + strings.Join(events, ",") + "]"
	status, body := browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk], batch)
	if status != http.StatusCreated {
		t.Fatalf("seed the ledger: %d %s", status, body)
	}
}

func browserDonation(id, county, amount, donor, occurredAt string) string {
	event := map[string]any{
		"type": "donation_received", "county": county, "occurred_at": occurredAt, "idempotency_key": "test-" + id,
		"data": map[string]any{
			"donation_id": id, "campaign": "2022-summer-cooling", "donor_kind": "enterprise",
			"donor_organisation": donor, "form": "money", "amount": amount,
		},
	}
	encoded, err := json.Marshal(event)
	if err != nil {
		panic(err)
	}
	return string(encoded)
}

// browserDelivery is the delivery the test types into the form.
func browserDelivery(id string, quantity int) string {
	event := map[string]any{
		"type": "supplies_delivered", "county": "150626", "occurred_at": "2022-06-30T14:00:00+08:00", "idempotency_key": "test-" + id,
		"data": map[string]any{
			"delivery_id": id, "campaign": "2022-summer-cooling",
			"site":              map[string]any{"kind": "service-station", "name": "乌审旗户外劳动者服务站点"},
			"beneficiary_group": "outdoor-workers", "headcount": 120,
			"items": []map[string]any{{"item": "cooling-gift-pack", "unit": "份", "quantity": quantity, "value": "6000.00"}},
			"spent": "6000.00",
		},
	}
	encoded, err := json.Marshal(event)
	if err != nil {
		panic(err)
	}
	return string(encoded)
}

func browserPost(ctx context.Context, t *testing.T, baseURL, token, body string) (int, []byte) {
	t.Helper()
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/events", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Authorization", "Bearer "+token)
	request.Header.Set("Content-Type", "application/json")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("POST /api/v1/events: %v", err)
	}
	defer response.Body.Close()
	answer, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response.StatusCode, answer
}

func browserViolationRule(t *testing.T, body []byte, field string) string {
	t.Helper()
	var failure struct {
		Error struct {
			Violations []struct {
				Field string `json:"field"`
				Rule  string `json:"rule"`
			} `json:"violations"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &failure); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	for _, violation := range failure.Error.Violations {
		if violation.Field == field {
			return violation.Rule
		}
	}
	t.Fatalf("no violation of %s in %s", field, body)
	return ""
}

// browserFieldErrorTitle is the API's own words the entry form keeps with
// the violation of field it shows.
func browserFieldErrorTitle(t *testing.T, browser context.Context, field string) string {
	t.Helper()
	title, err := chromedp.Run(browser, chromedp.Evaluate[string](
		fmt.Sprintf(`document.querySelector('#entry-form .field-error[data-for=%q]').title`, field)))
	if err != nil {
		t.Fatalf("the violation of %s: %v", field, err)
	}
	return title
}

// browserYuan writes fen as the dashboard shows money: ¥1,234.56.
func browserYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	yuan := strconv.FormatInt(fen/100, 10)
	var grouped strings.Builder
	for i, digit := range yuan {
		if i > 0 && (len(yuan)-i)%3 == 0 {
			grouped.WriteByte(',')
		}
		grouped.WriteRune(digit)
	}
	return fmt.Sprintf("%s¥%s.%02d", sign, grouped.String(), fen%100)
}

// browserParseYuan reads what browserYuan writes.
func browserParseYuan(t *testing.T, shown string) int64 {
	t.Helper()
	digits := strings.NewReplacer("¥", "", ",", "", ".", "").Replace(shown)
	if !strings.Contains(shown, ".") || len(shown) < 4 || shown[len(shown)-3] != '.' {
		t.Fatalf("%q is not an amount with two decimals", shown)
	}
	fen, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		t.Fatalf("%q is not an amount: %v", shown, err)
	}
	return fen
}
