package node

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/tick"
	"github.com/ordos-union/ledger/projections"
)

// Timing of a running ledger, unit last.
const (
	// streamGuardIntervalMs is how often the history streams are checked.
	streamGuardIntervalMs = 2000
	// leaseSeconds is how long a silent projection writer keeps its lease.
	leaseSeconds              = 15
	checkpointIntervalMinutes = 10
	checkpointCheckSeconds    = 60
)

// RunOptions say how a long-running ledger runs.
type RunOptions struct {
	// Holder names this process for the projection lease: on a cluster
	// every node folds the log to serve reads, and the holder of the lease
	// alone saves the checkpoints.
	Holder string
	// OnApply hears of every event the live totals folded in.
	OnApply func(record eventstore.Record)
	// Progress hears how far the first catch-up got; may be nil.
	Progress projections.Progress
}

// Running is a ledger that follows its log while it runs: the live totals,
// the Merkle tree growing with the same events (before anyone hears of
// them, so every answer can name its tree), the projection lease, signed
// checkpoints on a schedule, the live totals bucket programs watch, and a
// guard over the history streams.
type Running struct {
	node   *Node
	runner *projections.Runner
	tree   *integrity.Tree
	keys   integrity.Keys
	leased atomic.Bool
	guard  *natsjs.Guard
	// followed closes when the live totals stop following; followErr is
	// why.
	followed      chan struct{}
	followErr     error
	checkpointing chan struct{}
}

// Run starts following the log: it opens the tree, takes the lease when
// free, loads the live totals and catches them up, and hands them to the
// app. The goroutines stop when ctx ends; Stop then finishes.
func (n *Node) Run(ctx context.Context, options RunOptions) (*Running, error) {
	if options.OnApply == nil {
		options.OnApply = func(eventstore.Record) {}
	}
	keys, tree, err := n.SigningTree(ctx)
	if err != nil {
		return nil, err
	}
	// The tree is checked before anything follows it, while the file can
	// still be made again: a file damaged while the ledger was stopped
	// would otherwise stamp every answer with a false root and stop every
	// checkpoint until `ledger repair`. The newest checkpoint proves the
	// leaves it covers, so the log is read only after it. A check that
	// cannot be made (a log that lost positions) stops nothing here: the
	// doctor names the log's damage, and a checkpoint checks again.
	if _, _, damage := tree.CheckedRoot(ctx, n.logBytes, integrity.LatestAnchor(ctx, n.Signed, keys)); errors.Is(damage, integrity.ErrTreeFileDamaged) {
		var how string
		if tree, how, err = n.rebuildTree(ctx); err != nil {
			return nil, errors.Join(damage, err)
		}
		n.logger.Warn("the tree file is damaged; the ledger follows a tree made again from the log", "damage", damage, "tree", how)
	} else if damage != nil {
		if ctx.Err() != nil {
			return nil, damage
		}
		n.logger.Warn("the tree could not be checked against the log", "error", damage)
	}
	running := &Running{node: n, tree: tree, keys: keys, followed: make(chan struct{}), checkpointing: make(chan struct{})}
	n.running = true
	running.claim(ctx, options.Holder)
	projection := projections.NewTotalsProjection()
	var live *natsjs.LiveTotals
	running.runner = projections.NewRunner(n.Store, n.Checkpoints, projection, projections.RunnerOptions{
		Logger: n.logger,
		// The checkpoint is sealed with the signing key this ledger signs
		// with, and bound to the tree it follows: a checkpoint someone else
		// wrote into the bucket is not served, after a restart either.
		Seal: &projections.CheckpointSeal{Key: keys.SealKey, Root: treeRoot(n, func(context.Context) (*integrity.Tree, error) { return tree, nil })},
		BeforeApply: func(record eventstore.Record) error {
			// On a cluster the projection may resume from a checkpoint
			// another node saved after this node's tree caught up: the
			// tree then reads the events between first.
			if uint64(tree.Size())+1 < record.Position {
				if err := integrity.CatchUp(ctx, n.Store, tree); err != nil {
					return err
				}
			}
			return integrity.AppendLeaf(tree, record)
		},
		OnApply: func(record eventstore.Record) {
			options.OnApply(record)
			live.Applied(record.Event)
		},
	})
	n.App.Follow(running.runner, projection, tree)
	// The entity index is built in memory from the start of the log while
	// the ledger serves; until it has caught up, audit trails read the log.
	index := projections.NewIndex(n.logger)
	n.App.UseIndex(index)
	go index.Follow(ctx, n.Store)
	// The KV bucket of live totals is JetStream's; on EventStoreDB programs
	// follow /api/v1/live instead.
	if n.JetStream != nil {
		live, err = natsjs.OpenLiveTotals(ctx, n.Conn, n.replicas, func(county, campaign string) ([]byte, error) {
			var figures projections.Figures
			running.runner.View(func(uint64) { figures = projection.Sum(projections.Query{County: county, Campaign: campaign}) })
			return json.Marshal(figures)
		}, n.logger)
		if err != nil {
			return nil, err
		}
	}
	if err := running.runner.Load(ctx); err != nil {
		return nil, err
	}
	if err := running.runner.CatchUp(ctx, options.Progress); err != nil {
		return nil, err
	}
	// The log, the signed checkpoints and the access log are watched: a
	// stream deleted, made again or reconfigured behind the ledger's back
	// is logged as an error and makes the ledger unready.
	if n.JetStream != nil {
		if running.guard, err = natsjs.NewGuard(ctx, n.JetStream, n.logger, n.Signed.(*natsjs.SignedCheckpoints), n.AccessStream); err != nil {
			return nil, err
		}
		go running.guard.Run(ctx, streamGuardIntervalMs*time.Millisecond)
	}
	go func() {
		running.followErr = running.runner.Follow(ctx)
		close(running.followed)
	}()
	// The bucket is filled from the caught-up totals before the first
	// flush, in the goroutine that flushes, so no flush of a newer value
	// is overwritten by the fill; what changes meanwhile is flushed after.
	go func() {
		if live != nil {
			live.Fill(ctx, liveCells(running.runner, projection))
		}
		live.Run(ctx)
	}()
	go running.keepLease(ctx, options.Holder)
	go func() {
		defer close(running.checkpointing)
		running.checkpointPeriodically(ctx)
	}()
	return running, nil
}

