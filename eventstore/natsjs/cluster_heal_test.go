package natsjs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// replicaState is the ledger stream as one server of the cluster holds it:
// its own copy, not the leader's view of it.
func replicaState(natsServer *server.Server) (server.StreamState, error) {
	info, err := natsServer.Jsz(&server.JSzOptions{Accounts: true, Streams: true})
	if err != nil {
		return server.StreamState{}, err
	}
	for _, account := range info.AccountDetails {
		for _, stream := range account.Streams {
			if stream.Name == "LEDGER" {
				return stream.State, nil
			}
		}
	}
	return server.StreamState{}, fmt.Errorf("%s holds no LEDGER stream", natsServer.Name())
}

// A follower's block file is damaged while it is down: one byte of one
// event changed. Started again, the follower's index claims every event,
// and once it leads it answers the damaged position with "message not
// found": JetStream does not heal it by itself. With its copy set aside
// (natsjs.SetAsideReplica) and started again, it takes the stream whole
// from its peers, and every event reads from it, as it leads, with the
// bytes written.
func TestClusterSurvivesADamagedReplica(t *testing.T) {
	const events = 30
	nodes := startCluster(t)
	opened := openClusterLedger(t, nodes, natsjs.Options{RetryWindow: 60 * time.Second})
	ctx, connection, store, service := opened.ctx, opened.connection, opened.store, opened.service
	for i := range events {
		event := eventstoretest.Donation("general", "150626", fmt.Sprintf("D-DAMAGE-%02d", i), 100)
		if _, err := service.Record(ctx, []domain.Event{event}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	var written []natsjs.RawMessage
	for raw, err := range store.Raw(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, raw)
	}
	if len(written) != events {
		t.Fatalf("read %d events back, want %d", len(written), events)
	}
	js, _ := jetstream.New(connection)
	stream, err := js.Stream(ctx, "LEDGER")
	if err != nil {
		t.Fatal(err)
	}
	var follower *clusterNode
	natsjstest.CheckFor(t, catchUpSecondsMax*time.Second, func() error {
		look, cancel := context.WithTimeout(context.Background(), clusterLookSeconds*time.Second)
		defer cancel()
		info, err := stream.Info(look)
		if err != nil {
			return err
		}
		if info.Cluster == nil || info.Cluster.Leader == "" {
			return fmt.Errorf("no stream leader yet")
		}
		// Every replica holds every event before one is damaged.
		for _, node := range nodes {
			state, err := replicaState(node.server)
			if err != nil {
				return err
			}
			if state.Msgs != events {
				return fmt.Errorf("%s holds %d events, want %d", node.options.ServerName, state.Msgs, events)
			}
			if node.options.ServerName != info.Cluster.Leader && node.server.ClientURL() != connection.ConnectedUrl() {
				follower = node
			}
		}
		if follower == nil {
			return fmt.Errorf("no follower apart from the one this client is connected to")
		}
		return nil
	})
	follower.server.Shutdown()
	follower.server.WaitForShutdown()
	follower.server = nil

	damaged := []byte("D-DAMAGE-15")
	natsjstest.DamageStoredEvent(t, follower.options.DataDir, string(damaged))
	follower.server, err = natsjs.StartServer(follower.options)
	if err != nil {
		t.Fatal(err)
	}
	damagedPosition := uint64(16)
	if !bytes.Contains(written[damagedPosition-1].Data, damaged) {
		t.Fatalf("position %d does not hold %s", damagedPosition, damaged)
	}
	// JetStream does not heal it by itself: the follower's index says it
	// holds every event, and once it leads, it answers without the damaged
	// one.
	state, err := replicaState(follower.server)
	if err != nil || state.Msgs != events || state.NumDeleted != 0 {
		t.Fatalf("the damaged follower started with %+v (%v): want its index to claim all %d events", state, err, events)
	}
	lead(t, connection, stream, follower)
	readFromReplica(t, follower, written, func(position uint64, err error) error {
		if position == damagedPosition {
			if err == nil {
				return fmt.Errorf("the damaged follower answered position %d: JetStream healed it by itself", position)
			}
			return nil
		}
		return err
	})

	// The ledger heals it: the node stopped, its copy set aside, started
	// again, it takes the stream whole from its peers.
	follower.server.Shutdown()
	follower.server.WaitForShutdown()
	follower.server = nil
	kept, err := natsjs.SetAsideReplica(follower.options.DataDir, "LEDGER")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(kept, "msgs")); err != nil {
		t.Fatalf("the damaged copy was not kept in %s: %v", kept, err)
	}
	follower.server, err = natsjs.StartServer(follower.options)
	if err != nil {
		t.Fatal(err)
	}
	startedAt := time.Now()
	natsjstest.CheckFor(t, catchUpSecondsMax*time.Second, func() error {
		state, err := replicaState(follower.server)
		if err != nil {
			return err
		}
		if state.Msgs != events || state.NumDeleted != 0 || state.FirstSeq != 1 || state.LastSeq != events {
			return fmt.Errorf("the healed follower %s holds %d events (%d-%d, %d deleted), want %d", follower.options.ServerName,
				state.Msgs, state.FirstSeq, state.LastSeq, state.NumDeleted, events)
		}
		return nil
	})
	t.Logf("the follower held every event again %s after its start", time.Since(startedAt).Round(time.Millisecond))
	// Every event is read from the healed replica itself, as it leads,
	// with the bytes written.
	lead(t, connection, stream, follower)
	readFromReplica(t, follower, written, func(_ uint64, err error) error { return err })
	// And the whole log reads back in order with the bytes written.
	position := 0
	for raw, err := range store.Raw(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if raw.Position != written[position].Position || !bytes.Equal(raw.Data, written[position].Data) {
			t.Fatalf("position %d differs from what was written", raw.Position)
		}
		position++
	}
	if position != events {
		t.Fatalf("read %d events, want %d", position, events)
	}
}

