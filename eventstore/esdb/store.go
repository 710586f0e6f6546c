package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// readPageEventsMax is how many events one read of $all asks for.
const readPageEventsMax = 512

// Store is the ledger on EventStoreDB.
//
// The contract numbers the global log 1, 2, 3, … with no gaps, which the
// integrity tree and every checkpoint rely on. $all numbers events by commit
// position, with gaps and with other applications' events between. The store
// therefore keeps an index from ledger position to commit position, built by
// reading the ledger's part of $all at open and extended as the log grows.
// It costs 16 bytes per event (16 MiB per million) and, at start, one pass
// over the ledger's events in $all, filtered on the server (catchup.go).
type Store struct {
	// client is the connection the store owns: it makes a new EventStoreDB
	// client when one fails and rides out an outage (connection.go).
	client *connection
	prefix string
	// user is the user the connection string names, granted the key
	// streams beside administrators ("" if none).
	user   string
	logger *slog.Logger
	// appendBytesMax is the most one append may carry (Options).
	appendBytesMax int

	// refreshing lets one refresh of the index run at a time; a refresh
	// reads the network, so it is not the mutex.
	refreshing chan struct{}
	// mutex guards positions and scanned, and is never held across a call
	// to the server.
	mutex sync.Mutex
	// positions[n-1] is the commit position of ledger position n.
	positions []esdb.Position
	// scanned is the last position of $all the index has read: the next
	// refresh starts after it.
	scanned *esdb.Position
}

var _ eventstore.Store = (*Store)(nil)

// Options configure a Store.
type Options struct {
	// StreamPrefix names the ledger's streams; DefaultStreamPrefix if empty.
	StreamPrefix string
	// Logger receives the client's own messages: its errors as warnings,
	// the rest at debug level. Nil discards them.
	Logger *slog.Logger
	// AppendBytesMax is the server's MaxAppendSize: the most bytes (data,
	// metadata and type of every event) one append may carry.
	// appendBytesMaxDefault if zero.
	AppendBytesMax int
	// ReconnectWindow is how long a call keeps trying through an outage
	// before it fails with ErrUnavailable; reconnectWindowSeconds if zero.
	ReconnectWindow time.Duration
}

// appendBytesMaxDefault is EventStoreDB's default MaxAppendSize (1 MiB, up
// to 24.x, and KurrentDB 25.0).
const appendBytesMaxDefault = 1 << 20

// clientLogging routes the client's log lines to logger rather than to
// standard error, where they would mix with the commands' output.
func clientLogging(logger *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		if logger == nil {
			return
		}
		// The client passes its arguments as one slice.
		if len(args) == 1 {
			if inner, ok := args[0].([]any); ok {
				args = inner
			}
		}
		slogLevel := slog.LevelDebug
		if level == esdb.LogError {
			slogLevel = slog.LevelWarn
		}
		logger.Log(context.Background(), slogLevel, "eventstoredb client", "message", fmt.Sprintf(format, args...))
	}
}

// StreamPrefixSetting is the connection-string setting that names the
// ledger's stream prefix, so that several ledgers (one per union, or a
// test's) can share one database: esdb://HOST:2113?tls=false&ledgerStreamPrefix=union-a-.
// The client does not know it; Open takes it out before the client parses
// the rest.
const StreamPrefixSetting = "ledgerStreamPrefix"

// SplitConnection takes the ledger's own setting out of a connection string
// and returns the rest for the client, and the prefix ("" if not given).
func SplitConnection(connection string) (string, string, error) {
	base, query, found := strings.Cut(connection, "?")
	if !found {
		return connection, "", nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("esdb connection string: %w: %w", domain.ErrInvalid, err)
	}
	// The client reads its settings whatever their case; so does this.
	prefix := ""
	for name, given := range values {
		if strings.EqualFold(name, StreamPrefixSetting) && len(given) > 0 {
			prefix = given[0]
		}
	}
	var kept []string
	for _, pair := range strings.Split(query, "&") {
		name, _, _ := strings.Cut(pair, "=")
		if !strings.EqualFold(name, StreamPrefixSetting) && pair != "" {
			kept = append(kept, pair)
		}
	}
	if len(kept) == 0 {
		return base, prefix, nil
	}
	return base + "?" + strings.Join(kept, "&"), prefix, nil
}

