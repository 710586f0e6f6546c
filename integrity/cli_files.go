package integrity

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/domain"
)

// The files an auditor or operator hands the command line, or has it
// write: kept checkpoints, inclusion proofs, exported tiles.

// ReadTrustedCheckpoint reads a signed checkpoint an auditor kept outside
// the ledger in the file at path (ReadCheckpointNote), named after its
// file in a verification's report. opened is false when the file cannot
// be opened; an error wrapping ErrBadCheckpoint is a file that holds no
// checkpoint. Both are the mistake of whoever named the file, unlike a
// failure to read it, and the command line says so differently.
func ReadTrustedCheckpoint(path string) (trusted TrustedCheckpoint, opened bool, err error) {
	file, err := os.Open(path)
	if err != nil {
		return TrustedCheckpoint{}, false, err
	}
	defer file.Close()
	signed, err := ReadCheckpointNote(file)
	if err != nil {
		return TrustedCheckpoint{}, true, err
	}
	return TrustedCheckpoint{Source: "trusted checkpoint " + path, Signed: signed}, true, nil
}

// ProvenEvent is an inclusion proof that checked: the checkpoint it was
// checked against and the event it proves, decoded.
type ProvenEvent struct {
	Proof      InclusionProof
	Checkpoint Checkpoint
	Event      domain.Event
}

// CheckProofFile reads the inclusion proof in the file at path, as
// `ledger proof` writes it, and checks it with nothing but the verifier
// key (InclusionProof.Check). The proven bytes must decode as an event: a
// proof of anything else proves nothing an auditor asked about.
func CheckProofFile(path string, verifier note.Verifier) (ProvenEvent, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return ProvenEvent{}, err
	}
	var proven ProvenEvent
	if err := json.Unmarshal(content, &proven.Proof); err != nil {
		return ProvenEvent{}, fmt.Errorf("%s: not a proof: %w", path, err)
	}
	checkpoint, stored, err := proven.Proof.Check(verifier)
	if err != nil {
		return ProvenEvent{}, err
	}
	proven.Checkpoint = checkpoint
	if proven.Event, err = domain.DecodeStoredEvent(stored); err != nil {
		return ProvenEvent{}, fmt.Errorf("the proven bytes are not an event: %w", err)
	}
	return proven, nil
}

// TileFileWriter writes each file of the tlog-tiles layout under dir at
// the path its name (with forward slashes) gives, making the directories
// on the way. The files and directories are readable by everyone: the
// layout is for publishing on a static web server, and its entries are the
// events as stored, personal data sealed.
func TileFileWriter(dir string) func(name string, content []byte) error {
	return func(name string, content []byte) error {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, content, 0o644)
	}
}
