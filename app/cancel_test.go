package app_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
)

// watchedStore is the JetStream store as `ledger serve` opens it on a data
// directory (fsync always, group commit), with a hook after each append:
// it sees the append's context and answer, and may change the answer.
type watchedStore struct {
	*natsjs.Store
	mu      sync.Mutex
	appends int
	// after runs after the append numbered n (from 1), and gives its
	// answer.
	after func(n int, ctx context.Context, positions []uint64, err error) ([]uint64, error)
}

func (s *watchedStore) Append(ctx context.Context, parts ...eventstore.AggregateAppend) ([]uint64, error) {
	positions, err := s.Store.Append(ctx, parts...)
	s.mu.Lock()
	s.appends++
	n := s.appends
	s.mu.Unlock()
	return s.after(n, ctx, positions, err)
}

// openWatched runs a ledger's use cases on a watchedStore over a real
// embedded JetStream server.
func openWatched(t *testing.T, after func(n int, ctx context.Context, positions []uint64, err error) ([]uint64, error)) (*app.Ledger, *watchedStore) {
	t.Helper()
	store := &watchedStore{Store: natsjstest.Store(t, natsjs.Options{GroupCommit: true}, true), after: after}
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	return app.New(app.Parts{Store: store, Service: service, Catalog: service.Catalog(), Clock: eventstoretest.Clock,
		Keystore: privacy.NewMemoryKeystore()}), store
}

// keyedLines are donationLines with an idempotency key each.
func keyedLines(count int) []ledger.Line {
	lines := donationLines(count, nil)
	for i := range lines {
		lines[i].Event.IdempotencyKey = fmt.Sprintf("receive-D-%d", i)
	}
	return lines
}

// The caller's context ending while checked lines are written (the client
// hung up after the first of three batches landed) does not cut the input
// in half: every batch is written, each on a context of its own that the
// caller's end does not reach, with its own deadline.
func TestRecordLinesWriteWholeAfterTheCallerEnds(t *testing.T) {
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	var deadlines []time.Duration
	use, _ := openWatched(t, func(n int, appendCtx context.Context, positions []uint64, err error) ([]uint64, error) {
		if deadline, ok := appendCtx.Deadline(); ok {
			deadlines = append(deadlines, time.Until(deadline))
		} else {
			deadlines = append(deadlines, -1)
		}
		if n == 1 {
			hangUp()
		}
		return positions, err
	})
	count := 3 * eventstore.BatchEventsMax
	recorded, err := use.RecordLines(ctx, keyedLines(count), app.LinesOptions{})
	if err != nil || recorded.Recorded != count {
		t.Fatalf("the caller hung up after the first batch: %d of %d recorded, %v; want all of them", recorded.Recorded, count, err)
	}
	if got := head(t, use); got != uint64(count) {
		t.Fatalf("the log holds %d events, want %d", got, count)
	}
	if len(deadlines) != 3 {
		t.Fatalf("%d appends, want 3", len(deadlines))
	}
	for i, left := range deadlines {
		if left <= 0 || left > 2*time.Minute {
			t.Errorf("append %d had %v left before its deadline, want a deadline of its own of at most 2 min", i+1, left)
		}
	}

	// Ended before the first write: nothing is written, and the error says so.
	recorded, err = use.RecordLines(ctx, keyedLines(count + 1)[count:], app.LinesOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing was recorded") || recorded.Recorded != 0 {
		t.Fatalf("lines given with an ended context: %d recorded, %v; want nothing recorded, and said", recorded.Recorded, err)
	}
	if got := head(t, use); got != uint64(count) {
		t.Fatalf("the log holds %d events, want %d", got, count)
	}
}

