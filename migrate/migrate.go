// Package migrate copies the ledger's whole history from one store to
// another (JetStream to EventStoreDB or back, or between JetStream
// deployments) in log order, keeping every event's id and stored bytes.
//
// A copy is resumable and idempotent: a rerun first proves that what the
// target holds is exactly the start of the source, then copies only the rest.
// It ends by comparing counts and a content hash of both logs.
package migrate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"iter"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

// ErrDiverged says the target holds events that are not the source's.
var ErrDiverged = errors.New("the target is not a copy of the source")

// Report is what a copy did and found.
type Report struct {
	// SourceEvents and TargetEvents are the logs' lengths at the end.
	SourceEvents uint64 `json:"source_events"`
	TargetEvents uint64 `json:"target_events"`
	// AlreadyThere were in the target before this run; Copied by it.
	AlreadyThere uint64 `json:"already_there"`
	Copied       uint64 `json:"copied"`
	// SourceHash and TargetHash are SHA-256 over every event's position and
	// stored bytes, in order.
	SourceHash string `json:"source_hash"`
	TargetHash string `json:"target_hash"`
	// KeysCopied counts the personal-data keys CopyKeys copied.
	KeysCopied int `json:"personal_data_keys_copied"`
}

// CopyKeys copies the personal-data keys, without which the copied sealed
// personal data could not be read. Keys of erased subjects are gone from the
// source and stay gone; a key the target holds already is left as it is.
func CopyKeys(ctx context.Context, from, to privacy.KeyArchive) (int, error) {
	keys, err := from.Export(ctx)
	if err != nil {
		return 0, fmt.Errorf("read personal-data keys: %w", err)
	}
	if err := to.Import(ctx, keys); err != nil {
		return 0, fmt.Errorf("copy personal-data keys: %w", err)
	}
	return len(keys), nil
}

// Ledger is what a migration copies: the log, and the personal-data keys
// its sealed personal data is read with.
type Ledger struct {
	Store eventstore.Store
	Keys  privacy.KeyArchive
}

// CopyLedger copies the source's history (Copy) and then its personal-data
// keys (CopyKeys): the keys only once the log is a verified copy, so that a
// failed copy leaves no keys without their data. The report says both.
func CopyLedger(ctx context.Context, source, target Ledger, options Options) (Report, error) {
	report, err := Copy(ctx, source.Store, target.Store, options)
	if err != nil {
		return report, err
	}
	report.KeysCopied, err = CopyKeys(ctx, source.Keys, target.Keys)
	return report, err
}

// Options tune a copy.
type Options struct {
	// Progress, if set, is told how many events of how many are done.
	Progress func(done, total uint64)
}

// Copy copies the source's history into the target.
func Copy(ctx context.Context, source, target eventstore.Store, options Options) (Report, error) {
	var report Report
	sourceHead, err := source.Head(ctx)
	if err != nil {
		return report, fmt.Errorf("source head: %w", err)
	}
	targetHead, err := target.Head(ctx)
	if err != nil {
		return report, fmt.Errorf("target head: %w", err)
	}
	if targetHead > sourceHead {
		return report, fmt.Errorf("the target has %d events and the source %d: %w", targetHead, sourceHead, ErrDiverged)
	}
	if err := samePrefix(ctx, source, target, targetHead); err != nil {
		return report, err
	}
	report.AlreadyThere = targetHead
	if err := copyFrom(ctx, source, target, targetHead, sourceHead, options, &report); err != nil {
		return report, err
	}
	if report.SourceHash, report.SourceEvents, err = contentHash(ctx, source, sourceHead); err != nil {
		return report, fmt.Errorf("hash the source: %w", err)
	}
	if report.TargetHash, report.TargetEvents, err = contentHash(ctx, target, sourceHead); err != nil {
		return report, fmt.Errorf("hash the target: %w", err)
	}
	if report.SourceEvents != report.TargetEvents || report.SourceHash != report.TargetHash {
		return report, fmt.Errorf("after the copy the source has %d events (hash %s) and the target %d (hash %s): %w",
			report.SourceEvents, report.SourceHash, report.TargetEvents, report.TargetHash, ErrDiverged)
	}
	return report, nil
}

