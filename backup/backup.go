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
	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/internal/private"
	"github.com/ordos-union/ledger/node"
)

// A backup is a directory:
//
//	manifest.json     head, counts, time, the SHA-256 of events.jsonl, and
//	                  the SHA-256 of every other file as it is stored
//	manifest.sig      a signed note of the manifest's SHA-256, signed with
//	                  the ledger's checkpoint signing key
//	events.jsonl      every message of the ledger stream in order: position,
//	                  subject, the ledger's headers, the stored bytes
//	checkpoints.note  every signed checkpoint, divided by lines of "---"
//	keys.json         the personal-data keys, one per data subject
//	signing.key       the checkpoint signing key, only WithSigningKey
//	verifier.key      the verifier key
//
// Encrypted to age recipients, every file but the manifest and its
// signature is NAME.age; the manifest says so. A backup made before
// manifests were signed has no manifest.sig and lists no files, and may
// hold projections.json (the projection checkpoints), which a restore
// ignores: projections are folded again from the restored log.
const (
	manifestName    = "manifest.json"
	signatureName   = "manifest.sig"
	eventsName      = "events.jsonl"
	checkpointsName = "checkpoints.note"
	projectionsName = "projections.json"
	keysName        = "keys.json"
	signingKeyName  = "signing.key"
	verifierKeyName = "verifier.key"
)

// signatureOrigin opens the text of a backup's signed note: no signed
// tree checkpoint (whose first line is integrity.Origin alone) reads as
// one, nor one as a checkpoint.
const signatureOrigin = integrity.Origin + " backup manifest"

// ErrUnsigned is a backup without a signed manifest (one made before
// backups were signed): nothing ties it to the ledger's key.
var ErrUnsigned = errors.New("the backup is not signed")

// ErrBadSignature is a backup whose manifest's signature does not open
// with the verifier key it was checked against, or is not of its
// manifest.
var ErrBadSignature = errors.New("the backup's signature does not hold")

// WrongKeyError is Check's refusal of a backup whose manifest is signed,
// but not with the key it was checked against. Given is that key and
// Signers the keys that signed, each named as integrity.KeyID names it:
// two ledgers' keys have the same name, and only the hash after it tells
// which is which. It matches ErrBadSignature.
type WrongKeyError struct {
	Given   string
	Signers []string
}

func (e *WrongKeyError) Error() string {
	return fmt.Sprintf("the backup is signed with the key %s, not with %s", strings.Join(e.Signers, " and "), e.Given)
}

// Is makes errors.Is(err, ErrBadSignature) true.
func (e *WrongKeyError) Is(target error) bool { return target == ErrBadSignature }

// ErrEncrypted is Open's refusal of an encrypted backup without an
// identity.
var ErrEncrypted = errors.New("the backup is encrypted")

