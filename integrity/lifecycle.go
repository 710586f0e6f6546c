package integrity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/projections"
)

// Origin is the checkpoints' origin line and the signing key's name.
const Origin = "ordos-union-ledger"

// Dir is the data directory's folder of integrity files: the keys, the
// tree file and the record of checkpoints seen.
func Dir(dataDir string) string { return filepath.Join(dataDir, "integrity") }

// SeenCheckpointsPath is where a data directory remembers the newest
// signed checkpoint it saw and how many the stream held.
func SeenCheckpointsPath(dataDir string) string {
	return filepath.Join(Dir(dataDir), "seen-checkpoints.json")
}

// TreeFilePath is the data directory's tree file: a cache of the log's
// leaf hashes, rebuilt from the log when it is damaged or missing.
func TreeFilePath(dataDir string) string { return filepath.Join(Dir(dataDir), "hashes") }

// LoadDataDirKeys loads the data directory's signing key pair (or the one
// in signingKey), making one at first use.
func LoadDataDirKeys(dataDir, signingKey string) (Keys, error) {
	return LoadOrCreateKeys(Dir(dataDir), signingKey, Origin)
}

// LoadExistingDataDirKeys loads the data directory's signing key pair (or
// the one in signingKey) without making one (LoadExistingKeys).
func LoadExistingDataDirKeys(dataDir, signingKey string) (Keys, error) {
	return LoadExistingKeys(Dir(dataDir), signingKey, Origin)
}

// OpenTree opens the tree kept in the file at path, or a tree in memory
// when path is empty, and appends every event of the log it does not have
// yet. A file that a crash left with part of a record is a cache of the
// log, so it is rebuilt. A path holding anything but a regular file gives
// ErrTreeFileNotRegular and is left alone: it is not the ledger's to
// remove, and the caller reads on with a tree in memory. close releases
// the file.
func OpenTree(ctx context.Context, store eventstore.Store, path string) (tree *Tree, close func() error, err error) {
	var storage HashStorage = &MemoryHashes{}
	close = func() error { return nil }
	if path != "" {
		file, err := OpenFileHashes(path)
		if err != nil {
			return nil, nil, err
		}
		if _, err := NewTree(file); err != nil {
			_ = file.Close()
			if err := os.Remove(path); err != nil {
				return nil, nil, err
			}
			if file, err = OpenFileHashes(path); err != nil {
				return nil, nil, err
			}
		}
		storage, close = file, file.Close
	}
	if tree, err = NewTree(storage); err != nil {
		_ = close()
		return nil, nil, err
	}
	if err := CatchUp(ctx, store, tree); err != nil {
		_ = close()
		return nil, nil, err
	}
	return tree, close, nil
}

// CatchUp appends to the tree every event it does not have yet.
func CatchUp(ctx context.Context, store eventstore.Store, tree *Tree) error {
	for record, err := range store.Read(ctx, uint64(tree.Size()), eventstore.Filter{}) {
		if err != nil {
			return err
		}
		if err := AppendLeaf(tree, record); err != nil {
			return err
		}
	}
	return tree.Sync()
}

// AppendLeaf adds the record if it is the tree's next leaf; a record the
// tree has is skipped, and a gap is an error.
func AppendLeaf(tree *Tree, record eventstore.Record) error {
	switch next := uint64(tree.Size()) + 1; {
	case record.Position < next:
		return nil
	case record.Position > next:
		return fmt.Errorf("tree: the log jumps from position %d to %d", next-1, record.Position)
	}
	return tree.Append(record.Data)
}

// Stamp names the tree an answer as of position was computed from.
func Stamp(tree *Tree, position uint64) (*projections.TreeStamp, error) {
	root, err := tree.Root(int64(position))
	if err != nil {
		return nil, err
	}
	return &projections.TreeStamp{Size: int64(position), Root: root.String()}, nil
}

// Cosigner asks witnesses to cosign a freshly signed checkpoint and
// returns the note to store: the checkpoint with the cosignature lines it
// got appended, or the checkpoint alone when no witness gave one.
type Cosigner func(ctx context.Context, signed []byte, tree *Tree) []byte

// WriteCheckpoint signs the tree at its size, has it cosigned (when
// cosign is not nil), appends the note to the signed checkpoint log, and
// remembers it in the seen record at seenPath (when there is one). The
// cosignatures are stored in the checkpoint's own note, after the ledger's
// signature: the signed text is the same, every reader of the checkpoint
// ignores signatures of keys it does not know, and /tlog/checkpoint serves
// the checkpoint cosigned, as witnessed logs do.
//
// It is the one place the ledger signs a tree, and it signs only a root
// Tree.CheckedRoot established from the leaves and the log (logBytes), never
// one read from the stored inner hashes alone: a signed checkpoint is
// permanent, and a damaged tree file must not make the ledger sign a root
// that verify then reads as a rewritten history. A damaged tree gives
// ErrTreeFileDamaged and nothing is signed. The newest checkpoint in log,
// signed from a checked tree, spares reading the log for the leaves it
// covers.
func WriteCheckpoint(ctx context.Context, log eventstore.SignedCheckpointLog, logBytes LogBytes, tree *Tree, keys Keys, now time.Time,
	seenPath string, cosign Cosigner) (Checkpoint, []byte, error) {
	if err := tree.Sync(); err != nil {
		return Checkpoint{}, nil, err
	}
	size, root, err := tree.CheckedRoot(ctx, logBytes, LatestAnchor(ctx, log, keys))
	if err != nil {
		return Checkpoint{}, nil, err
	}
	checkpoint := Checkpoint{Origin: Origin, Size: size, Root: root, Time: now}
	signed, err := checkpoint.Sign(keys.Signer)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if cosign != nil {
		signed = cosign(ctx, signed, tree)
	}
	if err := log.Append(ctx, signed); err != nil {
		return Checkpoint{}, nil, err
	}
	// The stream held at least what this directory saw before, and now
	// one more: remembering that much can never claim more than was there.
	// A damaged record is left as it is: it is evidence, and verify names
	// it; the checkpoint itself is stored either way.
	if seenPath != "" {
		if seen, err := LoadSeenCheckpoints(seenPath); err == nil {
			if err := seen.Saw(seen.Count+1, signed).Save(seenPath); err != nil {
				return checkpoint, signed, fmt.Errorf("checkpoint stored, but not remembered in %s: %w", seenPath, err)
			}
		}
	}
	return checkpoint, signed, nil
}

