package esdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	clientesdb "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/esdb"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
)

func storedDonation(t *testing.T, key string) (domain.Event, []byte) {
	t.Helper()
	event := eventstoretest.Donation("2022-summer-cooling", "150602", "D-1", 10000)
	event.ID = uuid.Must(uuid.NewV7())
	event.SchemaVersion = domain.CurrentVersion(event.Type)
	event.Aggregate = domain.AggregateOf(event.Data)
	event.RecordedAt = eventstoretest.Clock().UTC()
	event.IdempotencyKey = key
	data, err := event.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return event, data
}

// recorded is what the server would hand back for the event data.
func recorded(event domain.Event, data clientesdb.EventData) *clientesdb.RecordedEvent {
	return &clientesdb.RecordedEvent{EventID: data.EventID, EventType: data.EventType, StreamID: esdb.StreamName(esdb.DefaultStreamPrefix, event.Aggregate),
		EventNumber: 4, Position: clientesdb.Position{Commit: 900, Prepare: 900}, Data: data.Data, UserMetadata: data.Metadata}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	event, data := storedDonation(t, "")
	eventData, err := esdb.ToEventData(event, data)
	if err != nil {
		t.Fatal(err)
	}
	if eventData.EventID != event.ID || eventData.EventType != "donation_received" || eventData.ContentType != clientesdb.ContentTypeJson {
		t.Fatalf("event data = %+v", eventData)
	}
	if string(eventData.Data) != string(data) {
		t.Fatal("the stored bytes are not kept exactly")
	}
	var envelope esdb.Envelope
	if err := json.Unmarshal(eventData.Metadata, &envelope); err != nil {
		t.Fatal(err)
	}
	want := esdb.Envelope{Version: 1, EventID: event.ID.String(), Type: "donation_received", SchemaVersion: event.SchemaVersion,
		AggregateKind: "campaign", AggregateID: "2022-summer-cooling", County: "150602", RecordedAt: event.RecordedAt}
	if envelope != want {
		t.Fatalf("envelope = %+v, want %+v", envelope, want)
	}
	back, err := esdb.FromRecorded(esdb.DefaultStreamPrefix, recorded(event, eventData))
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != event.ID || back.Type != event.Type || back.Aggregate != event.Aggregate || back.County != event.County {
		t.Fatalf("read back %+v, want %+v", back, event)
	}
}

func TestEnvelopeMismatchRefused(t *testing.T) {
	event, data := storedDonation(t, "")
	eventData, err := esdb.ToEventData(event, data)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := storedDonation(t, "")
	otherData, _ := esdb.ToEventData(other, data)
	for name, mutate := range map[string]func(*clientesdb.RecordedEvent){
		"metadata of another event": func(r *clientesdb.RecordedEvent) { r.UserMetadata = otherData.Metadata },
		"wrong stream":              func(r *clientesdb.RecordedEvent) { r.StreamID = "ledger-campaign-general" },
		"no metadata":               func(r *clientesdb.RecordedEvent) { r.UserMetadata = nil },
		"newer envelope": func(r *clientesdb.RecordedEvent) {
			r.UserMetadata = []byte(`{"envelope_version":2}`)
		},
		"damaged data": func(r *clientesdb.RecordedEvent) { r.Data = r.Data[:len(r.Data)/2] },
	} {
		record := recorded(event, eventData)
		mutate(record)
		if _, err := esdb.FromRecorded(esdb.DefaultStreamPrefix, record); !errors.Is(err, esdb.ErrUndecodable) {
			t.Errorf("%s: read with %v, want ErrUndecodable", name, err)
		}
	}
}

// Events with an idempotency key get an id derived from their aggregate and
// key, so the server recognises a retry; others keep their own.
func TestStoreEventID(t *testing.T) {
	plain, _ := storedDonation(t, "")
	if esdb.StoreEventID(plain) != plain.ID {
		t.Fatal("an event without a key does not keep its id")
	}
	first, _ := storedDonation(t, "import-7")
	retry, _ := storedDonation(t, "import-7")
	if first.ID == retry.ID || esdb.StoreEventID(first) != esdb.StoreEventID(retry) {
		t.Fatal("a retry with the same key does not get the same store id")
	}
	elsewhere := retry
	elsewhere.Aggregate.ID = "general"
	if esdb.StoreEventID(elsewhere) == esdb.StoreEventID(first) {
		t.Fatal("the same key in another aggregate gets the same store id")
	}
	if esdb.StreamName(esdb.DefaultStreamPrefix, first.Aggregate) != "ledger-campaign-2022-summer-cooling" ||
		!esdb.IsLedgerStream(esdb.DefaultStreamPrefix, "ledger-account-6222") || esdb.IsLedgerStream(esdb.DefaultStreamPrefix, "$stats-127.0.0.1") {
		t.Fatal("stream names")
	}
}

