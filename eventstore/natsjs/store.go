// Package natsjs keeps the ledger's events in one NATS JetStream stream. It
// implements eventstore.Store against an embedded server or any external NATS
// server or cluster.
package natsjs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

var _ eventstore.Store = (*Store)(nil)

// ErrClosed says the store was closed: an append after Close (or still
// queued for the group writer when Close stopped it) is refused. It comes
// wrapped together with domain.ErrUnavailable, and as
// eventstore.ErrNotWritten: nothing of the append was sent.
var ErrClosed = errors.New("event store closed")

// Headers the store writes beside the standard JetStream ones. The event type
// is a header so tools can route on it without decoding the body.
const (
	HeaderEventID       = "Ledger-Event-Id"
	HeaderEventType     = "Ledger-Event-Type"
	HeaderSchemaVersion = "Ledger-Schema-Version"

	headerMsgID                   = "Nats-Msg-Id"
	headerExpectedSubjectSeq      = "Nats-Expected-Last-Subject-Sequence"
	headerExpectedSeqSubject      = "Nats-Expected-Last-Subject-Sequence-Subject"
	headerBatchID                 = "Nats-Batch-Id"
	headerBatchSequence           = "Nats-Batch-Sequence"
	headerBatchCommit             = "Nats-Batch-Commit"
	errorCodeWrongLastSeq         = 10071
	errorCodeWrongLastSeqConstant = 10164
	errorCodeBatchDuplicate       = 10201
	errorCodeDuplicateConflict    = 10158
	// errorCodeInsufficientResources: the store is full.
	errorCodeInsufficientResources = 10023
)

// Storage selects where the stream keeps messages.
type Storage int

// Storage kinds. File is the only one that survives a restart.
const (
	FileStorage Storage = iota
	MemoryStorage
)

// Options configure the store. Zero values take the defaults.
type Options struct {
	// StreamName is the ledger stream's name (default LEDGER).
	StreamName string
	// SubjectPrefix starts every event subject (default ledger.events).
	SubjectPrefix string
	Storage       Storage
	// Replicas is the stream's replica count: 1, or 3 on a cluster.
	Replicas int
	// DuplicateWindow is how long JetStream remembers idempotency keys on its
	// own; the ledger's durable check covers what is older (default 10 min).
	DuplicateWindow time.Duration
	// GroupCommit gathers concurrent appends into one atomic batch, so that a
	// server that fsyncs every write pays one fsync for the whole group.
	GroupCommit bool
	// PublishTimeout bounds one publish round trip (default 10 s).
	PublishTimeout time.Duration
	// RetryWindow bounds how long an append is sent again after transient
	// failures such as a cluster leader election (default 30 s).
	RetryWindow time.Duration
	// FreeBytes, if set, reports the storage left. JetStream can commit part
	// of an atomic batch when the store fills in the middle of the commit,
	// so a batch is refused up front unless there is room for twice its size.
	FreeBytes func() (int64, bool)
	Logger    *slog.Logger
}

// Limits of the store, named with their unit last.
const (
	// groupQueueDepthMax bounds appends waiting for the group writer; a full
	// queue blocks the caller until its context ends, never the ledger.
	groupQueueDepthMax = 1024
	// groupBatchEventsMin is the smallest group worth an atomic batch: below
	// it, separate fsynced publishes are quicker than staging a batch.
	groupBatchEventsMin = 8
	// readFetchMessagesMax is how many messages a read asks for at a time.
	readFetchMessagesMax = 4096
	// messageHeaderBytesMax is room for headers above the event itself.
	messageHeaderBytesMax = 4096
)

// Store is the JetStream event store.
type Store struct {
	connection *nats.Conn
	js         jetstream.JetStream
	stream     jetstream.Stream
	options    Options
	logger     *slog.Logger

	// readOnly, when set, is why appends are refused: the server is too
	// old to keep the ledger's promises. Reads still work.
	readOnly error
	// nodes are the servers whose versions were checked; versionNote says
	// which could not be.
	nodes       []ServerNode
	versionNote string

	queue chan *pendingAppend
	// entry guards sending to queue against Close: an append sends under
	// the read lock after checking closed, and Close sets closed under the
	// write lock before it stops the writer. So every append queued is
	// queued before the writer's last drain (failQueued) and gets an
	// answer, and every later one is refused at once.
	entry     sync.RWMutex
	closed    bool
	closeOnce sync.Once
	done      chan struct{}
	writer    sync.WaitGroup
}

