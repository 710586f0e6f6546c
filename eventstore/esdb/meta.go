package esdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

// What JetStream keeps in KV buckets and side streams, EventStoreDB keeps in
// streams of its own beside the ledger's: projection checkpoints, leases,
// signed tree checkpoints and personal-data keys. Their names start with
// MetaStreamPrefix(prefix), which never starts with the ledger's prefix, so
// they stay out of the global log the index numbers.

// metaPrefixStart begins every side stream's name.
const metaPrefixStart = "meta-"

// MetaStreamPrefix starts the names of the side streams of a ledger whose
// streams start with prefix.
func MetaStreamPrefix(prefix string) string { return metaPrefixStart + prefix }

// Event types of the side streams.
const (
	checkpointEventType         = "projection_checkpoint"
	checkpointPartEventType     = "projection_checkpoint_part"
	checkpointManifestEventType = "projection_checkpoint_manifest"
	leaseEventType              = "projection_lease"
	signedCheckpointEventType   = "signed_checkpoint"
	subjectKeyEventType         = "subject_key"
	// subjectKeyDestroyedEventType marks a destroyed key: it holds nothing
	// secret, so the server may keep it as the stream's last event.
	subjectKeyDestroyedEventType = "subject_key_destroyed"
)

// signedCheckpointBytesMax caps one signed checkpoint note, as the JetStream
// stream does.
const signedCheckpointBytesMax = 64 << 10

// signedCheckpointsMax bounds how many signed checkpoints All returns: one
// every ten minutes for over nineteen years.
const signedCheckpointsMax = 1 << 20

// Side-stream names.
func (s *Store) checkpointStream(name string) string {
	return MetaStreamPrefix(s.prefix) + "projection-" + name
}
func (s *Store) leaseStream(name string) string { return MetaStreamPrefix(s.prefix) + "lease-" + name }
func (s *Store) signedStream() string           { return MetaStreamPrefix(s.prefix) + "signed-checkpoints" }
func (s *Store) keyStreamPrefix() string        { return MetaStreamPrefix(s.prefix) + "key-" }
func (s *Store) keyStream(subject string) string {
	// Subject ids may hold characters a stream name should not.
	return s.keyStreamPrefix() + hex.EncodeToString([]byte(subject))
}

// lastOf reads a stream's last event: nil when the stream has none, was
// never written or is deleted.
func (s *Store) lastOf(ctx context.Context, stream string) (*esdb.RecordedEvent, error) {
	return s.oneOf(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}})
}

// firstOf reads a stream's first readable event (after a delete, the first
// written since): nil when there is none.
func (s *Store) firstOf(ctx context.Context, stream string) (*esdb.RecordedEvent, error) {
	return s.oneOf(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Start{}})
}

