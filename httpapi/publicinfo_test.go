package httpapi_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/httpapi"
)

// The metrics count requests per route, the reconciliation's too, and give
// the log head: without a token, or to a role that may not read every
// event, they would tell when finance acts and how many events the log
// holds. Only finance, auditors and admins read them, unless the operator
// publishes them for a Prometheus on a trusted network.
func TestMetricsNeedAFinanceAuditorOrAdminToken(t *testing.T) {
	server := startTestServer(t)
	cases := []struct {
		token  string
		status int
		want   string
	}{
		{"", 401, "unauthorized"},
		{"wrong-token-0123456789", 401, "unauthorized"},
		{server.Tokens[httpapi.RoleViewer], 403, "--metrics-public"},
		{server.Tokens[httpapi.RoleClerk], 403, "--metrics-public"},
		{server.Tokens[httpapi.RoleFinance], 200, "ledger_log_head"},
		{server.Tokens[httpapi.RoleAuditor], 200, "ledger_log_head"},
		{server.Tokens[httpapi.RoleAdmin], 200, `route="GET /metrics"`},
	}
	for i, tc := range cases {
		got := call(t, "GET", server.URL+"/metrics", tc.token, "")
		if got.status != tc.status || !strings.Contains(string(got.body), tc.want) {
			t.Errorf("case %d: GET /metrics %d %s; want %d containing %s", i, got.status, got.body, tc.status, tc.want)
		}
	}
	public := startTestServer(t, func(options *httpapi.Options) { options.MetricsPublic = true })
	if got := call(t, "GET", public.URL+"/metrics", "", ""); got.status != 200 || !strings.Contains(string(got.body), "ledger_appends_total") {
		t.Errorf("published metrics without a token: %d %s", got.status, got.body)
	}
}

// Without a token, /readyz and /healthz say ready or not and why, naming
// no position and no count; a valid token of any role gets the detail.
func TestReadinessWithoutATokenNamesNoPosition(t *testing.T) {
	server := startTestServer(t)
	viewer := server.Tokens[httpapi.RoleViewer]
	for i := range 3 {
		if got := call(t, "POST", server.URL+"/api/v1/events", server.Tokens[httpapi.RoleClerk], donation(fmt.Sprintf("k-%d", i), fmt.Sprintf("D-%d", i), "1.00")); got.status != 201 {
			t.Fatalf("record: %d %s", got.status, got.body)
		}
	}
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		got := call(t, "GET", server.URL+"/readyz", viewer, "")
		if got.status != 200 || !strings.Contains(string(got.body), `"position":3`) || !strings.Contains(string(got.body), `"head":3`) {
			return fmt.Errorf("readyz with a token: %d %s", got.status, got.body)
		}
		return nil
	})
	// A wrong token is answered as no token.
	for _, token := range []string{"", "wrong-token-0123456789"} {
		if got := call(t, "GET", server.URL+"/readyz", token, ""); got.status != 200 || strings.TrimSpace(string(got.body)) != `{"ready":true}` {
			t.Errorf("readyz with token %q: %d %s, want only {\"ready\":true}", token, got.status, got.body)
		}
		if got := call(t, "GET", server.URL+"/healthz", token, ""); got.status != 200 || strings.TrimSpace(string(got.body)) != `{"status":"ok"}` {
			t.Errorf("healthz with token %q: %d %s", token, got.status, got.body)
		}
	}

	// The history guard's reason names message counts: only a token
	// hears it.
	var problem atomic.Pointer[error]
	server.API.SetHealthCheck(func() error {
		if err := problem.Load(); err != nil {
			return *err
		}
		return nil
	})
	shrunk := errors.New("stream LEDGER holds 3 messages but held 4")
	problem.Store(&shrunk)
	got := call(t, "GET", server.URL+"/readyz", "", "")
	if got.status != 503 || !strings.Contains(string(got.body), `"ready":false`) || strings.ContainsAny(string(got.body), "0123456789") {
		t.Errorf("unready readyz without a token: %d %s, want a reason without numbers", got.status, got.body)
	}
	got = call(t, "GET", server.URL+"/readyz", viewer, "")
	if got.status != 503 || !strings.Contains(string(got.body), "holds 3 messages but held 4") {
		t.Errorf("unready readyz with a token: %d %s, want the guard's reason", got.status, got.body)
	}
}

// A wrong token sent to /readyz counts as a failed login: the detail a
// valid token gets there is no way round the limit on guessing tokens.
func TestReadinessCountsWrongTokensAsFailedLogins(t *testing.T) {
	server := startTestServer(t)
	for i := range 20 {
		if got := call(t, "GET", server.URL+"/readyz", fmt.Sprintf("guess-%04d-0123456789", i), ""); strings.Contains(string(got.body), "position") {
			t.Fatalf("readyz with a wrong token %d: %d %s", i, got.status, got.body)
		}
	}
	got := call(t, "GET", server.URL+"/api/v1/whoami", server.Tokens[httpapi.RoleViewer], "")
	if code, _ := got.errorOf(t); got.status != 429 || code != "too_many_failed_logins" {
		t.Fatalf("a valid token after 20 wrong ones on /readyz: %d %s", got.status, got.body)
	}
	// The refused address still hears whether the ledger is ready, as
	// anyone does, without the detail.
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		got := call(t, "GET", server.URL+"/readyz", server.Tokens[httpapi.RoleViewer], "")
		if got.status != 200 || strings.TrimSpace(string(got.body)) != `{"ready":true}` {
			return fmt.Errorf("readyz from the refused address: %d %s", got.status, got.body)
		}
		return nil
	})
}

// The known limit README states: positions are the log's, shown to every
// role as the live stream's resume cursor and the figures' as-of, so a
// viewer sees them advance over finance's events it may not read, and can
// tell that finance recorded something and how many events.
func TestViewersSeeLogPositionsAdvanceOverFinanceEvents(t *testing.T) {
	server := startTestServer(t)
	viewer := server.Tokens[httpapi.RoleViewer]
	// Bank lines are the statement import's to record, so they are
	// written as it writes them, through the service.
	for i := 1; i <= 2; i++ {
		recordMade(t, server, "finance", fmt.Sprintf(`{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00","idempotency_key":"f-%d","data":{"account":"icbc-0602001109000012345","line_id":"L-F-%d","serial":"CN-20220620-000%d","booked_on":"2022-06-20","amount":"300.00","remark":"捐款","statement":"icbc-2022-06.csv"}}`, i, i, i))
	}
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		projections := call(t, "GET", server.URL+"/api/v1/projections", viewer, "")
		totals := call(t, "GET", server.URL+"/api/v1/totals", viewer, "")
		if !strings.Contains(string(projections.body), `"head":2`) || !strings.Contains(string(totals.body), `"position":2`) {
			return fmt.Errorf("a viewer's projections %s and totals %s do not show position 2", projections.body, totals.body)
		}
		return nil
	})
}