// Open creates or updates the ledger stream and returns the store. The
// connection stays the caller's to close.
func Open(ctx context.Context, connection *nats.Conn, options Options) (*Store, error) {
	if options.StreamName == "" {
		options.StreamName = "LEDGER"
	}
	if options.SubjectPrefix == "" {
		options.SubjectPrefix = "ledger.events"
	}
	if options.Replicas == 0 {
		options.Replicas = 1
	}
	if options.DuplicateWindow == 0 {
		options.DuplicateWindow = 10 * time.Minute
	}
	if options.PublishTimeout == 0 {
		options.PublishTimeout = 10 * time.Second
	}
	if options.RetryWindow == 0 {
		options.RetryWindow = retryWindowSecondsDefault * time.Second
	}
	if options.Logger == nil {
		options.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(connection)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	storage := jetstream.FileStorage
	if options.Storage == MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	// The ledger stream keeps everything forever and refuses deletes and
	// purges: nothing is edited or deleted, corrections are new events.
	config := jetstream.StreamConfig{
		Name:               options.StreamName,
		Description:        "Union welfare activity ledger: immutable events",
		Subjects:           []string{options.SubjectPrefix + ".>"},
		Storage:            storage,
		Replicas:           options.Replicas,
		Retention:          jetstream.LimitsPolicy,
		MaxAge:             0,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxMsgsPerSubject:  -1,
		MaxMsgSize:         domain.StoredEventBytesMax + messageHeaderBytesMax,
		Discard:            jetstream.DiscardNew,
		Duplicates:         options.DuplicateWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowRollup:        false,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
	// A server too old for atomic batches may still serve an existing log
	// to read; it is not asked to create or change anything.
	nodes, versionNote, readOnly := checkServerVersions(ctx, connection)
	if versionNote != "" {
		options.Logger.Warn("not every NATS server's version was checked", "reason", versionNote)
	}
	var stream jetstream.Stream
	if readOnly != nil {
		stream, err = js.Stream(ctx, options.StreamName)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, fmt.Errorf("open event store: %w", readOnly)
		}
		if err != nil {
			return nil, fmt.Errorf("open event store: %w; and stream %s cannot be read: %w", readOnly, options.StreamName, err)
		}
		options.Logger.Warn("the event store is read-only", "reason", readOnly.Error())
	} else {
		stream, err = createStream(ctx, js, config)
		if err != nil {
			return nil, fmt.Errorf("open event store: create stream %s: %w", options.StreamName, err)
		}
		// A server applies only the settings it knows and answers with
		// what it applied: one that dropped a setting the ledger relies on
		// cannot keep its promises.
		compared := config
		compared.Replicas = 0
		if drift := StreamDrift(compared, stream.CachedInfo().Config); len(drift) > 0 {
			return nil, fmt.Errorf("open event store: nats-server %s did not apply the stream settings %s that the ledger relies on: %w",
				connection.ConnectedServerVersion(), strings.Join(drift, ", "), eventstore.ErrUnsupported)
		}
	}
	store := &Store{
		readOnly:    readOnly,
		nodes:       nodes,
		versionNote: versionNote,
		connection:  connection,
		js:          js,
		stream:      stream,
		options:     options,
		logger:      options.Logger,
		done:        make(chan struct{}),
	}
	if options.GroupCommit {
		store.queue = make(chan *pendingAppend, groupQueueDepthMax)
		store.writer.Add(1)
		go store.writeGroups()
	}
	return store, nil
}

var _ eventstore.Deduplicator = (*Store)(nil)

// DeduplicationWindow is how long the stream refuses a repeated
// idempotency key (Nats-Msg-Id) on its own.
func (s *Store) DeduplicationWindow() time.Duration { return s.options.DuplicateWindow }

// Close stops the group writer. Appends still queued fail, and every
// append from then on fails at once, with ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.entry.Lock()
		s.closed = true
		s.entry.Unlock()
		close(s.done)
		s.writer.Wait()
	})
	return nil
}

