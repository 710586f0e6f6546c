package integrity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"iter"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Message is a stored message as verification sees it. Verify reads it on
// another goroutine than the one that yields it, so a yielded Data must not
// change afterwards.
type Message struct {
	Position uint64
	Subject  string
	Header   map[string]string
	// Headers are the headers as NATS keeps them (a name's values, the
	// first of which counts), read when Header is nil: a reader passes
	// them on as they are instead of building a map per message.
	Headers map[string][]string
	Data    []byte
}

// VerifyInput is what Verify checks.
type VerifyInput struct {
	Messages    iter.Seq2[Message, error]
	Checkpoints [][]byte
	Verifier    note.Verifier
	// StoredLeaf, if set, returns the leaf hash the ledger stored when it
	// appended position n+1 (its tree file), and whether it has one.
	StoredLeaf func(n int64) (tlog.Hash, bool)
	StoredSize int64
	// StoredHashes, if set, reads every hash of the same tree file (the
	// leaves and the inner hashes of complete subtrees, tlog's layout):
	// its inner hashes are compared with the recomputed tree's, since a
	// damaged one gives wrong roots and proofs while every leaf is right.
	StoredHashes StoredHashes
	Catalog      *domain.Catalog
	// Placement names where an event must be stored: its JetStream
	// subject, or its EventStoreDB stream. Message.Subject is checked
	// against it.
	Placement func(event domain.Event) string
	Progress  func(done uint64)
	// Seen is what the data directory remembers of the checkpoint stream:
	// Checkpoints must hold at least Seen.Count notes and Seen.Newest.
	Seen SeenCheckpoints
	// Trusted are checkpoints kept apart from the ledger (by an auditor,
	// say): the log must be consistent with each.
	Trusted []TrustedCheckpoint
	// Bare says the messages come from a copy that keeps only the stored
	// bytes, such as a tlog-tiles mirror: there are no headers to check
	// against the events, and their absence is no problem.
	Bare bool
	// Witnesses, when set, is how many of which witnesses must have
	// cosigned the newest checkpoint.
	Witnesses *WitnessPolicy
}

// StoredHashes reads a tree file's hashes for verification: FileHashes,
// or any store of hashes in tlog's layout.
type StoredHashes interface {
	tlog.HashReader
	// Count is how many hashes are stored.
	Count() int64
}

// TrustedCheckpoint is a signed checkpoint from outside the ledger and
// where it came from, for the report.
type TrustedCheckpoint struct {
	Source string
	Signed []byte
}

// Problem is one thing wrong, at a log position (0: not about one position).
type Problem struct {
	Position uint64 `json:"position"`
	What     string `json:"what"`
}

// Report is the outcome of Verify.
type Report struct {
	Events      int64     `json:"events"`
	Root        tlog.Hash `json:"root"`
	Checkpoints int       `json:"checkpoints"`
	Problems    []Problem `json:"problems"`
	// Notes are what an auditor should know that is no failure: events a
	// crash left out of the ledger's tree file, events no signed checkpoint
	// covers yet.
	Notes []Problem `json:"notes,omitempty"`
	// TreeFile is damage found in the ledger's tree file, a cache of the
	// log's hashes, where the log itself verified: a leaf hash that
	// differs from the log's where a signed checkpoint proves the log's
	// bytes, or an inner hash that differs although the file's leaves
	// under it agree with the log. It is no failure of the log; the
	// auditor is told which of the two changed, and `ledger repair` makes
	// the file again.
	TreeFile []Problem `json:"tree_file,omitempty"`
	// Cosigners are the witnesses of the policy whose cosignature on the
	// newest checkpoint verifies.
	Cosigners []string `json:"cosigners,omitempty"`
}

// problemsMax bounds the problems a report lists; the first is what matters.
const problemsMax = 50

