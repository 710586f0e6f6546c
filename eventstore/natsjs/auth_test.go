package natsjs_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// checkFor is the shared bounded wait.
var checkFor = natsjstest.CheckFor

// authServer runs an embedded server with a data directory's credentials
// and makes the streams as the operator, as `ledger serve` does.
func authServer(t *testing.T) (*server.Server, *natsjs.Credentials) {
	t.Helper()
	dir := t.TempDir()
	credentials, created, err := natsjs.LoadOrCreateCredentials(dir)
	if err != nil || !created {
		t.Fatalf("credentials: %v (made: %v)", err, created)
	}
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{DataDir: dir, Credentials: credentials, Listen: true, Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { natsServer.Shutdown(); natsServer.WaitForShutdown() })
	operator := connectAs(t, natsServer, credentials, natsjs.RoleOperator)
	if err := natsjs.Provision(context.Background(), operator, natsjs.Options{}); err != nil {
		t.Fatal(err)
	}
	return natsServer, credentials
}

func connectAs(t *testing.T, natsServer *server.Server, credentials *natsjs.Credentials, role natsjs.Role) *nats.Conn {
	t.Helper()
	// Refusals are what these tests provoke; the default handler would
	// print each one.
	options := append(credentials.ConnectOptions(role), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	connection, err := natsjs.ConnectInProcess(natsServer, string(role), options...)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(connection.Close)
	return connection
}

func TestCredentialsAreOwnerOnlyAndKept(t *testing.T) {
	dir := t.TempDir()
	first, created, err := natsjs.LoadOrCreateCredentials(dir)
	if err != nil || !created {
		t.Fatalf("first start: %v %v", created, err)
	}
	for _, name := range []string{"operator.nk", "runtime.nk", "watcher.nk", "route.secret"} {
		info, err := os.Stat(filepath.Join(dir, "nats", name))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v mode %v, want 0600", name, err, info)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "nats")); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("nats folder: %v %v, want 0700", err, info)
	}
	again, created, err := natsjs.LoadOrCreateCredentials(dir)
	if err != nil || created || again.PublicKey(natsjs.RoleRuntime) != first.PublicKey(natsjs.RoleRuntime) {
		t.Fatalf("second start made new credentials (%v, %v)", created, err)
	}
	// A seed other users could read is refused, not used.
	if err := os.Chmod(filepath.Join(dir, "nats", "watcher.nk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := natsjs.LoadCredentials(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable seed was accepted: %v", err)
	}
	// Part of a set is not silently completed.
	if err := os.Remove(filepath.Join(dir, "nats", "watcher.nk")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := natsjs.LoadOrCreateCredentials(dir); err == nil || !strings.Contains(err.Error(), "not all") {
		t.Fatalf("a partial set was completed: %v", err)
	}
}

func TestAnonymousClientsAreRefused(t *testing.T) {
	natsServer, _ := authServer(t)
	connection, err := nats.Connect(natsServer.ClientURL(), nats.MaxReconnects(0))
	if err == nil {
		connection.Close()
		t.Fatal("an anonymous client was let in on the port")
	}
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous client: %v, want an authorization violation", err)
	}
}

// The runtime user may append and read, but cannot delete, purge,
// reconfigure or recreate the log or the signed checkpoints, nor delete any
// stream.
func TestRuntimeCannotDeleteHistory(t *testing.T) {
	ctx := context.Background()
	natsServer, credentials := authServer(t)
	runtime := connectAs(t, natsServer, credentials, natsjs.RoleRuntime)
	js, err := jetstream.New(runtime)
	if err != nil {
		t.Fatal(err)
	}
	requestCtx := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return c
	}
	for _, stream := range []string{"LEDGER", natsjs.SignedCheckpointStream, natsjs.AccessLogStream, "KV_" + natsjs.KeystoreBucket, natsjs.LiveTotalsStream} {
		if err := js.DeleteStream(requestCtx(), stream); err == nil {
			t.Fatalf("runtime deleted stream %s", stream)
		}
	}
	for _, stream := range []string{"LEDGER", natsjs.SignedCheckpointStream, natsjs.AccessLogStream} {
		handle, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatalf("runtime cannot read stream %s: %v", stream, err)
		}
		if err := handle.Purge(requestCtx()); err == nil {
			t.Fatalf("runtime purged %s", stream)
		}
		config := handle.CachedInfo().Config
		config.DenyDelete, config.DenyPurge = false, false
		config.MaxMsgs = 1
		if _, err := js.UpdateStream(requestCtx(), config); err == nil {
			t.Fatalf("runtime reconfigured %s", stream)
		}
	}
	// Everything is still there, as made.
	operator := connectAs(t, natsServer, credentials, natsjs.RoleOperator)
	for _, stream := range []string{"LEDGER", natsjs.SignedCheckpointStream, "KV_" + natsjs.KeystoreBucket} {
		if exists, err := natsjs.StreamExists(ctx, operator, stream); err != nil || !exists {
			t.Fatalf("stream %s after the attempts: exists %v, %v", stream, exists, err)
		}
	}
	// And the runtime does its work: it opens the store (binding, not
	// creating) and appends.
	if _, err := natsjs.Open(ctx, runtime, natsjs.Options{}); err != nil {
		t.Fatalf("runtime cannot open the store: %v", err)
	}
}

