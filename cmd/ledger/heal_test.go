package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// damagedWithBackup is a ledger with a signed checkpoint, an encrypted
// backup of it, two more events and then one event of the backed-up part
// damaged in the log's block file. It returns the data directory, the
// backup, the identity that opens it, the lost position and the totals
// before the damage.
func damagedWithBackup(t *testing.T, plaintext bool) (data, saved, identity string, lost int, totals string) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "data")
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0, "\n121\n")
	saved = filepath.Join(t.TempDir(), "backup")
	if plaintext {
		runLedger(t, "", "backup", saved, "--plaintext", "--data", data).expect(t, 0, "backed up 121 events")
	} else {
		identity = filepath.Join(t.TempDir(), "backup.key")
		key := runLedger(t, "", "backup-key", "--out", identity)
		key.expect(t, 0)
		runLedger(t, "", "backup", saved, "--recipient", strings.TrimSpace(key.stdout), "--data", data).expect(t, 0, "backed up 121 events")
	}
	runLedger(t, goodLine+"\n"+goodLine2+"\n", "record", "-", "--data", data).expect(t, 0, "recorded 2 events")
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0, "\n123\n")
	before := runLedger(t, "", "totals", "--data", data)
	before.expect(t, 0)
	lost = positionOf(t, data, `"D-SUM-04"`)
	natsjstest.DamageStoredEvent(t, data, "D-SUM-04")
	return data, saved, identity, lost, before.stdout
}

// A position the log lost is put back from an encrypted backup: the
// doctor, verify, totals and the server's readiness say the log lacks it;
// `ledger repair --from-backup` restores it; then verify is green, the
// doctor is clean, and the totals are the ones before the damage and those
// of a fresh rebuild.
func TestRepairFromBackupRestoresALostPosition(t *testing.T) {
	data, saved, identity, lost, totals := damagedWithBackup(t, false)
	lostText := "the log lacks 1 position(s) (" + strconv.Itoa(lost) + ")"
	runLedger(t, "", "doctor", "--data", data).expect(t, 1, "PROBLEM  log: lost 1 of its 123 positions, the first "+strconv.Itoa(lost),
		"repair: `ledger verify` names them; `ledger repair --from-backup DIR` puts them back")
	runLedger(t, "", "verify", "--data", data).expect(t, 1, "first bad position "+strconv.Itoa(lost), "missing: the log jumps")
	// A rebuild reads past the lost position and warns; so does every
	// totals answer from the checkpoint it saved.
	runLedger(t, "", "rebuild", "totals", "--data", data).expect(t, 0, "WARNING: "+lostText)
	runLedger(t, "", "totals", "--data", data).expect(t, 0, "WARNING: "+lostText)

	runLedger(t, "", "repair", "--data", data, "--from-backup", saved).expect(t, 2, "the backup is encrypted: give --identity FILE")
	repaired := runLedger(t, "", "repair", "--data", data, "--from-backup", saved, "--identity", identity)
	repaired.expect(t, 0, "repaired: put back 1 lost position(s) ("+strconv.Itoa(lost)+") from the backup",
		"the rebuilt log of 123 events verifies against every signed checkpoint", "the damaged log's files are kept in "+filepath.Join(data, "damaged-log-"),
		"log: 123 events, no position missing", "all well")
	kept, err := filepath.Glob(filepath.Join(data, "damaged-log-*", "LEDGER", "msgs", "*.blk"))
	if err != nil || len(kept) == 0 {
		t.Fatalf("the damaged log's files were not kept: %v %v", kept, err)
	}
	if _, err := os.Stat(filepath.Join(data, "repair-staging")); !os.IsNotExist(err) {
		t.Fatalf("the staging directory was left behind: %v", err)
	}
	runLedger(t, "", "verify", "--data", data).expect(t, 0, "OK: 123 events, 2 checkpoints verified")
	after := runLedger(t, "", "totals", "--data", data)
	after.expect(t, 0)
	if strings.Contains(after.stdout+after.stderr, "WARNING") || after.stdout != totals {
		t.Fatalf("totals after the repair:\n%s%s\nwant those before the damage:\n%s", after.stdout, after.stderr, totals)
	}
	runLedger(t, "", "rebuild", "totals", "--data", data).expect(t, 0, "rebuilt totals to log position 123")
	if rebuilt := runLedger(t, "", "totals", "--data", data); rebuilt.stdout != totals {
		t.Fatalf("the totals of a fresh rebuild:\n%s%s\nwant:\n%s", rebuilt.stdout, rebuilt.stderr, totals)
	}
	// The restored event is the one the backup held, readable as any other.
	if position := positionOf(t, data, `"D-SUM-04"`); position != lost {
		t.Fatalf("D-SUM-04 is at position %d after the repair, want %d", position, lost)
	}
	// A second repair finds nothing lost.
	runLedger(t, "", "repair", "--data", data, "--from-backup", saved, "--identity", identity).expect(t, 0,
		"the log lost no position: nothing to put back from the backup", "all well")
}

