package natsjs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

var _ eventstore.CheckpointStore = (*Checkpoints)(nil)

// checkpointBytesMax caps one stored checkpoint (compressed). Projections
// keep state per region, campaign and day, which compresses to far less;
// the embedded server allows messages this large.
const checkpointBytesMax = 8 << 20

// CheckpointBucket is the KV bucket of projection checkpoints.
const CheckpointBucket = "LEDGER_PROJECTIONS"

// Checkpoints keeps projection checkpoints in a JetStream KV bucket: one key
// per projection, each value the whole checkpoint (state and position
// together), gzip-compressed JSON.
type Checkpoints struct {
	kv jetstream.KeyValue
}

// OpenCheckpoints creates or opens the checkpoint bucket.
func OpenCheckpoints(ctx context.Context, connection *nats.Conn, replicas int) (*Checkpoints, error) {
	js, err := jetstream.New(connection)
	if err != nil {
		return nil, fmt.Errorf("open checkpoints: %w", err)
	}
	if replicas == 0 {
		replicas = 1
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:       CheckpointBucket,
		Description:  "Projection checkpoints: state and log position, saved together",
		History:      1,
		MaxValueSize: checkpointBytesMax,
		Storage:      jetstream.FileStorage,
		Replicas:     replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open checkpoints: %w", err)
	}
	return &Checkpoints{kv: kv}, nil
}

// Load reads a projection's checkpoint.
func (c *Checkpoints) Load(ctx context.Context, name string) (eventstore.Checkpoint, error) {
	entry, err := c.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, domain.ErrNotFound)
	}
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w: %w", name, domain.ErrUnavailable, err)
	}
	reader, err := gzip.NewReader(bytes.NewReader(entry.Value()))
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	data, err := io.ReadAll(io.LimitReader(reader, 16*checkpointBytesMax))
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	var checkpoint eventstore.Checkpoint
	if err := json.Unmarshal(data, &checkpoint); err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return checkpoint, nil
}

// Save writes a projection's checkpoint as one KV value.
func (c *Checkpoints) Save(ctx context.Context, checkpoint eventstore.Checkpoint) error {
	data, err := json.Marshal(checkpoint)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", checkpoint.Name, err)
	}
	var compressed bytes.Buffer
	writer := gzip.NewWriter(&compressed)
	if _, err := writer.Write(data); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", checkpoint.Name, err)
	}
	if err := writer.Close(); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", checkpoint.Name, err)
	}
	if compressed.Len() > checkpointBytesMax {
		return fmt.Errorf("save checkpoint %s: %d bytes compressed, at most %d", checkpoint.Name, compressed.Len(), checkpointBytesMax)
	}
	if _, err := c.kv.Put(ctx, checkpoint.Name, compressed.Bytes()); err != nil {
		return fmt.Errorf("save checkpoint %s: %w: %w", checkpoint.Name, domain.ErrUnavailable, err)
	}
	return nil
}