// Open connects to EventStoreDB with a connection string such as
// esdb://127.0.0.1:2113?tls=false and indexes the ledger's events.
func Open(ctx context.Context, connection string, options Options) (*Store, error) {
	connection, prefix, err := SplitConnection(connection)
	if err != nil {
		return nil, err
	}
	if prefix != "" {
		options.StreamPrefix = prefix
	}
	if options.StreamPrefix == "" {
		options.StreamPrefix = DefaultStreamPrefix
	}
	if strings.HasPrefix(MetaStreamPrefix(options.StreamPrefix), options.StreamPrefix) {
		// The side streams would then count as ledger events.
		return nil, fmt.Errorf("esdb stream prefix %q: must not be the start of %q: %w", options.StreamPrefix, metaPrefixStart, domain.ErrInvalid)
	}
	for _, kind := range domain.AggregateKinds {
		// Another ledger's streams could then look like this one's.
		if strings.Contains(options.StreamPrefix, kind+"-") {
			return nil, fmt.Errorf("esdb stream prefix %q: must not hold %q, which starts a ledger stream's name: %w", options.StreamPrefix, kind+"-", domain.ErrInvalid)
		}
	}
	config, err := esdb.ParseConnectionString(connection)
	if err != nil {
		return nil, fmt.Errorf("esdb connection string: %w", err)
	}
	config.Logger = clientLogging(options.Logger)
	// The client connects on its first call: making one checks the
	// configuration only, so a bad one is reported here.
	if _, err := esdb.NewClient(config); err != nil {
		return nil, fmt.Errorf("connect to EventStoreDB: %w", err)
	}
	logger := options.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if options.AppendBytesMax <= 0 {
		options.AppendBytesMax = appendBytesMaxDefault
	}
	client := newConnection(func() (eventStoreClient, error) { return esdb.NewClient(config) }, logger)
	// A server that cannot be reached at open is more likely misnamed
	// than restarting: the open fails at once, and the window applies
	// from then on.
	client.window = 0
	store := newStore(client, options.StreamPrefix, logger, options.AppendBytesMax)
	store.user = config.Username
	if err := store.refresh(ctx); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("EventStoreDB at %s: %w: %w", serverAddress(config), domain.ErrUnavailable, err)
	}
	client.window = reconnectWindowSeconds * time.Second
	if options.ReconnectWindow > 0 {
		client.window = options.ReconnectWindow
	}
	return store, nil
}

// newStore makes a store on a connection, with an empty index.
func newStore(client *connection, prefix string, logger *slog.Logger, appendBytesMax int) *Store {
	return &Store{client: client, prefix: prefix, logger: logger, appendBytesMax: appendBytesMax, refreshing: make(chan struct{}, 1)}
}

// StreamOf is the stream an event belongs in.
func (s *Store) StreamOf(event domain.Event) string { return StreamName(s.prefix, event.Aggregate) }

// serverAddress names the server or the gossip seeds, never credentials.
func serverAddress(config *esdb.Configuration) string {
	if config.Address != "" {
		return config.Address
	}
	var seeds []string
	for _, seed := range config.GossipSeeds {
		seeds = append(seeds, seed.String())
	}
	return strings.Join(seeds, ",")
}

// Close closes the connection.
func (s *Store) Close() error { return s.client.Close() }

// refresh extends the position index with ledger events appended since.
// Refreshes take turns (they extend one index), but the store's mutex is
// held only to read and extend the index, never across the read of $all:
// Head, Get and every read would otherwise wait on the network behind it.
func (s *Store) refresh(ctx context.Context) error {
	select {
	case s.refreshing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.refreshing }()
	s.mutex.Lock()
	from := s.scanned
	s.mutex.Unlock()
	var found []esdb.Position
	var last *esdb.Position
	err := s.catchUp(ctx, from, ledgerPrefixes(s.prefix), func(recorded *esdb.RecordedEvent) error {
		position := recorded.Position
		last = &position
		if IsLedgerStream(s.prefix, recorded.StreamID) {
			found = append(found, position)
		}
		return nil
	})
	// What was read before a failure is a whole stretch of the log in
	// order: it is kept, and the next refresh goes on after it.
	s.mutex.Lock()
	s.positions = append(s.positions, found...)
	if last != nil {
		s.scanned = last
	}
	s.mutex.Unlock()
	return err
}

