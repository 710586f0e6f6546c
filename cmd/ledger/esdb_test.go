package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
)

// Without a server, every command on --store esdb:// fails at once with an
// error that names the server, and serve leaves the data directory free.
func TestEventStoreDBUnreachableIsAClearError(t *testing.T) {
	data := t.TempDir()
	store := fmt.Sprintf("esdb://127.0.0.1:%d?tls=false", freeTCPPort(t))
	for range 2 {
		runLedger(t, "", "serve", "--store", store, "--data", data, "--http", "127.0.0.1:0").
			expect(t, 1, "EventStoreDB at 127.0.0.1:", "store unavailable")
	}
	runLedger(t, "", "totals", "--store", store, "--data", data).expect(t, 1, "EventStoreDB at 127.0.0.1:")
	runLedger(t, "", "backup", t.TempDir()+"/out", "--store", store).expect(t, 2, "backup works on the JetStream store", "ledger migrate --from")
	runLedger(t, "", "serve", "--store", store, "--cluster-name", "c", "--routes", "nats://127.0.0.1:1").expect(t, 2, "JetStream cluster")
	runLedger(t, "", "totals", "--store", "postgres://x").expect(t, 2, "use esdb://")
}

// The whole ledger on a live EventStoreDB (LEDGER_ESDB_URL): the demo,
// serve with its API and totals, a checkpoint, verify, and a migration
// back to a JetStream data directory with the same totals. Its own stream
// prefix gives it an empty ledger on a shared server.
func TestEndToEndOnEventStoreDB(t *testing.T) {
	server := os.Getenv("LEDGER_ESDB_URL")
	if server == "" {
		t.Skip("LEDGER_ESDB_URL is not set: no EventStoreDB server to run the ledger on (set it to esdb://HOST:2113?tls=false)")
	}
	separator := "?"
	if strings.Contains(server, "?") {
		separator = "&"
	}
	store := server + separator + "ledgerStreamPrefix=e2e" + uuid.NewString()[:8] + "-"
	data := t.TempDir()
	runLedger(t, "", "demo", "--store", store, "--data", data).expect(t, 0, "121 events written")
	served := startServe(t, data, "--store", store)
	body := `{"type":"donation_received","county":"150602","occurred_at":"2022-06-15T09:30:00+08:00","idempotency_key":"esdb-e2e-1",` +
		`"data":{"donation_id":"D-ESDB-1","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"100.00"}}`
	for range 2 {
		status, err := served.post(body)
		if err != nil || (status != http.StatusCreated && status != http.StatusOK) {
			t.Fatalf("post: %d, %v", status, err)
		}
	}
	// The live projection follows the subscription: bounded polling until
	// it has folded the posted event.
	var figures struct {
		Tree struct {
			Size int64 `json:"size"`
		} `json:"tree"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for figures.Tree.Size != 122 {
		if time.Now().After(deadline) {
			t.Fatalf("totals after 121 demo events and one donation posted twice: tree size %d, want 122", figures.Tree.Size)
		}
		totals, err := served.get("/api/v1/totals")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(totals, &figures); err != nil {
			t.Fatalf("totals: %v: %s", err, totals)
		}
		<-time.After(50 * time.Millisecond)
	}
	if err := served.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := served.cmd.Wait(); err != nil {
		t.Fatalf("serve did not stop cleanly: %v", err)
	}
	if events := countEvents(t, "--store", store, "--data", data); events != 122 {
		t.Fatalf("%d events listed, want 122", events)
	}
	runLedger(t, "", "checkpoint", "--store", store, "--data", data).expect(t, 0)
	runLedger(t, "", "verify", "--store", store, "--data", data).expect(t, 0)
	copied := t.TempDir()
	runLedger(t, "", "migrate", "--from", store, "--to", "dir:"+copied).expect(t, 0, `"copied": 122`, `"personal_data_keys_copied": 3`)
	original := runLedger(t, "", "totals", "--store", store, "--data", data)
	original.expect(t, 0, "tree size 122")
	if back := runLedger(t, "", "totals", "--data", copied); back.stdout != original.stdout {
		t.Fatalf("totals differ after migrating back:\n%s\n%s", original.stdout, back.stdout)
	}
}
