package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/httpapi"
)

// recorded posts one event as the clerk and returns its id and position.
func recorded(t *testing.T, server *testServer, token, body string) (string, uint64) {
	t.Helper()
	reply := call(t, "POST", server.URL+"/api/v1/events", token, body)
	var answer struct {
		Results []struct {
			EventID  string `json:"event_id"`
			Position uint64 `json:"position"`
		}
	}
	if reply.status != http.StatusCreated || json.Unmarshal(reply.body, &answer) != nil || len(answer.Results) != 1 {
		t.Fatalf("record: %d %s", reply.status, reply.body)
	}
	return answer.Results[0].EventID, answer.Results[0].Position
}

func trainingBody(id, session string) string {
	withID := ""
	if id != "" {
		withID = `"id":"` + id + `",`
	}
	return `{` + withID + `"type":"training_held","county":"150622","occurred_at":"2022-06-20T09:00:00+08:00","data":{"session_id":"` + session +
		`","campaign":"2022-health-law-lectures","topic":"trade-union-law","title":"x","format":"both","participants":3,"duration_minutes":60,` +
		`"venue":"x","beneficiary_group":"enterprise-workers"}}`
}

// An event id names one event. A clerk who sends the id of an event of the
// log (a donation of another campaign, a training of the same, one recorded
// a moment ago and still in JetStream's deduplication window) is refused on
// id, and nothing is written: the shadow entry that broke reconciliation,
// hid a donation from it or took over an audit trail is never stored. Before,
// the first was stored (201), and the last was answered as written at the
// first event's position while nothing was stored.
func TestAReusedEventIDIsRefused(t *testing.T) {
	server := startTestServer(t)
	clerk, finance := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleFinance]
	donationID, _ := recorded(t, server, clerk, donation("k-1", "D-SUM-01", "300000.00"))
	trainingID, _ := recorded(t, server, clerk, trainingBody("", "S-MSGID-A"))

	for _, reuse := range []struct{ name, body string }{
		{"a training with a donation's id", trainingBody(donationID, "S-SHADOW-1")},
		{"a training with a training's id, moments later", trainingBody(trainingID, "S-MSGID-B")},
		{"a donation with a donation's id", `{"id":"` + donationID + `","type":"donation_received","county":"150622","occurred_at":"2022-06-20T09:00:00+08:00","idempotency_key":"shadow-don-1","data":{"donation_id":"D-SHADOW-3","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"某测试公司","form":"money","amount":"1.00"}}`},
	} {
		head := server.head(t)
		reply := call(t, "POST", server.URL+"/api/v1/events", clerk, reuse.body)
		if reply.status != http.StatusUnprocessableEntity || !strings.Contains(string(reply.body), `"field":"id"`) ||
			!strings.Contains(string(reply.body), "an id names one event") {
			t.Fatalf("%s: %d %s, want 422 on id", reuse.name, reply.status, reply.body)
		}
		if after := server.head(t); after != head {
			t.Fatalf("%s moved the head from %d to %d", reuse.name, head, after)
		}
	}

	batch := `{"events":[` + trainingBody("01a23137-540c-75d4-a411-ded49728227a", "S-X-1") + `,` +
		trainingBody("01a23137-540c-75d4-a411-ded49728227a", "S-X-2") + `]}`
	reply := call(t, "POST", server.URL+"/api/v1/events", clerk, batch)
	if reply.status != http.StatusBadRequest || !strings.Contains(string(reply.body), `"field":"events[1].id"`) {
		t.Fatalf("two events of a batch with one id: %d %s, want 400 on events[1].id", reply.status, reply.body)
	}

	reply = call(t, "GET", server.URL+"/api/v1/reconciliation", finance, "")
	if reply.status != http.StatusOK || !strings.Contains(string(reply.body), `"D-SUM-01"`) || strings.Contains(string(reply.body), "D-SHADOW-3") {
		t.Fatalf("reconciliation: %d %s, want D-SUM-01 unmatched and no shadow", reply.status, reply.body)
	}
}