// recv reads the next event of a read, handing a failure to the
// connection so that a dead client is replaced before the next call.
func (s *Store) recv(reader *esdb.ReadStream) (*esdb.ResolvedEvent, error) {
	resolved, err := reader.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		s.client.failed(err)
	}
	return resolved, err
}

// After reports whether commit position a comes after b in $all.
func After(a, b esdb.Position) bool {
	if a.Commit != b.Commit {
		return a.Commit > b.Commit
	}
	return a.Prepare > b.Prepare
}

// LedgerPosition finds a commit position's ledger position in the index: 0
// when it is not there.
func LedgerPosition(positions []esdb.Position, position esdb.Position) uint64 {
	i := sort.Search(len(positions), func(i int) bool { return !After(position, positions[i]) })
	if i < len(positions) && positions[i] == position {
		return uint64(i + 1)
	}
	return 0
}

// ledgerPosition maps a commit position, refreshing the index once if it is
// newer than the index.
func (s *Store) ledgerPosition(ctx context.Context, position esdb.Position) (uint64, error) {
	s.mutex.Lock()
	found := LedgerPosition(s.positions, position)
	s.mutex.Unlock()
	if found != 0 {
		return found, nil
	}
	if err := s.refresh(ctx); err != nil {
		return 0, err
	}
	s.mutex.Lock()
	defer s.mutex.Unlock()
	if found = LedgerPosition(s.positions, position); found == 0 {
		return 0, fmt.Errorf("commit position %d/%d is not a ledger event", position.Commit, position.Prepare)
	}
	return found, nil
}

// lastEvent reads the aggregate's last event.
func (s *Store) lastEvent(ctx context.Context, aggregate domain.AggregateRef) (LastEvent, error) {
	stream, err := s.client.ReadStream(ctx, StreamName(s.prefix, aggregate), esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		if errors.Is(MapError(err, aggregate, 0), domain.ErrNotFound) {
			return LastEvent{}, nil
		}
		return LastEvent{}, err
	}
	defer stream.Close()
	resolved, err := s.recv(stream)
	switch {
	case errors.Is(err, io.EOF):
		return LastEvent{}, nil
	case errors.Is(MapError(err, aggregate, 0), domain.ErrNotFound):
		return LastEvent{}, nil
	case err != nil:
		return LastEvent{}, fmt.Errorf("read %s: %w", StreamName(s.prefix, aggregate), err)
	}
	recorded := resolved.OriginalEvent()
	position, err := s.ledgerPosition(ctx, recorded.Position)
	if err != nil {
		return LastEvent{}, err
	}
	return LastEvent{Exists: true, Revision: recorded.EventNumber, Position: position}, nil
}

// Append writes one aggregate's events atomically. EventStoreDB appends to
// one stream at a time, so an append across aggregates is refused with
// ErrUnsupported rather than written in parts.
func (s *Store) Append(ctx context.Context, parts ...eventstore.AggregateAppend) ([]uint64, error) {
	if err := eventstore.CheckAppend(parts); err != nil {
		return nil, err
	}
	if len(parts) > 1 {
		return nil, fmt.Errorf("append to %d aggregates at once: EventStoreDB appends to one stream atomically: %w", len(parts), ErrUnsupported)
	}
	part := parts[0]
	events := make([]esdb.EventData, len(part.Events))
	for i, event := range part.Events {
		data, err := part.StoredBytes(i)
		if err != nil {
			return nil, err
		}
		if events[i], err = ToEventData(event, data); err != nil {
			return nil, err
		}
	}
	if err := checkAppendSize(events, s.appendBytesMax); err != nil {
		return nil, err
	}
	var expected esdb.ExpectedRevision = esdb.Any{}
	if part.ExpectedVersion != eventstore.AnyVersion {
		last, err := s.lastEvent(ctx, part.Aggregate)
		if err != nil {
			// Nothing is sent before the stream's last event is read.
			return nil, eventstore.NotWritten(err)
		}
		if expected, err = ExpectedRevision(part.ExpectedVersion, last); err != nil {
			var conflict *eventstore.ConflictError
			if errors.As(err, &conflict) {
				conflict.Aggregate = part.Aggregate
			}
			return nil, err
		}
	}
	result, err := s.client.AppendToStream(ctx, StreamName(s.prefix, part.Aggregate), esdb.AppendToStreamOptions{ExpectedRevision: expected}, events...)
	if err != nil {
		err = MapError(err, part.Aggregate, part.ExpectedVersion)
		var conflict *eventstore.ConflictError
		if errors.As(err, &conflict) {
			if last, lastErr := s.lastEvent(ctx, part.Aggregate); lastErr == nil {
				conflict.Actual = last.Position
			}
		}
		return nil, fmt.Errorf("append to %s: %w", StreamName(s.prefix, part.Aggregate), err)
	}
	return s.written(ctx, part, result)
}

