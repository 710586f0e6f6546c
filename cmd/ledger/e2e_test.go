package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// The end-to-end tests build the real binary and run it as a user would.

var (
	buildOnce   sync.Once
	builtBinary string
	buildErr    error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		// A binary built beforehand, so that repeated runs of a slow test
		// keep testing the same code while the tree changes.
		if prebuilt := os.Getenv("LEDGER_TEST_BINARY"); prebuilt != "" {
			builtBinary = prebuilt
			return
		}
		dir, err := os.MkdirTemp("", "ledger-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		builtBinary = filepath.Join(dir, "ledger")
		args := []string{"build", "-o", builtBinary}
		if raceEnabled {
			args = append(args, "-race")
		}
		output, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = err
			builtBinary = string(output)
		}
	})
	if buildErr != nil {
		t.Fatalf("build ledger: %v\n%s", buildErr, builtBinary)
	}
	return builtBinary
}

type outcome struct {
	code           int
	stdout, stderr string
}

func runLedger(t *testing.T, stdin string, args ...string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitError, ok := err.(*exec.ExitError); ok {
		code = exitError.ExitCode()
	} else if err != nil {
		t.Fatalf("run ledger %v: %v", args, err)
	}
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (o outcome) expect(t *testing.T, code int, contains ...string) {
	t.Helper()
	if o.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", o.code, code, o.stdout, o.stderr)
	}
	for _, text := range contains {
		if !strings.Contains(o.stdout+o.stderr, text) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", text, o.stdout, o.stderr)
		}
	}
}

func countEvents(t *testing.T, args ...string) int {
	t.Helper()
	out := runLedger(t, "", append([]string{"events", "--json"}, args...)...)
	out.expect(t, 0)
	return strings.Count(out.stdout, "\n")
}

func TestEndToEndDemo(t *testing.T) {
	data := t.TempDir()
	first := runLedger(t, "", "demo", "--data", data)
	first.expect(t, 0,
		"121 events written, 0 already there",
		"6 sessions, 1610 participants",
		"3370 visits, 60 health checkups, 28 service stations, 9000 person-times",
		"¥5,120,000.00 in money",
		"; 1 entry voided, 2 corrected\n",
		"乌审旗 Uxin", "伊金霍洛旗 Ejin Horo")
	// Loading again writes nothing: every demo entry has a fixed key.
	second := runLedger(t, "", "demo", "--data", data)
	second.expect(t, 0, "0 events written, 121 already there")
	if got := countEvents(t, "--data", data); got != 121 {
		t.Fatalf("log holds %d events after two demo loads, want 121", got)
	}
	if got := countEvents(t, "--data", data, "--county", "150626", "--type", "supplies_delivered"); got != 3 {
		t.Fatalf("Uxin has %d deliveries, want 3 (two in summer, one in winter)", got)
	}
}

const goodLine = `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-uxin","idempotency_key":"uxin-0001","data":{"donation_id":"D-U-1","campaign":"general","donor_kind":"enterprise","donor_organisation":"乌审旗某公司","form":"money","amount":"5000.00"}}`
const goodLine2 = `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-06-16T09:30:00+08:00","actor":"clerk-uxin","idempotency_key":"uxin-0002","data":{"delivery_id":"V-U-1","campaign":"general","site":{"kind":"service-station","name":"乌审旗服务站"},"beneficiary_group":"outdoor-workers","headcount":30,"items":[{"item":"drinking-water","quantity":30,"value":"900.00"}],"spent":"900.00"}}`
const badLine = `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-uxin","data":{"donation_id":"D-U-2","campaign":"general","donor_kind":"enterprise","donor_organisation":"乌审旗某公司","form":"money","amount":12.5}}`

