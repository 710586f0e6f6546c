package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/httpapi"
)

// liveResyncTestSeconds bounds the whole browser resync test.
const liveResyncTestSeconds = 120

// liveResyncFeedMax is the dashboard's FEED_MAX (app.js): the entries its
// feed shows.
const liveResyncFeedMax = 50

// A dashboard that comes back more entries behind than one stream replays
// is sent resync: it empties its feed and starts again from the newest
// entries, as when the page loads, rather than reconnecting for the rest a
// thousand at a time. Its feed then shows the newest entries, and no entry
// between the first replay and those was ever fetched.
func TestBrowserLiveResync(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t)
	recordDonations(t, server, 1, 40)
	ctx, cancel := context.WithTimeout(context.Background(), liveResyncTestSeconds*time.Second)
	defer cancel()
	headless := startBrowser(ctx, t)
	browser := page{t: t, tab: headless.tab}
	browser.do("open the dashboard as a viewer", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(server.URL+"/?token="+server.Tokens[httpapi.RoleViewer]))
	browser.waitFor("feed replayed and live", `document.getElementById("live-status").dataset.state === "live" && `+
		`document.querySelector("#feed li") !== null && document.querySelector("#feed li").dataset.position === "40"`, 30*time.Second)
	browser.eval("watch the feed", `window.feedAdded = [];
		new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
			if (node.dataset && node.dataset.position) window.feedAdded.push(Number(node.dataset.position));
		}))).observe(document.getElementById("feed"), { childList: true });
		"watching"`)

	// The network goes (an open stream outlives the browser's offline
	// emulation, so the server cuts it off too), and while it is away the
	// dashboard misses more than two replays' worth.
	setOffline(t, headless.tab, true)
	server.HTTP.CloseClientConnections()
	browser.waitFor("offline", `document.getElementById("live-status").dataset.state === "offline"`, 30*time.Second)
	const missed = 2100
	head := 40 + missed
	recordDonations(t, server, 41, head)
	setOffline(t, headless.tab, false)
	browser.waitFor("the newest entry shown, live", fmt.Sprintf(`document.getElementById("live-status").dataset.state === "live" && `+
		`document.querySelector("#feed li") !== null && document.querySelector("#feed li").dataset.position === "%d"`, head), 60*time.Second)

	shown := browser.eval("feed", `JSON.stringify([...document.querySelectorAll("#feed li")].map((item) => Number(item.dataset.position)))`)
	want := "["
	for position := head; position > head-liveResyncFeedMax; position-- {
		if position != head {
			want += ","
		}
		want += strconv.Itoa(position)
	}
	if want += "]"; shown != want {
		t.Errorf("the feed shows %s, want the newest %d entries, %d to %d", shown, liveResyncFeedMax, head, head-liveResyncFeedMax+1)
	}
	// The first replay after coming back sends 1000 entries from the last
	// one seen (40): anything between those and the newest 50 would have
	// come from reconnecting for the rest.
	between := browser.eval("entries fetched between", fmt.Sprintf(
		`String(window.feedAdded.filter((position) => position > %d && position <= %d).length)`, 40+1000, head-liveResyncFeedMax))
	if between != "0" {
		t.Errorf("the dashboard was sent %s entries between the first replay and the newest %d: it reconnected for the rest instead of starting again", between, liveResyncFeedMax)
	}
	headless.finish(t)
}
