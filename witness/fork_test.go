package witness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/integrity"
)

// textOf is a signed note's text, without its signatures.
func textOf(signed []byte) string {
	return string(signed[:bytes.Index(signed, []byte("\n\n"))+1])
}

// signText signs a note's text with the given ledger keys, in that order.
func signText(t *testing.T, text string, signers ...note.Signer) []byte {
	t.Helper()
	signed, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// witnessedFork fails the test when the witness's answer is a cosignature
// that, after the victim's signature alone, verifies on the forked text:
// what an auditor of the victim would accept as a witnessed checkpoint.
func witnessedFork(t *testing.T, w *runningWitness, victim integrity.Keys, fork string, status int, answer string) {
	t.Helper()
	if status != http.StatusOK {
		return
	}
	cosigned := append(signText(t, fork, victim.Signer), answer...)
	if _, err := (integrity.WitnessPolicy{Witnesses: []note.Verifier{w.verifier}, Quorum: 1}).Check(cosigned); err == nil {
		if _, err := note.Open(cosigned, note.VerifierList(victim.Verifier)); err == nil {
			t.Fatalf("the witness cosigned a fork of the ledger (%d %q): with the ledger's signature it verifies as witnessed", status, answer)
		}
	}
}

// openBoth opens one witness for two ledgers, which share the origin as
// every ledger does. The witness must refuse: its cosignature covers the
// checkpoint's text, which names the origin and not the key, so whatever
// it cosigned for one ledger would verify with the other's signature.
func openBoth(t *testing.T, dir string, a, b integrity.Keys) *runningWitness {
	t.Helper()
	w, err := Open(Config{Dir: dir, Name: "witness.example/w1", Logs: []note.Verifier{a.Verifier, b.Verifier}})
	if err == nil {
		_ = w.Close()
		return startWitness(t, dir, a.Verifier, b.Verifier)
	}
	if !errors.Is(err, ErrSharedOrigin) || !strings.Contains(err.Error(), integrity.Origin) {
		t.Fatalf("a witness for two ledgers of one origin: %v, want %v naming the origin", err, ErrSharedOrigin)
	}
	return nil
}

// The reviewer's attack: a fork of ledger A, signed first by another known
// ledger key B whose record is fresh and then by A, was checked against
// B's record and cosigned, and A's signature with that cosignature then
// verified for the fork.
func TestWitnessRefusesAForkSignedFirstByAnotherLedgersKey(t *testing.T) {
	keysA, keysB := newKeys(t), newKeys(t)
	dir := t.TempDir()
	w := openBoth(t, dir, keysA, keysB)
	if w == nil {
		// The attack needs both keys known; with A's alone the fork is
		// still checked against A's record, signed by B or not.
		w = startWitness(t, dir, keysA.Verifier)
	}
	honest := newTestLog(t, keysA).append("true", 1, 4)
	if status, answer, _ := w.post(t, "old 0\n\n"+string(honest.signed())); status != http.StatusOK {
		t.Fatalf("the honest checkpoint: %d %q", status, answer)
	}
	fork := textOf(newTestLog(t, keysA).append("fork", 1, 4).signed())
	if status, answer, _ := w.post(t, "old 4\n\n"+string(signText(t, fork, keysA.Signer))); status != http.StatusUnprocessableEntity {
		t.Fatalf("the fork signed by A: %d %q, want 422", status, answer)
	}
	for _, old := range []string{"0", "4"} {
		status, answer, _ := w.post(t, "old "+old+"\n\n"+string(signText(t, fork, keysB.Signer, keysA.Signer)))
		witnessedFork(t, w, keysA, fork, status, answer)
		status, answer, _ = w.post(t, "old "+old+"\n\n"+string(signText(t, fork, keysB.Signer)))
		witnessedFork(t, w, keysA, fork, status, answer)
	}
}

// Without B's private key: A's key signs the text of B's own honest
// checkpoint, which the witness cosigned for B; with B's cosignature it
// verified as a witnessed checkpoint of A, of another history.
func TestWitnessCosignatureForOneLedgerIsNoneForAnother(t *testing.T) {
	keysA, keysB := newKeys(t), newKeys(t)
	w := openBoth(t, t.TempDir(), keysA, keysB)
	if w == nil {
		return
	}
	if status, answer, _ := w.post(t, "old 0\n\n"+string(newTestLog(t, keysA).append("a", 1, 4).signed())); status != http.StatusOK {
		t.Fatalf("A's checkpoint: %d %q", status, answer)
	}
	signedB := newTestLog(t, keysB).append("b", 1, 6).signed()
	status, answer, _ := w.post(t, "old 0\n\n"+string(signedB))
	witnessedFork(t, w, keysA, textOf(signedB), status, answer)
}

// The same across restarts: a directory that cosigned ledger B's
// checkpoints, then given ledger A's key alone, would cosign A's
// checkpoints, which B's key could sign as a fork of B. The directory's
// record of B under the origin refuses A.
func TestWitnessDirectoryWitnessesOneLogPerOrigin(t *testing.T) {
	keysA, keysB := newKeys(t), newKeys(t)
	dir := t.TempDir()
	w := startWitness(t, dir, keysB.Verifier)
	if status, answer, _ := w.post(t, "old 0\n\n"+string(newTestLog(t, keysB).append("b", 1, 6).signed())); status != http.StatusOK {
		t.Fatalf("B's checkpoint: %d %q", status, answer)
	}
	w.stop()
	// The record keeps the name earlier versions gave it, a hash of the
	// origin and the key, so their directories open unchanged.
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\n%08x", integrity.Origin, keysB.Verifier.Name(), keysB.Verifier.KeyHash()))
	if _, err := os.Stat(filepath.Join(dir, "logs", hex.EncodeToString(sum[:16])+".json")); err != nil {
		t.Fatalf("B's record is not where earlier versions kept it: %v", err)
	}
	opened, err := Open(Config{Dir: dir, Name: "witness.example/w1", Logs: []note.Verifier{keysA.Verifier}})
	if err == nil {
		_ = opened.Close()
		w = startWitness(t, dir, keysA.Verifier)
		signedA := newTestLog(t, keysA).append("a", 1, 4).signed()
		status, answer, _ := w.post(t, "old 0\n\n"+string(signedA))
		witnessedFork(t, w, keysB, textOf(signedA), status, answer)
		t.Fatal("the directory that witnessed B opened for A")
	}
	if !errors.Is(err, ErrSharedOrigin) || !strings.Contains(err.Error(), fmt.Sprintf("%s+%08x", keysB.Verifier.Name(), keysB.Verifier.KeyHash())) {
		t.Fatalf("the directory of B opened for A: %v, want %v naming B's key", err, ErrSharedOrigin)
	}
	// B's own witness opens again and goes on from its record.
	w = startWitness(t, dir, keysB.Verifier)
	if status, answer, _ := w.post(t, "old 0\n\n"+string(newTestLog(t, keysB).append("b", 1, 7).signed())); status != http.StatusConflict || answer != "6\n" {
		t.Fatalf("B after the refused start: %d %q, want 409 6", status, answer)
	}
}

// A directory of an earlier version that witnessed two ledgers of the
// origin, a record for each, is refused for either: whatever it cosigns
// for one now verifies for the other's key.
func TestWitnessRefusesADirectoryOfSeveralLedgers(t *testing.T) {
	keysA, keysB := newKeys(t), newKeys(t)
	dir := t.TempDir()
	w := startWitness(t, dir, keysA.Verifier)
	if status, answer, _ := w.post(t, "old 0\n\n"+string(newTestLog(t, keysA).append("a", 1, 4).signed())); status != http.StatusOK {
		t.Fatalf("A's checkpoint: %d %q", status, answer)
	}
	w.stop()
	// B's record, as an earlier version kept it beside A's.
	signedB := newTestLog(t, keysB).append("b", 1, 6).signed()
	checkpoint, err := integrity.ParseCheckpointNote(signedB)
	if err != nil {
		t.Fatal(err)
	}
	record := logState{Origin: integrity.Origin, LogKey: logID(keysB.Verifier), Size: checkpoint.Size, Root: checkpoint.Root, Checkpoint: string(signedB)}
	if err := record.save(stateFile(dir, integrity.Origin, keysB.Verifier)); err != nil {
		t.Fatal(err)
	}
	for _, keys := range []integrity.Keys{keysA, keysB} {
		opened, err := Open(Config{Dir: dir, Name: "witness.example/w1", Logs: []note.Verifier{keys.Verifier}})
		if err == nil {
			_ = opened.Close()
			t.Fatalf("the directory of A and B opened for %s", logID(keys.Verifier))
		}
		if !errors.Is(err, ErrSharedOrigin) {
			t.Fatalf("the directory of A and B opened for %s: %v, want %v", logID(keys.Verifier), err, ErrSharedOrigin)
		}
	}
	// A refused configuration leaves a new directory untouched: no key is
	// made for a witness that does not start.
	fresh := t.TempDir()
	if openBoth(t, fresh, keysA, keysB) == nil {
		if _, err := os.Stat(filepath.Join(fresh, signingKeyFile)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the refused witness made its key: %v", err)
		}
	}
}