func (s *Store) oneOf(ctx context.Context, stream string, options esdb.ReadStreamOptions) (*esdb.RecordedEvent, error) {
	reader, err := s.client.ReadStream(ctx, stream, options, 1)
	if err != nil {
		if isMissingStream(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read %s: %w: %w", stream, domain.ErrUnavailable, err)
	}
	defer reader.Close()
	resolved, err := s.recv(reader)
	switch {
	case errors.Is(err, io.EOF), isMissingStream(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w: %w", stream, domain.ErrUnavailable, err)
	}
	return resolved.OriginalEvent(), nil
}

// isMissingStream says the stream was never written or was deleted.
func isMissingStream(err error) bool {
	var clientError *esdb.Error
	if !errors.As(err, &clientError) {
		return false
	}
	return clientError.Code() == esdb.ErrorCodeResourceNotFound || clientError.Code() == esdb.ErrorCodeStreamDeleted
}

// isWrongExpectedVersion says another writer got there first.
func isWrongExpectedVersion(err error) bool {
	var clientError *esdb.Error
	return errors.As(err, &clientError) && clientError.Code() == esdb.ErrorCodeWrongExpectedVersion
}

// keepLast makes the server keep only a stream's last event: a lease is
// replaced, not accumulated. Older events are removed at the next scavenge.
func (s *Store) keepLast(ctx context.Context, stream string) error {
	var metadata esdb.StreamMetadata
	metadata.SetMaxCount(1)
	if _, err := s.client.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, metadata); err != nil {
		return fmt.Errorf("set metadata of %s: %w", stream, err)
	}
	return nil
}

// metadataDueEvery is how often, in events, a capped side stream sets its
// cap again.
const metadataDueEvery = 256

// metadataDue says whether a write of written events that left a stream at
// revision sets its cap: the writes up to revision young, and every write
// that crosses a multiple of metadataDueEvery events.
func metadataDue(revision, written, young uint64) bool {
	return revision <= young || (revision+1-written)/metadataDueEvery != (revision+1)/metadataDueEvery
}

// streamsStartingWith lists the streams of $all whose names start with
// prefix, in the order first written. It reads their events in $all,
// filtered on the server, so the ledger's events and other side streams
// do not cross the network; it serves exports, which are rare, and needs
// no index to keep in step.
func (s *Store) streamsStartingWith(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	err := s.catchUp(ctx, nil, []string{prefix}, func(recorded *esdb.RecordedEvent) error {
		if strings.HasPrefix(recorded.StreamID, prefix) && !seen[recorded.StreamID] {
			seen[recorded.StreamID] = true
			names = append(names, recorded.StreamID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// Checkpoints keeps projection checkpoints and leases in EventStoreDB, one
// stream per projection whose last event is the checkpoint.
type Checkpoints struct{ store *Store }

var (
	_ eventstore.CheckpointStore   = (*Checkpoints)(nil)
	_ eventstore.Leases            = (*Checkpoints)(nil)
	_ eventstore.CheckpointArchive = (*Checkpoints)(nil)
)

// Checkpoints returns the store's projection checkpoints.
func (s *Store) Checkpoints() *Checkpoints { return &Checkpoints{store: s} }

// Load reads a projection's checkpoint: the newest single-event checkpoint
// or manifest in its stream. Parts written after it belong to a save that
// has not finished (or never will, after a crash) and are passed over.
func (c *Checkpoints) Load(ctx context.Context, name string) (eventstore.Checkpoint, error) {
	stream := c.store.checkpointStream(name)
	reader, err := c.store.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, checkpointEventsKept)
	if isMissingStream(err) {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, domain.ErrNotFound)
	}
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w: %w", name, domain.ErrUnavailable, err)
	}
	defer reader.Close()
	for {
		resolved, err := c.store.recv(reader)
		if errors.Is(err, io.EOF) || isMissingStream(err) {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, domain.ErrNotFound)
		}
		if err != nil {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w: %w", name, domain.ErrUnavailable, err)
		}
		recorded := resolved.OriginalEvent()
		switch recorded.EventType {
		case checkpointEventType:
			return eventstore.DecodeCheckpoint(name, recorded.Data)
		case checkpointManifestEventType:
			return c.loadParts(ctx, name, stream, recorded.Data)
		}
	}
}

// loadParts reads and joins the parts a manifest names.
func (c *Checkpoints) loadParts(ctx context.Context, name, stream string, manifestData []byte) (eventstore.Checkpoint, error) {
	var manifest CheckpointManifest
	if err := json.Unmarshal(manifestData, &manifest); err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: manifest: %w", name, err)
	}
	if manifest.Parts < 1 || manifest.Parts > checkpointPartsMax {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: manifest names %d parts, at most %d", name, manifest.Parts, checkpointPartsMax)
	}
	reader, err := c.store.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{From: esdb.Revision(manifest.FirstRevision)}, uint64(manifest.Parts))
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w: %w", name, domain.ErrUnavailable, err)
	}
	defer reader.Close()
	parts := make([][]byte, 0, manifest.Parts)
	for range manifest.Parts {
		resolved, err := c.store.recv(reader)
		if err != nil {
			return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: part %d: %w", name, len(parts)+1, err)
		}
		parts = append(parts, resolved.OriginalEvent().Data)
	}
	value, err := manifest.Join(parts)
	if err != nil {
		return eventstore.Checkpoint{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return eventstore.DecodeCheckpoint(name, value)
}

// Save appends the checkpoint. One that fits in one event is the stream's
// new last event. A larger one (EventStoreDB takes at most 1 MiB in one
// append by default) goes in parts, each appended expecting the revision
// the one before left, so no other writer's parts can come between, and
// then a manifest naming them: until the manifest is written, Load still
// finds the previous checkpoint.
func (c *Checkpoints) Save(ctx context.Context, checkpoint eventstore.Checkpoint) error {
	value, err := eventstore.EncodeCheckpoint(checkpoint)
	if err != nil {
		return fmt.Errorf("save %w", err)
	}
	stream := c.store.checkpointStream(checkpoint.Name)
	fail := func(err error) error {
		return fmt.Errorf("save checkpoint %s: %w: %w", checkpoint.Name, domain.ErrUnavailable, err)
	}
	if len(value) <= checkpointPartBytesMax {
		result, err := c.store.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}},
			esdb.EventData{EventType: checkpointEventType, ContentType: esdb.ContentTypeBinary, Data: value})
		if err != nil {
			return fail(err)
		}
		return c.keepLastSaves(ctx, stream, result, 1)
	}
	parts := SplitCheckpoint(value)
	last, err := c.store.lastOf(ctx, stream)
	if err != nil {
		return fail(err)
	}
	var expected esdb.ExpectedRevision = esdb.NoStream{}
	first := uint64(0)
	if last != nil {
		expected, first = esdb.Revision(last.EventNumber), last.EventNumber+1
	}
	for _, part := range parts {
		result, err := c.store.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expected},
			esdb.EventData{EventType: checkpointPartEventType, ContentType: esdb.ContentTypeBinary, Data: part})
		if err != nil {
			return fail(err)
		}
		expected = esdb.Revision(result.NextExpectedVersion)
	}
	manifest, err := json.Marshal(NewCheckpointManifest(first, parts))
	if err != nil {
		return fail(err)
	}
	result, err := c.store.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expected},
		esdb.EventData{EventType: checkpointManifestEventType, ContentType: esdb.ContentTypeJson, Data: manifest})
	if err != nil {
		return fail(err)
	}
	return c.keepLastSaves(ctx, stream, result, uint64(len(parts))+1)
}

