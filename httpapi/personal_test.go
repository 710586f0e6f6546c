package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/httpapi"
)

// Tokens of every role that may read finance, with and without the grant.
var grantTokens = []httpapi.Token{
	{Name: "finance-plain", Role: httpapi.RoleFinance, Token: "finance-plain-0123456789"},
	{Name: "finance-granted", Role: httpapi.RoleFinance, Token: "finance-granted-0123456789", Personal: true},
	{Name: "auditor-plain", Role: httpapi.RoleAuditor, Token: "auditor-plain-0123456789"},
	{Name: "auditor-granted", Role: httpapi.RoleAuditor, Token: "auditor-granted-0123456789", Personal: true},
	{Name: "admin-plain", Role: httpapi.RoleAdmin, Token: "admin-plain-0123456789"},
	{Name: "clerk", Role: httpapi.RoleClerk, Token: "clerk-token-0123456789"},
	{Name: "viewer", Role: httpapi.RoleViewer, Token: "viewer-token-0123456789"},
}

// The names of the test's people: an individual donor, an individual
// pledging, and the sender of a bank transfer.
var personalNames = []string{"王某某", "李某某", "赵某某"}

// startPersonalServer records a donation and a pledge by individuals and a
// bank line whose sender is a person.
func startPersonalServer(t *testing.T) *testServer {
	t.Helper()
	server := startTestServer(t, func(options *httpapi.Options) {
		tokens, err := httpapi.NewTokens(grantTokens)
		if err != nil {
			t.Fatal(err)
		}
		options.Tokens = tokens
	})
	clerk, finance := "clerk-token-0123456789", "finance-granted-0123456789"
	entries := []struct{ token, body string }{
		{clerk, `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","idempotency_key":"p-1","data":{"donation_id":"D-P-1","campaign":"general","donor_kind":"individual","form":"money","amount":"5000.00"},"personal":{"donor":{"subject_id":"donor-1","name":"王某某","phone":"13900000001"}}}`},
		{clerk, `{"type":"donation_pledged","county":"150626","occurred_at":"2022-06-16T09:30:00+08:00","idempotency_key":"p-2","data":{"donation_id":"D-P-2","campaign":"general","donor_kind":"individual","form":"money","amount":"800.00"},"personal":{"donor":{"subject_id":"donor-2","name":"李某某","phone":"13900000002"}}}`},
		{finance, `{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00","idempotency_key":"p-3","data":{"account":"icbc-0602001109000012345","line_id":"L-P-1","serial":"CN-20220620-0001","booked_on":"2022-06-20","amount":"300.00","remark":"捐款","statement":"icbc-2022-06.csv"},"personal":{"donor":{"subject_id":"sender-1","name":"赵某某","bank_account":"6222000011112222"}}}`},
	}
	for _, entry := range entries {
		if entry.token == finance {
			// A bank line is the statement import's.
			recordMade(t, server, "finance-granted", entry.body)
			continue
		}
		if got := call(t, "POST", server.URL+"/api/v1/events", entry.token, entry.body); got.status != 201 {
			t.Fatalf("record: %d %s", got.status, got.body)
		}
	}
	return server
}

// readable is a response body as a person would read it: an XLSX export
// unzipped, anything else as it is.
func readable(t *testing.T, body []byte) string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("PK")) {
		return string(body)
	}
	archive, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, file := range archive.File {
		reader, err := file.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(reader)
		reader.Close()
		text.Write(content)
	}
	return text.String()
}