// A batch whose append gave up waiting for the store's answer, as the
// group-commit store does when the append's deadline passes, while the
// batch landed all the same, is reported as of unknown outcome, naming the
// earlier batches' events as written: never as "none of them written".
// Recording the same keyed lines again then writes each line once: the
// ones that landed are found recorded.
func TestRecordLinesOutcomeUnknown(t *testing.T) {
	gaveUp := func(n int, ctx context.Context, positions []uint64, err error) ([]uint64, error) {
		if n == 2 && err == nil {
			return nil, fmt.Errorf("append: %w", context.DeadlineExceeded)
		}
		return positions, err
	}
	use, store := openWatched(t, gaveUp)
	count := 3 * eventstore.BatchEventsMax
	lines := keyedLines(count)
	recorded, err := use.RecordLines(context.Background(), lines, app.LinesOptions{})
	var batch *app.BatchError
	if !errors.As(err, &batch) || !batch.Unknown || !errors.Is(err, app.ErrOutcomeUnknown) || batch.Written != eventstore.BatchEventsMax ||
		batch.Unkeyed != 0 || recorded.Recorded != eventstore.BatchEventsMax {
		t.Fatalf("RecordLines = %d recorded, %v; want the second batch's outcome unknown, after %d written", recorded.Recorded, err,
			eventstore.BatchEventsMax)
	}
	if batch.Lines[0] != eventstore.BatchEventsMax+1 || batch.Lines[len(batch.Lines)-1] != 2*eventstore.BatchEventsMax {
		t.Fatalf("the batch of unknown outcome is lines %d-%d, want 1001-2000", batch.Lines[0], batch.Lines[len(batch.Lines)-1])
	}
	for _, message := range []string{err.Error(), func() string { _, said := failure(recorded, err); return said }()} {
		if strings.Contains(message, "none of them written") || !strings.Contains(message, "outcome unknown: they may have been written") ||
			!strings.Contains(message, "1000 earlier events were written") {
			t.Errorf("the error says %q; want the outcome unknown, and the 1000 earlier events written", message)
		}
	}
	if got := head(t, use); got != 2*uint64(eventstore.BatchEventsMax) {
		t.Fatalf("the log holds %d events, want the two batches that landed", got)
	}

	store.after = func(_ int, _ context.Context, positions []uint64, err error) ([]uint64, error) { return positions, err }
	again, err := use.RecordLines(context.Background(), lines, app.LinesOptions{})
	if err != nil || again.Recorded != eventstore.BatchEventsMax || again.Duplicates != 2*eventstore.BatchEventsMax {
		t.Fatalf("recorded again: %d recorded, %d found recorded, %v; want the last batch recorded and the rest found", again.Recorded,
			again.Duplicates, err)
	}
	if got := head(t, use); got != uint64(count) {
		t.Fatalf("the log holds %d events, want each of the %d lines once", got, count)
	}
}

// Lines of unknown outcome without idempotency keys are counted, and the
// error says to look in the log before sending those again: they would be
// recorded twice.
func TestRecordLinesOutcomeUnknownUnkeyed(t *testing.T) {
	use, _ := openWatched(t, func(_ int, _ context.Context, positions []uint64, err error) ([]uint64, error) {
		return nil, fmt.Errorf("append: %w", context.DeadlineExceeded)
	})
	lines := keyedLines(3)
	lines[1].Event.IdempotencyKey = ""
	_, err := use.RecordLines(context.Background(), lines, app.LinesOptions{})
	var batch *app.BatchError
	if !errors.As(err, &batch) || !batch.Unknown || batch.Unkeyed != 1 || batch.Written != 0 ||
		!strings.Contains(err.Error(), "1 of them have no idempotency key: look in the log before sending those again") {
		t.Fatalf("RecordLines = %v; want the outcome unknown, naming the 1 line without a key", err)
	}
}

// A statement's import, like lines, is not cut between two parts by the
// caller's end (the client hung up once the first part landed): every part
// is written. An import asked for with an ended context writes nothing.
func TestImportStatementWholeAfterTheCallerEnds(t *testing.T) {
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	use, _ := openWatched(t, func(n int, _ context.Context, positions []uint64, err error) ([]uint64, error) {
		if n == 1 {
			hangUp()
		}
		return positions, err
	})
	const count = 1000
	var data strings.Builder
	data.WriteString("日期,流水号,摘要,对方户名,对方账号,交易金额\n")
	for i := range count {
		fmt.Fprintf(&data, "2022-06-08,ICBC-C-%04d,利息,,,1.00\n", i)
	}
	request := app.StatementRequest{FileName: "june.csv", Data: []byte(data.String()), Account: "icbc-test-account", Actor: "finance"}
	imported, _, err := use.ImportStatement(ctx, request)
	if err != nil || imported.Written != count {
		t.Fatalf("the caller hung up after the first part: %d of %d lines written, %v; want all of them", imported.Written, count, err)
	}
	written := head(t, use)
	imported, _, err = use.ImportStatement(ctx, request)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing was imported") || imported.Written != 0 {
		t.Fatalf("an import asked for with an ended context: %d written, %v; want nothing, and said", imported.Written, err)
	}
	if got := head(t, use); got != written {
		t.Fatalf("the log moved from %d to %d", written, got)
	}
}

