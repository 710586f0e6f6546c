package integrity

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/internal/private"
)

// Checkpoint is a commitment to the log's first Size events: the C2SP
// checkpoint body (origin, size, root hash) with the signing time as an
// extension line.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Time   time.Time
}

// ErrBadCheckpoint marks a checkpoint that does not parse or verify.
var ErrBadCheckpoint = errors.New("bad checkpoint")

// Body is the checkpoint's signed text.
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\ntime %s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]),
		c.Time.UTC().Format(time.RFC3339))
}

// Sign returns the checkpoint as a signed note.
func (c Checkpoint) Sign(signer note.Signer) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: c.Body()}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return signed, nil
}

// OpenCheckpoint verifies a signed checkpoint with the verifier key and
// parses it.
func OpenCheckpoint(signed []byte, verifier note.Verifier) (Checkpoint, error) {
	opened, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: signature: %v", ErrBadCheckpoint, err)
	}
	return ParseCheckpoint(opened.Text)
}

// ParseCheckpoint reads a checkpoint body.
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("%w: want origin, size and root lines", ErrBadCheckpoint)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return Checkpoint{}, fmt.Errorf("%w: size %q", ErrBadCheckpoint, lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: root hash %q", ErrBadCheckpoint, lines[2])
	}
	checkpoint := Checkpoint{Origin: lines[0], Size: size}
	copy(checkpoint.Root[:], root)
	for _, line := range lines[3:] {
		if value, ok := strings.CutPrefix(line, "time "); ok {
			checkpoint.Time, _ = time.Parse(time.RFC3339, value)
		}
	}
	return checkpoint, nil
}

// Keys are the ledger's signing key and the verifier key auditors use.
type Keys struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the text form of the verifier key ("name+hash+key").
	VerifierKey string
	// SealKey keys the seal of the projection checkpoints
	// (projections.CheckpointSeal). It is derived from the signing key,
	// so that every node of a cluster, which must share the signing key
	// anyway, seals and checks with the same one, and the runtime NATS
	// credential, which writes the checkpoints' bucket, gives no way to
	// make it.
	SealKey []byte
}

// sealKeyInfo separates the seal key derived from the signing key from
// every other use of that key.
const sealKeyInfo = "ordos-union-ledger projection checkpoint seal v1"

// sealKeyBytes is the length of the derived seal key (HMAC-SHA256's).
const sealKeyBytes = 32

// Key files in the data directory.
const (
	signingKeyFile  = "signing.key"
	verifierKeyFile = "verifier.key"
)

// ErrNoSigningKey says a data directory has a ledger's verifier key but not
// the signing key that goes with it.
var ErrNoSigningKey = errors.New("signing key missing")

// LoadOrCreateKeys reads the signing key from file, or from dir, creating
// an Ed25519 key there (mode 0600) at first start. A key that group or
// other users may read or write is refused (private.ExposedError):
// whoever read it can sign checkpoints as the ledger.
func LoadOrCreateKeys(dir, file, name string) (Keys, error) {
	path := file
	if path == "" {
		path = filepath.Join(dir, signingKeyFile)
	}
	content, err := private.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && file == "" {
		// A verifier key without its signing key is a ledger restored
		// without the key: signing with a new one would quietly make every
		// earlier checkpoint unverifiable with the directory's key.
		if _, statErr := os.Stat(filepath.Join(dir, verifierKeyFile)); statErr == nil {
			return Keys{}, fmt.Errorf("%s holds the ledger's verifier key but not its signing key (restored from a backup taken without "+
				"--with-signing-key?): put the ledger's signing key at %s or give --signing-key FILE: %w", dir, path, ErrNoSigningKey)
		}
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return Keys{}, fmt.Errorf("create signing key: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return Keys{}, err
		}
		// Written whole or not at all: a torn key would stop the ledger
		// signing, or worse, be taken for a restore without its key.
		if err := atomicfile.Write(path, []byte(skey+"\n"), 0o600); err != nil {
			return Keys{}, fmt.Errorf("create signing key: %w", err)
		}
		if err := atomicfile.Write(filepath.Join(dir, verifierKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
			return Keys{}, fmt.Errorf("create signing key: %w", err)
		}
		content = []byte(skey)
	} else if err != nil {
		return Keys{}, fmt.Errorf("read signing key: %w", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(content)))
	if err != nil {
		return Keys{}, fmt.Errorf("signing key %s: %w", path, err)
	}
	vkey, err := verifierKeyOf(strings.TrimSpace(string(content)))
	if err != nil {
		return Keys{}, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return Keys{}, err
	}
	sealKey, err := hkdf.Key(sha256.New, []byte(strings.TrimSpace(string(content))), nil, sealKeyInfo, sealKeyBytes)
	if err != nil {
		return Keys{}, fmt.Errorf("derive the seal key: %w", err)
	}
	return Keys{Signer: signer, Verifier: verifier, VerifierKey: vkey, SealKey: sealKey}, nil
}

// LoadExistingKeys is LoadOrCreateKeys for a process that must not make
// a key: when neither file nor the key in dir exists, it is an error that
// is ErrNoSigningKey, and nothing is written.
func LoadExistingKeys(dir, file, name string) (Keys, error) {
	path := file
	if path == "" {
		path = filepath.Join(dir, signingKeyFile)
	}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return Keys{}, fmt.Errorf("no signing key at %s: %w", path, ErrNoSigningKey)
	}
	return LoadOrCreateKeys(dir, file, name)
}