// OK is true when nothing is wrong.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// FirstBad is the problem at the lowest position.
func (r Report) FirstBad() (Problem, bool) {
	if len(r.Problems) == 0 {
		return Problem{}, false
	}
	return r.Problems[0], true
}

// noteUncovered notes the events after the newest signed checkpoint: no
// signature commits to them yet.
func (r *Report) noteUncovered(input VerifyInput, last uint64) {
	var newest uint64
	for _, signed := range input.Checkpoints {
		if checkpoint, err := OpenCheckpoint(signed, input.Verifier); err == nil && uint64(checkpoint.Size) > newest {
			newest = uint64(checkpoint.Size)
		}
	}
	if last <= newest {
		return
	}
	var covers string
	switch newest {
	case 0:
		covers = "none is signed yet"
	case 1:
		covers = "the newest covers 1 event"
	default:
		covers = fmt.Sprintf("the newest covers %d events", newest)
	}
	uncovered := fmt.Sprintf("positions %d-%d are", newest+1, last)
	if newest+1 == last {
		uncovered = fmt.Sprintf("position %d is", last)
	}
	r.Notes = append(r.Notes, Problem{Position: newest + 1, What: fmt.Sprintf(
		"%s not yet covered by a signed checkpoint (%s): `ledger checkpoint` signs one", uncovered, covers)})
}

// add lists a problem, and says at which index of Problems (-1: the list
// was full), so that a leaf's problem can be judged again once the signed
// checkpoints are known.
func (r *Report) add(position uint64, format string, args ...any) int {
	if len(r.Problems) < problemsMax {
		r.Problems = append(r.Problems, Problem{Position: position, What: fmt.Sprintf(format, args...)})
		return len(r.Problems) - 1
	}
	return -1
}

// verifyBatchMessages is how many messages the reading goroutine hands the
// checking one at a time: enough that the hand-over costs little per
// message, few enough that both start at once.
const verifyBatchMessages = 256

// verifyBatchesAhead bounds the batches read ahead of the checking, and so
// the memory a fast reader can hold.
const verifyBatchesAhead = 4

// messageBatch is a run of messages in log order with their leaf hashes,
// or the error that ended the reading.
type messageBatch struct {
	messages []Message
	leaves   []tlog.Hash
	err      error
}

// readAhead ranges over messages on its own goroutine, hashes each as a
// leaf and hands them on in batches, so that reading and hashing (the
// client's fetching and parsing, SHA-256 over every byte) run on one core
// while decoding and checking run on the other. It stops when done is
// closed.
func readAhead(messages iter.Seq2[Message, error], done <-chan struct{}) <-chan messageBatch {
	out := make(chan messageBatch, verifyBatchesAhead)
	go func() {
		defer close(out)
		send := func(batch messageBatch) bool {
			select {
			case out <- batch:
				return true
			case <-done:
				return false
			}
		}
		hasher := newLeafHasher()
		fresh := func() messageBatch {
			return messageBatch{messages: make([]Message, 0, verifyBatchMessages), leaves: make([]tlog.Hash, 0, verifyBatchMessages)}
		}
		batch := fresh()
		for message, err := range messages {
			if err != nil {
				if len(batch.messages) > 0 && !send(batch) {
					return
				}
				send(messageBatch{err: err})
				return
			}
			batch.messages = append(batch.messages, message)
			batch.leaves = append(batch.leaves, hasher.leaf(message.Data))
			if len(batch.messages) == verifyBatchMessages {
				if !send(batch) {
					return
				}
				batch = fresh()
			}
		}
		if len(batch.messages) > 0 {
			send(batch)
		}
	}()
	return out
}

// leafHasher computes RFC 6962 leaf hashes, SHA-256(0x00 || data), with one
// reused digest: tlog.RecordHash allocates a digest for every leaf.
type leafHasher struct {
	digest hash.Hash
	sum    []byte
}

func newLeafHasher() *leafHasher {
	return &leafHasher{digest: sha256.New(), sum: make([]byte, 0, sha256.Size)}
}