// AppendBytes is what an append carries against the server's
// MaxAppendSize: each event's data, metadata and type.
func AppendBytes(events []esdb.EventData) int {
	total := 0
	for _, event := range events {
		total += len(event.Data) + len(event.Metadata) + len(event.EventType)
	}
	return total
}

// checkAppendSize refuses an append the server would refuse for its size.
// EventStoreDB appends atomically only within one append call, so a larger
// one cannot be split without breaking "all or nothing": it is refused,
// and nothing is written.
func checkAppendSize(events []esdb.EventData, bytesMax int) error {
	if size := AppendBytes(events); size > bytesMax {
		return fmt.Errorf("append of %d events is %d bytes, and EventStoreDB takes at most %d bytes in one atomic append (MaxAppendSize): "+
			"record them in smaller requests: %w", len(events), size, bytesMax, domain.ErrInvalid)
	}
	return nil
}

// written reads back the events an append reported and maps them to ledger
// positions. The server answers an append of event ids it has already seen
// as done without writing anything; the events then found at the reported
// revisions are not these, and the append is reported as a duplicate.
func (s *Store) written(ctx context.Context, part eventstore.AggregateAppend, result *esdb.WriteResult) ([]uint64, error) {
	count := uint64(len(part.Events))
	first := uint64(0)
	if result.NextExpectedVersion+1 >= count {
		first = result.NextExpectedVersion + 1 - count
	}
	stream, err := s.client.ReadStream(ctx, StreamName(s.prefix, part.Aggregate), esdb.ReadStreamOptions{From: esdb.Revision(first)}, count)
	if err != nil {
		return nil, fmt.Errorf("read back %s: %w", StreamName(s.prefix, part.Aggregate), err)
	}
	defer stream.Close()
	positions := make([]uint64, 0, count)
	for i := range part.Events {
		resolved, err := s.recv(stream)
		if err != nil {
			return nil, fmt.Errorf("read back %s: %w", StreamName(s.prefix, part.Aggregate), err)
		}
		recorded := resolved.OriginalEvent()
		position, err := s.ledgerPosition(ctx, recorded.Position)
		if err != nil {
			return nil, err
		}
		if recorded.EventID != StoreEventID(part.Events[i]) {
			// Someone else's events stand where the server said these
			// went: it took the append as one it had already done.
			return nil, &eventstore.DuplicateError{Key: part.Events[i].IdempotencyKey}
		}
		if stored, err := FromRecorded(s.prefix, recorded); err != nil {
			return nil, err
		} else if stored.ID != part.Events[i].ID {
			// The same idempotency key, written before by another request.
			return nil, &eventstore.DuplicateError{Key: part.Events[i].IdempotencyKey, Position: position}
		}
		positions = append(positions, position)
	}
	return positions, nil
}

// Read yields the ledger's events after position from, up to the head as
// of the call. A read of one aggregate reads its stream; any other reads
// the ledger's part of $all, filtered on the server by stream name, and
// applies the rest of the filter to the decoded events.
func (s *Store) Read(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	if filter.AggregateKind != "" && filter.AggregateID != "" {
		return s.readAggregate(ctx, from, filter)
	}
	return func(yield func(eventstore.Record, error) bool) {
		for numbered, err := range s.scan(ctx, from) {
			if err != nil {
				yield(eventstore.Record{}, err)
				return
			}
			position, recorded := numbered.position, numbered.recorded
			event, err := FromRecorded(s.prefix, recorded)
			if err != nil {
				yield(eventstore.Record{}, err)
				return
			}
			if filter.Matches(event) && !yield(eventstore.Record{Position: position, Event: event, Data: recorded.Data}, nil) {
				return
			}
		}
	}
}

