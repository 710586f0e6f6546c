package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/httpapi"
)

const donationJSON = `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","idempotency_key":"%s","data":{"donation_id":"%s","campaign":"general","donor_kind":"enterprise","donor_organisation":"乌审旗某公司","form":"money","amount":"%s"}}`

func donation(key, id, amount string) string { return fmt.Sprintf(donationJSON, key, id, amount) }

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var value map[string]any
	if err := json.Unmarshal(r.body, &value); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return value
}

// errorOf returns the error code and violations of an error response.
func (r response) errorOf(t *testing.T) (string, []map[string]any) {
	t.Helper()
	body := r.json(t)
	failure, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	var violations []map[string]any
	if list, ok := failure["violations"].([]any); ok {
		for _, item := range list {
			violations = append(violations, item.(map[string]any))
		}
	}
	if message, _ := failure["message"].(string); message == "" {
		t.Fatalf("error without a message: %s", r.body)
	}
	return failure["code"].(string), violations
}

func call(t *testing.T, method, url, token, body string) response {
	t.Helper()
	request, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		request.Header.Set("Authorization", "Bearer "+token)
	}
	request.Header.Set("Content-Type", "application/json")
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	data, err := io.ReadAll(reply.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: reply.StatusCode, body: data, header: reply.Header}
}

func (s *testServer) head(t *testing.T) uint64 {
	t.Helper()
	head, err := s.Store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return head
}

func TestRecordSingleAndBatch(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	created := call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-1", "D-1", "5000.00"))
	if created.status != http.StatusCreated {
		t.Fatalf("single: %d %s", created.status, created.body)
	}
	again := call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-1", "D-1", "5000.00"))
	if again.status != http.StatusOK || !strings.Contains(string(again.body), `"duplicate":true`) {
		t.Fatalf("retry: %d %s", again.status, again.body)
	}
	batch := `{"events":[` + donation("k-2", "D-2", "100.00") + "," + donation("k-3", "D-3", "200.00") + `]}`
	if got := call(t, "POST", server.URL+"/api/v1/events", clerk, batch); got.status != http.StatusCreated || strings.Count(string(got.body), "event_id") != 2 {
		t.Fatalf("batch: %d %s", got.status, got.body)
	}
	array := `[` + donation("k-4", "D-4", "1.00") + `]`
	if got := call(t, "POST", server.URL+"/api/v1/events", clerk, array); got.status != http.StatusCreated {
		t.Fatalf("array: %d %s", got.status, got.body)
	}
	if head := server.head(t); head != 4 {
		t.Fatalf("head = %d, want 4", head)
	}
	// The actor is the token's holder.
	events := call(t, "GET", server.URL+"/api/v1/events?limit=1", clerk, "")
	if !strings.Contains(string(events.body), `"actor":"test-clerk"`) {
		t.Fatalf("actor not taken from the token: %s", events.body)
	}
}

