package integrity

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/eventstore"
)

// ErrTreeFileDamaged says the tree's stored hashes (the tree file, a
// cache) disagree with the hashes recomputed from the leaves or from the
// log: a root read from them would be false, so nothing is signed from
// them until the file is made again from the log.
var ErrTreeFileDamaged = errors.New("the tree file is damaged")

// rootCheckChunkHashes is how many stored hashes a root check reads under
// the tree's lock at a time (512 KiB): appends wait for one such read at
// most, never for the hashing, which is done outside the lock.
const rootCheckChunkHashes = 1 << 14

// LogBytes yields the stored bytes of every event after position from, in
// order, each with its position: what a root check hashes the leaves from.
// A store's raw reading (no event decoded) is several times faster than
// its Read.
type LogBytes func(ctx context.Context, from uint64) iter.Seq2[Message, error]

// StoreBytes reads a store's events as LogBytes, through Read (which
// decodes each one): for a store with no raw reading.
func StoreBytes(store eventstore.Store) LogBytes {
	return func(ctx context.Context, from uint64) iter.Seq2[Message, error] {
		return func(yield func(Message, error) bool) {
			for record, err := range store.Read(ctx, from, eventstore.Filter{}) {
				if !yield(Message{Position: record.Position, Data: record.Data}, err) || err != nil {
					return
				}
			}
		}
	}
}

// subtree is a complete subtree of 2^level leaves, by its hash.
type subtree struct {
	level int
	hash  tlog.Hash
}

// frontierRoot is the RFC 6962 hash of the tree whose complete subtrees,
// largest first, are frontier: the smaller ones on the right are joined
// first, as tlog.TreeHash joins them.
func frontierRoot(frontier []subtree) tlog.Hash {
	if len(frontier) == 0 {
		empty, _ := tlog.TreeHash(0, nil)
		return empty
	}
	root := frontier[len(frontier)-1].hash
	for i := len(frontier) - 2; i >= 0; i-- {
		root = tlog.NodeHash(frontier[i].hash, root)
	}
	return root
}

// rootCheck is a check under way: the frontier of the leaves walked so
// far, recomputed, and where it reads the stored hashes.
type rootCheck struct {
	tree     *Tree
	frontier []subtree
	leaves   int64
	// chunk holds stored hashes from chunkStart on, next the index of the
	// next one to use.
	chunk      []tlog.Hash
	chunkStart int64
	next       int64
	// damage is the first stored hash found to differ.
	damage error
}

// nextStored is the stored hash at c.next, read a chunk at a time under
// the tree's read lock (MemoryHashes has no lock of its own).
func (c *rootCheck) nextStored(ctx context.Context, end int64) (tlog.Hash, error) {
	if c.next < c.chunkStart || c.next >= c.chunkStart+int64(len(c.chunk)) {
		if err := ctx.Err(); err != nil {
			return tlog.Hash{}, err
		}
		count := min(end-c.next, rootCheckChunkHashes)
		if cap(c.chunk) < int(count) {
			c.chunk = make([]tlog.Hash, count)
		}
		c.chunk = c.chunk[:count]
		if err := c.tree.readStored(c.next, c.chunk); err != nil {
			return tlog.Hash{}, err
		}
		c.chunkStart = c.next
	}
	hash := c.chunk[c.next-c.chunkStart]
	c.next++
	return hash, nil
}

// walk adds leaves c.leaves to size-1 to the frontier: each leaf the
// storage holds, or the log's leaf hash for it when logLeaf gives one,
// and each inner hash joined from them, every one compared with the hash
// stored in its place. The first that differs is kept as the damage; the
// recomputed one goes on, so the frontier is the log's (or the leaves').
func (c *rootCheck) walk(ctx context.Context, size int64, logLeaf func(n int64) (tlog.Hash, bool, error)) error {
	end := tlog.StoredHashCount(size)
	c.next = tlog.StoredHashIndex(0, c.leaves)
	for ; c.leaves < size; c.leaves++ {
		n := c.leaves
		stored, err := c.nextStored(ctx, end)
		if err != nil {
			return err
		}
		leaf := stored
		if logLeaf != nil {
			fromLog, ok, err := logLeaf(n)
			if err != nil {
				return err
			}
			if ok {
				leaf = fromLog
			}
		}
		if leaf != stored {
			c.damaged(fmt.Errorf("its leaf hash for position %d differs from the log's", n+1))
		}
		c.frontier = append(c.frontier, subtree{0, leaf})
		// Leaf n completes one subtree for each trailing one bit of n;
		// the storage holds their hashes right after the leaf.
		for range bits.TrailingZeros64(^uint64(n)) {
			last := len(c.frontier) - 1
			left, right := c.frontier[last-1], c.frontier[last]
			joined := subtree{right.level + 1, tlog.NodeHash(left.hash, right.hash)}
			c.frontier = append(c.frontier[:last-1], joined)
			index := c.next
			stored, err := c.nextStored(ctx, end)
			if err != nil {
				return err
			}
			if stored != joined.hash {
				first := (n >> joined.level) << joined.level
				c.damaged(fmt.Errorf("its hash %d (over positions %d-%d) differs from the one its leaves give", index, first+1, first+1<<joined.level))
			}
		}
	}
	return nil
}