// readAggregate reads one aggregate's stream rather than $all: loading a
// campaign costs its own events, not the whole log's. Stream events carry
// their commit positions, which the index turns into ledger positions.
func (s *Store) readAggregate(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		head, err := s.Head(ctx)
		if err != nil || head <= from {
			if err != nil {
				yield(eventstore.Record{}, err)
			}
			return
		}
		stream := StreamName(s.prefix, domain.AggregateRef{Kind: filter.AggregateKind, ID: filter.AggregateID})
		// Catching up a campaign already loaded wants its newest events
		// only: they are found reading backwards, and where they start the
		// forward read begins.
		next := uint64(0)
		if from > 0 {
			start, err := s.firstRevisionAfter(ctx, stream, from)
			if err != nil {
				yield(eventstore.Record{}, err)
				return
			}
			next = start
		}
		for {
			reader, err := s.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{From: esdb.Revision(next)}, readPageEventsMax)
			if isMissingStream(err) {
				return
			}
			if err != nil {
				yield(eventstore.Record{}, fmt.Errorf("read %s: %w: %w", stream, domain.ErrUnavailable, err))
				return
			}
			read, stop, err := s.readAggregatePage(ctx, reader, from, head, filter, &next, yield)
			reader.Close()
			if err != nil {
				yield(eventstore.Record{}, err)
				return
			}
			if stop || read < readPageEventsMax {
				return
			}
		}
	}
}

// firstRevisionAfter finds the revision of the stream's first event after
// ledger position from by reading backwards, at most
// aggregateBackwardEventsMax events; beyond that it answers 0 and the read
// filters from the start.
func (s *Store) firstRevisionAfter(ctx context.Context, stream string, from uint64) (uint64, error) {
	reader, err := s.client.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, aggregateBackwardEventsMax)
	if isMissingStream(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w: %w", stream, domain.ErrUnavailable, err)
	}
	defer reader.Close()
	for {
		resolved, err := s.recv(reader)
		if errors.Is(err, io.EOF) || isMissingStream(err) {
			// Every event read is after from: from the start, then.
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read %s: %w: %w", stream, domain.ErrUnavailable, err)
		}
		recorded := resolved.OriginalEvent()
		position, err := s.ledgerPosition(ctx, recorded.Position)
		if err != nil {
			return 0, err
		}
		if position <= from {
			// The events after this one are the ones wanted (none if this
			// is the last).
			return recorded.EventNumber + 1, nil
		}
	}
}

// aggregateBackwardEventsMax bounds the backward search for where a
// catch-up starts.
const aggregateBackwardEventsMax = 4096

// readAggregatePage yields one page of an aggregate's stream, from ledger
// position from (exclusive) up to head, and leaves *next at the revision
// after the page.
func (s *Store) readAggregatePage(ctx context.Context, reader *esdb.ReadStream, from, head uint64, filter eventstore.Filter, next *uint64,
	yield func(eventstore.Record, error) bool) (int, bool, error) {
	read := 0
	for {
		resolved, err := s.recv(reader)
		if errors.Is(err, io.EOF) || isMissingStream(err) {
			return read, false, nil
		}
		if err != nil {
			return read, false, fmt.Errorf("read stream: %w: %w", domain.ErrUnavailable, err)
		}
		read++
		recorded := resolved.OriginalEvent()
		*next = recorded.EventNumber + 1
		position, err := s.ledgerPosition(ctx, recorded.Position)
		if err != nil {
			return read, false, err
		}
		if position > head {
			return read, true, nil
		}
		if position <= from {
			continue
		}
		event, err := FromRecorded(s.prefix, recorded)
		if err != nil {
			return read, false, err
		}
		if filter.Matches(event) && !yield(eventstore.Record{Position: position, Event: event, Data: recorded.Data}, nil) {
			return read, true, nil
		}
	}
}

// StoredEvent is a ledger event as EventStoreDB keeps it, undecoded: what
// verification checks the decoded event against.
type StoredEvent struct {
	Position uint64
	Stream   string
	// Envelope is the metadata as stored; EnvelopeError says why it did not
	// decode, if it did not.
	Envelope      Envelope
	EnvelopeError error
	Data          []byte
	Stored        time.Time
}