// Subject is where an event is stored:
// <prefix>.<aggregate kind>.<aggregate id>.<county>.<event type>. A consumer
// filters by county with <prefix>.*.*.<county>.* and by kind with
// <prefix>.<kind>.>.
func (s *Store) Subject(event domain.Event) string {
	return strings.Join([]string{s.options.SubjectPrefix, event.Aggregate.Kind, event.Aggregate.ID, event.County, string(event.Type)}, ".")
}

func (s *Store) aggregateSubject(aggregate domain.AggregateRef) string {
	return s.options.SubjectPrefix + "." + aggregate.Kind + "." + aggregate.ID + ".>"
}

func (s *Store) filterSubject(filter eventstore.Filter) string {
	if filter.AggregateKind == "" && filter.AggregateID == "" && filter.County == "" && filter.Type == "" {
		// The whole log: a plain prefix filter spares the server matching
		// every subject against four wildcards.
		return s.options.SubjectPrefix + ".>"
	}
	if filter.AggregateID == "" && filter.County == "" && filter.Type == "" {
		return s.options.SubjectPrefix + "." + filter.AggregateKind + ".>"
	}
	token := func(value string) string {
		if value == "" {
			return "*"
		}
		return value
	}
	return strings.Join([]string{s.options.SubjectPrefix, token(filter.AggregateKind), token(filter.AggregateID),
		token(filter.County), token(string(filter.Type))}, ".")
}

// subjectTokenSafe rejects what would break the subject layout: the domain
// already validates codes, this guards the store against other callers.
func subjectTokenSafe(token string) bool {
	return token != "" && !strings.ContainsAny(token, ".*> \t\r\n")
}

func (s *Store) message(part eventstore.AggregateAppend, index int) (*nats.Msg, error) {
	event := part.Events[index]
	for _, token := range []string{event.Aggregate.Kind, event.Aggregate.ID, event.County, string(event.Type)} {
		if !subjectTokenSafe(token) {
			return nil, fmt.Errorf("event %s: %q cannot be a subject token: %w", event.ID, token, domain.ErrInvalid)
		}
	}
	if event.ID == uuid.Nil {
		return nil, fmt.Errorf("event has no id: %w", domain.ErrInvalid)
	}
	data, err := part.StoredBytes(index)
	if err != nil {
		return nil, err
	}
	if len(data) > domain.StoredEventBytesMax {
		return nil, fmt.Errorf("event %s is %d bytes, at most %d: %w", event.ID, len(data), domain.StoredEventBytesMax, domain.ErrInvalid)
	}
	message := nats.NewMsg(s.Subject(event))
	message.Data = data
	message.Header.Set(HeaderEventID, event.ID.String())
	message.Header.Set(HeaderEventType, string(event.Type))
	message.Header.Set(HeaderSchemaVersion, strconv.Itoa(eventstore.StoredVersion(event)))
	// Every message carries a message id, so a publish sent again after a
	// lost acknowledgement is stored once: the idempotency key when the
	// client gave one, else the event's own id. A migration copies events
	// whose keys were already checked where they were first written, and
	// within minutes of each other; their own ids keep it resumable.
	if event.IdempotencyKey != "" && part.Stored == nil {
		message.Header.Set(headerMsgID, event.IdempotencyKey)
	} else {
		message.Header.Set(headerMsgID, event.ID.String())
	}
	return message, nil
}

// Append writes the parts atomically. See eventstore.Store.
func (s *Store) Append(ctx context.Context, parts ...eventstore.AggregateAppend) ([]uint64, error) {
	if err := eventstore.CheckAppend(parts); err != nil {
		return nil, err
	}
	if err := s.errReadOnly(); err != nil {
		return nil, err
	}
	if s.queue == nil {
		return s.appendNow(ctx, parts)
	}
	pending := &pendingAppend{ctx: ctx, parts: parts, result: make(chan appendResult, 1)}
	if err := s.enqueue(ctx, pending); err != nil {
		return nil, err
	}
	// Queued before Close stopped the writer: the writer answers it, by
	// writing it or, once closed, failing it, so this waits for nothing
	// but the answer or the caller.
	select {
	case result := <-pending.result:
		return result.positions, result.err
	case <-ctx.Done():
		// The write may still land; the caller's retry with the same
		// idempotency key will find it.
		return nil, fmt.Errorf("append: %w", ctx.Err())
	}
}

