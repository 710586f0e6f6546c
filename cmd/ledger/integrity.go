package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
)

// ledgerName is the checkpoints' origin line and the signing key's name.
const ledgerName = "ordos-union-ledger"

func integrityDir(dataDir string) string { return filepath.Join(dataDir, "integrity") }

// seenCheckpointsPath is where a data directory remembers the newest signed
// checkpoint it saw and how many the stream held.
func seenCheckpointsPath(dataDir string) string {
	return filepath.Join(integrityDir(dataDir), "seen-checkpoints.json")
}

// sawCheckpoints records that the checkpoint stream held count checkpoints,
// the newest being newest. It only ever grows what is remembered.
func (o *opened) sawCheckpoints(count int, newest []byte) error {
	if o.seenPath == "" {
		return nil
	}
	seen, err := integrity.LoadSeenCheckpoints(o.seenPath)
	if err != nil {
		return err
	}
	if next := seen.Saw(count, newest); next != seen {
		return next.Save(o.seenPath)
	}
	return nil
}

// openTree opens the tree this command may keep: the data directory's file
// when the command holds the directory, else a tree in memory rebuilt from
// the log.
func (o *opened) openTree(ctx context.Context, dataDir string) (*integrity.Tree, error) {
	var storage integrity.HashStorage = &integrity.MemoryHashes{}
	if o.lock != nil {
		path := filepath.Join(integrityDir(dataDir), "hashes")
		file, err := integrity.OpenFileHashes(path)
		if err != nil {
			return nil, err
		}
		if _, err := integrity.NewTree(file); err != nil {
			// A crash left part of a record: the file is a cache of the
			// log, so it is rebuilt.
			_ = file.Close()
			if err := os.Remove(path); err != nil {
				return nil, err
			}
			if file, err = integrity.OpenFileHashes(path); err != nil {
				return nil, err
			}
		}
		o.closers = append(o.closers, file.Close)
		storage = file
	}
	tree, err := integrity.NewTree(storage)
	if err != nil {
		return nil, err
	}
	return tree, catchUpTree(ctx, o.store, tree)
}

// catchUpTree appends to the tree every event it does not have yet.
func catchUpTree(ctx context.Context, store eventstore.Store, tree *integrity.Tree) error {
	for record, err := range store.Read(ctx, uint64(tree.Size()), eventstore.Filter{}) {
		if err != nil {
			return err
		}
		if err := appendLeaf(tree, record); err != nil {
			return err
		}
	}
	return tree.Sync()
}

// appendLeaf adds the record if it is the tree's next leaf.
func appendLeaf(tree *integrity.Tree, record eventstore.Record) error {
	switch next := uint64(tree.Size()) + 1; {
	case record.Position < next:
		return nil
	case record.Position > next:
		return fmt.Errorf("tree: the log jumps from position %d to %d", next-1, record.Position)
	}
	return tree.Append(record.Data)
}

func stampOf(tree *integrity.Tree, position uint64) (*projections.TreeStamp, error) {
	root, err := tree.Root(int64(position))
	if err != nil {
		return nil, err
	}
	return &projections.TreeStamp{Size: int64(position), Root: root.String()}, nil
}

func (f *storeFlags) keys() (integrity.Keys, error) {
	return integrity.LoadOrCreateKeys(integrityDir(f.dataDir), f.signingKey, ledgerName)
}

// signingTree is what every command that signs checkpoints needs: the keys
// and the tree over the log.
func (o *opened) signingTree(ctx context.Context, store *storeFlags) (integrity.Keys, *integrity.Tree, error) {
	keys, err := store.keys()
	if err != nil {
		return integrity.Keys{}, nil, err
	}
	tree, err := o.openTree(ctx, store.dataDir)
	if err != nil {
		return integrity.Keys{}, nil, err
	}
	return keys, tree, nil
}

// writeCheckpoint signs the tree at its size and stores the note.
func writeCheckpoint(ctx context.Context, o *opened, tree *integrity.Tree, keys integrity.Keys, now time.Time) (integrity.Checkpoint, []byte, error) {
	if err := tree.Sync(); err != nil {
		return integrity.Checkpoint{}, nil, err
	}
	size := tree.Size()
	root, err := tree.Root(size)
	if err != nil {
		return integrity.Checkpoint{}, nil, err
	}
	checkpoint := integrity.Checkpoint{Origin: ledgerName, Size: size, Root: root, Time: now}
	signed, err := checkpoint.Sign(keys.Signer)
	if err != nil {
		return integrity.Checkpoint{}, nil, err
	}
	if err := o.signed.Append(ctx, signed); err != nil {
		return integrity.Checkpoint{}, nil, err
	}
	// The stream held at least what this directory saw before, and now
	// one more: remembering that much can never claim more than was there.
	// A damaged record is left as it is: it is evidence, and verify names
	// it; the checkpoint itself is stored either way.
	if o.seenPath != "" {
		if seen, err := integrity.LoadSeenCheckpoints(o.seenPath); err == nil {
			if err := seen.Saw(seen.Count+1, signed).Save(o.seenPath); err != nil {
				return checkpoint, signed, fmt.Errorf("checkpoint stored, but not remembered in %s: %w", o.seenPath, err)
			}
		}
	}
	return checkpoint, signed, nil
}

