package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// deliveryData is a delivery's payload that the catalog's rules accept.
const deliveryData = `{"delivery_id":"V-X1","campaign":"2022-summer-cooling","items":[{"item":"drinking-water","quantity":1,"value":"12.00"}],` +
	`"beneficiary_group":"outdoor-workers","headcount":3,"site":{"kind":"community","name":"a"},"spent":"12.00"}`

// fieldsAndCodes lists an error answer's violations as field=code.
func fieldsAndCodes(t *testing.T, got response) string {
	t.Helper()
	_, violations := got.errorOf(t)
	listed := make([]string, len(violations))
	for i, violation := range violations {
		code, _ := violation["code"].(string)
		listed[i] = violation["field"].(string) + "=" + code
	}
	return strings.Join(listed, " ")
}

// POST /api/v1/events answers an event with a malformed occurred_at with
// every problem of the event, each named once, alone and in a batch.
func TestRecordAnswersEveryProblemOfAnEventAtOnce(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	bad := `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-06-20","idempotency_key":"k-bad-1",` +
		`"data":{"delivery_id":"V-X1","campaign":"2022-summer-cooling","items":[{"item":"water","quantity":1}],` +
		`"beneficiary_group":"outdoor-workers","headcount":3,"site":{"kind":"street","name":"a"},"spent":12}}`
	got := call(t, "POST", server.URL+"/api/v1/events", clerk, bad)
	want := "occurred_at=time data.site.kind=unknown_code data.items[0].item=unknown_code data.items[0].value=positive data.spent=yuan"
	if listed := fieldsAndCodes(t, got); got.status != http.StatusBadRequest || listed != want {
		t.Fatalf("answer %d with %s, want 400 with %s:\n%s", got.status, listed, want, got.body)
	}
	// Someone else's actor is one more problem of the same event.
	withActor := strings.Replace(bad, `"idempotency_key"`, `"actor":"mallory","idempotency_key"`, 1)
	got = call(t, "POST", server.URL+"/api/v1/events", clerk, `{"events":[`+donation("k-1", "D-1", "1.00")+","+withActor+`]}`)
	want = "events[1].occurred_at=time events[1].actor= events[1].data.site.kind=unknown_code events[1].data.items[0].item=unknown_code " +
		"events[1].data.items[0].value=positive events[1].data.spent=yuan"
	if listed := fieldsAndCodes(t, got); got.status != http.StatusBadRequest || listed != want {
		t.Fatalf("batch answered %d with %s, want 400 with %s:\n%s", got.status, listed, want, got.body)
	}
	if head := server.head(t); head != 0 {
		t.Fatalf("refused requests wrote %d events", head)
	}
}

// A correction whose replacement breaks a field rule is answered 400 with
// the violation under data.replacement, coded as the same problem of any
// other field is.
func TestRecordAnswersAReplacementsProblemAsInvalid(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	url := server.URL + "/api/v1/events"
	donation := `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","data":{"donation_id":"D-1",` +
		`"campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"5000.00"}}`
	delivery := `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-06-20T10:00:00+08:00","data":` + deliveryData + `}`
	written := call(t, "POST", url, clerk, `{"events":[`+donation+","+delivery+`]}`)
	var answer struct {
		Results []struct {
			EventID string `json:"event_id"`
		} `json:"results"`
	}
	if err := json.Unmarshal(written.body, &answer); err != nil || written.status != http.StatusCreated || len(answer.Results) != 2 {
		t.Fatalf("setup: %d %s", written.status, written.body)
	}
	correction := func(replacement string) string {
		return `{"type":"entry_corrected","county":"150626","occurred_at":"2022-06-21T10:00:00+08:00","data":{"campaign":"2022-summer-cooling",` +
			`"target_event_id":"` + answer.Results[1].EventID + `","reason":"fix","replacement":` + replacement + `}}`
	}
	for replacement, want := range map[string]string{
		strings.Replace(deliveryData, `"spent":"12.00"`, `"spent":12`, 1):    "data.replacement.spent=yuan",
		strings.Replace(deliveryData, `"headcount":3`, `"headcount":"3"`, 1): "data.replacement.headcount=whole_number",
	} {
		got := call(t, "POST", url, clerk, correction(replacement))
		if listed := fieldsAndCodes(t, got); got.status != http.StatusBadRequest || listed != want {
			t.Fatalf("answer %d with %s, want 400 with %s:\n%s", got.status, listed, want, got.body)
		}
	}
	if head := server.head(t); head != 2 {
		t.Fatalf("%d events, want the 2 written before the refused corrections", head)
	}
}