func TestRecordErrors(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	url := server.URL + "/api/v1/events"
	cases := []struct {
		name       string
		token      string
		body       string
		status     int
		code       string
		violations []string
	}{
		{"no token", "", donation("a", "D-1", "1.00"), 401, "unauthorized", nil},
		{"unknown token", "not-a-token-0123456789", donation("a", "D-1", "1.00"), 401, "unauthorized", nil},
		{"viewer may not record", server.Tokens[httpapi.RoleViewer], donation("a", "D-1", "1.00"), 403, "forbidden", nil},
		{"auditor may not record", server.Tokens[httpapi.RoleAuditor], donation("a", "D-1", "1.00"), 403, "forbidden", nil},
		{"float amount", clerk, strings.Replace(donation("a", "D-1", "1.00"), `"1.00"`, `12.5`, 1), 400, "invalid", []string{"data.amount"}},
		{"three decimals", clerk, donation("a", "D-1", "1.005"), 400, "invalid", []string{"data.amount"}},
		{"several violations", clerk, strings.Replace(strings.Replace(donation("a", "", "-1"), "150626", "999999", 1), `"form":"money"`, `"form":"cash"`, 1), 400, "invalid",
			[]string{"county", "data.donation_id", "data.form"}},
		{"batch paths", clerk, `{"events":[` + donation("a", "D-1", "1.00") + "," + donation("b", "D-2", "0") + `]}`, 400, "invalid", []string{"events[1].data.amount"}},
		{"unknown field", clerk, strings.Replace(donation("a", "D-1", "1.00"), `"type"`, `"colour":"red","type"`, 1), 400, "invalid", []string{"colour"}},
		{"someone else's actor", clerk, strings.Replace(donation("a", "D-1", "1.00"), `"type"`, `"actor":"mallory","type"`, 1), 400, "invalid", []string{"actor"}},
		// Every broken rule is reported at once: the actor is one of them.
		{"someone else's actor and more", clerk, strings.Replace(donation("a", "", "1.001"), `"type"`, `"actor":"mallory","type"`, 1), 400, "invalid",
			[]string{"actor", "data.donation_id", "data.amount"}},
		{"someone else's delivery with a number and a fen fraction", clerk, `{"type":"supplies_delivered","actor":"mallory","county":"150626","occurred_at":"2022-06-16T09:30:00+08:00","data":{"delivery_id":"V-1","campaign":"general","site":{"kind":"service-station","name":"站点"},"beneficiary_group":"outdoor-workers","headcount":3,"items":[{"item":"drinking-water","quantity":3,"value":"225.001"}],"spent":225}}`,
			400, "invalid", []string{"actor", "data.spent", "data.items[0].value"}},
		{"someone else's actor in a batch", clerk, `{"events":[` + donation("a", "D-1", "0") + "," +
			strings.Replace(donation("b", "D-2", "1.001"), `"type"`, `"actor":"mallory","type"`, 1) + `]}`, 400, "invalid",
			[]string{"events[0].data.amount", "events[1].actor", "events[1].data.amount"}},
		{"not JSON", clerk, `{"type":`, 400, "invalid", []string{"$"}},
		{"empty batch", clerk, `{"events":[]}`, 400, "invalid", []string{"$"}},
		{"overspend", clerk, `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-06-16T09:30:00+08:00","data":{"delivery_id":"V-1","campaign":"general","site":{"kind":"service-station","name":"站点"},"beneficiary_group":"outdoor-workers","headcount":3,"items":[{"item":"drinking-water","quantity":3,"value":"90.00"}],"spent":"90.00"}}`,
			422, "rejected", nil},
		{"void of an unknown entry", clerk, `{"type":"entry_voided","county":"150626","occurred_at":"2022-06-16T09:30:00+08:00","data":{"campaign":"general","target_event_id":"01a224c9-0000-7000-8000-000000000000","reason":"错误"}}`,
			422, "rejected", []string{"data.target_event_id"}},
		{"body over 8 MiB", clerk, `{"events":[` + strings.Repeat(" ", 8<<20) + `]}`, 413, "too_large", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := call(t, "POST", url, tc.token, tc.body)
			if got.status != tc.status {
				t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.body)
			}
			code, violations := got.errorOf(t)
			if code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
			fields := map[string]bool{}
			for _, violation := range violations {
				fields[violation["field"].(string)] = true
				if violation["rule"] == "" {
					t.Errorf("violation without a rule: %v", violation)
				}
			}
			for _, field := range tc.violations {
				if !fields[field] {
					t.Errorf("no violation for %q in %s", field, got.body)
				}
			}
			if server.head(t) != 0 {
				t.Fatalf("a refused request wrote something")
			}
		})
	}
	// Key reuse with another body.
	if got := call(t, "POST", url, clerk, donation("k", "D-1", "1.00")); got.status != 201 {
		t.Fatalf("setup: %d %s", got.status, got.body)
	}
	got := call(t, "POST", url, clerk, donation("k", "D-1", "2.00"))
	if code, _ := got.errorOf(t); got.status != 409 || code != "idempotency_key_reused" {
		t.Fatalf("key reuse: %d %s", got.status, got.body)
	}
}