// keepLastSaves sets how many events the server keeps: enough for the
// last two saves of the most parts, so a reader between two saves still
// finds the older one whole. It is set while the stream is young and again
// now and then, so one failed attempt does not leave the stream uncapped.
func (c *Checkpoints) keepLastSaves(ctx context.Context, stream string, result *esdb.WriteResult, written uint64) error {
	if !metadataDue(result.NextExpectedVersion, written, checkpointPartsMax+1) {
		return nil
	}
	var metadata esdb.StreamMetadata
	metadata.SetMaxCount(checkpointEventsKept)
	if _, err := c.store.client.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, metadata); err != nil {
		return fmt.Errorf("set metadata of %s: %w", stream, err)
	}
	return nil
}

// Claim takes or renews the lease on name for holder. The append expects
// the revision of the lease it read, so of two claimants one wins.
func (c *Checkpoints) Claim(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	stream := c.store.leaseStream(name)
	recorded, err := c.store.lastOf(ctx, stream)
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", name, err)
	}
	var expected esdb.ExpectedRevision = esdb.NoStream{}
	if recorded != nil {
		var current eventstore.Lease
		_ = json.Unmarshal(recorded.Data, &current)
		if current.HeldByOther(holder, now) {
			return false, nil
		}
		expected = esdb.Revision(recorded.EventNumber)
	}
	next, err := json.Marshal(eventstore.Lease{Holder: holder, Expires: now.Add(ttl)})
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", name, err)
	}
	result, err := c.store.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expected},
		esdb.EventData{EventType: leaseEventType, ContentType: esdb.ContentTypeJson, Data: next})
	if isWrongExpectedVersion(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", name, err)
	}
	if metadataDue(result.NextExpectedVersion, 1, 0) {
		// The lease is held once its event is appended; the cap only
		// keeps the stream short. Reporting its failure as the claim's
		// would have the caller give up a lease it holds (an error means
		// "not held", see eventstore.Leases), so it is logged, and a
		// later renewal sets the cap again.
		if err := c.store.keepLast(ctx, stream); err != nil {
			c.store.logger.Warn("lease held, but its stream's cap was not set; a later renewal sets it", "lease", name, "error", err)
		}
	}
	return true, nil
}