func TestExpectedRevision(t *testing.T) {
	cases := []struct {
		expected uint64
		last     esdb.LastEvent
		want     clientesdb.ExpectedRevision
		conflict uint64
	}{
		{eventstore.AnyVersion, esdb.LastEvent{}, clientesdb.Any{}, 0},
		{eventstore.AnyVersion, esdb.LastEvent{Exists: true, Revision: 3, Position: 40}, clientesdb.Any{}, 0},
		{0, esdb.LastEvent{}, clientesdb.NoStream{}, 0},
		{40, esdb.LastEvent{Exists: true, Revision: 3, Position: 40}, clientesdb.Revision(3), 0},
		{39, esdb.LastEvent{Exists: true, Revision: 3, Position: 40}, nil, 40},
		{0, esdb.LastEvent{Exists: true, Revision: 0, Position: 7}, nil, 7},
		{12, esdb.LastEvent{}, nil, 0},
	}
	for _, c := range cases {
		name := fmt.Sprintf("expected %d, last %+v", c.expected, c.last)
		got, err := esdb.ExpectedRevision(c.expected, c.last)
		if c.want == nil {
			var conflict *eventstore.ConflictError
			if !errors.As(err, &conflict) || !errors.Is(err, domain.ErrConflict) || conflict.Actual != c.conflict || conflict.Expected != c.expected {
				t.Errorf("%s: err = %v, want a conflict at %d", name, err, c.conflict)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %#v, %v; want %#v", name, got, err, c.want)
		}
	}
}

func TestPositions(t *testing.T) {
	positions := []clientesdb.Position{{Commit: 100, Prepare: 100}, {Commit: 250, Prepare: 250}, {Commit: 250, Prepare: 260}, {Commit: 900, Prepare: 900}}
	for i, position := range positions {
		if got := esdb.LedgerPosition(positions, position); got != uint64(i+1) {
			t.Errorf("position %+v is ledger %d, want %d", position, got, i+1)
		}
	}
	for _, absent := range []clientesdb.Position{{Commit: 0}, {Commit: 99}, {Commit: 250, Prepare: 255}, {Commit: 901, Prepare: 901}} {
		if got := esdb.LedgerPosition(positions, absent); got != 0 {
			t.Errorf("position %+v found at %d, want absent", absent, got)
		}
	}
	if !esdb.After(positions[2], positions[1]) || esdb.After(positions[1], positions[2]) || esdb.After(positions[0], positions[0]) {
		t.Error("After orders positions wrongly")
	}
}

func TestMapError(t *testing.T) {
	aggregate := domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"}
	if esdb.MapError(nil, aggregate, 3) != nil {
		t.Fatal("nil maps to an error")
	}
	plain := errors.New("connection refused")
	if got := esdb.MapError(plain, aggregate, 3); got != plain {
		t.Fatalf("a plain error became %v", got)
	}
}

func TestSideStreamsStayOutOfTheLog(t *testing.T) {
	for _, prefix := range []string{esdb.DefaultStreamPrefix, "ledgertest1a2b3c4d-", "union."} {
		meta := esdb.MetaStreamPrefix(prefix)
		if esdb.IsLedgerStream(prefix, meta+"projection-totals") || esdb.IsLedgerStream(prefix, meta+"key-00") {
			t.Errorf("prefix %q: side stream %q counts as a ledger stream", prefix, meta)
		}
	}
}

func TestOpenRefusesAPrefixTheSideStreamsShare(t *testing.T) {
	// The prefix is checked before any connection is made, so no server
	// is needed.
	for _, prefix := range []string{"meta-", "me", "m", "u-account-", "x-campaign-y-"} {
		_, err := esdb.Open(context.Background(), "esdb://127.0.0.1:1?tls=false", esdb.Options{StreamPrefix: prefix})
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("prefix %q: %v, want ErrInvalid", prefix, err)
		}
	}
}

func TestSplitConnectionTakesOutThePrefix(t *testing.T) {
	cases := []struct{ in, rest, prefix string }{
		{"esdb://127.0.0.1:2113?tls=false", "esdb://127.0.0.1:2113?tls=false", ""},
		{"esdb://127.0.0.1:2113?tls=false&ledgerStreamPrefix=union-a-", "esdb://127.0.0.1:2113?tls=false", "union-a-"},
		{"esdb://127.0.0.1:2113?ledgerStreamPrefix=t1-&tls=false", "esdb://127.0.0.1:2113?tls=false", "t1-"},
		{"esdb://127.0.0.1:2113?ledgerStreamPrefix=t1-", "esdb://127.0.0.1:2113", "t1-"},
		{"esdb://127.0.0.1:2113", "esdb://127.0.0.1:2113", ""},
		{"esdb://127.0.0.1:2113?LedgerStreamPrefix=u-&tls=false", "esdb://127.0.0.1:2113?tls=false", "u-"},
	}
	for _, c := range cases {
		rest, prefix, err := esdb.SplitConnection(c.in)
		if err != nil || rest != c.rest || prefix != c.prefix {
			t.Errorf("SplitConnection(%q) = %q, %q, %v; want %q, %q", c.in, rest, prefix, err, c.rest, c.prefix)
		}
	}
	if _, _, err := esdb.SplitConnection("esdb://h:2113?tls=%zz"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a broken query: %v, want ErrInvalid", err)
	}
	if _, err := esdb.Open(context.Background(), "esdb://127.0.0.1:1?tls=false&ledgerStreamPrefix=meta-", esdb.Options{}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a prefix from the connection string is checked too: %v", err)
	}
}

func TestNestedPrefixesStayApart(t *testing.T) {
	if esdb.IsLedgerStream("union-a-", "union-a-b-campaign-2022-summer-cooling") {
		t.Error("a ledger under union-a-b- was taken for union-a-'s")
	}
	if !esdb.IsLedgerStream("union-a-", "union-a-campaign-2022-summer-cooling") || !esdb.IsLedgerStream("union-a-", "union-a-account-6222") {
		t.Error("union-a-'s own streams were not recognised")
	}
	if esdb.IsLedgerStream("ledger-", "ledger-unknownkind-x") {
		t.Error("a stream of no aggregate kind counts as a ledger stream")
	}
}
