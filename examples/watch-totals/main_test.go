package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// lockedBuffer is what watch prints, read while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// liveLedger is an embedded server with the live totals of two cells,
// kept as serve keeps them.
type liveLedger struct {
	dir      string
	server   *server.Server
	connect  func(natsjs.Role) *nats.Conn
	operator jetstream.JetStream
	live     *natsjs.LiveTotals
	mu       sync.Mutex
	received map[string]string
}

func startLiveTotals(ctx context.Context, t *testing.T) *liveLedger {
	dir := t.TempDir()
	credentials, _, err := natsjs.LoadOrCreateCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{DataDir: dir, Credentials: credentials, Listen: true, Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { natsServer.Shutdown(); natsServer.WaitForShutdown() })
	connect := func(role natsjs.Role) *nats.Conn {
		options := append(credentials.ConnectOptions(role), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		connection, err := natsjs.ConnectInProcess(natsServer, string(role), options...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(connection.Close)
		return connection
	}
	if err := natsjs.Provision(ctx, connect(natsjs.RoleOperator), natsjs.Options{}); err != nil {
		t.Fatal(err)
	}
	// The ledger's side: the totals of two cells, kept as serve keeps them.
	ledger := &liveLedger{dir: dir, server: natsServer, connect: connect, received: map[string]string{"150626.general": "1.00", "150622.general": "7.00"}}
	live, err := natsjs.OpenLiveTotals(ctx, connect(natsjs.RoleRuntime), 1, func(county, campaign string) ([]byte, error) {
		ledger.mu.Lock()
		defer ledger.mu.Unlock()
		return json.Marshal(map[string]any{"received": ledger.received[county+"."+campaign], "spent": "0.00"})
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go live.Run(ctx)
	live.Changed("150626", "general")
	live.Changed("150622", "general")
	operator, err := jetstream.New(connect(natsjs.RoleOperator))
	if err != nil {
		t.Fatal(err)
	}
	// The totals are written before a test goes on, so that what this
	// program prints first comes from reading the current values.
	natsjstest.CheckFor(t, 10*time.Second, func() error {
		stream, err := operator.Stream(ctx, natsjs.LiveTotalsStream)
		if err != nil {
			return err
		}
		if got := stream.CachedInfo().State.Msgs; got < 2 {
			return fmt.Errorf("the live totals hold %d values, want 2", got)
		}
		return nil
	})
	ledger.operator, ledger.live = operator, live
	return ledger
}

// One holder of the watcher's credential cannot lock the others out of
// the live totals: a flood of consumer requests on the bucket's stream, as
// a reviewer sent (999 consumers, then no one could `kv watch`), makes at
// most LiveTotalsConsumersMax, and this program, run with the same
// credential meanwhile, still reads the current totals and follows a
// change, as it takes no consumer place.
func TestFloodOfConsumersDoesNotLockOutTheTotals(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ledger := startLiveTotals(ctx, t)
	connect, operator, dir, natsServer, live := ledger.connect, ledger.operator, ledger.dir, ledger.server, ledger.live
	mu, received := &ledger.mu, ledger.received

	// The flood, with the watcher's credential: durable consumers asked for
	// on the subject nats.go's watch uses, until the server refuses.
	flooder := connect(natsjs.RoleWatcher)
	created, refused := 0, 0
	for i := range natsjs.LiveTotalsConsumersMax + 100 {
		name := fmt.Sprintf("flood%06d", i)
		request, _ := json.Marshal(map[string]any{"stream_name": natsjs.LiveTotalsStream, "config": map[string]any{
			"durable_name": name, "name": name, "deliver_policy": "last_per_subject", "ack_policy": "none",
			"inactive_threshold": int64(299 * time.Second), "filter_subject": "$KV." + natsjs.LiveTotalsBucket + ".>"}})
		reply, err := flooder.Request("$JS.API.CONSUMER.CREATE."+natsjs.LiveTotalsStream+"."+name+".$KV."+natsjs.LiveTotalsBucket+".>", request, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var answer struct {
			Error *struct{ Description string } `json:"error"`
		}
		if err := json.Unmarshal(reply.Data, &answer); err != nil {
			t.Fatal(err)
		}
		if answer.Error == nil {
			created++
		} else {
			refused++
		}
	}
	stream, err := operator.Stream(ctx, natsjs.LiveTotalsStream)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the flood made %d consumers, %d refused; the stream holds %d", created, refused, stream.CachedInfo().State.Consumers)
	if created > natsjs.LiveTotalsConsumersMax || refused < 100 || stream.CachedInfo().State.Consumers > natsjs.LiveTotalsConsumersMax {
		t.Fatalf("the flood made %d consumers (%d refused), the stream holds %d; want at most %d", created, refused,
			stream.CachedInfo().State.Consumers, natsjs.LiveTotalsConsumersMax)
	}
	// A `kv watch` now finds no place: that is what the cap costs.
	watcherJS, err := jetstream.New(connect(natsjs.RoleWatcher))
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := watcherJS.KeyValue(ctx, natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if watcher, err := bucket.Watch(ctx, "150626.>"); err == nil {
		watcher.Stop()
		t.Fatal("a kv watch found a consumer place after the flood took every one")
	} else if apiError := (*nats.APIError)(nil); !errors.As(err, &apiError) || apiError.ErrorCode != nats.ErrorCode(jetstream.JSErrCodeMaximumConsumersLimit) {
		t.Fatalf("a kv watch after the flood: %v, want the server's maximum consumers limit", err)
	}

	// This program, with another connection of the same credential,
	// reads the current totals and follows a change all the same.
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- watch(ctx, natsServer.ClientURL(), natsjs.SeedFile(dir, natsjs.RoleWatcher), "150626.>", out)
	}()
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		if text := out.String(); !strings.Contains(text, "150626.general") || !strings.Contains(text, "received ¥1.00") ||
			!strings.Contains(text, "(caught up; now following)") {
			return fmt.Errorf("watch-totals printed %q", text)
		}
		return nil
	})
	mu.Lock()
	received["150626.general"] = "3.00"
	mu.Unlock()
	live.Changed("150626", "general")
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		if text := out.String(); !strings.Contains(text, "received ¥3.00") {
			return fmt.Errorf("watch-totals printed %q", text)
		}
		return nil
	})
	if text := out.String(); strings.Contains(text, "150622") {
		t.Fatalf("watching 150626.> printed another county:\n%s", text)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// A holder of the watcher's credential can have the server deliver the
// bucket's own messages on any subject, the one a dashboard follows too:
// NATS checks no consumer's deliver subject against its creator's
// permissions. A reviewer sent the city's cell onto a county's subject.
// This program takes a value's key from its Nats-Subject header, which
// only the server's republish sets, never from the subject it came on, so
// it neither shows the city's figures as the county's nor stops.
func TestDeliveriesOntoTheFollowedSubjectAreNotTakenForTotals(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ledger := startLiveTotals(ctx, t)
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- watch(ctx, ledger.server.ClientURL(), natsjs.SeedFile(ledger.dir, natsjs.RoleWatcher), "150626.>", out)
	}()
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		if text := out.String(); !strings.Contains(text, "(caught up; now following)") {
			return fmt.Errorf("watch-totals printed %q", text)
		}
		return nil
	})

	// The forgery: a push consumer of 150622's cell, delivering onto the
	// subject of 150626's.
	forger := ledger.connect(natsjs.RoleWatcher)
	spy, err := ledger.connect(natsjs.RoleWatcher).SubscribeSync(followPrefix + "150626.general")
	if err != nil {
		t.Fatal(err)
	}
	request, _ := json.Marshal(map[string]any{"stream_name": natsjs.LiveTotalsStream, "config": map[string]any{
		"deliver_subject": followPrefix + "150626.general", "deliver_policy": "all", "ack_policy": "none",
		"filter_subject": kvPrefix + "150622.general"}})
	reply, err := forger.Request("$JS.API.CONSUMER.CREATE."+natsjs.LiveTotalsStream, request, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Error *struct{ Description string } `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &answer); err != nil || answer.Error != nil {
		t.Fatalf("the watcher's push consumer: %s %v", reply.Data, err)
	}
	// The spy, a plain subscriber of the county's subject, sees the
	// forged delivery: it did reach the subject this program follows.
	if m, err := spy.NextMsg(10 * time.Second); err != nil || !strings.Contains(string(m.Data), `"7.00"`) {
		t.Fatalf("the forged delivery did not come: %v %v", m, err)
	}
	// A change of the followed cell after it, so that the forged
	// delivery, sent first, was read by the time this shows.
	ledger.mu.Lock()
	ledger.received["150626.general"] = "3.00"
	ledger.mu.Unlock()
	ledger.live.Changed("150626", "general")
	natsjstest.CheckFor(t, 30*time.Second, func() error {
		select {
		case err := <-done:
			t.Fatalf("watch-totals stopped: %v; it printed:\n%s", err, out.String())
		default:
		}
		if text := out.String(); !strings.Contains(text, "received ¥3.00") {
			return fmt.Errorf("watch-totals printed %q", text)
		}
		return nil
	})
	if text := out.String(); strings.Contains(text, "¥7.00") {
		t.Fatalf("watch-totals showed the city's figures delivered on the county's subject:\n%s", text)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
