// Package privacy keeps personal data erasable in an append-only ledger:
// each person's data is sealed with a key of that person's own (AES-256-GCM
// from the standard library), the keys live in a keystore apart from the log,
// and forgetting a person destroys the key. The events, their Merkle leaves
// and every total stay as they were; only the person's fields read "erased".
package privacy

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
)

// KeyBytes is the size of a subject key: AES-256.
const KeyBytes = 32

// ReservedSubjectPrefix begins the keystore subjects that hold the
// ledger's own secrets (BankLineIDSecret) rather than a person's key. No
// person's subject id can begin with it: a subject id is a key (letters,
// digits and . _ : -, domain.Validator checks it), and a key holds no "/".
// The keystores store any subject alike, so the secrets are backed up,
// restored and migrated with the people's keys.
const ReservedSubjectPrefix = "ledger/"

// BankLineIDSecret is the keystore subject of the secret that bank lines'
// ids are keyed with (reconcile.LineIDs): an unkeyed hash of a line's
// content would let anyone shown the line's other fields guess the
// counterparty's name from its id. It is made on first use and lives with
// the people's keys, so a restored or migrated ledger computes the same ids.
const BankLineIDSecret = ReservedSubjectPrefix + "bank-line-ids"

// Reserved reports whether a subject names one of the ledger's own secrets:
// such a subject is never sealed under and never forgotten, since no person
// owns it and destroying it would break what the ledger computes with it.
func Reserved(subject string) bool { return strings.HasPrefix(subject, ReservedSubjectPrefix) }

// Keystore keeps one key per data subject.
type Keystore interface {
	// Key returns the subject's key; domain.ErrNotFound if it has none
	// (never created, or destroyed).
	Key(ctx context.Context, subject string) ([]byte, error)
	// CreateKey returns the subject's key, making one if it has none.
	CreateKey(ctx context.Context, subject string) ([]byte, error)
	// Destroy erases the subject's key for good.
	Destroy(ctx context.Context, subject string) error
}

// KeyArchive is a keystore whose keys can be copied out and in, for backups
// and migrations. Keys of erased subjects are gone and are not exported.
type KeyArchive interface {
	Keystore
	// Export returns every subject's key.
	Export(ctx context.Context) (map[string][]byte, error)
	// Import stores keys, leaving a subject that has one unchanged.
	Import(ctx context.Context, keys map[string][]byte) error
}

// Sealer seals and unseals the personal part of events.
type Sealer struct {
	keys   Keystore
	logger *slog.Logger
}

// NewSealer returns a sealer on a keystore.
func NewSealer(keys Keystore, logger *slog.Logger) *Sealer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sealer{keys: keys, logger: logger}
}

type person struct {
	role   string
	person domain.Person
}

func people(personal *domain.Personal) []person {
	if personal == nil {
		return nil
	}
	var out []person
	if personal.Donor != nil {
		out = append(out, person{domain.RoleDonor, *personal.Donor})
	}
	for _, worker := range personal.Workers {
		out = append(out, person{domain.RoleWorker, worker})
	}
	return out
}

// Seal replaces the event's personal part with one sealed record per
// person. A person without a subject id gets a fresh one: give a stable id
// (a donor registry number, say) to be able to forget all of a person's
// entries at once.
func (s *Sealer) Seal(ctx context.Context, event *domain.Event) error {
	return s.seal(ctx, event, s.keys.CreateKey)
}

// SealKnown is Seal with the keys people have already, making none: a
// check of an event that writes nothing (the ledger's Try) seals it to
// compare it with what its idempotency key wrote. An event with a person
// who has no key is left as it is, since it cannot be what was written.
func (s *Sealer) SealKnown(ctx context.Context, event *domain.Event) error {
	err := s.seal(ctx, event, s.keys.Key)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	return err
}

// PendingKeys are the keys a request's new people get if the request is
// written. SealPending makes them in memory and StorePending stores them
// once the ledger has decided to write: a request the ledger refuses leaves
// nothing in the keystore, and a retry under new subject ids cannot grow it.
// Its size is bounded by the people of one request (the ledger's
// PersonsPerRequestMax).
type PendingKeys struct{ keys map[string][]byte }

// NewPendingKeys returns an empty set of pending keys.
func NewPendingKeys() *PendingKeys { return &PendingKeys{keys: map[string][]byte{}} }

