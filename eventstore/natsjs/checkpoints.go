package natsjs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
	var kv jetstream.KeyValue
	err = whileForming(ctx, func(ctx context.Context) error {
		var err error
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:       CheckpointBucket,
			Description:  "Projection checkpoints: state and log position, saved together",
			History:      1,
			MaxValueSize: checkpointBytesMax,
			Storage:      jetstream.FileStorage,
			Replicas:     replicas,
		})
		return err
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

// Lease is a claim, kept in the checkpoint bucket, that one process writes
// a projection's checkpoints: on a cluster every node folds the log to serve
// reads, but only the lease holder saves. A holder that stops renewing loses
// the lease after its time to live, and another node takes it.
type Lease struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// Claim takes or renews the lease on name for holder and reports whether
// holder has it. Compare-and-set on the key's revision makes one winner.
func (c *Checkpoints) Claim(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	key := "lease." + name
	entry, err := c.kv.Get(ctx, key)
	next, _ := json.Marshal(Lease{Holder: holder, Expires: now.Add(ttl)})
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		if _, err := c.kv.Create(ctx, key, next); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				return false, nil
			}
			return false, fmt.Errorf("claim %s: %w", name, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("claim %s: %w", name, err)
	}
	var current Lease
	_ = json.Unmarshal(entry.Value(), &current)
	if current.Holder != holder && now.Before(current.Expires) {
		return false, nil
	}
	if _, err := c.kv.Update(ctx, key, next, entry.Revision()); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil
		}
		return false, fmt.Errorf("claim %s: %w", name, err)
	}
	return true, nil
}

// Export returns every projection checkpoint, for backups.
func (c *Checkpoints) Export(ctx context.Context) ([]eventstore.Checkpoint, error) {
	keys, err := c.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("export checkpoints: %w", err)
	}
	var checkpoints []eventstore.Checkpoint
	for key := range keys.Keys() {
		if strings.HasPrefix(key, "lease.") {
			continue
		}
		checkpoint, err := c.Load(ctx, key)
		if err != nil {
			return nil, err
		}
		checkpoints = append(checkpoints, checkpoint)
	}
	return checkpoints, nil
}

// Import saves checkpoints, for restores.
func (c *Checkpoints) Import(ctx context.Context, checkpoints []eventstore.Checkpoint) error {
	for _, checkpoint := range checkpoints {
		if err := c.Save(ctx, checkpoint); err != nil {
			return err
		}
	}
	return nil
}