func TestEndToEndRecord(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "entries.jsonl")
	if err := os.WriteFile(file, []byte(goodLine+"\n"+badLine+"\n\n"+goodLine2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// One bad line: nothing is written, and the line is named.
	runLedger(t, "", "record", file, "--data", data).expect(t, 1,
		"line 2: data.amount: must be a string of yuan", "nothing was written")
	if got := countEvents(t, "--data", data); got != 0 {
		t.Fatalf("%d events written from a file with a bad line", got)
	}
	// --skip-invalid writes the good lines and still reports the bad one.
	runLedger(t, "", "record", file, "--data", data, "--skip-invalid").expect(t, 1,
		"line 1: recorded donation_received", "line 4: recorded supplies_delivered", "1 invalid lines were skipped")
	if got := countEvents(t, "--data", data); got != 2 {
		t.Fatalf("%d events after --skip-invalid, want 2", got)
	}
	// Standard input, retried: the keys make it a no-op.
	runLedger(t, goodLine+"\n"+goodLine2+"\n", "record", "-", "--data", data).expect(t, 0, "already recorded", "recorded 0 events, 2 already recorded")
	// A business rule: spending more than the county holds.
	overspent := runLedger(t, "", "record", "delivery", "--data", data, "--campaign", "general", "--county", "150626",
		"--amount", "99999.00", "--group", "outdoor-workers", "--headcount", "5", "--items", "drinking-water:5:150.00",
		"--site-kind", "service-station", "--site", "站点")
	overspent.expect(t, 1, "nothing was written: rejected: campaign general: county 150626 would hold",
		"nothing may allocate or spend more than it received")
	// One entry given by flags is no file: no line is named.
	if strings.Contains(overspent.stderr, "line 1") {
		t.Errorf("a shortcut's refusal names a line:\n%s", overspent.stderr)
	}
	// Usage errors exit 2; --help exits 0.
	runLedger(t, "", "record", "--no-such-flag").expect(t, 2)
	runLedger(t, "", "record", "donation", "--amount", "1.234", "--data", data).expect(t, 2, "more than two decimals")
	runLedger(t, "", "events", "--help").expect(t, 0, "Usage: ledger events")
	runLedger(t, "", "nonsense").expect(t, 2, "unknown command")
	if got := countEvents(t, "--data", data); got != 2 {
		t.Fatalf("%d events after refused commands, want 2", got)
	}
}

func TestEndToEndServeHoldsDataDirectory(t *testing.T) {
	data := t.TempDir()
	// --metrics-public serves /metrics without a token, as a Prometheus on
	// a trusted network scrapes it.
	serve := exec.Command(binary(t), "serve", "--data", data, "--port", "-1", "--http", "127.0.0.1:0", "--metrics-public")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
	lines := bufio.NewScanner(stdout)
	ready := make(chan string, 2)
	go func() {
		for lines.Scan() {
			if strings.Contains(lines.Text(), "on NATS nats://") || strings.Contains(lines.Text(), "dashboard on http://") {
				ready <- lines.Text()
			}
		}
	}()
	var banner string
	select {
	case banner = <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("ledger serve did not announce itself within 60 s")
	}
	natsURL := banner[strings.Index(banner, "nats://"):]
	natsURL = natsURL[:strings.Index(natsURL, ";")]

	// A command on the held directory uses the running server's NATS.
	runLedger(t, goodLine+"\n", "record", "-", "--data", data).expect(t, 0, "held by a running ledger", "recorded donation_received")
	// So does a command given the URL.
	// So does a command given the URL and the runtime's credentials.
	runtimeSeed := natsjs.SeedFile(data, natsjs.RoleRuntime)
	runLedger(t, goodLine2+"\n", "record", "-", "--nats", natsURL).expect(t, 1, "Authorization Violation")
	runLedger(t, goodLine2+"\n", "record", "-", "--nats", natsURL, "--nats-creds", runtimeSeed).expect(t, 0, "recorded supplies_delivered")
	if got := countEvents(t, "--nats", natsURL, "--nats-creds", runtimeSeed); got != 2 {
		t.Fatalf("%d events through the server, want 2", got)
	}
	// The HTTP API answers, and the live totals reach the KV bucket that
	// programs watch.
	var dashboard string
	select {
	case dashboard = <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("ledger serve did not announce its HTTP address")
	}
	apiURL := dashboard[strings.Index(dashboard, "http://"):]
	apiURL = apiURL[:strings.Index(apiURL, " ")]
	reply, err := http.Get(apiURL + "/healthz")
	if err != nil || reply.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", reply, err)
	}
	reply.Body.Close()
	// The entity index that serves audit trails and traces takes in the
	// log while the server runs.
	natsjstest.CheckFor(t, 120*time.Second, func() error {
		reply, err := http.Get(apiURL + "/metrics")
		if err != nil {
			return err
		}
		defer reply.Body.Close()
		body, _ := io.ReadAll(reply.Body)
		if !strings.Contains(string(body), "\nledger_entity_index_position 2\n") {
			return fmt.Errorf("metrics do not show the entity index at position 2")
		}
		return nil
	})
	// Programs watch it with the watcher's credentials.
	watcher, err := natsjs.ConnectOptionFromFile(natsjs.SeedFile(data, natsjs.RoleWatcher))
	if err != nil {
		t.Fatal(err)
	}
	connection, err := nats.Connect(natsURL, watcher)
	if err != nil {
		t.Fatal(err)
	}
	defer connection.Close()
	js, err := jetstream.New(connection)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		bucket, err := js.KeyValue(context.Background(), "LEDGER_LIVE_TOTALS")
		if err == nil {
			if entry, err := bucket.Get(context.Background(), "150626.general"); err == nil &&
				strings.Contains(string(entry.Value()), `"received":"5000.00"`) && strings.Contains(string(entry.Value()), `"spent":"900.00"`) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the live totals bucket did not show 150626.general within 10 s")
		}
		<-time.After(50 * time.Millisecond)
	}
	// A second server on the same directory is refused with a clear message.
	runLedger(t, "", "serve", "--data", data, "--port", "-1", "--http", "127.0.0.1:0").expect(t, 1, "is used by another ledger process")

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve did not exit cleanly on SIGTERM: %v", err)
	}
	// The directory is free again and holds both events.
	if got := countEvents(t, "--data", data); got != 2 {
		t.Fatalf("%d events after the server stopped, want 2", got)
	}
}

