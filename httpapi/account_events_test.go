package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// Bank accounts' events (bank lines, statement imports, match decisions,
// write-offs) are the reconciliation's: a clerk, who may not read the
// reconciliation, does not read them in the log either — they are left
// out of a listing, and asking for their type is refused naming who reads
// them — while a period's close, which every clerk's entries answer to,
// and an erasure stay in the log. Finance, auditors and admins list them all. A clerk
// read the bank line's account, amount and remark through the log.
func TestClerksDoNotReadTheBanksLinesInTheLog(t *testing.T) {
	server := startPersonalServer(t)
	closeMay := `{"type":"period_closed","county":"150600","occurred_at":"2022-05-31T18:00:00+08:00","data":{"month":"2022-05"}}`
	if got := call(t, "POST", server.URL+"/api/v1/events", "admin-plain-0123456789", closeMay); got.status != 201 {
		t.Fatalf("close May: %d %s", got.status, got.body)
	}
	if _, _, err := server.Ledger.Forget(context.Background(), "donor-2", "本人申请删除", "admin"); err != nil {
		t.Fatal(err)
	}
	types := func(token, query string) []string {
		t.Helper()
		got := call(t, "GET", server.URL+"/api/v1/events?limit=100"+query, token, "")
		var log struct {
			Events []struct{ Event struct{ Type string } }
		}
		if got.status != 200 || json.Unmarshal(got.body, &log) != nil {
			t.Fatalf("%s lists %s: %d %s", token, query, got.status, got.body)
		}
		var listed []string
		for _, stored := range log.Events {
			listed = append(listed, stored.Event.Type)
		}
		return listed
	}
	clerk := types("clerk-token-0123456789", "")
	if strings.Join(clerk, ",") != "donation_received,donation_pledged,period_closed,subject_erased" {
		t.Errorf("the clerk lists %v, want the campaigns' entries, the period's close and the erasure", clerk)
	}
	for _, eventType := range []string{"bank_line_imported", "statement_imported", "match_confirmed", "bank_line_written_off"} {
		got := call(t, "GET", server.URL+"/api/v1/events?type="+eventType, "clerk-token-0123456789", "")
		if got.status != 403 || !strings.Contains(string(got.body), `"code":"forbidden"`) ||
			!strings.Contains(string(got.body), "finance, auditors and admins") {
			t.Errorf("a clerk asking for %s: %d %s", eventType, got.status, got.body)
		}
	}
	for _, token := range []string{"finance-plain-0123456789", "auditor-plain-0123456789", "admin-plain-0123456789"} {
		if listed := types(token, ""); len(listed) != 5 || listed[2] != "bank_line_imported" {
			t.Errorf("%s lists %v, want the bank line too", token, listed)
		}
		if listed := types(token, "&type=bank_line_imported"); len(listed) != 1 {
			t.Errorf("%s lists bank lines %v", token, listed)
		}
	}
}

