package node

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/integrity"
)

// ErrUnrepairable says the positions the log lost cannot be put back from
// what was given: the source lacks them, or its bytes are not the ones the
// signed tree commits to. Nothing was changed.
var ErrUnrepairable = errors.New("the lost positions cannot be restored")

// Names of what a log rebuild leaves in the data directory.
const (
	// healStagingDirName is where the new log is built, apart from the
	// damaged one, by a second embedded server.
	healStagingDirName = "repair-staging"
	// healKeptDirPrefix starts the name of the directory that keeps the
	// damaged log's stream files after the swap, for the operator to
	// delete once satisfied.
	healKeptDirPrefix = "damaged-log-"
	// ledgerStreamName is the JetStream stream that holds the log.
	ledgerStreamName = "LEDGER"
	// stagingReadyMinutes bounds the staging server's start, as the
	// embedded server's own.
	stagingReadyMinutes = 2
)

// LostSource hands the bytes a source (a backup) holds for a position of
// the log, with the subject and the ledger's headers they were stored
// with; false when it has none.
type LostSource func(position uint64) (natsjs.RawMessage, bool)

// LogRestored says what RestoreLost did.
type LogRestored struct {
	// Restored are the positions put back.
	Restored []uint64
	// Events is how many events the rebuilt log holds.
	Events uint64
	// Kept is the directory that keeps the damaged log's stream files.
	Kept string
}

// RestoreLost puts back the positions the log lost (JetStream dropped a
// message whose stored bytes were damaged) from source, and only when
// every restored event's bytes are the ones the signed checkpoints commit
// to: the log with the positions filled in must verify with no problem
// against every signed checkpoint (and the tree file), and every position
// put back must be covered by a signed checkpoint.
//
// JetStream cannot put a message at an old sequence into a stream that has
// later ones, so the log is rebuilt: a second embedded server writes every
// event, the damaged log's and the restored ones, at its own position
// (each publish expects the sequence before it) into a new stream under
// the data directory; that stream is verified again as stored; only then
// is the server stopped, the damaged stream's files moved aside to
// damaged-log-TIME in the data directory, the new ones moved in, and the
// server started again. It works on one node holding its data directory;
// a cluster's replicas heal from each other.
func (n *Node) RestoreLost(ctx context.Context, source LostSource) (LogRestored, error) {
	var result LogRestored
	if n.JetStream == nil || n.Server == nil || !n.HoldsDataDir() {
		return result, configf("restoring lost positions rebuilds the log's files: run it on the data directory with `ledger serve` stopped")
	}
	if n.replicas > 1 || n.Server.JetStreamIsClustered() {
		return result, configf("on a cluster a damaged replica takes the log back from its peers; restore a cluster that lost a position on every node from a backup (`ledger restore`)")
	}
	head, err := n.Store.Head(ctx)
	if err != nil {
		return result, err
	}
	var lost []uint64
	expected := uint64(1)
	for raw, err := range n.JetStream.Raw(ctx, 0) {
		if err != nil {
			return result, err
		}
		for ; expected < raw.Position; expected++ {
			lost = append(lost, expected)
		}
		expected = raw.Position + 1
	}
	for ; expected <= head; expected++ {
		lost = append(lost, expected)
	}
	if len(lost) == 0 {
		return result, nil
	}
	fill := map[uint64]natsjs.RawMessage{}
	for _, position := range lost {
		message, ok := source(position)
		if !ok || message.Position != position {
			return result, fmt.Errorf("%w: the backup does not hold position %d (the log lost %d position(s), the first %d)",
				ErrUnrepairable, position, len(lost), lost[0])
		}
		fill[position] = message
	}
	signedSize, err := n.newestSignedSize(ctx)
	if err != nil {
		return result, err
	}
	if last := lost[len(lost)-1]; last > signedSize {
		return result, fmt.Errorf("%w: position %d is not covered by a signed checkpoint (the newest covers %d events), so nothing "+
			"could prove the backup's bytes for it are the ones the ledger stored", ErrUnrepairable, last, signedSize)
	}
	merged := func(yield func(natsjs.RawMessage, error) bool) {
		next := uint64(1)
		for raw, err := range n.JetStream.Raw(ctx, 0) {
			if err != nil {
				yield(natsjs.RawMessage{}, err)
				return
			}
			for ; next < raw.Position; next++ {
				if !yield(fill[next], nil) {
					return
				}
			}
			if !yield(raw, nil) {
				return
			}
			next = raw.Position + 1
		}
		for ; next <= head; next++ {
			if !yield(fill[next], nil) {
				return
			}
		}
	}
	if err := n.verifyRebuilt(ctx, merged, head); err != nil {
		return result, fmt.Errorf("%w: the log with the backup's events in it does not verify: %w", ErrUnrepairable, err)
	}
	staging := filepath.Join(n.DataDir, healStagingDirName)
	if err := n.stageLog(ctx, staging, merged, head); err != nil {
		_ = os.RemoveAll(staging)
		return result, err
	}
	kept, err := n.swapLog(ctx, staging)
	if err != nil {
		return result, err
	}
	_ = os.RemoveAll(staging)
	result.Restored, result.Events, result.Kept = lost, head, kept
	// The log the restarted server serves is verified once more: the files
	// moved are the ones verified, but only a read proves the server took
	// them as they were.
	if err := n.verifyRebuilt(ctx, n.JetStream.Raw(ctx, 0), head); err != nil {
		return result, fmt.Errorf("the swapped-in log does not verify (the damaged one is kept in %s): %w", kept, err)
	}
	// The totals' checkpoint counted the log with its gap (and says so in
	// every answer): it is folded again from the whole log.
	if err := n.totalsRunner().Rebuild(ctx, nil); err != nil {
		return result, fmt.Errorf("the log is whole again, but the totals could not be rebuilt (run `ledger rebuild totals`): %w", err)
	}
	return result, nil
}

