package node

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"strconv"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
)

// Keys is the checkpoint signing key pair: the configured file, or the
// data directory's, made at first use. Only what signs takes it so (a
// checkpoint, serve, a period's close, an audit export, a backup's
// manifest): what only reads or checks takes ExistingKeys, for a key made
// by a read is a stray one. A ledger started with --signing-key FILE keeps
// no key in its data directory, and a later command on that directory
// without the flag would otherwise make one, derive another seal key from
// it, distrust the ledger's projection checkpoint, and leave a key that a
// later start without the flag signs with.
func (n *Node) Keys() (integrity.Keys, error) {
	return integrity.LoadDataDirKeys(n.DataDir, n.signingKey)
}

// ExistingKeys is the checkpoint signing key pair when there is one (the
// configured file, or the data directory's), for what reads or checks: it
// never makes one, and when there is none it is an error that is
// integrity.ErrNoSigningKey, and nothing is written.
func (n *Node) ExistingKeys() (integrity.Keys, error) {
	if n.DataDir == "" && n.signingKey == "" {
		return integrity.Keys{}, fmt.Errorf("no data directory and no --signing-key: %w", integrity.ErrNoSigningKey)
	}
	return integrity.LoadExistingDataDirKeys(n.DataDir, n.signingKey)
}

// OpenTree opens the tree this node may keep (the data directory's file
// when it holds the directory; a copy of it when the running ledger that
// holds the directory was reached; else one in memory rebuilt from the
// log), caught up with the log. The node closes it. The file is a cache:
// a path that holds something else (a directory, a link) does not stop a
// read; the tree is rebuilt in memory with a warning, and `ledger repair`
// sets the thing aside.
func (n *Node) OpenTree(ctx context.Context) (*integrity.Tree, error) {
	if n.viaHolder {
		// The running ledger keeps the file; a copy of it spares reading
		// the whole log.
		return integrity.CopyTree(ctx, n.Store, integrity.TreeFilePath(n.DataDir))
	}
	tree, closeTree, err := integrity.OpenTree(ctx, n.Store, n.TreeFile())
	if errors.Is(err, integrity.ErrTreeFileNotRegular) {
		n.logger.Warn("the tree file is damaged; using a tree rebuilt from the log in memory (`ledger repair` sets it aside and makes the file again)",
			"error", err)
		tree, closeTree, err = integrity.OpenTree(ctx, n.Store, "")
	}
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, closeTree)
	return tree, nil
}

// SigningTree is what every use that signs checkpoints needs: the keys and
// the tree over the log.
func (n *Node) SigningTree(ctx context.Context) (integrity.Keys, *integrity.Tree, error) {
	keys, err := n.Keys()
	if err != nil {
		return integrity.Keys{}, nil, err
	}
	tree, err := n.OpenTree(ctx)
	if err != nil {
		return integrity.Keys{}, nil, err
	}
	return keys, tree, nil
}

// WriteCheckpoint signs the tree at its size, has the witnesses cosign it
// (when Cosign is set) and stores the note. A tree whose stored hashes are
// damaged is not signed (integrity.ErrTreeFileDamaged): see
// integrity.WriteCheckpoint.
func (n *Node) WriteCheckpoint(ctx context.Context, tree *integrity.Tree, keys integrity.Keys, now time.Time) (integrity.Checkpoint, []byte, error) {
	return integrity.WriteCheckpoint(ctx, n.Signed, n.logBytes, tree, keys, now, n.SeenPath, n.Cosign)
}

// signOwnTree signs the tree a command opened for itself, as
// WriteCheckpoint does. When the tree's stored hashes are damaged, the
// tree is made again from the log and that one is signed: the tree file is
// a cache, the log is what a checkpoint commits to, and whoever asked for
// a checkpoint (`ledger checkpoint`, a period's close, an audit export)
// wants one of the log, not an error about a cache the ledger can mend
// itself. The file is made again only when this process keeps it and no
// live tree of this process follows it (Run); else a tree rebuilt in
// memory is signed and the file is left to `ledger repair`. What was done
// is logged as a warning.
func (n *Node) signOwnTree(ctx context.Context, tree *integrity.Tree, keys integrity.Keys, now time.Time) (integrity.Checkpoint, []byte, error) {
	checkpoint, signed, err := n.WriteCheckpoint(ctx, tree, keys, now)
	if !errors.Is(err, integrity.ErrTreeFileDamaged) {
		return checkpoint, signed, err
	}
	rebuilt, how, rebuildErr := n.rebuildTree(ctx)
	if rebuildErr != nil {
		return integrity.Checkpoint{}, nil, errors.Join(err, rebuildErr)
	}
	n.logger.Warn("the tree file is damaged; the checkpoint is signed from a tree made again from the log", "damage", err, "tree", how)
	return n.WriteCheckpoint(ctx, rebuilt, keys, now)
}

