package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"iter"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
)

// verifyEvents is the log size BenchmarkVerify checks; override with
// LEDGER_BENCH_VERIFY_EVENTS.
func verifyEvents() int {
	if size, err := strconv.Atoi(os.Getenv("LEDGER_BENCH_VERIFY_EVENTS")); err == nil && size > 0 {
		return size
	}
	return 1_000_000
}

// BenchmarkVerify: `ledger verify`'s work over a synthetic log: read every
// raw message, recompute the tree, decode, validate and compare headers and
// subjects.
func BenchmarkVerify(b *testing.B) {
	for b.Loop() {
		size := verifyEvents()
		r := newRig(b, false, false)
		fillLog(b, r.connection, size)
		ctx := context.Background()
		input := integrity.VerifyInput{Catalog: domain.DefaultCatalog(), Placement: r.store.Subject}
		input.Messages = func(yield func(integrity.Message, error) bool) {
			for raw, err := range r.store.Raw(ctx, 0) {
				message := integrity.Message{Position: raw.Position, Subject: raw.Subject, Data: raw.Data, Headers: raw.Header}
				if !yield(message, err) || err != nil {
					return
				}
			}
		}
		// Raw: the floor of what verify must do, an ordered replay that
		// hashes each message as an RFC 6962 leaf.
		rawAllocations := countAllocations()
		raw := rawReplay(b, r.connection, size, func(data []byte) error {
			hash := sha256.New()
			hash.Write([]byte{0})
			hash.Write(data)
			_ = hash.Sum(nil)
			return nil
		})
		rawPerEvent := rawAllocations.perEvent(size)
		ledgerAllocations := countAllocations()
		started := time.Now()
		report, err := integrity.Verify(ctx, input)
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(started)
		ledgerPerEvent := ledgerAllocations.perEvent(size)
		if !report.OK() || report.Events != int64(size) {
			b.Fatalf("verify found %d events and problems %v", report.Events, report.Problems[:min(3, len(report.Problems))])
		}
		b.ReportMetric(float64(size)/elapsed.Seconds(), "verified-events/s")
		b.ReportMetric(ledgerPerEvent, "verify-allocs/event")
		verified := measurement{events: size, elapsed: elapsed}
		summarize(fmt.Sprintf("RATIO verify %d events vs raw ordered replay+leaf hash: ledger %9.0f events/s, raw %9.0f events/s: ledger/raw = %.2f; "+
			"allocations per event (whole process) ledger %.1f, raw %.1f",
			size, verified.perSecond(), raw.perSecond(), verified.perSecond()/raw.perSecond(), ledgerPerEvent, rawPerEvent))
	}
}

// BenchmarkTreeCost: bulk appends with nothing following the log, against
// the same appends while `ledger serve`'s follower keeps the totals and the
// Merkle tree current; each measurement ends when the follower has caught up.
func BenchmarkTreeCost(b *testing.B) {
	appendAll := func(b *testing.B, r *rig) {
		for offset := 0; offset < bulkEventsCount; offset += bulkBatchEventsMax {
			events := make([]domain.Event, bulkBatchEventsMax)
			for i := range events {
				events[i] = donation("bench-0", offset+i)
			}
			if _, err := r.service.Record(context.Background(), events); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("without-tree", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, false, false)
			started := time.Now()
			appendAll(b, r)
			m := measurement{events: bulkEventsCount, elapsed: time.Since(started)}
			report(b, m)
			keep("tree/without", m)
		}
	})
	b.Run("with-tree", func(b *testing.B) {
		for b.Loop() {
			r := newRig(b, false, false)
			ctx, cancel := context.WithCancel(context.Background())
			checkpoints, err := natsjs.OpenCheckpoints(ctx, r.connection, 1)
			if err != nil {
				b.Fatal(err)
			}
			hashes, err := integrity.OpenFileHashes(b.TempDir() + "/hashes")
			if err != nil {
				b.Fatal(err)
			}
			tree, _ := integrity.NewTree(hashes)
			caughtUp := make(chan struct{})
			runner := projections.NewRunner(r.store, checkpoints, projections.NewTotalsProjection(), projections.RunnerOptions{
				BeforeApply: func(record eventstore.Record) error { return tree.Append(record.Data) },
				OnApply: func(record eventstore.Record) {
					if record.Position == bulkEventsCount {
						close(caughtUp)
					}
				},
			})
			following := make(chan error, 1)
			go func() { following <- runner.Follow(ctx) }()
			started := time.Now()
			appendAll(b, r)
			select {
			case <-caughtUp:
			case <-time.After(time.Minute):
				b.Fatal("the follower did not catch up within a minute")
			}
			m := measurement{events: bulkEventsCount, elapsed: time.Since(started)}
			cancel()
			<-following
			_ = hashes.Close()
			report(b, m)
			keep("tree/with", m)
		}
	})
	ratio(b, "bulk append with totals+tree follower vs without (file, no fsync)", "tree/with", "tree/without")
}

