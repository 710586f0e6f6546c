package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore/natsjs"
)

// servedLedger is a `ledger serve` process on a data directory.
type servedLedger struct {
	cmd     *exec.Cmd
	httpURL string
	token   string
	// auditorToken reads what a clerk's token may not: the tiles of the
	// log as stored (/tlog/), bank lines included.
	auditorToken string
	// output is everything the process printed, standard output and
	// standard error.
	output *lockedBuffer
}

// lockedBuffer collects a process's output for a test to read while it
// runs.
type lockedBuffer struct {
	mu      sync.Mutex
	content bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.content.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.content.String()
}

func startServe(t *testing.T, data string, extra ...string) *servedLedger {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--data", data, "--port", "-1", "--http", "127.0.0.1:0"}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	output := &lockedBuffer{}
	cmd.Stderr = io.MultiWriter(os.Stderr, output)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			_, _ = output.Write([]byte(lines.Text() + "\n"))
			if strings.Contains(lines.Text(), "dashboard on http://") {
				found <- lines.Text()
			}
		}
	}()
	var banner string
	select {
	case banner = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("ledger serve did not start within 60 s")
	}
	url := banner[strings.Index(banner, "http://"):]
	url = url[:strings.Index(url, " ")]
	var tokens struct {
		Tokens []struct{ Role, Token string }
	}
	content, err := os.ReadFile(filepath.Join(data, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(content, &tokens); err != nil {
		t.Fatal(err)
	}
	served := &servedLedger{cmd: cmd, httpURL: url, output: output}
	for _, token := range tokens.Tokens {
		switch token.Role {
		case "clerk":
			served.token = token.Token
		case "auditor":
			served.auditorToken = token.Token
		}
	}
	return served
}

// loadDonation is one ¥1.00 donation of a fault test's load: writer's i-th,
// under its idempotency key.
func loadDonation(key string, writer, i int) string {
	return fmt.Sprintf(`{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","idempotency_key":%q,"data":{"donation_id":"D-%d-%d","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"1.00"}}`, key, writer, i)
}

func (s *servedLedger) post(body string) (int, error) {
	request, err := http.NewRequest("POST", s.httpURL+"/api/v1/events", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	request.Header.Set("Authorization", "Bearer "+s.token)
	client := &http.Client{Timeout: 10 * time.Second}
	reply, err := client.Do(request)
	if err != nil {
		return 0, err
	}
	reply.Body.Close()
	return reply.StatusCode, nil
}

func (s *servedLedger) get(path string) ([]byte, error) {
	request, err := http.NewRequest("GET", s.httpURL+path, nil)
	if err != nil {
		return nil, err
	}
	request.Header.Set("Authorization", "Bearer "+s.token)
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		return nil, err
	}
	defer reply.Body.Close()
	var body strings.Builder
	_, err = bufio.NewReader(reply.Body).WriteTo(&body)
	return []byte(body.String()), err
}

// SIGKILL `ledger serve` in the middle of appends through the API: every
// acknowledged event is in the log exactly once after the restart, and the
// projection it resumes from its checkpoint equals a fresh rebuild.
func TestFaultCrashDuringAppends(t *testing.T) {
	data := t.TempDir()
	served := startServe(t, data)
	const writers = 6
	var mu sync.Mutex
	acknowledged := map[string]bool{}
	var wait sync.WaitGroup
	stop := make(chan struct{})
	for writer := range writers {
		wait.Add(1)
		go func() {
			defer wait.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("crash-%d-%d", writer, i)
				body := loadDonation(key, writer, i)
				status, err := served.post(body)
				if err != nil {
					return
				}
				if status == http.StatusCreated || status == http.StatusOK {
					mu.Lock()
					acknowledged[key] = true
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a few hundred appends are acknowledged.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		count := len(acknowledged)
		mu.Unlock()
		if count >= 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d appends acknowledged in 60 s", count)
		}
		<-time.After(10 * time.Millisecond)
	}
	if err := served.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = served.cmd.Wait()
	close(stop)
	wait.Wait()

	// A crash is not tampering: verify, with no serve in between, passes.
	runLedger(t, "", "verify", "--data", data).expect(t, 0, "OK:")

	restarted := startServe(t, data)
	events := runLedger(t, "", "events", "--json", "--nats", natsOf(t, data), "--nats-creds", natsjs.SeedFile(data, natsjs.RoleRuntime))
	events.expect(t, 0)
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(events.stdout), "\n") {
		var event struct {
			IdempotencyKey string `json:"idempotency_key"`
		}
		if err := json.Unmarshal([]byte(line), &event); err != nil {
			t.Fatal(err)
		}
		seen[event.IdempotencyKey]++
	}
	for key := range acknowledged {
		if seen[key] != 1 {
			t.Errorf("acknowledged %s is stored %d times", key, seen[key])
		}
	}
	for key, count := range seen {
		if count != 1 {
			t.Errorf("%s stored %d times", key, count)
		}
	}
	t.Logf("%d appends acknowledged before the SIGKILL, %d events in the log after the restart", len(acknowledged), len(seen))
	// The served totals, resumed from the checkpoint, equal a rebuild.
	var live struct {
		Position uint64            `json:"position"`
		All      []json.RawMessage `json:"all"`
	}
	waitUntil := time.Now().Add(30 * time.Second)
	for {
		body, err := restarted.get("/api/v1/totals")
		if err == nil && json.Unmarshal(body, &live) == nil && live.Position == uint64(len(seen)) {
			break
		}
		if time.Now().After(waitUntil) {
			t.Fatalf("served totals did not reach position %d: %s", len(seen), body)
		}
		<-time.After(50 * time.Millisecond)
	}
	_ = restarted.cmd.Process.Signal(syscall.SIGTERM)
	_ = restarted.cmd.Wait()
	runLedger(t, "", "rebuild", "--data", data).expect(t, 0)
	rebuilt := runLedger(t, "", "totals", "--data", data, "--format", "json")
	rebuilt.expect(t, 0)
	var fresh struct {
		Position uint64            `json:"position"`
		All      []json.RawMessage `json:"all"`
	}
	if err := json.Unmarshal([]byte(rebuilt.stdout), &fresh); err != nil {
		t.Fatal(err)
	}
	compact := func(raw json.RawMessage) string {
		var buffer bytes.Buffer
		_ = json.Compact(&buffer, raw)
		return buffer.String()
	}
	if fresh.Position != live.Position || compact(fresh.All[0]) != compact(live.All[0]) {
		t.Fatalf("served totals %s at %d differ from a rebuild %s at %d", live.All[0], live.Position, fresh.All[0], fresh.Position)
	}
	runLedger(t, "", "verify", "--data", data).expect(t, 0, "OK:")
}

// natsOf reads the NATS URL a running serve announced in its lock file.
func natsOf(t *testing.T, data string) string {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(data, "ledger.holder"))
	if err != nil {
		t.Fatal(err)
	}
	var holder struct {
		NATSURL string `json:"nats_url"`
	}
	if err := json.Unmarshal(content, &holder); err != nil || holder.NATSURL == "" {
		t.Fatalf("no NATS URL in the lock file: %s", content)
	}
	return holder.NATSURL
}
