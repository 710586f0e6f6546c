package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
)

// Log is a mirror read offline: the entries its kept checkpoint commits
// to, checked against it when opened.
type Log struct {
	dir        string
	files      *tileFiles
	Checkpoint integrity.Checkpoint
	// Signed is the kept checkpoint note.
	Signed []byte
	// Root is the root of the tree rebuilt from the entries.
	Root string
}

// Open opens a mirror directory: its kept checkpoint, whose signature the
// verifier checks, and every kept tile, checked against that checkpoint
// as Update checks them, so what the Log yields is what the ledger
// signed, even if the directory was changed after mirroring.
func Open(ctx context.Context, dir string, verifier note.Verifier) (*Log, error) {
	if verifier == nil {
		return nil, errors.New("mirror: a verifier key is required")
	}
	checkpoint, signed, err := readKept(dir, verifier)
	if err != nil {
		return nil, err
	}
	if signed == nil {
		return nil, fmt.Errorf("%s holds no checkpoint: mirror a ledger into it first (ledger mirror URL DIR): %w", dir, fs.ErrNotExist)
	}
	files := &tileFiles{dirs: []string{dir}}
	tree, err := check(ctx, files, checkpoint, integrity.Checkpoint{})
	if err != nil {
		return nil, err
	}
	root, err := tree.Root(tree.Size())
	if err != nil {
		return nil, err
	}
	return &Log{dir: dir, files: files, Checkpoint: checkpoint, Signed: signed, Root: root.String()}, nil
}