func runCheckpoint(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "checkpoint", "\n\nSigns the Merkle tree over the whole log and stores the checkpoint in the append-only checkpoint stream.")
	var store storeFlags
	store.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	keys, tree, err := opened.signingTree(ctx, &store)
	if err != nil {
		return err
	}
	_, signed, err := writeCheckpoint(ctx, opened, tree, keys, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprint(env.stdout, string(signed))
	return nil
}

func runPubkey(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "pubkey", "\n\nPrints the verifier key auditors check checkpoints, proofs and bundles with.")
	var store storeFlags
	store.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	keys, err := store.keys()
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, keys.VerifierKey)
	return nil
}

// findPosition returns the position of an event by event id or entity id.
func findPosition(ctx context.Context, store eventstore.Store, id string) (eventstore.Record, error) {
	parsed, parseErr := uuid.Parse(id)
	var found eventstore.Record
	ok := false
	for record, err := range store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return eventstore.Record{}, err
		}
		if (parseErr == nil && record.Event.ID == parsed) || (record.Event.Data != nil && domain.EntityID(record.Event.Data) == id) {
			found, ok = record, true
		}
	}
	if !ok {
		return eventstore.Record{}, fmt.Errorf("no event %q in the ledger: %w", id, domain.ErrNotFound)
	}
	return found, nil
}

func runProof(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "proof", "ID [--out FILE]\n\nPrints an inclusion proof of the event (an event id, or the latest event of an entry id) against the latest checkpoint.")
	var store storeFlags
	store.register(flags)
	out := flags.String("out", "", "write the proof to this new file (mode 0600) instead of standard output")
	force := flags.Bool("force", false, "replace an existing --out file")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one ID")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	record, err := findPosition(ctx, opened.store, flags.Arg(0))
	if err != nil {
		return err
	}
	signed, err := opened.signed.Latest(ctx)
	if err != nil {
		return err
	}
	checkpoint, err := integrity.ParseCheckpointNote(signed)
	if err != nil {
		return err
	}
	tree, err := opened.openTree(ctx, store.dataDir)
	if err != nil {
		return err
	}
	proof, err := integrity.ProveInclusion(tree, signed, checkpoint, record.Position, record.Data)
	if err != nil {
		return err
	}
	encoded, err := integrity.MarshalIndent(proof)
	if err != nil {
		return err
	}
	if *out != "" {
		return writeOutput(*out, append(encoded, '\n'), *force)
	}
	fmt.Fprintln(env.stdout, string(encoded))
	return nil
}

func runVerifyProof(_ context.Context, env *environment, args []string) error {
	flags := newFlags(env, "verify-proof", "FILE --key KEY\n\nChecks an inclusion proof offline with nothing but the verifier key (the key text, or a file holding it).")
	key := flags.String("key", "", "the verifier key, or a file holding it")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 || *key == "" {
		return usagef("give one FILE and --key")
	}
	verifier, err := integrity.NewVerifier(*key)
	if err != nil {
		return usagef("%v", err)
	}
	content, err := os.ReadFile(flags.Arg(0))
	if err != nil {
		return err
	}
	var proof integrity.InclusionProof
	if err := json.Unmarshal(content, &proof); err != nil {
		return fmt.Errorf("%s: not a proof: %w", flags.Arg(0), err)
	}
	checkpoint, stored, err := proof.Check(verifier)
	if err != nil {
		return err
	}
	event, err := domain.DecodeStoredEvent(stored)
	if err != nil {
		return fmt.Errorf("the proven bytes are not an event: %w", err)
	}
	fmt.Fprintf(env.stdout, "OK: event %s (%s) at position %d is in the log of %d events with root %s, checkpoint signed %s by %s\n",
		event.ID, event.Type, proof.Position, checkpoint.Size, checkpoint.Root, checkpoint.Time.Format(time.RFC3339), verifier.Name())
	return nil
}