// Manifest describes a backup.
type Manifest struct {
	Head        uint64 `json:"head"`
	Events      int    `json:"events"`
	Checkpoints int    `json:"checkpoints"`
	// Projections counts the projection checkpoints of a backup made
	// before they were left out; 0 now.
	Projections   int       `json:"projections,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	EventsSHA256  string    `json:"events_sha256"`
	LedgerVersion int       `json:"schema_version"`
	// Encrypted: the other files are NAME.age, for age identities.
	Encrypted bool `json:"encrypted"`
	// SigningKey: the backup holds the checkpoint signing key.
	SigningKey bool `json:"signing_key"`
	// Files are the SHA-256 of every other file of the backup as it is
	// stored (NAME, or NAME.age when encrypted), by that name: a restore
	// uses no file that is not listed, or not as listed. Absent from a
	// backup made before manifests listed them.
	Files map[string]string `json:"files,omitempty"`
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
// the log up to its head; the signed checkpoints the backup covers; the
// personal-data keys (without them a restored ledger could not read
// anyone's personal data); the verifier key, and the signing key when
// asked; then the manifest, which lists every file with its SHA-256, and
// its signature with the ledger's checkpoint signing key, so that a
// restore checked against the ledger's verifier key uses nothing that
// someone else wrote. The projection checkpoints are no part of it: they
// are caches, folded again from the restored log, and a backup's copy of
// them could be written by anyone who knows its public age recipient.
//
// The directory is made mode 0700 (an existing empty one of ours is made
// so); one another user owns or may write is refused before anything is
// written, for they could put a link where a backup file is about to be
// made. Every file is new, mode 0600 (files.open).
func Write(ctx context.Context, ledger *node.Node, dir string, options Options) (Manifest, error) {
	if ledger.JetStream == nil {
		return Manifest{}, errors.New("backup works on the JetStream store")
	}
	// The key signs the manifest: without it nothing is written.
	keys, err := ledger.LedgerKeys()
	if err != nil {
		return Manifest{}, fmt.Errorf("the backup's manifest is signed with the checkpoint signing key: %w", err)
	}
	root, err := openNewDir(dir)
	if err != nil {
		return Manifest{}, err
	}
	defer root.Close()
	out := files{dir: dir, root: root, recipients: options.Recipients, sums: map[string]string{}}
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
	personalKeys, err := ledger.Keystore.Export(ctx)
	if err != nil {
		return Manifest{}, err
	}
	if err := writeJSON(out, keysName, personalKeys); err != nil {
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
	manifest := Manifest{Head: head, Events: count, Checkpoints: len(covered),
		CreatedAt: time.Now().UTC(), EventsSHA256: sum, LedgerVersion: domain.SchemaVersion,
		Encrypted: out.encrypted(), SigningKey: options.WithSigningKey, Files: out.sums}
	content, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	content = append(content, '\n')
	signature, err := signManifest(content, keys.Signer)
	if err != nil {
		return Manifest{}, err
	}
	if err := out.writeClear(manifestName, content); err != nil {
		return Manifest{}, err
	}
	return manifest, out.writeClear(signatureName, signature)
}

// signManifest signs the manifest's SHA-256 as a note.
func signManifest(manifest []byte, signer note.Signer) ([]byte, error) {
	sum := sha256.Sum256(manifest)
	signed, err := note.Sign(&note.Note{Text: signatureOrigin + "\n" + hex.EncodeToString(sum[:]) + "\n"}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign the backup's manifest: %w", err)
	}
	return signed, nil
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
	// manifest is the manifest's bytes, which its signature covers.
	manifest []byte
	files    files
	events   []byte
	// byPosition indexes events by position, made at the first Event.
	byPosition map[uint64]natsjs.RawMessage
}

// Open reads a backup's manifest and its log, checking the log against
// the manifest's hash. An encrypted backup needs identities
// (ErrEncrypted without). When the manifest lists the backup's files,
// every file read from it, now and later, must be listed and match
// (ErrChanged). Who made the backup is Check's to say.
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
	for _, name := range []string{eventsName, checkpointsName, projectionsName, keysName, signingKeyName, verifierKeyName, signatureName} {
		path := filepath.Join(dir, name)
		if manifest.Encrypted && name != signatureName {
			path += backupAgeSuffix
		}
		if info, err := os.Stat(path); err == nil {
			if err := private.CheckNotWritable(path, info); err != nil {
				return nil, fmt.Errorf("backup: %w", err)
			}
		}
	}
	backupFiles.listed = manifest.Files
	if err := backupFiles.checkAll(manifest.Encrypted); err != nil {
		return nil, err
	}
	opened := &Backup{Manifest: manifest, manifest: content, files: backupFiles}
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

// Check says whether the backup is the ledger's whose verifier key
// verifier is: its manifest's signature must open with it and be of its
// manifest (ErrBadSignature), and every signed checkpoint it holds must
// open with it. A backup made before backups were signed is ErrUnsigned.
// The files themselves were checked against the manifest as Open read
// them (and are again as they are read).
//
// Checked against the verifier key the backup itself holds, it proves
// only that the backup is whole: whoever made a backup with a key of
// their own passes. The verifier key must come from outside the backup.
func (b *Backup) Check(verifier note.Verifier) error {
	signed, err := files{dir: b.files.dir}.read(signatureName, false)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrUnsigned
	}
	if err != nil {
		return err
	}
	opened, err := note.Open(signed, note.VerifierList(verifier))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		wrong := &WrongKeyError{Given: integrity.KeyID(verifier.Name(), verifier.KeyHash())}
		for _, signature := range unverified.Note.UnverifiedSigs {
			wrong.Signers = append(wrong.Signers, integrity.KeyID(signature.Name, signature.Hash))
		}
		return wrong
	case errors.As(err, &invalid):
		return fmt.Errorf("%w: %s carries a signature of the key %s that does not hold: the signature or the manifest was altered",
			ErrBadSignature, signatureName, integrity.KeyID(invalid.Name, invalid.Hash))
	case err != nil:
		return fmt.Errorf("%w: %s is no signed note: %v", ErrBadSignature, signatureName, err)
	}
	sum := sha256.Sum256(b.manifest)
	if opened.Text != signatureOrigin+"\n"+hex.EncodeToString(sum[:])+"\n" {
		return fmt.Errorf("%w: %s signs another manifest than %s", ErrBadSignature, signatureName, manifestName)
	}
	if b.Manifest.Files == nil {
		// A signed manifest that lists no files would leave them all
		// unchecked: no backup writes one.
		return fmt.Errorf("%w: %s lists no files", ErrBadSignature, manifestName)
	}
	notes, err := b.read(checkpointsName)
	if err != nil {
		return err
	}
	for i, text := range splitNotes(notes) {
		if _, err := integrity.OpenCheckpoint([]byte(text), verifier); err != nil {
			return fmt.Errorf("%w: signed checkpoint %d of %s: %w", ErrBadSignature, i+1, checkpointsName, err)
		}
	}
	return nil
}

// splitNotes divides the signed checkpoints file into its notes.
func splitNotes(notes []byte) []string {
	if len(notes) == 0 {
		return nil
	}
	return strings.Split(string(notes), "---\n")
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
	// IgnoredProjections counts the projection checkpoints an old backup
	// held, which were not restored.
	IgnoredProjections int
}

// Restore writes the backup into an empty JetStream ledger: every event at
// its original position with its subject, headers and bytes, the signed
// checkpoints and the personal-data keys. Projection checkpoints an old
// backup holds are not imported: a restored ledger folds its projections
// from the restored log (RestoreLedger does at once).
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
	for _, text := range splitNotes(notes) {
		if err := ledger.Signed.Append(ctx, []byte(text)); err != nil {
			return restored, err
		}
		restored.Checkpoints++
	}
	// An old backup's projection checkpoints are counted, not read: what
	// anyone with the public recipient could have written is no figure
	// the restored ledger serves.
	restored.IgnoredProjections = b.Manifest.Projections
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
