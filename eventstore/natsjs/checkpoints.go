package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

var (
	_ eventstore.CheckpointStore   = (*Checkpoints)(nil)
	_ eventstore.Leases            = (*Checkpoints)(nil)
	_ eventstore.CheckpointArchive = (*Checkpoints)(nil)
)

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
	js, replicas, err := jetStreamFor(connection, replicas)
	if err != nil {
		return nil, fmt.Errorf("open checkpoints: %w", err)
	}
	kv, err := ensureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:       CheckpointBucket,
		Description:  "Projection checkpoints: state and log position, saved together",
		History:      1,
		MaxValueSize: eventstore.CheckpointBytesMax,
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
	return eventstore.DecodeCheckpoint(name, entry.Value())
}

// Save writes a projection's checkpoint as one KV value.
func (c *Checkpoints) Save(ctx context.Context, checkpoint eventstore.Checkpoint) error {
	value, err := eventstore.EncodeCheckpoint(checkpoint)
	if err != nil {
		return fmt.Errorf("save %w", err)
	}
	if _, err := c.kv.Put(ctx, checkpoint.Name, value); err != nil {
		return fmt.Errorf("save checkpoint %s: %w: %w", checkpoint.Name, domain.ErrUnavailable, err)
	}
	return nil
}

// Claim takes or renews the lease on name for holder and reports whether
// holder has it. Compare-and-set on the key's revision makes one winner.
func (c *Checkpoints) Claim(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	key := "lease." + name
	entry, err := c.kv.Get(ctx, key)
	next, _ := json.Marshal(eventstore.Lease{Holder: holder, Expires: now.Add(ttl)})
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
	var current eventstore.Lease
	_ = json.Unmarshal(entry.Value(), &current)
	if current.HeldByOther(holder, now) {
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
	// The projections' leases share the bucket; they are no checkpoints.
	var names []string
	for key := range keys.Keys() {
		if !strings.HasPrefix(key, "lease.") {
			names = append(names, key)
		}
	}
	return eventstore.LoadAll(ctx, c, names)
}

// Import saves checkpoints, for restores.
func (c *Checkpoints) Import(ctx context.Context, checkpoints []eventstore.Checkpoint) error {
	return eventstore.SaveAll(ctx, c, checkpoints)
}
