package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/demo"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/ledger"
)

// trendsTestSeconds bounds the whole browser test.
const trendsTestSeconds = 120

// trendsWaitSeconds bounds each wait for the page to show something.
const trendsWaitSeconds = 20

// trendsCampaign is the demo's campaign of two months (June and July 2022).
const trendsCampaign = "2022-summer-cooling"

// trendMonthFigures are one month's figures as the chart draws them and as
// the API's by-month totals give them: money in fen, people as a count.
type trendMonthFigures struct {
	Period   string `json:"period"`
	Received int64  `json:"received"`
	Spent    int64  `json:"spent"`
	People   int64  `json:"people"`
}

// The dashboard, loaded with the demo, draws a campaign's months from the
// by-month totals: one group of bars per month, each bar carrying the fen
// the API gives, each dot the people reached; the chart is labelled for
// screen readers and follows the language switch. Its report link fetches
// the printable report of the chosen month and campaign with the token in
// the Authorization header and opens it as a blob: URL, whose page is the
// sealed campaign report, styled under the dashboard's policy.
func TestBrowserTrendsAndReportLink(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), trendsTestSeconds*time.Second)
	defer cancel()
	// The demo runs into 2022's autumn, past the test server's clock (1 July
	// 2022), so it is recorded by a service on the real clock, into the
	// same log the server follows.
	if _, err := demo.Load(ctx, ledger.New(server.Store, ledger.Options{})); err != nil {
		t.Fatal(err)
	}
	signCheckpoint(t, server)
	viewer := server.Tokens[httpapi.RoleViewer]

	// What the API says, month by month, for the campaign.
	reply := call(t, "GET", server.URL+"/api/v1/totals?campaign="+trendsCampaign+"&by=month", viewer, "")
	var totals struct {
		All []struct {
			Period        string       `json:"period"`
			Received      domain.Money `json:"received"`
			Spent         domain.Money `json:"spent"`
			PeopleReached int64        `json:"people_reached"`
		} `json:"all"`
	}
	if reply.status != http.StatusOK {
		t.Fatalf("totals by month: %d %s", reply.status, reply.body)
	}
	if err := json.Unmarshal(reply.body, &totals); err != nil {
		t.Fatal(err)
	}
	var want []trendMonthFigures
	for _, row := range totals.All {
		want = append(want, trendMonthFigures{Period: row.Period, Received: int64(row.Received), Spent: int64(row.Spent), People: row.PeopleReached})
	}
	if len(want) != 2 || want[0].Period != "2022-06" || want[1].Period != "2022-07" || want[0].Received == 0 || want[1].Spent == 0 {
		t.Fatalf("the demo's summer campaign by month: %+v", want)
	}

	headless := startBrowser(ctx, t)
	browser := page{t: t, tab: headless.tab}
	wait := trendsWaitSeconds * time.Second
	browser.do("open the dashboard", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(server.URL+"/?token="+viewer))
	browser.waitFor("campaigns listed", `document.querySelector("#trend-campaign option[value='`+trendsCampaign+`']") !== null`, wait)
	browser.eval("choose the campaign", `(() => { const select = document.getElementById("trend-campaign");
		select.value = "`+trendsCampaign+`"; select.dispatchEvent(new Event("change")); return "chosen"; })()`)
	browser.waitFor("the campaign's chart drawn", `document.getElementById("trend-chart").dataset.campaign === "`+trendsCampaign+`" &&
		document.querySelectorAll("#trend-chart g.trend-month").length > 0`, wait)

	drawn := browser.eval("read the chart", `JSON.stringify(Array.from(document.querySelectorAll("#trend-chart g.trend-month")).map((group) => {
		const period = group.dataset.period;
		const fen = (series) => Number(group.querySelector("rect[data-series='" + series + "']").dataset.fen);
		const dot = document.querySelector("#trend-chart circle[data-period='" + period + "']");
		return { period, received: fen("received"), spent: fen("spent"), people: Number(dot.dataset.count) };
	}))`)
	var got []trendMonthFigures
	if err := json.Unmarshal([]byte(drawn), &got); err != nil {
		t.Fatalf("the chart's figures %s: %v", drawn, err)
	}
	if len(got) != len(want) {
		t.Fatalf("the chart draws %d months, the API gives %d: %s", len(got), len(want), drawn)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("the chart draws %+v, the API gives %+v", got[i], want[i])
		}
	}
	// The taller money bar is June's receipts, and the bars share one axis.
	heights := browser.eval("bar heights", `Array.from(document.querySelectorAll("#trend-chart rect[data-series='received']")).map((bar) => bar.getAttribute("height")).join(",")`)
	if parts := strings.Split(heights, ","); len(parts) != 2 || parts[0] == "0" || parts[1] != "0" {
		t.Fatalf("received bars' heights %q: June received money, July none", heights)
	}
	if label := browser.eval("labels", `(() => { const svg = document.querySelector("#trend-chart svg");
		return svg.getAttribute("role") + "|" + svg.querySelector("title").textContent + "|" + document.querySelectorAll("#trend-table tbody tr").length; })()`); !strings.HasPrefix(label, "img|逐月趋势") || !strings.HasSuffix(label, "|2") {
		t.Fatalf("the chart's role, title and table rows: %q", label)
	}
	// A donation recorded now, for June, reaches the chart through the
	// live stream: June's received bar carries its fen too.
	status, body := browserPost(ctx, t, server.URL, server.Tokens[httpapi.RoleClerk],
		browserDonation("D-TREND-1", "150626", "1234.56", "某公司", "2022-06-30T10:00:00+08:00"))
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("record a June donation: %d %s", status, body)
	}
	browser.waitFor("the live chart", `document.querySelector("#trend-chart g.trend-month[data-period='2022-06'] rect[data-series='received']").dataset.fen === "`+
		strconv.FormatInt(want[0].Received+123456, 10)+`"`, wait)

	// A picture of the card for a person to look at, kept where the
	// dashboard test keeps its own (LEDGER_ARTIFACTS_DIR).
	if artifacts := os.Getenv("LEDGER_ARTIFACTS_DIR"); artifacts != "" {
		image, err := chromedp.Run(headless.tab, chromedp.Screenshot(chromedp.ID("trend-card")))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, "dashboard-trends.png"), image, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	browser.do("switch to English", chromedp.Click(chromedp.ID("lang-toggle")))
	browser.waitFor("English labels", `document.querySelector("#trend-chart svg title").textContent.startsWith("Month by month")`, wait)
	browser.do("back to Chinese", chromedp.Click(chromedp.ID("lang-toggle")))
	browser.waitFor("Chinese labels", `document.querySelector("#trend-chart svg title").textContent.startsWith("逐月趋势")`, wait)

	// The report link: July's report of the campaign opens in a new window
	// as a blob: URL; no address carries the token. The report is bound to
	// the checkpoint signed before the June donation above, so its chart
	// draws the figures the API gave then.
	if month := browser.eval("report month", `document.getElementById("report-month").value`); month != "2022-07" {
		t.Fatalf("the report month offered first is %q, want the newest, 2022-07", month)
	}
	blobWindow := chromedp.WaitNewTarget(headless.tab, func(info *target.Info) bool {
		return info.Type == "page" && strings.HasPrefix(info.URL, "blob:")
	})
	browser.do("open the report", chromedp.Click(chromedp.ID("report-open")))
	browser.waitFor("report opened", `!document.getElementById("report-link").hidden &&
		document.getElementById("report-link").href.startsWith("blob:")`, wait)
	var opened target.ID
	select {
	case opened = <-blobWindow:
	case <-time.After(wait):
		t.Fatalf("no window opened the report as a blob: URL within %v", wait)
	}
	targets, err := chromedp.Targets(headless.tab)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range targets {
		if strings.Contains(info.URL, viewer) {
			t.Fatalf("a window's address carries the token: %s", info.URL)
		}
	}
	reportTab, closeReport := chromedp.NewContext(headless.tab, chromedp.WithTargetID(opened))
	defer closeReport()
	report := page{t: t, tab: reportTab}
	report.waitFor("the report page loaded", `document.readyState === "complete" && document.querySelector("meta[name='ledger-report-seal']") !== null`, wait)
	seal := report.eval("seal", `document.querySelector("meta[name='ledger-report-seal']").content`)
	if !strings.HasPrefix(seal, "ledger-report/4 month=2022-07 county= campaign="+trendsCampaign+" ") {
		t.Fatalf("the opened report's seal: %q", seal)
	}
	printed := report.eval("the report's chart", `JSON.stringify(Array.from(document.querySelectorAll("g.month")).map((group) => {
		const period = group.dataset.period;
		const fen = (series) => Number(group.querySelector("rect." + series).dataset.fen);
		const dot = document.querySelector("circle[data-key='trend/" + period + "/reached']");
		return { period, received: fen("received"), spent: fen("spent"), people: Number(dot.dataset.count) };
	}))`)
	var onPaper []trendMonthFigures
	if err := json.Unmarshal([]byte(printed), &onPaper); err != nil {
		t.Fatalf("the report's chart %s: %v", printed, err)
	}
	if len(onPaper) != len(want) || onPaper[0] != want[0] || onPaper[1] != want[1] {
		t.Fatalf("the printed chart draws %+v, the dashboard %+v", onPaper, want)
	}
	// The report's inline style sheet applies under the dashboard's policy
	// (allowed by its hash): the header has its red rule.
	if rule := report.eval("style", `getComputedStyle(document.querySelector("header")).borderBottomStyle`); rule != "solid" {
		t.Fatalf("the report's style did not apply in the blob: window (border %q): the policy refused it", rule)
	}
}
