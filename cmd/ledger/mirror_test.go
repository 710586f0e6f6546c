package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/report"
)

// exportedLog serves a `ledger tiles export` directory under /tlog/, as
// a static web server would, and records the paths asked for.
type exportedLog struct {
	url string
	mu  sync.Mutex
	got []string
}

func serveExport(t *testing.T, dir string) *exportedLog {
	t.Helper()
	served := &exportedLog{}
	files := http.StripPrefix("/tlog/", http.FileServer(http.Dir(dir)))
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.mu.Lock()
		served.got = append(served.got, strings.TrimPrefix(r.URL.Path, "/tlog/"))
		served.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)
	served.url = server.URL + "/tlog/"
	return served
}

func (e *exportedLog) fetched() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	got := slices.Clone(e.got)
	slices.Sort(got)
	return got
}

// recordedDonation is a ¥1.00 donation as `ledger record` reads it.
func recordedDonation(key string, i int) string {
	return strings.Replace(loadDonation(key, 9, i), `"idempotency_key"`, `"actor":"clerk-mirror","idempotency_key"`, 1)
}

// totalsFigures are a totals answer's figures and tree stamp, as JSON,
// for comparing two answers.
func totalsFigures(t *testing.T, content []byte) string {
	t.Helper()
	var answer struct {
		Tree json.RawMessage
		Rows json.RawMessage
		All  json.RawMessage
	}
	if err := json.Unmarshal(content, &answer); err != nil || len(answer.All) < 10 {
		t.Fatalf("not a totals answer: %v\n%s", err, content)
	}
	figures, err := json.Marshal(answer)
	if err != nil {
		t.Fatal(err)
	}
	return string(figures)
}

// checkPrivateTree checks that dir and every folder in it are mode 0700
// and every file in it 0600.
func checkPrivateTree(t *testing.T, dir string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if entry.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walking the mirror %s: %v (%d files)", dir, err, files)
	}
}