// enqueue hands pending to the group writer, or refuses it at once with
// ErrClosed once Close began. A full queue makes it wait for room (the
// writer runs until Close takes the write lock, so room comes) or for
// ctx. Either refusal is eventstore.ErrNotWritten: the append was never
// queued, so nothing of it can be written. A ctx already ended is refused
// so too, before the queue is tried.
func (s *Store) enqueue(ctx context.Context, pending *pendingAppend) error {
	s.entry.RLock()
	defer s.entry.RUnlock()
	if s.closed {
		return errClosed()
	}
	if err := ctx.Err(); err != nil {
		return eventstore.NotWritten(fmt.Errorf("append: %w", err))
	}
	select {
	case s.queue <- pending:
		return nil
	case <-ctx.Done():
		return eventstore.NotWritten(fmt.Errorf("append: %w", ctx.Err()))
	}
}

// errClosed refuses an append the closed store never sent.
func errClosed() error {
	return eventstore.NotWritten(fmt.Errorf("append: %w: %w", ErrClosed, domain.ErrUnavailable))
}

// appendNow publishes one request: a lone event as a plain publish, anything
// else as one atomic batch.
func (s *Store) appendNow(ctx context.Context, parts []eventstore.AggregateAppend) ([]uint64, error) {
	messages, err := s.messages(parts)
	if err != nil {
		return nil, err
	}
	// A leader election, a reconnect or a lost acknowledgement makes a
	// publish fail without saying whether it landed. It is sent again with
	// the same message ids, so JetStream stores it once.
	deadline := time.Now().Add(s.options.RetryWindow)
	backoff := retryBackoffMinMs * time.Millisecond
	for attempt := 1; ; attempt++ {
		positions, err := s.publishOnce(ctx, parts, messages)
		if err != nil && attempt > 1 && errors.Is(err, eventstore.ErrDuplicate) {
			// An earlier attempt landed after all.
			if found, ok := s.findWritten(ctx, parts); ok {
				return found, nil
			}
		}
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return positions, err
		}
		s.logger.Warn("append retried", "attempt", attempt, "error", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("append: %w", ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, retryBackoffMaxMs*time.Millisecond)
		for _, message := range messages {
			// A batch is staged afresh under a new id.
			message.Header.Del(headerBatchID)
			message.Header.Del(headerBatchSequence)
			message.Header.Del(headerBatchCommit)
		}
	}
}

// Retry timing, unit last.
const (
	retryWindowSecondsDefault = 30
	retryBackoffMinMs         = 100
	retryBackoffMaxMs         = 2000
)

func (s *Store) publishOnce(ctx context.Context, parts []eventstore.AggregateAppend, messages []*nats.Msg) ([]uint64, error) {
	if len(messages) > 1 {
		return s.publishBatch(ctx, parts, messages)
	}
	ack, err := s.request(ctx, messages[0])
	if err != nil {
		return nil, s.publishError(ctx, parts, messages, err)
	}
	if ack.Duplicate {
		event := parts[0].Events[0]
		if event.IdempotencyKey == "" {
			// Deduplicated on the event's own id: an earlier attempt of
			// this very append stored it, or another event with the same
			// id was written within the window. Only the first is done;
			// the second was dropped and must not be acknowledged.
			return s.sameEvent(ctx, event, messages[0].Data, ack.Sequence)
		}
		return nil, &eventstore.DuplicateError{Key: event.IdempotencyKey, Position: ack.Sequence}
	}
	return []uint64{ack.Sequence}, nil
}

// sameEvent answers a publish JetStream deduplicated on the event's id: the
// position, if what is stored there is this publish's bytes (an earlier
// attempt landed), else a *DuplicateError naming the id: another event with
// the id was written within the window, and this one was dropped.
func (s *Store) sameEvent(ctx context.Context, event domain.Event, data []byte, position uint64) ([]uint64, error) {
	stored, err := s.Get(ctx, position)
	if err != nil {
		return nil, fmt.Errorf("append: event id %s was deduplicated against position %d, which cannot be read: %w", event.ID, position, err)
	}
	if !bytes.Equal(stored.Data, data) {
		return nil, &eventstore.DuplicateError{EventID: event.ID.String(), Position: position}
	}
	return []uint64{position}, nil
}