// lead makes node the stream's leader: a leader that steps down hands over
// to the peer it prefers.
func lead(t *testing.T, connection *nats.Conn, stream jetstream.Stream, node *clusterNode) {
	t.Helper()
	natsjstest.CheckFor(t, catchUpSecondsMax*time.Second, func() error {
		look, cancel := context.WithTimeout(context.Background(), clusterLookSeconds*time.Second)
		defer cancel()
		info, err := stream.Info(look)
		if err != nil {
			return err
		}
		if info.Cluster != nil && info.Cluster.Leader == node.options.ServerName {
			return nil
		}
		request := fmt.Sprintf(`{"placement":{"preferred":%q}}`, node.options.ServerName)
		if _, err := connection.RequestWithContext(look, "$JS.API.STREAM.LEADER.STEPDOWN.LEDGER", []byte(request)); err != nil {
			return err
		}
		return fmt.Errorf("the stream leader is %v, want %s", info.Cluster, node.options.ServerName)
	})
}

// readFromReplica reads every written position through a connection to
// node itself: a direct get is answered by the replica the client is
// connected to (queue groups prefer local subscribers), and the leader
// always answers. check hears each position's outcome (nil: the bytes
// written); the reads are tried again until check accepts every one.
func readFromReplica(t *testing.T, node *clusterNode, written []natsjs.RawMessage, check func(position uint64, err error) error) {
	t.Helper()
	direct, err := natsjs.ConnectInProcess(node.server, "replica-reader")
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	js, _ := jetstream.New(direct)
	natsjstest.CheckFor(t, catchUpSecondsMax*time.Second, func() error {
		look, cancel := context.WithTimeout(context.Background(), clusterLookSeconds*time.Second)
		defer cancel()
		local, err := js.Stream(look, "LEDGER")
		if err != nil {
			return err
		}
		for _, want := range written {
			got, err := local.GetMsg(look, want.Position)
			if err == nil && !bytes.Equal(got.Data, want.Data) {
				err = fmt.Errorf("position %d reads other bytes than were written", want.Position)
			}
			if err := check(want.Position, err); err != nil {
				return fmt.Errorf("position %d: %w", want.Position, err)
			}
		}
		return nil
	})
}
