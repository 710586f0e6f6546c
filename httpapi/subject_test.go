package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/httpapi"
)

// subjectTokens are a clerk and finance without the grant, and an admin
// and an auditor with it.
var subjectTokens = []httpapi.Token{
	{Name: "clerk", Role: httpapi.RoleClerk, Token: "clerk-token-0123456789"},
	{Name: "finance-plain", Role: httpapi.RoleFinance, Token: "finance-plain-0123456789"},
	{Name: "finance-granted", Role: httpapi.RoleFinance, Token: "finance-granted-0123456789", Personal: true},
	{Name: "admin-granted", Role: httpapi.RoleAdmin, Token: "admin-granted-0123456789", Personal: true},
}

func startSubjectServer(t *testing.T) *testServer {
	t.Helper()
	return startTestServer(t, func(options *httpapi.Options) {
		tokens, err := httpapi.NewTokens(subjectTokens)
		if err != nil {
			t.Fatal(err)
		}
		options.Tokens = tokens
	})
}

// withDonor is a donation of type kind with an individual donor, under
// key (none when empty).
func withDonor(kind, key, id, subject, name, phone string) string {
	keyed := ""
	if key != "" {
		keyed = `"idempotency_key":"` + key + `",`
	}
	return fmt.Sprintf(`{"type":%q,"county":"150626","occurred_at":"2022-06-15T09:30:00+08:00",%s"data":{"donation_id":%q,"campaign":"general",`+
		`"donor_kind":"individual","form":"money","amount":"100.00"},"personal":{"donor":{"subject_id":%q,"name":%q,"phone":%q}}}`,
		kind, keyed, id, subject, name, phone)
}

// refusedNaming fails unless got is a 400 whose violations name field
// with a rule containing rule.
func refusedNaming(t *testing.T, what string, got response, field, rule string) {
	t.Helper()
	if got.status != http.StatusBadRequest {
		t.Fatalf("%s: %d %s, want 400", what, got.status, got.body)
	}
	_, violations := got.errorOf(t)
	for _, violation := range violations {
		if violation["field"] == field && strings.Contains(fmt.Sprint(violation["rule"]), rule) {
			return
		}
	}
	t.Fatalf("%s: refused without naming %s (%q): %s", what, field, rule, got.body)
}

