package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// checkFor is the shared bounded wait.
var checkFor = natsjstest.CheckFor

// connectAs connects to a running serve's NATS port with a role's seed
// from the data directory, as another program on the host would.
func connectAs(t *testing.T, data string, role natsjs.Role) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	credential, err := natsjs.ConnectOptionFromFile(natsjs.SeedFile(data, role))
	if err != nil {
		t.Fatal(err)
	}
	connection, err := nats.Connect(natsOf(t, data), credential, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(connection.Close)
	js, err := jetstream.New(connection)
	if err != nil {
		t.Fatal(err)
	}
	return connection, js
}

// refused runs an attempt the server must refuse for want of permission:
// it fails, and the connection hears a permissions violation naming
// subject (a refused request gets no answer, so the attempt itself only
// times out).
func refused(t *testing.T, connection *nats.Conn, subject string, attempt func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := attempt(ctx); err == nil {
		t.Fatalf("%s was allowed", subject)
	}
	checkFor(t, 10*time.Second, func() error {
		last := connection.LastError()
		if last == nil || !strings.Contains(last.Error(), "Permissions Violation") || !strings.Contains(last.Error(), `"`+subject+`"`) {
			return fmt.Errorf("%s: the last error is %v, want a permissions violation for it", subject, last)
		}
		return nil
	})
}

// readiness is /readyz as a token holder reads it: without a token it
// names no stream, position or count.
func (s *servedLedger) readiness() (int, string) {
	return s.getAs(s.token, "/readyz")
}

// getAs reads path with token, or with none when it is empty: the status
// and the body.
func (s *servedLedger) getAs(token, path string) (int, string) {
	request, err := http.NewRequest("GET", s.httpURL+path, nil)
	if err != nil {
		return 0, err.Error()
	}
	if token != "" {
		request.Header.Set("Authorization", "Bearer "+token)
	}
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		return 0, err.Error()
	}
	defer reply.Body.Close()
	body, _ := io.ReadAll(reply.Body)
	return reply.StatusCode, string(body)
}