// storedAs is event as the ledger would have stored it, with its id. A key
// of its own keeps JetStream from deduplicating an event that reuses an
// id on the id (its message id without a key).
func storedAs(event domain.Event, id uuid.UUID) domain.Event {
	event.ID = id
	event.IdempotencyKey = "old-" + uuid.Must(uuid.NewV7()).String()
	event.RecordedAt = time.Date(2022, 6, 25, 9, 0, 0, 0, time.UTC)
	event.SchemaVersion = domain.CurrentVersion(event.Type)
	event.Aggregate = domain.AggregateOf(event.Data)
	event.Actor = "clerk-old"
	return event
}

// A log written before the ledger refused reused ids may hold one id on two
// events, and stays as it is. Every reader takes the first event as the
// id's event and finds a void's or correction's target by its position:
// reconciliation, pledges and the export answer, a donation keeps its place
// and amount in them, the audit trail of an id is the first event's, a void
// of the later event leaves the first live and correctable, and the doctor
// names the reuse. The log is appended to the store directly, as an old
// ledger wrote it.
func TestReadersTakeTheFirstEventOfAReusedID(t *testing.T) {
	server := startTestServer(t)
	ctx := context.Background()
	finance, auditor, admin := server.Tokens[httpapi.RoleFinance], server.Tokens[httpapi.RoleAuditor], server.Tokens[httpapi.RoleAdmin]
	x, y, z := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	donationOf := func(id string, fen domain.Money) domain.Event {
		return domain.Event{Type: domain.TypeDonationReceived, County: "150622", OccurredAt: time.Date(2022, 6, 20, 1, 0, 0, 0, time.UTC),
			Data: domain.DonationReceived{DonationID: id, Campaign: "2022-summer-cooling", DonorKind: "enterprise", DonorOrg: "某能源公司",
				Form: domain.FormMoney, Amount: fen}}
	}
	training := func(session string, participants int64) domain.TrainingHeld {
		return domain.TrainingHeld{SessionID: session, Campaign: "2022-health-law-lectures", Topic: "trade-union-law", Title: "x",
			Format: "both", Participants: participants, DurationMinutes: 60, Venue: "x", BeneficiaryGroup: "enterprise-workers"}
	}
	trainingEvent := func(session string) domain.Event {
		return domain.Event{Type: domain.TypeTrainingHeld, County: "150622", OccurredAt: time.Date(2022, 6, 20, 1, 0, 0, 0, time.UTC),
			Data: training(session, 3)}
	}
	amendment := func(data domain.Payload) domain.Event {
		eventType := domain.TypeEntryVoided
		if _, ok := data.(*domain.EntryCorrected); ok {
			eventType = domain.TypeEntryCorrected
		}
		return domain.Event{Type: eventType, County: "150622", OccurredAt: time.Date(2022, 6, 21, 1, 0, 0, 0, time.UTC), Data: data}
	}
	replacement := func(payload any) json.RawMessage {
		encoded, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		return encoded
	}
	shadowDonation := donationOf("D-SHADOW-3", 100)
	log := []domain.Event{
		storedAs(donationOf("D-SUM-01", 30000000), x), // 1
		storedAs(donationOf("D-SUM-03", 50000000), z), // 2
		storedAs(trainingEvent("S-LEC-1"), y),         // 3
		storedAs(trainingEvent("S-SHADOW-1"), x),      // 4: reuses D-SUM-01's id
		storedAs(amendment(&domain.EntryCorrected{Campaign: "2022-health-law-lectures", TargetEventID: x.String(), Reason: "r", // 5
			Replacement: replacement(training("S-SHADOW-1", 4)), TargetLocation: domain.TargetLocation{TargetPosition: 4, EffectivePosition: 4}}),
			uuid.Must(uuid.NewV7())),
		storedAs(trainingEvent("S-SHADOW-2"), y), // 6: reuses S-LEC-1's id
		storedAs(amendment(domain.EntryVoided{Campaign: "2022-health-law-lectures", TargetEventID: y.String(), Reason: "r", // 7
			TargetLocation: domain.TargetLocation{TargetPosition: 6, EffectivePosition: 6}}), uuid.Must(uuid.NewV7())),
		storedAs(shadowDonation, z), // 8: reuses D-SUM-03's id
		storedAs(amendment(&domain.EntryCorrected{Campaign: "2022-summer-cooling", TargetEventID: z.String(), Reason: "r", // 9
			Replacement: replacement(donationOf("D-SHADOW-3", 500).Data), TargetLocation: domain.TargetLocation{TargetPosition: 8, EffectivePosition: 8}}),
			uuid.Must(uuid.NewV7())),
	}
	for i, event := range log {
		part := eventstore.AggregateAppend{Aggregate: event.Aggregate, ExpectedVersion: eventstore.AnyVersion, Events: []domain.Event{event}}
		if positions, err := server.Store.Append(ctx, part); err != nil || positions[0] != uint64(i+1) {
			t.Fatalf("append %d: %v %v", i+1, positions, err)
		}
	}

	reply := call(t, "GET", server.URL+"/api/v1/reconciliation", finance, "")
	var book struct {
		Reconciliation struct {
			Unmatched []struct {
				DonationID string       `json:"donation_id"`
				Amount     domain.Money `json:"amount"`
			} `json:"unmatched_donations"`
		} `json:"reconciliation"`
	}
	if reply.status != http.StatusOK || json.Unmarshal(reply.body, &book) != nil {
		t.Fatalf("reconciliation: %d %s", reply.status, reply.body)
	}
	amounts := map[string]domain.Money{}
	for _, donation := range book.Reconciliation.Unmatched {
		amounts[donation.DonationID] = donation.Amount
	}
	if amounts["D-SUM-01"] != 30000000 || amounts["D-SUM-03"] != 50000000 || amounts["D-SHADOW-3"] != 500 || len(amounts) != 3 {
		t.Fatalf("unmatched donations = %v, want D-SUM-01 ¥300,000, D-SUM-03 ¥500,000 and D-SHADOW-3 as corrected, ¥5", amounts)
	}
	for _, path := range []string{"/api/v1/pledges", "/api/v1/reconciliation/export?format=csv"} {
		if reply := call(t, "GET", server.URL+path, finance, ""); reply.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, reply.status, reply.body)
		}
	}

	reply = call(t, "GET", server.URL+"/api/v1/audit/"+x.String(), auditor, "")
	if reply.status != http.StatusOK || !strings.Contains(string(reply.body), "D-SUM-01") || strings.Contains(string(reply.body), "S-SHADOW-1") ||
		strings.Contains(string(reply.body), "entry_corrected") {
		t.Fatalf("audit of D-SUM-01's id: %d %s, want the donation's history only", reply.status, reply.body)
	}
	reply = call(t, "GET", server.URL+"/api/v1/audit/"+y.String(), auditor, "")
	if reply.status != http.StatusOK || !strings.Contains(string(reply.body), "S-LEC-1") || strings.Contains(string(reply.body), "entry_voided") {
		t.Fatalf("audit of S-LEC-1's id: %d %s, want S-LEC-1 recorded and not voided", reply.status, reply.body)
	}

	correction := `{"type":"entry_corrected","county":"150622","occurred_at":"2022-06-22T09:00:00+08:00","data":{"campaign":"2022-health-law-lectures","target_event_id":"` +
		y.String() + `","reason":"participants were 4","replacement":` + string(replacement(training("S-LEC-1", 4))) + `}}`
	correctionID, _ := recorded(t, server, admin, correction)
	stored, err := server.Store.Get(ctx, server.head(t))
	if err != nil || stored.Event.ID.String() != correctionID {
		t.Fatalf("the correction: %+v %v", stored, err)
	}
	if location := stored.Event.Data.(*domain.EntryCorrected).TargetLocation; location.TargetPosition != 3 {
		t.Fatalf("the correction of S-LEC-1 targets position %d, want 3", location.TargetPosition)
	}
}