// A writer without the personal-data grant may not name a person the
// ledger holds data of: sealed under that person's key, the new record's
// digest would equal the person's own for a right guess of their name and
// phone. The clerk is refused naming personal.donor.subject_id, and
// nothing is written, whether the guess is right or wrong. The clerk's own
// keyed retry still answers as the first; a writer with the grant may add
// to the person's data; an erased person's subject is refused to
// everyone, the operator included. Listings to readers without the grant
// carry no digests. A clerk confirmed a guessed name and phone by comparing
// digests.
func TestNamingAnExistingSubjectNeedsTheGrant(t *testing.T) {
	server := startSubjectServer(t)
	const clerk, admin = "clerk-token-0123456789", "admin-granted-0123456789"
	first := withDonor("donation_received", "s-1", "D-1", "donor-1", "王某某", "13900000001")
	if got := call(t, "POST", server.URL+"/api/v1/events", clerk, first); got.status != http.StatusCreated {
		t.Fatalf("a new person's donation: %d %s", got.status, got.body)
	}
	// The clerk's retry of its own entry is answered as the first.
	if got := call(t, "POST", server.URL+"/api/v1/events", clerk, first); got.status != http.StatusOK || !strings.Contains(string(got.body), `"duplicate":true`) {
		t.Fatalf("the clerk's retry: %d %s", got.status, got.body)
	}
	// The clerk lists the log: the sealed record carries no digest.
	listed := call(t, "GET", server.URL+"/api/v1/events?limit=10", clerk, "")
	var log struct {
		Events []struct {
			Event struct {
				Sealed []struct {
					SubjectID string `json:"subject_id"`
					Digest    []byte `json:"digest"`
				} `json:"sealed_personal"`
			}
		}
	}
	if listed.status != 200 || json.Unmarshal(listed.body, &log) != nil || len(log.Events) != 1 || len(log.Events[0].Event.Sealed) != 1 {
		t.Fatalf("the clerk's listing: %d %s", listed.status, listed.body)
	}
	if sealed := log.Events[0].Event.Sealed[0]; sealed.SubjectID != "donor-1" || len(sealed.Digest) != 0 {
		t.Errorf("the clerk's listing shows the sealed record %+v: want its subject without a digest", sealed)
	}
	head := server.head(t)
	for _, guess := range []struct{ name, phone string }{{"王某某", "13900000001"}, {"张某某", "13900000009"}} {
		got := call(t, "POST", server.URL+"/api/v1/events", clerk, withDonor("donation_pledged", "", "D-2", "donor-1", guess.name, guess.phone))
		refusedNaming(t, "a clerk naming donor-1 ("+guess.name+")", got, "personal.donor.subject_id", "already holds data")
		// A keyed guess is no retry of the clerk's: refused the same.
		got = call(t, "POST", server.URL+"/api/v1/events", clerk, withDonor("donation_received", "s-1", "D-1", "donor-1", guess.name, guess.phone))
		if guess.name != "王某某" {
			refusedNaming(t, "a clerk's keyed guess", got, "personal.donor.subject_id", "already holds data")
		}
	}
	// In a batch, the event naming the person is named and nothing is
	// written.
	batch := `[` + withDonor("donation_pledged", "", "D-3", "donor-3", "钱某某", "13900000003") + "," +
		withDonor("donation_pledged", "", "D-4", "donor-1", "王某某", "13900000001") + `]`
	got := call(t, "POST", server.URL+"/api/v1/events", clerk, batch)
	if _, violations := got.errorOf(t); got.status != 400 || len(violations) != 1 || violations[0]["field"] != "events[1].personal.donor.subject_id" {
		t.Fatalf("a batch naming donor-1 second: %d %s", got.status, got.body)
	}
	if after := server.head(t); after != head {
		t.Fatalf("refused requests wrote: the log went from %d to %d", head, after)
	}
	// A worker served is named so too.
	service := func(id, worker string) string {
		return `{"type":"service_provided","county":"150626","occurred_at":"2022-06-16T09:00:00+08:00","data":{"service_id":"` + id +
			`","campaign":"2022-summer-cooling","kind":"health-checkup","beneficiary_group":"outdoor-workers","count":2,"person_times":2,` +
			`"site":{"kind":"service-station","name":"乌审旗户外劳动者服务站点"}},"personal":{"workers":[{"subject_id":"` + worker +
			`","name":"李某"},{"name":"赵某某"}]}}`
	}
	if got := call(t, "POST", server.URL+"/api/v1/events", clerk, service("SV-1", "worker-1")); got.status != http.StatusCreated {
		t.Fatalf("a service to a new worker: %d %s", got.status, got.body)
	}
	head = server.head(t)
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, service("SV-2", "worker-1"))
	refusedNaming(t, "a clerk naming worker-1", got, "personal.workers[0].subject_id", "already holds data")
	if after := server.head(t); after != head {
		t.Fatalf("refused requests wrote: the log went from %d to %d", head, after)
	}
	// A writer with the grant may add to the person's data.
	if got := call(t, "POST", server.URL+"/api/v1/events", admin, withDonor("donation_pledged", "", "D-5", "donor-1", "王某某", "13900000001")); got.status != http.StatusCreated {
		t.Fatalf("the granted admin adding to donor-1's data: %d %s", got.status, got.body)
	}
	// So may the operator, through the use case the command line records
	// by; and the listing the command line shows without --personal
	// carries no digests either.
	operator, err := domain.DecodeEvent([]byte(withDonor("donation_pledged", "", "D-8", "donor-1", "王某某", "13900000001")))
	if err != nil {
		t.Fatal(err)
	}
	operator.Actor = "operator"
	if _, err := server.Ledger.Record(context.Background(), []domain.Event{operator}); err != nil {
		t.Fatalf("the operator adding to donor-1's data: %v", err)
	}
	page, err := server.Ledger.EventsPage(context.Background(), app.EventsQuery{Limit: 10})
	if err != nil || len(page.Events) != 4 {
		t.Fatalf("the operator's listing: %d events, %v", len(page.Events), err)
	}
	for _, listed := range page.Events {
		for _, sealed := range listed.Event.Sealed {
			if len(sealed.Digest) != 0 {
				t.Errorf("a listing without personal data shows %s's digest", sealed.SubjectID)
			}
		}
	}
	// Once erased, the person's subject takes no new data from anyone.
	if _, _, err := server.Ledger.Forget(context.Background(), "donor-1", "本人申请删除", "admin"); err != nil {
		t.Fatal(err)
	}
	head = server.head(t)
	got = call(t, "POST", server.URL+"/api/v1/events", admin, withDonor("donation_pledged", "", "D-6", "donor-1", "王某某", "13900000001"))
	refusedNaming(t, "the granted admin naming the erased donor-1", got, "personal.donor.subject_id", "erased")
	event, err := domain.DecodeEvent([]byte(withDonor("donation_pledged", "", "D-7", "donor-1", "王某某", "13900000001")))
	if err != nil {
		t.Fatal(err)
	}
	event.Actor = "operator"
	_, err = server.Ledger.Record(context.Background(), []domain.Event{event})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 1 || validation.Violations[0].Field != "personal.donor.subject_id" ||
		validation.Violations[0].Rule != app.ErasedSubjectRule {
		t.Fatalf("the operator naming the erased donor-1: %v", err)
	}
	if after := server.head(t); after != head {
		t.Fatalf("refused requests wrote: the log went from %d to %d", head, after)
	}
}