// verifierKeyOf derives the verifier key from a signing key:
// "PRIVATE+KEY+name+hash+keydata" has the public key inside its Ed25519
// private half.
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("signing key: not a note private key")
	}
	data, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(data) != 33 || data[0] != 1 {
		return "", errors.New("signing key: not an Ed25519 note key")
	}
	return note.NewEd25519VerifierKey(parts[2], ed25519FromSeed(data[1:]))
}

// NewVerifier parses a verifier key given on a command line or in a file.
func NewVerifier(key string) (note.Verifier, error) {
	if content, err := os.ReadFile(key); err == nil {
		key = string(content)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	return verifier, nil
}

// KeyID names a key as its verifier key's text begins: its name, then
// its hash ("ordos-union-ledger+22e1c02a"). Every ledger's key has the
// same name; only the hash tells two ledgers' keys apart.
func KeyID(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

// ParseCheckpointNote reads a signed checkpoint's body without checking the
// signature, for the ledger's own bookkeeping; auditors use OpenCheckpoint.
func ParseCheckpointNote(signed []byte) (Checkpoint, error) {
	text := string(signed)
	if i := strings.Index(text, "\n\n"); i >= 0 {
		text = text[:i+1]
	}
	return ParseCheckpoint(text)
}

// CheckpointFileBytesMax bounds a signed checkpoint an auditor hands in
// from outside the ledger: a note is a few hundred bytes, and anything
// much larger is some other file.
const CheckpointFileBytesMax = 64 << 10

// ReadCheckpointNote reads a signed checkpoint note kept outside the
// ledger (as `ledger checkpoint` printed it). Something larger than
// CheckpointFileBytesMax, or that does not parse as a checkpoint, is
// refused with a *NotACheckpointError (which is ErrBadCheckpoint); a
// failure to read is returned as it is.
func ReadCheckpointNote(r io.Reader) ([]byte, error) {
	content, err := io.ReadAll(io.LimitReader(r, CheckpointFileBytesMax+1))
	if err != nil {
		return nil, err
	}
	if len(content) > CheckpointFileBytesMax {
		return nil, &NotACheckpointError{Reason: fmt.Sprintf("larger than %d bytes, not a checkpoint", CheckpointFileBytesMax)}
	}
	if _, err := ParseCheckpointNote(content); err != nil {
		return nil, &NotACheckpointError{Reason: "not a signed checkpoint", Err: err}
	}
	return content, nil
}

// NotACheckpointError is a file handed in as a signed checkpoint that
// holds none. It is ErrBadCheckpoint; Detail says why without that
// prefix, for a front end that names the file itself.
type NotACheckpointError struct {
	Reason string
	// Err is what parsing the file found, when it parsed at all.
	Err error
}

func (e *NotACheckpointError) Error() string { return ErrBadCheckpoint.Error() + ": " + e.Detail() }

// Detail is why the file holds no checkpoint.
func (e *NotACheckpointError) Detail() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

// Is makes every NotACheckpointError ErrBadCheckpoint.
func (e *NotACheckpointError) Is(target error) bool { return target == ErrBadCheckpoint }

func (e *NotACheckpointError) Unwrap() error { return e.Err }
