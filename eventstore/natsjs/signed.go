package natsjs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// SignedCheckpointStream keeps signed tree checkpoints, append-only like the
// ledger itself.
const SignedCheckpointStream = "LEDGER_CHECKPOINTS"

const signedCheckpointSubject = "ledger.checkpoints"

var _ eventstore.SignedCheckpointLog = (*SignedCheckpoints)(nil)

// SignedCheckpoints is the append-only place for signed checkpoints; the
// access log is another such stream.
type SignedCheckpoints struct {
	js       jetstream.JetStream
	stream   jetstream.Stream
	subject  string
	replicas int
}

// AccessLogStream keeps the log of personal-data reads, append-only.
const AccessLogStream = "LEDGER_ACCESS"

const accessLogSubject = "ledger.access"

// OpenSignedCheckpoints creates or opens the checkpoint stream.
func OpenSignedCheckpoints(ctx context.Context, connection *nats.Conn, replicas int) (*SignedCheckpoints, error) {
	log, err := openAppendOnly(ctx, connection, replicas, SignedCheckpointStream, signedCheckpointSubject,
		"Signed Merkle tree checkpoints of the ledger, append-only")
	if err != nil {
		return nil, fmt.Errorf("open signed checkpoints: %w", err)
	}
	return log, nil
}

// OpenAccessLog creates or opens the log of personal-data reads.
func OpenAccessLog(ctx context.Context, connection *nats.Conn, replicas int) (*SignedCheckpoints, error) {
	log, err := openAppendOnly(ctx, connection, replicas, AccessLogStream, accessLogSubject,
		"Who read whose personal data, when and how; append-only")
	if err != nil {
		return nil, fmt.Errorf("open access log: %w", err)
	}
	return log, nil
}

// openAppendOnly opens a stream of one subject that refuses deletes and
// purges.
func openAppendOnly(ctx context.Context, connection *nats.Conn, replicas int, name, subject, description string) (*SignedCheckpoints, error) {
	js, replicas, err := jetStreamFor(connection, replicas)
	if err != nil {
		return nil, err
	}
	stream, err := createStream(ctx, js, jetstream.StreamConfig{
		Name: name, Description: description,
		Subjects: []string{subject}, Storage: jetstream.FileStorage, Replicas: replicas,
		MaxMsgs: -1, MaxBytes: -1, DenyDelete: true, DenyPurge: true, AllowDirect: true, MaxMsgSize: 64 << 10,
	})
	if err != nil {
		return nil, err
	}
	return &SignedCheckpoints{js: js, stream: stream, subject: subject, replicas: replicas}, nil
}

// Append stores one signed checkpoint.
func (c *SignedCheckpoints) Append(ctx context.Context, signed []byte) error {
	if _, err := c.js.Publish(ctx, c.subject, signed); err != nil {
		return fmt.Errorf("store checkpoint: %w: %w", domain.ErrUnavailable, err)
	}
	return nil
}

// Latest returns the last signed checkpoint; domain.ErrNotFound if none.
func (c *SignedCheckpoints) Latest(ctx context.Context) ([]byte, error) {
	message, err := c.stream.GetLastMsgForSubject(ctx, c.subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("no checkpoint yet (run ledger checkpoint): %w", domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("latest checkpoint: %w: %w", domain.ErrUnavailable, err)
	}
	return message.Data, nil
}

// All yields every signed checkpoint in the order they were stored.
func (c *SignedCheckpoints) All(ctx context.Context) ([][]byte, error) {
	info, err := leaderInfo(ctx, c.stream, c.replicas)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w: %w", domain.ErrUnavailable, err)
	}
	var all [][]byte
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		message, err := c.stream.GetMsg(ctx, seq)
		// Nothing is deleted from this stream: on a cluster a missing
		// checkpoint was asked of a replica still catching up, and asking
		// again soon reaches another or finds it caught up.
		for attempt := 1; errors.Is(err, jetstream.ErrMsgNotFound) && c.replicas > 1 && attempt < signedGetAttemptsMax; attempt++ {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(readRetryIntervalMs * time.Millisecond):
			}
			message, err = c.stream.GetMsg(ctx, seq)
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) && c.replicas > 1 {
			return nil, fmt.Errorf("checkpoint %d: %w: not found on the replicas that answered", seq, domain.ErrUnavailable)
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", seq, err)
		}
		all = append(all, message.Data)
	}
	return all, nil
}

// signedGetAttemptsMax bounds the attempts to get one signed checkpoint
// on a cluster.
const signedGetAttemptsMax = 50

// RawMessage is a stored message as JetStream keeps it: what verification
// checks the decoded event against.
type RawMessage struct {
	Position uint64
	Subject  string
	Header   nats.Header
	Data     []byte
	Stored   time.Time
}