func TestEndToEndProjectionsAuditTrace(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	// The demo signs nothing, so it makes no signing key, and without the
	// key nothing seals the totals' checkpoint: none is saved, and no key
	// is left behind.
	runLedger(t, "", "projections", "--data", data).expect(t, 0, "totals", "never", "no checkpoint")
	runLedger(t, "", "rebuild", "totals", "--data", data).expect(t, 0, "rebuilt totals to log position 121",
		"their checkpoint was not saved (no signing key at ")
	if _, err := os.Stat(filepath.Join(data, "integrity", "signing.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the demo made a signing key: %v", err)
	}
	// The first checkpoint makes the key; a read then saves a sealed
	// checkpoint of the totals at the head.
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	runLedger(t, "", "totals", "--data", data).expect(t, 0)
	runLedger(t, "", "projections", "--data", data).expect(t, 0, "totals", "121", "0.0")
	// Grouped by month, as CSV; the lecture correction counts as corrected.
	csvOut := runLedger(t, "", "totals", "--data", data, "--campaign", "2022-health-law-lectures", "--by", "month", "--format", "csv")
	csvOut.expect(t, 0, "county,county_name,period,pledged,received", "all,合计 All,2022-07,0.00,200000.00")
	if !strings.Contains(csvOut.stdout, ",6,1610,") {
		t.Fatalf("lecture totals lack 6 sessions and 1610 participants:\n%s", csvOut.stdout)
	}
	// Known at a time before anything was recorded: nothing.
	runLedger(t, "", "totals", "--data", data, "--known-at", "2020-01-01", "--format", "json").expect(t, 0, `"rows": []`)
	// As of 20 June 2022, before the duplicate entry of 21 June in Otog.
	asOf := runLedger(t, "", "totals", "--data", data, "--as-of", "2022-06-20", "--county", "150624", "--format", "json")
	asOf.expect(t, 0, `"deliveries": 1`)
	// The audit trail of the corrected lecture names the change and reason.
	runLedger(t, "", "audit", "S-LEC-4", "--data", data).expect(t, 0, "participants: 30 → 300", "reason: 录入错误：参与人数应为300人")
	// The checkup named its donation; the stations were paid first-in first-out.
	runLedger(t, "", "trace", "SV-NW-CHECKUP", "--data", data).expect(t, 0, "D-NW-01", "(explicit)")
	runLedger(t, "", "trace", "D-NW-01", "--data", data).expect(t, 0, "SV-NW-STATION-150603", "(fifo)", "not yet spent")
	runLedger(t, "", "trace", "no-such-id", "--data", data).expect(t, 1, "not found")
	runLedger(t, "", "rebuild", "totals", "--data", data).expect(t, 0, "rebuilt totals to log position 121")
	runLedger(t, "", "rebuild", "nonsense", "--data", data).expect(t, 2)
}

