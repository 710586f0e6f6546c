package integrity_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/integrity"
)

// A kept checkpoint reads back named after its file; a file that cannot be
// opened is told apart from one that holds no checkpoint.
func TestReadTrustedCheckpoint(t *testing.T) {
	_, signed := signAt(t, newKeys(t), proofTree(t, 3), 3)
	dir := t.TempDir()
	kept := filepath.Join(dir, "checkpoint.txt")
	other := filepath.Join(dir, "tokens.json")
	for path, content := range map[string][]byte{kept: signed, other: []byte(`{"tokens":[]}`)} {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	trusted, opened, err := integrity.ReadTrustedCheckpoint(kept)
	if err != nil || !opened || trusted.Source != "trusted checkpoint "+kept || !bytes.Equal(trusted.Signed, signed) {
		t.Fatalf("ReadTrustedCheckpoint = %+v, %v, %v; want the note named after its file", trusted, opened, err)
	}
	if _, opened, err := integrity.ReadTrustedCheckpoint(filepath.Join(dir, "missing")); opened || err == nil {
		t.Errorf("a missing file: opened %v, %v; want not opened", opened, err)
	}
	if _, opened, err := integrity.ReadTrustedCheckpoint(other); !opened || !errors.Is(err, integrity.ErrBadCheckpoint) {
		t.Errorf("a file that is no checkpoint: opened %v, %v; want ErrBadCheckpoint", opened, err)
	}
	// A front end names the file itself and shows why without the
	// sentinel's words, reading the reason as data.
	_, _, err = integrity.ReadTrustedCheckpoint(other)
	var notCheckpoint *integrity.NotACheckpointError
	if !errors.As(err, &notCheckpoint) || !strings.HasPrefix(notCheckpoint.Detail(), "not a signed checkpoint: ") ||
		err.Error() != "bad checkpoint: "+notCheckpoint.Detail() {
		t.Errorf("a file that is no checkpoint: %v; want a NotACheckpointError whose detail says why", err)
	}
}

// writeProof writes the proof of the event at position of the log's
// checkpoint of size to a file.
func writeProof(t *testing.T, log *verifyLog, size int64, position uint64, stored []byte) string {
	t.Helper()
	checkpoint, err := integrity.OpenCheckpoint(log.checkpoints[size], log.keys.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := integrity.ProveInclusion(log.tree, log.checkpoints[size], checkpoint, position, stored)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := integrity.MarshalIndent(proof)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "proof.json")
	if err := os.WriteFile(path, encoded, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A proof file checks with the log's key and gives the event it proves,
// decoded; another key, a file that is no proof and a proof of bytes that
// are no event are refused.
func TestCheckProofFile(t *testing.T) {
	log := newVerifyLog(t)
	path := writeProof(t, log, 10, 7, log.messages[6].Data)
	proven, err := integrity.CheckProofFile(path, log.keys.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	want := log.messages[6].Header["Ledger-Event-Id"]
	if proven.Proof.Position != 7 || proven.Checkpoint.Size != 10 || proven.Event.ID.String() != want {
		t.Errorf("proven %+v; want event %s at 7 under the checkpoint of 10", proven, want)
	}
	if _, err := integrity.CheckProofFile(path, newKeys(t).Verifier); err == nil {
		t.Error("a proof checked with another ledger's key passed")
	}
	notProof := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notProof, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.CheckProofFile(notProof, log.keys.Verifier); err == nil || !strings.HasPrefix(err.Error(), notProof+": not a proof") {
		t.Errorf("a file that is no proof: %v", err)
	}

	// A tree of bytes that are no events: the proof checks, the event does not decode.
	keys := newKeys(t)
	tree := proofTree(t, 3)
	_, signed := signAt(t, keys, tree, 3)
	bare := &verifyLog{tree: tree, keys: keys, checkpoints: map[int64][]byte{3: signed}}
	if _, err := integrity.CheckProofFile(writeProof(t, bare, 3, 2, proofData(2)), keys.Verifier); err == nil ||
		!strings.Contains(err.Error(), "not an event") {
		t.Errorf("a proof of bytes that are no event: %v", err)
	}
}

// Tiles are written where their slashed names say, directories made on the
// way, readable by everyone.
func TestTileFileWriter(t *testing.T) {
	dir := t.TempDir()
	write := integrity.TileFileWriter(dir)
	for name, content := range map[string]string{"checkpoint": "note", "tile/entries/000": "entries", "tile/0/x001/002": "hashes"} {
		if err := write(name, []byte(content)); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("%s: %q, %v; want %q", name, got, err, content)
		}
		if info, err := os.Stat(path); err != nil || info.Mode().Perm()&0o444 != 0o444 {
			t.Errorf("%s: mode %v, %v; want readable by everyone", name, info.Mode(), err)
		}
	}
}
