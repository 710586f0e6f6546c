package natsjs

import (
	"context"
	"errors"
	"sync"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Group commit. A server that fsyncs every message (SyncAlways) manages about
// 1.6k appends a second one by one, but one atomic batch is fsynced once for
// all its messages. The writer goroutine takes every append waiting in the
// queue, up to one batch, and commits them together; each caller still gets
// its own answer.

type pendingAppend struct {
	ctx    context.Context
	parts  []eventstore.AggregateAppend
	result chan appendResult
}

type appendResult struct {
	positions []uint64
	err       error
}

func (p *pendingAppend) events() int {
	total := 0
	for _, part := range p.parts {
		total += len(part.Events)
	}
	return total
}

func (s *Store) writeGroups() {
	defer s.writer.Done()
	var carried *pendingAppend
	for {
		first := carried
		carried = nil
		if first == nil {
			select {
			case first = <-s.queue:
			case <-s.done:
				s.failQueued()
				return
			}
		}
		group := []*pendingAppend{first}
		events := first.events()
		aggregates := map[domain.AggregateRef]bool{}
		for _, part := range first.parts {
			aggregates[part.Aggregate] = true
		}
	gather:
		for events < eventstore.BatchEventsMax {
			select {
			case next := <-s.queue:
				// Two appends to one aggregate cannot share a batch: the
				// second's expected version would be checked after the
				// first wrote the aggregate.
				if events+next.events() > eventstore.BatchEventsMax || overlaps(aggregates, next.parts) {
					carried = next
					break gather
				}
				for _, part := range next.parts {
					aggregates[part.Aggregate] = true
				}
				group = append(group, next)
				events += next.events()
			default:
				break gather
			}
		}
		s.commitGroup(group, events)
	}
}

func overlaps(aggregates map[domain.AggregateRef]bool, parts []eventstore.AggregateAppend) bool {
	for _, part := range parts {
		if aggregates[part.Aggregate] {
			return true
		}
	}
	return false
}

func (s *Store) commitGroup(group []*pendingAppend, events int) {
	live := group[:0]
	for _, pending := range group {
		if err := pending.ctx.Err(); err != nil {
			// Its caller gave up while it waited its turn: it is not sent.
			pending.result <- appendResult{err: eventstore.NotWritten(err)}
			continue
		}
		live = append(live, pending)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 || events < groupBatchEventsMin {
		// Too few to be worth a batch: published side by side, so that the
		// server can still share fsyncs among them, rather than one after
		// another. They touch distinct aggregates (overlaps keeps those
		// apart), so their expected versions do not interfere.
		s.appendEach(live)
		return
	}
	var parts []eventstore.AggregateAppend
	for _, pending := range live {
		parts = append(parts, pending.parts...)
	}
	// The group's own context: one caller giving up must not abandon the
	// others' batch half way.
	positions, err := s.appendNow(context.WithoutCancel(live[0].ctx), parts)
	if err == nil {
		offset := 0
		for _, pending := range live {
			count := pending.events()
			pending.result <- appendResult{positions: positions[offset : offset+count]}
			offset += count
		}
		return
	}
	// The batch failed as a whole. When a conflict or duplicate of one
	// append sank it, the others deserve their own try: commit one by one.
	if !errors.Is(err, domain.ErrConflict) && !errors.Is(err, eventstore.ErrDuplicate) {
		for _, pending := range live {
			pending.result <- appendResult{err: err}
		}
		return
	}
	s.appendEach(live)
}

// appendEach appends each pending append on its own, at most
// groupSideBySideMax at once (an append of several events is an atomic
// batch, and the server allows 50 open batches per stream), and returns
// when every one has its answer.
func (s *Store) appendEach(live []*pendingAppend) {
	var done sync.WaitGroup
	slots := make(chan struct{}, groupSideBySideMax)
	for _, pending := range live {
		done.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; done.Done() }()
			positions, err := s.appendNow(pending.ctx, pending.parts)
			pending.result <- appendResult{positions: positions, err: err}
		}()
	}
	done.Wait()
}

// groupSideBySideMax bounds the appends of one group published at once.
const groupSideBySideMax = 16

func (s *Store) failQueued() {
	for {
		select {
		case pending := <-s.queue:
			pending.result <- appendResult{err: errClosed()}
		default:
			return
		}
	}
}