var leafPrefix = []byte{0x00}

func (h *leafHasher) leaf(data []byte) tlog.Hash {
	h.digest.Reset()
	h.digest.Write(leafPrefix)
	h.digest.Write(data)
	var leaf tlog.Hash
	copy(leaf[:], h.digest.Sum(h.sum[:0]))
	return leaf
}

// Verify recomputes the tree from the raw log, checks every event's own
// integrity, every checkpoint's signature, root and consistency with the one
// before it, and reports problems in position order. Where the tree file
// disagrees with the log, the signed checkpoints say which of the two
// changed: damage to the file alone is reported in TreeFile, and fails
// nothing.
func Verify(ctx context.Context, input VerifyInput) (Report, error) {
	var report Report
	tree, _ := NewTree(&MemoryHashes{})
	w := walk{expected: 1}
	done := make(chan struct{})
	defer close(done)
	for batch := range readAhead(input.Messages, done) {
		if batch.err != nil {
			return report, batch.err
		}
		for i, message := range batch.messages {
			if err := verifyMessage(&report, input, tree, message, batch.leaves[i], &w); err != nil {
				return report, err
			}
		}
	}
	if input.StoredLeaf != nil && input.StoredSize >= int64(w.expected) {
		report.add(w.expected, "missing: the ledger's own tree has %d events but the log ends at %d", input.StoredSize, w.expected-1)
		w.treeProblems = append(w.treeProblems, w.expected)
	}
	judgeLeaves(&report, input, tree, &w)
	checkStoredInner(&report, input, tree, &w)
	checkCheckpoints(&report, input, tree, w.treeProblems)
	checkHistory(&report, input, tree)
	checkWitnesses(&report, input)
	if len(w.beyondFile) > 0 {
		report.Notes = append(report.Notes, Problem{Position: w.beyondFile[0], What: fmt.Sprintf(
			"positions %d-%d are not in the ledger's tree file (it ends at %d): normal after a crash; the ledger adds them when it next opens the file",
			w.beyondFile[0], w.beyondFile[len(w.beyondFile)-1], input.StoredSize)})
	}
	report.noteUncovered(input, w.expected-1)
	if root, err := tree.Root(tree.Size()); err == nil {
		report.Root = root
	}
	sort.SliceStable(report.Problems, func(i, j int) bool {
		a, b := report.Problems[i].Position, report.Problems[j].Position
		return a != 0 && (b == 0 || a < b)
	})
	return report, nil
}

// walk is what verification gathers while it reads the log in order.
type walk struct {
	// expected is the position the next message should have.
	expected uint64
	// jumped says a position was not the one expected: the recomputed
	// tree's leaves no longer line up with the tree file's.
	jumped bool
	// treeProblems are the positions, in order, where the log is known
	// to have changed (see checkCheckpoints).
	treeProblems []uint64
	// beyondFile are the positions after the end of the tree file.
	beyondFile []uint64
	// mismatches are the positions whose leaf differs from the tree
	// file's, judged once the signed checkpoints are known.
	mismatches []leafMismatch
}

// leafMismatch is a position whose stored bytes hash to another leaf than
// the tree file holds, and the index of its problem in the report's
// Problems (-1: the list was full).
type leafMismatch struct {
	position uint64
	problem  int
}

