package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/private"
	"github.com/ordos-union/ledger/projections"
)

// Doctor checks every store the ledger keeps: the log (read whole, for
// positions it lost), the projection checkpoint, the tree file (against
// the log), the signed checkpoints (against what this directory saw), the
// personal-data keys, and the files of the data directory that must be
// its owner's alone. It changes nothing.
func (n *Node) Doctor(ctx context.Context) ([]app.Finding, error) {
	var findings []app.Finding
	add := func(store string, problem bool, repair string, format string, args ...any) {
		findings = append(findings, app.Finding{Store: store, Problem: problem, What: fmt.Sprintf(format, args...), Repair: repair})
	}
	if n.JetStream != nil {
		if readOnly := n.JetStream.ReadOnly(); readOnly != nil {
			add("NATS server", true, "upgrade the NATS server (or every node of the cluster) to 2.12 or later", "%v", readOnly)
		} else {
			var checked []string
			for _, server := range n.JetStream.ServerNodes() {
				checked = append(checked, server.Version+" on "+server.Name)
			}
			add("NATS server", false, "", "nats-server %s: atomic batches and expected-version checks", strings.Join(checked, ", "))
		}
		// A cluster whose other nodes could not be asked is not a fault
		// of the ledger's, but the person running it should know what was
		// not checked.
		if note := n.JetStream.VersionNote(); note != "" {
			add("NATS server", false, "", "%s", note)
		}
	}
	head, err := n.Store.Head(ctx)
	if err != nil {
		add("log", true, "start the NATS server or cluster the ledger uses; `ledger serve` on the data directory", "does not answer: %v", err)
		return findings, nil
	}
	tree, err := n.checkLog(ctx, head, add)
	if err != nil {
		return findings, err
	}
	if err := n.checkCheckpoint(ctx, head, tree, add); err != nil {
		return findings, err
	}
	n.checkTreeFile(tree, head, add)
	if err := n.checkSigned(ctx, add); err != nil {
		return findings, err
	}
	lost, err := n.lostKeys(ctx)
	if err != nil {
		return findings, err
	}
	for _, subject := range lost {
		add("personal-data keys", true, "restore the keys from a backup (`ledger restore`); if they are gone, record the erasure (`ledger forget`)",
			"no key for %s, which was never erased", subject)
	}
	if len(lost) == 0 {
		add("personal-data keys", false, "", "a key for every data subject not erased")
	}
	n.checkPrivateFiles(add)
	return findings, nil
}

// checkLog reads the whole log for positions it lost, and returns the tree
// recomputed from it.
func (n *Node) checkLog(ctx context.Context, head uint64, add func(string, bool, string, string, ...any)) (*logTree, error) {
	hashes := &integrity.MemoryHashes{}
	tree, err := integrity.NewTree(hashes)
	if err != nil {
		return nil, err
	}
	var missing []uint64
	ids := newIDCheck()
	expected := uint64(1)
	for record, err := range n.Store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			add("log", true, "start the NATS server or cluster the ledger uses", "cannot be read to the end: %v", err)
			return &logTree{tree, hashes}, nil
		}
		for ; expected < record.Position; expected++ {
			missing = append(missing, expected)
		}
		expected = record.Position + 1
		ids.add(record.Event.ID, record.Position)
		if err := tree.Append(record.Data); err != nil {
			return nil, err
		}
	}
	for ; expected <= head; expected++ {
		missing = append(missing, expected)
	}
	if len(missing) > 0 {
		add("log", true, "`ledger verify` names them; `ledger repair --from-backup DIR` puts them back from a backup when its bytes for "+
			"them verify against the signed checkpoints (else restore the ledger from a backup into a new data directory: `ledger restore`)",
			"lost %d of its %d positions, the first %d", len(missing), head, missing[0])
	} else {
		add("log", false, "", "%d events, no position missing", head)
	}
	ids.report(add)
	return &logTree{tree, hashes}, nil
}

// idReusesNamedMax bounds the reused event ids the doctor names one by one;
// the rest are counted.
const idReusesNamedMax = 20

// idReuse is an event id that a later event of the log has again.
type idReuse struct {
	id           uuid.UUID
	first, again uint64
}

// idCheck finds event ids the log holds more than once: the ledger refuses
// a reused id now, but a log written before may hold one, and it stays.
type idCheck struct {
	first  map[uuid.UUID]uint64
	named  []idReuse
	reused int
}

func newIDCheck() *idCheck { return &idCheck{first: map[uuid.UUID]uint64{}} }

func (c *idCheck) add(id uuid.UUID, position uint64) {
	first, seen := c.first[id]
	if !seen {
		c.first[id] = position
		return
	}
	c.reused++
	if len(c.named) < idReusesNamedMax {
		c.named = append(c.named, idReuse{id: id, first: first, again: position})
	}
}

