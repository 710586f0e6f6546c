// Package integrity makes the ledger's history verifiable: an RFC 6962
// Merkle tree over the log (leaf n is the event stored at position n+1,
// hashed as stored), signed checkpoints in the C2SP note format, inclusion
// and consistency proofs, a verifier that recomputes everything from the raw
// log, and self-contained audit bundles.
//
// The tree uses golang.org/x/mod/sumdb/tlog, the Go checksum database's
// implementation of RFC 6962 hashing: maintained by the Go team, small, with
// no dependencies, and built for exactly this "pre-ordered log" shape (the
// log, here JetStream, assigns the order; the tree only hashes it).
package integrity

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// HashStorage keeps a tree's stored hashes (tlog's layout: the leaves and
// the complete subtrees, about two hashes a record).
type HashStorage interface {
	tlog.HashReader
	// Count is how many hashes are stored.
	Count() int64
	Append(hashes []tlog.Hash) error
	Sync() error
}

// MemoryHashes keeps hashes in memory: for verifying, where the tree is
// recomputed from the log.
type MemoryHashes struct {
	hashes []tlog.Hash
}

func (m *MemoryHashes) Count() int64 { return int64(len(m.hashes)) }

func (m *MemoryHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, index := range indexes {
		if index < 0 || index >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("hash %d not stored (have %d)", index, len(m.hashes))
		}
		out[i] = m.hashes[index]
	}
	return out, nil
}

func (m *MemoryHashes) Append(hashes []tlog.Hash) error {
	m.hashes = append(m.hashes, hashes...)
	return nil
}

func (m *MemoryHashes) Sync() error { return nil }

// appendLeaf stores leaf n and the hashes of the subtrees it completes, as
// tlog.StoredHashesForRecordHash does: each trailing one bit of n completes
// a subtree, whose hash joins the left sibling stored at that level with
// the hash built so far.
func (m *MemoryHashes) appendLeaf(n int64, leaf tlog.Hash) {
	m.hashes = append(m.hashes, leaf)
	hash := leaf
	for level := 0; (n>>level)&1 == 1; level++ {
		left := m.hashes[tlog.StoredHashIndex(level, n>>level-1)]
		hash = tlog.NodeHash(left, hash)
		m.hashes = append(m.hashes, hash)
	}
}

// FileHashes keeps hashes in an append-only file, 32 bytes each, so the
// tree survives restarts without rehashing the log. The file is a cache: it
// can always be rebuilt from the log, and Verify checks it against the log.
type FileHashes struct {
	mu      sync.Mutex
	file    *os.File
	count   int64
	pending []tlog.Hash
}

// ErrTreeFileNotRegular is what opening the tree file gives when its path
// holds something other than a regular file: a directory, a symbolic link,
// a device. The file is a cache, so a caller reads on with a tree rebuilt
// from the log and leaves the thing where it is for a repair to set aside;
// the ledger never follows a link to write its hashes elsewhere.
var ErrTreeFileNotRegular = errors.New("the tree file is not a regular file")

// TreeFileKind says what is at path when it is not a regular file (for a
// report: "a directory", "a symbolic link"), and "" when it is one or when
// nothing is there. A link is not followed.
func TreeFileKind(path string) string {
	info, err := os.Lstat(path)
	if err != nil {
		return ""
	}
	return notRegular(info)
}

// notRegular names the kind of a file that is not a regular one, and is ""
// for a regular file.
func notRegular(info os.FileInfo) string {
	mode := info.Mode()
	switch {
	case mode.IsRegular():
		return ""
	case mode&os.ModeSymlink != 0:
		return "a symbolic link"
	case mode.IsDir():
		return "a directory"
	case mode&os.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode&(os.ModeDevice|os.ModeCharDevice) != 0:
		return "a device"
	}
	return "not a regular file"
}

