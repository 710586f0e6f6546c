package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/witness"
)

// startWitnessProcess runs `ledger witness` for the ledgers whose verifier
// key files are given and returns its URL and cosignature key, as its
// banner prints them.
func startWitnessProcess(t *testing.T, dir string, logKeys ...string) (url, key string) {
	t.Helper()
	args := []string{"witness", "--listen", "127.0.0.1:0", "--dir", dir, "--name", "audit-bureau.example/witness"}
	for _, logKey := range logKeys {
		args = append(args, "--log", logKey)
	}
	cmd := exec.Command(binary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	banner := make(chan string, 1)
	go func() {
		defer close(banner)
		lines := bufio.NewScanner(stdout)
		if lines.Scan() {
			banner <- lines.Text()
		}
		for lines.Scan() {
		}
	}()
	var line string
	select {
	case printed, ok := <-banner:
		if !ok {
			t.Fatal("ledger witness stopped before it printed its banner")
		}
		line = printed
	case <-time.After(30 * time.Second):
		t.Fatal("ledger witness did not start within 30 s")
	}
	url = line[strings.Index(line, "http://"):]
	url = url[:strings.Index(url, " ")]
	key = line[strings.LastIndex(line, " ")+1:]
	if published, err := os.ReadFile(filepath.Join(dir, "witness.pub")); err != nil || strings.TrimSpace(string(published)) != key {
		t.Fatalf("the banner's key %q is not the published %q (%v)", key, published, err)
	}
	return url, key
}

// A ledger that names a witness stores every checkpoint with the witness's
// cosignature; verify with a witness policy passes on it, fails naming the
// missing quorum for a key that never cosigned, and fails after the
// history was rewritten and signed again, which the witness refused to
// cosign.
func TestWitnessedCheckpointsAndVerifyPolicy(t *testing.T) {
	line := `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-uxin","idempotency_key":"k-%d","data":{"donation_id":"D-%d","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"%s"}}`
	record := func(data string, i int, amount string) {
		runLedger(t, fmt.Sprintf(line, i, i, amount)+"\n", "record", "-", "--data", data).expect(t, 0, "recorded")
	}
	data := t.TempDir()
	record(data, 1, "100.00")
	record(data, 2, "200.00")
	// pubkey makes no key: the ledger's key is made as the first command
	// that signs would make it, without signing a checkpoint the witness
	// did not cosign.
	keys, err := integrity.LoadDataDirKeys(data, "")
	if err != nil {
		t.Fatal(err)
	}
	pubkey := runLedger(t, "", "pubkey", "--data", data)
	pubkey.expect(t, 0, keys.VerifierKey)
	logKey := strings.TrimSpace(pubkey.stdout)
	url, key := startWitnessProcess(t, t.TempDir(), logKey)

	// The checkpoint is stored and printed with the cosignature, and the
	// stored note opens with golang.org/x/mod/sumdb/note.
	signed := runLedger(t, "", "checkpoint", "--data", data, "--witness", url+"="+key)
	signed.expect(t, 0, "\n— audit-bureau.example/witness ")
	witnessKey, err := witness.NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(signed.stdout), note.VerifierList(witnessKey)); err != nil {
		t.Fatalf("the stored checkpoint's cosignature does not verify: %v\n%s", err, signed.stdout)
	}
	runLedger(t, "", "verify", "--data", data, "--witness", key, "--witness-quorum", "1").
		expect(t, 0, "OK: 2 events, 1 checkpoint verified, the newest cosigned by audit-bureau.example/witness")

	// A key that never cosigned does not make the quorum.
	other, err := witness.LoadOrCreateSigner(t.TempDir(), "other.example/witness")
	if err != nil {
		t.Fatal(err)
	}
	otherKey := other.Verifier().String()
	runLedger(t, "", "verify", "--data", data, "--witness", otherKey).
		expect(t, 1, "witness quorum not met: 0 of the 1 witnesses given cosigned, the quorum is 1; no cosignature of other.example/witness+")
	runLedger(t, "", "verify", "--data", data, "--witness", key, "--witness", otherKey, "--witness-quorum", "2").
		expect(t, 1, "1 of the 2 witnesses given cosigned, the quorum is 2")
	runLedger(t, "", "verify", "--data", data, "--witness", key, "--witness", otherKey).expect(t, 0, "OK")
	// A ledger's checkpoint key is no witness key.
	runLedger(t, "", "verify", "--data", data, "--witness", logKey).expect(t, 2, "no witness key")

	// serve publishes the cosigned checkpoint and sends its own (here the
	// last one, at shutdown) to the witness too, which cosigns the grown log
	// from the size it holds.
	record(data, 3, "300.00")
	served := startServe(t, data, "--witness", url+"="+key, "--tlog-public")
	// The log's published checkpoint is the stored one, cosigned.
	published, err := served.get("/tlog/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(published, note.VerifierList(witnessKey)); err != nil {
		t.Fatalf("/tlog/checkpoint carries no valid cosignature: %v\n%s", err, published)
	}
	// An auditor's mirror keeps the cosigned checkpoint, and its offline
	// verification takes the same witness policy.
	mirrored := filepath.Join(t.TempDir(), "mirror")
	runLedger(t, "", "mirror", served.httpURL+"/tlog/", mirrored, "--key", logKey).expect(t, 0, "OK: ")
	runLedger(t, "", "mirror", "verify", mirrored, "--key", logKey, "--witness", key).expect(t, 0, "OK: 2 entries, 1 checkpoint verified offline")
	runLedger(t, "", "mirror", "verify", mirrored, "--key", logKey, "--witness", otherKey).
		expect(t, 1, "witness quorum not met: 0 of the 1 witnesses given cosigned")
	if err := served.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- served.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve stopped with %v\n%s", err, served.output)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60 s")
	}
	runLedger(t, "", "verify", "--data", data, "--witness", key).
		expect(t, 0, "OK: 3 events, 2 checkpoints verified, the newest cosigned by audit-bureau.example/witness")

	// An audit bundle ends at a checkpoint export-audit signs, cosigned
	// when it names the witness; verify-bundle takes the same policy.
	bundle := filepath.Join(t.TempDir(), "bundle")
	runLedger(t, "", "export-audit", "--data", data, "--from", "2022-06-01", "--to", "2022-06-30", "--witness", url+"="+key, bundle).
		expect(t, 0, "3 events")
	runLedger(t, "", "verify-bundle", bundle, "--key", logKey, "--witness", key).
		expect(t, 0, "the totals report matches, tree size 3 root ", ", cosigned by audit-bureau.example/witness")
	runLedger(t, "", "verify-bundle", bundle, "--key", logKey, "--witness", otherKey).
		expect(t, 1, "the bundle's last checkpoint: witness quorum not met: 0 of the 1 witnesses given cosigned")

	// Without --witness, a bundle of a log the newest checkpoint already
	// covers ends at that checkpoint, its cosignature with it: none is
	// signed. Before, export-audit signed a second checkpoint of the same
	// events, uncosigned, and the bundle failed the witness policy.
	record(data, 4, "400.00")
	cosigned := runLedger(t, "", "checkpoint", "--data", data, "--witness", url+"="+key)
	cosigned.expect(t, 0, "\n— audit-bureau.example/witness ")
	runLedger(t, "", "verify", "--data", data).expect(t, 0, "OK: 4 events, 4 checkpoints verified")
	reused := filepath.Join(t.TempDir(), "bundle")
	runLedger(t, "", "export-audit", "--data", data, "--from", "2022-06-01", "--to", "2022-06-30", reused).expect(t, 0, "4 events, 4 checkpoints")
	runLedger(t, "", "verify", "--data", data).expect(t, 0, "OK: 4 events, 4 checkpoints verified")
	notes, err := os.ReadFile(filepath.Join(reused, "checkpoints.note"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(notes), "---\n"+cosigned.stdout) {
		t.Fatalf("the bundle does not end at the cosigned checkpoint:\n%s\nwant it to end with:\n%s", notes, cosigned.stdout)
	}
	runLedger(t, "", "verify-bundle", reused, "--key", logKey, "--witness", key, "--witness-quorum", "1").
		expect(t, 0, "the totals report matches, tree size 4 root ", ", cosigned by audit-bureau.example/witness")

	// Events appended since the newest checkpoint: export-audit signs one,
	// uncosigned without --witness.
	record(data, 5, "500.00")
	uncosigned := filepath.Join(t.TempDir(), "bundle")
	runLedger(t, "", "export-audit", "--data", data, "--from", "2022-06-01", "--to", "2022-06-30", uncosigned).expect(t, 0, "5 events, 5 checkpoints")
	runLedger(t, "", "verify-bundle", uncosigned, "--key", logKey).expect(t, 0, "the totals report matches")
	runLedger(t, "", "verify-bundle", uncosigned, "--key", logKey, "--witness", key).expect(t, 1, "witness quorum not met")

	// The same signing key, another history from position 2 on, signed
	// again and larger: the witness refuses it, the checkpoint is stored
	// without a cosignature, and verify with the policy fails.
	rewritten := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rewritten, "integrity"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"signing.key", "verifier.key"} {
		content, err := os.ReadFile(filepath.Join(data, "integrity", name))
		if err == nil {
			err = os.WriteFile(filepath.Join(rewritten, "integrity", name), content, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	record(rewritten, 1, "100.00")
	record(rewritten, 2, "2.00")
	record(rewritten, 3, "300.00")
	record(rewritten, 4, "400.00")
	refused := runLedger(t, "", "checkpoint", "--data", rewritten, "--witness", url+"="+key)
	refused.expect(t, 0, "answered 422")
	if strings.Contains(refused.stdout, "audit-bureau.example/witness") {
		t.Fatalf("the rewritten history was cosigned:\n%s", refused.stdout)
	}
	runLedger(t, "", "verify", "--data", rewritten).expect(t, 0, "OK")
	runLedger(t, "", "verify", "--data", rewritten, "--witness", key).expect(t, 1, "witness quorum not met")
}
