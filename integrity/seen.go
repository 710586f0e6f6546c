package integrity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ordos-union/ledger/internal/atomicfile"
)

// SeenCheckpoints is what a data directory remembers of the signed
// checkpoint stream: the newest checkpoint it saw and how many the stream
// held at least. The stream is append-only, so it can only grow: holding
// fewer, or not holding the newest one seen, means checkpoints were deleted
// (the stream removed and made again, say), which verify reports.
type SeenCheckpoints struct {
	// Count is a number of checkpoints the stream held at some moment.
	Count int `json:"count"`
	// Newest is the newest signed checkpoint note seen.
	Newest string `json:"newest,omitempty"`
}

// seenFileBytesMax bounds the file: one checkpoint note and a count.
const seenFileBytesMax = 64 << 10

// LoadSeenCheckpoints reads the file; a missing file is nothing seen yet.
// A damaged file is an error: it is evidence, and rebuilding it from the
// stream would forget exactly what it is there to remember.
func LoadSeenCheckpoints(path string) (SeenCheckpoints, error) {
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return SeenCheckpoints{}, nil
	}
	if err != nil {
		return SeenCheckpoints{}, fmt.Errorf("seen checkpoints: %w", err)
	}
	if len(content) > seenFileBytesMax {
		return SeenCheckpoints{}, fmt.Errorf("seen checkpoints %s: larger than %d bytes", path, seenFileBytesMax)
	}
	var seen SeenCheckpoints
	if err := json.Unmarshal(content, &seen); err != nil {
		return SeenCheckpoints{}, fmt.Errorf("seen checkpoints %s: %w (remove it only if you are sure no checkpoint was deleted)", path, err)
	}
	return seen, nil
}

// Saw returns what is remembered after seeing a stream of count
// checkpoints whose newest is newest. It never forgets: a smaller count is
// kept at the larger one.
func (s SeenCheckpoints) Saw(count int, newest []byte) SeenCheckpoints {
	if count >= s.Count && len(newest) > 0 {
		return SeenCheckpoints{Count: count, Newest: string(newest)}
	}
	return s
}

// Holds tells whether checkpoints, the stream's content, hold the newest
// seen checkpoint.
func (s SeenCheckpoints) Holds(checkpoints [][]byte) bool {
	if s.Newest == "" {
		return true
	}
	for _, signed := range checkpoints {
		if bytes.Equal(signed, []byte(s.Newest)) {
			return true
		}
	}
	return false
}

// Save writes the file whole or not at all (mode 0600).
func (s SeenCheckpoints) Save(path string) error {
	if err := atomicfile.WritePrivateJSON(path, s); err != nil {
		return fmt.Errorf("save seen checkpoints: %w", err)
	}
	return nil
}