// transient says whether a failed publish may succeed if sent again: the
// connection or the cluster was briefly away. A full store is not transient
// here: it is reported at once, and writing resumes when space is freed.
func transient(err error) bool {
	var api *apiError
	if errors.As(err, &api) {
		return api.Code == 503 && api.ErrorCode != errorCodeInsufficientResources
	}
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, errNotLeader) ||
		errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrConnectionReconnecting)
}

// findWritten finds where an append's events landed when their first
// publish went unanswered: ok only when every one of them is in the log.
func (s *Store) findWritten(ctx context.Context, parts []eventstore.AggregateAppend) ([]uint64, bool) {
	positions, found, err := s.stored(ctx, parts)
	return positions, err == nil && found == len(positions)
}

// stored reads each part's aggregate from its expected version and finds
// the append's events by id: their positions in the append's order (0 for
// one not in the log) and how many were found.
func (s *Store) stored(ctx context.Context, parts []eventstore.AggregateAppend) (positions []uint64, found int, err error) {
	at := map[string]uint64{}
	for _, part := range parts {
		from := part.ExpectedVersion
		if from == eventstore.AnyVersion {
			from = 0
		}
		for record, err := range s.Read(ctx, from, eventstore.Filter{AggregateKind: part.Aggregate.Kind, AggregateID: part.Aggregate.ID}) {
			if err != nil {
				return nil, 0, err
			}
			at[record.Event.ID.String()] = record.Position
		}
	}
	for _, part := range parts {
		for _, event := range part.Events {
			position, ok := at[event.ID.String()]
			positions = append(positions, position)
			if ok {
				found++
			}
		}
	}
	return positions, found, nil
}

// messages encodes the parts, with the expected-version check on the first
// message of each aggregate: JetStream checks per-subject expectations only
// before the batch itself writes that subject.
func (s *Store) messages(parts []eventstore.AggregateAppend) ([]*nats.Msg, error) {
	var messages []*nats.Msg
	for _, part := range parts {
		for i := range part.Events {
			message, err := s.message(part, i)
			if err != nil {
				return nil, err
			}
			if i == 0 && part.ExpectedVersion != eventstore.AnyVersion {
				message.Header.Set(headerExpectedSubjectSeq, strconv.FormatUint(part.ExpectedVersion, 10))
				message.Header.Set(headerExpectedSeqSubject, s.aggregateSubject(part.Aggregate))
			}
			messages = append(messages, message)
		}
	}
	return messages, nil
}

type publishAck struct {
	Stream    string `json:"stream"`
	Sequence  uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate,omitempty"`
	BatchID   string `json:"batch,omitempty"`
	Count     int    `json:"count,omitempty"`
}