// damaged keeps err when it is the first damage found: the first hash that
// differs is the one a report names.
func (c *rootCheck) damaged(err error) {
	if c.damage == nil {
		c.damage = err
	}
}

// readStored copies the stored hashes from start on into out, under the
// tree's read lock: one chunk's read is all an append waits for.
func (t *Tree) readStored(start int64, out []tlog.Hash) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	switch storage := t.storage.(type) {
	case *MemoryHashes:
		if start < 0 || start+int64(len(out)) > int64(len(storage.hashes)) {
			return fmt.Errorf("hashes %d-%d not stored (have %d)", start, start+int64(len(out))-1, len(storage.hashes))
		}
		copy(out, storage.hashes[start:])
		return nil
	case *FileHashes:
		return storage.readRun(start, out)
	}
	indexes := make([]int64, len(out))
	for i := range indexes {
		indexes[i] = start + int64(i)
	}
	hashes, err := t.storage.ReadHashes(indexes)
	if err != nil {
		return err
	}
	copy(out, hashes)
	return nil
}

// CheckedRoot is the tree's size and its root, established without
// trusting the stored inner hashes: the root is recomputed from the leaf
// hashes, and every stored hash on the way, and those the root is read
// from, are compared with the recomputed ones. The leaf hashes the storage
// held when the tree was opened (a file another run wrote) are compared
// with the log's (read with logBytes; when it is nil they are taken as
// stored), unless the stored leaves up to the size of anchor, a checkpoint
// the ledger signed, give its root, which proves them without reading the
// log. Leaves the tree appended since it was opened
// were hashed from the log already. Any difference gives
// ErrTreeFileDamaged, naming the first hash that differs.
//
// What a check established is kept, so the next one hashes only the
// leaves added since (and rereads the root's path, at most 64 hashes). The
// hashing is done outside the tree's lock, which is taken for one read of
// rootCheckChunkHashes hashes at a time: appends go on meanwhile, and the
// size checked is the one the tree had when the check began.
func (t *Tree) CheckedRoot(ctx context.Context, logBytes LogBytes, anchor *Checkpoint) (int64, tlog.Hash, error) {
	t.checkMu.Lock()
	defer t.checkMu.Unlock()
	t.mu.RLock()
	size, loaded := t.size, t.loaded
	t.mu.RUnlock()
	saved := rootCheck{tree: t, frontier: slices.Clone(t.frontier), leaves: t.checked}
	check := saved
	check.frontier = slices.Clone(saved.frontier)
	fromLog := check.leaves < loaded && logBytes != nil
	if fromLog && anchor != nil && anchor.Size > check.leaves && anchor.Size <= size {
		// The leaves the anchor covers are proven when they give its root;
		// else they are read from the log like the rest.
		if err := check.walk(ctx, anchor.Size, nil); err != nil {
			return 0, tlog.Hash{}, err
		}
		if check.damage == nil && frontierRoot(check.frontier) == anchor.Root {
			fromLog = check.leaves < loaded
		} else {
			check = saved
			check.frontier = slices.Clone(saved.frontier)
		}
	}
	var logLeaf func(int64) (tlog.Hash, bool, error)
	if fromLog {
		next, stop := iter.Pull2(logBytes(ctx, uint64(check.leaves)))
		defer stop()
		logLeaf = func(n int64) (tlog.Hash, bool, error) {
			if n >= loaded {
				return tlog.Hash{}, false, nil
			}
			record, err, ok := next()
			switch {
			case !ok:
				return tlog.Hash{}, false, fmt.Errorf("check the tree: the log ends before position %d", n+1)
			case err != nil:
				return tlog.Hash{}, false, err
			case record.Position != uint64(n+1):
				return tlog.Hash{}, false, fmt.Errorf("check the tree: the log gives position %d where %d belongs", record.Position, n+1)
			}
			return tlog.RecordHash(record.Data), true, nil
		}
	}
	if err := check.walk(ctx, size, logLeaf); err != nil {
		return 0, tlog.Hash{}, err
	}
	root := frontierRoot(check.frontier)
	// The stored root is read from the hashes of the complete subtrees
	// (the frontier's), which a check made earlier does not read again:
	// each is compared, so damage done since is found too.
	first := int64(0)
	for _, part := range check.frontier {
		index := tlog.StoredHashIndex(part.level, first>>part.level)
		stored := make([]tlog.Hash, 1)
		if err := t.readStored(index, stored); err != nil {
			return 0, tlog.Hash{}, err
		}
		if stored[0] != part.hash {
			check.damaged(fmt.Errorf("its hash %d (over positions %d-%d, on the root's path) differs from the one its leaves give",
				index, first+1, first+1<<part.level))
		}
		first += 1 << part.level
	}
	if check.damage != nil {
		return 0, tlog.Hash{}, fmt.Errorf("%w: %w, so its root for %d events is not the log's; `ledger repair` makes it again from the log",
			ErrTreeFileDamaged, check.damage, size)
	}
	if size > t.checked {
		t.checked, t.frontier = size, check.frontier
	}
	return size, root, nil
}