// rewriteBackupEvent edits the backup's line for position with edit (nil
// drops the line) and makes the manifest's hash match again, as someone
// who took the backup could.
func rewriteBackupEvent(t *testing.T, saved string, position int, edit func(data []byte) []byte) {
	t.Helper()
	path := filepath.Join(saved, "events.jsonl")
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(content)), "\n") {
		var stored map[string]any
		if err := json.Unmarshal([]byte(line), &stored); err != nil {
			t.Fatal(err)
		}
		if int(stored["position"].(float64)) == position {
			found = true
			if edit == nil {
				continue
			}
			data, err := base64.StdEncoding.DecodeString(stored["data"].(string))
			if err != nil {
				t.Fatal(err)
			}
			stored["data"] = base64.StdEncoding.EncodeToString(edit(data))
			edited, err := json.Marshal(stored)
			if err != nil {
				t.Fatal(err)
			}
			line = string(edited)
		}
		out = append(out, line)
	}
	if !found {
		t.Fatalf("the backup holds no position %d", position)
	}
	content = []byte(strings.Join(out, "\n") + "\n")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	manifestPath := filepath.Join(saved, "manifest.json")
	manifestContent, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := json.Unmarshal(manifestContent, &manifest); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	manifest["events_sha256"] = hex.EncodeToString(sum[:])
	// The file's entry in the manifest's list too: a backup made with
	// these bytes, whose signature the repair does not need (it checks the
	// bytes against the signed checkpoints of the ledger it repairs).
	manifest["files"].(map[string]any)["events.jsonl"] = hex.EncodeToString(sum[:])
	if manifestContent, err = json.Marshal(manifest); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifestPath, manifestContent, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A backup whose bytes for the lost position are not the ones the signed
// checkpoints commit to is refused, and so is one without that position:
// nothing changes, and verify reports the same gap.
func TestRepairFromBackupRefusesUnverifiableBytes(t *testing.T) {
	data, saved, _, lost, _ := damagedWithBackup(t, true)
	verifyBefore := runLedger(t, "", "verify", "--data", data)
	verifyBefore.expect(t, 1, "first bad position "+strconv.Itoa(lost))
	streamFiles := func() string {
		files, err := filepath.Glob(filepath.Join(data, "jetstream", "*", "streams", "LEDGER", "msgs", "*"))
		if err != nil {
			t.Fatal(err)
		}
		var listing []string
		for _, file := range files {
			content, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(content)
			listing = append(listing, filepath.Base(file)+" "+hex.EncodeToString(sum[:]))
		}
		return strings.Join(listing, "\n")
	}
	// The first repair attempt (refused below) is the first start after the
	// damage: JetStream drops the message then and rewrites its block. What
	// the refusals must not change is the log as it is after that start.
	runLedger(t, "", "doctor", "--data", data).expect(t, 1, "PROBLEM  log: lost 1 of its 123 positions")
	blockBefore := streamFiles()

	rewriteBackupEvent(t, saved, lost, func(data []byte) []byte {
		return bytes.Replace(data, []byte("D-SUM-04"), []byte("D-SUM-4X"), 1)
	})
	runLedger(t, "", "repair", "--data", data, "--from-backup", saved).expect(t, 1,
		"the lost positions cannot be restored: the log with the backup's events in it does not verify: position "+strconv.Itoa(lost))
	rewriteBackupEvent(t, saved, lost, nil)
	runLedger(t, "", "repair", "--data", data, "--from-backup", saved).expect(t, 1,
		"the lost positions cannot be restored: the backup does not hold position "+strconv.Itoa(lost))

	if after := streamFiles(); after != blockBefore {
		t.Fatalf("a refused repair changed the log's files:\n%s\nwant:\n%s", after, blockBefore)
	}
	for _, left := range []string{"damaged-log-*", "repair-staging"} {
		if found, _ := filepath.Glob(filepath.Join(data, left)); len(found) > 0 {
			t.Fatalf("a refused repair left %v", found)
		}
	}
	verifyAfter := runLedger(t, "", "verify", "--data", data)
	verifyAfter.expect(t, 1, "first bad position "+strconv.Itoa(lost))
	if verifyAfter.stdout != verifyBefore.stdout {
		t.Fatalf("verify after the refused repairs:\n%s\nwant as before:\n%s", verifyAfter.stdout, verifyBefore.stdout)
	}
	// The log's files are the running server's while `serve` holds the
	// directory: the repair refuses, and says to stop it.
	startServe(t, data)
	runLedger(t, "", "repair", "--data", data, "--from-backup", saved).expect(t, 2, "with `ledger serve` stopped")
}