// newestSignedSize is how many events the newest signed checkpoint that
// opens with the ledger's key covers.
func (n *Node) newestSignedSize(ctx context.Context) (uint64, error) {
	keys, err := n.ExistingKeys()
	if err != nil {
		return 0, err
	}
	notes, err := n.Signed.All(ctx)
	if err != nil {
		return 0, err
	}
	var newest uint64
	for _, signed := range notes {
		if checkpoint, err := integrity.OpenCheckpoint(signed, keys.Verifier); err == nil {
			newest = max(newest, uint64(checkpoint.Size))
		}
	}
	return newest, nil
}

// verifyRebuilt verifies messages as a whole log of head events against
// the signed checkpoints, the record of checkpoints this directory saw and
// the tree file: any problem is an error naming the first.
func (n *Node) verifyRebuilt(ctx context.Context, messages iter.Seq2[natsjs.RawMessage, error], head uint64) error {
	keys, err := n.ExistingKeys()
	if err != nil {
		return err
	}
	input := integrity.VerifyInput{Catalog: n.Catalog, Verifier: keys.Verifier, Placement: n.JetStream.Subject}
	if input.Checkpoints, err = n.Signed.All(ctx); err != nil {
		return err
	}
	if input.Seen, err = integrity.LoadSeenCheckpoints(n.SeenPath); err != nil {
		return err
	}
	// Damage to the tree file alone fails nothing here: the rebuilt log is
	// what is judged, and the doctor still names the file.
	if closeTree, _ := n.storedTree(&input); closeTree != nil {
		defer closeTree()
	}
	input.Messages = func(yield func(integrity.Message, error) bool) {
		for raw, err := range messages {
			message := integrity.Message{Position: raw.Position, Subject: raw.Subject, Data: raw.Data, Header: map[string]string{}}
			for name := range raw.Header {
				message.Header[name] = raw.Header.Get(name)
			}
			if !yield(message, err) || err != nil {
				return
			}
		}
	}
	report, err := integrity.Verify(ctx, input)
	if err != nil {
		return err
	}
	if problem, bad := report.FirstBad(); bad {
		return fmt.Errorf("position %d: %s", problem.Position, problem.What)
	}
	if uint64(report.Events) != head {
		return fmt.Errorf("it holds %d events, the log's head is %d", report.Events, head)
	}
	return nil
}