// openRegular opens the regular file at path (creating it when flag says
// so) without following a link at path: what is there is checked before
// the open, and the file opened is checked to be the one at path after it,
// so a link or directory put there meanwhile is refused too. Windows has no
// O_NOFOLLOW, hence the two checks rather than a flag.
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	if info, err := os.Lstat(path); err == nil {
		if kind := notRegular(info); kind != "" {
			return nil, fmt.Errorf("%w: %s is %s", ErrTreeFileNotRegular, path, kind)
		}
	}
	file, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err
	}
	opened, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	there, err := os.Lstat(path)
	if err != nil {
		file.Close()
		return nil, err
	}
	if kind := notRegular(there); kind != "" || !opened.Mode().IsRegular() || !os.SameFile(opened, there) {
		file.Close()
		if kind == "" {
			kind = "not the file that was opened"
		}
		return nil, fmt.Errorf("%w: %s is %s", ErrTreeFileNotRegular, path, kind)
	}
	return file, nil
}

// OpenFileHashes opens or creates the file. A torn last hash (a crash in
// the middle of a write) is cut off. A path that holds anything but a
// regular file gives ErrTreeFileNotRegular.
func OpenFileHashes(path string) (*FileHashes, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open tree hashes: %w", err)
	}
	file, err := openRegular(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open tree hashes: %w", err)
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open tree hashes: %w", err)
	}
	count := info.Size() / tlog.HashSize
	if info.Size()%tlog.HashSize != 0 {
		if err := file.Truncate(count * tlog.HashSize); err != nil {
			file.Close()
			return nil, fmt.Errorf("open tree hashes: %w", err)
		}
	}
	return &FileHashes{file: file, count: count}, nil
}

func (f *FileHashes) Count() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count + int64(len(f.pending))
}

func (f *FileHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]tlog.Hash, len(indexes))
	for i, index := range indexes {
		switch {
		case index < 0 || index >= f.count+int64(len(f.pending)):
			return nil, fmt.Errorf("hash %d not stored (have %d)", index, f.count+int64(len(f.pending)))
		case index >= f.count:
			out[i] = f.pending[index-f.count]
		default:
			if _, err := f.file.ReadAt(out[i][:], index*tlog.HashSize); err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read tree hash %d: %w", index, err)
			}
		}
	}
	return out, nil
}

// readRun reads the hashes from start on into out, the written ones with
// one read: verify compares the whole file with the tree it recomputes,
// and ReadHashes would read one hash a call.
func (f *FileHashes) readRun(start int64, out []tlog.Hash) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := start + int64(len(out))
	if start < 0 || end > f.count+int64(len(f.pending)) {
		return fmt.Errorf("hashes %d-%d not stored (have %d)", start, end-1, f.count+int64(len(f.pending)))
	}
	written := max(min(end, f.count)-start, 0)
	if written > 0 {
		buffer := make([]byte, written*tlog.HashSize)
		if _, err := f.file.ReadAt(buffer, start*tlog.HashSize); err != nil {
			return fmt.Errorf("read tree hashes %d-%d: %w", start, start+written-1, err)
		}
		for i := range written {
			copy(out[i][:], buffer[i*tlog.HashSize:])
		}
	}
	for i := written; i < int64(len(out)); i++ {
		out[i] = f.pending[start+i-f.count]
	}
	return nil
}

// pendingHashesMax bounds the hashes held before they are written.
const pendingHashesMax = 4096

func (f *FileHashes) Append(hashes []tlog.Hash) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, hashes...)
	if len(f.pending) >= pendingHashesMax {
		return f.flushLocked()
	}
	return nil
}

func (f *FileHashes) flushLocked() error {
	if len(f.pending) == 0 {
		return nil
	}
	buffer := make([]byte, 0, len(f.pending)*tlog.HashSize)
	for _, hash := range f.pending {
		buffer = append(buffer, hash[:]...)
	}
	if _, err := f.file.WriteAt(buffer, f.count*tlog.HashSize); err != nil {
		return fmt.Errorf("write tree hashes: %w", err)
	}
	f.count += int64(len(f.pending))
	f.pending = f.pending[:0]
	return nil
}

