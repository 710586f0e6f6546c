package natsjs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// connectURL connects to a server by URL, closed at the end of the test.
func connectURL(t *testing.T, url string) *nats.Conn {
	t.Helper()
	connection, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(connection.Close)
	return connection
}

// The conformance suite holds through a separate nats-server process (the
// version go.mod pins), reached over TCP as a user's own server is.
func TestConformanceExternalServer(t *testing.T) {
	binary := natsjstest.PinnedServer(t)
	eventstoretest.Run(t, eventstoretest.Harness{
		Open: func(t *testing.T) eventstore.Store {
			connection := connectURL(t, natsjstest.RunExternalServer(t, binary))
			return natsjstest.Open(t, connection, natsjs.Options{})
		},
	})
}

// A server older than the ledger needs (Debian's packaged 2.9.10) is
// refused with its version and the version needed, and nothing is made or
// written on it; an existing log on it can still be read.
func TestServerTooOldIsRefusedAndNothingIsWritten(t *testing.T) {
	ctx := context.Background()
	url := natsjstest.RunExternalServer(t, natsjstest.DebianNATSServer)
	connection := connectURL(t, url)
	version := connection.ConnectedServerVersion()
	_, err := natsjs.Open(ctx, connection, natsjs.Options{})
	if !errors.Is(err, natsjs.ErrServerTooOld) || !errors.Is(err, eventstore.ErrUnsupported) ||
		!strings.Contains(err.Error(), "nats-server "+version) || !strings.Contains(err.Error(), "2.12 or later") {
		t.Fatalf("open on nats-server %s: %v; want a refusal naming the version and 2.12", version, err)
	}
	js, err := jetstream.New(connection)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(ctx, "LEDGER"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("the refused open left a stream behind: %v", err)
	}

	// A log that exists (made by hand here, as an operator might have made
	// it) is read, and nothing is appended to it.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "LEDGER", Subjects: []string{"ledger.events.>"}, DenyDelete: true, DenyPurge: true}); err != nil {
		t.Fatal(err)
	}
	event := domain.Event{ID: uuid.Must(uuid.NewV7()), Type: domain.TypeDonationReceived, SchemaVersion: domain.SchemaVersion, County: "150626",
		OccurredAt: time.Date(2022, 6, 1, 9, 0, 0, 0, domain.Beijing), RecordedAt: time.Now().UTC(), Actor: "clerk",
		Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"},
		Data:      domain.DonationReceived{DonationID: "D-1", Campaign: "general", DonorKind: "individual", Form: domain.FormMoney, Amount: 100_00}}
	data, err := event.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	message := nats.NewMsg("ledger.events.campaign.general.150626.donation_received")
	message.Data = data
	message.Header.Set(natsjs.HeaderEventID, event.ID.String())
	message.Header.Set(natsjs.HeaderEventType, string(event.Type))
	message.Header.Set(natsjs.HeaderSchemaVersion, strconv.Itoa(event.SchemaVersion))
	if _, err := js.PublishMsg(ctx, message); err != nil {
		t.Fatal(err)
	}
	store, err := natsjs.Open(ctx, connection, natsjs.Options{})
	if err != nil {
		t.Fatalf("open an existing log on nats-server %s to read: %v", version, err)
	}
	defer store.Close()
	if !errors.Is(store.ReadOnly(), natsjs.ErrServerTooOld) {
		t.Fatalf("store on nats-server %s: read-only %v, want it refusing appends", version, store.ReadOnly())
	}
	var read []domain.Event
	for record, err := range store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, record.Event)
	}
	if len(read) != 1 || read[0].ID != event.ID {
		t.Fatalf("read %d events from the old server's log, want the one there", len(read))
	}
	second := event
	second.ID = uuid.Must(uuid.NewV7())
	for _, events := range [][]domain.Event{{second}, {second, second}} {
		_, err := store.Append(ctx, eventstore.AggregateAppend{Aggregate: event.Aggregate, ExpectedVersion: 1, Events: events})
		if !errors.Is(err, natsjs.ErrServerTooOld) {
			t.Fatalf("append of %d events on nats-server %s: %v, want it refused", len(events), version, err)
		}
	}
	stream, err := js.Stream(ctx, "LEDGER")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := stream.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Fatalf("after the refused appends the old server's log holds %v messages (%v), want 1", info.State.Msgs, err)
	}
}