// LatestAnchor is the newest checkpoint in log that keys verify, for a
// root check to prove the stored leaves it covers with (Tree.CheckedRoot),
// or nil when there is none.
func LatestAnchor(ctx context.Context, log eventstore.SignedCheckpointLog, keys Keys) *Checkpoint {
	latest, err := log.Latest(ctx)
	if err != nil || keys.Verifier == nil {
		return nil
	}
	checkpoint, err := OpenCheckpoint(latest, keys.Verifier)
	if err != nil {
		return nil
	}
	return &checkpoint
}

// SawCheckpoints records at seenPath that the checkpoint stream held count
// checkpoints, the newest being newest. It only ever grows what is
// remembered; an empty path remembers nothing.
func SawCheckpoints(seenPath string, count int, newest []byte) error {
	if seenPath == "" {
		return nil
	}
	seen, err := LoadSeenCheckpoints(seenPath)
	if err != nil {
		return err
	}
	if next := seen.Saw(count, newest); next != seen {
		return next.Save(seenPath)
	}
	return nil
}

// treeCopyBytesMax bounds the tree file read into memory: 32 bytes a hash,
// about two hashes a leaf, is some 16 million events.
const treeCopyBytesMax = 1 << 30

// CopyTree reads the tree file another process keeps (read only, the whole
// records it holds as this moment) into a tree in memory, and catches it up
// with the log. A command on a data directory a running ledger holds then
// does not rebuild the tree from the first event. A file that is missing,
// too large, unreadable or not a regular file (a link is not followed)
// gives the tree rebuilt from the log instead: the file is a cache and
// never stops a read.
func CopyTree(ctx context.Context, store eventstore.Store, path string) (*Tree, error) {
	hashes := &MemoryHashes{}
	if content, err := readRegular(path, treeCopyBytesMax); err == nil {
		count := int64(len(content) / tlog.HashSize)
		size := int64(sort.Search(int(count)+1, func(n int) bool { return tlog.StoredHashCount(int64(n)) > count })) - 1
		whole := tlog.StoredHashCount(max(size, 0))
		hashes.hashes = make([]tlog.Hash, whole)
		for i := range hashes.hashes {
			copy(hashes.hashes[i][:], content[int64(i)*tlog.HashSize:])
		}
	}
	tree, err := NewTree(hashes)
	if err != nil {
		return nil, err
	}
	return tree, CatchUp(ctx, store, tree)
}

// readRegular reads the regular file at path, at most limit bytes of it,
// without following a link: what is read is the data directory's own file.
func readRegular(path string, limit int64) ([]byte, error) {
	file, err := openRegular(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s holds %d bytes, more than %d", path, info.Size(), limit)
	}
	return io.ReadAll(io.LimitReader(file, limit))
}

// ErrNoKey says a data directory holds neither the ledger's signing key
// nor its verifier key: it is not a ledger's, or not yet one that signed.
var ErrNoKey = errors.New("no signing key and no verifier key")

// verifierKeyBytesMax bounds the verifier key file read: the key is one
// short line.
const verifierKeyBytesMax = 4 << 10

// DataDirVerifierKey is the verifier key of the data directory's ledger,
// read without making a key: from the signing key (signingKey, or the
// one in the data directory) when there is one, else from the directory's
// verifier.key, which a restore without the signing key keeps. Making a
// key here would hand out the key of a ledger that does not exist when
// --data has a typo.
func DataDirVerifierKey(dataDir, signingKey string) (string, error) {
	dir := Dir(dataDir)
	if signingKey == "" {
		if _, err := os.Lstat(filepath.Join(dir, signingKeyFile)); errors.Is(err, os.ErrNotExist) {
			content, err := readRegular(filepath.Join(dir, verifierKeyFile), verifierKeyBytesMax)
			if errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("%s holds neither %s nor %s: is --data the ledger's data directory? (a new ledger's key is made by "+
					"`ledger checkpoint` or `ledger serve`): %w", dir, signingKeyFile, verifierKeyFile, ErrNoKey)
			}
			if err != nil {
				return "", fmt.Errorf("read the verifier key: %w", err)
			}
			key := strings.TrimSpace(string(content))
			if _, err := NewVerifier(key); err != nil {
				return "", fmt.Errorf("%s: %w", filepath.Join(dir, verifierKeyFile), err)
			}
			return key, nil
		}
	}
	keys, err := LoadExistingKeys(dir, signingKey, Origin)
	if err != nil {
		return "", err
	}
	return keys.VerifierKey, nil
}
