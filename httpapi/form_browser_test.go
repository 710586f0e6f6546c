package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/httpapi"
)

// formTestSeconds bounds each of the form's browser tests.
const formTestSeconds = 120

// formPage opens the Chinese dashboard over the seeded ledger with token,
// and waits for the form's drop-downs (or, for a role that records
// nothing, the audit card).
func formPage(t *testing.T, role httpapi.Role) (*testServer, page) {
	t.Helper()
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), formTestSeconds*time.Second)
	t.Cleanup(cancel)
	browserSeed(ctx, t, server)
	browser := page{t: t, tab: startBrowser(ctx, t).tab}
	browser.do("open the dashboard", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(server.URL+"/?token="+server.Tokens[role]))
	browser.waitFor("dashboard shown", `!document.getElementById("audit-card").hidden && document.getElementById("f-county").options.length > 1`,
		30*time.Second)
	return server, browser
}

// fieldErrors are the problems the entry form shows at its fields, by the
// field each is about.
func (p page) fieldErrors() map[string]string {
	p.t.Helper()
	shown := p.eval("field errors", `JSON.stringify(Object.fromEntries(Array.from(document.querySelectorAll("#entry-form .field-error")).map((e) => [e.dataset.for, e.textContent])))`)
	errors := map[string]string{}
	if err := json.Unmarshal([]byte(shown), &errors); err != nil {
		p.t.Fatalf("field errors %s: %v", shown, err)
	}
	return errors
}

