package projections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Projection is a pure fold of the log that a Runner keeps up to date.
type Projection interface {
	// Name keys the projection's checkpoint.
	Name() string
	// Version changes whenever the fold changes; a checkpoint of another
	// version is thrown away and the projection rebuilt from the start.
	Version() int
	Apply(ctx context.Context, record eventstore.Record, lookup Lookup) error
	MarshalState() ([]byte, error)
	UnmarshalState(data []byte) error
	Reset()
}

// Limits of a runner, unit last.
const (
	// checkpointEventsMax is how many events a catch-up applies between
	// checkpoints: a crash replays at most this many.
	checkpointEventsMax = 100_000
	// checkpointIntervalMs is how often a following runner saves, when
	// something changed.
	checkpointIntervalMs = 1000
)

// Progress reports a catch-up: events done of the total to do.
type Progress func(done, total uint64)

// RunnerOptions configure a Runner. Zero values take defaults.
type RunnerOptions struct {
	Clock  func() time.Time
	Logger *slog.Logger
	// CheckpointEvents overrides checkpointEventsMax (tests use small ones).
	CheckpointEvents uint64
	// OnApply, if set, is called after each event is folded in, outside the
	// runner's lock: live views learn of changes here. It must not block.
	OnApply func(record eventstore.Record)
	// MayWrite, if set, says whether this runner may save checkpoints now:
	// on a cluster only the holder of the projection's lease does.
	MayWrite func() bool
	// BeforeApply, if set, is called under the runner's lock before each
	// event is folded in: what must never lag the projection (the Merkle
	// tree its answers are stamped with) keeps pace here.
	BeforeApply func(record eventstore.Record) error
	// Seal, if set, seals every checkpoint this runner saves, and Load
	// takes only a checkpoint whose seal holds (CheckpointSeal): whoever
	// can write the checkpoint store but holds no key cannot make the
	// runner serve figures of their own. Without a key nothing is saved.
	Seal *CheckpointSeal
}

// Runner feeds a projection the log from its checkpoint and saves the state
// and position together, so a crash or a restart neither skips nor counts an
// event twice.
type Runner struct {
	store       eventstore.Store
	checkpoints eventstore.CheckpointStore
	projection  Projection
	options     RunnerOptions

	mu                 sync.RWMutex
	position           uint64
	lastRecordedAt     time.Time
	checkpointPosition uint64
	checkpointAt       time.Time
	rebuiltBecause     string
	// gaps are the positions the log lacked where this runner read it.
	gaps Gaps
	// recent holds the last records applied, each at its position modulo
	// the length: a void or correction usually names an entry shortly
	// before it, which is then found here rather than fetched from the
	// store, a round trip to the server for every one of them.
	recent []eventstore.Record
}

// recentRecordsCount is how many of the last applied records a runner
// keeps for the lookups of voids and corrections, in records (about a
// kilobyte each).
const recentRecordsCount = 1024

// NewRunner returns a runner; call Load before anything else.
func NewRunner(store eventstore.Store, checkpoints eventstore.CheckpointStore, projection Projection, options RunnerOptions) *Runner {
	if options.Clock == nil {
		options.Clock = time.Now
	}
	if options.Logger == nil {
		options.Logger = slog.New(slog.DiscardHandler)
	}
	if options.CheckpointEvents == 0 {
		options.CheckpointEvents = checkpointEventsMax
	}
	return &Runner{store: store, checkpoints: checkpoints, projection: projection, options: options}
}

