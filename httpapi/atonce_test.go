package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

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
