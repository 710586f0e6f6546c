package natsjs

import (
	"context"
	"errors"
	"fmt"
	"iter"
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

// read runs an ordered consumer: JetStream recreates it on any gap, so the
// reader sees every matching message once and in order.
func (s *Store) read(ctx context.Context, from uint64, filter eventstore.Filter, follow bool) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		config := jetstream.OrderedConsumerConfig{
			FilterSubjects:    []string{s.filterSubject(filter)},
			InactiveThreshold: readInactiveThreshold,
		}
		switch {
		case from > 0:
			config.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			config.OptStartSeq = from + 1
		case !filter.RecordedFrom.IsZero():
			// Stream time is when JetStream stored the message, a moment
			// after recorded-at: starting there skips nothing that matches.
			start := filter.RecordedFrom
			config.DeliverPolicy = jetstream.DeliverByStartTimePolicy
			config.OptStartTime = &start
		default:
			config.DeliverPolicy = jetstream.DeliverAllPolicy
		}
		consumer, err := s.js.OrderedConsumer(ctx, s.options.StreamName, config)
		if err != nil {
			yield(eventstore.Record{}, fmt.Errorf("read: %w: %w", domain.ErrUnavailable, err))
			return
		}
		messages, err := consumer.Messages(jetstream.PullMaxMessages(readFetchMessagesMax))
		if err != nil {
			yield(eventstore.Record{}, fmt.Errorf("read: %w: %w", domain.ErrUnavailable, err))
			return
		}
		defer func() {
			messages.Stop()
			s.deleteConsumer(consumer)
		}()
		if !follow {
			info, err := consumer.Info(ctx)
			if err != nil {
				yield(eventstore.Record{}, fmt.Errorf("read: %w: %w", domain.ErrUnavailable, err))
				return
			}
			if info.NumPending == 0 && info.Delivered.Consumer == 0 {
				return
			}
		}
		// Decoding costs as much as fetching: a goroutine fetches and
		// decodes ahead while the caller folds, so a reader uses both cores.
		// The buffer bounds how far ahead it runs.
		decodeCtx, stop := context.WithCancel(ctx)
		defer stop()
		// The head as of the call also ends a read: a message the store
		// lost (a damaged block) is still counted as pending, and waiting
		// for it would never end.
		var head uint64
		if !follow {
			if head, err = s.Head(ctx); err != nil {
				yield(eventstore.Record{}, err)
				return
			}
		}
		decoded := make(chan decodedRecord, readDecodeAheadRecords)
		go decodeAhead(decodeCtx, messages, follow, head, decoded)
		for next := range decoded {
			if next.err != nil {
				if ctx.Err() != nil && follow {
					return
				}
				yield(eventstore.Record{}, next.err)
				return
			}
			if filter.Matches(next.record.Event) && !yield(next.record, nil) {
				return
			}
		}
	}
}

// readDecodeAheadRecords bounds the records decoded ahead of the reader.
const readDecodeAheadRecords = 1024

type decodedRecord struct {
	record eventstore.Record
	err    error
}

// decodeAhead fetches and decodes messages until the log's end (when not
// following), an error, or ctx ends; it closes out when done.
func decodeAhead(ctx context.Context, messages jetstream.MessagesContext, follow bool, head uint64, out chan<- decodedRecord) {
	defer close(out)
	send := func(next decodedRecord) bool {
		select {
		case out <- next:
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
			send(decodedRecord{err: fmt.Errorf("read: %w", err)})
			return
		}
		metadata, err := message.Metadata()
		if err != nil {
			send(decodedRecord{err: fmt.Errorf("read: metadata: %w", err)})
			return
		}
		record, err := decodeRecord(metadata.Sequence.Stream, message.Data())
		if !send(decodedRecord{record: record, err: err}) || err != nil {
			return
		}
		if !follow && (metadata.NumPending == 0 || metadata.Sequence.Stream >= head) {
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