// Load restores the projection from its checkpoint. The checkpoint is a
// cache of the log, so it never stops a read: a missing checkpoint, one of
// another version, one that does not decode or whose content does not match
// its checksum, one the runner's seal does not vouch for (unsealed, sealed
// with another key, or with another log's tree root), a checkpoint store
// that does not answer, or a checkpoint at a position the log no longer
// has, all start the projection from zero (with a warning naming what was
// wrong), and it is rebuilt from the log.
func (r *Runner) Load(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	checkpoint, err := r.checkpoints.Load(ctx, r.projection.Name())
	switch {
	case errors.Is(err, domain.ErrNotFound):
		r.resetLocked("no checkpoint")
		return nil
	case err != nil:
		r.options.Logger.Warn("checkpoint store does not answer: rebuilding from the log", "projection", r.projection.Name(), "error", err)
		r.resetLocked("checkpoint store does not answer: " + err.Error())
		return nil
	case checkpoint.StateSHA256 != "" && checkpoint.StateSHA256 != StateDigest(checkpoint.State):
		r.options.Logger.Warn("checkpoint damaged (its content does not match its checksum): rebuilding from the log",
			"projection", r.projection.Name())
		r.resetLocked("damaged checkpoint")
		return nil
	case checkpoint.Version != r.projection.Version():
		r.options.Logger.Info("projection version changed: rebuilding", "projection", r.projection.Name(),
			"checkpoint_version", checkpoint.Version, "version", r.projection.Version())
		r.resetLocked(fmt.Sprintf("version %d replaced version %d", r.projection.Version(), checkpoint.Version))
		return nil
	}
	if r.options.Seal != nil {
		if err := r.options.Seal.Check(ctx, checkpoint); err != nil {
			r.options.Logger.Warn("checkpoint not trusted: rebuilding from the log", "projection", r.projection.Name(), "why", err.Error())
			r.resetLocked("checkpoint not trusted: " + err.Error())
			return nil
		}
	}
	if err := r.projection.UnmarshalState(checkpoint.State); err != nil {
		r.options.Logger.Warn("checkpoint unreadable: rebuilding", "projection", r.projection.Name(), "error", err)
		r.resetLocked("unreadable checkpoint")
		return nil
	}
	r.position, r.checkpointPosition, r.checkpointAt = checkpoint.Position, checkpoint.Position, checkpoint.SavedAt
	r.gaps = Gaps{missing: checkpoint.MissingPositions, ranges: checkpoint.MissingRanges[:min(len(checkpoint.MissingRanges), gapRangesMax)]}
	if checkpoint.Position > 0 {
		record, err := r.store.Get(ctx, checkpoint.Position)
		if err != nil {
			// The log no longer has the position the checkpoint counted
			// to (or cannot say): figures for a log that is not there are
			// not served.
			r.options.Logger.Warn("the log does not have the checkpoint's position: rebuilding from the log", "projection",
				r.projection.Name(), "position", checkpoint.Position, "error", err)
			r.resetLocked(fmt.Sprintf("the log does not have the checkpoint's position %d: %v", checkpoint.Position, err))
			return nil
		}
		r.lastRecordedAt = record.Event.RecordedAt
	}
	return nil
}

// StateDigest is a checkpoint's content checksum.
func StateDigest(state []byte) string {
	sum := sha256.Sum256(state)
	return hex.EncodeToString(sum[:])
}

func (r *Runner) resetLocked(reason string) {
	r.projection.Reset()
	r.position, r.lastRecordedAt, r.gaps = 0, time.Time{}, Gaps{}
	// The log may have been replaced (that is one reason for a reset):
	// what was read before is not looked up again.
	r.recent = nil
	r.rebuiltBecause = reason
}

// Rebuild throws the state away and folds the whole log again.
func (r *Runner) Rebuild(ctx context.Context, progress Progress) error {
	r.mu.Lock()
	r.resetLocked("rebuild asked for")
	r.mu.Unlock()
	return r.CatchUp(ctx, progress)
}

// CatchUp folds everything up to the current head and saves a checkpoint
// every CheckpointEvents events and at the end. If ctx ends first, the
// events after the last checkpoint are simply folded again next time.
func (r *Runner) CatchUp(ctx context.Context, progress Progress) error {
	return r.catchUp(ctx, progress, 0)
}

// catchUp is CatchUp, stopping after position until when it is not 0.
func (r *Runner) catchUp(ctx context.Context, progress Progress, until uint64) error {
	// The head only sizes the progress report; the read itself knows where
	// the log ends and rides out a cluster's election, so a failed head is
	// no reason to stop.
	head, err := r.store.Head(ctx)
	if err != nil {
		r.options.Logger.Warn("projection catch-up without progress", "projection", r.projection.Name(), "error", err)
		head, progress = 0, nil
	}
	r.mu.RLock()
	start := r.position
	r.mu.RUnlock()
	if progress != nil && head > start {
		progress(0, head-start)
	}
	sinceCheckpoint := uint64(0)
	// A checkpoint that cannot be saved (a damaged or unwritable store) is
	// a warning: the folded state is right, and a read needs no write. After
	// one failure this catch-up saves no more, so a store that times out
	// does not stall it every few thousand events.
	saving := true
	save := func() {
		if !saving {
			return
		}
		if err := r.Save(ctx); err != nil {
			saving = false
			// A process without the signing key saves no checkpoint by
			// design (CheckpointSeal): no fault, and a command on a data
			// directory with no key yet says so only when asked to be
			// verbose. A checkpoint it could not check for want of the key
			// was warned of as it was loaded.
			level := slog.LevelWarn
			if errors.Is(err, ErrNoSealKey) {
				level = slog.LevelInfo
			}
			r.options.Logger.Log(ctx, level, "checkpoint not saved: the projection goes on in memory", "projection", r.projection.Name(), "error", err)
		}
	}
	for record, err := range r.store.Read(ctx, start, eventstore.Filter{}) {
		if err != nil {
			return fmt.Errorf("projection %s: %w", r.projection.Name(), err)
		}
		if until != 0 && record.Position > until {
			break
		}
		if err := r.apply(ctx, record); err != nil {
			return err
		}
		sinceCheckpoint++
		if sinceCheckpoint >= r.options.CheckpointEvents {
			save()
			sinceCheckpoint = 0
		}
		if progress != nil && record.Position <= head {
			progress(record.Position-start, head-start)
		}
	}
	save()
	return ctx.Err()
}

