package natsjs_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
)

func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

type clusterNode struct {
	options natsjs.ServerOptions
	server  *server.Server
}

func startCluster(t *testing.T) []*clusterNode {
	t.Helper()
	return startClusterWith(t, nil, nil)
}

// startClusterWith starts three nodes; with credentials every client and
// route must authenticate.
func startClusterWith(t *testing.T, credentials *natsjs.Credentials, clusterTLS *natsjs.ClusterTLS) []*clusterNode {
	t.Helper()
	ports := []int{freePort(t), freePort(t), freePort(t)}
	var routes []string
	for _, port := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", port))
	}
	nodes := make([]*clusterNode, 3)
	for i := range nodes {
		nodes[i] = &clusterNode{options: natsjs.ServerOptions{DataDir: t.TempDir(), Listen: true, Port: -1,
			ServerName: fmt.Sprintf("n%d", i+1), ClusterName: "ledger-test", ClusterPort: ports[i], Routes: routes,
			Credentials: credentials, ClusterTLS: clusterTLS}}
	}
	started := make(chan error, 3)
	for _, node := range nodes {
		go func() {
			var err error
			node.server, err = natsjs.StartServer(node.options)
			started <- err
		}()
	}
	for range nodes {
		if err := <-started; err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, node := range nodes {
			if node.server != nil {
				node.server.Shutdown()
				node.server.WaitForShutdown()
			}
		}
	})
	return nodes
}

func clientURLs(nodes []*clusterNode) string {
	var urls []string
	for _, node := range nodes {
		if node.server != nil && node.server.Running() {
			urls = append(urls, node.server.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// A three-node JetStream cluster loses its stream leader under appends: the
// appends resume after the election, no acknowledged event is lost or
// written twice, and the node catches up when it comes back.
// Deadlines of the cluster tests: generous, for a CI machine whose two cores
// are busy with something else; the waits end as soon as the cluster's own
// state says so.
const (
	clusterTestMinutes = 6
	catchUpSecondsMax  = 180
	// clusterLookSeconds bounds one look at the stream's state.
	clusterLookSeconds = 10
)

// clusterLedger is a ledger service on a three-replica store of a running
// cluster: the test's context, its connection, the store and the service,
// all closed when the test ends, before the nodes stop.
type clusterLedger struct {
	ctx        context.Context
	connection *nats.Conn
	store      *natsjs.Store
	service    *ledger.Service
}

func openClusterLedger(t *testing.T, nodes []*clusterNode, options natsjs.Options) clusterLedger {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTestMinutes*time.Minute)
	t.Cleanup(cancel)
	connection, err := nats.Connect(clientURLs(nodes), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(connection.Close)
	options.Replicas = 3
	store, err := natsjs.Open(ctx, connection, options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return clusterLedger{ctx: ctx, connection: connection, store: store, service: ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})}
}

func TestClusterSurvivesLosingTheStreamLeader(t *testing.T) {
	nodes := startCluster(t)
	opened := openClusterLedger(t, nodes, natsjs.Options{RetryWindow: 60 * time.Second})
	ctx, connection, store, service := opened.ctx, opened.connection, opened.store, opened.service
	acknowledged := map[string]uint64{}
	appendOne := func(i int) {
		event := eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 100)
		event.IdempotencyKey = fmt.Sprintf("cluster-%d", i)
		results, err := service.Record(ctx, []domain.Event{event})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		acknowledged[event.IdempotencyKey] = results[0].Position
	}
	for i := range 20 {
		appendOne(i)
	}
	js, _ := jetstream.New(connection)
	stream, err := js.Stream(ctx, "LEDGER")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("no stream leader: %+v %v", info, err)
	}
	var leader *clusterNode
	for _, node := range nodes {
		if node.options.ServerName == info.Cluster.Leader {
			leader = node
		}
	}
	leader.server.Shutdown()
	leader.server.WaitForShutdown()
	leader.server = nil
	lost := time.Now()
	appendOne(20)
	resumed := time.Since(lost)
	t.Logf("appends resumed %s after the stream leader %s went down", resumed.Round(time.Millisecond), info.Cluster.Leader)
	for i := 21; i < 40; i++ {
		appendOne(i)
	}
	// Every acknowledged event is in the log once.
	seen := map[string]int{}
	for record, err := range store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[record.Event.IdempotencyKey]++
		if position, ok := acknowledged[record.Event.IdempotencyKey]; ok && position != record.Position {
			t.Errorf("%s acknowledged at %d but stored at %d", record.Event.IdempotencyKey, position, record.Position)
		}
	}
	for key := range acknowledged {
		if seen[key] != 1 {
			t.Errorf("%s stored %d times", key, seen[key])
		}
	}
	if len(seen) != 40 {
		t.Fatalf("the log holds %d events, want 40", len(seen))
	}
	// The old leader comes back and catches up.
	leader.server, err = natsjs.StartServer(leader.options)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := natsjs.ConnectInProcess(leader.server, "returning")
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	// Waited on the cluster's own state: the stream's leader lists the
	// returning node as a current replica with no lag, holding every event.
	returning, _ := jetstream.New(direct)
	natsjstest.CheckFor(t, catchUpSecondsMax*time.Second, func() error {
		// Each look has its own deadline: the wait is CheckFor's, and an
		// expired test context must not hide what the cluster says.
		look, cancel := context.WithTimeout(context.Background(), clusterLookSeconds*time.Second)
		defer cancel()
		stream, err := returning.Stream(look, "LEDGER")
		if err != nil {
			return err
		}
		info, err := stream.Info(look)
		if err != nil {
			return err
		}
		if info.Cluster == nil || info.State.Msgs != 40 {
			return fmt.Errorf("the stream holds %d messages, want 40", info.State.Msgs)
		}
		for _, replica := range info.Cluster.Replicas {
			if replica.Name == leader.options.ServerName && (!replica.Current || replica.Lag > 0) {
				return fmt.Errorf("the returning node %s is not current (lag %d)", replica.Name, replica.Lag)
			}
		}
		return nil
	})
}