func TestReadRoutesAndRoles(t *testing.T) {
	server := startTestServer(t)
	clerk, viewer, auditor := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleViewer], server.Tokens[httpapi.RoleAuditor]
	withDonor := strings.Replace(donation("k-1", "D-1", "5000.00"), `"data"`, `"personal":{"donor":{"name":"王某某","phone":"13900000001"}},"data"`, 1)
	withDonor = strings.Replace(withDonor, `"donor_kind":"enterprise","donor_organisation":"乌审旗某公司"`, `"donor_kind":"individual"`, 1)
	if got := call(t, "POST", server.URL+"/api/v1/events", clerk, withDonor); got.status != 201 {
		t.Fatalf("record: %d %s", got.status, got.body)
	}
	// The live totals follow the log: wait until they have folded the
	// entry in, as the projection's own status says.
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		got := call(t, "GET", server.URL+"/api/v1/projections", viewer, "")
		if !strings.Contains(string(got.body), `"lag_events":0`) || !strings.Contains(string(got.body), `"position":1`) {
			return fmt.Errorf("the totals have not folded the entry in: %s", got.body)
		}
		return nil
	})
	cases := []struct {
		path   string
		token  string
		status int
		want   string
	}{
		{"/healthz", "", 200, `"ok"`},
		{"/api/v1/openapi.json", "", 200, `"openapi"`},
		{"/metrics", "", 401, "unauthorized"},
		{"/metrics", auditor, 200, "ledger_appends_total"},
		{"/api/v1/whoami", viewer, 200, `"viewer"`},
		{"/api/v1/catalog", viewer, 200, `"150626"`},
		{"/api/v1/totals?county=150626", viewer, 200, `"received":"5000.00"`},
		{"/api/v1/totals?by=month&as_of=2022-06-30", viewer, 200, `"period":"2022-06"`},
		{"/api/v1/totals?known_at=2020-01-01", viewer, 200, `"rows":[]`},
		{"/api/v1/totals?by=week", viewer, 400, `"by"`},
		{"/api/v1/totals?as_of=yesterday", viewer, 400, `"as_of"`},
		{"/api/v1/projections", viewer, 200, `"totals"`},
		{"/api/v1/events", viewer, 403, "forbidden"},
		{"/api/v1/events?county=150626", clerk, 200, `"D-1"`},
		{"/api/v1/events?limit=0", clerk, 400, `"limit"`},
		{"/api/v1/events?after=x", clerk, 400, `"after"`},
		{"/api/v1/audit/D-1", clerk, 200, `"donation_received"`},
		{"/api/v1/audit/D-1", viewer, 403, "forbidden"},
		{"/api/v1/audit/no-such-thing", auditor, 404, "not_found"},
		{"/api/v1/trace/D-1", auditor, 200, `"donation"`},
		{"/api/v1/trace/no-such-thing", auditor, 404, "not_found"},
		{"/api/v1/whoami", "", 401, "unauthorized"},
	}
	for _, tc := range cases {
		got := call(t, "GET", server.URL+tc.path, tc.token, "")
		if got.status != tc.status || !strings.Contains(string(got.body), tc.want) {
			t.Errorf("GET %s: %d %s; want %d containing %s", tc.path, got.status, got.body, tc.status, tc.want)
		}
	}
	// Personal data: auditors see it, clerks do not.
	if got := call(t, "GET", server.URL+"/api/v1/events", auditor, ""); !strings.Contains(string(got.body), "王某某") {
		t.Errorf("auditor does not see personal data: %s", got.body)
	}
	if got := call(t, "GET", server.URL+"/api/v1/events", clerk, ""); strings.Contains(string(got.body), "王某某") {
		t.Errorf("clerk sees personal data: %s", got.body)
	}
	// What is stored holds no plaintext: it is sealed per person.
	for record, err := range server.Store.Read(context.Background(), 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(record.Data, []byte("王某某")) || bytes.Contains(record.Data, []byte("13900000001")) || len(record.Event.Sealed) == 0 {
			t.Errorf("stored event holds plaintext or no sealed part: %s", record.Data)
		}
	}
	if got := call(t, "GET", server.URL+"/readyz", "", ""); got.status != 200 && got.status != 503 {
		t.Errorf("readyz: %d", got.status)
	}
}