// screenshot keeps an element's picture for a person to look at, in
// LEDGER_ARTIFACTS_DIR when it is set.
func (p page) screenshot(name, element string) {
	p.t.Helper()
	artifacts := os.Getenv("LEDGER_ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = p.t.TempDir()
	}
	image, err := chromedp.Run(p.tab, chromedp.Screenshot(chromedp.ID(element)))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifacts, name)
	if err := os.WriteFile(path, image, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// setType shows the form's part for a kind of entry.
func setType(kind string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.ID("entry-type"), kind),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("entry-type").dispatchEvent(new Event("change"))`),
	)
}

// A clerk types numbers as people do. A count is sent as a number whatever
// its sign, so the ledger's own rule is said (须大于 0) and every other
// problem with it; a required number left empty says it is required; an
// amount is read as a sheet's cell reads it (1,250.50, ￥800), and 12,50
// is refused with the sheet's rule, in Chinese. No problem is shown by
// its path in the event, and nothing refused is written.
func TestBrowserFormNumbers(t *testing.T) {
	server, browser := formPage(t, httpapi.RoleClerk)
	clerk := server.Tokens[httpapi.RoleClerk]
	head := server.head(t)

	browser.do("a training with -5 minutes, no participants, title or venue, and cost 12,50",
		chromedp.ScrollIntoView(chromedp.ID("entry-card")), setType("training"),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T09:00"),
		chromedp.SetValue(chromedp.ID("t-id"), "S-NUM-0001"),
		chromedp.SetValue(chromedp.ID("t-topic"), "labour-law"),
		chromedp.SetValue(chromedp.ID("t-format"), "offline"),
		chromedp.SetValue(chromedp.ID("t-minutes"), "-5"),
		chromedp.SetValue(chromedp.ID("t-cost"), "12,50"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("refused", `document.querySelector('#entry-form .field-error[data-for="data.duration_minutes"]') !== null`, 30*time.Second)
	want := map[string]string{
		"data.duration_minutes": "须大于 0",
		"data.participants":     "必填",
		"data.title":            "必填",
		"data.venue":            "必填",
		"data.cost":             "千位分隔符只能用在每三位数字之间，如 1,250.50",
	}
	if got := browser.fieldErrors(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the training's fields say %v, want %v", got, want)
	}
	placedAt := func(input, field string) {
		t.Helper()
		if placed := browser.eval("placed", fmt.Sprintf(`String(document.getElementById(%q).closest(".field").contains(document.querySelector('.field-error[data-for=%q]')))`, input, field)); placed != "true" {
			t.Errorf("the problem of %s is not at its field %s", field, input)
		}
	}
	placedAt("t-minutes", "data.duration_minutes")
	placedAt("t-participants", "data.participants")
	placedAt("t-cost", "data.cost")
	browser.screenshot("form-numbers-training-zh.png", "entry-card")
	if server.head(t) != head {
		t.Fatal("a refused training was written")
	}

	browser.do("a delivery with a quantity of -3, a value of abc and a headcount of 1.5",
		setType("delivery"),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("v-id"), "V-NUM-0001"),
		chromedp.SetValue(chromedp.ID("v-group"), "sanitation-workers"),
		chromedp.SetValue(chromedp.ID("v-site-kind"), "sanitation-depot"),
		chromedp.SetValue(chromedp.ID("v-site-name"), "乌审旗嘎鲁图镇环卫站"),
		chromedp.SetValue(chromedp.ID("v-headcount"), "1.5"),
		chromedp.SetValue(chromedp.ID("v-item-0"), "drinking-water"),
		chromedp.SetValue(chromedp.ID("v-quantity-0"), "-3"),
		chromedp.SetValue(chromedp.ID("v-value-0"), "abc"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("refused", `document.querySelector('#entry-form .field-error[data-for="data.items[0].quantity"]') !== null`, 30*time.Second)
	want = map[string]string{
		"data.items[0].quantity": "须大于 0",
		"data.items[0].value":    "须为以元为单位的金额，最多两位小数，如 1250.50",
		"data.headcount":         "须为整数",
	}
	if got := browser.fieldErrors(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the delivery's fields say %v, want %v", got, want)
	}
	placedAt("v-quantity-0", "data.items[0].quantity")
	placedAt("v-value-0", "data.items[0].value")
	browser.screenshot("form-numbers-delivery-zh.png", "entry-card")
	if shown := browser.eval("paths", `document.getElementById("entry-card").textContent`); strings.Contains(shown, "data.") {
		t.Errorf("the form shows a path of the event: %q", shown)
	}
	if server.head(t) != head {
		t.Fatal("a refused delivery was written")
	}

	// What a sheet's cell takes, the form takes, and sends as the API's
	// canonical yuan string.
	browser.do("a training costing 1,250.50",
		setType("training"),
		chromedp.SetValue(chromedp.ID("t-id"), "S-NUM-0002"),
		chromedp.SetValue(chromedp.ID("t-title"), "安全生产讲座"),
		chromedp.SetValue(chromedp.ID("t-participants"), "1,200"),
		chromedp.SetValue(chromedp.ID("t-minutes"), "90"),
		chromedp.SetValue(chromedp.ID("t-venue"), "乌审旗职工服务中心"),
		chromedp.SetValue(chromedp.ID("t-cost"), "1,250.50"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("training recorded", `document.querySelector("#entry-result.ok") !== null`, 30*time.Second)
	training := entryOfType(t, server, clerk, "training_held", "S-NUM-0002")
	if training.data["cost"] != "1250.50" || training.data["participants"] != float64(1200) {
		t.Errorf("the training was recorded with cost %v and %v participants, want 1250.50 and 1200", training.data["cost"], training.data["participants"])
	}
	browser.do("a service costing ￥800",
		setType("service"),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T10:00"),
		chromedp.SetValue(chromedp.ID("s-id"), "SV-NUM-0001"),
		chromedp.SetValue(chromedp.ID("s-kind"), "visit"),
		chromedp.SetValue(chromedp.ID("s-group"), "sanitation-workers"),
		chromedp.SetValue(chromedp.ID("s-count"), "3"),
		chromedp.SetValue(chromedp.ID("s-cost"), "￥800"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("service recorded", `document.querySelector("#entry-result.ok") !== null && document.getElementById("s-id").value === ""`, 30*time.Second)
	if service := entryOfType(t, server, clerk, "service_provided", "SV-NUM-0001"); service.data["cost"] != "800.00" {
		t.Errorf("the service was recorded with cost %v, want 800.00", service.data["cost"])
	}
}

// A training Uxin cannot pay for is refused by the money rule, said in
// Chinese with the campaign, the county, the balance and the shortfall
// the API gives with it, at the training's cost (the API names no field:
// the money a clerk changes is the cost, as a sheet's refusal shows it
// at its money column).
func TestBrowserOverspentInChinese(t *testing.T) {
	server, browser := formPage(t, httpapi.RoleClerk)
	clerk := server.Tokens[httpapi.RoleClerk]
	// Uxin received 2,000.50 and was allocated 110,000.00; it spent
	// 13,500.00 and 8,000.00: it holds 90,500.50.
	over := `{"type":"training_held","county":"150626","occurred_at":"2022-06-30T09:00:00+08:00",
	  "data":{"session_id":"S-OVER-API","campaign":"2022-summer-cooling","topic":"labour-law","title":"讲座","format":"offline",
	  "participants":10,"duration_minutes":60,"venue":"乌审旗","cost":"100000.00"}}`
	got := call(t, "POST", server.URL+"/api/v1/events", clerk, over)
	failure := readFailure(t, got)
	if got.status != http.StatusUnprocessableEntity || len(failure.Error.Violations) != 1 || failure.Error.Violations[0].Code != "overspent" {
		t.Fatalf("an overspending training: %d %s", got.status, got.body)
	}
	wantDetails := `"details":{"after":"-9499.50","balance":"90500.50","campaign":"2022-summer-cooling","county":"150626","shortfall":"9499.50"}`
	if !strings.Contains(string(got.body), wantDetails) {
		t.Errorf("the refusal %s does not carry %s", got.body, wantDetails)
	}
	head := server.head(t)
	browser.do("a training costing 100,000.00",
		chromedp.ScrollIntoView(chromedp.ID("entry-card")), setType("training"),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T09:00"),
		chromedp.SetValue(chromedp.ID("t-id"), "S-OVER-0001"),
		chromedp.SetValue(chromedp.ID("t-topic"), "labour-law"),
		chromedp.SetValue(chromedp.ID("t-title"), "安全生产讲座"),
		chromedp.SetValue(chromedp.ID("t-format"), "offline"),
		chromedp.SetValue(chromedp.ID("t-participants"), "45"),
		chromedp.SetValue(chromedp.ID("t-minutes"), "90"),
		chromedp.SetValue(chromedp.ID("t-venue"), "乌审旗职工服务中心"),
		chromedp.SetValue(chromedp.ID("t-cost"), "100,000.00"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("refused", `document.querySelector('#entry-form .field-error[data-code="overspent"]') !== null`, 30*time.Second)
	if shown := browser.eval("refusal", `document.getElementById("entry-errors").textContent`); shown != "未写入。 违反台账规则。" {
		t.Errorf("the form's refusal says %q, want only that nothing was written and why", shown)
	}
	want := map[string]string{"data.cost": "资金不足：2022喜迎二十大、建功新时代——情系职工、夏送清凉在乌审旗 (Uxin)的结余为 ¥90,500.50，" +
		"此项支出或拨款后将为 -¥9,499.50，缺 ¥9,499.50；支出或拨款不能超过已到账的资金"}
	if got := browser.fieldErrors(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the form's fields say %v, want %v", got, want)
	}
	if placed := browser.eval("placed", `String(document.getElementById("t-cost").closest(".field").contains(document.querySelector('.field-error[data-code="overspent"]')))`); placed != "true" {
		t.Error("the overspend is not shown at the training's cost")
	}
	browser.screenshot("form-overspent-zh.png", "entry-card")
	if server.head(t) != head {
		t.Fatal("an overspending training was written")
	}
}

// A clerk cannot void an entry of a month finance has closed: the void
// form says so in Chinese, and who may. Finance is offered the closed
// month, voids the entry naming it, and the audit trail then names the
// voided entry by its own id and offers no second void of it.
func TestBrowserVoidClosedMonth(t *testing.T) {
	server, browser := formPage(t, httpapi.RoleClerk)
	finance := server.Tokens[httpapi.RoleFinance]
	if got := call(t, "POST", server.URL+"/api/v1/events", finance,
		`{"type":"period_closed","county":"150600","occurred_at":"2022-07-01T08:00:00+08:00","data":{"month":"2022-06"}}`); got.status != http.StatusCreated {
		t.Fatalf("finance closing June: %d %s", got.status, got.body)
	}
	voidTraining := func(month string) {
		t.Helper()
		browser.do("look up the training",
			chromedp.ScrollIntoView(chromedp.ID("audit-card")),
			chromedp.SetValue(chromedp.ID("audit-id"), "S-SC-150626-01"),
			chromedp.Click(chromedp.ID("audit-submit")),
		)
		browser.waitFor("void offered", `document.querySelector('#audit-table button[data-action="void"]') !== null`, 30*time.Second)
		browser.do("open the void", chromedp.Click(chromedp.CSS(`#audit-table button[data-action="void"]`)), chromedp.WaitVisible(chromedp.ID("void-reason")))
		actions := []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.ID("void-reason"), "重复录入"),
			chromedp.SetValue(chromedp.ID("void-occurred"), "2022-07-01T08:30"),
		}
		if month != "" {
			actions = append(actions, chromedp.SetValue(chromedp.ID("void-closed-period"), month))
		}
		browser.do("void it", append(actions, chromedp.Click(chromedp.ID("void-submit")))...)
	}
	head := server.head(t)
	voidTraining("")
	browser.waitFor("refused", `document.getElementById("void-errors") !== null`, 30*time.Second)
	if offered := browser.eval("month field", `String(document.getElementById("void-closed-period") !== null)`); offered != "false" {
		t.Error("a clerk is offered the closed month")
	}
	shown := browser.eval("refusal", `document.getElementById("void-errors").textContent`)
	want := "未写入。 违反台账规则。该记录发生在 2022-06，该月已由财务结账：作废会改动该月已结账的数字，只有财务或管理员可以作废（须注明结账月份），或由财务重开该月后再作废。请联系财务。"
	if shown != want {
		t.Errorf("the clerk's void says %q, want %q", shown, want)
	}
	browser.screenshot("void-closed-month-clerk-zh.png", "audit-card")
	if server.head(t) != head {
		t.Fatal("a clerk's void of a closed month was written")
	}

	browser.do("open the dashboard as finance", chromedp.Navigate(server.URL+"/?token="+finance))
	browser.waitFor("audit shown", `!document.getElementById("audit-card").hidden`, 30*time.Second)
	voidTraining("")
	browser.waitFor("refused", `document.getElementById("void-errors") !== null`, 30*time.Second)
	if shown := browser.eval("refusal", `document.getElementById("void-errors").textContent`); shown != "未写入。 财务只作废或更正已结账月份的记录，须填写结账月份；其他记录由录入员作废。" {
		t.Errorf("finance's void naming no month says %q", shown)
	}
	browser.screenshot("void-closed-month-finance-zh.png", "audit-card")
	browser.do("name the month", chromedp.SetValue(chromedp.ID("void-closed-period"), "2022-06"), chromedp.Click(chromedp.ID("void-submit")))
	browser.waitFor("voided", `document.getElementById("void-result") !== null && document.querySelectorAll("#audit-table tbody tr").length === 2`, 30*time.Second)
	if server.head(t) != head+1 {
		t.Fatalf("finance's void wrote %d events, want 1", server.head(t)-head)
	}
	void := call(t, "GET", server.URL+"/api/v1/events?type=entry_voided", finance, "")
	if !strings.Contains(string(void.body), `"closed_period":"2022-06"`) || !strings.Contains(string(void.body), `"actor":"test-finance"`) {
		t.Errorf("the void recorded is %s", void.body)
	}
	if summary := browser.eval("void row", `document.querySelector("#audit-table tbody tr:last-child td.summary").textContent`); summary != "作废 S-SC-150626-01" {
		t.Errorf("the void's row says %q, want 作废 S-SC-150626-01", summary)
	}
	if offered := browser.eval("void offered", `String(document.querySelectorAll('#audit-table button[data-action="void"]').length)`); offered != "0" {
		t.Errorf("the trail offers %s voids after the entry was voided", offered)
	}
	browser.screenshot("void-closed-month-done-zh.png", "audit-card")

	// An admin is offered the closed month too; a clerk never is.
	browser.do("open the dashboard as an admin", chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleAdmin]))
	browser.waitFor("audit shown", `!document.getElementById("audit-card").hidden`, 30*time.Second)
	browser.do("look up a delivery",
		chromedp.SetValue(chromedp.ID("audit-id"), "V-SC-150626-0001"),
		chromedp.Click(chromedp.ID("audit-submit")),
	)
	browser.waitFor("void offered", `document.querySelector('#audit-table button[data-action="void"]') !== null`, 30*time.Second)
	browser.do("open the void", chromedp.Click(chromedp.CSS(`#audit-table button[data-action="void"]`)), chromedp.WaitVisible(chromedp.ID("void-closed-period")))
}