// Losing a follower does not stop appends at all; the follower catches up.
func TestClusterSurvivesLosingAFollower(t *testing.T) {
	nodes := startCluster(t)
	opened := openClusterLedger(t, nodes, natsjs.Options{})
	ctx, connection, service := opened.ctx, opened.connection, opened.service
	appendOne := func(i int) time.Duration {
		started := time.Now()
		event := eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 100)
		if _, err := service.Record(ctx, []domain.Event{event}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		return time.Since(started)
	}
	for i := range 10 {
		appendOne(i)
	}
	js, _ := jetstream.New(connection)
	stream, _ := js.Stream(ctx, "LEDGER")
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var follower *clusterNode
	for _, node := range nodes {
		if node.options.ServerName != info.Cluster.Leader && node.server.ClientURL() != connection.ConnectedUrl() {
			follower = node
		}
	}
	if follower == nil {
		t.Fatal("no follower apart from the one this client is connected to")
	}
	follower.server.Shutdown()
	follower.server.WaitForShutdown()
	follower.server = nil
	// Every append goes on with one follower down; how fast is for the
	// benchmarks (bench-load), not for a test on a machine that may be busy.
	slowest := time.Duration(0)
	for i := 10; i < 30; i++ {
		slowest = max(slowest, appendOne(i))
	}
	t.Logf("with follower %s down, the slowest of 20 appends took %s", follower.options.ServerName, slowest.Round(time.Millisecond))
	follower.server, err = natsjs.StartServer(follower.options)
	if err != nil {
		t.Fatal(err)
	}
	natsjstest.CheckFor(t, catchUpSecondsMax*time.Second, func() error {
		look, cancel := context.WithTimeout(context.Background(), clusterLookSeconds*time.Second)
		defer cancel()
		info, err := stream.Info(look)
		if err != nil {
			return err
		}
		if info.State.Msgs != 30 {
			return fmt.Errorf("the stream holds %d messages, want 30", info.State.Msgs)
		}
		for _, replica := range info.Cluster.Replicas {
			if replica.Name == follower.options.ServerName && replica.Current && replica.Lag == 0 {
				return nil
			}
		}
		return fmt.Errorf("the follower %s is not a current replica yet", follower.options.ServerName)
	})
}