// Stored yields every ledger event after position from as stored, up to
// the head as of the call, without checking it: a tampered event is for
// the verifier to report, not for the read to stop at.
func (s *Store) Stored(ctx context.Context, from uint64) iter.Seq2[StoredEvent, error] {
	return func(yield func(StoredEvent, error) bool) {
		for numbered, err := range s.scan(ctx, from) {
			if err != nil {
				yield(StoredEvent{}, err)
				return
			}
			recorded := numbered.recorded
			stored := StoredEvent{Position: numbered.position, Stream: recorded.StreamID, Data: recorded.Data, Stored: recorded.CreatedDate}
			stored.EnvelopeError = json.Unmarshal(recorded.UserMetadata, &stored.Envelope)
			if !yield(stored, nil) {
				return
			}
		}
	}
}

// numberedEvent is a ledger event of $all with its ledger position.
type numberedEvent struct {
	position uint64
	recorded *esdb.RecordedEvent
}

// scan yields the ledger's events after position from with their ledger
// positions, up to the head as of the call, reading the ledger's part of
// $all (filtered on the server) after the commit position of position from.
func (s *Store) scan(ctx context.Context, from uint64) iter.Seq2[numberedEvent, error] {
	return func(yield func(numberedEvent, error) bool) {
		if err := s.refresh(ctx); err != nil {
			yield(numberedEvent{}, err)
			return
		}
		s.mutex.Lock()
		head := uint64(len(s.positions))
		var start *esdb.Position
		if from > 0 && from <= head {
			position := s.positions[from-1]
			start = &position
		}
		s.mutex.Unlock()
		if from >= head {
			return
		}
		next := from + 1
		stopped := false
		err := s.catchUp(ctx, start, ledgerPrefixes(s.prefix), func(recorded *esdb.RecordedEvent) error {
			if !IsLedgerStream(s.prefix, recorded.StreamID) {
				return nil
			}
			if want := s.positionOf(next); want != recorded.Position {
				return fmt.Errorf("position %d: $all has commit %d where the index has %d", next, recorded.Position.Commit, want.Commit)
			}
			position := next
			next++
			if !yield(numberedEvent{position: position, recorded: recorded}, nil) {
				stopped = true
				return errCaughtUp
			}
			if next > head {
				return errCaughtUp
			}
			return nil
		})
		if err != nil && !stopped {
			yield(numberedEvent{}, err)
		}
	}
}

// positionOf is the commit position of a ledger position the index holds.
func (s *Store) positionOf(position uint64) esdb.Position {
	s.mutex.Lock()
	defer s.mutex.Unlock()
	return s.positions[position-1]
}