// report adds the finding. A reused id is not a fault to repair: the log
// is immutable, and every reader takes the first event with an id as that
// id's event and finds a void's or correction's target by its position. It
// is named so that whoever runs the ledger knows, and can ask who wrote it.
func (c *idCheck) report(add func(string, bool, string, string, ...any)) {
	const store = "event ids"
	if c.reused == 0 {
		add(store, false, "", "every event has an id of its own")
		return
	}
	var named []string
	for _, reuse := range c.named {
		named = append(named, fmt.Sprintf("%s at positions %d and %d", reuse.id, reuse.first, reuse.again))
	}
	if c.reused > len(c.named) {
		named = append(named, fmt.Sprintf("and %d more", c.reused-len(c.named)))
	}
	reuse := fmt.Sprintf("%d events reuse the ids of earlier events", c.reused)
	if c.reused == 1 {
		reuse = "1 event reuses the id of an earlier event"
	}
	add(store, false, "", "%s (%s); the ledger refuses a reused id now, and readers take "+
		"the first event with an id as its event and find a void's or correction's target by its position", reuse, strings.Join(named, "; "))
}

// logTree is the tree recomputed from the log, with its stored hashes.
type logTree struct {
	*integrity.Tree
	hashes *integrity.MemoryHashes
}

// checkCheckpoint checks the totals' checkpoint: that it is there and
// decodes, that its seal holds (its tree root against tree, the log's),
// and that the log folded to its position gives its figures
// (checkTotals: one more read and fold of the log, as a rebuild of the
// totals costs).
func (n *Node) checkCheckpoint(ctx context.Context, head uint64, tree *logTree, add func(string, bool, string, string, ...any)) error {
	const store, repair = totalsStore, totalsRepair
	checkpoint, err := n.Checkpoints.Load(ctx, "totals")
	projection := projections.NewTotalsProjection()
	switch {
	case errors.Is(err, domain.ErrNotFound):
		add(store, false, "", "none yet: the totals are folded from the log and saved at the next start")
	case err != nil:
		add(store, true, repair, "does not answer: %v (reads rebuild the totals from the log meanwhile)", err)
	case checkpoint.StateSHA256 != "" && checkpoint.StateSHA256 != projections.StateDigest(checkpoint.State):
		add(store, true, repair, "damaged: its content does not match its checksum (reads rebuild the totals from the log meanwhile)")
	case checkpoint.Version != projection.Version():
		add(store, false, "", "of version %d; version %d rebuilds it at the next start", checkpoint.Version, projection.Version())
	case checkpoint.Position > head:
		add(store, true, repair, "counts to position %d but the log ends at %d: the log lost events", checkpoint.Position, head)
	case projection.UnmarshalState(checkpoint.State) != nil:
		add(store, true, repair, "does not decode (reads rebuild the totals from the log meanwhile)")
	default:
		check, err := n.checkTotals(ctx, checkpoint, head, func(_ context.Context, size uint64) (string, error) {
			root, err := tree.Root(int64(size))
			return root.String(), err
		})
		switch {
		case err != nil && ctx.Err() != nil:
			return err
		case err != nil:
			add(store, true, "`ledger doctor` again once the log reads to the end; "+repair, "could not be checked against the log folded to "+
				"its position %d: %v", checkpoint.Position, err)
		case check.Problem():
			add(store, true, repair, "%s", check)
		default:
			add(store, false, "", "%s", check)
		}
	}
	return nil
}

func (n *Node) checkTreeFile(tree *logTree, head uint64, add func(string, bool, string, string, ...any)) {
	const store = "tree file"
	path := integrity.TreeFilePath(n.DataDir)
	if n.SeenPath == "" {
		return // a ledger reached with --nats keeps no tree file here
	}
	repair := fmt.Sprintf("remove %s: it is a cache, rebuilt from the log when the ledger next opens it", path)
	if kind := integrity.TreeFileKind(path); kind != "" {
		// Not the ledger's file: it is neither read (a link is not
		// followed) nor removed, but set aside, since what someone put
		// there may matter to them.
		add(store, true, fmt.Sprintf("move %s aside: `ledger repair` does, and makes the file again from the log", path),
			"is %s, not a file: reads use a tree rebuilt from the log meanwhile", kind)
		return
	}
	content, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		add(store, false, "", "none yet: made from the log when the ledger next opens it")
		return
	case err != nil:
		add(store, true, repair, "cannot be read: %v", err)
		return
	}
	stored := &integrity.MemoryHashes{}
	count := int64(len(content) / tlog.HashSize)
	var hashes []tlog.Hash
	for i := range count {
		var hash tlog.Hash
		copy(hash[:], content[i*tlog.HashSize:])
		hashes = append(hashes, hash)
	}
	if err := stored.Append(hashes); err != nil {
		add(store, true, repair, "cannot be read: %v", err)
		return
	}
	file, err := integrity.NewTree(stored)
	if err != nil || len(content)%tlog.HashSize != 0 {
		add(store, false, "", "ends in a torn record (a crash while writing): repaired when the ledger next opens it")
		return
	}
	size := file.Size()
	switch {
	case uint64(size) > head:
		add(store, true, repair, "holds %d events but the log ends at %d: the log lost events, or the file is another log's", size, head)
		return
	case size > tree.Size():
		add(store, true, "`ledger verify` names the positions the log lost; restore them from a backup",
			"holds %d events but the log has %d: the log lost events", size, tree.Size())
		return
	}
	// Every stored hash, not only the root: a damaged inner hash would
	// give wrong proofs long before it changed a root.
	indexes := make([]int64, count)
	for i := range indexes {
		indexes[i] = int64(i)
	}
	want, err := tree.hashes.ReadHashes(indexes)
	if err != nil {
		add(store, true, repair, "cannot be compared with the log: %v", err)
		return
	}
	for i, hash := range hashes {
		if hash != want[i] {
			add(store, true, repair+"; `ledger verify` says whether the log or the file changed",
				"disagrees with the log at its hash %d of %d: the file is damaged, or the log changed", i, count)
			return
		}
	}
	if uint64(size) < head {
		add(store, false, "", "agrees with the log up to %d of %d events; the rest is added when the ledger next opens it", size, head)
		return
	}
	add(store, false, "", "agrees with the log (%d events)", size)
}