func runVerify(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "verify", "[--key KEY] [--trusted CHECKPOINT_FILE] [--json]\n\nRecomputes the Merkle tree from the raw log and checks every checkpoint and every event; names the first bad position.\n"+
		"Fails when signed checkpoints this data directory saw are gone, and when the log is not consistent with a --trusted checkpoint.")
	var store storeFlags
	store.register(flags)
	key := flags.String("key", "", "verifier key to check checkpoints with (default: the data directory's)")
	var trusted []string
	flags.Func("trusted", "a signed checkpoint you kept (as `ledger checkpoint` prints it); the log must be consistent with it (repeatable)", func(path string) error {
		trusted = append(trusted, path)
		return nil
	})
	asJSON := flags.Bool("json", false, "print the report as JSON")
	if err := parse(flags, args); err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	input := integrity.VerifyInput{Catalog: opened.catalog}
	if *key != "" {
		if input.Verifier, err = integrity.NewVerifier(*key); err != nil {
			return usagef("%v", err)
		}
	} else {
		keys, err := store.keys()
		if err != nil {
			return err
		}
		input.Verifier = keys.Verifier
	}
	for _, path := range trusted {
		signed, err := readCheckpointFile(path)
		if err != nil {
			return err
		}
		input.Trusted = append(input.Trusted, integrity.TrustedCheckpoint{Source: "trusted checkpoint " + path, Signed: signed})
	}
	if input.Checkpoints, err = opened.signed.All(ctx); err != nil {
		return err
	}
	if opened.seenPath != "" {
		if input.Seen, err = integrity.LoadSeenCheckpoints(opened.seenPath); err != nil {
			return err
		}
	}
	// The ledger's own tree file, read only: it names the exact position
	// whose bytes changed since they were appended.
	hashesPath := filepath.Join(integrityDir(store.dataDir), "hashes")
	if _, statErr := os.Stat(hashesPath); opened.lock == nil || statErr != nil {
		// Another process holds the directory and its tree file, or there
		// is none: checkpoints alone then narrow a change to a range.
	} else if file, err := integrity.OpenFileHashes(hashesPath); err == nil {
		defer file.Close()
		if stored, err := integrity.NewTree(file); err == nil {
			input.StoredSize = stored.Size()
			input.StoredLeaf = func(n int64) (tlog.Hash, bool) {
				if n >= stored.Size() {
					return tlog.Hash{}, false
				}
				leaf, err := stored.Leaf(n)
				return leaf, err == nil
			}
		}
	}
	head, err := opened.store.Head(ctx)
	if err != nil {
		return err
	}
	progress := newProgress(env, "verify")
	input.Progress = func(done uint64) { progress(done, head) }
	input.Messages, input.Placement = opened.storedMessages(ctx)
	report, err := integrity.Verify(ctx, input)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(env, report); err != nil {
			return err
		}
	} else {
		for _, problem := range report.Problems {
			if problem.Position > 0 {
				fmt.Fprintf(env.stdout, "position %d: %s\n", problem.Position, problem.What)
			} else {
				fmt.Fprintf(env.stdout, "%s\n", problem.What)
			}
		}
	}
	lost, err := checkKeystore(ctx, opened)
	if err != nil {
		return err
	}
	for _, subject := range lost {
		report.Problems = append(report.Problems, integrity.Problem{What: fmt.Sprintf(
			"personal data of %s cannot be read: its key is missing but it was never erased (keystore lost?)", subject)})
	}
	if len(lost) > 0 && !*asJSON {
		for _, subject := range lost {
			fmt.Fprintf(env.stdout, "keystore: no key for %s, which was never erased\n", subject)
		}
	}
	if first, bad := report.FirstBad(); bad {
		return fmt.Errorf("verification failed: first bad position %d: %s", first.Position, first.What)
	}
	if len(input.Checkpoints) > 0 {
		if err := opened.sawCheckpoints(len(input.Checkpoints), input.Checkpoints[len(input.Checkpoints)-1]); err != nil {
			return err
		}
	}
	if !*asJSON {
		fmt.Fprintf(env.stdout, "OK: %d events, %d checkpoints verified", report.Events, report.Checkpoints)
		if len(input.Trusted) > 0 {
			fmt.Fprintf(env.stdout, ", consistent with %d trusted checkpoints", len(input.Trusted))
		}
		fmt.Fprintf(env.stdout, "; tree root %s\n", report.Root)
	}
	return nil
}

// trustedCheckpointBytesMax bounds a checkpoint file an auditor hands in.
const trustedCheckpointBytesMax = 64 << 10

// readCheckpointFile reads a signed checkpoint note kept outside the ledger.
func readCheckpointFile(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usagef("--trusted: %v", err)
	}
	defer file.Close()
	content, err := io.ReadAll(io.LimitReader(file, trustedCheckpointBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("--trusted %s: %w", path, err)
	}
	if len(content) > trustedCheckpointBytesMax {
		return nil, usagef("--trusted %s: larger than %d bytes, not a checkpoint", path, trustedCheckpointBytesMax)
	}
	if _, err := integrity.ParseCheckpointNote(content); err != nil {
		return nil, usagef("--trusted %s: not a signed checkpoint: %v", path, err)
	}
	return content, nil
}

