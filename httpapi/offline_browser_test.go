package httpapi_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/httpapi"
)

// offlineTestSeconds bounds the whole offline browser test.
const offlineTestSeconds = 180

// setOffline switches the tab's network, and what the page is told of it,
// off or on, as DevTools' network emulation does.
func setOffline(t *testing.T, tab context.Context, offline bool) {
	t.Helper()
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	emulateServiceWorker := true
	if _, err := chromedp.Call(tab, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &emulateServiceWorker,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatalf("network conditions: %v", err)
	}
	if _, err := chromedp.Call(tab, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatalf("network state: %v", err)
	}
}

// A clerk without network records entries: they wait in the outbox (and
// survive a reload, the dashboard opening from the service worker's copy),
// and are sent when the network returns, each once; one the ledger refuses
// on return stays in the outbox with the refusal shown. No address with
// the sign-in token is kept in the service worker's cache.
func TestBrowserOfflineEntry(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), offlineTestSeconds*time.Second)
	defer cancel()
	tab := startBrowser(ctx, t).tab
	browser := page{t: t, tab: tab}
	browser.do("open the dashboard as a clerk", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleClerk]))
	browser.waitFor("entry form shown", `!document.getElementById("entry-card").hidden && document.getElementById("f-county").options.length > 1`, 30*time.Second)
	browser.waitFor("service worker in control", `navigator.serviceWorker.controller !== null`, 60*time.Second)

	setOffline(t, tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 10*time.Second)
	donate := func(id string) {
		t.Helper()
		browser.do("enter donation "+id,
			chromedp.SetValue(chromedp.ID("entry-type"), "donation"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("entry-type").dispatchEvent(new Event("change"))`),
			chromedp.SetValue(chromedp.ID("f-county"), "150626"),
			chromedp.SetValue(chromedp.ID("f-campaign"), "general"),
			chromedp.SetValue(chromedp.ID("f-occurred"), "2022-06-30T11:00"),
			chromedp.SetValue(chromedp.ID("d-id"), id),
			chromedp.SetValue(chromedp.ID("d-kind"), "enterprise"),
			chromedp.SetValue(chromedp.ID("d-org"), "乌审旗某公司"),
			chromedp.SetValue(chromedp.ID("d-amount"), "66.00"),
			chromedp.Click(chromedp.ID("entry-submit")),
		)
	}
	donate("D-OFF-1")
	browser.waitFor("waiting to send", `document.getElementById("outbox").dataset.waiting === "1"`, 15*time.Second)
	// The same donation id entered again is a different entry (a new key):
	// the ledger will refuse it as recorded twice.
	donate("D-OFF-1")
	browser.waitFor("two waiting", `document.getElementById("outbox").dataset.waiting === "2"`, 15*time.Second)
	if head := server.head(t); head != 0 {
		t.Fatalf("offline entries reached the ledger: head %d", head)
	}

	// Reloaded without network, the dashboard opens from the service
	// worker's copy with the outbox as it was.
	browser.do("reload offline", chromedp.Reload())
	browser.waitFor("opened offline", `!document.getElementById("entry-card").hidden && document.getElementById("outbox").dataset.waiting === "2"`,
		30*time.Second)

	setOffline(t, tab, false)
	browser.waitFor("sent", `document.getElementById("outbox").dataset.waiting === "0" && document.getElementById("outbox").dataset.refused === "1"`,
		30*time.Second)
	if head := server.head(t); head != 1 {
		t.Fatalf("after the network returned the ledger holds %d events, want 1", head)
	}
	if why := browser.eval("refusal", `document.querySelector("#outbox-list li.refused").textContent`); why == "" {
		t.Fatal("the refused entry does not say why")
	}
	// The list is drawn again as the page learns who is signed in, so the
	// button is found and clicked in one step, again until it is gone.
	browser.waitFor("refused entry discarded", `(() => {
		const discard = document.querySelector('#outbox-list li.refused button[data-action="discard"]');
		if (discard) discard.click();
		return document.getElementById("outbox").hidden;
	})()`, 60*time.Second)

	stored, err := chromedp.Run(tab, chromedp.Evaluate[string](`caches.keys().then(names => Promise.all(names.map(name =>
		caches.open(name).then(cache => cache.keys())))).then(lists => lists.flat().map(request => request.url).join(" "))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if stored == "" || strings.Contains(stored, "token") || strings.Contains(stored, "/api/") {
		t.Fatalf("the service worker's cache holds %q: it must hold the app shell and never a token or an API answer", stored)
	}
}
