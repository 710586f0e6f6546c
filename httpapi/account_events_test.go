package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
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
	for _, body := range []string{
		`{"type":"period_closed","county":"150600","occurred_at":"2022-05-31T18:00:00+08:00","data":{"month":"2022-05"}}`,
		`{"type":"subject_erased","county":"150600","occurred_at":"2022-06-21T00:00:00+08:00","data":{"subject_id":"donor-2","reason":"本人申请删除"}}`,
	} {
		if got := call(t, "POST", server.URL+"/api/v1/events", "admin-plain-0123456789", body); got.status != 201 {
			t.Fatalf("record %s: %d %s", body, got.status, got.body)
		}
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