// samePrefix proves the target's first events are the source's, byte for
// byte, so that a rerun continues a copy rather than mixing two ledgers.
func samePrefix(ctx context.Context, source, target eventstore.Store, length uint64) error {
	if length == 0 {
		return nil
	}
	next, stop := pull(source.Read(ctx, 0, eventstore.Filter{}))
	defer stop()
	for record, err := range target.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return fmt.Errorf("read the target: %w", err)
		}
		if record.Position > length {
			break
		}
		original, err := next()
		if err != nil {
			return fmt.Errorf("read the source: %w", err)
		}
		if original.Position != record.Position || !bytes.Equal(original.Data, record.Data) {
			return fmt.Errorf("position %d differs between source and target: %w", record.Position, ErrDiverged)
		}
	}
	return nil
}

// Limits of a copy's appends, unit last.
const (
	// runBytesMax bounds the stored bytes of one append, with
	// runEventOverheadBytes counted for each event's envelope: half of
	// EventStoreDB's default MaxAppendSize (1 MiB), which counts the
	// metadata the store adds beside each event's bytes.
	runBytesMax           = 512 << 10
	runEventOverheadBytes = 512
)

// runFull says whether a run of events holding bytes must be appended
// before an event of next bytes joins it.
func runFull(events, bytes, next int) bool {
	return events > 0 && (events >= eventstore.BatchEventsMax || bytes+next+runEventOverheadBytes > runBytesMax)
}

// copyFrom appends the source's events after position from, grouping runs
// of one aggregate into one append (at most eventstore.BatchEventsMax
// events and runBytesMax bytes), and checks each lands where it stood.
func copyFrom(ctx context.Context, source, target eventstore.Store, from, head uint64, options Options, report *Report) error {
	var run eventstore.AggregateAppend
	var runFirst uint64
	runBytes := 0
	flush := func() error {
		if len(run.Events) == 0 {
			return nil
		}
		positions, err := target.Append(ctx, run)
		if err != nil {
			return fmt.Errorf("copy positions %d..%d: %w", runFirst, runFirst+uint64(len(run.Events))-1, err)
		}
		for i, position := range positions {
			if want := runFirst + uint64(i); position != want {
				return fmt.Errorf("event %s landed at position %d, not %d (did something else write to the target?): %w",
					run.Events[i].ID, position, want, ErrDiverged)
			}
		}
		report.Copied += uint64(len(positions))
		if options.Progress != nil {
			options.Progress(from+report.Copied, head)
		}
		run, runBytes = eventstore.AggregateAppend{}, 0
		return nil
	}
	for record, err := range source.Read(ctx, from, eventstore.Filter{}) {
		if err != nil {
			return fmt.Errorf("read the source: %w", err)
		}
		if record.Position > head {
			break
		}
		if (len(run.Events) > 0 && run.Aggregate != record.Event.Aggregate) || runFull(len(run.Events), runBytes, len(record.Data)) {
			if err := flush(); err != nil {
				return err
			}
		}
		if len(run.Events) == 0 {
			run = eventstore.AggregateAppend{Aggregate: record.Event.Aggregate, ExpectedVersion: eventstore.AnyVersion}
			runFirst = record.Position
		}
		run.Events = append(run.Events, record.Event)
		run.Stored = append(run.Stored, record.Data)
		runBytes += len(record.Data) + runEventOverheadBytes
	}
	return flush()
}

// contentHash hashes the log's first length events: position and stored
// bytes of each.
func contentHash(ctx context.Context, store eventstore.Store, length uint64) (string, uint64, error) {
	digest := sha256.New()
	var count uint64
	for record, err := range store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return "", 0, err
		}
		if record.Position > length {
			break
		}
		count++
		if record.Position != count {
			return "", 0, fmt.Errorf("position %d follows %d: the log has a gap", record.Position, count-1)
		}
		writeRecord(digest, record)
	}
	return hex.EncodeToString(digest.Sum(nil)), count, nil
}

func writeRecord(digest hash.Hash, record eventstore.Record) {
	var header [16]byte
	binary.BigEndian.PutUint64(header[:8], record.Position)
	binary.BigEndian.PutUint64(header[8:], uint64(len(record.Data)))
	digest.Write(header[:])
	digest.Write(record.Data)
}

// pull turns a record sequence into a next function.
func pull(sequence iter.Seq2[eventstore.Record, error]) (func() (eventstore.Record, error), func()) {
	next, stop := iter.Pull2(sequence)
	return func() (eventstore.Record, error) {
		record, err, ok := next()
		if !ok {
			return eventstore.Record{}, fmt.Errorf("the source ended early: %w", domain.ErrNotFound)
		}
		return record, err
	}, stop
}
