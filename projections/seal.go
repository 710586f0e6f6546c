package projections

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ordos-union/ledger/eventstore"
)

// ErrUntrustedCheckpoint marks a checkpoint that a seal does not vouch
// for: unsealed, sealed with another key, or folded from another log. It
// is never served; the projection is folded from the log instead.
var ErrUntrustedCheckpoint = errors.New("checkpoint not trusted")

// ErrNoSealKey says a checkpoint could not be sealed: this process has no
// key to seal it with, so it is not saved (an unsealed checkpoint is one
// no reader trusts, and it would only replace one they do).
var ErrNoSealKey = errors.New("no key to seal the checkpoint with")

// UntrustedError says why a checkpoint is not trusted. It is
// ErrUntrustedCheckpoint.
type UntrustedError struct {
	Reason string
	// Err is what stood in the way, when something did (no key).
	Err error
}

func (e *UntrustedError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

// Is makes every UntrustedError ErrUntrustedCheckpoint.
func (e *UntrustedError) Is(target error) bool { return target == ErrUntrustedCheckpoint }

func (e *UntrustedError) Unwrap() error { return e.Err }

// CheckpointSeal binds a projection's checkpoints to the log they were
// folded from and to a key only the ledger's nodes hold.
//
// A checkpoint is a cache kept in a store that more can write than read
// the ledger's secrets: the JetStream bucket takes writes from the runtime
// NATS credential, and a backup's copy could be made by anyone who knows
// its public age recipient. Its checksum is unkeyed, so it tells damage
// from a checkpoint, not a forgery. The seal is an HMAC-SHA256, keyed
// with Key, over the checkpoint's name, version, position, tree root,
// time, the SHA-256 of its state and the gaps it counted; a checkpoint
// whose seal does not hold is not loaded, and the projection is folded
// from the log instead. The tree root at the checkpoint's position is
// compared with the log's own tree when one is at hand, so a checkpoint
// sealed for another log (a replaced or rebuilt one) does not load either.
type CheckpointSeal struct {
	// Key keys the seal. Without one (NoKey says why) no checkpoint is
	// trusted, and none is saved.
	Key   []byte
	NoKey error
	// Root is the log's tree root over its first size events, or an
	// error when no tree is at hand (the root is then neither stored nor
	// checked; the seal still is). Nil: no tree.
	Root func(ctx context.Context, size uint64) (string, error)
}

// sealDomain opens the sealed text: an HMAC of it is no HMAC of anything
// else keyed the same.
const sealDomain = "ordos-union-ledger projection checkpoint v1"

// sealText is what the seal covers: every field of the checkpoint a
// reader acts on, the state by its SHA-256 computed here (not the stored
// checksum, which the state must then match).
func sealText(checkpoint eventstore.Checkpoint) []byte {
	var text strings.Builder
	for _, line := range []string{sealDomain, checkpoint.Name, strconv.Itoa(checkpoint.Version),
		strconv.FormatUint(checkpoint.Position, 10), checkpoint.TreeRoot, checkpoint.SavedAt.UTC().Format(time.RFC3339Nano),
		StateDigest(checkpoint.State), strconv.FormatUint(checkpoint.MissingPositions, 10)} {
		text.WriteString(line)
		text.WriteByte('\n')
	}
	for _, missing := range checkpoint.MissingRanges {
		fmt.Fprintf(&text, "%d-%d\n", missing[0], missing[1])
	}
	return []byte(text.String())
}

func (s *CheckpointSeal) mac(checkpoint eventstore.Checkpoint) string {
	mac := hmac.New(sha256.New, s.Key)
	mac.Write(sealText(checkpoint))
	return hex.EncodeToString(mac.Sum(nil))
}

// Seal stores the log's tree root at the checkpoint's position (when a
// tree is at hand) and the seal in the checkpoint. Without a key it is
// ErrNoSealKey, and the checkpoint must not be saved.
func (s *CheckpointSeal) Seal(ctx context.Context, checkpoint *eventstore.Checkpoint) error {
	if len(s.Key) == 0 {
		if s.NoKey != nil {
			return fmt.Errorf("%w: %w", ErrNoSealKey, s.NoKey)
		}
		return ErrNoSealKey
	}
	checkpoint.TreeRoot = ""
	if s.Root != nil && checkpoint.Position > 0 {
		if root, err := s.Root(ctx, checkpoint.Position); err == nil {
			checkpoint.TreeRoot = root
		}
	}
	checkpoint.Seal = s.mac(*checkpoint)
	return nil
}

// Check says why checkpoint is not to be trusted (an UntrustedError), or
// nil when its seal holds under Key and its tree root is the log's at its
// position (when a tree is at hand to say).
func (s *CheckpointSeal) Check(ctx context.Context, checkpoint eventstore.Checkpoint) error {
	switch {
	case len(s.Key) == 0:
		return &UntrustedError{Reason: "there is no key here to check its seal with", Err: s.NoKey}
	case checkpoint.Seal == "":
		return &UntrustedError{Reason: "it is not sealed (saved before checkpoints were sealed, or written by someone without the ledger's key)"}
	case !hmac.Equal([]byte(checkpoint.Seal), []byte(s.mac(checkpoint))):
		return &UntrustedError{Reason: "its seal does not hold: it was written by someone without this ledger's signing key " +
			"(forged), or by a node with another signing key"}
	}
	if s.Root == nil || checkpoint.TreeRoot == "" || checkpoint.Position == 0 {
		return nil
	}
	root, err := s.Root(ctx, checkpoint.Position)
	if err != nil {
		// No tree at hand to say: the seal alone vouches for it.
		return nil
	}
	if root != checkpoint.TreeRoot {
		return &UntrustedError{Reason: fmt.Sprintf("its tree root at position %d is %s, the log's is %s: it was folded from another log "+
			"(or this node's tree file is damaged: `ledger doctor` says which)", checkpoint.Position, checkpoint.TreeRoot, root)}
	}
	return nil
}
