package projections_test

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/projections"
)

// countingStore counts the events the log yields to reads and the events
// fetched by position, to show what an indexed query reads.
type countingStore struct {
	eventstore.Store
	read, got atomic.Int64
}

func (c *countingStore) Read(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		for record, err := range c.Store.Read(ctx, from, filter) {
			c.read.Add(1)
			if !yield(record, err) {
				return
			}
		}
	}
}

func (c *countingStore) Get(ctx context.Context, position uint64) (eventstore.Record, error) {
	c.got.Add(1)
	return c.Store.Get(ctx, position)
}

// indexUpTo is an index that has taken in the log up to position.
func indexUpTo(t *testing.T, store eventstore.Store, position uint64) *projections.Index {
	t.Helper()
	index := projections.NewIndex(nil)
	for record, err := range store.Read(context.Background(), 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if record.Position > position {
			break
		}
		index.Add(record)
	}
	return index
}

// answers is every id-based answer for one id, errors as text.
type answers struct {
	Audit    *projections.AuditTrail
	Trace    *projections.Trace
	Latest   uint64
	Campaign []string
	Errors   []string
}

func answersFor(ctx context.Context, store eventstore.Store, index *projections.Index, id string) answers {
	var out answers
	note := func(err error) {
		if err != nil {
			out.Errors = append(out.Errors, err.Error())
		}
	}
	var err error
	out.Audit, err = projections.AuditIndexed(ctx, store, index, domain.DefaultCatalog(), id)
	note(err)
	out.Trace, err = projections.TraceEntity(ctx, store, index, id)
	note(err)
	latest, err := projections.Latest(ctx, store, index, id)
	out.Latest = latest.Position
	note(err)
	out.Campaign, err = projections.FindEntity(ctx, store, index, id)
	note(err)
	return out
}

// An index at any position, whole or behind the log, gives the answers the
// whole log gives: what it has not taken in yet is read from the log.
func TestIndexedAnswersEqualWholeLogAnswers(t *testing.T) {
	ctx := context.Background()
	f := newFundLedger(t)
	f.build(t)
	moved := f.add(t, received("general", "150626", "D-9", 100_00, f.at()))
	f.add(t, voidOf("general", "150626", moved[0].EventID.String(), f.at()))
	f.add(t, received(summer, "150626", "D-9", 100_00, f.at()))
	corrected := trainingPayload(summer, "S-1", "offline", "outdoor-workers", 35, 90000)
	corrected.FundedBy = []domain.Funding{{DonationID: "D-1", Amount: 80000}}
	f.record(t, correctionOf(t, summer, "150626", f.event("S-1"), corrected, "签到表补录", f.at()))
	ids := []string{"D-1", "D-3", "D-9", "S-1", "V-1", "SV-1", "V-G1", f.event("D-3"), f.event("S-1"), moved[0].EventID.String(), "NOBODY-1"}
	last := head(t, f.store)
	for position := uint64(0); position <= last; position++ {
		index := indexUpTo(t, f.store, position)
		for _, id := range ids {
			want, got := answersFor(ctx, f.store, nil, id), answersFor(ctx, f.store, index, id)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("index at %d of %d, id %s:\n got %+v\nwant %+v", position, last, id, got, want)
			}
		}
	}
}

// With the index caught up, an audit trail reads the entry's own events
// by position and nothing of the rest of the log, and a trace links the
// campaign's money from the index alone.
func TestIndexedAuditReadsOnlyTheEntrysHistory(t *testing.T) {
	ctx := context.Background()
	f := newFundLedger(t)
	f.build(t)
	store := &countingStore{Store: f.store}
	index := indexUpTo(t, f.store, head(t, f.store))
	trail, err := projections.AuditIndexed(ctx, store, index, domain.DefaultCatalog(), "D-3")
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	if len(trail.Entries) != 3 || store.read.Load() != 0 || store.got.Load() != 3 {
		t.Fatalf("indexed audit of D-3: %d entries, %d events read from the log and %d fetched; want 3, 0 and 3",
			len(trail.Entries), store.read.Load(), store.got.Load())
	}
	store.got.Store(0)
	traced, err := projections.TraceEntity(ctx, store, index, "D-1")
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	if traced.Donation == nil || len(traced.Donation.Paid) == 0 || store.read.Load() != 0 || store.got.Load() != 1 {
		t.Fatalf("indexed trace of D-1: %+v, %d events read from the log and %d fetched; want its payments, 0 and 1",
			traced, store.read.Load(), store.got.Load())
	}
	store.read.Store(0)
	if _, err := projections.Audit(ctx, store, domain.DefaultCatalog(), "D-3"); err != nil {
		t.Fatalf("audit: %v", err)
	}
	if read, want := store.read.Load(), int64(head(t, f.store)); read != want {
		t.Fatalf("audit without an index read %d events, want the whole log (%d)", read, want)
	}
}