type apiError struct {
	Code        int    `json:"code"`
	ErrorCode   int    `json:"err_code"`
	Description string `json:"description"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("jetstream: %s (%d)", e.Description, e.ErrorCode)
}

func (s *Store) request(ctx context.Context, message *nats.Msg) (publishAck, error) {
	ctx, cancel := context.WithTimeout(ctx, s.options.PublishTimeout)
	defer cancel()
	reply, err := s.connection.RequestMsgWithContext(ctx, message)
	if err != nil {
		return publishAck{}, err
	}
	response, err := decodeAck(reply.Data)
	if err != nil {
		return publishAck{}, err
	}
	if response.Error != nil {
		return response.publishAck, response.Error
	}
	return response.publishAck, nil
}

// batchMessageOverheadBytes is what JetStream stores beside each message's
// subject, headers and data.
const batchMessageOverheadBytes = 128

func (s *Store) publishBatch(ctx context.Context, parts []eventstore.AggregateAppend, messages []*nats.Msg) ([]uint64, error) {
	if s.options.FreeBytes != nil {
		var needed int64
		for _, message := range messages {
			needed += int64(len(message.Subject)+len(message.Data)+batchMessageOverheadBytes) + int64(len(message.Header)*64)
		}
		if free, known := s.options.FreeBytes(); known && free < 2*needed {
			return nil, fmt.Errorf("append: the store is full (%d bytes free, a batch of %d events needs %d): %w",
				max(free, 0), len(messages), 2*needed, domain.ErrUnavailable)
		}
	}
	batchID := uuid.NewString()
	for i, message := range messages {
		message.Header.Set(headerBatchID, batchID)
		message.Header.Set(headerBatchSequence, strconv.Itoa(i+1))
		if i < len(messages)-1 {
			// Only the commit needs a reply: the server checks and answers
			// for the whole batch when it commits.
			if err := s.connection.PublishMsg(message); err != nil {
				return nil, fmt.Errorf("append batch: %w: %w", domain.ErrUnavailable, err)
			}
		}
	}
	commit := messages[len(messages)-1]
	commit.Header.Set(headerBatchCommit, "1")
	ack, err := s.request(ctx, commit)
	if err != nil {
		return nil, s.publishError(ctx, parts, messages, err)
	}
	if ack.Count != len(messages) || ack.BatchID != batchID {
		return s.unexpectedBatchAnswer(ctx, parts, ack, len(messages))
	}
	// A committed batch occupies consecutive positions ending at the ack's.
	positions := make([]uint64, len(messages))
	for i := range positions {
		positions[i] = ack.Sequence - uint64(len(messages)-1-i)
	}
	return positions, nil
}

// unexpectedBatchAnswer finds out what a batch whose answer the ledger did
// not expect (another count, another batch, none at all: a server that
// ignored the batch headers) left in the log, by the events' ids, and says
// exactly that: all of it stored is success, and a part of it is named
// position by position, never reported as nothing.
func (s *Store) unexpectedBatchAnswer(ctx context.Context, parts []eventstore.AggregateAppend, ack publishAck, sent int) ([]uint64, error) {
	positions, found, err := s.stored(ctx, parts)
	if err != nil {
		return nil, fmt.Errorf("append batch: the server answered %d of %d with batch %q, and what it stored cannot be read: %w: %w",
			ack.Count, sent, ack.BatchID, domain.ErrUnavailable, err)
	}
	switch found {
	case sent:
		s.logger.Warn("append batch: unexpected answer, but every event is stored", "count", ack.Count, "sent", sent)
		return positions, nil
	case 0:
		return nil, fmt.Errorf("append batch: the server answered %d of %d and stored none of them: %w", ack.Count, sent, domain.ErrUnavailable)
	}
	var at []uint64
	for _, position := range positions {
		if position != 0 {
			at = append(at, position)
		}
	}
	return nil, fmt.Errorf("append batch: NOT ATOMIC: the server stored %d of %d events (at positions %v) and not the rest: "+
		"it did not keep the batch whole (nats-server %s): %w", found, sent, at, s.connection.ConnectedServerVersion(), domain.ErrUnavailable)
}

// publishError turns a JetStream answer into the contract's errors.
func (s *Store) publishError(ctx context.Context, parts []eventstore.AggregateAppend, messages []*nats.Msg, err error) error {
	var api *apiError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case errorCodeWrongLastSeq, errorCodeWrongLastSeqConstant:
			return s.conflict(ctx, parts)
		case errorCodeBatchDuplicate, errorCodeDuplicateConflict:
			// JetStream does not say which message of a batch repeated a
			// key; name it only when there is one message.
			key := ""
			if len(messages) == 1 {
				key = messages[0].Header.Get(headerMsgID)
			}
			return &eventstore.DuplicateError{Key: key}
		}
		return fmt.Errorf("append: %w: %w", domain.ErrUnavailable, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("append: %w", err)
	}
	return fmt.Errorf("append: %w: %w", domain.ErrUnavailable, err)
}

// conflict finds which aggregate moved. JetStream names only the first failing
// check, so each aggregate's version is read back.
func (s *Store) conflict(ctx context.Context, parts []eventstore.AggregateAppend) error {
	for _, part := range parts {
		if part.ExpectedVersion == eventstore.AnyVersion {
			continue
		}
		actual, err := s.AggregateVersion(ctx, part.Aggregate)
		if err != nil {
			return fmt.Errorf("append: read version after conflict: %w", err)
		}
		if actual != part.ExpectedVersion {
			return &eventstore.ConflictError{Aggregate: part.Aggregate, Expected: part.ExpectedVersion, Actual: actual}
		}
	}
	// Every aggregate is where the writer expected: the conflict came from a
	// write that has landed since. Report the first part; a retry re-reads.
	return &eventstore.ConflictError{Aggregate: parts[0].Aggregate, Expected: parts[0].ExpectedVersion, Actual: parts[0].ExpectedVersion}
}

// AggregateVersion reads the position of the aggregate's last event with one
// direct get across all of the aggregate's subjects.
func (s *Store) AggregateVersion(ctx context.Context, aggregate domain.AggregateRef) (uint64, error) {
	var version uint64
	err := s.retryRead(ctx, func() error {
		message, err := s.stream.GetLastMsgForSubject(ctx, s.aggregateSubject(aggregate))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			version = 0
			return nil
		case err != nil:
			return err
		}
		version = message.Sequence
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("aggregate version %s: %w: %w", aggregate, domain.ErrUnavailable, err)
	}
	return version, nil
}

// Head is the stream's last sequence. It is not retried: readers such as
// health checks want to hear at once that the stream is away.
//
// On a cluster only the stream's leader knows the head, and other replicas
// answer too at times with their own state, which may be far behind: one
// that finds the stream without a leader, and one just restarted that was
// the stream's first leader (nats-server lets it answer while a new group
// forms). Only the leader's answer lists the other replicas, so an answer
// that lists none, or names no leader, is refused as unavailable rather
// than taken for the head.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	info, err := leaderInfo(ctx, s.stream, s.options.Replicas)
	if err != nil {
		return 0, fmt.Errorf("head: %w: %w", domain.ErrUnavailable, err)
	}
	return info.State.LastSeq, nil
}

// leaderInfo is a stream's info as its leader gives it.
func leaderInfo(ctx context.Context, stream jetstream.Stream, replicas int) (*jetstream.StreamInfo, error) {
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	if replicas > 1 && (info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) == 0) {
		return nil, errNotLeader
	}
	if info.Cluster != nil {
		// The leader never lists itself among the replicas.
		for _, replica := range info.Cluster.Replicas {
			if replica.Name == info.Cluster.Leader {
				return nil, errNotLeader
			}
		}
	}
	return info, nil
}

// errNotLeader says a stream's state came from a replica other than its
// leader, so it may be behind.
var errNotLeader = errors.New("the stream's state came from a replica other than its leader")

// retryRead runs a read that an append depends on again while it fails
// transiently, within the same window as the append itself: a stream that is
// electing its leader (a forming cluster, a lost node) answers no one for a
// moment, and every append first reads its aggregate's version.
func (s *Store) retryRead(ctx context.Context, read func() error) error {
	deadline := time.Now().Add(s.options.RetryWindow)
	backoff := retryBackoffMinMs * time.Millisecond
	for {
		err := read()
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, retryBackoffMaxMs*time.Millisecond)
	}
}

// streamCreateSecondsMax bounds the wait for a cluster to elect its
// JetStream leader before the stream can be made.
const streamCreateSecondsMax = 60

// createStream opens a stream, creating it when it is missing and updating
// it when its settings drifted from config. An existing stream whose
// settings match is only bound (a stream info request): the ledger's
// runtime user may not create or update the protected streams, and needs
// not to.
func createStream(ctx context.Context, js jetstream.JetStream, config jetstream.StreamConfig) (jetstream.Stream, error) {
	var stream jetstream.Stream
	err := whileForming(ctx, func(ctx context.Context) error {
		// The replica count is the cluster operator's to change (nats
		// stream edit): a command run without --replicas must neither fail
		// on an R3 stream nor shrink it.
		compared := config
		compared.Replicas = 0
		existing, err := js.Stream(ctx, config.Name)
		if err == nil && len(StreamDrift(compared, existing.CachedInfo().Config)) == 0 {
			stream = existing
			return nil
		}
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return err
		}
		missing := err != nil
		var drift []string
		if !missing {
			drift = StreamDrift(compared, existing.CachedInfo().Config)
			config.Replicas = existing.CachedInfo().Config.Replicas
		}
		stream, err = js.CreateOrUpdateStream(ctx, config)
		if err != nil && refused(js.Conn(), config.Name) {
			// The server answers a denied request with nothing: the
			// request times out, and the connection's last error says why.
			if missing {
				return fmt.Errorf("stream %s is missing and this NATS user may not create it: it was deleted behind the ledger's back; "+
					"restore it from a backup: %w", config.Name, ErrPermissionDenied)
			}
			// A stream an older version made (the keystore before it
			// refused purges, say) is brought up to date by the operator,
			// whom the runtime may not stand in for: say how.
			return fmt.Errorf("stream %s settings (%s) differ from the ledger's and this NATS user may not change them "+
				"(if a newer ledger changed them, run `ledger doctor` once with the operator's credential, --nats-creds DATA/nats/operator.nk): %w",
				config.Name, strings.Join(drift, ", "), ErrPermissionDenied)
		}
		return err
	})
	return stream, err
}

// ErrPermissionDenied says the NATS server refused a request for want of
// permission.
var ErrPermissionDenied = errors.New("permission denied by the NATS server")

// refused tells whether the connection's last error is a permission
// violation naming the stream.
func refused(connection *nats.Conn, stream string) bool {
	last := connection.LastError()
	return last != nil && errors.Is(last, nats.ErrPermissionViolation) && strings.Contains(last.Error(), "."+stream+`"`)
}

