package natsjs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// Read yields matching events after from, up to the head as of the call.
func (s *Store) Read(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return s.read(ctx, from, filter, false)
}

// Subscribe yields matching events after from and then new ones as they are
// appended, until ctx ends.
func (s *Store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return s.read(ctx, from, filter, true)
}

// read runs an ordered consumer: JetStream recreates it on any gap in its
// own delivery, so the reader sees every matching message once and in order.
//
// On a cluster that is not the whole story. The server places a reader's
// consumer on any replica of the stream, and a replica that was just
// restarted serves from its own store while it is still catching up: it can
// skip a stretch of the log, or end short of the head. The log itself has
// no gaps (nothing is deleted, and a refused append takes no sequence), so a
// read of the whole log checks that positions follow each other and reach
// the head, and reads again from where it was, on a new consumer, when they
// do not. A filtered read cannot tell a gap from events it does not want;
// see docs/OPERATIONS.md.
func (s *Store) read(ctx context.Context, from uint64, filter eventstore.Filter, follow bool) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		// Only a replica can lag. On one server a gap is damage, for
		// verify to name; the read goes past it as it always has.
		whole := s.filterSubject(filter) == s.options.SubjectPrefix+".>" && s.options.Replicas > 1
		// The head as of the call ends a read that does not follow.
		var head uint64
		if !follow {
			err := s.retryRead(ctx, func() error {
				var err error
				head, err = s.Head(ctx)
				return err
			})
			if err != nil {
				yield(eventstore.Record{}, err)
				return
			}
			if head <= from {
				return
			}
		}
		pass := readPass{from: from, whole: whole, follow: follow, head: head, byTime: from == 0 && !filter.RecordedFrom.IsZero()}
		// A read that does not follow tries again for the retry window,
		// which runs from the first failure at a position (a read that
		// moved on since starts a new one). A subscription tries again
		// until its context ends: it serves a running server, which should
		// ride out a cluster's election rather than stop, and reports
		// itself behind meanwhile.
		pacing := newReadPacing(s.options.RetryWindow)
		escalated := false
		for {
			err := s.readOnce(ctx, filter, &pass, yield)
			if err == nil {
				return
			}
			if ctx.Err() != nil {
				if !follow {
					yield(eventstore.Record{}, err)
				}
				return
			}
			if !readAgain(err, follow) {
				yield(eventstore.Record{}, err)
				return
			}
			pause, moved, expired := pacing.failedAt(pass.from)
			if moved {
				escalated = false
			}
			if expired {
				if !follow {
					yield(eventstore.Record{}, fmt.Errorf("read: %w: %w", domain.ErrUnavailable, err))
					return
				}
				if !escalated {
					// A subscription stuck this long at one position may
					// face a gap on every replica, which no retry mends.
					s.logger.Error("subscription stuck; if this lasts, run ledger verify", "after_position", pass.from, "error", err)
					escalated = true
				}
			}
			s.logger.Warn("read failed; reading again", "after_position", pass.from, "follow", follow, "error", err)
			select {
			case <-ctx.Done():
				if !follow {
					yield(eventstore.Record{}, ctx.Err())
				}
				return
			case <-time.After(pause):
			}
		}
	}
}

// readPacing paces the attempts of a read that keeps failing: a retry
// window that runs from the first failure at a position (a read that moved
// on since starts a new one), and a pause that doubles up to a cap.
type readPacing struct {
	window   time.Duration
	stuckAt  uint64
	deadline time.Time
	pause    time.Duration
}

func newReadPacing(window time.Duration) *readPacing {
	return &readPacing{window: window, stuckAt: math.MaxUint64}
}

// failedAt records a failure after position and says how long to pause,
// whether the read had moved on since the last failure, and whether the
// window at this position has run out.
func (p *readPacing) failedAt(position uint64) (pause time.Duration, moved, expired bool) {
	if position != p.stuckAt {
		p.stuckAt, p.deadline, p.pause, moved = position, time.Now().Add(p.window), readRetryIntervalMs*time.Millisecond, true
	}
	pause = p.pause
	p.pause = min(2*p.pause, readRetryIntervalMaxMs*time.Millisecond)
	return pause, moved, time.Now().After(p.deadline)
}

