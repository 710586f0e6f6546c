package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/integrity"
)

// Tampering with a copy of a real data directory, the server stopped: each
// change is found by `ledger verify`, which names the first bad position.

// verifiedDataDir is a demo data directory with a checkpoint of its whole
// log; tests copy it.
func verifiedDataDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "original")
	runLedger(t, "", "demo", "--data", dir).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", dir).expect(t, 0, "ordos-union-ledger\n121\n")
	runLedger(t, "", "verify", "--data", dir).expect(t, 0, "OK: 121 events, 1 checkpoint verified")
	return dir
}

func copyDataDir(t *testing.T, dir string) string {
	t.Helper()
	copied := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(copied, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	// CopyFS makes files readable by all; the ledger refuses credentials
	// that are, so the copy keeps each file's mode.
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		relative, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		return os.Chmod(filepath.Join(copied, relative), info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return copied
}

// positionOf finds the log position of the event whose stored bytes contain
// text.
func positionOf(t *testing.T, dir, text string) int {
	t.Helper()
	out := runLedger(t, "", "events", "--json", "--data", dir)
	out.expect(t, 0)
	for i, line := range strings.Split(out.stdout, "\n") {
		if strings.Contains(line, text) {
			return i + 1
		}
	}
	t.Fatalf("no event contains %q", text)
	return 0
}

// rewrite opens a copied directory with its own embedded server, as an
// administrator with the files could, and lets edit change the streams.
func rewrite(t *testing.T, dir string, edit func(ctx context.Context, js jetstream.JetStream, connection *nats.Conn, messages []natsjs.RawMessage)) {
	t.Helper()
	ctx := context.Background()
	natsServer, err := natsjs.StartServer(natsjs.ServerOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { natsServer.Shutdown(); natsServer.WaitForShutdown() }()
	connection, err := natsjs.ConnectInProcess(natsServer, "tamper")
	if err != nil {
		t.Fatal(err)
	}
	defer connection.Close()
	store, err := natsjs.Open(ctx, connection, natsjs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var messages []natsjs.RawMessage
	for raw, err := range store.Raw(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		messages = append(messages, raw)
	}
	_ = store.Close()
	js, err := jetstream.New(connection)
	if err != nil {
		t.Fatal(err)
	}
	edit(ctx, js, connection, messages)
}

// republish replaces the ledger stream with the given messages: deletes of
// single messages are refused, but a whole stream can be dropped and made
// again by whoever holds the server.
func republish(t *testing.T, ctx context.Context, js jetstream.JetStream, connection *nats.Conn, messages []natsjs.RawMessage) {
	t.Helper()
	if err := js.DeleteStream(ctx, "LEDGER"); err != nil {
		t.Fatal(err)
	}
	store, err := natsjs.Open(ctx, connection, natsjs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, raw := range messages {
		message := ledgerMessage(raw)
		if _, err := js.PublishMsg(ctx, message); err != nil {
			t.Fatal(err)
		}
	}
}

// ledgerMessage copies a stored message with the ledger's own headers only:
// JetStream's publish-time headers (expectations, batch markers, message
// ids) would make the server refuse or deduplicate it.
func ledgerMessage(raw natsjs.RawMessage) *nats.Msg {
	message := nats.NewMsg(raw.Subject)
	for name, values := range raw.Header {
		if !strings.HasPrefix(name, "Nats-") {
			message.Header[name] = values
		}
	}
	message.Data = raw.Data
	return message
}

func expectFirstBad(t *testing.T, dir string, position int, what string) {
	t.Helper()
	out := runLedger(t, "", "verify", "--data", dir)
	want := "first bad position " + strconv.Itoa(position)
	if position == 0 {
		// A problem of the checkpoints names no event's position.
		want = "verification failed: "
	}
	out.expect(t, 1, want, what)
}

func TestTamperingIsDetected(t *testing.T) {
	original := verifiedDataDir(t)
	target := positionOf(t, original, `"V-SUM-150626-2"`)

	t.Run("flip one byte of a stored event", func(t *testing.T) {
		dir := copyDataDir(t, original)
		blocks, _ := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", "LEDGER", "msgs", "*.blk"))
		flipped := false
		for _, block := range blocks {
			content, err := os.ReadFile(block)
			if err != nil {
				t.Fatal(err)
			}
			if at := bytes.Index(content, []byte(`"V-SUM-150626-2"`)); at >= 0 {
				content[at+1] = 'W'
				if err := os.WriteFile(block, content, 0o600); err != nil {
					t.Fatal(err)
				}
				flipped = true
			}
		}
		if !flipped {
			t.Fatal("the event was not found in the stream's block files")
		}
		expectFirstBad(t, dir, target, "")
	})
	t.Run("drop an event", func(t *testing.T) {
		dir := copyDataDir(t, original)
		rewrite(t, dir, func(ctx context.Context, js jetstream.JetStream, connection *nats.Conn, messages []natsjs.RawMessage) {
			republish(t, ctx, js, connection, append(append([]natsjs.RawMessage{}, messages[:target-1]...), messages[target:]...))
		})
		expectFirstBad(t, dir, target, "differ")
	})
	t.Run("swap two events", func(t *testing.T) {
		dir := copyDataDir(t, original)
		rewrite(t, dir, func(ctx context.Context, js jetstream.JetStream, connection *nats.Conn, messages []natsjs.RawMessage) {
			messages[target-1], messages[target] = messages[target], messages[target-1]
			republish(t, ctx, js, connection, messages)
		})
		expectFirstBad(t, dir, target, "differ")
	})
	t.Run("edit an event and rewrite the history with it", func(t *testing.T) {
		dir := copyDataDir(t, original)
		rewrite(t, dir, func(ctx context.Context, js jetstream.JetStream, connection *nats.Conn, messages []natsjs.RawMessage) {
			messages[target-1].Data = bytes.Replace(messages[target-1].Data, []byte(`"spent":"13500.00"`), []byte(`"spent":"1350.00"`), 1)
			republish(t, ctx, js, connection, messages)
		})
		expectFirstBad(t, dir, target, "differ")
		// Without the ledger's own tree file (an attacker may rewrite it
		// too), the signed checkpoint still catches it.
		if err := os.Remove(filepath.Join(dir, "integrity", "hashes")); err != nil {
			t.Fatal(err)
		}
		runLedger(t, "", "verify", "--data", dir).expect(t, 1, "checkpoint 1 (size 121) does not match the log")
	})
	t.Run("append a forged event", func(t *testing.T) {
		dir := copyDataDir(t, original)
		rewrite(t, dir, func(ctx context.Context, js jetstream.JetStream, connection *nats.Conn, messages []natsjs.RawMessage) {
			if _, err := js.PublishMsg(ctx, ledgerMessage(messages[target-1])); err != nil {
				t.Fatal(err)
			}
		})
		// From the log alone a forged tail looks like events a crash left
		// out of the tree file: verify passes, and names them as what they
		// are, events no signed checkpoint covers.
		runLedger(t, "", "verify", "--data", dir).expect(t, 0, "position 122 is not yet covered by a signed checkpoint (the newest covers 121 events)",
			"not in the ledger's tree file")
	})
	t.Run("replace a checkpoint with one signed by another key", func(t *testing.T) {
		dir := copyDataDir(t, original)
		rewrite(t, dir, func(ctx context.Context, js jetstream.JetStream, connection *nats.Conn, messages []natsjs.RawMessage) {
			tree, _ := integrity.NewTree(&integrity.MemoryHashes{})
			for _, message := range messages {
				if err := tree.Append(message.Data); err != nil {
					t.Fatal(err)
				}
			}
			root, _ := tree.Root(tree.Size())
			other, err := integrity.LoadOrCreateKeys(t.TempDir(), "", integrity.Origin)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := integrity.Checkpoint{Origin: integrity.Origin, Size: tree.Size(), Root: root, Time: time.Now()}.Sign(other.Signer)
			if err != nil {
				t.Fatal(err)
			}
			if err := js.DeleteStream(ctx, natsjs.SignedCheckpointStream); err != nil {
				t.Fatal(err)
			}
			checkpoints, err := natsjs.OpenSignedCheckpoints(ctx, connection, 1)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkpoints.Append(ctx, signed); err != nil {
				t.Fatal(err)
			}
		})
		runLedger(t, "", "verify", "--data", dir).expect(t, 1, "checkpoint 1: bad checkpoint: signature")
	})
}

func TestEndToEndProofsAndAuditBundle(t *testing.T) {
	dir := verifiedDataDir(t)
	key := runLedger(t, "", "pubkey", "--data", dir)
	key.expect(t, 0, "ordos-union-ledger+")
	verifier := strings.TrimSpace(key.stdout)
	proofFile := filepath.Join(t.TempDir(), "proof.json")
	runLedger(t, "", "proof", "S-LEC-4", "--data", dir, "--out", proofFile).expect(t, 0)
	runLedger(t, "", "verify-proof", proofFile, "--key", verifier).expect(t, 0, "OK: event", "training_held", "log of 121 events")
	otherKeys, err := integrity.LoadOrCreateKeys(t.TempDir(), "", integrity.Origin)
	if err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "verify-proof", proofFile, "--key", otherKeys.VerifierKey).expect(t, 1, "signature")

	// An existing file is not overwritten, a symbolic link is not written
	// through, and --force makes a new file readable by its owner only.
	runLedger(t, "", "proof", "S-LEC-4", "--data", dir, "--out", proofFile).expect(t, 2, "exists: give --force")
	victim := filepath.Join(t.TempDir(), "victim.txt")
	if err := os.WriteFile(victim, []byte("someone else's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "proof", "S-LEC-4", "--data", dir, "--out", link, "--force").expect(t, 2, "symbolic link")
	if content, _ := os.ReadFile(victim); string(content) != "someone else's file" {
		t.Fatalf("the link's target was written: %q", content)
	}
	runLedger(t, "", "proof", "S-LEC-4", "--data", dir, "--out", proofFile, "--force").expect(t, 0)
	if info, err := os.Stat(proofFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("replaced proof: %v %v, want mode 0600", info, err)
	}

	bundle := filepath.Join(t.TempDir(), "bundle")
	runLedger(t, "", "export-audit", "--data", dir, "--from", "2022-06-01", "--to", "2022-06-30", bundle).expect(t, 0, "121 events")
	runLedger(t, "", "export-audit", "--data", dir, "--from", "2022-06-01", "--to", "2022-06-30", bundle).expect(t, 2, "exists: give --force")
	runLedger(t, "", "verify-bundle", bundle, "--key", verifier).expect(t, 0, "the totals report matches")
	runLedger(t, "", "verify-bundle", bundle, "--key", otherKeys.VerifierKey).expect(t, 1, "signature")
	// One total changed in the report: the recomputation disagrees.
	reportPath := filepath.Join(bundle, "report.json")
	report, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(report, []byte(`"received": "1200000.00"`)) && !bytes.Contains(report, []byte(`"received":`)) {
		t.Fatalf("report has no received totals:\n%s", report)
	}
	edited := bytes.Replace(report, []byte(`"deliveries": 1,`), []byte(`"deliveries": 2,`), 1)
	if bytes.Equal(edited, report) {
		t.Fatalf("nothing to edit in the report")
	}
	if err := os.WriteFile(reportPath, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "verify-bundle", bundle, "--key", verifier).expect(t, 1, "does not match the totals recomputed")
	// Totals answers name the tree they come from.
	runLedger(t, "", "totals", "--data", dir, "--format", "json").expect(t, 0, `"tree": {`, `"size": 121`)
}

func TestEndToEndBackupAndRestore(t *testing.T) {
	dir := verifiedDataDir(t)
	backup := filepath.Join(t.TempDir(), "backup")
	runLedger(t, "", "backup", backup, "--data", dir).expect(t, 2, "--recipient")
	runLedger(t, "", "backup", backup, "--data", dir, "--plaintext").expect(t, 0, "backed up 121 events", "in the clear")
	if _, err := os.Stat(filepath.Join(backup, "signing.key")); err == nil {
		t.Fatal("the backup holds the signing key without --with-signing-key")
	}
	restored := filepath.Join(t.TempDir(), "restored")
	runLedger(t, "", "restore", backup, "--data", restored).expect(t, 0, "restored 121 events", "OK: 121 events, 1 checkpoint verified")
	original := runLedger(t, "", "totals", "--data", dir, "--format", "json")
	copied := runLedger(t, "", "totals", "--data", restored, "--format", "json")
	if original.stdout != copied.stdout {
		t.Fatalf("totals differ after restore:\n%s\n%s", original.stdout, copied.stdout)
	}
	// A damaged backup is refused.
	events := filepath.Join(backup, "events.jsonl")
	content, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	content[len(content)/2] ^= 1
	if err := os.WriteFile(events, content, 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "restore", backup, "--data", filepath.Join(t.TempDir(), "again")).expect(t, 1, "damaged")
	// A restore into a ledger that has events is refused.
	runLedger(t, "", "restore", backup, "--data", dir).expect(t, 1)
}

// An encrypted backup reveals nothing without the identity, and one taken
// before a person was forgotten does not bring them back: restore applies
// the erasures recorded since.
func TestEncryptedBackupKeepsErasures(t *testing.T) {
	dir := verifiedDataDir(t)
	name, phone := "王某某", "13900000001" // the demo's individual donor D-SUM-04, subject donor-0001
	identity := filepath.Join(t.TempDir(), "backup.identity")
	key := runLedger(t, "", "backup-key", "--out", identity)
	key.expect(t, 0, "age1")
	recipient := strings.TrimSpace(key.stdout)
	if info, err := os.Stat(identity); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("identity file: %v %v, want mode 0600", info, err)
	}
	backup := filepath.Join(t.TempDir(), "backup")
	runLedger(t, "", "backup", backup, "--data", dir, "--recipient", recipient).expect(t, 0, "backed up 121 events", "encrypted to 1 recipient;")
	// Nothing in it is readable: not the keys, not the events, not names.
	entries, err := os.ReadDir(backup)
	if err != nil {
		t.Fatal(err)
	}
	keys := runLedger(t, "", "events", "--data", dir, "--personal", "--json", "--type", "donation_received", "--county", "150602")
	keys.expect(t, 0, name)
	// The CLI's read of personal data is in the access log too.
	runLedger(t, "", "access-log", "--data", dir).expect(t, 0, "operator", "ledger events --personal", "reads of personal data recorded")
	for _, entry := range entries {
		content, err := os.ReadFile(filepath.Join(backup, entry.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if entry.Name() == "manifest.json" {
			if !strings.Contains(string(content), `"encrypted": true`) {
				t.Fatalf("manifest: %s", content)
			}
			continue
		}
		// The manifest's signature is in the clear too: the manifest's
		// SHA-256, the key's name and the signature.
		if entry.Name() == "manifest.sig" {
			if !strings.HasPrefix(string(content), "ordos-union-ledger backup manifest\n") || bytes.Contains(content, []byte(name)) {
				t.Fatalf("manifest.sig: %s", content)
			}
			continue
		}
		if !strings.HasSuffix(entry.Name(), ".age") || !bytes.HasPrefix(content, []byte("age-encryption.org/v1")) {
			t.Fatalf("%s is not an age file", entry.Name())
		}
		for _, secret := range []string{name, phone, "ordos-union-ledger", "donation_received", "D-SUM-04"} {
			if bytes.Contains(content, []byte(secret)) {
				t.Fatalf("%s shows %q", entry.Name(), secret)
			}
		}
	}
	// Without the identity, or with another one, it cannot be restored.
	runLedger(t, "", "restore", backup, "--data", filepath.Join(t.TempDir(), "a")).expect(t, 2, "encrypted: give --identity")
	other := filepath.Join(t.TempDir(), "other.identity")
	runLedger(t, "", "backup-key", "--out", other).expect(t, 0)
	runLedger(t, "", "restore", backup, "--data", filepath.Join(t.TempDir(), "b"), "--identity", other).expect(t, 1, "none of the --identity keys")

	// The donor is forgotten after the backup was taken.
	runLedger(t, "", "forget", "donor-0001", "--reason", "本人申请删除", "--data", dir).expect(t, 0, "erased")
	erasures := filepath.Join(t.TempDir(), "erasures.txt")
	runLedger(t, "", "erasures", "--data", dir, "--out", erasures).expect(t, 0)
	restored := filepath.Join(t.TempDir(), "restored")
	restoring := runLedger(t, "", "restore", backup, "--data", restored, "--identity", identity, "--erasures", erasures)
	restoring.expect(t, 0, "restored 121 events", "re-applied the erasure of donor-0001", "OK: 122 events",
		// Without the signing key nothing seals the totals' checkpoint:
		// it is not saved, and every read folds the log.
		"folded the totals from the restored log to position 122; the backup holds no signing key",
		"until the ledger's signing key is at "+filepath.Join(restored, "integrity", "signing.key"))
	// It is said once, in words: not again as a log line amid the
	// explanation (level=WARN msg="checkpoint not saved…" before).
	if said := strings.Count(restoring.stdout+restoring.stderr, "holds no signing key"); said != 1 ||
		strings.Contains(restoring.stderr, "level=") || strings.Contains(restoring.stderr, "checkpoint not saved") {
		t.Errorf("the missing signing key is said %d times, or logged:\nstdout:\n%s\nstderr:\n%s", said, restoring.stdout, restoring.stderr)
	}
	shown := runLedger(t, "", "events", "--data", restored, "--personal", "--type", "donation_received", "--county", "150602")
	shown.expect(t, 0, "donor-0001=erased")
	if strings.Contains(shown.stdout, name) {
		t.Fatalf("the restored ledger shows the forgotten donor:\n%s", shown.stdout)
	}
	// The backup carried no signing key: the restored ledger will not
	// quietly sign with a new one.
	runLedger(t, "", "checkpoint", "--data", restored).expect(t, 1, "not its signing key")
	signing, err := os.ReadFile(filepath.Join(dir, "integrity", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(keyFile, signing, 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "checkpoint", "--data", restored, "--signing-key", keyFile).expect(t, 0, "ordos-union-ledger")
	runLedger(t, "", "verify", "--data", restored, "--signing-key", keyFile).expect(t, 0, "OK: 122 events, 2 checkpoints verified")
}

// Forgetting a donor: no plaintext of their data is anywhere in the data
// directory, verify still passes, totals and proofs are unchanged, and their
// fields read as erased.
func TestEndToEndForgetADonor(t *testing.T) {
	dir := verifiedDataDir(t)
	name, phone := "王某某", "13900000001" // the demo's individual donor D-SUM-04, subject donor-0001
	scan := func() []string {
		var found []string
		_ = filepath.WalkDir(dir, func(path string, entry os.DirEntry, err error) error {
			if err != nil || entry.IsDir() {
				return nil
			}
			content, err := os.ReadFile(path)
			if err == nil && (bytes.Contains(content, []byte(name)) || bytes.Contains(content, []byte(phone))) {
				found = append(found, path)
			}
			return nil
		})
		return found
	}
	if found := scan(); len(found) > 0 {
		t.Fatalf("plaintext personal data stored in %v", found)
	}
	runLedger(t, "", "events", "--personal", "--data", dir, "--type", "donation_received", "--county", "150602").expect(t, 0, "donor-0001="+name)
	before := runLedger(t, "", "totals", "--data", dir, "--format", "json")
	runLedger(t, "", "checkpoint", "--data", dir).expect(t, 0)
	proofFile := filepath.Join(t.TempDir(), "proof.json")
	runLedger(t, "", "proof", "D-SUM-04", "--data", dir, "--out", proofFile).expect(t, 0)

	statementFile, err := filepath.Abs("../../reconcile/statement/testdata/icbc-2022-06.csv")
	if err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "reconcile", "import", statementFile, "--profile", "icbc", "--data", dir).expect(t, 0)
	reconciledBefore := runLedger(t, "", "reconcile", "report", "--format", "json", "--data", dir)
	reconciledBefore.expect(t, 0)
	runLedger(t, "", "forget", "donor-0001", "--reason", "本人申请删除", "--data", dir).expect(t, 0, "erased donor-0001")
	// The donor's donations still reconcile as before.
	reconciledAfter := runLedger(t, "", "reconcile", "report", "--format", "json", "--data", dir)
	reconciledAfter.expect(t, 0)
	matchedOf := func(output string) int {
		var result struct {
			Matched []json.RawMessage `json:"matched"`
		}
		if err := json.Unmarshal([]byte(output), &result); err != nil {
			t.Fatal(err)
		}
		return len(result.Matched)
	}
	if matchedOf(reconciledBefore.stdout) != matchedOf(reconciledAfter.stdout) {
		t.Fatalf("forgetting the donor changed the reconciliation")
	}
	runLedger(t, "", "forget", "donor-0001", "--reason", "again", "--data", dir).expect(t, 0, "already erased")
	runLedger(t, "", "events", "--personal", "--data", dir, "--type", "donation_received", "--county", "150602").expect(t, 0, "donor-0001=erased")
	if found := scan(); len(found) > 0 {
		t.Fatalf("plaintext personal data in %v after forgetting", found)
	}
	after := runLedger(t, "", "totals", "--data", dir, "--format", "json")
	// The erasure itself is one more event; the figures are the same.
	figures := func(output string) string {
		var answer struct {
			Rows json.RawMessage `json:"rows"`
			All  json.RawMessage `json:"all"`
		}
		if err := json.Unmarshal([]byte(output), &answer); err != nil {
			t.Fatal(err)
		}
		return string(answer.Rows) + string(answer.All)
	}
	if figures(before.stdout) != figures(after.stdout) {
		t.Fatalf("totals changed:\n%s\n%s", before.stdout, after.stdout)
	}
	key := strings.TrimSpace(runLedger(t, "", "pubkey", "--data", dir).stdout)
	runLedger(t, "", "verify-proof", proofFile, "--key", key).expect(t, 0, "OK: event")
	runLedger(t, "", "verify", "--data", dir).expect(t, 0, "OK:")
}

// A keystore that lost keys without an erasure is reported by verify.
func TestLostKeystoreIsReported(t *testing.T) {
	dir := copyDataDir(t, verifiedDataDir(t))
	rewrite(t, dir, func(ctx context.Context, js jetstream.JetStream, _ *nats.Conn, _ []natsjs.RawMessage) {
		if err := js.DeleteStream(ctx, "KV_LEDGER_KEYS"); err != nil {
			t.Fatal(err)
		}
	})
	runLedger(t, "", "verify", "--data", dir).expect(t, 1, "was never erased")
}