// A write the store refused before sending anything (an append after the
// store was closed: natsjs.ErrClosed, eventstore.ErrNotWritten) is no
// write of unknown outcome: lines are reported as none of them written,
// and a statement's import is not ErrOutcomeUnknown. Nothing is in the
// log.
func TestWritesTheClosedStoreRefusedAreKnownUnwritten(t *testing.T) {
	use, store := openWatched(t, func(_ int, _ context.Context, positions []uint64, err error) ([]uint64, error) { return positions, err })
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	recorded, err := use.RecordLines(context.Background(), keyedLines(3), app.LinesOptions{})
	var batch *app.BatchError
	if !errors.As(err, &batch) || batch.Unknown || errors.Is(err, app.ErrOutcomeUnknown) || !errors.Is(err, natsjs.ErrClosed) ||
		!errors.Is(err, eventstore.ErrNotWritten) || recorded.Recorded != 0 {
		t.Fatalf("lines given to a closed store: %d recorded, %v; want none of them written, and said", recorded.Recorded, err)
	}
	if said := err.Error(); !strings.Contains(said, "none of them written") || strings.Contains(said, "outcome unknown") {
		t.Errorf("the error says %q; want none of them written", said)
	}
	request := app.StatementRequest{FileName: "june.csv", Data: []byte("日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-08,ICBC-C-0001,利息,,,1.00\n"),
		Account: "icbc-test-account", Actor: "finance"}
	imported, _, err := use.ImportStatement(context.Background(), request)
	if err == nil || errors.Is(err, app.ErrOutcomeUnknown) || !errors.Is(err, natsjs.ErrClosed) || imported.Written != 0 {
		t.Fatalf("a statement given to a closed store: %d written, %v; want nothing written, and not of unknown outcome", imported.Written, err)
	}
	if got := head(t, use); got != 0 {
		t.Fatalf("the log holds %d events, want none", got)
	}
}

// readWatchedStore is the JetStream store as `ledger serve` opens it, with
// a hook before each read of the log.
type readWatchedStore struct {
	*natsjs.Store
	beforeRead func()
}

func (s *readWatchedStore) Read(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	s.beforeRead()
	return s.Store.Read(ctx, from, filter)
}

// A statement's import reads the log and plans on the caller's context:
// a client that hangs up while its statement is planned stops the import
// there, and nothing is written. Only the writes run apart from it
// (TestImportStatementWholeAfterTheCallerEnds).
func TestImportStatementPlansOnTheCallersContext(t *testing.T) {
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	store := &readWatchedStore{Store: natsjstest.Store(t, natsjs.Options{GroupCommit: true}, true), beforeRead: hangUp}
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	use := app.New(app.Parts{Store: store, Service: service, Catalog: service.Catalog(), Clock: eventstoretest.Clock,
		Keystore: privacy.NewMemoryKeystore()})
	var data strings.Builder
	data.WriteString("日期,流水号,摘要,对方户名,对方账号,交易金额\n")
	for i := range 1000 {
		fmt.Fprintf(&data, "2022-06-08,ICBC-P-%04d,利息,,,1.00\n", i)
	}
	request := app.StatementRequest{FileName: "june.csv", Data: []byte(data.String()), Account: "icbc-test-account", Actor: "finance"}
	imported, _, err := use.ImportStatement(ctx, request)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing was imported") || errors.Is(err, app.ErrOutcomeUnknown) ||
		imported.Written != 0 {
		t.Fatalf("the caller hung up while the import was planned: %d written, %v; want nothing written, and said", imported.Written, err)
	}
	if got, err := store.Store.Head(context.Background()); err != nil || got != 0 {
		t.Fatalf("the log holds %d events (%v), want none", got, err)
	}
}
