package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// A role that may not record an event's type is refused 403 whenever the
// type is known, before anything is said of the event's values: a
// donation from a finance token with a malformed occurred_at (its payload
// decodes) or with a payload that does not decode is forbidden, alone and
// in a batch, not answered 400 with its violations. A clerk, who may
// record donations, is told the problems.
func TestRecordChecksTheRoleBeforeTheValues(t *testing.T) {
	server := startTestServer(t)
	finance, clerk := server.Tokens[httpapi.RoleFinance], server.Tokens[httpapi.RoleClerk]
	badTime := strings.Replace(donation("k-role-1", "D-ROLE-1", "1.00"), `"2022-06-15T09:30:00+08:00"`, `"x"`, 1)
	badData := strings.Replace(donation("k-role-2", "D-ROLE-2", "1.00"), `"form":"money"`, `"form":"money","no_such_field":1`, 1)
	for name, body := range map[string]string{
		"malformed occurred_at":        badTime,
		"payload that does not decode": badData,
		"batch":                        `{"events":[` + badTime + `]}`,
	} {
		got := call(t, "POST", server.URL+"/api/v1/events", finance, body)
		code, violations := got.errorOf(t)
		if got.status != http.StatusForbidden || code != "forbidden" || len(violations) != 0 ||
			!strings.Contains(string(got.body), "may not record donation_received entries") {
			t.Errorf("finance posting a donation with a %s: %d %s, want 403 forbidden and no violations", name, got.status, got.body)
		}
		got = call(t, "POST", server.URL+"/api/v1/events", clerk, body)
		if code, violations := got.errorOf(t); got.status != http.StatusBadRequest || len(violations) == 0 {
			t.Errorf("a clerk posting a donation with a %s: %d %s %s, want 400 naming its problems", name, got.status, code, got.body)
		}
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("refused requests wrote %d events", head)
	}
}

// A void's role rules (a closed month is finance's and admins' to change;
// finance voids only in a closed month) are judged before its values too:
// a malformed occurred_at once turned both 403s into a 400 listing the
// violations, as the payload was not looked at.
func TestVoidRoleRulesComeBeforeTheValues(t *testing.T) {
	server := startTestServer(t)
	clerk, finance := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleFinance]
	void := func(occurred, closedPeriod string) string {
		named := ""
		if closedPeriod != "" {
			named = `,"closed_period":"` + closedPeriod + `"`
		}
		return `{"type":"entry_voided","county":"150626","occurred_at":"` + occurred + `","data":{"campaign":"general",` +
			`"target_event_id":"01a231cc-0000-7000-8000-000000000001","reason":"r"` + named + `}}`
	}
	for _, c := range []struct{ name, token, body, reason string }{
		{"a clerk naming a closed month", clerk, void("x", "2022-06"), "closed_period_role"},
		{"finance naming none", finance, void("x", ""), "closed_period_only"},
	} {
		got := call(t, "POST", server.URL+"/api/v1/events", c.token, c.body)
		if got.status != http.StatusForbidden || !strings.Contains(string(got.body), `"reason":"`+c.reason+`"`) {
			t.Errorf("%s with a malformed occurred_at: %d %s, want 403 %s", c.name, got.status, got.body, c.reason)
		}
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("refused voids wrote %d events", head)
	}
}