// StreamDrift names the settings of a stream that differ from what the
// ledger asked for (none: it is as made). Zero limits in want mean the
// server's "unlimited".
func StreamDrift(want, got jetstream.StreamConfig) []string {
	var drift []string
	differs := func(name string, differ bool) {
		if differ {
			drift = append(drift, name)
		}
	}
	unlimited := func(value int64) int64 {
		if value == 0 {
			return -1
		}
		return value
	}
	differs("subjects", strings.Join(want.Subjects, ",") != strings.Join(got.Subjects, ","))
	differs("storage", want.Storage != got.Storage)
	differs("retention", want.Retention != got.Retention)
	differs("max_msgs", unlimited(want.MaxMsgs) != unlimited(got.MaxMsgs))
	differs("max_bytes", unlimited(want.MaxBytes) != unlimited(got.MaxBytes))
	differs("max_age", want.MaxAge != got.MaxAge)
	differs("max_msgs_per_subject", unlimited(want.MaxMsgsPerSubject) != unlimited(got.MaxMsgsPerSubject))
	differs("max_msg_size", unlimited(int64(want.MaxMsgSize)) != unlimited(int64(got.MaxMsgSize)))
	differs("discard", want.Discard != got.Discard)
	differs("deny_delete", want.DenyDelete != got.DenyDelete)
	differs("deny_purge", want.DenyPurge != got.DenyPurge)
	differs("allow_rollup_hdrs", want.AllowRollup != got.AllowRollup)
	differs("allow_direct", want.AllowDirect != got.AllowDirect)
	differs("allow_atomic", want.AllowAtomicPublish != got.AllowAtomicPublish)
	differs("sealed", got.Sealed)
	differs("num_replicas", want.Replicas != 0 && want.Replicas != got.Replicas)
	differs("duplicate_window", want.Duplicates != 0 && want.Duplicates != got.Duplicates)
	return drift
}