// Export returns every projection checkpoint, for backups.
func (c *Checkpoints) Export(ctx context.Context) ([]eventstore.Checkpoint, error) {
	prefix := c.store.checkpointStream("")
	streams, err := c.store.streamsStartingWith(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("export checkpoints: %w", err)
	}
	names := make([]string, 0, len(streams))
	for _, stream := range streams {
		names = append(names, strings.TrimPrefix(stream, prefix))
	}
	return eventstore.LoadAll(ctx, c, names)
}

// Import saves checkpoints, for restores.
func (c *Checkpoints) Import(ctx context.Context, checkpoints []eventstore.Checkpoint) error {
	return eventstore.SaveAll(ctx, c, checkpoints)
}

// SignedCheckpoints keeps signed tree checkpoints in one append-only
// stream; the access log is another such stream.
type SignedCheckpoints struct {
	store  *Store
	stream string
}

var _ eventstore.SignedCheckpointLog = (*SignedCheckpoints)(nil)

// SignedCheckpoints returns the store's signed checkpoint log.
func (s *Store) SignedCheckpoints() *SignedCheckpoints {
	return &SignedCheckpoints{store: s, stream: s.signedStream()}
}

// AccessLog returns the store's log of personal-data reads, append-only
// like the signed checkpoints.
func (s *Store) AccessLog() *SignedCheckpoints {
	return &SignedCheckpoints{store: s, stream: MetaStreamPrefix(s.prefix) + "access-log"}
}

// Append stores one signed checkpoint.
func (c *SignedCheckpoints) Append(ctx context.Context, signed []byte) error {
	if len(signed) > signedCheckpointBytesMax {
		return fmt.Errorf("store checkpoint: %d bytes, at most %d: %w", len(signed), signedCheckpointBytesMax, domain.ErrInvalid)
	}
	_, err := c.store.client.AppendToStream(ctx, c.stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}},
		esdb.EventData{EventType: signedCheckpointEventType, ContentType: esdb.ContentTypeBinary, Data: signed})
	if err != nil {
		return fmt.Errorf("store checkpoint: %w: %w", domain.ErrUnavailable, err)
	}
	return nil
}

// Latest returns the last signed checkpoint; domain.ErrNotFound if none.
func (c *SignedCheckpoints) Latest(ctx context.Context) ([]byte, error) {
	recorded, err := c.store.lastOf(ctx, c.stream)
	if err != nil {
		return nil, fmt.Errorf("latest checkpoint: %w", err)
	}
	if recorded == nil {
		return nil, fmt.Errorf("no checkpoint yet (run ledger checkpoint): %w", domain.ErrNotFound)
	}
	return recorded.Data, nil
}

// All returns every signed checkpoint in the order stored.
func (c *SignedCheckpoints) All(ctx context.Context) ([][]byte, error) {
	var all [][]byte
	next := uint64(0)
	for {
		reader, err := c.store.client.ReadStream(ctx, c.stream, esdb.ReadStreamOptions{From: esdb.Revision(next)}, readPageEventsMax)
		if err != nil {
			if isMissingStream(err) {
				return all, nil
			}
			return nil, fmt.Errorf("checkpoints: %w: %w", domain.ErrUnavailable, err)
		}
		read := 0
		for {
			resolved, err := c.store.recv(reader)
			if errors.Is(err, io.EOF) {
				break
			}
			if isMissingStream(err) {
				reader.Close()
				return all, nil
			}
			if err != nil {
				reader.Close()
				return nil, fmt.Errorf("checkpoints: %w: %w", domain.ErrUnavailable, err)
			}
			read++
			recorded := resolved.OriginalEvent()
			all = append(all, recorded.Data)
			next = recorded.EventNumber + 1
		}
		reader.Close()
		if read < readPageEventsMax {
			return all, nil
		}
		if len(all) >= signedCheckpointsMax {
			return nil, fmt.Errorf("checkpoints: more than %d", signedCheckpointsMax)
		}
	}
}