// verifyMessage checks one message in log order: its position follows the
// one before, its leaf (hashed by readAhead) joins the tree and matches the tree file's, and its
// event decodes, validates and matches its headers and subject.
func verifyMessage(report *Report, input VerifyInput, tree *Tree, message Message, leaf tlog.Hash, w *walk) error {
	if message.Position != w.expected {
		report.add(w.expected, "missing: the log jumps from position %d to %d (events were dropped)", w.expected-1, message.Position)
		// JetStream numbers positions itself: a gap is a fact.
		w.treeProblems = append(w.treeProblems, w.expected)
		w.jumped = true
	}
	w.expected = message.Position + 1
	if err := tree.AppendLeaf(leaf); err != nil {
		return err
	}
	report.Events++
	if input.StoredLeaf != nil {
		// The ledger hashed position p as leaf p-1 when it appended it.
		index := int64(message.Position) - 1
		if stored, ok := input.StoredLeaf(index); ok && stored != leaf {
			// Listed now, so that it comes before the event's other
			// problems at this position; judgeLeaves says later whether
			// the log or the tree file changed.
			problem := report.add(message.Position, "the stored bytes differ from those the ledger hashed when it appended them")
			w.mismatches = append(w.mismatches, leafMismatch{position: message.Position, problem: problem})
			w.treeProblems = append(w.treeProblems, message.Position)
		} else if !ok && index >= input.StoredSize {
			// A crash between the append and the tree file's write
			// leaves events out of the file: no failure by itself. A
			// signed checkpoint over them checks them; beyond the
			// newest one they are reported as not yet covered.
			w.beyondFile = append(w.beyondFile, message.Position)
		}
	}
	checkEvent(report, input, message)
	if input.Progress != nil {
		input.Progress(message.Position)
	}
	return nil
}

// signedCover is a signed checkpoint that opens with the verifier, for
// judging a leaf the tree file disagrees on: its size, whether the tree
// recomputed from the log has its root, and its name for the report.
type signedCover struct {
	size    int64
	matches bool
	name    string
}

// signedCovers opens every signed checkpoint verification knows of: the
// stream's, the trusted ones and the newest this data directory saw. One
// that does not open proves nothing, and is reported where it is checked.
func signedCovers(input VerifyInput, tree *Tree) []signedCover {
	var covers []signedCover
	consider := func(name string, signed []byte) {
		checkpoint, err := OpenCheckpoint(signed, input.Verifier)
		if err != nil {
			return
		}
		cover := signedCover{size: checkpoint.Size, name: fmt.Sprintf("%s (size %d)", name, checkpoint.Size)}
		if checkpoint.Size <= tree.Size() {
			root, err := tree.Root(checkpoint.Size)
			cover.matches = err == nil && root == checkpoint.Root
		}
		covers = append(covers, cover)
	}
	for i, signed := range input.Checkpoints {
		consider(fmt.Sprintf("signed checkpoint %d", i+1), signed)
	}
	for _, kept := range input.Trusted {
		consider(kept.Source, kept.Signed)
	}
	if input.Seen.Newest != "" {
		consider("the newest checkpoint this data directory saw", []byte(input.Seen.Newest))
	}
	return covers
}

// judgeLeaves says, for each position whose leaf differs from the tree
// file's, which of the two changed. When every signed checkpoint covering
// the position has the root of the tree recomputed from the log, the log's
// bytes there are the ones signed, so the file is damaged: that goes to
// TreeFile and fails nothing. When one of them does not match, the log
// changed, and the problem stays as it is. When none covers the position,
// nothing can tell the two apart, and the problem says so.
func judgeLeaves(report *Report, input VerifyInput, tree *Tree, w *walk) {
	if len(w.mismatches) == 0 {
		return
	}
	covers := signedCovers(input, tree)
	fileDamaged := map[uint64]bool{}
	dropped := map[int]bool{}
	for _, mismatch := range w.mismatches {
		covered, intact := false, true
		var by *signedCover
		for i, cover := range covers {
			if cover.size < int64(mismatch.position) {
				continue
			}
			covered = true
			if !cover.matches {
				intact = false
			} else if by == nil || cover.size < by.size {
				by = &covers[i]
			}
		}
		switch {
		case covered && intact:
			fileDamaged[mismatch.position] = true
			if mismatch.problem >= 0 {
				dropped[mismatch.problem] = true
			}
			report.TreeFile = append(report.TreeFile, Problem{Position: mismatch.position, What: fmt.Sprintf(
				"its leaf hash for position %d differs from the log's, but %s proves the log's bytes there are the ones signed: "+
					"the tree file (a cache) is damaged, not the log; `ledger repair` makes it again from the log",
				mismatch.position, by.name)})
		case !covered && mismatch.problem >= 0:
			report.Problems[mismatch.problem].What = "the stored bytes differ from those the ledger's tree file holds for this position, " +
				"and no signed checkpoint covers it to tell which changed: either the log or the tree file changed here"
		}
	}
	if len(fileDamaged) == 0 {
		return
	}
	kept := report.Problems[:0]
	for i, problem := range report.Problems {
		if !dropped[i] {
			kept = append(kept, problem)
		}
	}
	report.Problems = kept
	positions := w.treeProblems[:0]
	for _, position := range w.treeProblems {
		if !fileDamaged[position] {
			positions = append(positions, position)
		}
	}
	w.treeProblems = positions
}