// ensureKeyValue binds a bucket, creating it when it is missing.
// jetStreamFor is the JetStream API over connection, and the number of
// replicas a bucket or stream beside the log is made with: zero, what an
// unset option holds, means one. The checkpoints, the keystore, the live
// totals and the append-only logs all open this way, so they agree on
// what zero means.
func jetStreamFor(connection *nats.Conn, replicas int) (jetstream.JetStream, int, error) {
	js, err := jetstream.New(connection)
	if err != nil {
		return nil, 0, err
	}
	if replicas == 0 {
		replicas = 1
	}
	return js, replicas, nil
}

func ensureKeyValue(ctx context.Context, js jetstream.JetStream, config jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := whileForming(ctx, func(ctx context.Context) error {
		var err error
		kv, err = js.KeyValue(ctx, config.Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateOrUpdateKeyValue(ctx, config)
		}
		return err
	})
	return kv, err
}

func clusterForming(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.Code == 503 || api.ErrorCode == 10008
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, nats.ErrTimeout)
}

// whileForming runs create until it succeeds, fails for another reason than
// a forming cluster, or streamCreateSecondsMax passes.
func whileForming(ctx context.Context, create func(context.Context) error) error {
	deadline := time.Now().Add(streamCreateSecondsMax * time.Second)
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := create(attemptCtx)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) || !clusterForming(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