// Len is how many keys wait to be stored.
func (p *PendingKeys) Len() int { return len(p.keys) }

// ErrKeyRaced says another writer stored a key for a subject between the
// sealing and the storing of a pending key: what was sealed under the
// pending key must be sealed again under the stored one.
var ErrKeyRaced = errors.New("another writer made the subject's key first")

// KeyRacedError names the subject whose pending key lost the race.
type KeyRacedError struct{ Subject string }

func (e *KeyRacedError) Error() string {
	return fmt.Sprintf("seal: key of %s: %v", e.Subject, ErrKeyRaced)
}

func (e *KeyRacedError) Unwrap() error { return ErrKeyRaced }

// SealPending is Seal that makes no key in the keystore: a person who has
// a key is sealed with it, and one who has none with a new key kept in
// pending until StorePending stores it.
func (s *Sealer) SealPending(ctx context.Context, event *domain.Event, pending *PendingKeys) error {
	return s.seal(ctx, event, func(ctx context.Context, subject string) ([]byte, error) {
		if key, ok := pending.keys[subject]; ok {
			return key, nil
		}
		key, err := s.keys.Key(ctx, subject)
		if err == nil || !errors.Is(err, domain.ErrNotFound) {
			return key, err
		}
		key = make([]byte, KeyBytes)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		pending.keys[subject] = key
		return key, nil
	})
}

// SealWithoutKeys seals the event with a throwaway key and reads and makes
// no key: the sealed event has the size the real one will have (the sizes
// of nonces, ciphertexts and digests do not depend on the key), so its size
// can be checked before anything is made for it. Its sealed part opens for
// no one.
func SealWithoutKeys(event *domain.Event) error {
	throwaway := make([]byte, KeyBytes)
	return (&Sealer{}).seal(context.Background(), event, func(context.Context, string) ([]byte, error) { return throwaway, nil })
}

// StorePending stores the pending keys and empties pending. A subject that
// another writer gave a key meanwhile keeps that key, and StorePending
// fails with a *KeyRacedError: the events sealed under the pending key
// must be sealed again (SealPending reads the stored key then).
func (s *Sealer) StorePending(ctx context.Context, pending *PendingKeys) error {
	archive, canImport := s.keys.(KeyArchive)
	var raced error
	for subject, key := range pending.keys {
		var stored []byte
		var err error
		if canImport {
			if err = archive.Import(ctx, map[string][]byte{subject: key}); err == nil {
				stored, err = s.keys.Key(ctx, subject)
			}
		} else {
			// A keystore that cannot take a key made elsewhere makes its
			// own: the events are sealed again with it.
			stored, err = s.keys.CreateKey(ctx, subject)
		}
		if err != nil {
			return fmt.Errorf("seal: store key of %s: %w", subject, err)
		}
		delete(pending.keys, subject)
		if !hmac.Equal(stored, key) && raced == nil {
			raced = &KeyRacedError{Subject: subject}
		}
	}
	return raced
}

func (s *Sealer) seal(ctx context.Context, event *domain.Event, keyOf func(ctx context.Context, subject string) ([]byte, error)) error {
	if event.Personal == nil {
		return nil
	}
	var sealed []domain.SealedPerson
	for i, p := range people(event.Personal) {
		if p.person.SubjectID == "" {
			p.person.SubjectID = subjectFor(event.IdempotencyKey, p.role, i)
		}
		if Reserved(p.person.SubjectID) {
			// Validation refuses such an id already; sealing a person
			// under the ledger's own secret would hand it to erasure.
			return fmt.Errorf("seal: %s is reserved for the ledger's own secrets: %w", p.person.SubjectID, domain.ErrInvalid)
		}
		key, err := keyOf(ctx, p.person.SubjectID)
		if err != nil {
			return fmt.Errorf("seal: key of %s: %w", p.person.SubjectID, err)
		}
		plaintext, err := json.Marshal(withoutSubject(p.person))
		if err != nil {
			return err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return err
		}
		digest := hmac.New(sha256.New, key)
		digest.Write(plaintext)
		sealed = append(sealed, domain.SealedPerson{SubjectID: p.person.SubjectID, Role: p.role, Nonce: nonce,
			Ciphertext: aead.Seal(nil, nonce, plaintext, additionalData(event, p.person.SubjectID, p.role)), Digest: digest.Sum(nil)})
	}
	event.Sealed, event.Personal = sealed, nil
	return nil
}

