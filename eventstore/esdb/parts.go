package esdb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/ordos-union/ledger/eventstore"
)

// checkpointPartBytesMax is the most of a checkpoint one event holds:
// half of EventStoreDB's default 1 MiB limit on one append, leaving room
// for the event's envelope.
const checkpointPartBytesMax = 512 << 10

// checkpointPartsMax is the most parts a checkpoint can need.
const checkpointPartsMax = (eventstore.CheckpointBytesMax + checkpointPartBytesMax - 1) / checkpointPartBytesMax

// checkpointEventsKept is how many events a checkpoint stream keeps: three
// saves of the most parts, each with its manifest, so that a whole save
// stays readable behind a save that crashed half way and the one after it
// still in progress.
const checkpointEventsKept = 3 * (checkpointPartsMax + 1)

// CheckpointManifest names the parts of a checkpoint kept in several
// events: where they start in the stream, how many there are, and the
// SHA-256 of the whole, so that parts from another save are never joined.
type CheckpointManifest struct {
	FirstRevision uint64 `json:"first_revision"`
	Parts         int    `json:"parts"`
	Bytes         int    `json:"bytes"`
	SHA256        string `json:"sha256"`
}

// SplitCheckpoint cuts an encoded checkpoint into parts of at most
// checkpointPartBytesMax bytes.
func SplitCheckpoint(value []byte) [][]byte {
	var parts [][]byte
	for start := 0; start < len(value); start += checkpointPartBytesMax {
		parts = append(parts, value[start:min(start+checkpointPartBytesMax, len(value))])
	}
	return parts
}

// NewCheckpointManifest describes parts stored from revision first on.
func NewCheckpointManifest(first uint64, parts [][]byte) CheckpointManifest {
	hash := sha256.New()
	size := 0
	for _, part := range parts {
		hash.Write(part)
		size += len(part)
	}
	return CheckpointManifest{FirstRevision: first, Parts: len(parts), Bytes: size, SHA256: hex.EncodeToString(hash.Sum(nil))}
}

// Join puts the parts back together, checking them against the manifest.
func (m CheckpointManifest) Join(parts [][]byte) ([]byte, error) {
	if len(parts) != m.Parts {
		return nil, fmt.Errorf("%d parts, the manifest names %d", len(parts), m.Parts)
	}
	value := make([]byte, 0, m.Bytes)
	for _, part := range parts {
		value = append(value, part...)
	}
	if sum := sha256.Sum256(value); len(value) != m.Bytes || hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil, fmt.Errorf("the parts (%d bytes) do not match the manifest (%d bytes, sha256 %s)", len(value), m.Bytes, m.SHA256)
	}
	return value, nil
}
