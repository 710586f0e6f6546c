package main

import (
	"context"
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

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// exampleConfig reads a file of docs/examples and checks that
// docs/OPERATIONS.md shows it verbatim: what the doc gives is what the
// tests run.
func exampleConfig(t *testing.T, name string) string {
	t.Helper()
	content, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	document, err := os.ReadFile(filepath.Join("..", "..", "docs", "OPERATIONS.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(document), "```hcl\n"+string(content)+"```") {
		t.Fatalf("docs/OPERATIONS.md does not show docs/examples/%s verbatim in an hcl block", name)
	}
	return string(content)
}

// serverEnvironment makes a data directory's NATS credentials as a
// federation would (nats-credentials init) and puts the public keys that
// nats-credentials server-env prints into the test's environment, where
// nats-server reads the variables docs/examples/nats-accounts.conf names.
func serverEnvironment(t *testing.T, data string) []string {
	t.Helper()
	runLedger(t, "", "nats-credentials", "init", "--data", data).expect(t, 0, "made NATS credentials")
	printed := runLedger(t, "", "nats-credentials", "server-env", "--data", data)
	printed.expect(t, 0, "LEDGER_OPERATOR_NKEY=U", "LEDGER_RUNTIME_NKEY=U", "LEDGER_WATCHER_NKEY=U")
	environment := strings.Fields(printed.stdout)
	for _, line := range environment {
		name, value, _ := strings.Cut(line, "=")
		t.Setenv(name, value)
	}
	return environment
}

// The account and permissions docs/OPERATIONS.md gives for a NATS server
// of the federation's own hold: docs/examples/nats-accounts.conf, shown
// verbatim in the doc, has the embedded server's permission lists, and a
// real server running it refuses anonymous clients, lets the runtime user
// work once the operator made the streams but neither make nor delete
// them, and keeps the watcher from the log.
func TestOperationsDocNATSConfigHolds(t *testing.T) {
	accounts := exampleConfig(t, "nats-accounts.conf")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	serverEnvironment(t, data)
	seeds := map[string]string{}
	for _, role := range natsjs.Roles {
		seeds[strings.ToUpper(string(role))] = natsjs.SeedFile(data, role)
	}
	if err := os.WriteFile(filepath.Join(dir, "nats-accounts.conf"), []byte(accounts), 0o600); err != nil {
		t.Fatal(err)
	}
	config := "listen: 127.0.0.1:-1\njetstream { store_dir: " + strconv.Quote(filepath.Join(dir, "store")) + " }\ninclude ./nats-accounts.conf\n"
	configFile := filepath.Join(dir, "nats-server.conf")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	options, err := server.ProcessConfigFile(configFile)
	if err != nil {
		t.Fatalf("the doc's config does not parse: %v", err)
	}
	credentials, err := natsjs.LoadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*server.Permissions{
		credentials.PublicKey(natsjs.RoleRuntime):  natsjs.RuntimePermissions([]string{"LEDGER", natsjs.SignedCheckpointStream, natsjs.AccessLogStream}),
		credentials.PublicKey(natsjs.RoleWatcher):  natsjs.WatcherPermissions(),
		credentials.PublicKey(natsjs.RoleOperator): nil,
	}
	if len(options.Nkeys) != len(want) {
		t.Fatalf("the doc's config has %d users, want %d", len(options.Nkeys), len(want))
	}
	for _, user := range options.Nkeys {
		wanted, known := want[user.Nkey]
		if !known || user.Account == nil || user.Account.Name != "LEDGER" {
			t.Fatalf("user %s of the doc's config is not one of the ledger's in account LEDGER", user.Nkey)
		}
		if !samePermissions(user.Permissions, wanted) {
			t.Errorf("user %s: the doc's permissions %+v differ from the embedded server's %+v", user.Nkey, describe(user.Permissions), describe(wanted))
		}
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

// samePermissions compares two users' permissions as sets of subjects.
func samePermissions(a, b *server.Permissions) bool { return describe(a) == describe(b) }

// describe lists a user's permissions, each list sorted.
func describe(permissions *server.Permissions) string {
	if permissions == nil {
		return "all"
	}
	list := func(subjects *server.SubjectPermission) string {
		if subjects == nil {
			return "-"
		}
		allow, deny := slices.Sorted(slices.Values(subjects.Allow)), slices.Sorted(slices.Values(subjects.Deny))
		return "allow " + strings.Join(allow, " ") + " deny " + strings.Join(deny, " ")
	}
	return "publish: " + list(permissions.Publish) + "; subscribe: " + list(permissions.Subscribe)
}

// serve --nats runs no NATS server, so the embedded server's flags are
// refused rather than ignored.
func TestServeWithNATSRefusesEmbeddedServerFlags(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "serve", "--nats", "nats://127.0.0.1:1", "--data", data, "--port", "4333", "--cluster-name", "c").
		expect(t, 2, "--cluster-name, --port set the embedded NATS server")
}