// Bank lines are the statement import's and decisions the decisions use
// case's: POST /api/v1/events refuses them, naming type and the rule, for
// finance with the grant as well, and writes nothing; an erasure is
// `ledger forget`'s. Finance wrote an imported line again with another
// counterparty, and invented a line with no balance check and no
// statement_imported record.
func TestBankLinesAreRecordedOnlyByImportingAStatement(t *testing.T) {
	server := startSubjectServer(t)
	const finance, admin = "finance-granted-0123456789", "admin-granted-0123456789"
	bankLine := `{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00","data":{"account":"icbc-0602001109000012345",` +
		`"line_id":"L-B-1","serial":"CN-20220620-0001","booked_on":"2022-06-20","amount":"300.00","remark":"捐款","statement":"icbc-2022-06.csv"},` +
		`"personal":{"donor":{"name":"赵某某","bank_account":"6222000011112222"}}}`
	recordMade(t, server, "finance-granted", bankLine)
	head := server.head(t)
	invented := strings.NewReplacer(`"L-B-1"`, `"L-B-2"`, `"300.00"`, `"999999.00","balance":"1.00"`, `"捐款"`, `"D-1 捐款"`).Replace(bankLine)
	statement := `{"type":"statement_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00","data":{"account":"icbc-0602001109000012345",` +
		`"file":"icbc-2022-06.csv","format":"csv","lines":["L-B-2"]}}`
	match := `{"type":"match_confirmed","county":"150600","occurred_at":"2022-06-21T09:00:00+08:00","data":{"account":"icbc-0602001109000012345",` +
		`"match_id":"M-B-1","line_ids":["L-B-1"],"donations":[{"donation_id":"D-1","campaign":"general","amount":"300.00"}],"rule":"manual"}}`
	for _, attempt := range []struct{ what, token, body, rule string }{
		{"the imported line again", finance, bankLine, "bank lines are recorded by importing a statement"},
		{"the imported line with another counterparty", finance, strings.Replace(bankLine, "赵某某", "钱某某", 1), "bank lines are recorded by importing a statement"},
		{"an invented line", finance, invented, "bank lines are recorded by importing a statement"},
		{"an invented line, by the admin", admin, invented, "bank lines are recorded by importing a statement"},
		{"a statement's import record", finance, statement, "bank lines are recorded by importing a statement"},
		{"a match", finance, match, "recorded by deciding"},
		{"an erasure", admin, `{"type":"subject_erased","county":"150600","occurred_at":"2022-06-21T00:00:00+08:00","data":{"subject_id":"donor-2","reason":"本人申请删除"}}`, "ledger forget"},
	} {
		got := call(t, "POST", server.URL+"/api/v1/events", attempt.token, attempt.body)
		refusedNaming(t, attempt.what, got, "type", attempt.rule)
	}
	if after := server.head(t); after != head {
		t.Fatalf("refused requests wrote: the log went from %d to %d", head, after)
	}
	// A month's close stays finance's to record over HTTP.
	if got := call(t, "POST", server.URL+"/api/v1/events", finance,
		`{"type":"period_closed","county":"150600","occurred_at":"2022-05-31T18:00:00+08:00","data":{"month":"2022-05"}}`); got.status != http.StatusCreated {
		t.Fatalf("finance closing May: %d %s", got.status, got.body)
	}
}
