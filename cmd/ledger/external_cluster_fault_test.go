package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// A federation's own three-node NATS cluster, run from the config
// docs/OPERATIONS.md gives (docs/examples/nats-cluster.conf with its
// accounts file, the pinned nats-server as three separate processes), with
// three `ledger serve --nats` nodes as its clients: the operator's
// credential makes the streams at three replicas, and doctor reads every
// node's version; the serve nodes run as the runtime user. Under appends
// through the API the stream leader's nats-server process is SIGKILLed:
// appends go on, every acknowledged append is stored exactly once (by its
// idempotency key), and `ledger verify` is green.
//
// It needs LEDGER_CLUSTER_FAULTS=1 (make test runs it after the race run,
// without the race detector, as the embedded cluster's fault test).
func TestFaultExternalClusterLosesStreamLeader(t *testing.T) {
	if os.Getenv("LEDGER_CLUSTER_FAULTS") == "" {
		t.Skip("external-cluster fault test: run with LEDGER_CLUSTER_FAULTS=1 (make test-faults)")
	}
	exampleConfig(t, "nats-accounts.conf")
	exampleConfig(t, "nats-cluster.conf")
	configFile, err := filepath.Abs(filepath.Join("..", "..", "docs", "examples", "nats-cluster.conf"))
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(t.TempDir(), "shared")
	serverEnvironment(t, shared)
	operatorSeed, runtimeSeed := natsjs.SeedFile(shared, natsjs.RoleOperator), natsjs.SeedFile(shared, natsjs.RoleRuntime)
	certificates := natsjstest.WriteClusterCertificates(t, t.TempDir())
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	// The secret begins with letters: the config would read digits alone
	// as a number.
	routeSecret := "route" + hex.EncodeToString(secret)
	routePorts := natsjstest.FreePorts(t, 3)
	var routes []string
	for _, port := range routePorts {
		routes = append(routes, fmt.Sprintf("nats-route://ledger-route:%s@127.0.0.1:%d", routeSecret, port))
	}
	binary := natsjstest.PinnedServer(t)
	names := []string{"n1", "n2", "n3"}
	stops := map[string]func(){}
	var urls []string
	for i, name := range names {
		url, stop := natsjstest.RunExternalConfig(t, binary, configFile, []string{
			"NATS_SERVER_NAME=" + name, "NATS_LISTEN=127.0.0.1:-1", "NATS_STORE_DIR=" + filepath.Join(t.TempDir(), "store"),
			fmt.Sprintf("NATS_CLUSTER_LISTEN=127.0.0.1:%d", routePorts[i]), "NATS_ROUTE_SECRET=" + routeSecret,
			"NATS_ROUTES=[" + strings.Join(routes, ", ") + "]",
			"NATS_TLS_CERT=" + certificates.CertFile, "NATS_TLS_KEY=" + certificates.KeyFile, "NATS_TLS_CA=" + certificates.CAFile,
		})
		urls = append(urls, url)
		stops[name] = stop
	}
	cluster := strings.Join(urls, ",")

	// The operator makes the streams (doctor opens the ledger, which makes
	// what is missing) and the doctor names every node's version, read
	// with the account's ordinary rights.
	doctor := runLedger(t, "", "doctor", "--nats", cluster, "--nats-creds", operatorSeed, "--replicas", "3", "--data", shared)
	doctor.expect(t, 0, "on n1", "on n2", "on n3")
	// One signing key for every serve node, so that whichever holds the
	// projection lease signs checkpoints verify accepts.
	// pubkey makes no key: the first checkpoint, signed with the
	// operator's credential, makes it in the shared directory.
	runLedger(t, "", "checkpoint", "--nats", cluster, "--nats-creds", operatorSeed, "--replicas", "3", "--data", shared).expect(t, 0)
	runLedger(t, "", "pubkey", "--data", shared).expect(t, 0, "ordos-union-ledger+")
	signingKey := filepath.Join(shared, "integrity", "signing.key")

	t.Setenv("LEDGER_TOKENS", "ops:admin:external-admin-token-0123456789")
	nodes := make([]*clusterProcess, 3)
	var started sync.WaitGroup
	for i := range nodes {
		name := fmt.Sprintf("ledger-%d", i+1)
		nodes[i] = &clusterProcess{name: name, data: filepath.Join(t.TempDir(), name), token: "external-admin-token-0123456789",
			args: []string{"serve", "--nats", cluster, "--nats-creds", runtimeSeed, "--replicas", "3", "--signing-key", signingKey,
				"--data", filepath.Join(t.TempDir(), name), "--http", "127.0.0.1:0", "--server-name", name}}
		started.Add(1)
		go func() {
			defer started.Done()
			nodes[i].start(t)
		}()
	}
	started.Wait()

	var mu sync.Mutex
	acknowledged := map[string]bool{}
	// killed is when the leader's process was killed; firstAfter the first
	// acknowledgement of an append sent after that.
	var lastAck, killed, firstAfter time.Time
	stop := make(chan struct{})
	var writers sync.WaitGroup
	client := &http.Client{Timeout: 40 * time.Second}
	post := func(node *clusterProcess, key string, writer, i int) bool {
		request, _ := http.NewRequest("POST", node.httpURL+"/api/v1/events", strings.NewReader(loadDonation(key, writer, i)))
		request.Header.Set("Authorization", "Bearer "+node.token)
		reply, err := client.Do(request)
		if err != nil {
			return false
		}
		reply.Body.Close()
		return reply.StatusCode == http.StatusCreated || reply.StatusCode == http.StatusOK
	}
	for writer := range 3 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("external-%d-%d", writer, i)
				// A retry goes to the next serve node with the same key: at
				// most once is the key's promise, at least once the retry's.
				for attempt := range 30 {
					mu.Lock()
					sentAfterKill := !killed.IsZero()
					mu.Unlock()
					if post(nodes[(writer+attempt)%3], key, writer, i) {
						mu.Lock()
						acknowledged[key], lastAck = true, time.Now()
						if sentAfterKill && firstAfter.IsZero() {
							firstAfter = lastAck
						}
						mu.Unlock()
						break
					}
				}
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acknowledged) }
	natsjstest.CheckFor(t, 120*time.Second, func() error {
		if got := count(); got < 100 {
			return fmt.Errorf("%d appends acknowledged, want 100 before the leader's loss", got)
		}
		return nil
	})

	runtime, err := natsjs.ConnectOptionFromFile(runtimeSeed)
	if err != nil {
		t.Fatal(err)
	}
	connection, err := nats.Connect(cluster, runtime, nats.CustomInboxPrefix(natsjs.RuntimeInboxPrefix), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer connection.Close()
	js, _ := jetstream.New(connection)
	// Only the stream leader's own answer lists both other replicas.
	var leader string
	natsjstest.CheckFor(t, 60*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stream, err := js.Stream(ctx, "LEDGER")
		if err != nil {
			return err
		}
		info, err := stream.Info(ctx)
		if err != nil {
			return err
		}
		if info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 || stops[info.Cluster.Leader] == nil {
			return fmt.Errorf("no leader's answer yet: %+v", info.Cluster)
		}
		leader = info.Cluster.Leader
		return nil
	})
	before := count()
	stops[leader]()
	mu.Lock()
	killed = time.Now()
	mu.Unlock()
	natsjstest.CheckFor(t, 120*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(acknowledged) <= before+50 || firstAfter.IsZero() {
			return fmt.Errorf("%d appends acknowledged since nats-server %s was killed, want 50", len(acknowledged)-before, leader)
		}
		return nil
	})
	mu.Lock()
	t.Logf("nats-server %s, the stream leader, SIGKILLed after %d acknowledged appends; the first append sent after it was acknowledged %s later; %d more in %s",
		leader, before, firstAfter.Sub(killed).Round(time.Millisecond), len(acknowledged)-before, lastAck.Sub(killed).Round(time.Millisecond))
	mu.Unlock()
	close(stop)
	writers.Wait()

	// The serve nodes stop as an operator stops them; the lease holder
	// signs a last checkpoint over the whole log.
	for _, node := range nodes {
		if err := node.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for _, node := range nodes {
		exited := make(chan error, 1)
		go func() { exited <- node.cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s stopped with %v", node.name, err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s did not stop within 60 s of SIGTERM", node.name)
		}
	}

	events := runLedger(t, "", "events", "--json", "--nats", cluster, "--nats-creds", runtimeSeed)
	events.expect(t, 0)
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(events.stdout), "\n") {
		var event struct {
			IdempotencyKey string `json:"idempotency_key"`
		}
		if json.Unmarshal([]byte(line), &event) == nil && event.IdempotencyKey != "" {
			seen[event.IdempotencyKey]++
		}
	}
	for key := range acknowledged {
		if seen[key] != 1 {
			t.Errorf("acknowledged %s stored %d times", key, seen[key])
		}
	}
	for key, times := range seen {
		if times != 1 {
			t.Errorf("%s stored %d times", key, times)
		}
	}
	// The log holds those events and nothing else, and the lease holder
	// signed checkpoints over it (at least the last one, at its stop).
	verify := runLedger(t, "", "verify", "--nats", cluster, "--nats-creds", runtimeSeed, "--data", shared)
	verify.expect(t, 0, "OK:")
	// Events after the newest checkpoint come with a note before the OK
	// line (the lease holder may stop before its tree has caught up): they
	// are verified all the same.
	var verifiedEvents, verifiedCheckpoints int
	okLine := regexp.MustCompile(`OK: (\d+) events?, (\d+) checkpoints? verified`).FindStringSubmatch(verify.stdout)
	if okLine != nil {
		verifiedEvents, _ = strconv.Atoi(okLine[1])
		verifiedCheckpoints, _ = strconv.Atoi(okLine[2])
	}
	if okLine == nil || verifiedEvents != len(seen) || verifiedCheckpoints < 1 {
		t.Fatalf("verify: %q; want all %d events and at least one checkpoint the serve nodes signed", verify.stdout, len(seen))
	}
	t.Logf("%d appends acknowledged, %d events stored, each once; verify OK with %d checkpoints", len(acknowledged), len(seen), verifiedCheckpoints)
}