func TestReadyOnlyWhenCaughtUp(t *testing.T) {
	server := startTestServer(t)
	call(t, "POST", server.URL+"/api/v1/events", server.Tokens[httpapi.RoleClerk], donation("k-1", "D-1", "1.00"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The positions are shown to a token only.
		got := call(t, "GET", server.URL+"/readyz", server.Tokens[httpapi.RoleViewer], "")
		if got.status == 200 && strings.Contains(string(got.body), `"position":1`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 10 s: %d %s", got.status, got.body)
		}
		<-time.After(20 * time.Millisecond)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) {
		options.RateRequestsPerSecond, options.RateBurst = 0.001, 3
	})
	viewer := server.Tokens[httpapi.RoleViewer]
	for i := range 3 {
		if got := call(t, "GET", server.URL+"/api/v1/whoami", viewer, ""); got.status != 200 {
			t.Fatalf("request %d: %d", i, got.status)
		}
	}
	got := call(t, "GET", server.URL+"/api/v1/whoami", viewer, "")
	if code, _ := got.errorOf(t); got.status != 429 || code != "rate_limited" {
		t.Fatalf("fourth request: %d %s", got.status, got.body)
	}
	// Another token has its own bucket.
	if got := call(t, "GET", server.URL+"/api/v1/whoami", server.Tokens[httpapi.RoleClerk], ""); got.status != 200 {
		t.Fatalf("other token: %d", got.status)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	server := startTestServer(t)
	got := call(t, "GET", server.URL+"/api/v1/openapi.json", "", "")
	var document struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(got.body, &document); err != nil || !strings.HasPrefix(document.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	documented := map[string]bool{}
	for path, methods := range document.Paths {
		for method := range methods {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, route := range server.API.Routes() {
		// A Go pattern's rest-of-path wildcard {path...} is OpenAPI's {path}.
		route = strings.ReplaceAll(route, "...}", "}")
		served[route] = true
		if !documented[route] {
			t.Errorf("route %s is not in openapi.json", route)
		}
	}
	var extra []string
	for route := range documented {
		if !served[route] {
			extra = append(extra, route)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("openapi.json documents routes the server does not serve: %v", extra)
	}
}

// liveStream reads Server-Sent Events.
type liveStream struct {
	body   io.ReadCloser
	reader *bufio.Reader
}

type sseEvent struct {
	id, event, data string
}

func openLive(t *testing.T, url string, header http.Header) *liveStream {
	t.Helper()
	request, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, values := range header {
		request.Header[key] = values
	}
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	if reply.StatusCode != 200 || !strings.HasPrefix(reply.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("live: %d %s", reply.StatusCode, reply.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { reply.Body.Close() })
	return &liveStream{body: reply.Body, reader: bufio.NewReader(reply.Body)}
}

// next reads events until one matches, failing after the deadline.
func (l *liveStream) next(t *testing.T, deadline time.Duration, match func(sseEvent) bool) sseEvent {
	t.Helper()
	found := make(chan sseEvent, 1)
	failed := make(chan error, 1)
	go func() {
		var current sseEvent
		for {
			line, err := l.reader.ReadString('\n')
			if err != nil {
				failed <- err
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "id: "):
				current.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				current.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				current.data = strings.TrimPrefix(line, "data: ")
			case line == "":
				if current.event != "" && match(current) {
					found <- current
					return
				}
				current = sseEvent{}
			}
		}
	}()
	select {
	case event := <-found:
		return event
	case err := <-failed:
		t.Fatalf("stream ended: %v", err)
	case <-time.After(deadline):
		t.Fatalf("no matching event within %s", deadline)
	}
	return sseEvent{}
}

// liveWaitSeconds bounds a wait for the live stream's answer: generous,
// for a machine whose cores are busy with other work.
const liveWaitSeconds = 30

// TestLiveTotalsFollowAnAppend: an append reaches a live stream as its
// entry and as the county's new totals, stamped with its log position; a
// stream filtered on another county hears nothing of it. How fast is the
// benchmark's to say (BenchmarkLiveDelivery's LIVE totals line), not a
// test's: the waits here are generous bounds on the system's own answer.
func TestLiveTotalsFollowAnAppend(t *testing.T) {
	server := startTestServer(t)
	viewer, clerk := server.Tokens[httpapi.RoleViewer], server.Tokens[httpapi.RoleClerk]
	stream := openLive(t, server.URL+"/api/v1/live?county=150626&access_token="+viewer, nil)
	stream.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "totals" })
	call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-1", "D-1", "5000.00"))
	entry := stream.next(t, liveWaitSeconds*time.Second, func(e sseEvent) bool { return e.event == "entry" })
	if !strings.Contains(entry.data, "D-1") || entry.id != "1" {
		t.Fatalf("entry = %+v", entry)
	}
	totals := stream.next(t, liveWaitSeconds*time.Second, func(e sseEvent) bool {
		return e.event == "totals" && strings.Contains(e.data, `"received":"5000.00"`)
	})
	if totals.id != "1" {
		t.Fatalf("totals id %q, want the log position 1", totals.id)
	}
	// A client filtered on another county hears nothing of it.
	other := openLive(t, server.URL+"/api/v1/live?county=150602&access_token="+viewer, nil)
	other.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "totals" })
	call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-2", "D-2", "1.00"))
	call(t, "POST", server.URL+"/api/v1/events", clerk, strings.Replace(donation("k-3", "D-3", "2.00"), "150626", "150602", 1))
	got := other.next(t, liveWaitSeconds*time.Second, func(e sseEvent) bool { return e.event == "entry" })
	if !strings.Contains(got.data, "D-3") {
		t.Fatalf("county 150602 stream got %s", got.data)
	}
}

// Finance's events reach a live stream only as the reconciliation's
// notice, and only a token that may read the reconciliation gets it: a
// viewer's stream hears nothing of a bank line or a period close, not
// even totals, until the next campaign entry; a finance token's stream
// hears their positions and nothing else of them.
func TestLiveCarriesNothingOfFinanceToViewers(t *testing.T) {
	server := startTestServer(t)
	viewer, clerk, finance := server.Tokens[httpapi.RoleViewer], server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleFinance]
	viewing := openLive(t, server.URL+"/api/v1/live?access_token="+viewer, nil)
	viewing.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "totals" })
	reconciling := openLive(t, server.URL+"/api/v1/live?access_token="+finance, nil)
	reconciling.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "totals" })
	// A bank line is the statement import's.
	recordMade(t, server, "test-finance", `{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00","idempotency_key":"f-1","data":{"account":"icbc-0602001109000012345","line_id":"L-F-1","serial":"CN-20220620-0001","booked_on":"2022-06-20","amount":"300.00","remark":"捐款","statement":"icbc-2022-06.csv"}}`)
	closeMay := `{"type":"period_closed","county":"150600","occurred_at":"2022-05-31T18:00:00+08:00","data":{"month":"2022-05"}}`
	if got := call(t, "POST", server.URL+"/api/v1/events", finance, closeMay); got.status != 201 {
		t.Fatalf("close May: %d %s", got.status, got.body)
	}
	call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-1", "D-1", "5000.00"))
	var heard []string
	viewing.next(t, liveWaitSeconds*time.Second, func(e sseEvent) bool {
		heard = append(heard, e.event+" "+e.id)
		return e.event == "totals" && e.id == "3"
	})
	if strings.Join(heard, ", ") != "entry 3, totals 3" {
		t.Fatalf("the viewer's stream heard %s; want only the campaign entry at 3 and its totals", strings.Join(heard, ", "))
	}
	heard = nil
	reconciling.next(t, liveWaitSeconds*time.Second, func(e sseEvent) bool {
		if e.event == "reconciliation" && e.data != fmt.Sprintf(`{"position":%s}`, e.id) {
			t.Errorf("the reconciliation's notice says %s", e.data)
		}
		heard = append(heard, e.event+" "+e.id)
		return e.event == "totals" && e.id == "3"
	})
	if strings.Join(heard, ", ") != "reconciliation 1, reconciliation 2, entry 3, totals 3" {
		t.Fatalf("the finance token's stream heard %s", strings.Join(heard, ", "))
	}
}

