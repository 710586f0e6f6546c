package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/httpapi"
)

// The printable monthly report comes over the API as an HTML file bound to
// the newest signed checkpoint, to every role that reads totals; without a
// signed checkpoint, or for a month that is not one, the answer says why.
func TestMonthReportOverHTTP(t *testing.T) {
	ctx := context.Background()
	server := startTestServer(t)
	viewer := server.Tokens[httpapi.RoleViewer]
	june := time.Date(2022, 6, 15, 9, 0, 0, 0, domain.Beijing)
	donation := eventstoretest.Donation("general", "150626", "D-R-1", 500_000)
	donation.OccurredAt = june
	if _, err := server.Service.Record(ctx, []domain.Event{donation}); err != nil {
		t.Fatal(err)
	}
	url := server.URL + "/api/v1/reports/month/2022-06?county=150626"
	if reply := call(t, "GET", url, viewer, ""); reply.status != http.StatusNotFound || !strings.Contains(string(reply.body), "no signed checkpoint yet") {
		t.Fatalf("report without a signed checkpoint: %d %s", reply.status, reply.body)
	}
	signCheckpoint(t, server)
	reply := call(t, "GET", url, viewer, "")
	if reply.status != http.StatusOK || !strings.HasPrefix(reply.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(reply.header.Get("Content-Disposition"), `filename="report-2022-06.html"`) {
		t.Fatalf("report: %d %v", reply.status, reply.header)
	}
	page := string(reply.body)
	for _, want := range []string{`data-key="150626/received">5,000.00<`, `<meta name="ledger-report-seal" content="ledger-report/4 month=2022-06 county=150626 `, "鄂尔多斯市总工会"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the report lacks %q", want)
		}
	}
	if policy := reply.header.Get("Content-Security-Policy"); !strings.Contains(policy, "default-src 'none'") || strings.Contains(policy, "script-src") {
		t.Fatalf("the report's policy %q must allow no script", policy)
	}
	if english := call(t, "GET", url+"&lang=en", viewer, ""); !strings.Contains(string(english.body), "Monthly report") {
		t.Fatalf("the English report: %d", english.status)
	}
	for _, bad := range []struct{ url, field string }{
		{server.URL + "/api/v1/reports/month/2022-6", "month"},
		{server.URL + "/api/v1/reports/month/2022-06?county=999999", "county"},
	} {
		reply := call(t, "GET", bad.url, viewer, "")
		code, violations := reply.errorOf(t)
		if reply.status != http.StatusBadRequest || code != "invalid" || len(violations) != 1 || violations[0]["field"] != bad.field {
			t.Fatalf("GET %s: %d %s, want a violation of %s", bad.url, reply.status, reply.body, bad.field)
		}
	}
	if reply := call(t, "GET", url, "", ""); reply.status != http.StatusUnauthorized {
		t.Fatalf("report without a token: %d", reply.status)
	}
}
