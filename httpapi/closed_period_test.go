package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// A month finance has closed is changed deliberately, and only by the roles
// that close and reopen months: a void or correction that names
// closed_period is refused (403, reason closed_period_role) to a clerk,
// alone or in a batch, and nothing is written; finance and admins record
// it. Finance records no other void (closed_period_only), and a clerk
// still voids an entry of an open month. A clerk's void of a closed
// month's entry that names none is refused by the ledger with the month as
// data (closed_month).
func TestClosedPeriodRoles(t *testing.T) {
	server := startTestServer(t)
	clerk, finance, admin := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleFinance], server.Tokens[httpapi.RoleAdmin]
	record := func(token, body string) response {
		t.Helper()
		return call(t, "POST", server.URL+"/api/v1/events", token, body)
	}
	eventID := func(reply response) string {
		t.Helper()
		var answer struct {
			Results []struct {
				EventID string `json:"event_id"`
			} `json:"results"`
		}
		if reply.status != http.StatusCreated || json.Unmarshal(reply.body, &answer) != nil || len(answer.Results) != 1 {
			t.Fatalf("record: %d %s", reply.status, reply.body)
		}
		return answer.Results[0].EventID
	}
	june1 := eventID(record(clerk, donation("k-1", "D-1", "500.00")))
	june2 := eventID(record(clerk, donation("k-2", "D-2", "600.00")))
	inJuly := func(body string) string {
		return strings.Replace(body, "2022-06-15T09:30:00", "2022-07-01T08:00:00", 1)
	}
	july := eventID(record(clerk, inJuly(donation("k-3", "D-3", "700.00"))))
	if got := record(finance, `{"type":"period_closed","county":"150600","occurred_at":"2022-07-01T08:30:00+08:00","data":{"month":"2022-06"}}`); got.status != http.StatusCreated {
		t.Fatalf("finance closing June: %d %s", got.status, got.body)
	}
	void := func(target, closedPeriod string) string {
		named := ""
		if closedPeriod != "" {
			named = fmt.Sprintf(`,"closed_period":%q`, closedPeriod)
		}
		return `{"type":"entry_voided","county":"150626","occurred_at":"2022-07-01T08:45:00+08:00","data":{"campaign":"general",` +
			`"target_event_id":"` + target + `","reason":"重复录入"` + named + `}}`
	}
	correct := func(target, closedPeriod string) string {
		return `{"type":"entry_corrected","county":"150626","occurred_at":"2022-07-01T08:45:00+08:00","data":{"campaign":"general",` +
			`"target_event_id":"` + target + `","reason":"金额录入错误","closed_period":"` + closedPeriod + `",` +
			`"replacement":{"donation_id":"D-2","campaign":"general","donor_kind":"enterprise","donor_organisation":"乌审旗某公司","form":"money","amount":"650.00"}}}`
	}
	forbidden := func(step string, got response, reason string) {
		t.Helper()
		failure := readFailure(t, got)
		if got.status != http.StatusForbidden || failure.Error.Code != "forbidden" || failure.Error.Reason != reason {
			t.Errorf("%s: %d %s, want 403 forbidden with reason %s", step, got.status, got.body, reason)
		}
		if reason == "closed_period_role" && !strings.HasPrefix(failure.Error.Message, "role clerk may not change a month finance has closed (closed_period): "+
			"only finance and admins record a void or correction that names one") {
			t.Errorf("%s says %q", step, failure.Error.Message)
		}
	}
	head := server.head(t)
	forbidden("a clerk's void naming the closed month", record(clerk, void(june1, "2022-06")), "closed_period_role")
	forbidden("a clerk's correction naming the closed month", record(clerk, correct(june2, "2022-06")), "closed_period_role")
	forbidden("a clerk's batch with such a void", record(clerk, `{"events":[`+inJuly(donation("k-4", "D-4", "1.00"))+`,`+void(june1, "2022-06")+`]}`),
		"closed_period_role")
	forbidden("finance's void naming no closed month", record(finance, void(june1, "")), "closed_period_only")
	if after := server.head(t); after != head {
		t.Fatalf("refused voids moved the head from %d to %d", head, after)
	}
	if got := record(clerk, void(june1, "")); got.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(got.body), `"field":"data.closed_period"`) || !strings.Contains(string(got.body), `"code":"closed_month"`) ||
		!strings.Contains(string(got.body), `"details":{"month":"2022-06"}`) {
		t.Errorf("a clerk's void of a closed month's entry: %d %s, want data.closed_period refused as closed_month with the month", got.status, got.body)
	}

	// Naming another month, or dating an entry in the closed one, is
	// refused with the code and the month too.
	for step, got := range map[string]response{
		"finance's void naming May": record(finance, void(june1, "2022-05")),
		"a donation dated in June":  record(clerk, donation("k-5", "D-5", "1.00")),
	} {
		if got.status != http.StatusUnprocessableEntity || !strings.Contains(string(got.body), `"code":"closed_month","details":{"month":"2022-06"}`) {
			t.Errorf("%s: %d %s, want it refused as closed_month with the month", step, got.status, got.body)
		}
	}

	eventID(record(finance, void(june1, "2022-06")))
	eventID(record(admin, correct(june2, "2022-06")))
	eventID(record(clerk, void(july, "")))
	listed := call(t, "GET", server.URL+"/api/v1/events?type=entry_voided", finance, "")
	if !strings.Contains(string(listed.body), `"actor":"test-finance"`) || !strings.Contains(string(listed.body), `"closed_period":"2022-06"`) {
		t.Errorf("finance's void is not in the log as recorded: %s", listed.body)
	}

	// The audit trail says which entry a void or correction is about: its
	// event id and its own id, so that a page shows it voided.
	var trail struct {
		Entries []struct {
			Type          string `json:"type"`
			TargetEventID string `json:"target_event_id"`
			TargetEntryID string `json:"target_entry_id"`
		} `json:"entries"`
	}
	for target, id := range map[string]string{june1: "D-1", june2: "D-2"} {
		got := call(t, "GET", server.URL+"/api/v1/audit/"+id, clerk, "")
		if err := json.Unmarshal(got.body, &trail); err != nil || got.status != http.StatusOK || len(trail.Entries) != 2 {
			t.Fatalf("the audit of %s: %d %s", id, got.status, got.body)
		}
		if change := trail.Entries[1]; change.TargetEventID != target || change.TargetEntryID != id || trail.Entries[0].TargetEventID != "" {
			t.Errorf("the audit of %s names the change's target as %q (%q): %s", id, change.TargetEventID, change.TargetEntryID, got.body)
		}
	}
}