// The NATS port beside the API is no back door: anonymous clients are
// refused, the watcher reads live totals and nothing else, and not even the
// ledger's runtime user can delete the log or the checkpoint history.
func TestNATSPortEnforcesRoles(t *testing.T) {
	data := t.TempDir()
	served := startServe(t, data)
	if status, err := served.post(loadDonation("trust-1", 1, 1)); err != nil || status != http.StatusCreated {
		t.Fatalf("append through the API: %d %v", status, err)
	}
	url := natsOf(t, data)

	// Only the owner may enter the data directory; credentials and tokens
	// are the owner's alone.
	for path, want := range map[string]os.FileMode{data: 0o700, natsjs.CredentialsDir(data): 0o700,
		natsjs.SeedFile(data, natsjs.RoleRuntime): 0o600, filepath.Join(data, "tokens.json"): 0o600} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != want {
			t.Fatalf("%s: %v, want mode %04o", path, err, want)
		}
	}

	// Without credentials: refused at connect.
	if connection, err := nats.Connect(url, nats.MaxReconnects(0)); err == nil {
		connection.Close()
		t.Fatal("an anonymous client connected to serve's NATS port")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous connect: %v, want an authorization violation", err)
	}

	// The watcher reads live totals...
	watcherConnection, watcher := connectAs(t, data, natsjs.RoleWatcher)
	bucket, err := watcher.KeyValue(context.Background(), natsjs.LiveTotalsBucket)
	if err != nil {
		t.Fatalf("watcher cannot open the live totals: %v", err)
	}
	checkFor(t, 30*time.Second, func() error {
		entry, err := bucket.Get(context.Background(), "150626.general")
		if err != nil {
			return err
		}
		if !strings.Contains(string(entry.Value()), `"received":"1.00"`) {
			return fmt.Errorf("live total %s", entry.Value())
		}
		return nil
	})
	// ...and may not publish to the log, read the keys or delete anything.
	forged := "ledger.events.donation.D-X.150626.donation_received"
	refused(t, watcherConnection, forged, func(ctx context.Context) error {
		_, err := watcher.Publish(ctx, forged, []byte(`{"forged":true}`))
		return err
	})
	refused(t, watcherConnection, "$JS.API.STREAM.INFO.KV_LEDGER_KEYS", func(ctx context.Context) error {
		_, err := watcher.KeyValue(ctx, natsjs.KeystoreBucket)
		return err
	})
	for _, stream := range []string{"LEDGER", natsjs.SignedCheckpointStream, natsjs.LiveTotalsStream, "KV_" + natsjs.KeystoreBucket} {
		refused(t, watcherConnection, "$JS.API.STREAM.DELETE."+stream, func(ctx context.Context) error {
			return watcher.DeleteStream(ctx, stream)
		})
	}
	refused(t, watcherConnection, "$KV.LEDGER_LIVE_TOTALS.150626.general", func(ctx context.Context) error {
		return bucket.Delete(ctx, "150626.general")
	})

	// The watcher's credential is handed out by a command, and is what the
	// example program follows the live totals with; the operator's is not.
	seed := filepath.Join(t.TempDir(), "watcher.nk")
	runLedger(t, "", "nats-credentials", "watcher", "--data", data, "--out", seed).expect(t, 0)
	if info, err := os.Stat(seed); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the handed-out seed: %v %v, want mode 0600", info, err)
	}
	runLedger(t, "", "nats-credentials", "operator", "--data", data).expect(t, 2, "not handed out")
	// The runtime's is handed out for other nodes of the ledger, with a
	// warning of what it can do, on standard error (the seed alone is on
	// standard output).
	runtimeSeed := runLedger(t, "", "nats-credentials", "runtime", "--data", data)
	runtimeSeed.expect(t, 0, "reads every personal-data key")
	if !strings.HasPrefix(runtimeSeed.stdout, "SU") || strings.Contains(runtimeSeed.stdout, "personal-data") {
		t.Fatalf("nats-credentials runtime printed on standard output:\n%s", runtimeSeed.stdout)
	}
	followLiveTotals(t, url, seed, "150626.general", `received ¥1.00`)

	// The runtime user may not remove the log or the checkpoints.
	runtimeConnection, runtime := connectAs(t, data, natsjs.RoleRuntime)
	for _, stream := range []string{"LEDGER", natsjs.SignedCheckpointStream} {
		refused(t, runtimeConnection, "$JS.API.STREAM.DELETE."+stream, func(ctx context.Context) error {
			return runtime.DeleteStream(ctx, stream)
		})
		handle, err := runtime.Stream(context.Background(), stream)
		if err != nil {
			t.Fatalf("%s after the attempt: %v", stream, err)
		}
		refused(t, runtimeConnection, "$JS.API.STREAM.PURGE."+stream, func(ctx context.Context) error {
			return handle.Purge(ctx)
		})
	}
	// Nor empty the personal-data keys in one go: no purge, no
	// reconfiguration (it destroys one key at a time, for forget).
	keys, err := runtime.Stream(context.Background(), natsjs.KeystoreStream)
	if err != nil {
		t.Fatalf("runtime cannot read the keystore's stream: %v", err)
	}
	refused(t, runtimeConnection, "$JS.API.STREAM.PURGE."+natsjs.KeystoreStream, func(ctx context.Context) error {
		return keys.Purge(ctx)
	})
	shorter := keys.CachedInfo().Config
	shorter.MaxAge = time.Second
	refused(t, runtimeConnection, "$JS.API.STREAM.UPDATE."+natsjs.KeystoreStream, func(ctx context.Context) error {
		_, err := runtime.UpdateStream(ctx, shorter)
		return err
	})
	// Nothing the attempts did reached the log.
	if got := countEvents(t, "--data", data); got != 1 {
		t.Fatalf("%d events after the attempts, want 1", got)
	}
	if status, body := served.readiness(); status != http.StatusOK {
		t.Fatalf("readyz after refused attempts: %d %s", status, body)
	}
}