// stageLog writes messages into a new ledger stream kept by a second
// embedded server in staging, each at its own position, and verifies what
// that stream stored.
func (n *Node) stageLog(ctx context.Context, staging string, messages iter.Seq2[natsjs.RawMessage, error], head uint64) error {
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return err
	}
	// The staging server serves this process alone: no port, no users.
	stagingServer, err := natsjs.StartServer(natsjs.ServerOptions{DataDir: staging, ServerName: "ledger-repair", SyncAlways: true,
		ReadyTimeout: stagingReadyMinutes * time.Minute})
	if err != nil {
		return err
	}
	defer func() { stagingServer.Shutdown(); stagingServer.WaitForShutdown() }()
	connection, err := natsjs.ConnectInProcess(stagingServer, "ledger-repair")
	if err != nil {
		return err
	}
	defer connection.Close()
	store, err := natsjs.Open(ctx, connection, natsjs.Options{StreamName: ledgerStreamName})
	if err != nil {
		return err
	}
	defer store.Close()
	for raw, err := range messages {
		if err != nil {
			return err
		}
		// JetStream's own publish-time headers (message ids, expectations,
		// batch markers) belong to the first publish; a backup keeps only
		// the ledger's, and so does the rebuilt log.
		header := nats.Header{}
		for name, values := range raw.Header {
			if !strings.HasPrefix(name, "Nats-") {
				header[name] = values
			}
		}
		raw.Header = header
		if err := store.RestoreRaw(ctx, raw); err != nil {
			return fmt.Errorf("rebuild the log: %w", err)
		}
	}
	if err := n.verifyRebuilt(ctx, store.Raw(ctx, 0), head); err != nil {
		return fmt.Errorf("%w: the rebuilt log as stored does not verify: %w", ErrUnrepairable, err)
	}
	return nil
}

// ledgerStreamDir is the directory a JetStream server keeps the ledger
// stream's files in under its store directory.
func ledgerStreamDir(storeDir string) (string, error) {
	dirs, err := filepath.Glob(filepath.Join(storeDir, "jetstream", "*", "streams", ledgerStreamName))
	if err != nil {
		return "", err
	}
	if len(dirs) != 1 {
		return "", fmt.Errorf("the ledger stream's files under %s: found %d directories, want 1", storeDir, len(dirs))
	}
	return dirs[0], nil
}