func TestLiveResumesWithLastEventID(t *testing.T) {
	server := startTestServer(t)
	clerk, viewer := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleViewer]
	for i := 1; i <= 3; i++ {
		call(t, "POST", server.URL+"/api/v1/events", clerk, donation(fmt.Sprintf("k-%d", i), fmt.Sprintf("D-%d", i), "1.00"))
	}
	header := http.Header{"Last-Event-ID": []string{"1"}}
	stream := openLive(t, server.URL+"/api/v1/live?access_token="+viewer, header)
	first := stream.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "entry" })
	second := stream.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "entry" })
	if first.id != "2" || second.id != "3" {
		t.Fatalf("resumed with %s and %s, want 2 and 3", first.id, second.id)
	}
}

func TestCloseEndsLiveStreams(t *testing.T) {
	server := startTestServer(t)
	stream := openLive(t, server.URL+"/api/v1/live?access_token="+server.Tokens[httpapi.RoleViewer], nil)
	stream.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "totals" })
	server.API.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stream.body)
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end within 5 s of Close")
	}
}

func TestFinanceRoutesAndRoles(t *testing.T) {
	server := startTestServer(t)
	finance, clerk, viewer := server.Tokens[httpapi.RoleFinance], server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleViewer]
	closeJune := `{"type":"period_closed","county":"150600","occurred_at":"2022-06-30T18:00:00+08:00","data":{"month":"2022-06"}}`
	if got := call(t, "POST", server.URL+"/api/v1/events", clerk, closeJune); got.status != 403 {
		t.Fatalf("clerk closing a month: %d %s", got.status, got.body)
	}
	if got := call(t, "POST", server.URL+"/api/v1/events", finance, donation("k-1", "D-1", "1.00")); got.status != 403 {
		t.Fatalf("finance recording a donation: %d %s", got.status, got.body)
	}
	recorded := call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-1", "D-1", "5000.00"))
	if recorded.status != 201 {
		t.Fatalf("clerk recording a donation: %d %s", recorded.status, recorded.body)
	}
	june := regexp.MustCompile(`"event_id":"([0-9a-f-]{36})"`).FindSubmatch(recorded.body)
	if june == nil {
		t.Fatalf("no event id in %s", recorded.body)
	}
	if got := call(t, "POST", server.URL+"/api/v1/events", finance, closeJune); got.status != 201 {
		t.Fatalf("finance closing June: %d %s", got.status, got.body)
	}
	// June is closed: a back-dated donation is refused with the month named.
	got := call(t, "POST", server.URL+"/api/v1/events", clerk, donation("k-2", "D-2", "1.00"))
	if code, _ := got.errorOf(t); got.status != 422 || code != "rejected" || !strings.Contains(string(got.body), "2022-06 is closed") {
		t.Fatalf("back-dated donation in a closed month: %d %s", got.status, got.body)
	}
	// A void dated in July still takes D-1 out of June: it must name June.
	voidJune := `{"type":"entry_voided","county":"150626","occurred_at":"2022-07-01T08:00:00+08:00","data":{"campaign":"general",` +
		`"target_event_id":"` + string(june[1]) + `","reason":"重复录入"%s}}`
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, fmt.Sprintf(voidJune, ""))
	if got.status != 422 || !strings.Contains(string(got.body), "data.closed_period") || !strings.Contains(string(got.body), "2022-06, a closed month") {
		t.Fatalf("void landing in a closed month, not naming it: %d %s", got.status, got.body)
	}
	// Naming it is finance's (TestClosedPeriodRoles).
	if got := call(t, "POST", server.URL+"/api/v1/events", finance, fmt.Sprintf(voidJune, `,"closed_period":"2022-06"`)); got.status != 201 {
		t.Fatalf("void naming the closed month: %d %s", got.status, got.body)
	}
	// July has not ended (the server's clock says 1 July): it does not close.
	got = call(t, "POST", server.URL+"/api/v1/events", finance, strings.ReplaceAll(closeJune, `"month":"2022-06"`, `"month":"2022-07"`))
	if got.status != 422 || !strings.Contains(string(got.body), "2022-07 has not ended yet") {
		t.Fatalf("closing July on 1 July: %d %s", got.status, got.body)
	}
	cases := []struct {
		method, path, token, body string
		status                    int
		want                      string
	}{
		{"GET", "/api/v1/reconciliation", finance, "", 200, `"unmatched_donations"`},
		{"GET", "/api/v1/reconciliation", viewer, "", 403, "forbidden"},
		{"GET", "/api/v1/reconciliation", clerk, "", 403, "forbidden"},
		{"GET", "/api/v1/pledges", finance, "", 200, `"outstanding"`},
		{"GET", "/api/v1/reconciliation/export?format=csv", finance, "", 200, "流水金额"},
		{"GET", "/api/v1/reconciliation/export?format=pdf", finance, "", 400, `"format"`},
		{"POST", "/api/v1/reconciliation/decisions", finance, `{"action":"confirm","id":"S-nothing"}`, 404, "not_found"},
		{"POST", "/api/v1/reconciliation/decisions", finance, `{"action":"dance","id":"x"}`, 400, `"action"`},
		{"POST", "/api/v1/reconciliation/decisions", clerk, `{"action":"confirm","id":"S-nothing"}`, 403, "forbidden"},
	}
	for _, tc := range cases {
		got := call(t, tc.method, server.URL+tc.path, tc.token, tc.body)
		if got.status != tc.status || !strings.Contains(string(got.body), tc.want) {
			t.Errorf("%s %s: %d %s; want %d containing %s", tc.method, tc.path, got.status, got.body, tc.status, tc.want)
		}
	}
	xlsx := call(t, "GET", server.URL+"/api/v1/reconciliation/export", finance, "")
	if xlsx.status != 200 || !strings.Contains(xlsx.header.Get("Content-Type"), "spreadsheetml") || !bytes.HasPrefix(xlsx.body, []byte("PK")) {
		t.Fatalf("xlsx export: %d %s", xlsx.status, xlsx.header.Get("Content-Type"))
	}
}

