package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// ledger doctor says all is well on a sound ledger; for a secret others can
// read and for a damaged tree file it names the problem and the repair,
// exits 1, and after the repair it is clean again.
func TestDoctorNamesProblemsAndTheirRepairs(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	runLedger(t, "", "doctor", "--data", data).expect(t, 0, "log: 121 events, no position missing", "tree file: agrees with the log",
		"signed checkpoints: 1; the newest covers 121 events", "all well")

	key := filepath.Join(data, "integrity", "signing.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "doctor", "--data", data).expect(t, 1, "PROBLEM  integrity/signing.key: can be read by others", "repair: chmod 600 "+key)
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}

	hashes := filepath.Join(data, "integrity", "hashes")
	content, err := os.ReadFile(hashes)
	if err != nil {
		t.Fatal(err)
	}
	content[len(content)/2] ^= 0xff
	if err := os.WriteFile(hashes, content, 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "doctor", "--data", data).expect(t, 1, "PROBLEM  tree file: disagrees with the log", "repair: remove "+hashes)
	if err := os.Remove(hashes); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "doctor", "--data", data).expect(t, 0, "all well")

	// ledger repair does both repairs itself, and leaves the doctor clean.
	// A key others can read signs nothing until it is its owner's alone.
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 1, key+" is mode 0644", "chmod 600 "+key)
	content, err = os.ReadFile(hashes)
	if err != nil {
		t.Fatal(err)
	}
	content[len(content)/3] ^= 0xff
	if err := os.WriteFile(hashes, content, 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "doctor", "--data", data).expect(t, 1, "PROBLEM  tree file", "PROBLEM  integrity/signing.key")
	runLedger(t, "", "repair", "--data", data).expect(t, 0, "repaired: made the tree file again from the log (121 events)",
		"repaired: made "+key+" its owner's alone", "all well")

	// A secret that is a link to a file elsewhere is named, and repair
	// does not follow it.
	elsewhere := filepath.Join(t.TempDir(), "other-file")
	if err := os.WriteFile(elsewhere, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(data, "tokens.json")
	if err := os.Symlink(elsewhere, tokens); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "repair", "--data", data).expect(t, 1, "PROBLEM  tokens.json: is a symbolic link")
	if info, err := os.Stat(elsewhere); err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("repair followed the link: %v %v", info.Mode(), err)
	}
	if err := os.Remove(tokens); err != nil {
		t.Fatal(err)
	}
	// The next command that holds the directory makes the file again from
	// the log, and it agrees.
	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	runLedger(t, "", "doctor", "--data", data).expect(t, 0, "tree file: agrees with the log (121 events)")
}

// A byte changed inside an event of the log's block file: JetStream drops
// that event when it next starts, and the doctor names the lost position
// and the repair.
func TestDoctorNamesALostPosition(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	blocks, err := filepath.Glob(filepath.Join(data, "jetstream", "*", "streams", "LEDGER", "msgs", "1.blk"))
	if err != nil || len(blocks) != 1 {
		t.Fatalf("the log's block file: %v %v", blocks, err)
	}
	content, err := os.ReadFile(blocks[0])
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(content, []byte("D-SUM-04"))
	if at < 0 {
		t.Fatal("D-SUM-04 is not in the block")
	}
	content[at+2] ^= 0x01
	if err := os.WriteFile(blocks[0], content, 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "doctor", "--data", data).expect(t, 1, "PROBLEM  log: lost 1 of its 121 positions", "ledger repair --from-backup DIR")
	runLedger(t, "", "verify", "--data", data).expect(t, 1, "missing: the log jumps")
	// The figures say so too: a rebuild reads past the lost position and
	// warns, and so does every totals answer from the checkpoint it saved.
	lost := "the log lacks 1 position(s) (" + strconv.Itoa(lostPosition(t, data)) + ")"
	runLedger(t, "", "rebuild", "totals", "--data", data).expect(t, 0, "WARNING: "+lost)
	runLedger(t, "", "totals", "--data", data).expect(t, 0, "WARNING: "+lost)
	// A server reads the whole log when it starts (the entity index): it is
	// not ready, says why, and its totals carry the warning.
	served := startServe(t, data)
	natsjstest.CheckFor(t, 120*time.Second, func() error {
		body, err := served.get("/readyz")
		if err != nil {
			return err
		}
		if !strings.Contains(string(body), `"ready":false`) || !strings.Contains(string(body), lost) {
			return fmt.Errorf("readyz: %s", body)
		}
		return nil
	})
	body, err := served.get("/api/v1/totals")
	if err != nil || !strings.Contains(string(body), `"warnings":["`+lost) {
		t.Fatalf("totals over HTTP on a damaged log: %s (%v), want the warning", body, err)
	}
}

// lostPosition is the first position the log lacks, as verify names it.
func lostPosition(t *testing.T, data string) int {
	t.Helper()
	out := runLedger(t, "", "verify", "--data", data)
	match := regexp.MustCompile(`first bad position (\d+)`).FindStringSubmatch(out.stdout + out.stderr)
	if match == nil {
		t.Fatalf("verify does not name the first bad position:\n%s%s", out.stdout, out.stderr)
	}
	position, _ := strconv.Atoi(match[1])
	return position
}

// A NATS credential others may read keeps the ledger from opening; the
// doctor names it as a finding (exit 1) instead of failing to start, and
// repair makes it its owner's alone before it opens the ledger.
func TestDoctorAndRepairMendAnExposedNATSCredential(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	seed := filepath.Join(data, "nats", "runtime.nk")
	if err := os.Chmod(seed, 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "doctor", "--data", data).expect(t, 1, "PROBLEM", "runtime.nk is mode 0644", "ledger repair --data "+data)
	runLedger(t, "", "repair", "--data", data).expect(t, 0, "repaired: made "+seed+" its owner's alone (it was mode 0644)", "all well")
	info, err := os.Stat(seed)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("after repair: %v, mode %v, want 0600", err, info.Mode().Perm())
	}
	runLedger(t, "", "doctor", "--data", data).expect(t, 0, "all well")
}