// A stream deleted behind the running ledger's back is noticed within
// seconds; deleted signed checkpoints fail verify; a deleted log is not
// silently replaced by an empty one at the next start; the admin's
// dashboard link is printed only when the tokens are made.
func TestDeletedHistoryIsNoticed(t *testing.T) {
	data := t.TempDir()
	served := startServe(t, data)
	checkFor(t, 10*time.Second, func() error {
		if !strings.Contains(served.output.String(), "?token=") {
			return fmt.Errorf("the first start does not show the admin's dashboard link:\n%s", served.output)
		}
		return nil
	})
	// By default (no --metrics-public) the metrics, which give the log
	// head, are read with a finance, auditor or admin token only.
	if status, body := served.getAs("", "/metrics"); status != http.StatusUnauthorized {
		t.Fatalf("metrics without a token: %d %s, want 401", status, body)
	}
	if status, body := served.getAs(served.auditorToken, "/metrics"); status != http.StatusOK || !strings.Contains(body, "ledger_log_head") {
		t.Fatalf("metrics with an auditor's token: %d %s", status, body)
	}
	for i := 1; i <= 3; i++ {
		if status, err := served.post(loadDonation(fmt.Sprintf("history-%d", i), 1, i)); err != nil || status != http.StatusCreated {
			t.Fatalf("append: %d %v", status, err)
		}
	}
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0, "ordos-union-ledger")
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0, "ordos-union-ledger")
	runLedger(t, "", "verify", "--data", data).expect(t, 0, "OK: 3 events, 2 checkpoints verified")

	// Someone with the operator's credential (a server administrator, say)
	// removes the checkpoint history.
	_, operator := connectAs(t, data, natsjs.RoleOperator)
	if err := operator.DeleteStream(context.Background(), natsjs.SignedCheckpointStream); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 30*time.Second, func() error {
		status, body := served.readiness()
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "LEDGER_CHECKPOINTS is missing") {
			return fmt.Errorf("readyz %d %s", status, body)
		}
		return nil
	})
	// Without a token the answer is only that it is not ready: the guard's
	// reason may count messages, which tells how many events the log holds.
	if status, body := served.getAs("", "/readyz"); status != http.StatusServiceUnavailable ||
		strings.Contains(body, "LEDGER_CHECKPOINTS") || !strings.Contains(body, "a history stream is missing or changed") {
		t.Fatalf("readyz without a token: %d %s", status, body)
	}
	checkFor(t, 10*time.Second, func() error {
		if !strings.Contains(served.output.String(), "history stream changed") || !strings.Contains(served.output.String(), "LEDGER_CHECKPOINTS") {
			return errors.New("serve logged no error naming LEDGER_CHECKPOINTS")
		}
		return nil
	})
	// While serve runs, the runtime may not make the stream again.
	runLedger(t, "", "verify", "--data", data).expect(t, 1, "LEDGER_CHECKPOINTS is missing")

	stop(t, served)
	// Started on its own, the ledger makes an empty checkpoint stream, and
	// verify says what is gone.
	runLedger(t, "", "verify", "--data", data).expect(t, 1, "held at least 2: signed checkpoints were deleted")

	// The next start does not show the token again; it names the file.
	served = startServe(t, data)
	checkFor(t, 10*time.Second, func() error {
		if output := served.output.String(); !strings.Contains(output, "sign in with the local-admin token in") {
			return fmt.Errorf("a restart does not name the tokens file:\n%s", output)
		}
		return nil
	})
	if output := served.output.String(); strings.Contains(output, "?token=") {
		t.Fatalf("a restart shows the admin token:\n%s", output)
	}
	_, operator = connectAs(t, data, natsjs.RoleOperator)
	if err := operator.DeleteStream(context.Background(), "LEDGER"); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 30*time.Second, func() error {
		status, body := served.readiness()
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "stream LEDGER is missing") {
			return fmt.Errorf("readyz %d %s", status, body)
		}
		return nil
	})
	stop(t, served)
	runLedger(t, "", "serve", "--data", data, "--port", "-1", "--http", "127.0.0.1:0").
		expect(t, 1, "the ledger stream LEDGER is missing", "restore it from a backup")
}

