// Package witness is a C2SP tlog-witness (c2sp.org/tlog-witness) for
// ledgers, and the client a ledger uses to ask witnesses to cosign its
// checkpoints.
//
// A witness keeps, for every log it knows, the newest checkpoint it
// cosigned, on disk. It cosigns a new checkpoint only with a consistency
// proof from that one, so it never cosigns a smaller tree after a larger one,
// nor two checkpoints of different histories, also across restarts. Its
// cosignatures are c2sp.org/tlog-cosignature "cosignature/v1" note
// signatures, made with filippo.io/torchwood's signer; anyone checks them
// with golang.org/x/mod/sumdb/note and the witness's verifier key.
//
// As in the specification, an origin names one log: a witness keeps one
// history per origin and is given one verifier key for it. A cosignature
// covers the checkpoint's text, which names the origin and not the key, so
// a witness that cosigned two histories under one origin would vouch for
// either one under the other's key. The ledgers all sign with the origin
// "ordos-union-ledger", so a witness directory (one witness key) witnesses
// one ledger, and refuses a second (ErrSharedOrigin).
package witness

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/internal/private"
)

// cosignatureV1Type is the vkey signature type byte of an Ed25519
// cosignature/v1 key (c2sp.org/tlog-cosignature).
const cosignatureV1Type = 0x04

// ErrBadKey marks a witness key that does not parse.
var ErrBadKey = errors.New("bad witness key")

// Key files in a witness's directory.
const (
	signingKeyFile  = "witness.key"
	verifierKeyFile = "witness.pub"
)

// LoadOrCreateSigner reads the witness's signing key from dir, creating an
// Ed25519 key named name there (mode 0600) at first start, with its
// verifier key beside it. The key is kept in the note private key format;
// the cosignature key is its Ed25519 key.
//
// The directory is made mode 0700, or an existing one made its owner's
// alone; one another user owns or may write is refused, for they could
// replace the key or the records of what the witness cosigned. A key
// that group or other users may read or write is refused
// (private.ExposedError): whoever read it can cosign as the witness.
func LoadOrCreateSigner(dir, name string) (*torchwood.CosignatureSigner, error) {
	root, err := private.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("witness directory: %w", err)
	}
	_ = root.Close()
	path := filepath.Join(dir, signingKeyFile)
	content, err := private.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return nil, fmt.Errorf("create witness key: %w", err)
		}
		if err := atomicfile.Write(path, []byte(skey+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("create witness key: %w", err)
		}
		content = []byte(skey)
	} else if err != nil {
		return nil, fmt.Errorf("read witness key: %w", err)
	}
	signer, err := signerFromNoteKey(strings.TrimSpace(string(content)))
	if err != nil {
		return nil, fmt.Errorf("witness key %s: %w", path, err)
	}
	// The verifier key is rewritten at every start: it is derived, and a
	// stale one would mislead whoever copies it to the ledgers' auditors.
	if err := atomicfile.Write(filepath.Join(dir, verifierKeyFile), []byte(signer.Verifier().String()+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write witness verifier key: %w", err)
	}
	return signer, nil
}

// signerFromNoteKey makes the cosignature signer of a note private key
// "PRIVATE+KEY+name+hash+base64(0x01 || seed)".
func signerFromNoteKey(skey string) (*torchwood.CosignatureSigner, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, fmt.Errorf("%w: not a note private key", ErrBadKey)
	}
	data, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(data) != 1+ed25519.SeedSize || data[0] != 1 {
		return nil, fmt.Errorf("%w: not an Ed25519 note private key", ErrBadKey)
	}
	signer, err := torchwood.NewCosignatureSigner(parts[2], ed25519.NewKeyFromSeed(data[1:]))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return signer, nil
}

// NewVerifier parses a witness's cosignature verifier key
// "name+hash+base64(0x04 || Ed25519 public key)", or reads it from the file
// it names. The verifier checks cosignature/v1 signatures: Ed25519 over
// "cosignature/v1\ntime <unix>\n" and the checkpoint, the signature being the
// 8-byte big-endian time followed by the 64-byte Ed25519 signature.
func NewVerifier(vkey string) (note.Verifier, error) {
	if content, err := os.ReadFile(vkey); err == nil {
		vkey = string(content)
	}
	vkey = strings.TrimSpace(vkey)
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 || parts[0] == "" || strings.ContainsAny(parts[0], " \t\n") {
		return nil, fmt.Errorf("%w: want name+hash+key, got %q", ErrBadKey, vkey)
	}
	hash, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || len(parts[1]) != 8 {
		return nil, fmt.Errorf("%w: key hash %q", ErrBadKey, parts[1])
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != cosignatureV1Type {
		return nil, fmt.Errorf("%w: %s is not an Ed25519 cosignature/v1 key (type 0x04): a ledger's checkpoint key is no witness key", ErrBadKey, vkey)
	}
	if uint32(hash) != keyID(parts[0], key) {
		return nil, fmt.Errorf("%w: key hash %s does not match the name and key", ErrBadKey, parts[1])
	}
	return &verifier{name: parts[0], hash: uint32(hash), key: ed25519.PublicKey(key[1:])}, nil
}

// keyID is the signed-note key ID: the first 4 bytes of
// SHA-256(name || "\n" || type || public key).
func keyID(name string, typedKey []byte) uint32 {
	sum := sha256.Sum256(append([]byte(name+"\n"), typedKey...))
	return binary.BigEndian.Uint32(sum[:4])
}

// verifier checks Ed25519 cosignature/v1 signatures.
type verifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *verifier) Name() string    { return v.name }
func (v *verifier) KeyHash() uint32 { return v.hash }

// cosignatureBytes is the 8-byte timestamp and the 64-byte signature.
const cosignatureBytes = 8 + ed25519.SignatureSize

func (v *verifier) Verify(msg, sig []byte) bool {
	if len(sig) != cosignatureBytes {
		return false
	}
	timestamp := binary.BigEndian.Uint64(sig[:8])
	if timestamp == 0 || timestamp > 1<<63-1 {
		return false
	}
	signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(timestamp, 10)+"\n"), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}
