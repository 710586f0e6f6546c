package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// A read of the reconciliation, its export or the pledges with the grant
// is recorded naming whose data it showed, as a read of the log is: the
// reconciliation and its export show the individual donor (donor-1), the
// individual pledging (donor-2) and the bank line's sender (sender-1); the
// pledges show only the pledge. They were recorded with no subjects.
func TestFinanceReadsRecordWhoseData(t *testing.T) {
	server := startPersonalServer(t)
	const granted, auditor = "finance-granted-0123456789", "auditor-granted-0123456789"
	want := map[string][]string{
		"/api/v1/reconciliation":                   {"donor-1", "donor-2", "sender-1"},
		"/api/v1/reconciliation/export?format=csv": {"donor-1", "donor-2", "sender-1"},
		"/api/v1/pledges":                          {"donor-2"},
	}
	for route, subjects := range want {
		before := len(accessRecords(t, server, auditor))
		if got := call(t, "GET", server.URL+route, granted, ""); got.status != 200 {
			t.Fatalf("%s: %d %s", route, got.status, got.body)
		}
		records := accessRecords(t, server, auditor)
		if len(records) != before+1 {
			t.Fatalf("%s: %d access records, then %d; want one more", route, before, len(records))
		}
		record := records[len(records)-1]
		got := slices.Clone(record.Subjects)
		slices.Sort(got)
		if record.Reader != "finance-granted" || !slices.Equal(got, subjects) {
			t.Errorf("%s was recorded as %s's read of %v, want finance-granted's of %v", route, record.Reader, record.Subjects, subjects)
		}
	}
}

// A confirmed match whose donation was voided since is listed with its
// lines, their senders' names and accounts shown to a reader with the
// grant, so the read is recorded naming them too. The voided matches were
// left out of the subjects: the sender of the bank line (sender-1) was
// shown and not recorded.
func TestReadingAVoidedMatchRecordsItsSenders(t *testing.T) {
	server := startPersonalServer(t)
	const granted, auditor = "finance-granted-0123456789", "auditor-granted-0123456789"
	donation := call(t, "POST", server.URL+"/api/v1/events", "clerk-token-0123456789",
		`{"type":"donation_received","county":"150600","occurred_at":"2022-06-19T09:30:00+08:00","data":{"donation_id":"D-V-1","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"300.00"}}`)
	var recorded struct {
		Results []struct {
			EventID string `json:"event_id"`
		}
	}
	if donation.status != 201 || json.Unmarshal(donation.body, &recorded) != nil || len(recorded.Results) != 1 {
		t.Fatalf("record the donation: %d %s", donation.status, donation.body)
	}
	for _, entry := range []struct{ token, body string }{
		{granted, `{"type":"match_confirmed","county":"150600","occurred_at":"2022-06-21T09:00:00+08:00","data":{"account":"icbc-0602001109000012345","match_id":"M-V-1","line_ids":["L-P-1"],"donations":[{"donation_id":"D-V-1","campaign":"general","amount":"300.00"}],"rule":"manual"}}`},
		{"clerk-token-0123456789", `{"type":"entry_voided","county":"150600","occurred_at":"2022-06-22T09:00:00+08:00","data":{"campaign":"general","target_event_id":"` + recorded.Results[0].EventID + `","reason":"录错"}}`},
	} {
		if entry.token == granted {
			// A match is the decisions use case's.
			recordMade(t, server, "finance-granted", entry.body)
			continue
		}
		if got := call(t, "POST", server.URL+"/api/v1/events", entry.token, entry.body); got.status != 201 {
			t.Fatalf("record %s: %d %s", entry.body, got.status, got.body)
		}
	}
	var answer struct {
		Reconciliation struct {
			VoidedMatches []struct{ ID string } `json:"voided_matches"`
		}
	}
	var body []byte
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		got := call(t, "GET", server.URL+"/api/v1/reconciliation", granted, "")
		body = got.body
		if got.status != 200 || json.Unmarshal(got.body, &answer) != nil ||
			len(answer.Reconciliation.VoidedMatches) != 1 || answer.Reconciliation.VoidedMatches[0].ID != "M-V-1" {
			return fmt.Errorf("the reconciliation does not list the voided match: %d %s", got.status, got.body)
		}
		return nil
	})
	if !strings.Contains(string(body), "赵某某") {
		t.Fatalf("the voided match does not show its line's sender to the granted reader: %s", body)
	}
	records := accessRecords(t, server, auditor)
	record := records[len(records)-1]
	if record.Reader != "finance-granted" || !slices.Contains(record.Subjects, "sender-1") {
		t.Errorf("the read of a voided match was recorded as %s's read of %v, want sender-1 among them", record.Reader, record.Subjects)
	}
}
