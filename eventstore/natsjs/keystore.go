package natsjs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/privacy"
)

// KeystoreBucket is the KV bucket of personal-data keys, one per data
// subject. It is apart from the ledger stream so that NATS permissions can
// keep it from everyone but the ledger, and so a key can be destroyed while
// the log stays append-only.
const KeystoreBucket = "LEDGER_KEYS"

// subjectKeyBytes is the size of one key (AES-256).
const subjectKeyBytes = 32

var _ privacy.KeyArchive = (*Keystore)(nil)

// Keystore keeps subject keys in a JetStream KV bucket.
type Keystore struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream
}

// OpenKeystore creates or opens the keystore bucket.
func OpenKeystore(ctx context.Context, connection *nats.Conn, replicas int) (*Keystore, error) {
	js, replicas, err := jetStreamFor(connection, replicas)
	if err != nil {
		return nil, fmt.Errorf("open keystore: %w", err)
	}
	// The bucket's stream is made here rather than by the KV API: KV
	// streams refuse message deletes, and the keystore needs them, so that a
	// destroyed key is overwritten on disk, not only hidden. It refuses
	// purges and roll-ups, which the keystore never uses: a purge request,
	// or a single publish with the header "Nats-Rollup: all", would
	// otherwise destroy every key at once. A stream made before with
	// roll-ups allowed is updated to this when the operator provisions it.
	stream, err := createStream(ctx, js, jetstream.StreamConfig{
		Name: KeystoreStream, Description: "Personal-data keys, one per data subject; destroying one erases that person",
		Subjects: []string{"$KV." + KeystoreBucket + ".>"}, Storage: jetstream.FileStorage, Replicas: replicas,
		MaxMsgsPerSubject: 1, MaxMsgs: -1, MaxBytes: -1, Discard: jetstream.DiscardNew, AllowRollup: false,
		AllowDirect: true, DenyDelete: false, DenyPurge: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open keystore: %w", err)
	}
	kv, err := js.KeyValue(ctx, KeystoreBucket)
	if err != nil {
		return nil, fmt.Errorf("open keystore: %w", err)
	}
	return &Keystore{kv: kv, stream: stream}, nil
}

// keyName turns a subject id into a KV key (subject ids may hold characters
// keys may not).
func keyName(subject string) string { return "s." + hex.EncodeToString([]byte(subject)) }

// Key returns the subject's key.
func (k *Keystore) Key(ctx context.Context, subject string) ([]byte, error) {
	entry, err := k.kv.Get(ctx, keyName(subject))
	if errors.Is(err, jetstream.ErrKeyNotFound) || (err == nil && len(entry.Value()) != subjectKeyBytes) {
		return nil, fmt.Errorf("key of %s: %w", subject, domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("key of %s: %w: %w", subject, domain.ErrUnavailable, err)
	}
	return entry.Value(), nil
}

// CreateKey returns the subject's key, making one if it has none.
func (k *Keystore) CreateKey(ctx context.Context, subject string) ([]byte, error) {
	if key, err := k.Key(ctx, subject); err == nil || !errors.Is(err, domain.ErrNotFound) {
		return key, err
	}
	key := make([]byte, subjectKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := k.kv.Create(ctx, keyName(subject), key); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return k.Key(ctx, subject)
		}
		return nil, fmt.Errorf("create key of %s: %w: %w", subject, domain.ErrUnavailable, err)
	}
	return key, nil
}

// Destroy erases the subject's key: the stored message is overwritten
// (JetStream's secure delete), not just marked deleted.
func (k *Keystore) Destroy(ctx context.Context, subject string) error {
	entry, err := k.kv.Get(ctx, keyName(subject))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("key of %s: %w", subject, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("destroy key of %s: %w", subject, err)
	}
	if err := k.stream.SecureDeleteMsg(ctx, entry.Revision()); err != nil {
		return fmt.Errorf("destroy key of %s: %w", subject, err)
	}
	return nil
}

// Export returns every key, for backups.
func (k *Keystore) Export(ctx context.Context) (map[string][]byte, error) {
	keys, err := k.kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for name := range keys.Keys() {
		entry, err := k.kv.Get(ctx, name)
		if err != nil {
			continue
		}
		subject, err := hex.DecodeString(name[2:])
		if err == nil && len(entry.Value()) == subjectKeyBytes {
			out[string(subject)] = entry.Value()
		}
	}
	return out, nil
}

// Import stores keys, for restores and migrations. A subject that has a
// key keeps it: events already sealed with it must stay readable.
func (k *Keystore) Import(ctx context.Context, keys map[string][]byte) error {
	for subject, key := range keys {
		if _, err := k.kv.Create(ctx, keyName(subject), key); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("import key of %s: %w", subject, err)
		}
	}
	return nil
}
