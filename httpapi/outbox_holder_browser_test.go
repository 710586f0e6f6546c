package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/httpapi"
)

// outboxHolderTestSeconds bounds the whole test of the outbox's holders.
const outboxHolderTestSeconds = 180

// clerkBToken is a second clerk's, beside testTokens' clerk (test-clerk).
const clerkBToken = "clerk-b-token-0123456789"

// recordedDonations are the donation ids the log holds, each with the
// actor it was recorded as.
func recordedDonations(t *testing.T, server *testServer) map[string]string {
	t.Helper()
	got := call(t, "GET", server.URL+"/api/v1/events?type=donation_received", server.Tokens[httpapi.RoleAdmin], "")
	var listed struct {
		Events []struct {
			Event struct {
				Actor string `json:"actor"`
				Data  struct {
					DonationID string `json:"donation_id"`
				} `json:"data"`
			} `json:"event"`
		} `json:"events"`
	}
	if err := json.Unmarshal(got.body, &listed); err != nil || got.status != 200 {
		t.Fatalf("listing donations: %d %s (%v)", got.status, got.body, err)
	}
	recorded := map[string]string{}
	for _, listed := range listed.Events {
		recorded[listed.Event.Data.DonationID] = listed.Event.Actor
	}
	return recorded
}

// On a shared computer clerk A records donations without network and
// signs out: the dashboard asks, in the page's language, whether to keep
// them for A's next sign-in or discard them. Kept, they are neither sent
// nor shown when clerk B signs in on the same computer, online, and B's
// own entries are sent as B's; when A signs in again, A's are sent, as
// A's. Discarded, they are gone from the device. An entry kept before the
// outbox recorded holders is sent under no one's sign-in by itself.
func TestBrowserOutboxKeptForItsHolder(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s: install it with `apt-get install -y chromium` (%v)", browserChromium, err)
	}
	server := startTestServer(t, func(options *httpapi.Options) {
		var tokens []httpapi.Token
		for role, token := range testTokens {
			tokens = append(tokens, httpapi.Token{Name: "test-" + string(role), Role: role, Token: token})
		}
		tokens = append(tokens, httpapi.Token{Name: "clerk-b", Role: httpapi.RoleClerk, Token: clerkBToken})
		checked, err := httpapi.NewTokens(tokens)
		if err != nil {
			t.Fatal(err)
		}
		options.Tokens = checked
	})
	clerkA := server.Tokens[httpapi.RoleClerk]
	ctx, cancel := context.WithTimeout(context.Background(), outboxHolderTestSeconds*time.Second)
	defer cancel()
	browser := page{t: t, tab: startBrowser(ctx, t).tab}
	formShownAs := func(name string) string {
		return fmt.Sprintf(`!document.getElementById("entry-card").hidden && document.getElementById("f-county").options.length > 1 && `+
			`document.getElementById("role").textContent.endsWith(" · %s")`, name)
	}
	browser.do("open the dashboard as clerk A", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(server.URL+"/?token="+clerkA))
	browser.waitFor("entry form shown", formShownAs("test-clerk"), 60*time.Second)
	donate := func(id string) {
		t.Helper()
		browser.do("enter donation "+id, setType("donation"),
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
	signIn := func(who, token string) {
		t.Helper()
		browser.waitFor("sign-in shown", `!document.getElementById("login").hidden`, 60*time.Second)
		browser.do("sign in as "+who, chromedp.SetValue(chromedp.ID("token-input"), token),
			chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)))
		browser.waitFor("entry form shown to "+who, formShownAs(who), 60*time.Second)
	}
	// kept counts the outbox's entries on the device, by holder.
	kept := func() map[string]int {
		t.Helper()
		counted, err := chromedp.Run(browser.tab, chromedp.Evaluate[string](`new Promise((resolve, reject) => {
			const opening = indexedDB.open("ledger-outbox", 1);
			opening.onerror = () => reject(opening.error);
			opening.onsuccess = () => {
				const all = opening.result.transaction("entries").objectStore("entries").getAll();
				all.onerror = () => reject(all.error);
				all.onsuccess = () => {
					const counts = {};
					for (const item of all.result) counts[item.holder || ""] = (counts[item.holder || ""] || 0) + 1;
					opening.result.close();
					resolve(JSON.stringify(counts));
				};
			};
		})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("reading the outbox: %v", err)
		}
		counts := map[string]int{}
		if err := json.Unmarshal([]byte(counted), &counts); err != nil {
			t.Fatalf("outbox counts %s: %v", counted, err)
		}
		return counts
	}

	setOffline(t, browser.tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 60*time.Second)
	donate("D-A-1")
	browser.waitFor("one waiting", `document.getElementById("outbox").dataset.waiting === "1"`, 60*time.Second)
	donate("D-A-2")
	browser.waitFor("two waiting", `document.getElementById("outbox").dataset.waiting === "2"`, 60*time.Second)

	// Signing out asks first, in Chinese; cancelled, A is still signed in.
	browser.do("sign out", chromedp.Click(chromedp.ID("sign-out")))
	browser.waitFor("asked", `document.getElementById("sign-out-dialog").open`, 60*time.Second)
	if asked := browser.eval("question", `document.getElementById("sign-out-dialog").textContent.replace(/\s+/g, " ").trim()`); asked !=
		"还有未发送的记录 您离线录入的 2 条记录还没有写入台账。保留：记录留在本设备上，您下次登录后自动发送，其他人登录时既不发送也不显示；删除：这些记录不会写入台账。 "+
			"保留，下次登录后发送 删除这些记录 取消" {
		t.Errorf("signing out with two entries waiting asks %q", asked)
	}
	browser.do("cancel", chromedp.Click(chromedp.ID("sign-out-cancel")))
	browser.waitFor("still signed in", `!document.getElementById("sign-out-dialog").open && !document.getElementById("entry-card").hidden && `+
		`document.getElementById("outbox").dataset.waiting === "2"`, 60*time.Second)
	browser.do("sign out", chromedp.Click(chromedp.ID("sign-out")))
	browser.waitFor("asked", `document.getElementById("sign-out-dialog").open`, 60*time.Second)
	browser.do("keep them", chromedp.Click(chromedp.ID("sign-out-keep")))
	browser.waitFor("signed out", `!document.getElementById("login").hidden && !document.getElementById("sign-out-dialog").open && `+
		`document.getElementById("outbox-list").children.length === 0`, 60*time.Second)
	if counts := kept(); counts["test-clerk"] != 2 || len(counts) != 1 {
		t.Fatalf("after A kept them the outbox holds %v, want A's two", counts)
	}

	// The network back, the next person at the computer opens the
	// dashboard afresh and signs in.
	setOffline(t, browser.tab, false)
	browser.waitFor("online", `navigator.onLine === true`, 60*time.Second)
	browser.do("open the dashboard afresh", chromedp.Navigate(server.URL+"/"))
	signIn("clerk-b", clerkBToken)
	if shown := browser.eval("B's outbox", `String(document.getElementById("outbox").hidden) + " " + document.getElementById("outbox-list").children.length`); shown != "true 0" {
		t.Errorf("clerk B is shown the outbox as %q, want it hidden and empty", shown)
	}
	// B's own entry, made offline, is sent when the network returns: the
	// sending that would have sent A's older entries first has run.
	setOffline(t, browser.tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 60*time.Second)
	donate("D-B-1")
	browser.waitFor("B's one waiting", `document.getElementById("outbox").dataset.waiting === "1" && `+
		`document.getElementById("outbox-list").children.length === 1`, 60*time.Second)
	setOffline(t, browser.tab, false)
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		if recorded := recordedDonations(t, server); recorded["D-B-1"] == "" {
			return fmt.Errorf("B's donation is not recorded: the log holds %v", recorded)
		}
		return nil
	})
	browser.waitFor("B's outbox empty", `document.getElementById("outbox").hidden`, 60*time.Second)
	if recorded := recordedDonations(t, server); len(recorded) != 1 || recorded["D-B-1"] != "clerk-b" {
		t.Fatalf("after clerk B signed in the log holds %v (donation: actor), want B's D-B-1 alone, as clerk-b's", recorded)
	}
	if counts := kept(); counts["test-clerk"] != 2 || len(counts) != 1 {
		t.Fatalf("after B signed in the outbox holds %v, want A's two", counts)
	}

	// B signs out with nothing waiting, unasked; A signs in again, and
	// A's entries are sent, as A's.
	browser.do("B signs out", chromedp.Click(chromedp.ID("sign-out")))
	browser.waitFor("B signed out", `!document.getElementById("login").hidden && !document.getElementById("sign-out-dialog").open`, 60*time.Second)
	signIn("test-clerk", clerkA)
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		if recorded := recordedDonations(t, server); len(recorded) != 3 {
			return fmt.Errorf("the log holds %v, want A's two and B's one", recorded)
		}
		return nil
	})
	browser.waitFor("A's outbox empty", `document.getElementById("outbox").hidden`, 60*time.Second)
	want := map[string]string{"D-A-1": "test-clerk", "D-A-2": "test-clerk", "D-B-1": "clerk-b"}
	if recorded := recordedDonations(t, server); len(recorded) != 3 || recorded["D-A-1"] != want["D-A-1"] || recorded["D-A-2"] != want["D-A-2"] ||
		recorded["D-B-1"] != want["D-B-1"] {
		t.Fatalf("the log holds %v, want %v", recorded, want)
	}
	if counts := kept(); len(counts) != 0 {
		t.Fatalf("after A's entries were sent the outbox holds %v", counts)
	}

	// Discarded at sign-out, in English, they are gone from the device.
	browser.do("switch to English", chromedp.Click(chromedp.ID("lang-toggle")))
	setOffline(t, browser.tab, true)
	browser.waitFor("offline", `navigator.onLine === false`, 60*time.Second)
	donate("D-A-3")
	browser.waitFor("one waiting", `document.getElementById("outbox").dataset.waiting === "1"`, 60*time.Second)
	browser.do("sign out", chromedp.Click(chromedp.ID("sign-out")))
	browser.waitFor("asked", `document.getElementById("sign-out-dialog").open`, 60*time.Second)
	if asked := browser.eval("question", `document.getElementById("sign-out-warning").textContent`); asked !=
		"Entries you made offline that have not reached the ledger: 1. Keep them on this device and they are sent when you next sign in "+
			"(never sent or shown under anyone else's sign-in); discard them and they are not recorded." {
		t.Errorf("signing out in English asks %q", asked)
	}
	browser.do("discard them", chromedp.Click(chromedp.ID("sign-out-discard")))
	browser.waitFor("signed out", `!document.getElementById("login").hidden && !document.getElementById("sign-out-dialog").open`, 60*time.Second)
	if counts := kept(); len(counts) != 0 {
		t.Fatalf("after A discarded them the outbox holds %v", counts)
	}
	if recorded := recordedDonations(t, server); recorded["D-A-3"] != "" || len(recorded) != 3 {
		t.Fatalf("the discarded donation reached the log: %v", recorded)
	}

	// An entry kept before the outbox knew its holder is nobody's to send:
	// B is shown it held back, and may discard it (or load it into the
	// form and send it as B's own).
	setOffline(t, browser.tab, false)
	browser.waitFor("online", `navigator.onLine === true`, 60*time.Second)
	if _, err := chromedp.Run(browser.tab, chromedp.Evaluate[bool](`new Promise((resolve, reject) => {
		const opening = indexedDB.open("ledger-outbox", 1);
		opening.onerror = () => reject(opening.error);
		opening.onsuccess = () => {
			const body = JSON.stringify({ type: "donation_received", county: "150626", occurred_at: "2022-06-30T11:00:00+08:00",
				idempotency_key: "old-outbox-key-1", data: { donation_id: "D-OLD-1", campaign: "general", donor_kind: "enterprise",
				donor_organisation: "乌审旗某公司", form: "money", amount: "66.00" } });
			const transaction = opening.result.transaction("entries", "readwrite");
			transaction.objectStore("entries").put({ key: "old-outbox-key-1", body, created: 1, refused: null });
			transaction.oncomplete = () => { opening.result.close(); resolve(true); };
			transaction.onerror = () => reject(transaction.error);
		};
	})`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("keeping an entry as the outbox did before: %v", err)
	}
	signIn("clerk-b", clerkBToken)
	browser.waitFor("held back", `document.getElementById("outbox").dataset.refused === "1" && document.getElementById("outbox").dataset.waiting === "0"`,
		60*time.Second)
	if why := browser.eval("why", `document.querySelector("#outbox-list li.refused .why").textContent`); why !=
		"Made by someone unknown (kept before this device's update): it is not sent by itself; load it into the form to send it as yours, or discard it" {
		t.Errorf("an entry without a holder is shown with %q", why)
	}
	// The list is drawn again as the page learns who is signed in, so the
	// button is found and clicked in one step, again until it is gone.
	browser.waitFor("discarded", `(() => {
		const discard = document.querySelector('#outbox-list li.refused button[data-action="discard"]');
		if (discard) discard.click();
		return document.getElementById("outbox").hidden;
	})()`, 60*time.Second)
	if counts := kept(); len(counts) != 0 {
		t.Fatalf("after B discarded it the outbox holds %v", counts)
	}
	if recorded := recordedDonations(t, server); recorded["D-OLD-1"] != "" || len(recorded) != 3 {
		t.Fatalf("an entry without a holder reached the log: %v", recorded)
	}
}