// allocationCount is the process's heap allocations when a measurement
// started. It counts every goroutine, the embedded server's too, so the
// ledger's figure and the raw one are read the same way.
type allocationCount uint64

func countAllocations() allocationCount {
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return allocationCount(stats.Mallocs)
}

// perEvent is the allocations since the count, per event of events.
func (c allocationCount) perEvent(events int) float64 {
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return float64(stats.Mallocs-uint64(c)) / float64(events)
}

// BenchmarkCheckpointCheck: what a checkpoint costs before it is signed
// (integrity.Tree.CheckedRoot) over a tree file of verifyEvents() leaves
// another run wrote: the first check of a process with the leaves compared
// with the log, the same check anchored by a checkpoint whose root the
// stored leaves give (no log read), and a later check after 1,000 more
// events. It also reports the longest an append waited while a check ran.
func BenchmarkCheckpointCheck(b *testing.B) {
	for b.Loop() {
		size := verifyEvents()
		r := newRig(b, false, false)
		fillLog(b, r.connection, size)
		ctx := context.Background()
		path := b.TempDir() + "/hashes"
		built, closeTree, err := integrity.OpenTree(ctx, r.store, path)
		if err != nil {
			b.Fatal(err)
		}
		root, err := built.Root(built.Size())
		if err != nil {
			b.Fatal(err)
		}
		if err := closeTree(); err != nil {
			b.Fatal(err)
		}
		// The log's bytes as the node reads them for a check: raw, no
		// event decoded.
		logBytes := func(ctx context.Context, from uint64) iter.Seq2[integrity.Message, error] {
			return func(yield func(integrity.Message, error) bool) {
				for raw, err := range r.store.Raw(ctx, from) {
					if !yield(integrity.Message{Position: raw.Position, Data: raw.Data}, err) || err != nil {
						return
					}
				}
			}
		}
		reopened := func() (*integrity.Tree, func() error) {
			tree, closeTree, err := integrity.OpenTree(ctx, r.store, path)
			if err != nil {
				b.Fatal(err)
			}
			return tree, closeTree
		}

		// The floor: reading the raw log and hashing each leaf, nothing
		// compared.
		started := time.Now()
		for message, err := range logBytes(ctx, 0) {
			if err != nil {
				b.Fatal(err)
			}
			_ = tlog.RecordHash(message.Data)
		}
		replay := time.Since(started)

		tree, closeTree := reopened()
		started = time.Now()
		if _, got, err := tree.CheckedRoot(ctx, logBytes, nil); err != nil || got != root {
			b.Fatalf("check against the log: %v", err)
		}
		fromLog := time.Since(started)
		_ = closeTree()

		tree, closeTree = reopened()
		anchor := integrity.Checkpoint{Origin: integrity.Origin, Size: int64(size), Root: root}
		var waited time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 1000; i++ {
				began := time.Now()
				if err := tree.Append(fmt.Appendf(nil, "appended-%d", i)); err != nil {
					b.Error(err)
					return
				}
				waited = max(waited, time.Since(began))
			}
		}()
		started = time.Now()
		if _, _, err := tree.CheckedRoot(ctx, logBytes, &anchor); err != nil {
			b.Fatalf("anchored check: %v", err)
		}
		anchored := time.Since(started)
		<-done
		started = time.Now()
		if _, _, err := tree.CheckedRoot(ctx, logBytes, &anchor); err != nil {
			b.Fatalf("later check: %v", err)
		}
		later := time.Since(started)
		_ = closeTree()
		fmt.Printf("CHECK checkpoint root check over %d leaves: against the log %v (raw replay + leaf hash alone %v), "+
			"anchored (file only) %v, 1000 leaves later %v; longest append while a check ran %v\n", size, fromLog, replay, anchored, later, waited)
	}
}
