package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/internal/private"
	"github.com/ordos-union/ledger/node"
)

// A backup is a directory:
//
//	manifest.json     head, counts, time, and the SHA-256 of events.jsonl
//	events.jsonl      every message of the ledger stream in order: position,
//	                  subject, the ledger's headers, the stored bytes
//	checkpoints.note  every signed checkpoint, divided by lines of "---"
//	projections.json  the projection checkpoints (state and position)
//	keys.json         the personal-data keys, one per data subject
//	signing.key       the checkpoint signing key, only WithSigningKey
//	verifier.key      the verifier key
//
// Encrypted to age recipients, every file but the manifest is NAME.age; the
// manifest says so.
const (
	manifestName    = "manifest.json"
	eventsName      = "events.jsonl"
	checkpointsName = "checkpoints.note"
	projectionsName = "projections.json"
	keysName        = "keys.json"
	signingKeyName  = "signing.key"
	verifierKeyName = "verifier.key"
)

// ErrEncrypted is Open's refusal of an encrypted backup without an
// identity.
var ErrEncrypted = errors.New("the backup is encrypted")

// Manifest describes a backup.
type Manifest struct {
	Head          uint64    `json:"head"`
	Events        int       `json:"events"`
	Checkpoints   int       `json:"checkpoints"`
	Projections   int       `json:"projections"`
	CreatedAt     time.Time `json:"created_at"`
	EventsSHA256  string    `json:"events_sha256"`
	LedgerVersion int       `json:"schema_version"`
	// Encrypted: the other files are NAME.age, for age identities.
	Encrypted bool `json:"encrypted"`
	// SigningKey: the backup holds the checkpoint signing key.
	SigningKey bool `json:"signing_key"`
}

type event struct {
	Position uint64            `json:"position"`
	Subject  string            `json:"subject"`
	Headers  map[string]string `json:"headers"`
	Data     string            `json:"data"`
}

// Options of a backup.
type Options struct {
	// Recipients the backup is encrypted to; none writes it in the clear.
	Recipients []age.Recipient
	// WithSigningKey includes the checkpoint signing key: whoever holds
	// the backup can then sign checkpoints as the ledger.
	WithSigningKey bool
}

// Write backs the JetStream ledger up to dir, a new or empty directory:
// the projection checkpoints first, then the log up to its head, so every
// checkpoint reflects a position the backup holds; the signed checkpoints
// the backup covers; the personal-data keys (without them a restored
// ledger could not read anyone's personal data); the verifier key, and the
// signing key when asked.
//
// The directory is made mode 0700 (an existing empty one of ours is made
// so); one another user owns or may write is refused before anything is
// written, for they could put a link where a backup file is about to be
// made. Every file is new, mode 0600 (files.open).
func Write(ctx context.Context, ledger *node.Node, dir string, options Options) (Manifest, error) {
	if ledger.JetStream == nil {
		return Manifest{}, errors.New("backup works on the JetStream store")
	}
	root, err := openNewDir(dir)
	if err != nil {
		return Manifest{}, err
	}
	defer root.Close()
	out := files{dir: dir, root: root, recipients: options.Recipients}
	projections, err := ledger.Checkpoints.Export(ctx)
	if err != nil {
		return Manifest{}, err
	}
	head, err := ledger.Store.Head(ctx)
	if err != nil {
		return Manifest{}, err
	}
	count, sum, err := writeEvents(ctx, ledger.JetStream, out, head)
	if err != nil {
		return Manifest{}, err
	}
	signed, err := ledger.Signed.All(ctx)
	if err != nil {
		return Manifest{}, err
	}
	var covered [][]byte
	for _, text := range signed {
		if checkpoint, err := integrity.ParseCheckpointNote(text); err == nil && checkpoint.Size <= int64(head) {
			covered = append(covered, text)
		}
	}
	if err := out.write(checkpointsName, joinNotes(covered)); err != nil {
		return Manifest{}, err
	}
	if err := writeJSON(out, projectionsName, projections); err != nil {
		return Manifest{}, err
	}
	keys, err := ledger.Keystore.Export(ctx)
	if err != nil {
		return Manifest{}, err
	}
	if err := writeJSON(out, keysName, keys); err != nil {
		return Manifest{}, err
	}
	keyFiles := []string{verifierKeyName}
	if options.WithSigningKey {
		keyFiles = append(keyFiles, signingKeyName)
	}
	for _, name := range keyFiles {
		read := os.ReadFile
		if name == signingKeyName {
			// A signing key others could read is no longer the ledger's
			// alone: it is refused (private.ExposedError), not copied on.
			read = private.ReadFile
		}
		content, err := read(filepath.Join(integrity.Dir(ledger.DataDir), name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Manifest{}, err
		}
		if err := out.write(name, content); err != nil {
			return Manifest{}, err
		}
	}
	manifest := Manifest{Head: head, Events: count, Checkpoints: len(covered), Projections: len(projections),
		CreatedAt: time.Now().UTC(), EventsSHA256: sum, LedgerVersion: domain.SchemaVersion,
		Encrypted: out.encrypted(), SigningKey: options.WithSigningKey}
	content, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	return manifest, out.writeClear(manifestName, append(content, '\n'))
}

// openNewDir makes or takes the backup directory (private.OpenDir) and
// checks it is empty: a backup is never mixed with other files.
func openNewDir(dir string) (*os.Root, error) {
	root, err := private.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("backup directory: %w", err)
	}
	entries, err := readRoot(root)
	if err == nil && len(entries) > 0 {
		err = fmt.Errorf("%s is not empty: a backup goes to a new directory", dir)
	}
	if err != nil {
		_ = root.Close()
		return nil, err
	}
	return root, nil
}