// storedHashesRun is how many of the tree file's hashes are read at once
// to compare them with the recomputed tree's.
const storedHashesRun = 4096

// checkStoredInner compares the tree file's inner hashes with those of the
// tree recomputed from the log. An inner hash is a function of the leaves
// under it, so one that differs while the file's leaves under it agree
// with the log is damage to the file, whatever the checkpoints say; one
// over a leaf that differs adds nothing to that leaf's problem. Only the
// first is named, as the doctor names it; the file is remade whole. After
// a gap in the log the two trees no longer line up, and the gap is the
// answer.
func checkStoredInner(report *Report, input VerifyInput, tree *Tree, w *walk) {
	memory, ok := tree.storage.(*MemoryHashes)
	if input.StoredHashes == nil || w.jumped || !ok {
		return
	}
	count := input.StoredHashes.Count()
	compared := min(count, int64(len(memory.hashes)))
	run := make([]tlog.Hash, storedHashesRun)
	for start := int64(0); start < compared; start += storedHashesRun {
		hashes := run[:min(storedHashesRun, compared-start)]
		if err := readStoredHashes(input.StoredHashes, start, hashes); err != nil {
			report.TreeFile = append(report.TreeFile, Problem{What: fmt.Sprintf(
				"its hashes cannot be read to compare them with the log's (%v): `ledger repair` makes it again from the log", err)})
			return
		}
		for i, hash := range hashes {
			index := start + int64(i)
			if hash == memory.hashes[index] {
				continue
			}
			level, n := tlog.SplitStoredHashIndex(index)
			if level == 0 {
				continue // a leaf: judgeLeaves has judged it
			}
			first, last := uint64(n<<level)+1, uint64((n+1)<<level)
			if w.mismatchBetween(first, last) {
				continue
			}
			report.TreeFile = append(report.TreeFile, Problem{Position: first, What: fmt.Sprintf(
				"its hash %d of %d (over positions %d-%d) differs from the one the log gives, while its leaf hashes there agree with the log: "+
					"the tree file (a cache) is damaged, not the log; `ledger repair` makes it again from the log", index, count, first, last)})
			return
		}
	}
}

// mismatchBetween says whether a leaf differs from the tree file's at a
// position from first to last; the mismatches are in position order.
func (w *walk) mismatchBetween(first, last uint64) bool {
	at := sort.Search(len(w.mismatches), func(i int) bool { return w.mismatches[i].position >= first })
	return at < len(w.mismatches) && w.mismatches[at].position <= last
}

// readStoredHashes reads the stored hashes from start on into out: a tree
// file with one read, any other store by their indexes.
func readStoredHashes(stored StoredHashes, start int64, out []tlog.Hash) error {
	if file, ok := stored.(*FileHashes); ok {
		return file.readRun(start, out)
	}
	indexes := make([]int64, len(out))
	for i := range indexes {
		indexes[i] = start + int64(i)
	}
	hashes, err := stored.ReadHashes(indexes)
	if err != nil {
		return err
	}
	copy(out, hashes)
	return nil
}

