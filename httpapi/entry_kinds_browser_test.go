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

// entryKindsTestSeconds bounds the whole test.
const entryKindsTestSeconds = 120

// A clerk with the Chinese dashboard records a training session and a
// service through the entry form (catalog drop-downs for the topic, the
// group, the site kind and the service kind), is told what is wrong with
// a field in Chinese, voids the training from its audit trail with a
// reason (required, and said so in Chinese), and sees waiting entries in
// the outbox by their kinds' and counties' names, with a refusal in
// Chinese. The totals follow every entry, and the log holds what the form
// was given.
func TestBrowserEntryKinds(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), entryKindsTestSeconds*time.Second)
	defer cancel()
	browserSeed(ctx, t, server)
	clerk := server.Tokens[httpapi.RoleClerk]
	tab := startBrowser(ctx, t).tab
	browser := page{t: t, tab: tab}
	artifacts := os.Getenv("LEDGER_ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	screenshot := func(name, element string) {
		t.Helper()
		image, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.ID(element)))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(artifacts, name)
		if err := os.WriteFile(path, image, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	browser.do("open the dashboard as a clerk", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token="+clerk))
	browser.waitFor("entry form shown", `!document.getElementById("entry-card").hidden && document.getElementById("t-topic").options.length > 1`,
		30*time.Second)
	// Uxin spent 13,500.00 on its delivery and 8,000.00 on its training.
	spent := func(step string, fen int64) {
		t.Helper()
		browser.waitFor(step, fmt.Sprintf(`document.getElementById("spent-150626").textContent === %q`, browserYuan(fen)), 10*time.Second)
	}
	spent("seeded spending shown", 2150000)

	// The drop-downs are the catalog's, named in Chinese.
	if topic := browser.eval("topics", `Array.from(document.getElementById("t-topic").options).map(o => o.value + "=" + o.textContent).join(",")`); !strings.Contains(topic, "heatstroke-prevention=防暑降温") {
		t.Errorf("the topic drop-down offers %q", topic)
	}
	if kinds := browser.eval("service kinds", `Array.from(document.getElementById("s-kind").options).map(o => o.value + "=" + o.textContent).join(",")`); !strings.Contains(kinds, "legal-consultation=送法律（咨询）") {
		t.Errorf("the service kind drop-down offers %q", kinds)
	}

	// A training with no participants and a cost that is no amount: each
	// field says why in Chinese, and nothing is written.
	head := server.head(t)
	fillTraining := func(participants, cost string) {
		t.Helper()
		browser.do("fill the training form",
			chromedp.ScrollIntoView(chromedp.ID("entry-card")),
			chromedp.SetValue(chromedp.ID("entry-type"), "training"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("entry-type").dispatchEvent(new Event("change"))`),
			chromedp.WaitVisible(chromedp.ID("t-id")),
			chromedp.SetValue(chromedp.ID("f-county"), "150626"),
			chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
			chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T09:00"),
			chromedp.SetValue(chromedp.ID("t-id"), "S-FORM-0001"),
			chromedp.SetValue(chromedp.ID("t-topic"), "labour-law"),
			chromedp.SetValue(chromedp.ID("t-title"), "新业态劳动者权益保障讲座"),
			chromedp.SetValue(chromedp.ID("t-format"), "offline"),
			chromedp.SetValue(chromedp.ID("t-participants"), participants),
			chromedp.SetValue(chromedp.ID("t-minutes"), "90"),
			chromedp.SetValue(chromedp.ID("t-venue"), "乌审旗职工服务中心"),
			chromedp.SetValue(chromedp.ID("t-group"), "new-form-workers"),
			chromedp.SetValue(chromedp.ID("t-cost"), cost),
			chromedp.Click(chromedp.ID("entry-submit")),
		)
	}
	fillTraining("0", "一千二")
	fieldError := func(field string) string {
		t.Helper()
		browser.waitFor("violation of "+field, fmt.Sprintf(`document.querySelector('#entry-form .field-error[data-for=%q]') !== null`, field), 10*time.Second)
		return browser.eval("violation of "+field, fmt.Sprintf(`document.querySelector('#entry-form .field-error[data-for=%q]').textContent`, field))
	}
	if shown := fieldError("data.participants"); shown != "须大于 0" {
		t.Errorf("the participants field says %q, want 须大于 0", shown)
	}
	if shown := fieldError("data.cost"); shown != "须为以元为单位的金额，最多两位小数，如 1250.50" {
		t.Errorf("the cost field says %q, want the yuan rule in Chinese", shown)
	}
	if inField := browser.eval("placed", `String(document.getElementById("t-participants").closest(".field").contains(document.querySelector('.field-error[data-for="data.participants"]')))`); inField != "true" {
		t.Error("the participants' violation is not next to the participants field")
	}
	if summary := browser.eval("summary", `document.getElementById("entry-errors").textContent`); summary != "未写入。 输入不符合规则，请按提示改正。" {
		t.Errorf("the form's summary reads %q", summary)
	}
	if server.head(t) != head {
		t.Fatal("a refused training was written")
	}
	screenshot("entry-training-violation-zh.png", "entry-card")

	// Corrected, it is recorded with the fields the form was given.
	fillTraining("45", "1200.00")
	browser.waitFor("training recorded", `document.querySelector("#entry-result.ok") !== null`, 10*time.Second)
	if result := browser.eval("result", `document.getElementById("entry-result").textContent`); !strings.Contains(result, "已记录") {
		t.Errorf("the form says %q after the training", result)
	}
	training := entryOfType(t, server, clerk, "training_held", "S-FORM-0001")
	wantTraining := map[string]any{"session_id": "S-FORM-0001", "campaign": "2022-summer-cooling", "topic": "labour-law",
		"title": "新业态劳动者权益保障讲座", "format": "offline", "participants": float64(45), "duration_minutes": float64(90),
		"venue": "乌审旗职工服务中心", "beneficiary_group": "new-form-workers", "cost": "1200.00"}
	checkData(t, "training", training, wantTraining, "150626", true)
	spent("spending follows the training", 2150000+120000)
	if head <= 0 || server.head(t) != head+1 {
		t.Errorf("the training wrote %d events, want 1", server.head(t)-head)
	}

	// A service, with its site.
	browser.do("fill the service form",
		chromedp.SetValue(chromedp.ID("entry-type"), "service"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("entry-type").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.ID("s-id")),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T10:00"),
		chromedp.SetValue(chromedp.ID("s-id"), "SV-FORM-0001"),
		chromedp.SetValue(chromedp.ID("s-kind"), "legal-consultation"),
		chromedp.SetValue(chromedp.ID("s-group"), "sanitation-workers"),
		chromedp.SetValue(chromedp.ID("s-count"), "3"),
		chromedp.SetValue(chromedp.ID("s-person-times"), "40"),
		chromedp.SetValue(chromedp.ID("s-site-kind"), "sanitation-depot"),
		chromedp.SetValue(chromedp.ID("s-site-name"), "乌审旗嘎鲁图镇环卫站"),
		chromedp.SetValue(chromedp.ID("s-cost"), "600.00"),
		chromedp.SetValue(chromedp.ID("s-note"), "送法律进环卫站"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("service recorded", `document.querySelector("#entry-result.ok") !== null && document.getElementById("s-id").value === ""`, 10*time.Second)
	service := entryOfType(t, server, clerk, "service_provided", "SV-FORM-0001")
	checkData(t, "service", service, map[string]any{"service_id": "SV-FORM-0001", "campaign": "2022-summer-cooling", "kind": "legal-consultation",
		"beneficiary_group": "sanitation-workers", "count": float64(3), "person_times": float64(40),
		"site": map[string]any{"kind": "sanitation-depot", "name": "乌审旗嘎鲁图镇环卫站"}, "cost": "600.00", "note": "送法律进环卫站"}, "150626", true)
	spent("spending follows the service", 2150000+120000+60000)

	// The training was recorded by mistake: the clerk voids it from its
	// audit trail. Without a reason the API refuses, said in Chinese.
	browser.do("look up the training",
		chromedp.ScrollIntoView(chromedp.ID("audit-card")),
		chromedp.SetValue(chromedp.ID("audit-id"), "S-FORM-0001"),
		chromedp.Click(chromedp.ID("audit-submit")),
	)
	browser.waitFor("void offered", `document.querySelector('#audit-table button[data-action="void"]') !== null`, 10*time.Second)
	headBeforeVoid := server.head(t)
	browser.do("open the void", chromedp.Click(chromedp.CSS(`#audit-table button[data-action="void"]`)), chromedp.WaitVisible(chromedp.ID("void-reason")))
	browser.do("void without a reason",
		chromedp.SetValue(chromedp.ID("void-occurred"), "2022-06-30T16:00"),
		chromedp.Click(chromedp.ID("void-submit")),
	)
	browser.waitFor("reason refused", `document.querySelector('#void-form .field-error[data-for="data.reason"]') !== null`, 10*time.Second)
	if shown := browser.eval("reason refused", `document.querySelector('#void-form .field-error[data-for="data.reason"]').textContent`); shown != "必填" {
		t.Errorf("a void without a reason says %q, want 必填", shown)
	}
	if server.head(t) != headBeforeVoid {
		t.Fatal("a void without a reason was written")
	}
	screenshot("audit-void-refused-zh.png", "audit-card")
	browser.do("void with a reason",
		chromedp.SetValue(chromedp.ID("void-reason"), "重复录入：与 S-SC-150626-01 为同一场讲座"),
		chromedp.Click(chromedp.ID("void-submit")),
	)
	browser.waitFor("voided", `document.getElementById("void-result") !== null && document.querySelector("#audit-table tbody tr:last-child td:nth-child(2)").textContent === "作废"`,
		10*time.Second)
	if result := browser.eval("void result", `document.getElementById("void-result").textContent`); !strings.Contains(result, "已作废记录 "+training.id) {
		t.Errorf("the void says %q", result)
	}
	if server.head(t) != headBeforeVoid+1 {
		t.Errorf("the void wrote %d events, want 1", server.head(t)-headBeforeVoid)
	}
	void := entryOfType(t, server, clerk, "entry_voided", "")
	checkData(t, "void", void, map[string]any{"campaign": "2022-summer-cooling", "target_event_id": training.id,
		"reason": "重复录入：与 S-SC-150626-01 为同一场讲座"}, "150626", false)
	spent("spending follows the void", 2150000+60000)

	// Offline, a service waits in the outbox named by its kind and county,
	// and so does a donation whose id is recorded already; back online the
	// service is recorded and the donation refused, in Chinese.
	setOffline(t, tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 10*time.Second)
	browser.do("enter a service offline",
		chromedp.ScrollIntoView(chromedp.ID("entry-card")),
		chromedp.SetValue(chromedp.ID("entry-type"), "service"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("entry-type").dispatchEvent(new Event("change"))`),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T11:00"),
		chromedp.SetValue(chromedp.ID("s-id"), "SV-OFF-0001"),
		chromedp.SetValue(chromedp.ID("s-kind"), "visit"),
		chromedp.SetValue(chromedp.ID("s-group"), "outdoor-workers"),
		chromedp.SetValue(chromedp.ID("s-count"), "12"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("service waiting", `document.getElementById("outbox").dataset.waiting === "1"`, 15*time.Second)
	browser.do("enter a donation recorded already",
		chromedp.SetValue(chromedp.ID("entry-type"), "donation"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("entry-type").dispatchEvent(new Event("change"))`),
		chromedp.SetValue(chromedp.ID("f-county"), "150626"),
		chromedp.SetValue(chromedp.ID("f-campaign"), "2022-summer-cooling"),
		chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T11:30"),
		chromedp.SetValue(chromedp.ID("d-id"), "D-SC-0002"),
		chromedp.SetValue(chromedp.ID("d-kind"), "enterprise"),
		chromedp.SetValue(chromedp.ID("d-org"), "乌审旗某公司"),
		chromedp.SetValue(chromedp.ID("d-amount"), "150.00"),
		chromedp.Click(chromedp.ID("entry-submit")),
	)
	browser.waitFor("two waiting", `document.getElementById("outbox").dataset.waiting === "2"`, 15*time.Second)
	listed := browser.eval("outbox", `Array.from(document.querySelectorAll("#outbox-list li .what")).map(li => li.textContent).join("|")`)
	if want := "服务 · SV-OFF-0001 · 乌审旗 (Uxin)|捐赠到账 · D-SC-0002 · 乌审旗 (Uxin)"; listed != want {
		t.Errorf("the outbox lists %q, want %q", listed, want)
	}
	headOffline := server.head(t)
	setOffline(t, tab, false)
	browser.waitFor("sent", `document.getElementById("outbox").dataset.waiting === "0" && document.getElementById("outbox").dataset.refused === "1"`,
		30*time.Second)
	if server.head(t) != headOffline+1 {
		t.Errorf("back online the outbox wrote %d events, want 1", server.head(t)-headOffline)
	}
	entryOfType(t, server, clerk, "service_provided", "SV-OFF-0001")
	why := browser.eval("refusal", `document.querySelector("#outbox-list li.refused .why").textContent`)
	if want := "违反台账规则。 捐赠编号：此编号已有记录；原记录如有误，请先作废或更正"; why != want {
		t.Errorf("the outbox says %q of the refused donation, want %q", why, want)
	}
	screenshot("outbox-refused-zh.png", "entry-card")
	// The same refusal in English is the API's own words.
	browser.do("switch to English", chromedp.Click(chromedp.ID("lang-toggle")))
	browser.waitFor("English outbox", `document.querySelector("#outbox-list li.refused .why").textContent.includes("already received")`, 5*time.Second)
	if listed := browser.eval("outbox in English", `document.querySelector("#outbox-list li.refused .what").textContent`); listed != "Donation received · D-SC-0002 · Uxin (乌审旗)" {
		t.Errorf("the outbox lists %q in English", listed)
	}
}

// loggedEntry is an entry of the log as GET /api/v1/events lists it.
type loggedEntry struct {
	id     string
	county string
	data   map[string]any
}

// entryOfType finds the one entry of eventType whose entity id is id (any
// one, for an empty id) in the log as the clerk lists it.
func entryOfType(t *testing.T, server *testServer, token, eventType, id string) loggedEntry {
	t.Helper()
	got := call(t, "GET", server.URL+"/api/v1/events?type="+eventType, token, "")
	var page struct {
		Events []struct {
			Event struct {
				ID     string         `json:"id"`
				County string         `json:"county"`
				Actor  string         `json:"actor"`
				Data   map[string]any `json:"data"`
			} `json:"event"`
		} `json:"events"`
	}
	if got.status != http.StatusOK || json.Unmarshal(got.body, &page) != nil {
		t.Fatalf("list %s: %d %s", eventType, got.status, got.body)
	}
	var found []loggedEntry
	for _, listed := range page.Events {
		event := listed.Event
		if id != "" && event.Data["session_id"] != id && event.Data["service_id"] != id {
			continue
		}
		if event.Actor != "test-clerk" {
			t.Errorf("%s %s was recorded as %q, want the clerk's token holder", eventType, id, event.Actor)
		}
		found = append(found, loggedEntry{id: event.ID, county: event.County, data: event.Data})
	}
	if len(found) != 1 {
		t.Fatalf("the log holds %d %s entries %s, want 1: %s", len(found), eventType, id, got.body)
	}
	return found[0]
}

// checkData holds an entry's county and data to what the form was given;
// exact holds it to nothing more (a void's data also says where the ledger
// found its target).
func checkData(t *testing.T, what string, entry loggedEntry, want map[string]any, county string, exact bool) {
	t.Helper()
	if entry.county != county {
		t.Errorf("%s recorded in %s, want %s", what, entry.county, county)
	}
	got := entry.data
	if !exact {
		got = map[string]any{}
		for field := range want {
			got[field] = entry.data[field]
		}
	}
	gotJSON, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("%s recorded %s, want %s", what, gotJSON, wantJSON)
	}
}

// Finance without the personal-data grant uploads a statement that names
// counterparties: the Chinese page says that the grant is needed, in
// Chinese (the API's reason, not its English message), and nothing is
// written.
func TestBrowserGrantRefusalInChinese(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t, func(options *httpapi.Options) {
		tokens, err := httpapi.NewTokens(grantTokens)
		if err != nil {
			t.Fatal(err)
		}
		options.Tokens = tokens
	})
	ctx, cancel := context.WithTimeout(context.Background(), entryKindsTestSeconds*time.Second)
	defer cancel()
	statement := filepath.Join(t.TempDir(), "对账单-2022-06.csv")
	if err := os.WriteFile(statement, []byte("日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-23,,捐款,赵某某,,500.00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	browser := page{t: t, tab: startBrowser(ctx, t).tab}
	browser.do("open the finance page without the grant", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token=finance-plain-0123456789#finance"))
	browser.waitFor("import card shown", `!document.getElementById("fin-import-card").hidden`, 30*time.Second)
	browser.do("preview the statement",
		chromedp.SetUploadFiles(chromedp.ID("fin-import-file"), []string{statement}),
		chromedp.SendKeys(chromedp.ID("fin-import-account"), "icbc-test-account"),
		chromedp.Click(chromedp.ID("fin-import-preview")),
	)
	browser.waitFor("refused", `document.getElementById("fin-import-status").textContent.startsWith("未导入：")`, 15*time.Second)
	shown := browser.eval("refusal", `document.getElementById("fin-import-status").textContent`)
	if want := "未导入：需要个人信息授权：对账单含对方户名或账号，属个人信息，导入或预览须使用带个人信息授权（\"personal\": true）的令牌。"; shown != want {
		t.Errorf("the refusal reads %q, want %q", shown, want)
	}
	if head := server.head(t); head != 0 {
		t.Errorf("a refused statement wrote %d events", head)
	}
}