// Subscribe reads up to the head and then follows $all with a server-side
// filter on the ledger's stream prefix. A dropped subscription (a server
// restart, a leader change in an EventStoreDB cluster) is taken up again
// from the last event yielded until ctx ends, as the JetStream store's
// subscriptions are: a running server rides out the outage and reports
// itself behind meanwhile. An event that does not decode ends it.
func (s *Store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.Record, error] {
	return func(yield func(eventstore.Record, error) bool) {
		last := from
		pause := resubscribeIntervalMs * time.Millisecond
		for {
			progressFrom := last
			stopped, err := s.follow(ctx, &last, filter, yield)
			if stopped || ctx.Err() != nil {
				return
			}
			if last != progressFrom {
				pause = resubscribeIntervalMs * time.Millisecond
			}
			s.logger.Warn("eventstoredb subscription lost; taking it up again", "position", last, "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, resubscribeIntervalMaxMs*time.Millisecond)
		}
	}
}

// Subscription recovery pauses, unit last.
const (
	resubscribeIntervalMs    = 500
	resubscribeIntervalMaxMs = 5000
)

// follow catches up from *last with Read and then follows a subscription,
// advancing *last. It reports whether the reader stopped, and otherwise the
// error that ended it.
func (s *Store) follow(ctx context.Context, last *uint64, filter eventstore.Filter, yield func(eventstore.Record, error) bool) (bool, error) {
	for record, err := range s.Read(ctx, *last, eventstore.Filter{}) {
		if errors.Is(err, ErrUndecodable) {
			yield(eventstore.Record{}, err)
			return true, nil
		}
		if err != nil {
			return false, err
		}
		*last = record.Position
		if filter.Matches(record.Event) && !yield(record, nil) {
			return true, nil
		}
	}
	s.mutex.Lock()
	start := subscribeStart(*last, s.positions)
	s.mutex.Unlock()
	subscription, err := s.client.SubscribeToAll(ctx, catchUpOptions(start, ledgerPrefixes(s.prefix)))
	if err != nil {
		return false, fmt.Errorf("subscribe to $all: %w", err)
	}
	defer subscription.Close()
	for ctx.Err() == nil {
		update := subscription.Recv()
		if update.SubscriptionDropped != nil {
			s.client.failed(update.SubscriptionDropped.Error)
			return false, fmt.Errorf("subscription dropped: %w", update.SubscriptionDropped.Error)
		}
		if update.EventAppeared == nil {
			continue
		}
		recorded := update.EventAppeared.OriginalEvent()
		if !IsLedgerStream(s.prefix, recorded.StreamID) {
			continue
		}
		position, err := s.ledgerPosition(ctx, recorded.Position)
		if err != nil {
			return false, err
		}
		if position <= *last {
			continue
		}
		if position != *last+1 {
			// $all and the index share one order; a skip means the index
			// and the server disagree, and catching up again settles it.
			return false, fmt.Errorf("subscription: the log jumps from position %d to %d", *last, position)
		}
		event, err := FromRecorded(s.prefix, recorded)
		if err != nil {
			yield(eventstore.Record{}, err)
			return true, nil
		}
		*last = position
		if filter.Matches(event) && !yield(eventstore.Record{Position: position, Event: event, Data: recorded.Data}, nil) {
			return true, nil
		}
	}
	return true, nil
}

// subscribeStart is where in $all a subscription after ledger position
// last starts: after last's commit position. A start beyond the log is
// not an error (the contract's Subscribe goes on with new events, and a
// JetStream consumer started beyond its stream waits for the sequence):
// the subscription starts after the log's last event, and the events up
// to last are passed over as they come.
func subscribeStart(last uint64, positions []esdb.Position) esdb.AllPosition {
	known := min(last, uint64(len(positions)))
	if known == 0 {
		return esdb.Start{}
	}
	return positions[known-1]
}

// Get reads the event at a ledger position.
func (s *Store) Get(ctx context.Context, position uint64) (eventstore.Record, error) {
	s.mutex.Lock()
	known := uint64(len(s.positions))
	s.mutex.Unlock()
	if position == 0 || position > known {
		if err := s.refresh(ctx); err != nil {
			return eventstore.Record{}, err
		}
	}
	s.mutex.Lock()
	if position == 0 || position > uint64(len(s.positions)) {
		s.mutex.Unlock()
		return eventstore.Record{}, fmt.Errorf("position %d: %w", position, domain.ErrNotFound)
	}
	commit := s.positions[position-1]
	s.mutex.Unlock()
	stream, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{From: commit}, 1)
	if err != nil {
		return eventstore.Record{}, fmt.Errorf("read position %d: %w", position, err)
	}
	defer stream.Close()
	resolved, err := s.recv(stream)
	if err != nil {
		return eventstore.Record{}, fmt.Errorf("read position %d: %w", position, err)
	}
	recorded := resolved.OriginalEvent()
	if recorded.Position != commit {
		return eventstore.Record{}, fmt.Errorf("position %d: $all has commit %d where the index has %d", position, recorded.Position.Commit, commit.Commit)
	}
	event, err := FromRecorded(s.prefix, recorded)
	if err != nil {
		return eventstore.Record{}, err
	}
	return eventstore.Record{Position: position, Event: event, Data: recorded.Data}, nil
}

// Head is the position of the last ledger event.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := s.refresh(ctx); err != nil {
		return 0, err
	}
	s.mutex.Lock()
	defer s.mutex.Unlock()
	return uint64(len(s.positions)), nil
}

// AggregateVersion is the position of the aggregate's last event.
func (s *Store) AggregateVersion(ctx context.Context, aggregate domain.AggregateRef) (uint64, error) {
	last, err := s.lastEvent(ctx, aggregate)
	if err != nil {
		return 0, err
	}
	return last.Position, nil
}