func checkEvent(report *Report, input VerifyInput, message Message) {
	event, err := domain.DecodeStoredEvent(message.Data)
	if err != nil {
		report.add(message.Position, "the stored event does not decode: %v", err)
		return
	}
	recordedAt := event.RecordedAt
	validator := domain.Validator{Catalog: input.Catalog, Now: func() time.Time { return recordedAt }}
	if err := validator.Validate(event); err != nil {
		report.add(message.Position, "the stored event breaks validation: %v", err)
	}
	if input.Bare {
		return
	}
	// The id is compared in its canonical text without building a string
	// per event; the version is a small number, whose text Itoa does not
	// allocate.
	var id [uuidTextBytes]byte
	encodeUUID(&id, event.ID)
	if got := input.headerValue(message, "Ledger-Event-Id"); got != string(id[:]) {
		report.add(message.Position, "header %s is %q but the event says %q", "Ledger-Event-Id", got, string(id[:]))
	}
	want := [...]struct{ header, value string }{
		{"Ledger-Event-Type", string(event.Type)},
		{"Ledger-Schema-Version", strconv.Itoa(eventstore.StoredVersion(event))},
	}
	for _, header := range want {
		if got := input.headerValue(message, header.header); got != header.value {
			report.add(message.Position, "header %s is %q but the event says %q", header.header, got, header.value)
		}
	}
	if input.Placement == nil {
		return
	}
	if place := input.Placement(event); message.Subject != place {
		report.add(message.Position, "stored under %q but the event belongs under %q", message.Subject, place)
	}
}

func (input VerifyInput) headerValue(message Message, name string) string {
	if message.Header != nil {
		return message.Header[name]
	}
	if values := message.Headers[name]; len(values) > 0 {
		return values[0]
	}
	return ""
}

// uuidTextBytes is the length of a UUID's canonical text, in bytes.
const uuidTextBytes = 36

// encodeUUID writes id's canonical text, what uuid.UUID.String returns,
// into buffer: verify compares it with a header for every event, and a
// string per event would be garbage.
func encodeUUID(buffer *[uuidTextBytes]byte, id uuid.UUID) {
	hex.Encode(buffer[0:8], id[0:4])
	buffer[8] = '-'
	hex.Encode(buffer[9:13], id[4:6])
	buffer[13] = '-'
	hex.Encode(buffer[14:18], id[6:8])
	buffer[18] = '-'
	hex.Encode(buffer[19:23], id[8:10])
	buffer[23] = '-'
	hex.Encode(buffer[24:], id[10:])
}

// checkCheckpoints checks every checkpoint. treeProblems are the positions,
// in order, where the stored leaves prove the tree changed (a missing
// position, or bytes that differ from those the ledger hashed); a checkpoint
// that no longer matches names the first of them in its range, and
// otherwise the range's start, the only sound answer without the leaves.
func checkCheckpoints(report *Report, input VerifyInput, tree *Tree, treeProblems []uint64) {
	var previous *Checkpoint
	for i, signed := range input.Checkpoints {
		report.Checkpoints++
		checkpoint, err := OpenCheckpoint(signed, input.Verifier)
		if err != nil {
			report.add(0, "checkpoint %d: %v", i+1, err)
			continue
		}
		switch {
		case checkpoint.Size > tree.Size():
			report.add(0, "checkpoint %d commits to %d events but only %d remain in the log: events were removed",
				i+1, checkpoint.Size, tree.Size())
			continue
		case previous != nil && checkpoint.Size < previous.Size:
			report.add(0, "checkpoint %d is smaller (%d) than the one before it (%d)", i+1, checkpoint.Size, previous.Size)
			continue
		}
		root, err := tree.Root(checkpoint.Size)
		if err != nil {
			report.add(0, "checkpoint %d: %v", i+1, err)
			continue
		}
		if root != checkpoint.Root {
			from := uint64(1)
			if previous != nil {
				from = uint64(previous.Size) + 1
			}
			// Name the first position in the range that is known to be bad,
			// else the range's start: the checkpoint says only that
			// something in it changed.
			at := from
			for _, position := range treeProblems {
				if position >= from && position <= uint64(checkpoint.Size) {
					at = position
					break
				}
			}
			report.add(at, "checkpoint %d (size %d) does not match the log: an event between positions %d and %d was changed, removed or reordered",
				i+1, checkpoint.Size, from, checkpoint.Size)
			continue
		}
		if previous != nil && previous.Size > 0 {
			proof, err := tree.ProveConsistency(checkpoint.Size, previous.Size)
			if err == nil {
				err = tlog.CheckTree(proof, checkpoint.Size, checkpoint.Root, previous.Size, previous.Root)
			}
			if err != nil {
				report.add(0, "checkpoint %d is not consistent with checkpoint %d: %v", i+1, i, err)
			}
		}
		previous = &checkpoint
	}
}