func (r *Runner) apply(ctx context.Context, record eventstore.Record) error {
	r.mu.Lock()
	if record.Position <= r.position {
		r.mu.Unlock()
		return nil
	}
	if record.Position > r.position+1 {
		r.gaps.observe(r.position, record.Position)
		r.options.Logger.Error("the log lacks positions", "projection", r.projection.Name(), "after", r.position, "next", record.Position)
	}
	if r.options.BeforeApply != nil {
		if err := r.options.BeforeApply(record); err != nil {
			r.mu.Unlock()
			return fmt.Errorf("projection %s at position %d: %w", r.projection.Name(), record.Position, err)
		}
	}
	if err := r.projection.Apply(ctx, record, r.lookupLocked); err != nil {
		r.mu.Unlock()
		return fmt.Errorf("projection %s at position %d: %w", r.projection.Name(), record.Position, err)
	}
	if r.recent == nil {
		r.recent = make([]eventstore.Record, recentRecordsCount)
	}
	r.recent[record.Position%recentRecordsCount] = record
	r.position, r.lastRecordedAt = record.Position, record.Event.RecordedAt
	r.mu.Unlock()
	if r.options.OnApply != nil {
		r.options.OnApply(record)
	}
	return nil
}

// lookupLocked reads the record at position for a projection: from the
// recent records applied when it is one of them (the same stored bytes,
// decoded the same way), else from the store.
func (r *Runner) lookupLocked(ctx context.Context, position uint64) (eventstore.Record, error) {
	if len(r.recent) > 0 && position > 0 {
		if record := r.recent[position%recentRecordsCount]; record.Position == position {
			return record, nil
		}
	}
	return r.store.Get(ctx, position)
}

// Save writes the state and position as one checkpoint.
func (r *Runner) Save(ctx context.Context) error {
	if r.options.MayWrite != nil && !r.options.MayWrite() {
		return nil
	}
	r.mu.RLock()
	state, err := r.projection.MarshalState()
	checkpoint := eventstore.Checkpoint{Name: r.projection.Name(), Version: r.projection.Version(),
		Position: r.position, SavedAt: r.options.Clock().UTC(), State: state, StateSHA256: StateDigest(state),
		MissingPositions: r.gaps.missing, MissingRanges: r.gaps.ranges}
	r.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("projection %s: %w", r.projection.Name(), err)
	}
	if r.options.Seal != nil {
		if err := r.options.Seal.Seal(ctx, &checkpoint); err != nil {
			return fmt.Errorf("projection %s: %w", r.projection.Name(), err)
		}
	}
	if err := r.checkpoints.Save(ctx, checkpoint); err != nil {
		return err
	}
	r.mu.Lock()
	r.checkpointPosition, r.checkpointAt = checkpoint.Position, checkpoint.SavedAt
	r.mu.Unlock()
	return nil
}

