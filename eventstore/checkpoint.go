package eventstore

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// CheckpointBytesMax caps one stored checkpoint, compressed. Projections
// keep state per region, campaign and day, which compresses to far less;
// both stores take values this large (JetStream's embedded server and
// EventStoreDB's default 16 MiB event limit).
const CheckpointBytesMax = 8 << 20

// checkpointInflatedBytesMax caps a checkpoint once decompressed, so a
// corrupt or hostile value cannot exhaust memory.
const checkpointInflatedBytesMax = 16 * CheckpointBytesMax

// EncodeCheckpoint is how every store keeps a checkpoint: gzip-compressed
// JSON of state and position together.
func EncodeCheckpoint(checkpoint Checkpoint) ([]byte, error) {
	data, err := json.Marshal(checkpoint)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", checkpoint.Name, err)
	}
	var compressed bytes.Buffer
	writer := gzip.NewWriter(&compressed)
	if _, err := writer.Write(data); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", checkpoint.Name, err)
	}
	if err := writer.Close(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", checkpoint.Name, err)
	}
	if compressed.Len() > CheckpointBytesMax {
		return nil, fmt.Errorf("checkpoint %s: %d bytes compressed, at most %d", checkpoint.Name, compressed.Len(), CheckpointBytesMax)
	}
	return compressed.Bytes(), nil
}

// DecodeCheckpoint reads what EncodeCheckpoint wrote.
func DecodeCheckpoint(name string, value []byte) (Checkpoint, error) {
	reader, err := gzip.NewReader(bytes.NewReader(value))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	data, err := io.ReadAll(io.LimitReader(reader, checkpointInflatedBytesMax))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	var checkpoint Checkpoint
	if err := json.Unmarshal(data, &checkpoint); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return checkpoint, nil
}

// Lease is the stored record of who writes a projection's checkpoints, and
// until when. A holder that stops renewing loses it after its time to live.
type Lease struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// HeldByOther reports whether someone other than holder has the lease at
// now: only then may holder not take it.
func (l Lease) HeldByOther(holder string, now time.Time) bool {
	return l.Holder != "" && l.Holder != holder && now.Before(l.Expires)
}