// readAgain says whether a read that failed with err starts again from
// where it was: after a replica served it short, after a transient failure
// (a timeout, no responders, no leader), and for a subscription after any
// failure but a stored event that does not decode, which no retry mends.
func readAgain(err error, follow bool) bool {
	var short *shortReadError
	switch {
	case errors.As(err, &short):
		return true
	case errors.Is(err, errCorruptEvent):
		return false
	case follow:
		return true
	}
	return transient(err)
}

// consumerCreateTimeoutMs bounds one attempt to create a reader's consumer.
const consumerCreateTimeoutMs = 2000

// readRetryIntervalMaxMs caps the pause between attempts of a read.
const readRetryIntervalMaxMs = 5000

// readRetryIntervalMs is the pause before a read that met a replica still
// catching up starts again.
const readRetryIntervalMs = 100

// readPass is where a read stands across the consumers it runs.
type readPass struct {
	// from is the last position read (or skipped by the filter); the next
	// consumer starts after it.
	from    uint64
	started bool
	whole   bool
	follow  bool
	head    uint64
	// byTime marks a read that starts at a time: it does not know its
	// first position, and may rightly find nothing.
	byTime bool
}

// shortReadError says a read of the whole log met a gap or ended before
// the head: a replica still catching up served it.
type shortReadError struct{ expected, got uint64 }

func (e *shortReadError) Error() string {
	if e.got == 0 {
		return fmt.Sprintf("the read ended at position %d, before the head", e.expected-1)
	}
	return fmt.Sprintf("the log jumps from position %d to %d on the replica serving the read", e.expected-1, e.got)
}

// readOnce runs one ordered consumer from pass.from. It returns nil when
// the read is done (or the reader stopped), a *shortReadError when it must
// start again, and other errors as they are.
func (s *Store) readOnce(ctx context.Context, filter eventstore.Filter, pass *readPass, yield func(eventstore.Record, error) bool) error {
	config := jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{s.filterSubject(filter)},
		InactiveThreshold: readInactiveThreshold,
	}
	switch {
	case pass.from > 0 || pass.started:
		config.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		config.OptStartSeq = pass.from + 1
	case !filter.RecordedFrom.IsZero():
		// Stream time is when JetStream stored the message, a moment
		// after recorded-at: starting there skips nothing that matches.
		start := filter.RecordedFrom
		config.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		config.OptStartTime = &start
	default:
		config.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	// Right after a node dies the cluster may still place the consumer on
	// it, and its creation then waits out the whole API timeout; a shorter
	// wait and another attempt usually lands on a live node.
	createCtx, cancelCreate := context.WithTimeout(ctx, consumerCreateTimeoutMs*time.Millisecond)
	consumer, err := s.js.OrderedConsumer(createCtx, s.options.StreamName, config)
	cancelCreate()
	if err != nil {
		return fmt.Errorf("read: %w: %w", domain.ErrUnavailable, err)
	}
	messages, err := consumer.Messages(jetstream.PullMaxMessages(readFetchMessagesMax))
	if err != nil {
		return fmt.Errorf("read: %w: %w", domain.ErrUnavailable, err)
	}
	defer func() {
		messages.Stop()
		s.deleteConsumer(consumer)
	}()
	// An ordered consumer whose stream vanished tries to make itself again
	// until it is stopped, whatever context its Next was given: stopping it
	// when ctx ends is what lets a reader (and a server shutting down) go.
	defer context.AfterFunc(ctx, messages.Stop)()
	if !pass.follow {
		info, err := consumer.Info(ctx)
		if err != nil {
			return fmt.Errorf("read: %w: %w", domain.ErrUnavailable, err)
		}
		if info.NumPending == 0 && info.Delivered.Consumer == 0 {
			return pass.ended()
		}
	}
	// Decoding costs as much as fetching: a goroutine fetches and decodes
	// ahead while the caller folds, so a reader uses both cores. The buffer
	// bounds how far ahead it runs.
	decodeCtx, stop := context.WithCancel(ctx)
	defer stop()
	decoded := make(chan []decodedRecord, readDecodeAheadRecords/readDecodeBatchRecords)
	go decodeAhead(decodeCtx, messages, pass.follow, pass.head, decoded)
	for batch := range decoded {
		for _, next := range batch {
			if next.err != nil {
				if ctx.Err() != nil && pass.follow {
					return nil
				}
				return next.err
			}
			position := next.record.Position
			if pass.whole && (pass.started || !pass.byTime) && position != pass.from+1 {
				return &shortReadError{expected: pass.from + 1, got: position}
			}
			pass.from, pass.started = position, true
			if filter.Matches(next.record.Event) && !yield(next.record, nil) {
				return nil
			}
		}
	}
	return pass.ended()
}