// History is every checkpoint the mirror accepted, oldest first, ending
// with the kept one.
func (l *Log) History() ([][]byte, error) {
	content, err := os.ReadFile(filepath.Join(l.dir, historyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return [][]byte{l.Signed}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	notes := bytes.Split(content, []byte(historyDivider))
	if !bytes.Equal(notes[len(notes)-1], l.Signed) {
		notes = append(notes, l.Signed)
	}
	return notes, nil
}

// Entries yields each entry as verification reads a message: its log
// position and stored bytes (a mirror keeps no headers).
func (l *Log) Entries(ctx context.Context) iter.Seq2[integrity.Message, error] {
	return func(yield func(integrity.Message, error) bool) {
		for first := int64(0); first < l.Checkpoint.Size; first += 1 << integrity.TileHeight {
			if err := ctx.Err(); err != nil {
				yield(integrity.Message{}, err)
				return
			}
			entries, err := l.files.entries(bundleTile(first, l.Checkpoint.Size))
			if err != nil {
				yield(integrity.Message{}, err)
				return
			}
			for i, entry := range entries {
				if !yield(integrity.Message{Position: uint64(first) + uint64(i) + 1, Data: entry}, nil) {
					return
				}
			}
		}
	}
}

// Verify runs the ledger's own verification (integrity.Verify) over the
// mirror: every entry decodes and validates against the catalog, the tree
// rebuilt from them has every accepted checkpoint's root, and each
// checkpoint is consistent with the one before it; with a witness policy,
// enough of its witnesses cosigned the newest checkpoint.
func (l *Log) Verify(ctx context.Context, verifier note.Verifier, catalog *domain.Catalog, witnesses *integrity.WitnessPolicy) (integrity.Report, error) {
	history, err := l.History()
	if err != nil {
		return integrity.Report{}, err
	}
	return integrity.Verify(ctx, integrity.VerifyInput{Messages: l.Entries(ctx), Checkpoints: history, Verifier: verifier,
		Catalog: catalog, Bare: true, Witnesses: witnesses})
}

// Totals answers a totals question over the mirror's entries with the
// ledger's own use case for a copy of its log (app.TotalsOfCopy): the
// fold the ledger answers questions about an instant with, the question
// checked as the ledger checks it against the catalog the entries were
// recorded with, so a region or campaign it does not list is refused
// rather than answered with empty figures. The answer is stamped with the
// kept checkpoint's tree.
func (l *Log) Totals(ctx context.Context, request app.TotalsRequest, catalog *domain.Catalog) (projections.Answer, error) {
	answer, err := app.TotalsOfCopy(ctx, l.Store(), catalog, request)
	if err != nil {
		return projections.Answer{}, err
	}
	answer.Tree = &projections.TreeStamp{Size: l.Checkpoint.Size, Root: l.Checkpoint.Root.String()}
	return answer, nil
}

// VerifyReport checks a printed report's seal against the mirror, with
// the ledger's own use case (app.Ledger.VerifyReport) over the mirror's
// entries and accepted checkpoints: the seal's checkpoint must be one the
// mirror accepted, signed with the verifier's key, and the figures
// recomputed from its first entries must be the seal's.
func (l *Log) VerifyReport(ctx context.Context, sealText string, verifier note.Verifier, catalog *domain.Catalog) (*app.MonthReport, error) {
	history, err := l.History()
	if err != nil {
		return nil, err
	}
	return app.VerifyReportOnCopy(ctx, sealText, app.Copy{Store: l.Store(), Checkpoints: history, Catalog: catalog, Verifier: verifier})
}

// Store is the mirror's entries as a read-only event store, so the
// ledger's projections and use cases read them as they read the ledger.
func (l *Log) Store() eventstore.Store { return &store{log: l, bundles: map[int64][][]byte{}} }

// bundlesCachedMax bounds the entry bundles a store keeps read: lookups
// of earlier events (a void's entry) go back a little way.
const bundlesCachedMax = 16

type store struct {
	log     *Log
	mu      sync.Mutex
	bundles map[int64][][]byte
}

func (s *store) Append(context.Context, ...eventstore.AggregateAppend) ([]uint64, error) {
	return nil, fmt.Errorf("a mirror is read-only: %w", eventstore.ErrUnsupported)
}

func (s *store) Read(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		for position := from + 1; position <= uint64(s.log.Checkpoint.Size); position++ {
			record, err := s.Get(ctx, position)
			if err != nil {
				yield(eventstore.Record{}, err)
				return
			}
			if filter.Matches(record.Event) && !yield(record, nil) {
				return
			}
		}
	}
}

// Subscribe reads to the end: a mirror does not grow while it is read.
func (s *store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return s.Read(ctx, from, filter)
}

func (s *store) Get(ctx context.Context, position uint64) (eventstore.Record, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Record{}, err
	}
	size := s.log.Checkpoint.Size
	if position == 0 || position > uint64(size) {
		return eventstore.Record{}, fmt.Errorf("position %d: %w", position, domain.ErrNotFound)
	}
	tile := bundleTile(int64(position)-1, size)
	s.mu.Lock()
	entries, ok := s.bundles[tile.N]
	s.mu.Unlock()
	if !ok {
		var err error
		if entries, err = s.log.files.entries(tile); err != nil {
			return eventstore.Record{}, err
		}
		s.mu.Lock()
		if len(s.bundles) >= bundlesCachedMax {
			clear(s.bundles)
		}
		s.bundles[tile.N] = entries
		s.mu.Unlock()
	}
	data := entries[(int64(position)-1)%(1<<integrity.TileHeight)]
	event, err := domain.DecodeStoredEvent(data)
	if err != nil {
		return eventstore.Record{}, fmt.Errorf("position %d: %w", position, err)
	}
	return eventstore.Record{Position: position, Event: event, Data: data}, nil
}

func (s *store) Head(context.Context) (uint64, error) { return uint64(s.log.Checkpoint.Size), nil }

func (s *store) AggregateVersion(ctx context.Context, aggregate domain.AggregateRef) (uint64, error) {
	var version uint64
	for record, err := range s.Read(ctx, 0, eventstore.Filter{AggregateKind: aggregate.Kind, AggregateID: aggregate.ID}) {
		if err != nil {
			return 0, err
		}
		version = record.Position
	}
	return version, nil
}

func (s *store) Close() error { return nil }
