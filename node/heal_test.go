package node_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/node"
)

// resyncTestMinutes bounds the cluster test: generous, for a CI machine
// whose two cores are busy with something else.
const resyncTestMinutes = 10

// replicaCatchUpSecondsMax bounds the wait for the node's own copy to hold
// every acknowledged event.
const replicaCatchUpSecondsMax = 180

// peerReadyMinutes bounds a peer's start while the cluster forms.
const peerReadyMinutes = 2

func freeClusterPort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

// A cluster node whose block file was damaged while it was down is healed
// by node.ResyncReplica: its copy is set aside, it takes the log whole from
// its two peers, and then every event reads back and verify is green.
func TestClusterSurvivesResyncingADamagedReplica(t *testing.T) {
	const events = 30
	ctx, cancel := context.WithTimeout(context.Background(), resyncTestMinutes*time.Minute)
	defer cancel()
	shared := t.TempDir()
	credentials, _, err := natsjs.LoadOrCreateCredentials(shared)
	if err != nil {
		t.Fatal(err)
	}
	ports := []int{freeClusterPort(t), freeClusterPort(t), freeClusterPort(t)}
	var routes []string
	for _, port := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", port))
	}
	peers := make([]*server.Server, 2)
	started := make(chan error, 3)
	for i := range peers {
		go func() {
			var err error
			peers[i], err = natsjs.StartServer(natsjs.ServerOptions{DataDir: t.TempDir(), Listen: true, Port: -1, ServerName: fmt.Sprintf("peer%d", i+1),
				ClusterName: "ledger-resync", ClusterPort: ports[i], Routes: routes, Credentials: credentials, ReadyTimeout: peerReadyMinutes * time.Minute})
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
	// The node has the cluster's credentials in its data directory, as an
	// operator copies them to every node.
	data := t.TempDir()
	if err := os.CopyFS(natsjs.CredentialsDir(data), os.DirFS(natsjs.CredentialsDir(shared))); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(natsjs.CredentialsDir(data), "*"))
	for _, file := range files {
		if err := os.Chmod(file, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A cluster node listens: its routes and client port are how its peers
	// reach it.
	config := node.Config{DataDir: data, Replicas: 3, SyncAlways: true, Server: node.ServerConfig{Listen: true, Port: -1, Cluster: node.ClusterConfig{
		Name: "ledger-resync", ServerName: "damaged", Port: ports[2], Routes: routes}}}
	var ledger *node.Node
	go func() {
		var err error
		ledger, err = node.Open(ctx, config)
		started <- err
	}()
	for range 3 {
		if err := <-started; err != nil {
			t.Fatal(err)
		}
	}
	for i := range events {
		event := eventstoretest.Donation("general", "150626", fmt.Sprintf("D-DAMAGE-%02d", i), 100)
		if _, err := ledger.App.Record(ctx, []domain.Event{event}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	var written [][]byte
	for record, err := range ledger.Store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, record.Data)
	}
	// An append is acknowledged once two of the three copies hold it: the
	// node is stopped once its own copy holds every event.
	natsjstest.CheckFor(t, replicaCatchUpSecondsMax*time.Second, func() error {
		info, err := ledger.Server.Jsz(&server.JSzOptions{Accounts: true, Streams: true})
		if err != nil {
			return err
		}
		for _, account := range info.AccountDetails {
			for _, stream := range account.Streams {
				if stream.Name == "LEDGER" && stream.State.Msgs == events {
					return nil
				}
			}
		}
		return fmt.Errorf("the node's copy does not hold all %d events yet", events)
	})
	ledger.Close()

	natsjstest.DamageStoredEvent(t, data, "D-DAMAGE-15")

	resynced, err := node.ResyncReplica(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	if resynced.Events != events {
		t.Fatalf("the node's copy holds %d events after the resync, want %d", resynced.Events, events)
	}
	keptBlocks, _ := filepath.Glob(filepath.Join(resynced.Kept, "msgs", "*.blk"))
	if len(keptBlocks) == 0 {
		t.Fatalf("the damaged copy was not kept in %s", resynced.Kept)
	}
	// A resync is refused while a ledger holds the data directory.
	ledger, err = node.Open(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	if _, err := node.ResyncReplica(ctx, config); err == nil {
		t.Fatal("a resync ran while the node was open")
	}
	position := 0
	for record, err := range ledger.Store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(record.Data, written[position]) {
			t.Fatalf("position %d reads other bytes than were written", record.Position)
		}
		position++
	}
	if position != events {
		t.Fatalf("read %d events, want %d", position, events)
	}
	verification, err := ledger.Verify(ctx, node.VerifyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !verification.OK() || verification.Events != events {
		t.Fatalf("verify after the resync: %+v", verification)
	}
}