// Head is the position of the last event the live totals folded in.
func (r *Running) Head() uint64 {
	var head uint64
	r.runner.View(func(position uint64) { head = position })
	return head
}

// Problem says what is wrong with the history streams, or nil.
func (r *Running) Problem() error {
	if r.guard == nil {
		return nil
	}
	return r.guard.Problem()
}

// Followed closes when the live totals stop following: when the ctx given
// to Run ends, or on an error (FollowError).
func (r *Running) Followed() <-chan struct{} { return r.followed }

// FollowError is why the live totals stopped following, once Followed is
// closed.
func (r *Running) FollowError() error {
	<-r.followed
	return r.followErr
}

// Stop waits for the goroutines, which end with the ctx given to Run, and
// signs a last checkpoint, so a stopped ledger's whole log is committed
// to. ctx bounds the last checkpoint. It returns why following stopped,
// if it was an error.
func (r *Running) Stop(ctx context.Context) error {
	stopped := r.FollowError()
	<-r.checkpointing
	if r.tree.Size() > 0 && r.leased.Load() {
		if _, _, err := r.node.WriteCheckpoint(ctx, r.tree, r.keys, time.Now()); err != nil {
			r.node.logger.Warn("final checkpoint", "error", err)
		}
	}
	if err := r.tree.Sync(); err != nil {
		return err
	}
	return stopped
}

func (r *Running) claim(ctx context.Context, holder string) {
	held, err := r.node.Checkpoints.Claim(ctx, "totals", holder, leaseSeconds*time.Second, time.Now())
	if err != nil {
		r.node.logger.Warn("projection lease", "error", err)
	}
	r.leased.Store(held && err == nil)
}

func (r *Running) keepLease(ctx context.Context, holder string) {
	tick.Every(ctx, leaseSeconds*time.Second/3, func(time.Time) { r.claim(ctx, holder) })
}

// checkpointPeriodically signs the tree every checkpointIntervalMinutes
// when it grew, and always when a month ends in Beijing time: every month
// close has a checkpoint. Only the lease holder signs.
func (r *Running) checkpointPeriodically(ctx context.Context) {
	lastSize, lastAt := int64(-1), time.Now()
	tick.Every(ctx, checkpointCheckSeconds*time.Second, func(now time.Time) {
		monthChanged := now.In(domain.Beijing).Month() != lastAt.In(domain.Beijing).Month()
		due := now.Sub(lastAt) >= checkpointIntervalMinutes*time.Minute && r.tree.Size() != lastSize
		if (!due && !monthChanged) || !r.leased.Load() {
			return
		}
		checkpoint, _, err := r.node.WriteCheckpoint(ctx, r.tree, r.keys, now)
		if err != nil {
			r.node.logger.Warn("checkpoint", "error", err)
			return
		}
		lastSize, lastAt = checkpoint.Size, now
		r.node.logger.Info("checkpoint", "size", checkpoint.Size, "root", checkpoint.Root.String())
	})
}

// liveCells is every cell the totals hold now, as the live totals bucket
// keys them.
func liveCells(runner *projections.Runner, projection *projections.TotalsProjection) []natsjs.LiveCell {
	var cells []natsjs.LiveCell
	runner.View(func(uint64) {
		for _, cell := range projection.RegionCampaigns() {
			cells = append(cells, natsjs.LiveCell{County: cell.County, Campaign: cell.Campaign})
		}
	})
	return cells
}