// A clerk does not read a bank line through its audit trail or its trace
// either: asked for by its line id or its event id, it is refused naming
// who reads it, as the listing refuses its type, and the refusal names
// neither the account nor the line's amount or remark; a region's history
// leaves the bank lines out. Finance, auditors and admins read them all.
// A clerk's audit of L-P-1 answered the line (account, amount, remark),
// and its trace was a 404 naming the account.
func TestClerksDoNotAuditOrTraceTheBanksLines(t *testing.T) {
	server := startPersonalServer(t)
	const clerk, account = "clerk-token-0123456789", "icbc-0602001109000012345"
	listed := call(t, "GET", server.URL+"/api/v1/events?type=bank_line_imported", "finance-plain-0123456789", "")
	var log struct {
		Events []struct{ Event struct{ ID string } }
	}
	if listed.status != 200 || json.Unmarshal(listed.body, &log) != nil || len(log.Events) != 1 {
		t.Fatalf("finance lists the bank line: %d %s", listed.status, listed.body)
	}
	for _, path := range []string{"/api/v1/audit/L-P-1", "/api/v1/trace/L-P-1", "/api/v1/audit/" + log.Events[0].Event.ID} {
		got := call(t, "GET", server.URL+path, clerk, "")
		body := string(got.body)
		if got.status != 403 || !strings.Contains(body, `"code":"forbidden"`) || !strings.Contains(body, "finance, auditors and admins") {
			t.Errorf("a clerk's %s: %d %s, want 403 naming who reads it", path, got.status, body)
		}
		for _, secret := range []string{account, "300.00", "捐款", "CN-20220620-0001"} {
			if strings.Contains(body, secret) {
				t.Errorf("a clerk's %s shows %q: %s", path, secret, body)
			}
		}
	}
	if got := call(t, "GET", server.URL+"/api/v1/audit/"+account, clerk, ""); got.status == 200 || strings.Contains(string(got.body), "bank_line_imported") {
		t.Errorf("a clerk's audit of the account: %d %s", got.status, got.body)
	}
	if got := call(t, "GET", server.URL+"/api/v1/audit/D-P-1", clerk, ""); got.status != 200 || !strings.Contains(string(got.body), "donation_received") {
		t.Errorf("a clerk's audit of a donation: %d %s", got.status, got.body)
	}
	region := call(t, "GET", server.URL+"/api/v1/audit/150600", clerk, "")
	if region.status != 200 || strings.Contains(string(region.body), "bank_line_imported") || strings.Contains(string(region.body), account) {
		t.Errorf("a clerk's audit of the region: %d %s, want its history without the bank line", region.status, region.body)
	}
	for _, token := range []string{"finance-plain-0123456789", "auditor-plain-0123456789", "admin-plain-0123456789"} {
		for _, path := range []string{"/api/v1/audit/L-P-1", "/api/v1/audit/150600"} {
			if got := call(t, "GET", server.URL+path, token, ""); got.status != 200 || !strings.Contains(string(got.body), "bank_line_imported") {
				t.Errorf("%s's %s: %d %s, want the bank line", token, path, got.status, got.body)
			}
		}
		if got := call(t, "GET", server.URL+"/api/v1/trace/L-P-1", token, ""); got.status != 404 {
			t.Errorf("%s's trace of a bank line: %d %s, want 404 (it is not money a campaign traces)", token, got.status, got.body)
		}
	}
}