// checkHistory checks what the checkpoint stream alone cannot show: that
// none of its checkpoints were deleted since this data directory last
// looked, and that the log extends every checkpoint kept outside it.
func checkHistory(report *Report, input VerifyInput, tree *Tree) {
	if len(input.Checkpoints) < input.Seen.Count {
		report.add(0, "the checkpoint stream holds %d signed checkpoints but held at least %d: signed checkpoints were deleted",
			len(input.Checkpoints), input.Seen.Count)
	}
	trusted := input.Trusted
	if input.Seen.Newest != "" {
		if !input.Seen.Holds(input.Checkpoints) {
			described := "the newest checkpoint this data directory saw"
			if seen, err := ParseCheckpointNote([]byte(input.Seen.Newest)); err == nil {
				described = fmt.Sprintf("%s (size %d, signed %s)", described, seen.Size, seen.Time.UTC().Format(time.RFC3339))
			}
			report.add(0, "%s is missing from the checkpoint stream: signed checkpoints were deleted or replaced", described)
		}
		trusted = append(trusted, TrustedCheckpoint{Source: "the newest checkpoint this data directory saw", Signed: []byte(input.Seen.Newest)})
	}
	for _, kept := range trusted {
		checkTrusted(report, input, tree, kept)
	}
}

// checkTrusted proves the log consistent with a checkpoint kept outside
// it: the tree over the log's first Size events has the checkpoint's root,
// and a consistency proof from it to the whole log checks.
func checkTrusted(report *Report, input VerifyInput, tree *Tree, kept TrustedCheckpoint) {
	checkpoint, err := OpenCheckpoint(kept.Signed, input.Verifier)
	if err != nil {
		report.add(0, "%s: %v", kept.Source, err)
		return
	}
	if checkpoint.Size > tree.Size() {
		report.add(0, "%s commits to %d events but the log holds %d: events were removed", kept.Source, checkpoint.Size, tree.Size())
		return
	}
	root, err := tree.Root(checkpoint.Size)
	if err != nil {
		report.add(0, "%s: %v", kept.Source, err)
		return
	}
	if root != checkpoint.Root {
		report.add(0, "%s (size %d, root %s) does not match the log's first %d events: history was rewritten",
			kept.Source, checkpoint.Size, checkpoint.Root, checkpoint.Size)
		return
	}
	if checkpoint.Size == 0 || checkpoint.Size == tree.Size() {
		return
	}
	head, err := tree.Root(tree.Size())
	if err == nil {
		var proof tlog.TreeProof
		if proof, err = tree.ProveConsistency(tree.Size(), checkpoint.Size); err == nil {
			err = tlog.CheckTree(proof, tree.Size(), head, checkpoint.Size, checkpoint.Root)
		}
	}
	if err != nil {
		report.add(0, "%s: the log is not consistent with it: %v", kept.Source, err)
	}
}
