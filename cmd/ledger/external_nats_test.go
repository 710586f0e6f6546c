package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// The permissions docs/OPERATIONS.md gives for a production NATS server
// hold: its authorization block, as printed there, run by a real server.
// Anonymous clients are refused; the runtime user cannot make the streams
// but works once the operator made them, and cannot delete them; the
// watcher cannot publish to the log.
func TestOperationsDocNATSConfigHolds(t *testing.T) {
	document, err := os.ReadFile(filepath.Join("..", "..", "docs", "OPERATIONS.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```hcl\n(.*?)```").FindSubmatch(document)
	if block == nil {
		t.Fatal("docs/OPERATIONS.md has no hcl block")
	}
	authorization := string(block[1])
	start := strings.LastIndex(authorization, "\nauthorization {")
	if start < 0 {
		t.Fatal("the hcl block has no authorization section")
	}
	authorization = authorization[start:]
	dir := t.TempDir()
	seeds := map[string]string{}
	for _, role := range []string{"OPERATOR", "RUNTIME", "WATCHER"} {
		pair, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		public, _ := pair.PublicKey()
		seed, _ := pair.Seed()
		seeds[role] = filepath.Join(dir, strings.ToLower(role)+".nk")
		if err := os.WriteFile(seeds[role], seed, 0o600); err != nil {
			t.Fatal(err)
		}
		placeholder := "U" + role + "..."
		if !strings.Contains(authorization, placeholder) {
			t.Fatalf("the doc's config has no %s", placeholder)
		}
		authorization = strings.ReplaceAll(authorization, placeholder, public)
	}
	config := "listen: 127.0.0.1:-1\njetstream { store_dir: " + filepath.Join(dir, "store") + " }\n" + authorization
	configFile := filepath.Join(dir, "nats-server.conf")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	options, err := server.ProcessConfigFile(configFile)
	if err != nil {
		t.Fatalf("the doc's config does not parse: %v", err)
	}
	options.NoSigs, options.NoLog = true, true
	natsServer, err := server.NewServer(options)
	if err != nil {
		t.Fatal(err)
	}
	go natsServer.Start()
	t.Cleanup(func() { natsServer.Shutdown(); natsServer.WaitForShutdown() })
	if !natsServer.ReadyForConnections(60 * time.Second) {
		t.Fatal("the server did not start")
	}
	url := natsServer.ClientURL()

	runLedger(t, "", "events", "--nats", url).expect(t, 1, "Authorization Violation")
	runLedger(t, goodLine+"\n", "record", "-", "--nats", url, "--nats-creds", seeds["RUNTIME"]).
		expect(t, 1, "is missing and this NATS user may not create it")
	runLedger(t, goodLine+"\n", "record", "-", "--nats", url, "--nats-creds", seeds["OPERATOR"]).expect(t, 0, "recorded donation_received")
	runLedger(t, goodLine2+"\n", "record", "-", "--nats", url, "--nats-creds", seeds["RUNTIME"]).expect(t, 0, "recorded supplies_delivered")
	if got := countEvents(t, "--nats", url, "--nats-creds", seeds["RUNTIME"]); got != 2 {
		t.Fatalf("%d events, want 2", got)
	}

	connect := func(seed string) (*nats.Conn, jetstream.JetStream) {
		option, err := nats.NkeyOptionFromSeed(seed)
		if err != nil {
			t.Fatal(err)
		}
		connection, err := nats.Connect(url, option, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(connection.Close)
		js, _ := jetstream.New(connection)
		return connection, js
	}
	runtimeConnection, runtime := connect(seeds["RUNTIME"])
	for _, stream := range []string{"LEDGER", "LEDGER_CHECKPOINTS"} {
		refused(t, runtimeConnection, "$JS.API.STREAM.DELETE."+stream, func(ctx context.Context) error {
			return runtime.DeleteStream(ctx, stream)
		})
	}
	watcherConnection, watcher := connect(seeds["WATCHER"])
	refused(t, watcherConnection, "ledger.events.donation.D-X.150626.donation_received", func(ctx context.Context) error {
		_, err := watcher.Publish(ctx, "ledger.events.donation.D-X.150626.donation_received", []byte(`{}`))
		return err
	})
	refused(t, watcherConnection, "$JS.API.STREAM.INFO.KV_LEDGER_KEYS", func(ctx context.Context) error {
		_, err := watcher.KeyValue(ctx, "LEDGER_KEYS")
		return err
	})
}

// On a NATS server older than the ledger needs (Debian's packaged 2.9.10)
// the ledger refuses, naming the server's version and the one it needs,
// and writes nothing. A log written on a newer server and then served by
// the old one (a downgrade) can still be read, says it is read-only, takes
// no new entry, and doctor names the server.
func TestOldNATSServerIsRefusedClearly(t *testing.T) {
	url := natsjstest.RunExternalServer(t, natsjstest.DebianNATSServer)
	refusal := []string{"nats-server 2.9.10", "the ledger needs 2.12 or later"}
	runLedger(t, "", "demo", "--nats", url).expect(t, 1, refusal...)
	runLedger(t, goodLine+"\n", "record", "-", "--nats", url).expect(t, 1, refusal...)
	runLedger(t, "", "events", "--nats", url).expect(t, 1, "nats-server 2.9.10")

	store := filepath.Join(t.TempDir(), "store")
	newer, stopNewer := natsjstest.RunExternalServerIn(t, natsjstest.PinnedServer(t), store)
	runLedger(t, goodLine+"\n", "record", "-", "--nats", newer).expect(t, 0, "recorded donation_received")
	stopNewer()
	older, _ := natsjstest.RunExternalServerIn(t, natsjstest.DebianNATSServer, store)
	read := runLedger(t, "", "events", "--nats", older)
	read.expect(t, 0, "D-U-1", "read-only")
	runLedger(t, goodLine2+"\n", "record", "-", "--nats", older).expect(t, 1, refusal...)
	runLedger(t, "", "doctor", "--nats", older).expect(t, 1, "NATS server", "nats-server 2.9.10", "upgrade the NATS server")
	if got := countEvents(t, "--nats", older); got != 1 {
		t.Fatalf("%d events on the old server after refused appends, want 1", got)
	}
}