// Finance cannot void an entry of an open month by naming that month (no
// month is closed here, June's training included): the
// ledger refuses it (open_month) and the void form says so in Chinese at
// the month's field, and nothing is written.
func TestBrowserFinanceVoidOpenMonth(t *testing.T) {
	server, browser := formPage(t, httpapi.RoleFinance)
	browser.do("look up June's training",
		chromedp.ScrollIntoView(chromedp.ID("audit-card")),
		chromedp.SetValue(chromedp.ID("audit-id"), "S-SC-150626-01"),
		chromedp.Click(chromedp.ID("audit-submit")),
	)
	browser.waitFor("void offered", `document.querySelector('#audit-table button[data-action="void"]') !== null`, 30*time.Second)
	browser.do("open the void", chromedp.Click(chromedp.CSS(`#audit-table button[data-action="void"]`)), chromedp.WaitVisible(chromedp.ID("void-closed-period")))
	head := server.head(t)
	browser.do("void it naming June, open",
		chromedp.SetValue(chromedp.ID("void-reason"), "重复录入"),
		chromedp.SetValue(chromedp.ID("void-occurred"), "2022-07-01T08:30"),
		chromedp.SetValue(chromedp.ID("void-closed-period"), "2022-06"),
		chromedp.Click(chromedp.ID("void-submit")),
	)
	browser.waitFor("refused", `document.getElementById("void-errors") !== null`, 30*time.Second)
	shown := browser.eval("month's error", `document.querySelector('#void-form .field-error[data-for="data.closed_period"]').textContent`)
	if want := "该记录发生在 2022-06，该月未结账：结账月份只用于更改已结账的月份，请留空；未结账月份的记录由录入员作废或更正"; shown != want {
		t.Errorf("finance's void naming open June says %q at the month, want %q", shown, want)
	}
	if server.head(t) != head {
		t.Fatal("finance's void naming an open month was written")
	}
}

