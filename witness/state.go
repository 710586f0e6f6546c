package witness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/internal/atomicfile"
)

// logState is what a witness remembers of one log: the newest checkpoint
// it cosigned. It only ever moves to a larger, consistent tree.
type logState struct {
	Origin string `json:"origin"`
	// LogKey is the log's verifier key, naming the log with its origin.
	LogKey string    `json:"log_key"`
	Size   int64     `json:"size"`
	Root   tlog.Hash `json:"root"`
	// Checkpoint is the cosigned checkpoint note: the log's signature
	// and the witness's cosignature, the evidence of what was answered.
	Checkpoint string `json:"checkpoint"`
}

// stateFileBytesMax bounds a log's state file: one checkpoint note.
const stateFileBytesMax = 64 << 10

// logsDir holds the state files, one a log.
const logsDir = "logs"

// stateFile is where the state of the log with this origin and verifier
// key is kept: the file name is a hash of both, so any origin is a safe
// name. A witness keeps one record per origin (ErrSharedOrigin), so this is
// the origin's record; the key stays in the name so that the directories
// of earlier versions, which kept a record per origin and key, open
// unchanged, and checkRecords finds a record of another key.
func stateFile(dir, origin string, verifier note.Verifier) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\n%08x", origin, verifier.Name(), verifier.KeyHash()))
	return filepath.Join(dir, logsDir, hex.EncodeToString(sum[:16])+".json")
}

// loadState reads a log's state; a missing file is a log never cosigned.
// A damaged file is an error: starting from nothing would let the witness
// cosign a smaller or different tree, the very thing it is there to refuse.
func loadState(path string) (logState, bool, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return logState{}, false, nil
	}
	if err != nil {
		return logState{}, false, fmt.Errorf("witness state: %w", err)
	}
	if info.Size() > stateFileBytesMax {
		return logState{}, false, fmt.Errorf("witness state %s: larger than %d bytes", path, stateFileBytesMax)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return logState{}, false, fmt.Errorf("witness state: %w", err)
	}
	var state logState
	if err := json.Unmarshal(content, &state); err != nil {
		return logState{}, false, fmt.Errorf("witness state %s: %w (never remove it: the witness would forget what it cosigned)", path, err)
	}
	return state, true, nil
}

// save writes the state whole or not at all (mode 0600) and syncs it
// before the witness answers.
func (s logState) save(path string) error {
	if err := atomicfile.WritePrivateJSON(path, s); err != nil {
		return fmt.Errorf("save witness state: %w", err)
	}
	return nil
}

// checkRecords refuses a directory holding a record, under an origin the
// witness is given, of another key than the one given for it: the witness
// has cosigned that key's checkpoints under the origin, and cosigning this
// key's now would let that key sign them as forks of its own log, or this
// key sign the old ones (ErrSharedOrigin). Earlier versions kept such
// records side by side for ledgers sharing an origin; none of them is
// chosen or removed here, since any choice makes forks of the others.
func checkRecords(dir string, logs map[string]note.Verifier) error {
	entries, err := os.ReadDir(filepath.Join(dir, logsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("witness records: %w", err)
	}
	for _, entry := range entries {
		name := entry.Name()
		if !entry.Type().IsRegular() || strings.HasPrefix(name, atomicfile.TemporaryPrefix) || filepath.Ext(name) != ".json" {
			continue
		}
		path := filepath.Join(dir, logsDir, name)
		state, _, err := loadState(path)
		if err != nil {
			return err
		}
		log, ok := logs[state.Origin]
		if !ok || path == stateFile(dir, state.Origin, log) {
			continue
		}
		return fmt.Errorf("witness: %s is the record of the ledger key %s, whose checkpoints this witness cosigned under the origin %q, "+
			"and it is given the key %s of that origin; a cosignature does not name the key, so what it cosigned for one would verify for the other (%w): "+
			"run a witness directory of its own for %s", path, state.LogKey, state.Origin, logID(log), ErrSharedOrigin, logID(log))
	}
	return nil
}