func TestEndToEndReconcileAndPeriodClose(t *testing.T) {
	data := t.TempDir()
	statementFile, err := filepath.Abs("../../reconcile/statement/testdata/icbc-2022-06.csv")
	if err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	runLedger(t, "", "reconcile", "import", statementFile, "--data", data).expect(t, 0,
		"12 lines imported, 0 already in the ledger, 1 printed twice", "profile icbc", "serial 202206100017765")
	// Again, under another name and by another clerk: nothing is written.
	copied := filepath.Join(t.TempDir(), "六月流水-副本.csv")
	raw, err := os.ReadFile(statementFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "reconcile", "import", copied, "--profile", "icbc", "--actor", "another-clerk", "--data", data).expect(t, 0,
		"0 lines imported, 12 already in the ledger")
	// A footer that disagrees: a warning, and with --strict a refusal.
	wrong := filepath.Join(t.TempDir(), "wrong-footer.csv")
	utf8 := strings.Replace(gbkToUTF8(t, raw), `"1,013,666.66"`, `"1,093,666.66"`, 1)
	if err := os.WriteFile(wrong, []byte(utf8), 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "reconcile", "import", wrong, "--strict", "--dry-run", "--data", data).expect(t, 1, "refused: statement footer", "1093666.66")
	runLedger(t, "", "reconcile", "import", wrong, "--dry-run", "--data", data).expect(t, 0, "0 lines would be imported", "warning: statement footer")
	report := runLedger(t, "", "reconcile", "report", "--data", data)
	report.expect(t, 0, "已匹配 matched", "Suggested (待确认: ledger reconcile confirm ID", "D-SUM-02", "why:",
		"Printed twice by the bank", "202206100017765", "收入 In ¥")
	xlsx := filepath.Join(t.TempDir(), "reconciliation.xlsx")
	runLedger(t, "", "reconcile", "report", "--format", "xlsx", "--out", xlsx, "--data", data).expect(t, 0)
	if info, err := os.Stat(xlsx); err != nil || info.Size() == 0 {
		t.Fatalf("no xlsx written: %v", err)
	}
	runLedger(t, "", "pledges", "--data", data).expect(t, 0, "0-30 days")
	runLedger(t, "", "pledges", "--as-of", "2022-06-30", "--data", data).expect(t, 0, "As of 2022-06-30")
	runLedger(t, "", "pledges", "--as-of", "June", "--data", data).expect(t, 2, "--as-of")
	// Errors name the flag, not the event's field.
	runLedger(t, "", "reconcile", "reject", "S-0000000000000000", "--data", data).expect(t, 2, "--reason is required: say why you reject it")
	runLedger(t, "", "reconcile", "write-off", "L-0000000000000000", "--data", data).expect(t, 2, "--reason is required: say why you write it off")
	runLedger(t, "", "reconcile", "undo", "E-0", "--data", data).expect(t, 2, "--reason is required: say why you undo it")
	var parsedReport struct {
		UnmatchedLines []struct {
			LineID string `json:"line_id"`
			Amount string `json:"amount"`
		} `json:"unmatched_lines"`
	}
	if err := json.Unmarshal([]byte(runLedger(t, "", "reconcile", "report", "--format", "json", "--data", data).stdout), &parsedReport); err != nil {
		t.Fatal(err)
	}
	moneyIn := ""
	for _, line := range parsedReport.UnmatchedLines {
		if !strings.HasPrefix(line.Amount, "-") {
			moneyIn = line.LineID
		}
	}
	if moneyIn == "" {
		t.Fatalf("no unmatched money-in line: %+v", parsedReport.UnmatchedLines)
	}
	runLedger(t, "", "reconcile", "write-off", moneyIn, "--reason", "手续费", "--amount", "10.00", "--data", data).expect(t, 2, "--amount", "written off whole")
	// A bank charge confirmed as a fee, and money sent back: the text report
	// lists the fee, the write-off with its reason and the refund pair.
	suggestionOf := func(rule string) string {
		var answer struct {
			Suggested []struct {
				ID   string `json:"id"`
				Rule string `json:"rule"`
			} `json:"suggested"`
		}
		if err := json.Unmarshal([]byte(runLedger(t, "", "reconcile", "report", "--format", "json", "--data", data).stdout), &answer); err != nil {
			t.Fatal(err)
		}
		for _, match := range answer.Suggested {
			if match.Rule == rule {
				return match.ID
			}
		}
		t.Fatalf("no %s suggestion in %+v", rule, answer.Suggested)
		return ""
	}
	runLedger(t, "", "reconcile", "confirm", suggestionOf("fee"), "--data", data).expect(t, 0, "wrote off ¥15.00 of line L-", "as a bank fee (fee_written_off, event ")
	refunds := filepath.Join(t.TempDir(), "refunds.csv")
	if err := os.WriteFile(refunds, []byte("交易日期,交易流水号,摘要,对方户名,对方账号,借方发生额,贷方发生额,余额\n"+
		"2022-06-03,R-0001,转账,张某某,6222020000000000001,,3000.00,3100.00\n"+
		"2022-06-10,R-0002,退回误转款,张某某,6222020000000000001,3000.00,,100.00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "reconcile", "import", refunds, "--account", "test-refunds", "--data", data).expect(t, 0, "2 lines imported")
	runLedger(t, "", "reconcile", "confirm", suggestionOf("refund-pair"), "--data", data).expect(t, 0, "paired line L-", "which sends its ¥3,000.00 back (refund_paired, event ")
	runLedger(t, "", "reconcile", "report", "--data", data).expect(t, 0, "Bank fees (手续费)", "Written off (已核销)", "银行手续费 bank fee",
		"Refunds (退回)", "R-0002", "charged on a line of its own, written off [event ")
	// Close June: a back-dated June entry is refused, a July one is not.
	runLedger(t, "", "period", "close", "2022-06", "--data", data).expect(t, 0, "closed 2022-06 (period_closed, event ", "checkpoint of ")
	runLedger(t, "", "record", "donation", "--data", data, "--campaign", "general", "--county", "150626", "--amount", "1.00",
		"--donor-org", "某公司", "--occurred-at", "2022-06-15").expect(t, 1, "2022-06 is closed")
	july := runLedger(t, "", "record", "donation", "--data", data, "--campaign", "general", "--county", "150626", "--amount", "1.00",
		"--donor-org", "某公司", "--occurred-at", "2022-07-15")
	july.expect(t, 0, "recorded donation_received")
	if !strings.HasPrefix(july.stdout, "recorded donation_received ") || strings.Contains(july.stdout+july.stderr, "line 1") ||
		strings.Contains(july.stderr, "recorded 1 event") {
		t.Errorf("a shortcut's entry is told as a file's line:\n%s%s", july.stdout, july.stderr)
	}
	runLedger(t, "", "period", "reopen", "2022-06", "--reason", "补录", "--data", data).expect(t, 0, "reopened 2022-06 (period_reopened, event ")
}

// Migrating the demo ledger to another data directory copies every event,
// a rerun copies nothing, and the copy answers totals and verifies like the
// original.
func TestEndToEndMigrate(t *testing.T) {
	from, to := t.TempDir(), t.TempDir()
	runLedger(t, "", "demo", "--data", from).expect(t, 0, "121 events written")
	first := runLedger(t, "", "migrate", "--from", from, "--to", "dir:"+to)
	first.expect(t, 0, `"copied": 121`, `"target_events": 121`, `"personal_data_keys_copied": 3`)
	var report struct {
		SourceHash string `json:"source_hash"`
		TargetHash string `json:"target_hash"`
	}
	if err := json.Unmarshal([]byte(first.stdout), &report); err != nil || report.SourceHash == "" || report.SourceHash != report.TargetHash {
		t.Fatalf("report %q: %v", first.stdout, err)
	}
	runLedger(t, "", "migrate", "--from", from, "--to", to).expect(t, 0, `"copied": 0`, `"already_there": 121`)
	original := runLedger(t, "", "totals", "--data", from)
	copied := runLedger(t, "", "totals", "--data", to)
	original.expect(t, 0, "5,120,000.00", "tree size 121")
	if copied.stdout != original.stdout {
		t.Fatalf("totals differ after migration:\n%s\n%s", original.stdout, copied.stdout)
	}
	runLedger(t, "", "verify", "--data", to).expect(t, 0)
	// A store the source is not the start of is refused, naming why.
	other := t.TempDir()
	runLedger(t, goodLine+"\n", "record", "--data", other, "-").expect(t, 0)
	runLedger(t, "", "migrate", "--from", from, "--to", other).expect(t, 1, "not a copy of the source")
	runLedger(t, "", "migrate", "--from", from).expect(t, 2, "give both --from and --to")
	runLedger(t, "", "migrate", "--from", from, "--to", "ftp://x").expect(t, 2, "unknown store")
}

// Bank lines' ids are keyed with a secret in the keystore: a new process,
// a restored backup and a migrated copy all compute the ids the original
// gave, so importing the statement again writes nothing anywhere; the
// migration counts the secret among the keys it copies.
func TestEndToEndLineIDsSurviveRestoreAndMigrate(t *testing.T) {
	data := t.TempDir()
	statementFile := filepath.Join(t.TempDir(), "no-serials.csv")
	if err := os.WriteFile(statementFile, []byte("日期,流水号,摘要,对方户名,对方账号,交易金额\n"+
		"2022-06-23,,会费,王小明,6222 0000 1111,66.00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	importInto := func(dir string) outcome {
		return runLedger(t, "", "reconcile", "import", statementFile, "--account", "icbc-test-account", "--data", dir)
	}
	importInto(data).expect(t, 0, "1 line imported")
	importInto(data).expect(t, 0, "0 lines imported, 1 already in the ledger")
	backup := filepath.Join(t.TempDir(), "backup")
	runLedger(t, "", "backup", backup, "--data", data, "--plaintext").expect(t, 0)
	restored := filepath.Join(t.TempDir(), "restored")
	runLedger(t, "", "restore", backup, "--data", restored).expect(t, 0)
	importInto(restored).expect(t, 0, "0 lines imported, 1 already in the ledger")
	to := t.TempDir()
	// The counterparty's key and the ledger's line-id secret.
	runLedger(t, "", "migrate", "--from", data, "--to", "dir:"+to).expect(t, 0, `"personal_data_keys_copied": 2`)
	importInto(to).expect(t, 0, "0 lines imported, 1 already in the ledger")
}

func gbkToUTF8(t *testing.T, gbk []byte) string {
	t.Helper()
	decoded, err := simplifiedchinese.GBK.NewDecoder().Bytes(gbk)
	if err != nil {
		t.Fatal(err)
	}
	return string(decoded)
}

// ledger version names the version, the commit and the target.
func TestVersion(t *testing.T) {
	out := runLedger(t, "", "version")
	out.expect(t, 0, "ledger ", "commit ", "date ")
	if !strings.Contains(out.stdout, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Fatalf("version does not name the target:\n%s", out.stdout)
	}
}

// A void dated today of an entry of a closed month changes that month: it
// is refused unless --closed-period names the month, and then the month's
// report, printed again, lists it (sealed ledger-report/4), while the one
// printed before it still verifies. A month not yet ended does not close.
func TestEndToEndVoidLandsInClosedMonth(t *testing.T) {
	data := t.TempDir()
	recorded := runLedger(t, "", "record", "donation", "--data", data, "--campaign", "general", "--county", "150626",
		"--amount", "5000.00", "--donor-org", "某公司", "--occurred-at", "2022-06-10")
	recorded.expect(t, 0, "recorded donation_received")
	id := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindString(recorded.stdout)
	runLedger(t, "", "period", "close", "2099-01", "--data", data).expect(t, 1, "2099-01 has not ended yet", "once it has ended")
	runLedger(t, "", "period", "close", "2022-06", "--data", data).expect(t, 0, "period_closed", "checkpoint of")
	before := filepath.Join(t.TempDir(), "before.html")
	runLedger(t, "", "report", "--data", data, "--month", "2022-06", "--out", before).expect(t, 0, "ledger-report/4 ")
	runLedger(t, "", "record", "void", "--data", data, "--target", id, "--reason", "重复录入").
		expect(t, 1, "--closed-period: the voided entry occurred in 2022-06, a closed month")
	runLedger(t, "", "record", "void", "--data", data, "--target", id, "--reason", "重复录入", "--closed-period", "June").
		expect(t, 2, "--closed-period")
	runLedger(t, "", "record", "void", "--data", data, "--target", id, "--reason", "重复录入", "--closed-period", "2022-06").
		expect(t, 0, "recorded entry_voided")
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	after := filepath.Join(t.TempDir(), "after.html")
	runLedger(t, "", "report", "--data", data, "--month", "2022-06", "--out", after).expect(t, 0, "ledger-report/4 ")
	content, err := os.ReadFile(after)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(content), "重复录入") || strings.Contains(string(content), "本月无作废或更正") {
		t.Fatal("June's report does not list the void that landed in it")
	}
	runLedger(t, "", "verify-report", before, "--data", data).expect(t, 0, "OK")
	runLedger(t, "", "verify-report", after, "--data", data).expect(t, 0, "OK")
}