// Back online, two entries refused and none waiting are counted as such;
// a refused entry is loaded back into the form with its problem at its
// field, and sent again it leaves the outbox. In English the parts of an
// outbox line are apart.
func TestBrowserOutboxRefusedLoad(t *testing.T) {
	server, browser := formPage(t, httpapi.RoleClerk)
	clerk := server.Tokens[httpapi.RoleClerk]
	setOffline(t, browser.tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 30*time.Second)
	donate := func(amount string) {
		t.Helper()
		browser.do("enter a donation recorded already",
			chromedp.ScrollIntoView(chromedp.ID("entry-card")), setType("donation"),
			chromedp.SetValue(chromedp.ID("f-county"), "150626"),
			chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
			chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T11:30"),
			chromedp.SetValue(chromedp.ID("d-id"), "D-SC-0002"),
			chromedp.SetValue(chromedp.ID("d-kind"), "enterprise"),
			chromedp.SetValue(chromedp.ID("d-org"), "乌审旗某公司"),
			chromedp.SetValue(chromedp.ID("d-amount"), amount),
			chromedp.Click(chromedp.ID("entry-submit")),
		)
	}
	donate("150.00")
	browser.waitFor("one waiting", `document.getElementById("outbox").dataset.waiting === "1"`, 30*time.Second)
	donate("1,250.00")
	browser.waitFor("two waiting", `document.getElementById("outbox").dataset.waiting === "2"`, 30*time.Second)
	head := server.head(t)
	setOffline(t, browser.tab, false)
	browser.waitFor("refused", `document.getElementById("outbox").dataset.refused === "2"`, 30*time.Second)
	if count := browser.eval("count", `document.getElementById("outbox-count").textContent`); count != "被拒绝 2 条" {
		t.Errorf("with two refused and none waiting the outbox says %q", count)
	}
	if server.head(t) != head {
		t.Fatal("a refused donation was written")
	}

	// One more waits offline beside the refused ones.
	setOffline(t, browser.tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 30*time.Second)
	browser.do("enter a service", setType("service"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T12:00"),
		chromedp.SetValue(chromedp.ID("s-id"), "SV-OUT-0001"),
		chromedp.SetValue(chromedp.ID("s-kind"), "visit"),
		chromedp.SetValue(chromedp.ID("s-group"), "outdoor-workers"),
		chromedp.SetValue(chromedp.ID("s-count"), "12"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("one waiting", `document.getElementById("outbox").dataset.waiting === "1"`, 30*time.Second)
	if count := browser.eval("count", `document.getElementById("outbox-count").textContent`); count != "待发送 1 条（联网后自动发送）；被拒绝 2 条" {
		t.Errorf("with one waiting and two refused the outbox says %q", count)
	}
	browser.do("switch to English", chromedp.Click(chromedp.ID("lang-toggle")))
	browser.waitFor("English", `document.getElementById("outbox-count").textContent === "1 waiting to send (sent when online); 2 refused"`, 30*time.Second)
	line := browser.eval("line", `document.querySelector("#outbox-list li.waiting").textContent`)
	if line != "Service provided · SV-OUT-0001 · Uxin (乌审旗) waiting" {
		t.Errorf("a waiting line reads %q in English", line)
	}
	browser.screenshot("outbox-refused-en.png", "outbox")
	browser.do("switch to Chinese", chromedp.Click(chromedp.ID("lang-toggle")))
	setOffline(t, browser.tab, false)
	browser.waitFor("sent", `document.getElementById("outbox").dataset.waiting === "0"`, 30*time.Second)

	// The refused donation, loaded into the form, says what is wrong at
	// its field; with another id it is recorded, and leaves the outbox.
	// The list is drawn again as sends end, so the button is found and
	// clicked in one step, again until the form holds the entry.
	browser.waitFor("first refused donation loaded", `(() => {
		if (document.getElementById("d-id").value !== "D-SC-0002") {
			const load = document.querySelector('#outbox-list li.refused button[data-action="load"]');
			if (load) load.click();
		}
		return document.getElementById("d-id").value === "D-SC-0002" && !document.getElementById("donation-fields").hidden;
	})()`, 60*time.Second)
	if amount := browser.eval("amount", `document.getElementById("d-amount").value`); amount != "150.00" {
		t.Errorf("the loaded donation's amount is %q, want 150.00", amount)
	}
	if got := browser.fieldErrors(); got["data.donation_id"] != "此编号已有记录；原记录如有误，请先作废或更正" {
		t.Errorf("the loaded donation's fields say %v", got)
	}
	browser.screenshot("outbox-loaded-zh.png", "entry-card")
	head = server.head(t)
	browser.do("record it under another id", chromedp.SetValue(chromedp.ID("d-id"), "D-SC-0099"), chromedp.Click(chromedp.ID("entry-submit")))
	browser.waitFor("recorded", `document.querySelector("#entry-result.ok") !== null && document.getElementById("outbox").dataset.refused === "1"`, 30*time.Second)
	if server.head(t) != head+1 {
		t.Errorf("the loaded donation wrote %d events, want 1", server.head(t)-head)
	}
	listed := call(t, "GET", server.URL+"/api/v1/events?type=donation_received", clerk, "")
	if !strings.Contains(string(listed.body), `"donation_id":"D-SC-0099"`) {
		t.Errorf("D-SC-0099 is not in the log: %s", listed.body)
	}
	if count := browser.eval("count", `document.getElementById("outbox-count").textContent`); count != "被拒绝 1 条" {
		t.Errorf("after the loaded donation was recorded the outbox says %q", count)
	}

	// The other, loaded and sent again without network, waits in the
	// outbox in its place.
	browser.waitFor("other refused donation loaded", `(() => {
		if (document.getElementById("d-id").value !== "D-SC-0002") {
			const load = document.querySelector('#outbox-list li.refused button[data-action="load"]');
			if (load) load.click();
		}
		return document.getElementById("d-id").value === "D-SC-0002" && document.getElementById("d-amount").value === "1250.00";
	})()`, 60*time.Second)
	setOffline(t, browser.tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 30*time.Second)
	browser.do("send it again offline", chromedp.SetValue(chromedp.ID("d-id"), "D-SC-0098"), chromedp.Click(chromedp.ID("entry-submit")))
	browser.waitFor("waiting in its place", `document.getElementById("outbox").dataset.waiting === "1" && document.getElementById("outbox").dataset.refused === "0"`,
		15*time.Second)
	if listed := browser.eval("outbox", `document.querySelector("#outbox-list li .what").textContent`); listed != "捐赠到账 · D-SC-0098 · 乌审旗 (Uxin)" {
		t.Errorf("the outbox lists %q", listed)
	}
	setOffline(t, browser.tab, false)
	browser.waitFor("sent", `document.getElementById("outbox").hidden`, 30*time.Second)
	if listed := call(t, "GET", server.URL+"/api/v1/events?type=donation_received", clerk, ""); !strings.Contains(string(listed.body), `"donation_id":"D-SC-0098"`) {
		t.Errorf("D-SC-0098 is not in the log: %s", listed.body)
	}
}

// A service's beneficiary group is required, as `ledger record service`
// requires --group: the form chooses none first, and one left so is
// refused at the field (必填), never recorded with a group by default. A
// new entry dated in a closed month is told to change its date or have
// the month reopened, never to name the month, which only a void or
// correction may. In English each refusal is said once: the page's words
// for its code, the broken rule at its field, and "Nothing was written"
// once.
func TestBrowserFormRefusalsSaidOnce(t *testing.T) {
	server, browser := formPage(t, httpapi.RoleClerk)
	head := server.head(t)
	if chosen := browser.eval("service group", `document.getElementById("s-group").value`); chosen != "" {
		t.Errorf("the service's group is %q before any is chosen, want none", chosen)
	}
	browser.do("a service with no group",
		chromedp.ScrollIntoView(chromedp.ID("entry-card")), setType("service"),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T10:00"),
		chromedp.SetValue(chromedp.ID("s-id"), "SV-GROUP-0001"),
		chromedp.SetValue(chromedp.ID("s-kind"), "visit"),
		chromedp.SetValue(chromedp.ID("s-count"), "3"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("refused", `document.querySelector('#entry-form .field-error[data-for="data.beneficiary_group"]') !== null`, 30*time.Second)
	if got, want := browser.fieldErrors(), map[string]string{"data.beneficiary_group": "必填"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the service's fields say %v, want %v", got, want)
	}
	if placed := browser.eval("placed", `String(document.getElementById("s-group").closest(".field").contains(document.querySelector('.field-error[data-for="data.beneficiary_group"]')))`); placed != "true" {
		t.Error("the missing group is not shown at the service's group")
	}
	if server.head(t) != head {
		t.Fatal("a service with no group was written")
	}

	finance := server.Tokens[httpapi.RoleFinance]
	if got := call(t, "POST", server.URL+"/api/v1/events", finance,
		`{"type":"period_closed","county":"150600","occurred_at":"2022-07-01T08:00:00+08:00","data":{"month":"2022-06"}}`); got.status != http.StatusCreated {
		t.Fatalf("finance closing June: %d %s", got.status, got.body)
	}
	head = server.head(t)
	browser.do("a June service, June closed", chromedp.SetValue(chromedp.ID("s-group"), "sanitation-workers"), chromedp.Click(chromedp.ID("entry-submit")))
	browser.waitFor("refused", `document.querySelector('#entry-form .field-error[data-for="occurred_at"]') !== null`, 30*time.Second)
	if got, want := browser.fieldErrors(), map[string]string{"occurred_at": "2022-06 已由财务结账：请改为未结账月份的日期，或请财务重开该月"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the June service's fields say %v, want %v", got, want)
	}
	if shown := browser.eval("refusal", `document.getElementById("entry-errors").textContent`); shown != "未写入。 违反台账规则。" {
		t.Errorf("the June service's refusal says %q", shown)
	}

	browser.do("switch to English", chromedp.Click(chromedp.ID("lang-toggle")), chromedp.Click(chromedp.ID("entry-submit")))
	browser.waitFor("refused in English", `document.documentElement.lang === "en" && document.querySelector('#entry-form .field-error[data-for="occurred_at"]') !== null`, 30*time.Second)
	want := map[string]string{"occurred_at": "2022-06 is closed by finance: change the entry's date, or ask finance to reopen the month"}
	if got := browser.fieldErrors(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the June service's fields say %v in English, want %v", got, want)
	}
	if shown := browser.eval("refusal", `document.getElementById("entry-errors").textContent`); shown != "Nothing was written. It breaks a rule of the ledger." {
		t.Errorf("the June service's refusal says %q in English", shown)
	}
	browser.do("a July service with no count",
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-07-02T10:00"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("s-count").value = ""`),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("refused in English", `document.querySelector('#entry-form .field-error[data-for="data.count"]') !== null`, 30*time.Second)
	if shown := browser.eval("refusal", `document.getElementById("entry-errors").textContent`); shown != "Nothing was written. Some of what was sent breaks the ledger's rules; correct what is marked." {
		t.Errorf("the service with no count's refusal says %q in English", shown)
	}
	browser.screenshot("form-refusal-en.png", "entry-card")
	if server.head(t) != head {
		t.Fatal("a refused service was written")
	}
}