// Guessing tokens is slow: after failedLoginsBurst missing or wrong tokens
// from one address, that address is refused for a while, even with a
// valid token, and the refusal says why.
func TestFailedLoginsAreLimitedPerAddress(t *testing.T) {
	server := startTestServer(t)
	viewer := server.Tokens[httpapi.RoleViewer]
	if got := call(t, "GET", server.URL+"/api/v1/whoami", viewer, ""); got.status != 200 {
		t.Fatalf("valid token before any failure: %d", got.status)
	}
	for i := range 20 {
		token := fmt.Sprintf("guess-%04d-0123456789", i)
		if i%2 == 1 {
			token = ""
		}
		if got := call(t, "GET", server.URL+"/api/v1/whoami", token, ""); got.status != 401 {
			t.Fatalf("failed login %d: %d %s", i, got.status, got.body)
		}
	}
	got := call(t, "GET", server.URL+"/api/v1/whoami", "guess-9999-0123456789", "")
	if code, _ := got.errorOf(t); got.status != 429 || code != "too_many_failed_logins" {
		t.Fatalf("21st failed login: %d %s", got.status, got.body)
	}
	got = call(t, "GET", server.URL+"/api/v1/whoami", viewer, "")
	if code, _ := got.errorOf(t); got.status != 429 || code != "too_many_failed_logins" {
		t.Fatalf("valid token from the refused address: %d %s", got.status, got.body)
	}
	// Public endpoints stay open.
	if got := call(t, "GET", server.URL+"/healthz", "", ""); got.status != 200 {
		t.Fatalf("healthz from the refused address: %d", got.status)
	}
}

// A failing health check (a history stream deleted, say) makes the server
// unready with the check's reason.
func TestReadinessNamesAFailedHealthCheck(t *testing.T) {
	server := startTestServer(t)
	var problem atomic.Pointer[error]
	server.API.SetHealthCheck(func() error {
		if err := problem.Load(); err != nil {
			return *err
		}
		return nil
	})
	checkReady := func(status int, contains string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			// The check's reason is told to a token only.
			got := call(t, "GET", server.URL+"/readyz", server.Tokens[httpapi.RoleAdmin], "")
			if got.status == status && strings.Contains(string(got.body), contains) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("readyz %d %s, want %d with %q", got.status, got.body, status, contains)
			}
			<-time.After(20 * time.Millisecond)
		}
	}
	checkReady(200, `"ready":true`)
	missing := errors.New("stream LEDGER is missing: it was deleted")
	problem.Store(&missing)
	checkReady(503, "stream LEDGER is missing")
	problem.Store(nil)
	checkReady(200, `"ready":true`)
}