// Without the grant no finance route or export shows a person's name, for
// any role; with it (finance may hold it too) the names are there.
func TestPersonalDataOnlyWithTheGrant(t *testing.T) {
	server := startPersonalServer(t)
	routes := []string{"/api/v1/reconciliation", "/api/v1/pledges", "/api/v1/reconciliation/export?format=csv",
		"/api/v1/reconciliation/export?format=xlsx", "/api/v1/events?limit=100"}
	// The projection folds the bank line first; wait until the book has it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := call(t, "GET", server.URL+"/api/v1/reconciliation", "finance-granted-0123456789", "")
		if got.status == 200 && strings.Contains(string(got.body), "L-P-1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bank line never showed: %d %s", got.status, got.body)
		}
		<-time.After(20 * time.Millisecond)
	}
	for _, token := range []string{"finance-plain-0123456789", "auditor-plain-0123456789", "admin-plain-0123456789"} {
		for _, route := range routes {
			if token == "finance-plain-0123456789" && strings.HasPrefix(route, "/api/v1/events") {
				continue // finance may not list the log at all
			}
			got := call(t, "GET", server.URL+route, token, "")
			if got.status != 200 {
				t.Fatalf("%s with %s: %d %s", route, token, got.status, got.body)
			}
			text := readable(t, got.body)
			for _, name := range personalNames {
				if strings.Contains(text, name) {
					t.Errorf("%s without the grant (%s) shows %s", route, token, name)
				}
			}
		}
	}
	shows := func(token, route string, names ...string) {
		t.Helper()
		got := call(t, "GET", server.URL+route, token, "")
		text := readable(t, got.body)
		for _, name := range names {
			if got.status != 200 || !strings.Contains(text, name) {
				t.Errorf("%s with the grant (%s): %d, lacks %s", route, token, got.status, name)
			}
		}
	}
	shows("finance-granted-0123456789", "/api/v1/reconciliation", "赵某某", "王某某")
	shows("finance-granted-0123456789", "/api/v1/pledges", "李某某")
	shows("finance-granted-0123456789", "/api/v1/reconciliation/export?format=xlsx", "赵某某")
	shows("auditor-granted-0123456789", "/api/v1/reconciliation/export?format=csv", "赵某某")
	shows("auditor-granted-0123456789", "/api/v1/events?limit=100", "王某某", "李某某", "赵某某")
	// Every read with the grant is in the access log, which auditors and
	// admins read; reads without it are not, and finance cannot read it.
	got := call(t, "GET", server.URL+"/api/v1/access-log", "auditor-plain-0123456789", "")
	if got.status != 200 {
		t.Fatalf("access log: %d %s", got.status, got.body)
	}
	var accessLog struct {
		Records []struct {
			Reader, Role, Via string
			Subjects          []string
		}
	}
	if err := json.Unmarshal(got.body, &accessLog); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, record := range accessLog.Records {
		if strings.Contains(record.Reader, "plain") {
			t.Errorf("a read without the grant was logged as a personal-data read: %+v", record)
		}
		seen[record.Reader+" "+record.Via] = true
		if record.Via == "GET /api/v1/events" && strings.Join(record.Subjects, ",") != "donor-1,donor-2,sender-1" {
			t.Errorf("the log read names subjects %v, want donor-1, donor-2, sender-1", record.Subjects)
		}
	}
	for _, want := range []string{"finance-granted GET /api/v1/reconciliation", "finance-granted GET /api/v1/pledges",
		"finance-granted GET /api/v1/reconciliation/export", "auditor-granted GET /api/v1/reconciliation/export",
		"auditor-granted GET /api/v1/events"} {
		if !seen[want] {
			t.Errorf("the access log lacks %q: %s", want, got.body)
		}
	}
	if got := call(t, "GET", server.URL+"/api/v1/access-log", "finance-granted-0123456789", ""); got.status != 403 {
		t.Errorf("finance reading the access log: %d", got.status)
	}
	// The grant is for finance, auditors and admins only.
	if _, err := httpapi.NewTokens([]httpapi.Token{{Name: "v", Role: httpapi.RoleViewer, Token: "viewer-granted-0123456789", Personal: true}}); err == nil {
		t.Fatal("a viewer token was granted personal data")
	}
}