// ended checks a read of the whole log that did not follow reached the
// head: a message the store lost (a damaged block) also ends a read, and is
// for verify to find, so only a whole-log read is held to it.
func (p *readPass) ended() error {
	if p.byTime && !p.started {
		return nil
	}
	if p.whole && !p.follow && p.from < p.head {
		return &shortReadError{expected: p.from + 1}
	}
	return nil
}

// readDecodeAheadRecords bounds the records decoded ahead of the reader.
const readDecodeAheadRecords = 1024

// readDecodeBatchRecords is how many records a read up to the head hands
// the reader at once: one hand-over per record would wake the reader, which
// folds faster than records decode, for every record. A read that follows
// the log hands each record on as it comes, since the next may be long in
// coming.
const readDecodeBatchRecords = 64

type decodedRecord struct {
	record eventstore.Record
	err    error
}

// decodeAhead fetches and decodes messages until the log's end (when not
// following), an error, or ctx ends, and hands them on in batches; it
// closes out when done.
func decodeAhead(ctx context.Context, messages jetstream.MessagesContext, follow bool, head uint64, out chan<- []decodedRecord) {
	defer close(out)
	batchMax := readDecodeBatchRecords
	if follow {
		batchMax = 1
	}
	batch := make([]decodedRecord, 0, batchMax)
	// add appends next and hands the batch on when it is full or last.
	add := func(next decodedRecord, last bool) bool {
		batch = append(batch, next)
		if len(batch) < batchMax && !last {
			return true
		}
		select {
		case out <- batch:
			batch = make([]decodedRecord, 0, batchMax)
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		message, err := messages.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			add(decodedRecord{err: fmt.Errorf("read: %w", err)}, true)
			return
		}
		metadata, err := message.Metadata()
		if err != nil {
			add(decodedRecord{err: fmt.Errorf("read: metadata: %w", err)}, true)
			return
		}
		record, err := decodeRecord(metadata.Sequence.Stream, message.Data())
		last := err != nil || (!follow && (metadata.NumPending == 0 || metadata.Sequence.Stream >= head))
		if !add(decodedRecord{record: record, err: err}, last) || last {
			return
		}
	}
}

func decodeRecord(position uint64, data []byte) (eventstore.Record, error) {
	event, err := domain.DecodeStoredEvent(data)
	if err != nil {
		return eventstore.Record{}, fmt.Errorf("read position %d: %w", position, errors.Join(errCorruptEvent, err))
	}
	return eventstore.Record{Position: position, Event: event, Data: data}, nil
}

// errCorruptEvent marks a stored message that no longer decodes as an event.
var errCorruptEvent = errors.New("stored event does not decode")

// readInactiveThreshold is how long the server keeps a reader's consumer
// after the reader vanished without deleting it (a crash). JetStream allows
// 1000 consumers per stream by default; readers that end delete theirs.
const readInactiveThreshold = 10 * time.Second

// consumerDeleteTimeout bounds the clean-up of a finished reader's consumer.
const consumerDeleteTimeout = 2 * time.Second

func (s *Store) deleteConsumer(consumer jetstream.Consumer) {
	info := consumer.CachedInfo()
	if info == nil || info.Name == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), consumerDeleteTimeout)
	defer cancel()
	if err := s.js.DeleteConsumer(ctx, s.options.StreamName, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.logger.Debug("delete reader consumer", "consumer", info.Name, "error", err)
	}
}

// Get reads one event by position with a direct get.
func (s *Store) Get(ctx context.Context, position uint64) (eventstore.Record, error) {
	message, err := s.stream.GetMsg(ctx, position)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return eventstore.Record{}, fmt.Errorf("get position %d: %w", position, domain.ErrNotFound)
	}
	if err != nil {
		return eventstore.Record{}, fmt.Errorf("get position %d: %w: %w", position, domain.ErrUnavailable, err)
	}
	if !strings.HasPrefix(message.Subject, s.options.SubjectPrefix+".") {
		return eventstore.Record{}, fmt.Errorf("get position %d: not an event: %w", position, domain.ErrNotFound)
	}
	return decodeRecord(message.Sequence, message.Data)
}