// Sync writes pending hashes and fsyncs the file.
func (f *FileHashes) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.flushLocked(); err != nil {
		return err
	}
	return f.file.Sync()
}

// Close syncs and closes the file.
func (f *FileHashes) Close() error {
	err := f.Sync()
	if closeErr := f.file.Close(); err == nil {
		err = closeErr
	}
	return err
}

// Tree is the Merkle tree over the log.
type Tree struct {
	mu      sync.RWMutex
	storage HashStorage
	size    int64
	// loaded is how many leaves the storage held when the tree was
	// opened: their hashes were read, not hashed from the log by this
	// tree, so a root check compares them with the log.
	loaded int64
	// checkMu makes root checks one at a time; checked and frontier,
	// which it guards, are the size of the last tree a check established
	// and the hashes of that tree's complete subtrees, largest first.
	checkMu  sync.Mutex
	checked  int64
	frontier []subtree
}

// NewTree opens a tree on its storage, which may already hold a prefix.
func NewTree(storage HashStorage) (*Tree, error) {
	count := storage.Count()
	// The number of records whose stored hashes fill exactly count slots.
	// A partial record (a crash between its hashes) is an error: the file
	// is a cache, and the caller rebuilds it from the log.
	size := int64(sort.Search(int(count)+1, func(n int) bool { return tlog.StoredHashCount(int64(n)) > count })) - 1
	if size < 0 {
		size = 0
	}
	if tlog.StoredHashCount(size) != count {
		return nil, fmt.Errorf("tree storage holds %d hashes, which is no whole number of records; rebuild it", count)
	}
	return &Tree{storage: storage, size: size, loaded: size}, nil
}

// Size is how many leaves the tree has.
func (t *Tree) Size() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size
}

// Append adds the next leaf: the stored bytes of the next event, by
// their RFC 6962 leaf hash (what tlog.StoredHashes hashes them to).
func (t *Tree) Append(data []byte) error {
	return t.AppendLeaf(tlog.RecordHash(data))
}

// AppendLeaf adds the next leaf by its RFC 6962 leaf hash, for a caller
// that has hashed the stored bytes already (verify compares that hash with
// the tree file's): each event is then hashed once, not twice.
func (t *Tree) AppendLeaf(leaf tlog.Hash) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if memory, ok := t.storage.(*MemoryHashes); ok {
		// In memory the hashes of the subtrees this leaf completes are
		// read in place, with no slice per leaf: verify appends millions.
		memory.appendLeaf(t.size, leaf)
		t.size++
		return nil
	}
	hashes, err := tlog.StoredHashesForRecordHash(t.size, leaf, t.storage)
	if err != nil {
		return fmt.Errorf("tree append %d: %w", t.size, err)
	}
	if err := t.storage.Append(hashes); err != nil {
		return err
	}
	t.size++
	return nil
}

// Root is the tree hash over the first size leaves.
func (t *Tree) Root(size int64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.size {
		return tlog.Hash{}, fmt.Errorf("tree has %d leaves, not %d", t.size, size)
	}
	return tlog.TreeHash(size, t.storage)
}

// Leaf is the hash of leaf n.
func (t *Tree) Leaf(n int64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	hashes, err := t.storage.ReadHashes([]int64{tlog.StoredHashIndex(0, n)})
	if err != nil {
		return tlog.Hash{}, err
	}
	return hashes[0], nil
}

// ProveInclusion proves leaf n is in the tree of size size.
func (t *Tree) ProveInclusion(size, n int64) (tlog.RecordProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return tlog.ProveRecord(size, n, t.storage)
}

// ProveConsistency proves the tree of size newer extends the one of size
// older.
func (t *Tree) ProveConsistency(newer, older int64) (tlog.TreeProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return tlog.ProveTree(newer, older, t.storage)
}

// Sync makes the stored hashes durable.
func (t *Tree) Sync() error { return t.storage.Sync() }