// A replay after Last-Event-ID carries what live delivery carries and
// nothing more, for every role: exactly the campaigns' entries, whatever
// kinds of event the log holds (bank lines, period closes, erasures).
func TestLiveReplayFiltersLikeLiveDelivery(t *testing.T) {
	server := startPersonalServer(t)
	closeMay := `{"type":"period_closed","county":"150600","occurred_at":"2022-05-31T18:00:00+08:00","data":{"month":"2022-05"}}`
	if got := call(t, "POST", server.URL+"/api/v1/events", "admin-plain-0123456789", closeMay); got.status != 201 {
		t.Fatalf("close May: %d %s", got.status, got.body)
	}
	if _, _, err := server.Ledger.Forget(context.Background(), "donor-2", "本人申请删除", "admin"); err != nil {
		t.Fatal(err)
	}
	// What live delivery would carry: the positions of the campaigns'
	// entries, from the log itself.
	got := call(t, "GET", server.URL+"/api/v1/events?limit=100", "admin-plain-0123456789", "")
	var log struct {
		Events []struct {
			Position uint64
			Event    struct {
				Type      string
				Aggregate struct{ Kind string }
			}
		}
	}
	if err := json.Unmarshal(got.body, &log); err != nil || len(log.Events) != 5 {
		t.Fatalf("the log: %v %s", err, got.body)
	}
	want := map[string]bool{}
	kinds := map[string]bool{}
	for _, stored := range log.Events {
		kinds[stored.Event.Aggregate.Kind] = true
		if stored.Event.Aggregate.Kind == "campaign" && stored.Position > 0 {
			want[fmt.Sprint(stored.Position)] = true
		}
	}
	if len(kinds) < 3 {
		t.Fatalf("the log holds only aggregate kinds %v", kinds)
	}
	for _, token := range []string{"viewer-token-0123456789", "clerk-token-0123456789", "finance-plain-0123456789", "finance-granted-0123456789",
		"auditor-plain-0123456789", "auditor-granted-0123456789", "admin-plain-0123456789"} {
		// Resuming after position 1 replays every later position.
		header := http.Header{"Last-Event-ID": []string{"1"}}
		stream := openLive(t, server.URL+"/api/v1/live?access_token="+token, header)
		got := map[string]bool{}
		stream.next(t, 5*time.Second, func(e sseEvent) bool {
			if e.event == "entry" {
				got[e.id] = true
				for _, name := range personalNames {
					if strings.Contains(e.data, name) {
						t.Errorf("replay for %s carries %s", token, name)
					}
				}
			}
			return e.event == "totals"
		})
		for id := range want {
			if id != "1" && !got[id] {
				t.Errorf("replay for %s lacks the campaign entry at %s", token, id)
			}
		}
		for id := range got {
			if !want[id] {
				t.Errorf("replay for %s carries the entry at %s, which is not a campaign's", token, id)
			}
		}
	}
}

// One token holds at most 8 live streams; the refusal names the cap, and
// another token still gets in.
func TestLiveStreamsPerTokenAreCapped(t *testing.T) {
	server := startTestServer(t)
	viewer := server.Tokens[httpapi.RoleViewer]
	for range 8 {
		stream := openLive(t, server.URL+"/api/v1/live?access_token="+viewer, nil)
		stream.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "totals" })
	}
	// A ninth stream that were let in would never end: read it with a
	// deadline.
	client := &http.Client{Timeout: 5 * time.Second}
	reply, err := client.Get(server.URL + "/api/v1/live?access_token=" + viewer)
	if err != nil {
		t.Fatalf("ninth stream of one token: %v", err)
	}
	body, err := io.ReadAll(reply.Body)
	reply.Body.Close()
	if err != nil || reply.StatusCode != 429 || !strings.Contains(string(body), `"too_many_live_streams"`) || !strings.Contains(string(body), "8 live streams") {
		t.Fatalf("ninth stream of one token: %d %s (%v)", reply.StatusCode, body, err)
	}
	other := openLive(t, server.URL+"/api/v1/live?access_token="+server.Tokens[httpapi.RoleAdmin], nil)
	other.next(t, 5*time.Second, func(e sseEvent) bool { return e.event == "totals" })
}
