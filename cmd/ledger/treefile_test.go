package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/report"
)

// flipTreeFileByte changes one byte of a data directory's tree file.
func flipTreeFileByte(t *testing.T, dir string, offset int) {
	t.Helper()
	hashes := filepath.Join(dir, "integrity", "hashes")
	content, err := os.ReadFile(hashes)
	if err != nil {
		t.Fatal(err)
	}
	content[offset] ^= 0xff
	if err := os.WriteFile(hashes, content, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Damage to the tree file, a cache, is told from tampering with the log:
// where a signed checkpoint proves the log, verify passes, says the log
// verified and names the file and its repair, as the doctor does; where
// none covers the position, verify fails and says either may have
// changed. A tree path that is a directory stops no read, and the repair
// sets it aside.
func TestDamagedTreeFileIsNotTampering(t *testing.T) {
	original := verifiedDataDir(t)

	t.Run("a leaf hash, signed", func(t *testing.T) {
		dir := copyDataDir(t, original)
		flipTreeFileByte(t, dir, 5)
		runLedger(t, "", "verify", "--data", dir).expect(t, 0, "tree file damaged: its leaf hash for position 1 differs from the log's",
			"signed checkpoint 1 (size 121) proves the log's bytes there", "OK: 121 events, 1 checkpoint verified", "The log verified",
			"`ledger repair`")
		runLedger(t, "", "doctor", "--data", dir).expect(t, 1, "PROBLEM  tree file: disagrees with the log at its hash 0")
		runLedger(t, "", "repair", "--data", dir).expect(t, 0, "made the tree file again from the log (121 events)", "all well")
		out := runLedger(t, "", "verify", "--data", dir)
		out.expect(t, 0, "OK: 121 events")
		if strings.Contains(out.stdout+out.stderr, "tree file damaged") {
			t.Fatalf("after the repair verify still names the file:\n%s", out.stdout)
		}
	})
	t.Run("an inner hash", func(t *testing.T) {
		dir := copyDataDir(t, original)
		flipTreeFileByte(t, dir, 3200)
		runLedger(t, "", "verify", "--data", dir).expect(t, 0, "tree file damaged: its hash 100 of", "OK: 121 events", "The log verified")
		runLedger(t, "", "doctor", "--data", dir).expect(t, 1, "PROBLEM  tree file: disagrees with the log at its hash 100 of")
	})
	t.Run("a leaf hash, unsigned", func(t *testing.T) {
		dir := t.TempDir()
		runLedger(t, "", "demo", "--data", dir).expect(t, 0)
		flipTreeFileByte(t, dir, 5)
		runLedger(t, "", "verify", "--data", dir).expect(t, 1, "first bad position 1", "either the log or the tree file changed here")
	})
	t.Run("a directory where the file was", func(t *testing.T) {
		dir := copyDataDir(t, original)
		hashes := filepath.Join(dir, "integrity", "hashes")
		if err := os.Remove(hashes); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(hashes, 0o700); err != nil {
			t.Fatal(err)
		}
		runLedger(t, "", "totals", "--data", dir).expect(t, 0, "tree size 121", "the tree file is damaged")
		runLedger(t, "", "verify", "--data", dir).expect(t, 0, hashes+" is a directory", "OK: 121 events")
		runLedger(t, "", "doctor", "--data", dir).expect(t, 1, "PROBLEM  tree file: is a directory")
		runLedger(t, "", "repair", "--data", dir).expect(t, 0, "aside to "+hashes+".set-aside-", "made the tree file again from the log (121 events)",
			"all well")
	})
}

// A damaged inner hash on the root's path (hash 126, over positions 1-64
// of 121) makes the tree file's root false. `ledger checkpoint` signs the
// log's root anyway, and says it made the file again from the log: verify
// then passes with nothing to say of the file, where a checkpoint of the
// file's root would have read as a rewritten history for good. Whether a
// checkpoint covers the damage already or none does.
func TestCheckpointOfADamagedTreeFileSignsTheLogsRoot(t *testing.T) {
	const hash126 = 126*32 + 5
	for _, signed := range []bool{false, true} {
		dir := t.TempDir()
		checkpoints := 1
		if signed {
			dir, checkpoints = copyDataDir(t, verifiedDataDir(t)), 2
		} else {
			runLedger(t, "", "demo", "--data", dir).expect(t, 0)
		}
		flipTreeFileByte(t, dir, hash126)
		runLedger(t, "", "checkpoint", "--data", dir).expect(t, 0, "ordos-union-ledger\n121\n", "its hash 126 (over positions 1-64",
			"made the tree file again from the log")
		out := runLedger(t, "", "verify", "--data", dir)
		out.expect(t, 0, "OK: 121 events, "+report.Counted(checkpoints, "checkpoint", "checkpoints")+" verified")
		if strings.Contains(out.stdout+out.stderr, "tree file damaged") || strings.Contains(out.stdout+out.stderr, "rewritten") {
			t.Fatalf("signed %v: verify after the checkpoint:\n%s%s", signed, out.stdout, out.stderr)
		}
		runLedger(t, "", "doctor", "--data", dir).expect(t, 0)
	}
}
