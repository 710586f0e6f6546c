package httpapi_test

import (
	"slices"
	"testing"
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