func (n *Node) checkSigned(ctx context.Context, add func(string, bool, string, string, ...any)) error {
	const store = "signed checkpoints"
	notes, err := n.Signed.All(ctx)
	if err != nil {
		add(store, true, "start the NATS server or cluster the ledger uses", "do not answer: %v", err)
		return nil
	}
	if n.SeenPath != "" {
		seen, err := integrity.LoadSeenCheckpoints(n.SeenPath)
		if err != nil {
			add(store, true, "`ledger verify` says what changed", "the record of checkpoints seen cannot be read: %v", err)
		} else if len(notes) < seen.Count {
			add(store, true, "restore the ledger from a backup (`ledger restore`); `ledger verify` names what is gone",
				"%d in the stream, but this data directory saw %d: signed history was deleted", len(notes), seen.Count)
			return nil
		}
	}
	if len(notes) == 0 {
		add(store, false, "", "none yet: `ledger checkpoint` signs one")
		return nil
	}
	// The doctor reads: it never makes a signing key (ExistingKeys), which
	// would be a stray one where the ledger signs with --signing-key.
	keys, err := n.ExistingKeys()
	if errors.Is(err, integrity.ErrNoSigningKey) {
		add(store, true, "give the ledger's --signing-key FILE, or put its signing key in the data directory's integrity folder",
			"not checked: %v", err)
		return nil
	}
	if private.IsExposed(err) {
		// The key others may read is named among the data directory's
		// secrets (or is the --signing-key file): the doctor goes on, and
		// checks the signatures once the key is its owner's alone.
		add(store, true, "make the signing key readable by its owner only, then ask the doctor again", "not checked: %v", err)
		return nil
	}
	if err != nil {
		return err
	}
	newest, err := integrity.OpenCheckpoint(notes[len(notes)-1], keys.Verifier)
	if err != nil {
		add(store, true, "`ledger verify` with the right --key says whether the key or the checkpoint is wrong",
			"the newest does not open with this directory's key: %v", err)
		return nil
	}
	add(store, false, "", "%d; the newest covers %d events and its signature holds", len(notes), newest.Size)
	return nil
}

// checkPrivateFiles checks that the data directory's secrets are its
// owner's alone.
func (n *Node) checkPrivateFiles(add func(string, bool, string, string, ...any)) {
	for _, name := range []string{"tokens.json", filepath.Join("integrity", "signing.key")} {
		path := filepath.Join(n.DataDir, name)
		info, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if info.Mode()&os.ModeSymlink != 0 {
			// A link could lead a repair's chmod, or the ledger's reads,
			// to a file outside the data directory.
			add(name, true, fmt.Sprintf("replace the link %s with the file itself", path), "is a symbolic link, not a file of the data directory")
			continue
		}
		if info.Mode().Perm()&0o077 != 0 {
			add(name, true, fmt.Sprintf("chmod 600 %s", path), "can be read by others (mode %04o)", info.Mode().Perm())
		} else {
			add(name, false, "", "only its owner reads it")
		}
	}
	dir := filepath.Join(n.DataDir, "nats")
	if entries, err := os.ReadDir(dir); err == nil {
		for _, entry := range entries {
			info, err := entry.Info()
			if err == nil && info.Mode().Perm()&0o077 != 0 {
				path := filepath.Join(dir, entry.Name())
				add("NATS credentials", true, fmt.Sprintf("chmod 600 %s", path), "%s can be read by others (mode %04o)", path, info.Mode().Perm())
				return
			}
		}
		add("NATS credentials", false, "", "only their owner reads them")
	}
}

// DoctorDataDir is the doctor of the ledger config names, as `ledger
// doctor` runs it: the ledger is opened, checked (Doctor) and closed. A
// secret of the data directory that others may read keeps the ledger from
// opening (internal/private): that is the doctor's finding, naming the
// repair that makes it its owner's alone, not the doctor's failure.
func DoctorDataDir(ctx context.Context, config Config) ([]app.Finding, error) {
	opened, err := Open(ctx, config)
	if private.IsExposed(err) {
		return []app.Finding{{Store: "secrets", Problem: true, What: err.Error(), Repair: "ledger repair --data " + config.DataDir}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer opened.Close()
	return opened.Doctor(ctx)
}