// Raw yields every message of the ledger stream after position from, with
// subject and headers, up to the head as of the call.
//
// On one server it yields what the store holds, gaps and all, for verify
// to name. On a cluster a reader may be served by a replica still catching
// up, as in read: there positions must follow each other up to the head,
// and the read starts again from where it was (for the retry window) when
// they do not.
func (s *Store) Raw(ctx context.Context, from uint64) iter.Seq2[RawMessage, error] {
	return func(yield func(RawMessage, error) bool) {
		var head uint64
		err := s.retryRead(ctx, func() error {
			var err error
			head, err = s.Head(ctx)
			return err
		})
		if err != nil || head <= from {
			if err != nil {
				yield(RawMessage{}, err)
			}
			return
		}
		checked := s.options.Replicas > 1
		last := from
		pacing := newReadPacing(s.options.RetryWindow)
		for {
			stopped, err := s.rawOnce(ctx, &last, head, checked, yield)
			if stopped {
				return
			}
			if err == nil && (!checked || last >= head) {
				return
			}
			if err == nil {
				err = &shortReadError{expected: last + 1}
			}
			var short *shortReadError
			if !errors.As(err, &short) && !transient(err) || ctx.Err() != nil {
				yield(RawMessage{}, err)
				return
			}
			pause, _, expired := pacing.failedAt(last)
			if expired {
				yield(RawMessage{}, fmt.Errorf("raw read: %w: %w", domain.ErrUnavailable, err))
				return
			}
			s.logger.Warn("raw read failed; reading again", "after_position", last, "error", err)
			select {
			case <-ctx.Done():
				yield(RawMessage{}, ctx.Err())
				return
			case <-time.After(pause):
			}
		}
	}
}

// rawOnce runs one ordered consumer from *last up to head, advancing
// *last. It reports whether the reader stopped; a jump in positions is a
// *shortReadError when checked.
func (s *Store) rawOnce(ctx context.Context, last *uint64, head uint64, checked bool, yield func(RawMessage, error) bool) (bool, error) {
	config := jetstream.OrderedConsumerConfig{InactiveThreshold: readInactiveThreshold, DeliverPolicy: jetstream.DeliverAllPolicy}
	if *last > 0 {
		config.DeliverPolicy, config.OptStartSeq = jetstream.DeliverByStartSequencePolicy, *last+1
	}
	createCtx, cancelCreate := context.WithTimeout(ctx, consumerCreateTimeoutMs*time.Millisecond)
	consumer, err := s.js.OrderedConsumer(createCtx, s.options.StreamName, config)
	cancelCreate()
	if err != nil {
		return false, fmt.Errorf("raw read: %w: %w", domain.ErrUnavailable, err)
	}
	messages, err := consumer.Messages(jetstream.PullMaxMessages(readFetchMessagesMax))
	if err != nil {
		return false, fmt.Errorf("raw read: %w: %w", domain.ErrUnavailable, err)
	}
	defer func() {
		messages.Stop()
		s.deleteConsumer(consumer)
	}()
	// A consumer on a replica with nothing after *last would wait for it
	// without end: such a read ends here, short, and is tried again.
	info, err := consumer.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("raw read: %w: %w", domain.ErrUnavailable, err)
	}
	if info.NumPending == 0 && info.Delivered.Consumer == 0 {
		return false, nil
	}
	for {
		message, err := messages.Next(jetstream.NextContext(ctx))
		if err != nil {
			return false, fmt.Errorf("raw read: %w", err)
		}
		metadata, err := message.Metadata()
		if err != nil {
			return false, fmt.Errorf("raw read: %w", err)
		}
		raw := RawMessage{Position: metadata.Sequence.Stream, Subject: message.Subject(), Header: message.Headers(),
			Data: message.Data(), Stored: metadata.Timestamp}
		if checked && raw.Position != *last+1 {
			return false, &shortReadError{expected: *last + 1, got: raw.Position}
		}
		*last = raw.Position
		if !yield(raw, nil) {
			return true, nil
		}
		if metadata.NumPending == 0 || raw.Position >= head {
			return false, nil
		}
	}
}

// RestoreRaw writes a message of a backup back at its position: the same
// subject, headers and bytes, so the restored log hashes as the original
// did. It refuses a message that would land anywhere but at position: the
// target must be empty before the first one. The runtime user may publish
// to the ledger's subjects like any append.
func (s *Store) RestoreRaw(ctx context.Context, message RawMessage) error {
	out := nats.NewMsg(message.Subject)
	for name, values := range message.Header {
		for _, value := range values {
			out.Header.Add(name, value)
		}
	}
	out.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("restore-%d", message.Position))
	out.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(message.Position-1, 10))
	out.Data = message.Data
	ack, err := s.js.PublishMsg(ctx, out)
	if err != nil {
		return fmt.Errorf("restore position %d: %w", message.Position, err)
	}
	if ack.Sequence != message.Position {
		return fmt.Errorf("restore: position %d landed at %d; the target was not empty", message.Position, ack.Sequence)
	}
	return nil
}
