package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// apiFailure is an error answer as a client reads it.
type apiFailure struct {
	Error struct {
		Code       string `json:"code"`
		Reason     string `json:"reason"`
		Message    string `json:"message"`
		Violations []struct {
			Field string `json:"field"`
			Rule  string `json:"rule"`
			Code  string `json:"code"`
			Limit int64  `json:"limit"`
		} `json:"violations"`
	} `json:"error"`
}

func readFailure(t *testing.T, got response) apiFailure {
	t.Helper()
	var failure apiFailure
	if err := json.Unmarshal(got.body, &failure); err != nil {
		t.Fatalf("error body %s: %v", got.body, err)
	}
	return failure
}

// A refusal names the common rules by a code, besides the rule's words, so
// that the dashboard says them in Chinese from data: a field's code (and
// its bound, where it has one), a business rule's code, and the reason of
// a 403 that asks for the personal-data grant. Field and rule read as
// they did.
func TestRefusalsCarryRuleCodes(t *testing.T) {
	server := startTestServer(t, func(options *httpapi.Options) {
		tokens, err := httpapi.NewTokens(grantTokens)
		if err != nil {
			t.Fatal(err)
		}
		options.Tokens = tokens
	})
	const clerk, finance = "clerk-token-0123456789", "finance-plain-0123456789"

	training := `{"type":"training_held","county":"150626","occurred_at":"2022-06-28T09:00:00+08:00",
	  "data":{"session_id":"S-CODE-1","campaign":"2022-summer-cooling","topic":"heatstroke-prevention","title":"` + strings.Repeat("讲", 201) + `",
	  "format":"both","participants":0,"duration_minutes":"90","venue":"","cost":"12.5元"}}`
	got := call(t, "POST", server.URL+"/api/v1/events", clerk, training)
	failure := readFailure(t, got)
	if got.status != http.StatusBadRequest || failure.Error.Code != "invalid" {
		t.Fatalf("an invalid training: %d %s", got.status, got.body)
	}
	// The decoder stops at the duration given as a string: a whole number.
	if len(failure.Error.Violations) != 1 || failure.Error.Violations[0].Field != "data.duration_minutes" ||
		failure.Error.Violations[0].Code != "whole_number" {
		t.Errorf("duration as a string: %s", got.body)
	}

	training = strings.Replace(training, `"duration_minutes":"90"`, `"duration_minutes":90`, 1)
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, training)
	failure = readFailure(t, got)
	want := map[string]struct {
		code  string
		limit int64
	}{
		"data.title":        {"too_long", 200},
		"data.participants": {"positive", 0},
		"data.venue":        {"required", 0},
		"data.cost":         {"yuan", 0},
	}
	for _, violation := range failure.Error.Violations {
		expected, ok := want[violation.Field]
		if !ok {
			t.Errorf("unexpected violation %+v", violation)
			continue
		}
		delete(want, violation.Field)
		if violation.Code != expected.code || violation.Limit != expected.limit || violation.Rule == "" {
			t.Errorf("%s: code %q limit %d (rule %q), want code %q limit %d", violation.Field, violation.Code, violation.Limit, violation.Rule,
				expected.code, expected.limit)
		}
	}
	for field := range want {
		t.Errorf("no violation of %s in %s", field, got.body)
	}
	if !strings.Contains(string(got.body), `{"field":"data.cost","rule":"must be a decimal yuan amount such as \"1250.50\"","code":"yuan"}`) {
		t.Errorf("the amount's violation does not read field, rule, code: %s", got.body)
	}
	// A rule without a code says its words alone.
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, strings.Replace(training, `"venue":""`, `"venue":"a\u0007b"`, 1))
	if !strings.Contains(string(got.body), `{"field":"data.venue","rule":"must not contain control characters or line separators"}`) {
		t.Errorf("a rule without a code: %s", got.body)
	}

	// Business rules: an entry recorded twice, and a void of a voided entry.
	donation := `{"type":"donation_received","county":"150626","occurred_at":"2022-06-28T09:00:00+08:00","idempotency_key":"%s",
	  "data":{"donation_id":"D-CODE-1","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"100.00"}}`
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, strings.Replace(donation, "%s", "code-1", 1))
	var recorded struct {
		Results []struct {
			EventID string `json:"event_id"`
		} `json:"results"`
	}
	if got.status != http.StatusCreated || json.Unmarshal(got.body, &recorded) != nil || len(recorded.Results) != 1 {
		t.Fatalf("record the donation: %d %s", got.status, got.body)
	}
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, strings.Replace(donation, "%s", "code-2", 1))
	failure = readFailure(t, got)
	if got.status != http.StatusUnprocessableEntity || failure.Error.Code != "rejected" || len(failure.Error.Violations) != 1 ||
		failure.Error.Violations[0].Field != "data.donation_id" || failure.Error.Violations[0].Code != "already_recorded" {
		t.Errorf("the donation again: %d %s", got.status, got.body)
	}
	void := `{"type":"entry_voided","county":"150626","occurred_at":"2022-06-29T09:00:00+08:00",
	  "data":{"campaign":"general","target_event_id":"` + recorded.Results[0].EventID + `","reason":"重复录入"}}`
	if got = call(t, "POST", server.URL+"/api/v1/events", clerk, void); got.status != http.StatusCreated {
		t.Fatalf("void: %d %s", got.status, got.body)
	}
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, void)
	failure = readFailure(t, got)
	if got.status != http.StatusUnprocessableEntity || len(failure.Error.Violations) != 1 || failure.Error.Violations[0].Code != "already_voided" {
		t.Errorf("the void again: %d %s", got.status, got.body)
	}

	// A statement that names counterparties, from finance without the
	// personal-data grant: 403 forbidden, the grant named as the reason.
	statement := "日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-23,,捐款,赵某某,,500.00\n"
	got = call(t, "POST", server.URL+"/api/v1/reconciliation/statements?file=g.csv&account=acct-g&preview=true", finance, statement)
	failure = readFailure(t, got)
	if got.status != http.StatusForbidden || failure.Error.Code != "forbidden" || failure.Error.Reason != "personal_data_grant" {
		t.Errorf("a statement without the grant: %d %s", got.status, got.body)
	}
	// Other refusals carry no reason.
	got = call(t, "POST", server.URL+"/api/v1/events", "viewer-token-0123456789", void)
	if failure = readFailure(t, got); got.status != http.StatusForbidden || failure.Error.Reason != "" {
		t.Errorf("a viewer's entry: %d %s", got.status, got.body)
	}
}