// subjectFor names a person the client gave no subject id: derived from the
// request's idempotency key when there is one, so a retry seals under the
// same key and compares equal; random otherwise. Never from the personal
// data itself.
func subjectFor(idempotencyKey, role string, index int) string {
	if idempotencyKey == "" {
		return "subject-" + uuid.NewString()
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d", idempotencyKey, role, index)))
	return "subject-" + hex.EncodeToString(sum[:])[:24]
}

func withoutSubject(p domain.Person) domain.Person {
	p.SubjectID = ""
	return p
}

// additionalData binds a ciphertext to its event and person: a sealed
// record copied into another event does not open.
func additionalData(event *domain.Event, subject, role string) []byte {
	return []byte(event.ID.String() + "|" + subject + "|" + role)
}

// Unseal fills the event's personal part from its sealed records. A person
// whose key is gone, or whose record does not open, reads as erased: never
// garbage, never a failure.
func (s *Sealer) Unseal(ctx context.Context, event *domain.Event) error {
	if len(event.Sealed) == 0 {
		return nil
	}
	personal := &domain.Personal{}
	for _, sealed := range event.Sealed {
		opened, err := s.open(ctx, event, sealed)
		if err != nil && !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, errDoesNotOpen) {
			return err
		}
		switch sealed.Role {
		case domain.RoleDonor:
			personal.Donor = &opened
		default:
			personal.Workers = append(personal.Workers, opened)
		}
	}
	event.Personal = personal
	return nil
}

var errDoesNotOpen = errors.New("sealed record does not open with the key")

func (s *Sealer) open(ctx context.Context, event *domain.Event, sealed domain.SealedPerson) (domain.Person, error) {
	erased := domain.Person{SubjectID: sealed.SubjectID, Erased: true}
	key, err := s.keys.Key(ctx, sealed.SubjectID)
	if err != nil {
		return erased, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return erased, errDoesNotOpen
	}
	aead, err := cipher.NewGCM(block)
	if err != nil || len(sealed.Nonce) != aead.NonceSize() {
		return erased, errDoesNotOpen
	}
	plaintext, err := aead.Open(nil, sealed.Nonce, sealed.Ciphertext, additionalData(event, sealed.SubjectID, sealed.Role))
	if err != nil {
		s.logger.Warn("sealed personal data does not open", "event", event.ID.String(), "subject", sealed.SubjectID)
		return erased, errDoesNotOpen
	}
	var opened domain.Person
	if err := json.Unmarshal(plaintext, &opened); err != nil {
		return erased, errDoesNotOpen
	}
	opened.SubjectID = sealed.SubjectID
	return opened, nil
}

// Subjects lists the subject ids sealed in an event.
func Subjects(event domain.Event) []string {
	var out []string
	for _, sealed := range event.Sealed {
		out = append(out, sealed.SubjectID)
	}
	return out
}

// MemoryKeystore keeps keys in memory, for tests and tools. It is safe for
// concurrent use, as a ledger's keystore must be.
type MemoryKeystore struct {
	mu   sync.Mutex
	keys map[string][]byte
}

var _ KeyArchive = (*MemoryKeystore)(nil)

// NewMemoryKeystore returns an empty keystore.
func NewMemoryKeystore() *MemoryKeystore { return &MemoryKeystore{keys: map[string][]byte{}} }

func (m *MemoryKeystore) Key(_ context.Context, subject string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, ok := m.keys[subject]
	if !ok {
		return nil, fmt.Errorf("key of %s: %w", subject, domain.ErrNotFound)
	}
	return key, nil
}

func (m *MemoryKeystore) CreateKey(_ context.Context, subject string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if key, ok := m.keys[subject]; ok {
		return key, nil
	}
	key := make([]byte, KeyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	m.keys[subject] = key
	return key, nil
}

func (m *MemoryKeystore) Destroy(_ context.Context, subject string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, subject)
	return nil
}

// Export returns every key.
func (m *MemoryKeystore) Export(context.Context) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]byte, len(m.keys))
	for subject, key := range m.keys {
		out[subject] = key
	}
	return out, nil
}

// Import stores keys, leaving a subject that has one unchanged.
func (m *MemoryKeystore) Import(_ context.Context, keys map[string][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for subject, key := range keys {
		if _, ok := m.keys[subject]; !ok {
			m.keys[subject] = key
		}
	}
	return nil
}