// Behind the version gate: if a server answers a batch in a way the ledger
// does not expect (here Debian's 2.9.10, which ignores the batch headers
// and writes message by message), the ledger reads back what was stored by
// the events' ids and reports exactly that: all of a batch stored is
// success, part of one is named position by position, never "0 of N".
func TestUnexpectedBatchAnswerReportsWhatWasStored(t *testing.T) {
	ctx := context.Background()
	connection := connectURL(t, natsjstest.RunExternalServer(t, natsjstest.DebianNATSServer))
	js, err := jetstream.New(connection)
	if err != nil {
		t.Fatal(err)
	}
	// The stream takes messages of at most 2 KiB: the server refuses a
	// larger one on its own, whatever else the batch holds.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "LEDGER", Subjects: []string{"ledger.events.>"}, DenyDelete: true, DenyPurge: true,
		MaxMsgSize: 2048}); err != nil {
		t.Fatal(err)
	}
	store, err := natsjs.Open(ctx, connection, natsjs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	natsjs.AllowAppendsForTest(store)
	aggregate := domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"}
	donation := func(n int) domain.Event {
		return domain.Event{ID: uuid.Must(uuid.NewV7()), Type: domain.TypeDonationReceived, SchemaVersion: domain.SchemaVersion, County: "150626",
			OccurredAt: time.Date(2022, 6, 1, 9, 0, 0, 0, domain.Beijing), RecordedAt: time.Now().UTC(), Actor: "clerk", Aggregate: aggregate,
			IdempotencyKey: "k-" + strconv.Itoa(n),
			Data:           domain.DonationReceived{DonationID: "D-" + strconv.Itoa(n), Campaign: "general", DonorKind: "individual", Form: domain.FormMoney, Amount: 100_00}}
	}
	positions, err := store.Append(ctx, eventstore.AggregateAppend{Aggregate: aggregate, ExpectedVersion: 0, Events: []domain.Event{donation(1), donation(2), donation(3)}})
	if err != nil || len(positions) != 3 || positions[0] != 1 || positions[2] != 3 {
		t.Fatalf("a batch the server wrote whole, message by message: positions %v, %v; want 1..3 and no error", positions, err)
	}
	// The first message is too large: the old server refuses it and stores
	// the other two, since it does not keep the batch whole.
	large := donation(4)
	data := large.Data.(domain.DonationReceived)
	data.Note = strings.Repeat("备注", 600)
	large.Data = data
	_, err = store.Append(ctx, eventstore.AggregateAppend{Aggregate: aggregate, ExpectedVersion: 3, Events: []domain.Event{large, donation(5), donation(6)}})
	if err == nil || !strings.Contains(err.Error(), "NOT ATOMIC") || !strings.Contains(err.Error(), "stored 2 of 3 events (at positions [4 5])") {
		t.Fatalf("a batch the server broke up: %v; want it named as 2 of 3 stored at 4 and 5", err)
	}
	if head, err := store.Head(ctx); err != nil || head != 5 {
		t.Fatalf("head %d (%v), want 5", head, err)
	}
}

// mixedClusterConfig is one node of a two-node cluster on 127.0.0.1:
// routes to both nodes' ports, JetStream in storeDir.
func mixedClusterConfig(t *testing.T, name string, routePort int, routePorts []int) string {
	t.Helper()
	var routes []string
	for _, port := range routePorts {
		routes = append(routes, "nats-route://127.0.0.1:"+strconv.Itoa(port))
	}
	config := "server_name: " + name + "\nlisten: 127.0.0.1:-1\njetstream { store_dir: " + strconv.Quote(filepath.Join(t.TempDir(), "store")) + " }\n" +
		"cluster { name: mixed, listen: 127.0.0.1:" + strconv.Itoa(routePort) + ", routes: [" + strings.Join(routes, ", ") + "] }\n"
	path := filepath.Join(t.TempDir(), name+".conf")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// On a cluster the connected server is not the only one checked: a node
// of the cluster older than the ledger needs (Debian's 2.9.10 beside the
// pinned server) is found by asking every node for its version, and the
// ledger refuses by that node's name and version, although the server it
// is connected to is new enough.
func TestClusterNodeTooOldIsRefused(t *testing.T) {
	ctx := context.Background()
	ports := natsjstest.FreePorts(t, 2)
	newer, _ := natsjstest.RunExternalConfig(t, natsjstest.PinnedServer(t), mixedClusterConfig(t, "new-node", ports[0], ports), nil)
	natsjstest.RunExternalConfig(t, natsjstest.DebianNATSServer, mixedClusterConfig(t, "old-node", ports[1], ports), nil)
	connection := connectURL(t, newer)
	// The route is up once the connected server tells its clients of the
	// other node's client URL.
	natsjstest.CheckFor(t, 60*time.Second, func() error {
		if len(connection.DiscoveredServers()) == 0 {
			return errors.New("the new node has not told of the old one")
		}
		return nil
	})
	_, err := natsjs.Open(ctx, connection, natsjs.Options{})
	if !errors.Is(err, natsjs.ErrServerTooOld) || !strings.Contains(err.Error(), "nats-server 2.9.10 on node old-node of cluster mixed") ||
		!strings.Contains(err.Error(), "2.12 or later") {
		t.Fatalf("open through the new node of a cluster with an old one: %v; want a refusal naming old-node and 2.9.10", err)
	}
	t.Logf("refused: %v", err)
}
