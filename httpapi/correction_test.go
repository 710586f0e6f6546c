package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// A correction whose replacement gives a field twice, once in another case
// (encoding/json fills one field from both), is refused: otherwise the
// first value, text the clerk chose, was stored in plain text outside the
// sealed personal data, shown without the grant and kept past erasure. A
// replacement with a key in another case alone is stored as the ledger
// decoded it, under the field's own name.
func TestCorrectionReplacementIsStoredAsDecoded(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	donation := `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","data":{"donation_id":"D-1","campaign":"2022-summer-cooling","donor_kind":"individual","form":"money","amount":"5000.00"},"personal":{"donor":{"subject_id":"subj-0001","name":"张三","phone":"13800138000"}}}`
	reply := call(t, "POST", server.URL+"/api/v1/events", clerk, donation)
	var answer struct {
		Results []struct {
			EventID string `json:"event_id"`
		}
	}
	if err := json.Unmarshal(reply.body, &answer); err != nil || len(answer.Results) != 1 {
		t.Fatalf("donation: %d %s", reply.status, reply.body)
	}
	correction := func(replacement string) string {
		return `{"type":"entry_corrected","county":"150626","occurred_at":"2022-06-30T16:30:00+08:00","data":{"campaign":"2022-summer-cooling","target_event_id":"` +
			answer.Results[0].EventID + `","reason":"金额录入错误","replacement":` + replacement + `}}`
	}
	head := server.head(t)
	smuggled := `{"DONOR_KIND":"张三 身份证110101199001011234 \u202e\u0007","donation_id":"D-1","campaign":"2022-summer-cooling","donor_kind":"individual","form":"money","amount":"4000.00"}`
	reply = call(t, "POST", server.URL+"/api/v1/events", clerk, correction(smuggled))
	if reply.status != http.StatusUnprocessableEntity && reply.status != http.StatusBadRequest {
		t.Fatalf("a replacement with donor_kind twice: %d %s, want it refused", reply.status, reply.body)
	}
	if !strings.Contains(string(reply.body), "data.replacement.donor_kind") || !strings.Contains(string(reply.body), "appears twice") {
		t.Fatalf("the refusal does not name data.replacement.donor_kind: %s", reply.body)
	}
	if after := server.head(t); after != head {
		t.Fatalf("the refused correction moved the head from %d to %d", head, after)
	}

	capitalised := `{"donation_id":"D-1","campaign":"2022-summer-cooling","DONOR_KIND":"individual","form":"money","amount":"4000.00"}`
	reply = call(t, "POST", server.URL+"/api/v1/events", clerk, correction(capitalised))
	if reply.status != http.StatusCreated {
		t.Fatalf("a replacement with one capitalised key: %d %s", reply.status, reply.body)
	}
	reply = call(t, "GET", server.URL+"/api/v1/events?type=entry_corrected", server.Tokens[httpapi.RoleAuditor], "")
	if reply.status != http.StatusOK || strings.Contains(string(reply.body), "DONOR_KIND") ||
		!strings.Contains(string(reply.body), `"donor_kind":"individual"`) {
		t.Fatalf("the stored correction: %d %s, want donor_kind under its own name", reply.status, reply.body)
	}
}