// readRoot names what the opened directory holds.
func readRoot(root *os.Root) ([]os.DirEntry, error) {
	listing, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	defer listing.Close()
	return listing.ReadDir(0)
}

// writeEvents writes every message of the log up to head, and returns how
// many and the SHA-256 of the file's plain content.
func writeEvents(ctx context.Context, store *natsjs.Store, out files, head uint64) (int, string, error) {
	file, err := out.create(eventsName)
	if err != nil {
		return 0, "", err
	}
	hash := sha256.New()
	writer := bufio.NewWriter(io.MultiWriter(file, hash))
	count := 0
	for raw, err := range store.Raw(ctx, 0) {
		if err != nil {
			file.Close()
			return 0, "", err
		}
		if raw.Position > head {
			break
		}
		headers := map[string]string{}
		for name := range raw.Header {
			if !strings.HasPrefix(name, "Nats-") {
				headers[name] = raw.Header.Get(name)
			}
		}
		line, err := json.Marshal(event{Position: raw.Position, Subject: raw.Subject, Headers: headers, Data: base64.StdEncoding.EncodeToString(raw.Data)})
		if err != nil {
			file.Close()
			return 0, "", err
		}
		writer.Write(line)
		writer.WriteByte('\n')
		count++
	}
	if err := writer.Flush(); err != nil {
		file.Close()
		return 0, "", err
	}
	return count, hex.EncodeToString(hash.Sum(nil)), file.Close()
}

func writeJSON(out files, name string, value any) error {
	content, err := json.MarshalIndent(value, "", "  ")
	if err != nil {
		return err
	}
	return out.write(name, content)
}

func joinNotes(notes [][]byte) []byte {
	var out []byte
	for i, note := range notes {
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, note...)
	}
	return out
}

// Backup is a backup opened for restoring: its manifest read and its log
// checked against the manifest's hash.
type Backup struct {
	Manifest Manifest
	files    files
	events   []byte
	// byPosition indexes events by position, made at the first Event.
	byPosition map[uint64]natsjs.RawMessage
}

// Open reads a backup's manifest and its log, checking the log against
// the manifest's hash. An encrypted backup needs identities
// (ErrEncrypted without).
//
// A backup directory, or a file of it, that other users may write is
// refused: they could have replaced the events, the keys or the verifier
// key the restore is checked with.
func Open(dir string, identities []age.Identity) (*Backup, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if err := private.CheckNotWritable(dir, info); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	backupFiles := files{dir: dir, identities: identities}
	var manifest Manifest
	content, err := backupFiles.read(manifestName, false)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(content, &manifest); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	if manifest.Encrypted && len(identities) == 0 {
		return nil, ErrEncrypted
	}
	// Every file is read again when it is used; checked here as well, a
	// backup others may have changed is refused before anything is
	// restored from it.
	for _, name := range []string{eventsName, checkpointsName, projectionsName, keysName, signingKeyName, verifierKeyName} {
		path := filepath.Join(dir, name)
		if manifest.Encrypted {
			path += backupAgeSuffix
		}
		if info, err := os.Stat(path); err == nil {
			if err := private.CheckNotWritable(path, info); err != nil {
				return nil, fmt.Errorf("backup: %w", err)
			}
		}
	}
	opened := &Backup{Manifest: manifest, files: backupFiles}
	if opened.events, err = opened.read(eventsName); err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(opened.events); hex.EncodeToString(sum[:]) != manifest.EventsSHA256 {
		return nil, fmt.Errorf("%s does not match the manifest's hash: the backup is damaged", eventsName)
	}
	return opened, nil
}