// swapLog stops the embedded server, moves the damaged stream's files
// aside and the staged ones into their place, and starts the server
// again. Should the server not start on the new files, the damaged ones go
// back and the server starts on them.
func (n *Node) swapLog(ctx context.Context, staging string) (string, error) {
	staged, err := ledgerStreamDir(staging)
	if err != nil {
		return "", err
	}
	current, err := ledgerStreamDir(n.DataDir)
	if err != nil {
		return "", err
	}
	kept := filepath.Join(n.DataDir, healKeptDirPrefix+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(kept, 0o700); err != nil {
		return "", err
	}
	n.stopEmbedded()
	keptStream := filepath.Join(kept, ledgerStreamName)
	if err := os.Rename(current, keptStream); err != nil {
		return "", errors.Join(err, n.startAgain(ctx))
	}
	if err := os.Rename(staged, current); err != nil {
		return "", errors.Join(err, os.Rename(keptStream, current), n.startAgain(ctx))
	}
	if err := n.startAgain(ctx); err != nil {
		n.stopEmbedded()
		rollback := errors.Join(os.Rename(current, staged), os.Rename(keptStream, current), n.startAgain(ctx))
		return "", fmt.Errorf("the server did not start on the rebuilt log, so the damaged one is back in place: %w", errors.Join(err, rollback))
	}
	return kept, nil
}

// stopEmbedded stops the log's store, the connection and the embedded
// server, keeping the data directory's lock.
func (n *Node) stopEmbedded() {
	if n.Store != nil {
		_ = n.Store.Close()
	}
	if n.Conn != nil {
		n.Conn.Close()
	}
	if n.Server != nil {
		n.Server.Shutdown()
		n.Server.WaitForShutdown()
	}
	n.Store, n.JetStream, n.Conn, n.Server = nil, nil, nil, nil
}

// startAgain starts the embedded server on the data directory and opens
// the log and its side streams, as Open did.
func (n *Node) startAgain(ctx context.Context) error {
	if err := startEmbedded(ctx, n.config, n); err != nil {
		return err
	}
	if err := n.openJetStream(ctx, n.config); err != nil {
		return err
	}
	n.finish()
	if head, err := n.Store.Head(ctx); err != nil {
		return err
	} else if head == 0 {
		return fmt.Errorf("%w: the log is empty after the restart", domain.ErrUnavailable)
	}
	return nil
}

// replicaResyncSecondsMax bounds how long ResyncReplica waits for the node
// to take the log whole from its peers: generous, for a large log on a
// busy machine.
const replicaResyncSecondsMax = 600

// replicaLookIntervalMs is how often ResyncReplica looks at the node's copy.
const replicaLookIntervalMs = 100

// ReplicaResynced says what ResyncReplica did.
type ReplicaResynced struct {
	// Kept is where the node's damaged copy of the log was moved.
	Kept string
	// Events is how many events the node's own copy holds again.
	Events uint64
}

// ResyncReplica heals this cluster node's copy of the log: with the node
// stopped (the data directory not held by `ledger serve`), its copy is set
// aside (natsjs.SetAsideReplica), the node started, and the wait lasts
// until its own copy holds every position the stream holds, taken from
// its peers; then the node stops again. JetStream does not notice a
// damaged block on a replica by itself: see natsjs.SetAsideReplica.
func ResyncReplica(ctx context.Context, config Config) (ReplicaResynced, error) {
	var result ReplicaResynced
	if config.Server.Cluster.Name == "" || config.NATSURL != "" || config.Store != "" {
		return result, configf("resyncing a replica works on a cluster node's data directory, with its cluster flags")
	}
	lock, _, err := natsjs.LockDataDir(config.DataDir)
	if err != nil {
		return result, fmt.Errorf("%w: stop `ledger serve` on this node first", err)
	}
	if err := lock.Release(); err != nil {
		return result, err
	}
	if result.Kept, err = natsjs.SetAsideReplica(config.DataDir, ledgerStreamName); err != nil {
		return result, err
	}
	opened, err := Open(ctx, config)
	if err != nil {
		return result, fmt.Errorf("start the node again (its damaged copy is in %s): %w", result.Kept, err)
	}
	defer opened.Close()
	deadline := time.Now().Add(replicaResyncSecondsMax * time.Second)
	for {
		held, want, err := opened.replicaLevel(ctx)
		if err == nil && held == want && want > 0 {
			result.Events = held
			return result, nil
		}
		if time.Now().After(deadline) {
			return result, fmt.Errorf("%w: the node holds %d of the log's %d events after %d s (%v); it goes on taking them from its peers while it runs",
				domain.ErrUnavailable, held, want, replicaResyncSecondsMax, err)
		}
		select {
		case <-ctx.Done():
			return result, ctx.Err()
		case <-time.After(replicaLookIntervalMs * time.Millisecond):
		}
	}
}

// replicaLevel is how many events this node's own copy of the log holds
// with none missing, and how many the log holds.
func (n *Node) replicaLevel(ctx context.Context) (held, want uint64, err error) {
	want, err = n.Store.Head(ctx)
	if err != nil {
		return 0, 0, err
	}
	info, err := n.Server.Jsz(&server.JSzOptions{Accounts: true, Streams: true})
	if err != nil {
		return 0, want, err
	}
	for _, account := range info.AccountDetails {
		for _, stream := range account.Streams {
			if stream.Name == ledgerStreamName && stream.State.NumDeleted == 0 && stream.State.FirstSeq <= 1 {
				return stream.State.Msgs, want, nil
			}
		}
	}
	return 0, want, fmt.Errorf("this node holds no whole copy of %s yet", ledgerStreamName)
}