func runExportAudit(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "export-audit", "--from T --to T OUT\n\nWrites a self-contained audit bundle: events, checkpoints, consistency proofs, verifier key and the period's totals.")
	var store storeFlags
	store.register(flags)
	fromText := flags.String("from", "", "start of the period (RFC 3339, or a date: its start in Beijing time)")
	toText := flags.String("to", "", "end of the period (RFC 3339, or a date: its end in Beijing time)")
	force := flags.Bool("force", false, "write into an existing OUT directory, replacing its bundle files")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 || *fromText == "" || *toText == "" {
		return usagef("give --from, --to and one OUT directory")
	}
	if info, err := os.Lstat(flags.Arg(0)); err == nil && (info.Mode()&fs.ModeSymlink != 0 || !info.IsDir()) {
		return usagef("%s exists and is not a directory (a symbolic link is not followed)", flags.Arg(0))
	} else if err == nil && !*force {
		return usagef("%s exists: give --force to replace the bundle in it", flags.Arg(0))
	}
	to, err := parseInstant("to", *toText)
	if err != nil {
		return err
	}
	from, err := time.ParseInLocation(time.DateOnly, *fromText, projections.Beijing)
	if err != nil {
		if from, err = time.Parse(time.RFC3339, *fromText); err != nil {
			return usagef("--from %q: use RFC 3339 or a date", *fromText)
		}
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	keys, tree, err := opened.signingTree(ctx, &store)
	if err != nil {
		return err
	}
	// The bundle ends at a checkpoint of the whole log as it is now.
	checkpoint, _, err := writeCheckpoint(ctx, opened, tree, keys, time.Now())
	if err != nil {
		return err
	}
	var events [][]byte
	for record, err := range opened.store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return err
		}
		if int64(record.Position) > checkpoint.Size {
			break
		}
		events = append(events, record.Data)
	}
	all, err := opened.signed.All(ctx)
	if err != nil {
		return err
	}
	var covered [][]byte
	for _, signed := range all {
		parsed, err := integrity.ParseCheckpointNote(signed)
		if err == nil && parsed.Size <= checkpoint.Size {
			covered = append(covered, signed)
		}
	}
	report, err := integrity.ExportBundle(ctx, flags.Arg(0), events, covered, keys, from, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s: %d events, %d checkpoints, totals for %s to %s at tree size %d root %s\n",
		flags.Arg(0), len(events), len(covered), from.Format(time.DateOnly), to.Format(time.DateOnly), report.Tree.Size, report.Tree.Root)
	return nil
}

func runVerifyBundle(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "verify-bundle", "DIR --key KEY\n\nVerifies an audit bundle offline and recomputes its totals report.")
	key := flags.String("key", "", "the verifier key, or a file holding it (never the one inside the bundle)")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 || *key == "" {
		return usagef("give one DIR and --key")
	}
	verifier, err := integrity.NewVerifier(*key)
	if err != nil {
		return usagef("%v", err)
	}
	report, err := integrity.VerifyBundle(ctx, flags.Arg(0), verifier)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "OK: %d events verified against the signed checkpoints; the totals report matches, tree size %d root %s\n",
		report.Tree.Size, report.Tree.Size, report.Tree.Root)
	return nil
}

// storedMessages yields every event as its store keeps it, for
// verification, and says where each event belongs: the JetStream subject,
// or the EventStoreDB stream (whose envelope stands in for the headers).
func (o *opened) storedMessages(ctx context.Context) (iter.Seq2[integrity.Message, error], func(domain.Event) string) {
	if o.eventStore != nil {
		return func(yield func(integrity.Message, error) bool) {
			for stored, err := range o.eventStore.Stored(ctx, 0) {
				message := integrity.Message{Position: stored.Position, Subject: stored.Stream, Data: stored.Data, Header: map[string]string{}}
				if stored.EnvelopeError == nil {
					message.Header["Ledger-Event-Id"] = stored.Envelope.EventID
					message.Header["Ledger-Event-Type"] = stored.Envelope.Type
					message.Header["Ledger-Schema-Version"] = strconv.Itoa(stored.Envelope.SchemaVersion)
				}
				if !yield(message, err) || err != nil {
					return
				}
			}
		}, o.eventStore.StreamOf
	}
	return func(yield func(integrity.Message, error) bool) {
		for raw, err := range o.jetstream.Raw(ctx, 0) {
			message := integrity.Message{Position: raw.Position, Subject: raw.Subject, Data: raw.Data, Header: map[string]string{}}
			for name := range raw.Header {
				message.Header[name] = raw.Header.Get(name)
			}
			if !yield(message, err) || err != nil {
				return
			}
		}
	}, o.jetstream.Subject
}