// An index that names an event the log cannot give (a damaged log, or an
// index gone wrong) does not stop the read: the whole log answers.
func TestAnIndexTheLogContradictsFallsBackToTheLog(t *testing.T) {
	ctx := context.Background()
	f := newFundLedger(t)
	f.build(t)
	index := indexUpTo(t, f.store, head(t, f.store))
	phantom := received(summer, "150626", "D-1", 1, f.at())
	index.Add(eventstore.Record{Position: head(t, f.store) + 10, Event: phantom})
	want, got := answersFor(ctx, f.store, nil, "D-1"), answersFor(ctx, f.store, index, "D-1")
	if !reflect.DeepEqual(got, want) || len(got.Errors) != 0 {
		t.Fatalf("answers with a contradicted index:\n got %+v\nwant %+v", got, want)
	}
}

// A following index takes in the log and what is appended later.
func TestIndexFollowsTheLog(t *testing.T) {
	f := newFundLedger(t)
	f.build(t)
	ctx, cancel := context.WithCancel(context.Background())
	index := projections.NewIndex(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		index.Follow(ctx, f.store)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	caughtUp := func(want uint64) func() error {
		return func() error {
			if got := index.Position(); got != want {
				return fmt.Errorf("index at %d, want %d", got, want)
			}
			return nil
		}
	}
	natsjstest.CheckFor(t, 60*time.Second, caughtUp(head(t, f.store)))
	f.add(t, received(summer, "150626", "D-77", 5_00, f.at()))
	natsjstest.CheckFor(t, 60*time.Second, caughtUp(head(t, f.store)))
	if positions, _ := index.Positions("D-77"); len(positions) != 1 || positions[0] != f.ids["D-77"].Position {
		t.Fatalf("index positions of D-77 = %v, want [%d]", positions, f.ids["D-77"].Position)
	}
}

// Over random histories of donations, spendings, allocations, voids and
// corrections, the index at its start, half-way and caught up gives every
// entry the answers the whole log gives.
func TestIndexedAnswersOnRandomHistories(t *testing.T) {
	const seeds = 8
	for seed := uint64(100); seed < 100+seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, natsjs.MemoryStorage, fixedClock)
			h := newHistory(t, e, seed, time.Date(2022, 6, 12, 8, 0, 0, 0, cst))
			h.write(ctx, 40+h.rng.IntN(41), func() {})
			var ids []string
			for record, err := range e.store.Read(ctx, 0, eventstore.Filter{}) {
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if id := domain.EntityID(record.Event.Data); id != "" && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			last := head(t, e.store)
			for _, position := range []uint64{0, last / 2, last} {
				index := indexUpTo(t, e.store, position)
				for _, id := range ids {
					want, got := answersFor(ctx, e.store, nil, id), answersFor(ctx, e.store, index, id)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("index at %d of %d, id %s:\n got %+v\nwant %+v", position, last, id, got, want)
					}
				}
			}
		})
	}
}

// lossyStore is a log that lost one position, as JetStream leaves a stream
// after dropping a message it found damaged on disk: reads skip it.
type lossyStore struct {
	eventstore.Store
	lost uint64
}

func (l lossyStore) Read(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		for record, err := range l.Store.Read(ctx, from, filter) {
			if err == nil && record.Position == l.lost {
				continue
			}
			if !yield(record, err) {
				return
			}
		}
	}
}

// A position the log lost is reported by the runner that read past it (in
// its status, and again after loading the checkpoint it saved) and by the
// entity index, with what to do; never silently left out of the figures.
func TestLostPositionIsReported(t *testing.T) {
	ctx := context.Background()
	f := newFundLedger(t)
	f.build(t)
	lossy := lossyStore{Store: f.store, lost: 3}
	runner := projections.NewRunner(lossy, f.checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{Clock: fixedClock})
	if err := runner.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := runner.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	status, err := runner.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.MissingPositions != 1 || status.FirstMissing != 3 || !strings.Contains(status.LogDamage, "lacks 1 position(s) (3)") {
		t.Fatalf("status after reading past a lost position: %+v", status)
	}
	reloaded := projections.NewRunner(lossy, f.checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{Clock: fixedClock})
	if err := reloaded.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := reloaded.Gaps().Err(); err == nil || !strings.Contains(err.Error(), "(3)") {
		t.Fatalf("a runner loaded from the checkpoint forgot the lost position: %v", err)
	}
	index := projections.NewIndex(nil)
	for record, err := range lossy.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		index.Add(record)
	}
	if gaps := index.Gaps(); gaps.Missing() != 1 || gaps.First() != 3 {
		t.Fatalf("index gaps: %d missing, first %d; want 1 and 3", gaps.Missing(), gaps.First())
	}
	whole := projections.NewRunner(f.store, f.checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{Clock: fixedClock})
	if err := whole.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := whole.Gaps().Err(); err != nil {
		t.Fatalf("a whole log reported as damaged: %v", err)
	}
}