// Follow folds new events as they are appended until ctx ends, saving a
// checkpoint at most every checkpointIntervalMs when something changed.
func (r *Runner) Follow(ctx context.Context) error {
	r.mu.RLock()
	start := r.position
	r.mu.RUnlock()
	records := make(chan eventstore.Record, 1024)
	failed := make(chan error, 1)
	go func() {
		defer close(records)
		for record, err := range r.store.Subscribe(ctx, start, eventstore.Filter{}) {
			if err != nil {
				failed <- err
				return
			}
			select {
			case records <- record:
			case <-ctx.Done():
				return
			}
		}
	}()
	ticker := time.NewTicker(checkpointIntervalMs * time.Millisecond)
	defer ticker.Stop()
	saved := start
	for {
		select {
		case record, ok := <-records:
			if !ok {
				select {
				case err := <-failed:
					return err
				default:
				}
				if err := r.saveIfMoved(context.WithoutCancel(ctx), saved); err != nil {
					r.options.Logger.Warn("checkpoint not saved at stop", "projection", r.projection.Name(), "error", err)
				}
				return nil
			}
			if err := r.apply(ctx, record); err != nil {
				return err
			}
		case <-ticker.C:
			// A checkpoint that cannot be saved now (a cluster electing a
			// leader, a full store) is saved at the next tick: the state is
			// still right, only a restart would replay a little more.
			if err := r.saveIfMoved(ctx, saved); err != nil {
				r.options.Logger.Warn("checkpoint not saved; retrying", "projection", r.projection.Name(), "error", err)
				continue
			}
			r.mu.RLock()
			saved = r.position
			r.mu.RUnlock()
		}
	}
}

func (r *Runner) saveIfMoved(ctx context.Context, saved uint64) error {
	r.mu.RLock()
	moved := r.position != saved
	r.mu.RUnlock()
	if !moved {
		return nil
	}
	return r.Save(ctx)
}

// Gaps are the positions the log lacked where this runner read it.
func (r *Runner) Gaps() Gaps {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.gaps
}

// View runs read under the runner's lock, with the position folded so far.
func (r *Runner) View(read func(position uint64)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	read(r.position)
}

// Status is what `ledger projections` shows.
type Status struct {
	Name               string    `json:"name"`
	Version            int       `json:"version"`
	Position           uint64    `json:"position"`
	Head               uint64    `json:"head"`
	LagEvents          uint64    `json:"lag_events"`
	LagSeconds         float64   `json:"lag_seconds"`
	CheckpointPosition uint64    `json:"checkpoint_position"`
	CheckpointAt       time.Time `json:"checkpoint_at"`
	RebuiltBecause     string    `json:"rebuilt_because,omitempty"`
	// MissingPositions counts the positions the log lacked where this
	// runner read it (damage), FirstMissing names the first, and LogDamage
	// says what to do.
	MissingPositions uint64 `json:"missing_positions,omitempty"`
	FirstMissing     uint64 `json:"first_missing,omitempty"`
	LogDamage        string `json:"log_damage,omitempty"`
}

// Status reports how far behind the head the projection is, in events and in
// seconds of recorded time.
func (r *Runner) Status(ctx context.Context) (Status, error) {
	head, err := r.store.Head(ctx)
	if err != nil {
		return Status{}, err
	}
	r.mu.RLock()
	status := Status{Name: r.projection.Name(), Version: r.projection.Version(), Position: r.position, Head: head,
		CheckpointPosition: r.checkpointPosition, CheckpointAt: r.checkpointAt, RebuiltBecause: r.rebuiltBecause,
		MissingPositions: r.gaps.Missing(), FirstMissing: r.gaps.First()}
	if err := r.gaps.Err(); err != nil {
		status.LogDamage = err.Error()
	}
	last := r.lastRecordedAt
	r.mu.RUnlock()
	if head > status.Position {
		status.LagEvents = head - status.Position
		headRecord, err := r.store.Get(ctx, head)
		if err != nil {
			return Status{}, err
		}
		if !last.IsZero() {
			status.LagSeconds = headRecord.Event.RecordedAt.Sub(last).Seconds()
		} else {
			status.LagSeconds = r.options.Clock().Sub(headRecord.Event.RecordedAt).Seconds()
		}
	}
	return status, nil
}

// TotalsProjection is the county totals kept up to date by a Runner.
type TotalsProjection struct {
	*Totals
}

// TotalsVersion changes whenever the totals fold changes.
const TotalsVersion = 1

// NewTotalsProjection returns the live totals projection.
func NewTotalsProjection() *TotalsProjection {
	return &TotalsProjection{Totals: NewTotals(TotalsOptions{})}
}

func (p *TotalsProjection) Name() string { return "totals" }
func (p *TotalsProjection) Version() int { return TotalsVersion }
func (p *TotalsProjection) Reset()       { p.Totals = NewTotals(TotalsOptions{}) }

// UnmarshalState restores the cells and keeps the projection's options.
func (p *TotalsProjection) UnmarshalState(data []byte) error { return p.Totals.UnmarshalState(data) }
