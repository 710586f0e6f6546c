package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/httpapi"
)

// A void posted to the API may name its target by entry id, as the command
// line's record void does (the use case is the ledger's, not the front
// end's): it is stored naming the event id. A target that names nothing is
// refused on data.target_event_id with the way to find the event id, and
// nothing is written.
func TestAPIVoidNamesItsTargetByEntryID(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	eventID, _ := recorded(t, server, clerk, donation("k-void-1", "D-VOID-1", "10.00"))
	void := func(target string) string {
		return `{"type":"entry_voided","county":"150626","occurred_at":"2022-06-16T09:00:00+08:00","data":{"campaign":"general",` +
			`"target_event_id":"` + target + `","reason":"重复录入"}}`
	}
	head := server.head(t)
	reply := call(t, "POST", server.URL+"/api/v1/events", clerk, void("D-VOID-9"))
	if reply.status != http.StatusBadRequest || !strings.Contains(string(reply.body), `"field":"data.target_event_id"`) ||
		!strings.Contains(string(reply.body), `no entry \"D-VOID-9\" in campaign general`) ||
		!strings.Contains(string(reply.body), "GET /api/v1/audit/ENTRY-ID") {
		t.Fatalf("a void of an unknown entry: %d %s, want 400 on data.target_event_id saying how to find the event id", reply.status, reply.body)
	}
	if after := server.head(t); after != head {
		t.Fatalf("a refused void moved the head from %d to %d", head, after)
	}
	_, position := recorded(t, server, clerk, void("D-VOID-1"))
	stored, err := server.Store.Get(context.Background(), position)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.Event.Data.(domain.EntryVoided).TargetEventID; got != eventID {
		t.Fatalf("the void of D-VOID-1 names %s, want its event id %s", got, eventID)
	}
}

// A void posted to the API looks for the entry it names in its own
// campaign: D-7 of the summer campaign, or its log position, is no entry
// of general, and the refusal says so in what the clerk typed, never with
// the summer event's id. Before, it was refused as "no entry <the summer
// event's id> in campaign general".
func TestAPIVoidLooksForItsTargetInItsCampaign(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	summerID, summerPosition := recorded(t, server, clerk, `{"type":"donation_received","county":"150602","occurred_at":"2022-06-15T09:30:00+08:00",`+
		`"idempotency_key":"k-scope-7","data":{"donation_id":"D-7","campaign":"2022-summer-cooling","donor_kind":"enterprise",`+
		`"donor_organisation":"某公司","form":"money","amount":"20.00"}}`)
	head := server.head(t)
	for _, refused := range []struct{ target, want string }{
		{"D-7", `no entry \"D-7\" in campaign general`},
		{strconv.FormatUint(summerPosition, 10), "log position " + strconv.FormatUint(summerPosition, 10) +
			" holds an event of another campaign, not of campaign general"},
	} {
		reply := call(t, "POST", server.URL+"/api/v1/events", clerk, keyedVoid("k-void-"+refused.target, refused.target))
		if reply.status != http.StatusBadRequest || !strings.Contains(string(reply.body), `"field":"data.target_event_id"`) ||
			!strings.Contains(string(reply.body), refused.want) || strings.Contains(string(reply.body), summerID) {
			t.Fatalf("a void in general of %s: %d %s, want 400 on data.target_event_id: %s", refused.target, reply.status, reply.body, refused.want)
		}
	}
	if after := server.head(t); after != head {
		t.Fatalf("refused voids moved the head from %d to %d", head, after)
	}
}

// keyedVoid is a void in general of target under key.
func keyedVoid(key, target string) string {
	return `{"type":"entry_voided","county":"150626","occurred_at":"2022-06-16T09:00:00+08:00","idempotency_key":"` + key +
		`","data":{"campaign":"general","target_event_id":"` + target + `","reason":"重复录入"}}`
}

// A void posted again under its key is answered as the first, a
// duplicate, though the position it names has since come to be an entry's
// id too. Before, the retry was refused as naming both the position and
// the entry.
func TestAPIVoidRetriedIsTheFirst(t *testing.T) {
	server := startTestServer(t)
	clerk := server.Tokens[httpapi.RoleClerk]
	eventID, position := recorded(t, server, clerk, donation("k-retry-1", "D-RETRY-1", "10.00"))
	digits := strconv.FormatUint(position, 10)
	voidID, voidPosition := recorded(t, server, clerk, keyedVoid("k-void-position", digits))
	recorded(t, server, clerk, donation("k-retry-digits", digits, "30.00"))
	head := server.head(t)
	again := call(t, "POST", server.URL+"/api/v1/events", clerk, keyedVoid("k-void-position", digits))
	if again.status != http.StatusOK || !strings.Contains(string(again.body), `"duplicate":true`) ||
		!strings.Contains(string(again.body), voidID) {
		t.Fatalf("the void of position %s sent again after an entry %s was recorded: %d %s, want the first %s as a duplicate",
			digits, digits, again.status, again.body, voidID)
	}
	if after := server.head(t); after != head {
		t.Fatalf("the retry moved the head from %d to %d", head, after)
	}
	stored, err := server.Store.Get(context.Background(), voidPosition)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.Event.Data.(domain.EntryVoided).TargetEventID; got != eventID {
		t.Fatalf("the void of position %s names %s, want %s", digits, got, eventID)
	}
}