// The watcher reads the live totals bucket and nothing else.
func TestWatcherReadsLiveTotalsOnly(t *testing.T) {
	ctx := context.Background()
	natsServer, credentials := authServer(t)
	runtime := connectAs(t, natsServer, credentials, natsjs.RoleRuntime)
	runtimeJS, _ := jetstream.New(runtime)
	live, err := runtimeJS.KeyValue(ctx, natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Put(ctx, "150626.general", []byte(`{"received":"5.00"}`)); err != nil {
		t.Fatal(err)
	}
	keys, err := natsjs.OpenKeystore(ctx, runtime, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.CreateKey(ctx, "donor-1"); err != nil {
		t.Fatal(err)
	}

	watcher := connectAs(t, natsServer, credentials, natsjs.RoleWatcher)
	js, _ := jetstream.New(watcher)
	bucket, err := js.KeyValue(ctx, natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatalf("watcher cannot open the live totals: %v", err)
	}
	entry, err := bucket.Get(ctx, "150626.general")
	if err != nil || string(entry.Value()) != `{"received":"5.00"}` {
		t.Fatalf("watcher get: %v %v", entry, err)
	}
	updates, err := bucket.Watch(ctx, "150626.>")
	if err != nil {
		t.Fatalf("watcher cannot watch: %v", err)
	}
	defer updates.Stop()
	select {
	case first := <-updates.Updates():
		if first == nil || first.Key() != "150626.general" {
			t.Fatalf("watch gave %v", first)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch gave nothing in 30 s")
	}

	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return c
	}
	if _, err := js.KeyValue(short(), natsjs.KeystoreBucket); err == nil {
		t.Fatal("watcher opened the personal-data keys")
	}
	if _, err := bucket.Put(short(), "150626.general", []byte(`{"received":"-1.00"}`)); err == nil {
		t.Fatal("watcher wrote a live total")
	}
	if _, err := js.Publish(short(), "ledger.events.donation.D-1.150626.donation_received", []byte(`{}`)); err == nil {
		t.Fatal("watcher published to the log")
	}
	if err := js.DeleteStream(short(), natsjs.LiveTotalsStream); err == nil {
		t.Fatal("watcher deleted the live totals")
	}
	if _, err := js.Stream(short(), "LEDGER"); err == nil {
		t.Fatal("watcher read the log's stream")
	}
	// The checkpoints, both the projections' bucket and the signed
	// checkpoints' stream, exist (the runtime wrote them) and are not the
	// watcher's to read.
	checkpoints, err := natsjs.OpenCheckpoints(ctx, runtime, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoints.Save(ctx, eventstore.Checkpoint{Name: "totals", Version: 1, Position: 1, SavedAt: time.Now(), State: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	signed, err := natsjs.OpenSignedCheckpoints(ctx, runtime, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := signed.Append(ctx, []byte(`{"position":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.KeyValue(short(), natsjs.CheckpointBucket); err == nil {
		t.Fatal("watcher opened the projections' checkpoints")
	}
	if _, err := js.Stream(short(), natsjs.SignedCheckpointStream); err == nil {
		t.Fatal("watcher read the signed checkpoints' stream")
	}
	for _, subject := range []string{"$JS.API.DIRECT.GET.KV_" + natsjs.CheckpointBucket, "$JS.API.STREAM.MSG.GET." + natsjs.SignedCheckpointStream} {
		if reply, err := watcher.RequestWithContext(short(), subject, []byte(`{"seq":1}`)); err == nil {
			t.Fatalf("watcher's request on %s answered: %s", subject, reply.Data)
		}
	}
	// Subscribing to the log's subjects or the ledger's replies is refused
	// by the server.
	for _, subject := range []string{"ledger.>", natsjs.RuntimeInboxPrefix + ".>", "$KV.LEDGER_KEYS.>"} {
		subscription, err := watcher.SubscribeSync(subject)
		if err != nil {
			continue
		}
		checkFor(t, 10*time.Second, func() error {
			if !subscription.IsValid() || errors.Is(watcher.LastError(), nats.ErrPermissionViolation) {
				return nil
			}
			return errors.New("subscription to " + subject + " not refused")
		})
	}
	// A push consumer of the live totals delivering into the log's
	// subjects does not put anything in the log.
	old, _ := watcher.JetStream()
	_, _ = old.AddConsumer(natsjs.LiveTotalsStream, &nats.ConsumerConfig{DeliverSubject: "ledger.events.donation.D-9.150626.donation_received",
		AckPolicy: nats.AckNonePolicy, DeliverPolicy: nats.DeliverAllPolicy})
	operator := connectAs(t, natsServer, credentials, natsjs.RoleOperator)
	store, err := natsjs.Open(ctx, operator, natsjs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if head, err := store.Head(ctx); err != nil || head != 0 {
		t.Fatalf("the log after the watcher's attempts: head %d, %v; want 0", head, err)
	}
}

// Cluster routes authenticate with the shared route secret: three nodes
// with the same credentials form a cluster, and a route that does not know
// the secret is refused.
func TestClusterRoutesRequireTheSecret(t *testing.T) {
	credentials, _, err := natsjs.LoadOrCreateCredentials(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	nodes := startClusterWith(t, credentials, nil)
	checkFor(t, 60*time.Second, func() error {
		for _, node := range nodes {
			if routes := node.server.NumRoutes(); routes < 2 {
				return fmt.Errorf("%s has %d routes, want 2", node.options.ServerName, routes)
			}
		}
		return nil
	})
	port := nodes[0].options.ClusterPort
	connection, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer connection.Close()
	_ = connection.SetDeadline(time.Now().Add(10 * time.Second))
	reader := bufio.NewReader(connection)
	info, err := reader.ReadString('\n')
	if err != nil || !strings.HasPrefix(info, "INFO ") || !strings.Contains(info, `"auth_required":true`) {
		t.Fatalf("route port INFO %q (%v): want auth_required", info, err)
	}
	if _, err := connection.Write([]byte(`CONNECT {"user":"ledger-route","pass":"wrong","verbose":false,"pedantic":false}` + "\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	reply, _ := reader.ReadString('\n')
	if !strings.Contains(reply, "Authorization Violation") {
		t.Fatalf("a route with a wrong secret got %q, want an authorization violation", reply)
	}
}

// With certificates, cluster routes also speak TLS: the nodes form a
// cluster, and the route port demands TLS of whoever connects.
func TestClusterRoutesUseTLSWhenGivenCertificates(t *testing.T) {
	credentials, _, err := natsjs.LoadOrCreateCredentials(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	certificates := natsjstest.WriteClusterCertificates(t, t.TempDir())
	nodes := startClusterWith(t, credentials, certificates)
	checkFor(t, 60*time.Second, func() error {
		for _, node := range nodes {
			if routes := node.server.NumRoutes(); routes < 2 {
				return fmt.Errorf("%s has %d routes, want 2", node.options.ServerName, routes)
			}
		}
		return nil
	})
	address := "127.0.0.1:" + strconv.Itoa(nodes[1].options.ClusterPort)
	// In plain text the port says nothing useful: TLS or nothing.
	connection, err := net.DialTimeout("tcp", address, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer connection.Close()
	_ = connection.SetDeadline(time.Now().Add(10 * time.Second))
	if info, err := bufio.NewReader(connection).ReadString('\n'); err == nil && !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("the route port speaks plain text: %q", info)
	}
	// A TLS client without a certificate from the CA is refused.
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(certificates.CAFile)
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("CA: %v", err)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	client, err := tls.DialWithDialer(dialer, "tcp", address, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err == nil {
		_ = client.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = bufio.NewReader(client).ReadString('\n')
		client.Close()
	}
	if err == nil {
		t.Fatal("a route without a client certificate was served")
	}
}

// On the embedded cluster the runtime user, an ordinary one, reads every
// node's version: the store names the three nodes it checked and nothing
// it could not.
func TestClusterNodesVersionsAreRead(t *testing.T) {
	dir := t.TempDir()
	credentials, _, err := natsjs.LoadOrCreateCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	nodes := startClusterWith(t, credentials, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	operator, err := nats.Connect(clientURLs(nodes), credentials.ConnectOptions(natsjs.RoleOperator)...)
	if err != nil {
		t.Fatal(err)
	}
	defer operator.Close()
	provisioned, err := natsjs.Open(ctx, operator, natsjs.Options{Replicas: 3, RetryWindow: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_ = provisioned.Close()
	runtime, err := nats.Connect(clientURLs(nodes), credentials.ConnectOptions(natsjs.RoleRuntime)...)
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.Close()
	store, err := natsjs.Open(ctx, runtime, natsjs.Options{Replicas: 3, RetryWindow: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var names []string
	for _, node := range store.ServerNodes() {
		names = append(names, node.Name)
		if node.Version != runtime.ConnectedServerVersion() {
			t.Errorf("node %s version %q, want %q", node.Name, node.Version, runtime.ConnectedServerVersion())
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"n1", "n2", "n3"}) || store.VersionNote() != "" {
		t.Fatalf("checked nodes %v (note %q), want n1, n2 and n3", names, store.VersionNote())
	}
}

// keyCount is how many personal-data keys the keystore holds, as the
// operator sees it.
func keyCount(t *testing.T, operator *nats.Conn) uint64 {
	t.Helper()
	js, err := jetstream.New(operator)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(context.Background(), natsjs.KeystoreStream)
	if err != nil {
		t.Fatal(err)
	}
	return stream.CachedInfo().State.Msgs
}

// The runtime user, whose credential other ledger nodes are given, cannot
// empty the personal-data keys in one go: no purge (whole or filtered), no
// reconfiguration that would evict the keys, no roll-up publish. It still
// destroys one subject's key, which is what `forget` does.
func TestRuntimeCannotEmptyTheKeystore(t *testing.T) {
	ctx := context.Background()
	natsServer, credentials := authServer(t)
	runtime := connectAs(t, natsServer, credentials, natsjs.RoleRuntime)
	operator := connectAs(t, natsServer, credentials, natsjs.RoleOperator)
	keys, err := natsjs.OpenKeystore(ctx, runtime, 1)
	if err != nil {
		t.Fatalf("the runtime cannot open the keystore: %v", err)
	}
	for _, subject := range []string{"donor-1", "donor-2", "donor-3"} {
		if _, err := keys.CreateKey(ctx, subject); err != nil {
			t.Fatal(err)
		}
	}
	js, err := jetstream.New(runtime)
	if err != nil {
		t.Fatal(err)
	}
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return c
	}
	stream, err := js.Stream(ctx, natsjs.KeystoreStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Purge(short()); err == nil {
		t.Fatal("the runtime purged the personal-data keys")
	}
	if err := stream.Purge(short(), jetstream.WithPurgeSubject("$KV."+natsjs.KeystoreBucket+".>")); err == nil {
		t.Fatal("the runtime purged the personal-data keys by subject")
	}
	config := stream.CachedInfo().Config
	config.MaxAge = time.Second
	if _, err := js.UpdateStream(short(), config); err == nil {
		t.Fatal("the runtime reconfigured the personal-data keys")
	}
	rollup := nats.NewMsg("$KV." + natsjs.KeystoreBucket + ".s.00")
	rollup.Header.Set("Nats-Rollup", "all")
	if _, err := js.PublishMsg(short(), rollup); err == nil {
		t.Fatal("a roll-up publish replaced the personal-data keys")
	}
	if got := keyCount(t, operator); got != 3 {
		t.Fatalf("%d keys after the runtime's attempts, want 3", got)
	}
	// What forget needs still works: one key destroyed, the others kept.
	if err := keys.Destroy(ctx, "donor-2"); err != nil {
		t.Fatalf("the runtime cannot destroy one key: %v", err)
	}
	if got := keyCount(t, operator); got != 2 {
		t.Fatalf("%d keys after destroying one, want 2", got)
	}
	if _, err := keys.Key(ctx, "donor-1"); err != nil {
		t.Fatalf("donor-1's key after destroying donor-2's: %v", err)
	}
}

// A keystore made by an older ledger (roll-ups and purges allowed) is
// hardened when the operator provisions the store.
func TestProvisionHardensAnOlderKeystore(t *testing.T) {
	ctx := context.Background()
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
	operator := connectAs(t, natsServer, credentials, natsjs.RoleOperator)
	js, err := jetstream.New(operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: natsjs.KeystoreStream, Subjects: []string{"$KV." + natsjs.KeystoreBucket + ".>"}, Storage: jetstream.FileStorage,
		MaxMsgsPerSubject: 1, MaxMsgs: -1, MaxBytes: -1, Discard: jetstream.DiscardNew, AllowRollup: true, AllowDirect: true,
	}); err != nil {
		t.Fatal(err)
	}
	// The runtime may not update it, and says who can.
	runtime := connectAs(t, natsServer, credentials, natsjs.RoleRuntime)
	if _, err := natsjs.OpenKeystore(ctx, runtime, 1); !errors.Is(err, natsjs.ErrPermissionDenied) || !strings.Contains(err.Error(), "ledger doctor") {
		t.Fatalf("the runtime opening an older keystore: %v, want a refusal naming ledger doctor", err)
	}
	if err := natsjs.Provision(ctx, operator, natsjs.Options{}); err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, natsjs.KeystoreStream)
	if err != nil {
		t.Fatal(err)
	}
	if config := stream.CachedInfo().Config; config.AllowRollup || !config.DenyPurge || config.DenyDelete {
		t.Fatalf("the keystore after provisioning: allow_rollup %v deny_purge %v deny_delete %v, want false true false",
			config.AllowRollup, config.DenyPurge, config.DenyDelete)
	}
	// What an older binary would do on opening it, and why docs/OPERATIONS.md
	// says the upgrade is not undone by going back: the server keeps
	// deny_purge, even for the operator.
	older := stream.CachedInfo().Config
	older.DenyPurge, older.AllowRollup = false, true
	if _, err := js.UpdateStream(ctx, older); err == nil || !strings.Contains(err.Error(), "can not cancel deny purge") {
		t.Fatalf("turning deny_purge off again: %v, want the server's refusal", err)
	}
}

// The watcher's consumers do not stay: NATS permissions cannot refuse it
// a durable consumer without breaking `nats kv watch` (both ask on the same
// subject), so the live totals stream removes every consumer idle for
// LiveTotalsConsumerIdle, durable ones included, and refuses one that asks
// to be kept longer.
func TestWatcherConsumersDoNotStay(t *testing.T) {
	ctx := context.Background()
	natsServer, credentials := authServer(t)
	watcher := connectAs(t, natsServer, credentials, natsjs.RoleWatcher)
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		t.Cleanup(cancel)
		return c
	}
	js, err := jetstream.New(watcher)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateConsumer(short(), natsjs.LiveTotalsStream, jetstream.ConsumerConfig{Durable: "kept-long",
		InactiveThreshold: time.Hour}); err == nil {
		t.Fatal("the watcher created a consumer kept for an hour without a client")
	}
	if _, err := js.CreateOrUpdateConsumer(short(), natsjs.LiveTotalsStream, jetstream.ConsumerConfig{Durable: "kept"}); err != nil {
		t.Fatalf("a durable consumer with no threshold of its own: %v", err)
	}
	old, err := watcher.JetStream(nats.UseLegacyDurableConsumers())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.AddConsumer(natsjs.LiveTotalsStream, &nats.ConsumerConfig{Durable: "kept-legacy", DeliverSubject: "_INBOX.kept",
		AckPolicy: nats.AckNonePolicy}, nats.Context(short())); err == nil {
		t.Fatal("the watcher created a durable consumer on $JS.API.CONSUMER.DURABLE.CREATE")
	}
	// Every consumer there is one the server removes once idle, whatever
	// it asked for.
	operator := connectAs(t, natsServer, credentials, natsjs.RoleOperator)
	operatorJS, err := jetstream.New(operator)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := operatorJS.Stream(ctx, natsjs.LiveTotalsStream)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for info := range stream.ListConsumers(ctx).Info() {
		seen++
		if got := info.Config.InactiveThreshold; got <= 0 || got > natsjs.LiveTotalsConsumerIdle {
			t.Fatalf("consumer %s of the live totals stays %v without a client, want at most %v", info.Name, got, natsjs.LiveTotalsConsumerIdle)
		}
	}
	if seen != 1 {
		t.Fatalf("%d consumers on the live totals, want the one durable", seen)
	}
	// The watcher may delete a consumer of the live totals' stream whose
	// name it knows, a dashboard's `kv watch` too (docs/OPERATIONS.md says
	// so); a consumer of any other stream it may not.
	if _, err := operatorJS.CreateOrUpdateConsumer(ctx, natsjs.LiveTotalsStream, jetstream.ConsumerConfig{Durable: "dashboard"}); err != nil {
		t.Fatal(err)
	}
	if _, err := operatorJS.CreateOrUpdateConsumer(ctx, "LEDGER", jetstream.ConsumerConfig{Durable: "reader"}); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteConsumer(short(), natsjs.LiveTotalsStream, "dashboard"); err != nil {
		t.Fatalf("the watcher could not delete a consumer of the live totals: %v", err)
	}
	if _, err := stream.Consumer(ctx, "dashboard"); !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Fatalf("the dashboard's consumer after the watcher deleted it: %v", err)
	}
	if err := js.DeleteConsumer(short(), "LEDGER", "reader"); err == nil {
		t.Fatal("the watcher deleted a consumer of the log")
	}
	if _, err := operatorJS.Consumer(ctx, "LEDGER", "reader"); err != nil {
		t.Fatalf("the log's consumer after the watcher's attempt: %v", err)
	}
}
