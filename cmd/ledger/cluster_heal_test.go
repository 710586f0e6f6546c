package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// Deadlines of the cluster resync test: generous, for a CI machine whose
// two cores are busy; the waits end as soon as the cluster says so.
const (
	resyncCatchUpSecondsMax = 180
	resyncLookSeconds       = 10
	// resyncPeerReadyMinutes bounds a peer's start while the cluster forms.
	resyncPeerReadyMinutes = 2
)

// A cluster node's block file is damaged while its `ledger serve` is
// stopped; `ledger repair --resync-replica` on that node sets its copy
// aside and takes the log whole from its two peers; served again, the
// node's log verifies. The peers are embedded servers with the cluster's
// credentials, as `ledger serve` runs them.
//
// It needs LEDGER_CLUSTER_FAULTS=1, as the other test with a cluster of
// processes (make test-faults; make test runs it without the race
// detector).
func TestFaultClusterReplicaResync(t *testing.T) {
	if os.Getenv("LEDGER_CLUSTER_FAULTS") == "" {
		t.Skip("cluster resync test: run with LEDGER_CLUSTER_FAULTS=1 (make test-faults)")
	}
	ports := []int{freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)}
	var routes []string
	for _, port := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", port))
	}
	shared := filepath.Join(t.TempDir(), "shared")
	runLedger(t, "", "nats-credentials", "init", "--data", shared).expect(t, 0, "made NATS credentials")
	credentials, err := natsjs.LoadCredentials(shared)
	if err != nil {
		t.Fatal(err)
	}
	peers := make([]*server.Server, 2)
	started := make(chan error, 2)
	for i := range peers {
		go func() {
			var err error
			peers[i], err = natsjs.StartServer(natsjs.ServerOptions{DataDir: t.TempDir(), Listen: true, Port: -1,
				ServerName: fmt.Sprintf("peer%d", i+1), ClusterName: "ledger-resync", ClusterPort: ports[i], Routes: routes,
				Credentials: credentials, ReadyTimeout: resyncPeerReadyMinutes * time.Minute})
			started <- err
		}()
	}
	t.Cleanup(func() {
		for _, peer := range peers {
			if peer != nil {
				peer.Shutdown()
				peer.WaitForShutdown()
			}
		}
	})
	data := filepath.Join(t.TempDir(), "n3")
	copyCredentials(t, shared, data)
	clusterArgs := []string{"--server-name", "n3", "--cluster-name", "ledger-resync", "--cluster-listen", fmt.Sprintf("127.0.0.1:%d", ports[2]),
		"--routes", strings.Join(routes, ","), "--replicas", "3"}
	serve := &clusterProcess{name: "n3", data: data, args: append([]string{"serve", "--data", data, "--port", "-1", "--http", "127.0.0.1:0"}, clusterArgs...)}
	serve.start(t)
	for range peers {
		if err := <-started; err != nil {
			t.Fatal(err)
		}
	}
	runLedger(t, goodLine+"\n"+goodLine2+"\n", "record", "-", "--data", data, "--replicas", "3").expect(t, 0, "recorded 2 events")

	// The node is stopped once its own copy holds both events: the
	// stream's leader lists it current, or it leads.
	runtime, err := natsjs.ConnectOptionFromFile(natsjs.SeedFile(shared, natsjs.RoleRuntime))
	if err != nil {
		t.Fatal(err)
	}
	connection, err := nats.Connect(peers[0].ClientURL()+","+peers[1].ClientURL(), runtime)
	if err != nil {
		t.Fatal(err)
	}
	defer connection.Close()
	js, _ := jetstream.New(connection)
	natsjstest.CheckFor(t, resyncCatchUpSecondsMax*time.Second, func() error {
		look, cancel := context.WithTimeout(context.Background(), resyncLookSeconds*time.Second)
		defer cancel()
		stream, err := js.Stream(look, "LEDGER")
		if err != nil {
			return err
		}
		info, err := stream.Info(look)
		if err != nil {
			return err
		}
		if info.Cluster == nil || info.State.Msgs != 2 {
			return fmt.Errorf("the stream holds %d events, want 2", info.State.Msgs)
		}
		if info.Cluster.Leader == "n3" {
			return nil
		}
		for _, replica := range info.Cluster.Replicas {
			if replica.Name == "n3" && replica.Current && replica.Lag == 0 {
				return nil
			}
		}
		return fmt.Errorf("n3 is not a current replica yet: %+v", info.Cluster)
	})
	if err := serve.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = serve.cmd.Wait()

	natsjstest.DamageStoredEvent(t, data, "D-U-1")
	repaired := runLedger(t, "", append([]string{"repair", "--data", data, "--resync-replica"}, clusterArgs...)...)
	repaired.expect(t, 0, "set this node's copy of the log aside in "+filepath.Join(data, "damaged-replica-"),
		"repaired: this node's copy of the log holds all 2 events again, taken from its peers")
	kept, _ := filepath.Glob(filepath.Join(data, "damaged-replica-*", "LEDGER", "msgs", "*.blk"))
	if len(kept) == 0 {
		t.Fatal("the damaged copy was not kept")
	}
	// A resync needs the node's cluster flags; without them it refuses.
	runLedger(t, "", "repair", "--data", data, "--resync-replica").expect(t, 2, "--resync-replica works on a cluster node's --data")

	serve.start(t)
	runLedger(t, "", "verify", "--data", data, "--replicas", "3").expect(t, 0, "OK: 2 events")
	if got := countEvents(t, "--data", data, "--replicas", "3"); got != 2 {
		t.Fatalf("the healed node lists %d events, want 2", got)
	}
}