// rebuildTree makes the tree again from the log: the data directory's file
// when this process keeps it (as `ledger repair` does) and nothing of this
// process follows it, else a tree in memory. It says which.
func (n *Node) rebuildTree(ctx context.Context) (*integrity.Tree, string, error) {
	path := n.TreeFile()
	if path == "" || n.viaHolder || n.running || integrity.TreeFileKind(path) != "" {
		tree, _, err := integrity.OpenTree(ctx, n.Store, "")
		return tree, "rebuilt in memory; `ledger repair` makes the file again", err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, "", err
	}
	tree, err := n.OpenTree(ctx)
	return tree, "made the tree file again from the log", err
}

// SawCheckpoints remembers how many checkpoints the stream held and the
// newest, in the data directory's record.
func (n *Node) SawCheckpoints(count int, newest []byte) error {
	return integrity.SawCheckpoints(n.SeenPath, count, newest)
}

// StoredMessages yields every event as its store keeps it, for
// verification, and says where each event belongs: the JetStream subject,
// or the EventStoreDB stream (whose envelope stands in for the headers).
func (n *Node) StoredMessages(ctx context.Context) (iter.Seq2[integrity.Message, error], func(domain.Event) string) {
	return n.storedMessages(ctx, 0)
}

// logBytes reads the log's stored bytes without decoding them, for a root
// check (integrity.LogBytes).
func (n *Node) logBytes(ctx context.Context, from uint64) iter.Seq2[integrity.Message, error] {
	messages, _ := n.storedMessages(ctx, from)
	return messages
}

// storedMessages is StoredMessages after position from.
func (n *Node) storedMessages(ctx context.Context, from uint64) (iter.Seq2[integrity.Message, error], func(domain.Event) string) {
	if n.EventStore != nil {
		return func(yield func(integrity.Message, error) bool) {
			for stored, err := range n.EventStore.Stored(ctx, from) {
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
		}, n.EventStore.StreamOf
	}
	return func(yield func(integrity.Message, error) bool) {
		for raw, err := range n.JetStream.Raw(ctx, from) {
			// NATS headers are read as they are, a name's first value
			// counting as nats.Header.Get counts it, with no map built
			// per message.
			message := integrity.Message{Position: raw.Position, Subject: raw.Subject, Data: raw.Data, Headers: raw.Header}
			if !yield(message, err) || err != nil {
				return
			}
		}
	}, n.JetStream.Subject
}

// Checkpoint signs the tree over the whole log now, has the witnesses
// cosign it (when Cosign is set), stores it, and returns the signed note.
func (n *Node) Checkpoint(ctx context.Context, now time.Time) ([]byte, error) {
	keys, tree, err := n.SigningTree(ctx)
	if err != nil {
		return nil, err
	}
	_, signed, err := n.signOwnTree(ctx, tree, keys, now)
	return signed, err
}

// Prove is an inclusion proof of an event (an event id, or the latest
// event of an entry id) against the newest signed checkpoint, which an
// auditor checks with the verifier key alone.
func (n *Node) Prove(ctx context.Context, id string) (integrity.InclusionProof, error) {
	record, err := n.App.Find(ctx, id)
	if err != nil {
		return integrity.InclusionProof{}, err
	}
	signed, err := n.Signed.Latest(ctx)
	if err != nil {
		return integrity.InclusionProof{}, err
	}
	checkpoint, err := integrity.ParseCheckpointNote(signed)
	if err != nil {
		return integrity.InclusionProof{}, err
	}
	tree, err := n.OpenTree(ctx)
	if err != nil {
		return integrity.InclusionProof{}, err
	}
	return integrity.ProveInclusion(tree, signed, checkpoint, record.Position, record.Data)
}