// Finance records a void or correction only when it names a closed month,
// and the ledger holds it to that: a void that names the entry's own open
// month, a closed month the entry did not occur in, or a month reopened
// since, is refused (422, data.closed_period, code open_month, the month
// the void lands in as data), and nothing is written.
func TestFinanceVoidNamingAnOpenMonth(t *testing.T) {
	server := startTestServer(t)
	clerk, finance := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleFinance]
	record := func(token, body string) response {
		t.Helper()
		return call(t, "POST", server.URL+"/api/v1/events", token, body)
	}
	var answer struct {
		Results []struct {
			EventID string `json:"event_id"`
		} `json:"results"`
	}
	june := record(clerk, donation("k-1", "D-1", "500.00"))
	if json.Unmarshal(june.body, &answer) != nil || june.status != http.StatusCreated || len(answer.Results) != 1 {
		t.Fatalf("record: %d %s", june.status, june.body)
	}
	target := answer.Results[0].EventID
	void := func(occurred, closedPeriod string) string {
		return `{"type":"entry_voided","county":"150626","occurred_at":"` + occurred + `","data":{"campaign":"general",` +
			`"target_event_id":"` + target + `","reason":"重复录入","closed_period":"` + closedPeriod + `"}}`
	}
	refused := func(step, body string) {
		t.Helper()
		head := server.head(t)
		got := record(finance, body)
		failure := readFailure(t, got)
		if got.status != http.StatusUnprocessableEntity || failure.Error.Code != "rejected" || len(failure.Error.Violations) != 1 ||
			failure.Error.Violations[0].Field != "data.closed_period" || failure.Error.Violations[0].Code != "open_month" ||
			!strings.Contains(string(got.body), `"details":{"month":"2022-06","named":"2022-06"}`) {
			t.Errorf("%s: %d %s, want 422 on data.closed_period, code open_month, landing in 2022-06", step, got.status, got.body)
		}
		if after := server.head(t); after != head {
			t.Fatalf("%s: the refused void moved the head from %d to %d", step, head, after)
		}
	}
	// June is open: naming it, dated in June or in July, changes no closed month.
	refused("finance's void dated in June naming June, open", void("2022-06-20T10:00:00+08:00", "2022-06"))
	refused("finance's void dated in July naming June, open", void("2022-07-01T08:45:00+08:00", "2022-06"))
	if got := record(finance, `{"type":"period_closed","county":"150600","occurred_at":"2022-07-01T08:30:00+08:00","data":{"month":"2022-06"}}`); got.status != http.StatusCreated {
		t.Fatalf("finance closing June: %d %s", got.status, got.body)
	}
	if got := record(finance, `{"type":"period_reopened","county":"150600","occurred_at":"2022-07-01T08:40:00+08:00","data":{"month":"2022-06","reason":"补录"}}`); got.status != http.StatusCreated {
		t.Fatalf("finance reopening June: %d %s", got.status, got.body)
	}
	refused("finance's void naming reopened June", void("2022-07-01T08:45:00+08:00", "2022-06"))
	var voids struct {
		Events []json.RawMessage `json:"events"`
	}
	listed := call(t, "GET", server.URL+"/api/v1/events?type=entry_voided", finance, "")
	if listed.status != http.StatusOK || json.Unmarshal(listed.body, &voids) != nil || len(voids.Events) != 0 {
		t.Errorf("the log lists voids after every one was refused: %d %s", listed.status, listed.body)
	}
	// Closed again, June is named deliberately and the void is recorded.
	if got := record(finance, `{"type":"period_closed","county":"150600","occurred_at":"2022-07-01T08:50:00+08:00","data":{"month":"2022-06"}}`); got.status != http.StatusCreated {
		t.Fatalf("finance closing June again: %d %s", got.status, got.body)
	}
	if got := record(finance, void("2022-07-01T08:55:00+08:00", "2022-06")); got.status != http.StatusCreated {
		t.Fatalf("finance's void naming closed June: %d %s", got.status, got.body)
	}
}