// Keystore keeps each data subject's key as the first event of a stream of
// its own. Destroy leaves a marker with nothing secret as the stream's last
// event and truncates the key away: the key is unreadable at once, and the
// server removes its bytes at the next scavenge (EventStoreDB has no
// overwrite in place like JetStream's secure delete; operators schedule
// scavenges, see docs/OPERATIONS.md).
type Keystore struct{ store *Store }

var _ privacy.KeyArchive = (*Keystore)(nil)

// Keystore returns the store's personal-data keystore.
func (s *Store) Keystore() *Keystore { return &Keystore{store: s} }

// Key returns the subject's key.
func (k *Keystore) Key(ctx context.Context, subject string) ([]byte, error) {
	recorded, err := k.store.firstOf(ctx, k.store.keyStream(subject))
	if err != nil {
		return nil, fmt.Errorf("key of %s: %w", subject, err)
	}
	if recorded == nil || len(recorded.Data) != privacy.KeyBytes {
		return nil, fmt.Errorf("key of %s: %w", subject, domain.ErrNotFound)
	}
	return recorded.Data, nil
}

// CreateKey returns the subject's key, making one if it has none. Two
// processes may both append one; the stream's first event is the key, so
// both then return the same.
func (k *Keystore) CreateKey(ctx context.Context, subject string) ([]byte, error) {
	if key, err := k.Key(ctx, subject); err == nil || !errors.Is(err, domain.ErrNotFound) {
		return key, err
	}
	key := make([]byte, privacy.KeyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := k.put(ctx, subject, key); err != nil {
		return nil, err
	}
	return k.Key(ctx, subject)
}

func (k *Keystore) put(ctx context.Context, subject string, key []byte) error {
	if err := putKey(ctx, k.store.client, k.store.keyStream(subject), k.store.user, key); err != nil {
		return fmt.Errorf("create key of %s: %w", subject, err)
	}
	return nil
}

// keyStreamAdminRole is EventStoreDB's administrators' role.
const keyStreamAdminRole = "$admins"

// keyStreamACL lets only administrators and the ledger's own user (user,
// from the connection string; none when it connects as an administrator
// or anonymously) read, write, delete or change a key stream. By default
// any authenticated user may read a user stream, and a key makes a
// person's data readable.
func keyStreamACL(user string) esdb.Acl {
	roles := []string{keyStreamAdminRole}
	if user != "" {
		roles = append(roles, user)
	}
	var acl esdb.Acl
	acl.AddReadRoles(roles...)
	acl.AddWriteRoles(roles...)
	acl.AddDeleteRoles(roles...)
	acl.AddMetaReadRoles(roles...)
	acl.AddMetaWriteRoles(roles...)
	return acl
}

// keyWriter is what writing a key asks of the EventStoreDB client
// (*esdb.Client has it).
type keyWriter interface {
	GetStreamMetadata(ctx context.Context, stream string, options esdb.ReadStreamOptions) (*esdb.StreamMetadata, error)
	SetStreamMetadata(ctx context.Context, stream string, options esdb.AppendToStreamOptions, metadata esdb.StreamMetadata) (*esdb.WriteResult, error)
	AppendToStream(ctx context.Context, stream string, options esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error)
}

var _ keyWriter = (*esdb.Client)(nil)

// putKey writes a key stream's ACL and then the key: set the other way
// round, the key would be readable by any user until the ACL landed. The
// stream's metadata is kept but for the ACL, since metadata is replaced
// whole: a subject whose key was erased has a truncated, deleted stream,
// and metadata without its truncation would bring the old key back.
func putKey(ctx context.Context, client keyWriter, stream, user string, key []byte) error {
	// The client reads the first metadata event unless told to read the
	// last, which is the one in force.
	current, err := client.GetStreamMetadata(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}})
	if err != nil && !isMissingStream(err) {
		return fmt.Errorf("read the key stream's metadata: %w: %w", domain.ErrUnavailable, err)
	}
	var metadata esdb.StreamMetadata
	if err == nil && current != nil {
		metadata = *current
	}
	metadata.SetAcl(keyStreamACL(user))
	if _, err := client.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, metadata); err != nil {
		return fmt.Errorf("restrict the key stream to the ledger: %w: %w", domain.ErrUnavailable, err)
	}
	_, err = client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}},
		esdb.EventData{EventType: subjectKeyEventType, ContentType: esdb.ContentTypeBinary, Data: key})
	if err != nil {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return nil
}