func (b *Backup) read(name string) ([]byte, error) { return b.files.read(name, b.Manifest.Encrypted) }

// readIfThere reads a file a backup may lack (false when it does). Any
// other failure is an error: a file that does not decrypt, or that is
// refused, is not quietly restored as nothing.
func (b *Backup) readIfThere(name string) ([]byte, bool, error) {
	content, err := b.read(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return content, err == nil, err
}

// VerifierKey is the verifier key the backup holds, if any.
func (b *Backup) VerifierKey() (string, bool) {
	key, err := b.read(verifierKeyName)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(key)), true
}

// WriteKeys puts the backup's signing and verifier keys into a data
// directory before the ledger there is opened (mode 0600).
func (b *Backup) WriteKeys(dataDir string) error {
	if err := os.MkdirAll(integrity.Dir(dataDir), 0o700); err != nil {
		return err
	}
	for _, name := range []string{signingKeyName, verifierKeyName} {
		key, found, err := b.readIfThere(name)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		// Written beside the name and renamed over it: never through a
		// link that stands there.
		if err := atomicfile.Write(filepath.Join(integrity.Dir(dataDir), name), key, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Restored says what Restore wrote.
type Restored struct {
	Events      int
	Checkpoints int
	Projections int
}

// Restore writes the backup into an empty JetStream ledger: every event at
// its original position with its subject, headers and bytes, the signed
// checkpoints, the projection checkpoints and the personal-data keys.
func (b *Backup) Restore(ctx context.Context, ledger *node.Node) (Restored, error) {
	var restored Restored
	if ledger.JetStream == nil {
		return restored, errors.New("restore works on the JetStream store")
	}
	if head, err := ledger.Store.Head(ctx); err != nil || head != 0 {
		return restored, fmt.Errorf("the target ledger is not empty (head %d): restore goes into an empty one", head)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b.events)), "\n") {
		if line == "" {
			continue
		}
		message, err := parseEvent(line)
		if err != nil {
			return restored, fmt.Errorf("%s line %d: %w", eventsName, i+1, err)
		}
		if err := ledger.JetStream.RestoreRaw(ctx, message); err != nil {
			return restored, err
		}
		restored.Events++
	}
	notes, err := b.read(checkpointsName)
	if err != nil {
		return restored, err
	}
	if len(notes) > 0 {
		for _, note := range strings.Split(string(notes), "---\n") {
			if err := ledger.Signed.Append(ctx, []byte(note)); err != nil {
				return restored, err
			}
			restored.Checkpoints++
		}
	}
	var projections []eventstore.Checkpoint
	if content, found, err := b.readIfThere(projectionsName); err != nil {
		return restored, err
	} else if found {
		if err := json.Unmarshal(content, &projections); err != nil {
			return restored, fmt.Errorf("%s: %w", projectionsName, err)
		}
	}
	if err := ledger.Checkpoints.Import(ctx, projections); err != nil {
		return restored, err
	}
	restored.Projections = len(projections)
	var keys map[string][]byte
	if content, found, err := b.readIfThere(keysName); err != nil {
		return restored, err
	} else if found {
		if err := json.Unmarshal(content, &keys); err != nil {
			return restored, fmt.Errorf("%s: %w", keysName, err)
		}
	}
	return restored, ledger.Keystore.Import(ctx, keys)
}

// Event is the message the backup holds at a position of the log, with
// the subject and the ledger's headers it was stored with, for putting a
// lost position back (a node.LostSource, for node.RepairDataDir); false
// when the backup has none.
func (b *Backup) Event(position uint64) (natsjs.RawMessage, bool) {
	if b.byPosition == nil {
		b.byPosition = map[uint64]natsjs.RawMessage{}
		for line := range strings.SplitSeq(strings.TrimSpace(string(b.events)), "\n") {
			// A line restore would refuse is no position to put back.
			if message, err := parseEvent(line); line != "" && err == nil {
				b.byPosition[message.Position] = message
			}
		}
	}
	message, ok := b.byPosition[position]
	return message, ok
}

// parseEvent reads one line of the backup's events file: a message at
// its position, with its subject, headers and bytes as they were stored.
func parseEvent(line string) (natsjs.RawMessage, error) {
	var stored event
	if err := json.Unmarshal([]byte(line), &stored); err != nil {
		return natsjs.RawMessage{}, err
	}
	data, err := base64.StdEncoding.DecodeString(stored.Data)
	if err != nil {
		return natsjs.RawMessage{}, err
	}
	header := nats.Header{}
	for name, value := range stored.Headers {
		header.Set(name, value)
	}
	return natsjs.RawMessage{Position: stored.Position, Subject: stored.Subject, Header: header, Data: data}, nil
}