// A clerk's page of the log reads at most ScannedEventsMax events of it,
// listed or left out: on a log made mostly of bank lines, a page that
// finds nothing to list within them answers what it found (nothing), that
// it stopped there (scan_limited) and where to go on (next_after), and
// the clerk pages on to the entries beyond. A clerk's page of one read the
// whole run of bank lines to find the next entry.
func TestAClerksPageReadsABoundedPartOfTheLog(t *testing.T) {
	const scanned = 5
	server := startTestServer(t, func(options *httpapi.Options) { options.ScannedEventsMax = scanned })
	clerk, finance := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleFinance]
	donation := func(id string) string {
		return `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","data":{"donation_id":"` + id +
			`","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"100.00"}}`
	}
	var lines []string
	for i := range 12 {
		lines = append(lines, fmt.Sprintf(`{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00",`+
			`"data":{"account":"icbc-0602001109000012345","line_id":"L-S-%d","serial":"CN-%d","booked_on":"2022-06-20","amount":"300.00","remark":"捐款"}}`, i, i))
	}
	for _, entry := range []struct{ token, body string }{
		{clerk, donation("D-S-1")}, {finance, "[" + strings.Join(lines, ",") + "]"}, {clerk, donation("D-S-2")},
	} {
		if entry.token == finance {
			// Bank lines are the statement import's.
			recordMade(t, server, "test-finance", entry.body)
			continue
		}
		if got := call(t, "POST", server.URL+"/api/v1/events", entry.token, entry.body); got.status != 201 {
			t.Fatalf("record: %d %s", got.status, got.body)
		}
	}
	type page struct {
		Events []struct {
			Position uint64
			Event    struct{ Type string }
		}
		NextAfter   uint64 `json:"next_after"`
		ScanLimited bool   `json:"scan_limited"`
	}
	list := func(token string, after uint64) page {
		t.Helper()
		got := call(t, "GET", fmt.Sprintf("%s/api/v1/events?limit=1&after=%d", server.URL, after), token, "")
		var answer page
		if got.status != 200 || json.Unmarshal(got.body, &answer) != nil {
			t.Fatalf("list after %d: %d %s", after, got.status, got.body)
		}
		return answer
	}
	// D-S-1 is at position 1, the bank lines at 2 to 13, D-S-2 at 14.
	after, pages := uint64(1), 0
	for {
		answer := list(clerk, after)
		if pages++; pages > 5 {
			t.Fatalf("the clerk paged %d times without reaching D-S-2", pages)
		}
		if answer.NextAfter <= after || answer.NextAfter > after+scanned {
			t.Fatalf("a page after %d goes on after %d: it must read 1 to %d events", after, answer.NextAfter, scanned)
		}
		if len(answer.Events) == 0 {
			if !answer.ScanLimited {
				t.Fatalf("an empty page after %d does not say it stopped at the scan bound: %+v", after, answer)
			}
			after = answer.NextAfter
			continue
		}
		if answer.Events[0].Position != 14 || answer.Events[0].Event.Type != "donation_received" || answer.NextAfter != 14 {
			t.Fatalf("the clerk's page after %d: %+v, want D-S-2 at 14", after, answer)
		}
		break
	}
	if pages != 3 {
		t.Errorf("the clerk reached D-S-2 in %d pages, want 3 (5 events read, 5, then 3)", pages)
	}
	if end := list(clerk, 14); len(end.Events) != 0 || end.ScanLimited || end.NextAfter != 14 {
		t.Errorf("the page after the log's end: %+v, want nothing, not scan-limited, next after 14", end)
	}
	if first := list(finance, 1); len(first.Events) != 1 || first.Events[0].Event.Type != "bank_line_imported" || first.NextAfter != 2 || first.ScanLimited {
		t.Errorf("finance's page after 1: %+v, want the first bank line", first)
	}
}

// A clerk's void that names a bank line, by its log position or its line
// id, is refused without the bank event's id: a reviewer read every bank
// event's id (and so, from its time-ordered UUID, when finance acted)
// through such refusals, one request each.
func TestClerksVoidsDoNotNameTheBanksEvents(t *testing.T) {
	server := startPersonalServer(t)
	got := call(t, "GET", server.URL+"/api/v1/events?type=bank_line_imported", "finance-plain-0123456789", "")
	var log struct {
		Events []struct {
			Position uint64
			Event    struct{ ID string }
		}
	}
	if got.status != 200 || json.Unmarshal(got.body, &log) != nil || len(log.Events) != 1 {
		t.Fatalf("finance lists the bank lines: %d %s", got.status, got.body)
	}
	line := log.Events[0]
	for _, target := range []string{fmt.Sprint(line.Position), "L-P-1"} {
		void := `{"type":"entry_voided","county":"150626","occurred_at":"2022-06-21T09:00:00+08:00","idempotency_key":"v-` + target +
			`","data":{"campaign":"2022-summer-cooling","target_event_id":"` + target + `","reason":"x"}}`
		reply := call(t, "POST", server.URL+"/api/v1/events", "clerk-token-0123456789", void)
		if reply.status < 400 || strings.Contains(string(reply.body), line.Event.ID) {
			t.Errorf("a clerk's void of %s: %d %s; want a refusal without the bank event's id %s", target, reply.status, reply.body, line.Event.ID)
		}
	}
}