// Destroy erases the subject's key. Deleting the key stream alone would
// not: a scavenge never removes a stream's last event (a deleted stream
// keeps it), and a key stream usually holds one event, the key. So a
// marker that holds nothing secret is appended first, the stream is
// truncated before the marker (reads stop returning the key at once, and
// the next scavenge removes its bytes), and then the stream is deleted.
func (k *Keystore) Destroy(ctx context.Context, subject string) error {
	if _, err := k.Key(ctx, subject); err != nil {
		return err
	}
	if err := destroyKeyStream(ctx, k.store.client, k.store.keyStream(subject), k.store.user); err != nil {
		return fmt.Errorf("destroy key of %s: %w", subject, err)
	}
	return nil
}

// keyEraser is what destroying a key asks of the EventStoreDB client
// (*esdb.Client has it), so the order of the calls can be checked without a
// server.
type keyEraser interface {
	AppendToStream(ctx context.Context, stream string, options esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error)
	SetStreamMetadata(ctx context.Context, stream string, options esdb.AppendToStreamOptions, metadata esdb.StreamMetadata) (*esdb.WriteResult, error)
	DeleteStream(ctx context.Context, stream string, options esdb.DeleteStreamOptions) (*esdb.DeleteResult, error)
}

var _ keyEraser = (*esdb.Client)(nil)

// destroyKeyStream appends the marker, truncates the stream before it and
// deletes the stream; it stops at the first call that fails, so a key is
// never reported destroyed while its bytes may survive a scavenge as the
// stream's last event. The truncating metadata keeps the stream's ACL
// (metadata is replaced whole), so the key's bytes stay closed to other
// users until the scavenge.
func destroyKeyStream(ctx context.Context, client keyEraser, stream, user string) error {
	marker, err := client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}},
		esdb.EventData{EventType: subjectKeyDestroyedEventType, ContentType: esdb.ContentTypeJson, Data: []byte(`{"destroyed":true}`)})
	if err != nil {
		return fmt.Errorf("mark the key destroyed: %w: %w", domain.ErrUnavailable, err)
	}
	var metadata esdb.StreamMetadata
	metadata.SetTruncateBefore(marker.NextExpectedVersion)
	metadata.SetAcl(keyStreamACL(user))
	if _, err := client.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, metadata); err != nil {
		return fmt.Errorf("truncate the key stream before the marker: %w: %w", domain.ErrUnavailable, err)
	}
	if _, err := client.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Any{}}); err != nil {
		return fmt.Errorf("delete the key stream: %w: %w", domain.ErrUnavailable, err)
	}
	return nil
}

// Export returns every subject's key; erased subjects have none.
func (k *Keystore) Export(ctx context.Context) (map[string][]byte, error) {
	streams, err := k.store.streamsStartingWith(ctx, k.store.keyStreamPrefix())
	if err != nil {
		return nil, fmt.Errorf("export keys: %w", err)
	}
	keys := map[string][]byte{}
	for _, stream := range streams {
		subject, err := hex.DecodeString(strings.TrimPrefix(stream, k.store.keyStreamPrefix()))
		if err != nil {
			continue
		}
		key, err := k.Key(ctx, string(subject))
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		keys[string(subject)] = key
	}
	return keys, nil
}

// Import stores keys; a subject that has a key keeps it.
func (k *Keystore) Import(ctx context.Context, keys map[string][]byte) error {
	for subject, key := range keys {
		if len(key) != privacy.KeyBytes {
			return fmt.Errorf("import key of %s: %d bytes, want %d: %w", subject, len(key), privacy.KeyBytes, domain.ErrInvalid)
		}
		if _, err := k.Key(ctx, subject); err == nil {
			continue
		} else if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if err := k.put(ctx, subject, key); err != nil {
			return err
		}
	}
	return nil
}