// An auditor mirrors the demo ledger from `ledger serve` and gets the
// server's totals offline; the mirror verifies with the ledger's own
// verification and checks the printed report. As the log grows the
// mirror fetches only what it lacks; a tile changed on the server is
// named and refused, and so is a checkpoint of a rewritten history signed
// with the ledger's own key.
func TestEndToEndMirror(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	page := filepath.Join(t.TempDir(), "report-2022-06.html")
	runLedger(t, "", "report", "--data", data, "--month", "2022-06", "--out", page).expect(t, 0, "checkpoint of 121 events")
	key := strings.TrimSpace(runLedger(t, "", "pubkey", "--data", data).stdout)
	keyFile := filepath.Join(t.TempDir(), "ledger.pub")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mirror")

	served := startServe(t, data)
	runLedger(t, "", "mirror", served.httpURL+"/tlog/", dir).expect(t, 2, "give --key")
	runLedger(t, "", "mirror", served.httpURL+"/tlog/", dir, "--key", keyFile).expect(t, 1, "--token")
	// A clerk's token is refused: the tiles hold the bank lines, which a
	// clerk does not read. An auditor's, as docs/AUDIT.md advises, reads.
	runLedger(t, "", "mirror", served.httpURL+"/tlog/", dir, "--key", keyFile, "--token", served.token).expect(t, 1, "403")
	runLedger(t, "", "mirror", served.httpURL+"/tlog/", dir, "--key", keyFile, "--token", served.auditorToken).
		expect(t, 0, "keeps 121 entries (before: 0)", "fetched 3 files")
	// The token from the environment, as docs/AUDIT.md advises: another
	// user on the host reads a command line (ps), not the environment.
	t.Setenv("LEDGER_TLOG_TOKEN", served.auditorToken)
	var again bytes.Buffer
	env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &again, Stderr: &again}
	if code := run(context.Background(), env, []string{"mirror", served.httpURL + "/tlog/", dir, "--key", keyFile}); code != 0 ||
		!strings.Contains(again.String(), "keeps 121 entries (before: 121)") {
		t.Fatalf("mirror with LEDGER_TLOG_TOKEN: exit %d\n%s", code, again.String())
	}
	// A mirror made afresh with the token from the environment alone is
	// private too (docs/AUDIT.md): its folders 0700, its files 0600.
	fresh := filepath.Join(t.TempDir(), "fresh")
	again.Reset()
	if code := run(context.Background(), env, []string{"mirror", served.httpURL + "/tlog/", fresh, "--key", keyFile}); code != 0 ||
		!strings.Contains(again.String(), "keeps 121 entries (before: 0)") {
		t.Fatalf("a fresh mirror with LEDGER_TLOG_TOKEN: exit %d\n%s", code, again.String())
	}
	checkPrivateTree(t, fresh)
	fromServer, err := served.get("/api/v1/totals")
	if err != nil {
		t.Fatal(err)
	}
	offline := runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--format", "json")
	offline.expect(t, 0)
	if got, want := totalsFigures(t, []byte(offline.stdout)), totalsFigures(t, fromServer); got != want {
		t.Fatalf("the mirror's totals differ from the server's:\nmirror: %s\nserver: %s", got, want)
	}
	if err := served.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = served.cmd.Wait()

	runLedger(t, "", "mirror", "verify", dir, "--key", keyFile).expect(t, 0, "OK: 121 entries, 1 checkpoint verified offline")
	runLedger(t, "", "mirror", "verify-report", dir, page, "--key", keyFile).expect(t, 0, "OK: the report of 2022-06")
	content, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var totals struct {
		All []struct{ Period, Received string }
	}
	byMonth := runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--by", "month", "--format", "json")
	if err := json.Unmarshal([]byte(byMonth.stdout), &totals); err != nil {
		t.Fatalf("%v\n%s", err, byMonth.stdout)
	}
	edited := false
	for _, row := range totals.All {
		printed := `data-key="all/received">` + report.GroupDigits(row.Received) + `<`
		if row.Period != "2022-06" || !strings.Contains(string(content), printed) {
			continue
		}
		page := filepath.Join(t.TempDir(), "edited.html")
		if err := os.WriteFile(page, []byte(strings.Replace(string(content), printed, `data-key="all/received">1<`, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		runLedger(t, "", "mirror", "verify-report", dir, page, "--key", keyFile).expect(t, 1, "regions/合计 received: printed 1,")
		edited = true
	}
	if !edited {
		t.Fatalf("the report does not print June's received money as the mirror's totals give it:\n%s", byMonth.stdout)
	}

	// The log grows by 200 donations and is published as exported tiles.
	var lines strings.Builder
	for i := range 200 {
		fmt.Fprintln(&lines, recordedDonation(fmt.Sprintf("mirror-%d", i), i))
	}
	runLedger(t, lines.String(), "record", "-", "--data", data).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	export := filepath.Join(t.TempDir(), "export")
	runLedger(t, "", "tiles", "export", export, "--data", data).expect(t, 0, "the checkpoint of 321 events")
	static := serveExport(t, export)
	runLedger(t, "", "mirror", static.url, dir, "--key", keyFile).expect(t, 0, "keeps 321 entries (before: 121)")
	want := []string{"checkpoint", "tile/0/000", "tile/0/001.p/65", "tile/1/000.p/1", "tile/entries/000", "tile/entries/001.p/65"}
	if got := static.fetched(); !slices.Equal(got, want) {
		t.Fatalf("the mirror fetched %v, want %v", got, want)
	}
	runLedger(t, "", "mirror", "verify", dir, "--key", keyFile).expect(t, 0, "OK: 321 entries, 2 checkpoints verified offline")
	offline = runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--format", "json")
	ledgerTotals := runLedger(t, "", "totals", "--data", data, "--format", "json")
	if got, want := totalsFigures(t, []byte(offline.stdout)), totalsFigures(t, []byte(ledgerTotals.stdout)); got != want {
		t.Fatalf("after growing, the mirror's totals differ from the ledger's:\nmirror: %s\nledger: %s", got, want)
	}

	asOf := runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--as-of", "2022-06-30", "--format", "json")
	ledgerAsOf := runLedger(t, "", "totals", "--data", data, "--as-of", "2022-06-30", "--format", "json")
	if got, want := totalsFigures(t, []byte(asOf.stdout)), totalsFigures(t, []byte(ledgerAsOf.stdout)); got != want {
		t.Fatalf("as of 2022-06-30, the mirror's totals differ from the ledger's:\nmirror: %s\nledger: %s", got, want)
	}

	// One more event; the published hash tile is then changed by a byte.
	runLedger(t, recordedDonation("mirror-last", 200)+"\n", "record", "-", "--data", data).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	runLedger(t, "", "tiles", "export", export, "--data", data).expect(t, 0, "the checkpoint of 322 events")
	tile := filepath.Join(export, "tile", "0", "001.p", "66")
	hashes, err := os.ReadFile(tile)
	if err != nil {
		t.Fatal(err)
	}
	hashes[100] ^= 0x01
	if err := os.WriteFile(tile, hashes, 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "mirror", static.url, dir, "--key", keyFile).expect(t, 1, "tile/0/001.p/66: hash does not match the signed tree")
	runLedger(t, "", "mirror", "verify", dir, "--key", keyFile).expect(t, 0, "OK: 321 entries")

	// Another history, signed with the ledger's own key: the demo
	// recorded again (new ids and times) and more, to a larger tree.
	other := t.TempDir()
	signingKey := filepath.Join(data, "integrity", "signing.key")
	runLedger(t, "", "demo", "--data", other, "--signing-key", signingKey).expect(t, 0)
	runLedger(t, lines.String(), "record", "-", "--data", other, "--signing-key", signingKey).expect(t, 0)
	runLedger(t, recordedDonation("other-last", 201)+"\n", "record", "-", "--data", other, "--signing-key", signingKey).expect(t, 0)
	runLedger(t, recordedDonation("other-more", 202)+"\n", "record", "-", "--data", other, "--signing-key", signingKey).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", other, "--signing-key", signingKey).expect(t, 0)
	rewritten := filepath.Join(t.TempDir(), "rewritten")
	runLedger(t, "", "tiles", "export", rewritten, "--data", other, "--signing-key", signingKey).expect(t, 0, "the checkpoint of 323 events")
	runLedger(t, "", "mirror", serveExport(t, rewritten).url, dir, "--key", keyFile).
		expect(t, 1, "does not extend the kept one of 321", "not consistent with the kept checkpoint")
	runLedger(t, "", "mirror", "verify", dir, "--key", keyFile).expect(t, 0, "OK: 321 entries, 2 checkpoints")
}