// An auditor who kept a checkpoint catches a history rewritten by whoever
// holds the signing key, without ever having seen the server.
func TestVerifyAgainstATrustedCheckpoint(t *testing.T) {
	original := t.TempDir()
	line := `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-uxin","idempotency_key":"k-%d","data":{"donation_id":"D-%d","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"%s"}}`
	record := func(data string, i int, amount string) {
		runLedger(t, fmt.Sprintf(line, i, i, amount)+"\n", "record", "-", "--data", data).expect(t, 0, "recorded")
	}
	record(original, 1, "100.00")
	record(original, 2, "200.00")
	kept := filepath.Join(t.TempDir(), "checkpoint.txt")
	checkpoint := runLedger(t, "", "checkpoint", "--data", original)
	checkpoint.expect(t, 0)
	if err := os.WriteFile(kept, []byte(checkpoint.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	record(original, 3, "300.00")
	runLedger(t, "", "checkpoint", "--data", original).expect(t, 0)
	runLedger(t, "", "verify", "--data", original, "--trusted", kept).expect(t, 0, "consistent with 1 trusted checkpoint")

	// The same signing key, another history: the second donation was
	// ¥2.00, the log is rebuilt and every checkpoint signed again.
	rewritten := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rewritten, "integrity"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"signing.key", "verifier.key"} {
		content, err := os.ReadFile(filepath.Join(original, "integrity", name))
		if err == nil {
			err = os.WriteFile(filepath.Join(rewritten, "integrity", name), content, 0o600)
		}
		if err != nil && name == "signing.key" {
			t.Fatal(err)
		}
	}
	record(rewritten, 1, "100.00")
	record(rewritten, 2, "2.00")
	record(rewritten, 3, "300.00")
	runLedger(t, "", "checkpoint", "--data", rewritten).expect(t, 0)
	runLedger(t, "", "verify", "--data", rewritten).expect(t, 0, "OK")
	runLedger(t, "", "verify", "--data", rewritten, "--trusted", kept).expect(t, 1, "history was rewritten")

	// A log cut short is caught too.
	short := t.TempDir()
	if err := os.MkdirAll(filepath.Join(short, "integrity"), 0o700); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(filepath.Join(original, "integrity", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(short, "integrity", "signing.key"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	record(short, 1, "100.00")
	runLedger(t, "", "verify", "--data", short, "--trusted", kept).expect(t, 1, "commits to 2 events but the log holds 1")
	// Something that is not a checkpoint is a usage error, not a pass.
	runLedger(t, "", "verify", "--data", short, "--trusted", filepath.Join(original, "tokens.json")).expect(t, 2, "--trusted")
}

// followLiveTotals runs examples/watch-totals with a watcher seed and waits
// for it to print the key with want.
func followLiveTotals(t *testing.T, url, seed, key, want string) {
	t.Helper()
	example := filepath.Join(t.TempDir(), "watch-totals")
	build := exec.Command("go", "build", "-o", example, "../../examples/watch-totals")
	if output, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the example: %v\n%s", err, output)
	}
	watch := exec.Command(example, "--nats", url, "--nkey", seed, "--key", key)
	output := &lockedBuffer{}
	watch.Stdout, watch.Stderr = output, output
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = watch.Process.Kill(); _ = watch.Wait() }()
	checkFor(t, 60*time.Second, func() error {
		if text := output.String(); !strings.Contains(text, key) || !strings.Contains(text, want) {
			return fmt.Errorf("watch-totals printed %q", text)
		}
		return nil
	})
}

// stop ends a serve process with SIGTERM and waits for it.
func stop(t *testing.T, served *servedLedger) {
	t.Helper()
	if err := served.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- served.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		// Its goroutines, for whoever reads the failure.
		_ = served.cmd.Process.Signal(syscall.SIGQUIT)
		<-time.After(2 * time.Second)
		t.Fatal("serve did not stop within 60 s of SIGTERM")
	}
}

// natsCLI is the stock NATS CLI: LEDGER_NATS_CLI (make test builds it into
// bin/nats), else nats on the PATH.
func natsCLI(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("LEDGER_NATS_CLI"); path != "" {
		return path
	}
	path, err := exec.LookPath("nats")
	if err != nil {
		t.Fatal("this test attacks serve with the stock NATS CLI: run it through `make test`, which builds bin/nats, " +
			"or set LEDGER_NATS_CLI to a nats binary (go install github.com/nats-io/natscli/nats@v0.5.0)")
	}
	return path
}

// What was done to the landed ledger with the stock `nats` CLI no longer
// works: no credentials, no access; the watcher's seed reads the live
// totals with `kv get`/`kv watch` and removes nothing; with the runtime's
// seed `stream rm LEDGER`, `stream rm LEDGER_CHECKPOINTS` and a purge of
// KV_LEDGER_KEYS are refused.
func TestStockNATSCLIHonoursRoles(t *testing.T) {
	cli := natsCLI(t)
	data := t.TempDir()
	served := startServe(t, data)
	if status, err := served.post(loadDonation("cli-1", 1, 1)); err != nil || status != http.StatusCreated {
		t.Fatalf("append through the API: %d %v", status, err)
	}
	url := natsOf(t, data)
	home := t.TempDir()
	nats := func(seed string, args ...string) (string, error) {
		all := []string{"--server", url, "--timeout", "2s"}
		if seed != "" {
			all = append(all, "--nkey", seed)
		}
		command := exec.Command(cli, append(all, args...)...)
		// A fresh home: no NATS context of the machine's user applies.
		command.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
		output, err := command.CombinedOutput()
		return string(output), err
	}
	if output, err := nats("", "stream", "ls"); err == nil || !strings.Contains(output, "Authorization Violation") {
		t.Fatalf("nats stream ls without credentials: %v\n%s", err, output)
	}
	watcher := natsjs.SeedFile(data, natsjs.RoleWatcher)
	checkFor(t, 30*time.Second, func() error {
		output, err := nats(watcher, "kv", "get", "LEDGER_LIVE_TOTALS", "150626.general", "--raw")
		if err != nil || !strings.Contains(output, `"received":"1.00"`) {
			return fmt.Errorf("nats kv get as the watcher: %v\n%s", err, output)
		}
		return nil
	})
	watch := exec.Command(cli, "--server", url, "--nkey", watcher, "kv", "watch", "LEDGER_LIVE_TOTALS", "150626.>")
	watch.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	watched := &lockedBuffer{}
	watch.Stdout, watch.Stderr = watched, watched
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = watch.Process.Kill(); _ = watch.Wait() }()
	checkFor(t, 30*time.Second, func() error {
		if !strings.Contains(watched.String(), "150626.general") {
			return fmt.Errorf("nats kv watch as the watcher printed %q", watched.String())
		}
		return nil
	})
	runtime := natsjs.SeedFile(data, natsjs.RoleRuntime)
	for _, seed := range []string{watcher, runtime} {
		for _, stream := range []string{"LEDGER", natsjs.SignedCheckpointStream} {
			if output, err := nats(seed, "stream", "rm", stream, "-f"); err == nil || !strings.Contains(output, "Permissions Violation") {
				t.Fatalf("nats stream rm %s with %s: %v\n%s", stream, filepath.Base(seed), err, output)
			}
		}
	}
	// `nats stream purge` asks for a terminal before touching a bucket's
	// stream, so the purge is sent as the plain request it is.
	purge := "$JS.API.STREAM.PURGE." + natsjs.KeystoreStream
	// The CLI reports the refusal but exits 0 (the request merely had no
	// answer), so the output is what tells.
	if output, err := nats(runtime, "request", purge, "{}"); !strings.Contains(output, "Permissions Violation") || strings.Contains(output, `"success"`) {
		t.Fatalf("nats request %s with the runtime's seed: %v\n%s", purge, err, output)
	}
	if output, err := nats(runtime, "stream", "info", "LEDGER", "--json"); err != nil || !strings.Contains(output, `"messages": 1`) {
		t.Fatalf("LEDGER after the attempts: %v\n%s", err, output)
	}
}
