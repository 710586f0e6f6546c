package witness

import (
	"bytes"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/integrity"
)

// FuzzAddCheckpoint reads add-checkpoint bodies from outside: whatever the
// bytes, the witness answers a refusal or a cosignature that verifies, and
// the size it remembers of a log never shrinks.
func FuzzAddCheckpoint(f *testing.F) {
	keys, err := integrity.LoadOrCreateKeys(f.TempDir(), "", integrity.Origin)
	if err != nil {
		f.Fatal(err)
	}
	w, err := Open(Config{Dir: f.TempDir(), Name: "fuzz.example/witness", Logs: []note.Verifier{keys.Verifier}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = w.Close() })
	verifier, err := NewVerifier(w.VerifierKey())
	if err != nil {
		f.Fatal(err)
	}
	tree, _ := integrity.NewTree(&integrity.MemoryHashes{})
	var signed [][]byte
	for i := range 4 {
		_ = tree.Append([]byte{byte(i)})
		root, _ := tree.Root(tree.Size())
		checkpoint, err := integrity.Checkpoint{Origin: integrity.Origin, Size: tree.Size(), Root: root}.Sign(keys.Signer)
		if err != nil {
			f.Fatal(err)
		}
		signed = append(signed, checkpoint)
	}
	proof, _ := tree.ProveConsistency(4, 2)
	body := []byte("old 2\n")
	for _, hash := range proof {
		body = append(body, hash.String()+"\n"...)
	}
	f.Add(append([]byte("old 0\n\n"), signed[1]...))
	f.Add(append(append(body, '\n'), signed[3]...))
	f.Add(append([]byte("old 0\n\n"), signed[0]...))
	f.Add([]byte("old 0\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		before := w.largest()
		line, err := w.AddCheckpoint(body)
		if after := w.largest(); after < before {
			t.Fatalf("the witness went from size %d to %d", before, after)
		}
		if err != nil {
			return
		}
		_, rest, _ := bytes.Cut(body, []byte("\n\n"))
		if _, err := note.Open([]byte(noteText(rest)+"\n"+string(line)), note.VerifierList(verifier)); err != nil {
			t.Fatalf("the cosignature does not verify: %v", err)
		}
	})
}

// largest is the largest size the witness remembers of any log.
func (w *Witness) largest() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var largest int64
	for _, state := range w.states {
		largest = max(largest, state.Size)
	}
	return largest
}
