package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ordos-union/ledger/domain"
)

// The store owns its connection rather than trusting the client to keep
// one. EventStore-Client-Go v4.2.0 closes itself for good when a
// rediscovery fails (on a single node after MaxDiscoverAttempts quick
// tries, ten by default): every later call answers ConnectionClosed. Its
// requires-leader header is put in the incoming metadata of the call's
// context, which gRPC never sends, so a read can be served by a lagging
// follower. connection makes a new client when the old one is closed or the
// node went away, pauses between tries with backoff, gives up after
// reconnectWindowSeconds with an error naming the outage, and sends
// requires-leader itself on every call.

// Reconnection limits, unit last.
const (
	// reconnectWindowSeconds is how long a call keeps trying through an
	// outage (an EventStoreDB leader election takes a few seconds, a node
	// restart some more) before it fails with ErrUnavailable.
	reconnectWindowSeconds = 30
	// reconnectPauseMinMs is the first pause after a failure; each next one
	// doubles, up to reconnectPauseMaxMs.
	reconnectPauseMinMs = 100
	reconnectPauseMaxMs = 2000
)

// appendAttemptDeadlineSeconds bounds one attempt of an append. An append
// repeated while its first attempt is written but not yet replicated is
// recognised by the server as the same write, which does not answer it
// until that write commits; with the client's default deadline the caller
// waits ten seconds for nothing. A shorter one lets the connection ask
// again (an append expecting a revision), and the repeat then finds the
// write committed.
const appendAttemptDeadlineSeconds = 5

// requiresLeaderHeader is the gRPC header that makes a follower refuse a
// call (NotLeader, naming the leader, which the client then connects to)
// instead of answering from its own, possibly lagging, copy.
const requiresLeaderHeader = "requires-leader"

// eventStoreClient is what the store asks of the EventStoreDB client;
// *esdb.Client has it, and tests give fakes.
type eventStoreClient interface {
	keyEraser
	GetStreamMetadata(ctx context.Context, stream string, options esdb.ReadStreamOptions) (*esdb.StreamMetadata, error)
	ReadStream(ctx context.Context, stream string, options esdb.ReadStreamOptions, count uint64) (*esdb.ReadStream, error)
	ReadAll(ctx context.Context, options esdb.ReadAllOptions, count uint64) (*esdb.ReadStream, error)
	SubscribeToAll(ctx context.Context, options esdb.SubscribeToAllOptions) (*esdb.Subscription, error)
	Close() error
}

var _ eventStoreClient = (*esdb.Client)(nil)

// callKind says what a failed call may safely do again.
type callKind int

const (
	// readCall reads: repeating it changes nothing.
	readCall callKind = iota
	// repeatableWrite is a write the server recognises when repeated (an
	// append expecting a revision, with the same event ids) or whose
	// repetition does no harm (stream metadata, a delete).
	repeatableWrite
	// blindWrite is an append expecting any revision: the server checks
	// its event ids only against a cache of recent writes, so repeating it
	// after it may have been written could write it twice.
	blindWrite
)

// step is what the reconnect state machine decides after a failed call.
type step struct {
	// redial closes the client and makes a new one before the next call.
	redial bool
	// repeat tries the call again after pause; otherwise the call fails
	// with err.
	repeat bool
	pause  time.Duration
	err    error
}

// reconnectState follows one call through its failures.
type reconnectState struct {
	window time.Duration
	// began is when the call first failed; zero before.
	began time.Time
	pause time.Duration
}

func newReconnectState(window time.Duration) *reconnectState {
	return &reconnectState{window: window}
}

// clientErrorCode is the client's classification of err: its own *esdb.Error
// code, or for the raw gRPC errors some paths return (a dropped
// subscription, a read that could not start) the code the client would
// have given.
func clientErrorCode(err error) (esdb.ErrorCode, bool) {
	var clientError *esdb.Error
	if errors.As(err, &clientError) {
		return clientError.Code(), true
	}
	if grpcStatus, ok := status.FromError(err); ok {
		switch grpcStatus.Code() {
		case codes.Unavailable:
			return esdb.ErrorUnavailable, true
		case codes.DeadlineExceeded:
			return esdb.ErrorCodeDeadlineExceeded, true
		case codes.Aborted:
			return esdb.ErrorAborted, true
		}
	}
	return esdb.ErrorCodeUnknown, false
}

// next decides what follows a call of kind that failed with err at now.
func (r *reconnectState) next(err error, kind callKind, now time.Time) step {
	code, ok := clientErrorCode(err)
	if !ok {
		return step{err: err}
	}
	redial, repeat := false, false
	switch code {
	case esdb.ErrorCodeConnectionClosed:
		// The client gave up (or was closed): nothing was sent.
		redial, repeat = true, true
	case esdb.ErrorUnavailable:
		// The node went away, possibly after the request reached it.
		redial, repeat = true, kind != blindWrite
	case esdb.ErrorCodeNotLeader:
		// A follower refused the call; the client is already connecting
		// to the leader it named.
		repeat = true
	case esdb.ErrorCodeDeadlineExceeded, esdb.ErrorAborted:
		// No answer in time: among others, a repeated write whose first
		// attempt the server has not yet replicated gets none at all.
		repeat = kind != blindWrite
	default:
		// The server answered (a conflict, a missing stream, access
		// denied): trying again would get the same answer.
		return step{err: err}
	}
	if !repeat {
		return step{redial: redial, err: fmt.Errorf("EventStoreDB failed during a write that may have been made; "+
			"it is not repeated, so as not to make it twice: %w: %w", domain.ErrUnavailable, err)}
	}
	if r.window <= 0 {
		// No window: the caller wants the first failure.
		return step{redial: redial, err: err}
	}
	if r.began.IsZero() {
		r.began, r.pause = now, reconnectPauseMinMs*time.Millisecond
	}
	left := r.window - now.Sub(r.began)
	if left <= 0 {
		return step{redial: redial, err: fmt.Errorf("EventStoreDB unreachable for %s, the reconnect window: %w: %w",
			r.window, domain.ErrUnavailable, err)}
	}
	pause := min(r.pause, left)
	r.pause = min(2*r.pause, reconnectPauseMaxMs*time.Millisecond)
	return step{redial: redial, repeat: true, pause: pause}
}

// connection is the store's client, made again when it fails.
type connection struct {
	// dial makes a client; it connects on the first call, not here.
	dial   func() (eventStoreClient, error)
	window time.Duration
	logger *slog.Logger
	// now and pause are the clock, replaced in tests.
	now   func() time.Time
	pause func(ctx context.Context, d time.Duration) error

	mutex   sync.Mutex
	current eventStoreClient
	closed  bool
}

func newConnection(dial func() (eventStoreClient, error), logger *slog.Logger) *connection {
	return &connection{dial: dial, window: reconnectWindowSeconds * time.Second, logger: logger, now: time.Now, pause: pauseFor}
}

// pauseFor waits d or until ctx ends.
func pauseFor(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// errClosed says the store was closed.
var errClosed = fmt.Errorf("the EventStoreDB store is closed: %w", domain.ErrUnavailable)

// client returns the current client, making one if there is none. Making
// one does no network I/O, so the mutex is held only briefly.
func (c *connection) client() (eventStoreClient, error) {
	c.mutex.Lock()
	defer c.mutex.Unlock()
	if c.closed {
		return nil, errClosed
	}
	if c.current == nil {
		client, err := c.dial()
		if err != nil {
			return nil, fmt.Errorf("connect to EventStoreDB: %w", err)
		}
		c.current = client
	}
	return c.current, nil
}

// drop closes a failed client so that the next call makes a new one; a
// client another call already replaced is left alone.
func (c *connection) drop(failed eventStoreClient) {
	c.mutex.Lock()
	defer c.mutex.Unlock()
	if c.current == failed && failed != nil {
		_ = failed.Close()
		c.current = nil
	}
}

// Close closes the client for good.
func (c *connection) Close() error {
	c.mutex.Lock()
	defer c.mutex.Unlock()
	c.closed = true
	if c.current == nil {
		return nil
	}
	err := c.current.Close()
	c.current = nil
	return err
}

// leaderContext asks for the leader on every call: the ledger reads what
// it has just written (an append is read back, the head follows it), which
// a follower may not have yet.
func leaderContext(ctx context.Context) context.Context {
	if outgoing, ok := metadata.FromOutgoingContext(ctx); ok && len(outgoing.Get(requiresLeaderHeader)) > 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, requiresLeaderHeader, "true")
}

// do runs call on the current client until it succeeds, fails for a
// reason a repeat will not mend, or the reconnect window ends.
func (c *connection) do(ctx context.Context, kind callKind, call func(ctx context.Context, client eventStoreClient) error) error {
	ctx = leaderContext(ctx)
	state := newReconnectState(c.window)
	for {
		client, err := c.client()
		if err != nil {
			return err
		}
		err = call(ctx, client)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		next := state.next(err, kind, c.now())
		if next.redial {
			c.logger.Warn("eventstoredb client failed; making a new one", "error", err)
			c.drop(client)
		}
		if !next.repeat {
			return next.err
		}
		if pauseErr := c.pause(ctx, next.pause); pauseErr != nil {
			return err
		}
	}
}

// failed hands the connection an error met outside do (a read stream's
// Recv, a dropped subscription), so that a dead client is replaced before
// the next call.
func (c *connection) failed(err error) {
	code, ok := clientErrorCode(err)
	if !ok || (code != esdb.ErrorCodeConnectionClosed && code != esdb.ErrorUnavailable) {
		return
	}
	c.mutex.Lock()
	current := c.current
	c.mutex.Unlock()
	c.drop(current)
}

// The calls the store makes, each through do.

// doFor runs one client call through do and returns what the call
// returned: every call below is that, and only the kind of call and the
// client method differ. A result that came with an error is returned with
// it, as do's last attempt left it.
func doFor[T any](ctx context.Context, c *connection, kind callKind, call func(ctx context.Context, client eventStoreClient) (T, error)) (T, error) {
	var result T
	err := c.do(ctx, kind, func(ctx context.Context, client eventStoreClient) error {
		var err error
		result, err = call(ctx, client)
		return err
	})
	return result, err
}

func appendKind(expected esdb.ExpectedRevision) callKind {
	if _, any := expected.(esdb.Any); any || expected == nil {
		return blindWrite
	}
	return repeatableWrite
}

// AppendToStream appends; an append expecting a revision is repeated
// through an outage, one expecting any revision only where nothing was sent.
func (c *connection) AppendToStream(ctx context.Context, stream string, options esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error) {
	if options.Deadline == nil {
		deadline := appendAttemptDeadlineSeconds * time.Second
		options.Deadline = &deadline
	}
	return doFor(ctx, c, appendKind(options.ExpectedRevision), func(ctx context.Context, client eventStoreClient) (*esdb.WriteResult, error) {
		return client.AppendToStream(ctx, stream, options, events...)
	})
}

// SetStreamMetadata sets a stream's metadata.
func (c *connection) SetStreamMetadata(ctx context.Context, stream string, options esdb.AppendToStreamOptions, metadata esdb.StreamMetadata) (*esdb.WriteResult, error) {
	return doFor(ctx, c, repeatableWrite, func(ctx context.Context, client eventStoreClient) (*esdb.WriteResult, error) {
		return client.SetStreamMetadata(ctx, stream, options, metadata)
	})
}

// GetStreamMetadata reads a stream's metadata.
func (c *connection) GetStreamMetadata(ctx context.Context, stream string, options esdb.ReadStreamOptions) (*esdb.StreamMetadata, error) {
	return doFor(ctx, c, readCall, func(ctx context.Context, client eventStoreClient) (*esdb.StreamMetadata, error) {
		return client.GetStreamMetadata(ctx, stream, options)
	})
}

// DeleteStream soft-deletes a stream.
func (c *connection) DeleteStream(ctx context.Context, stream string, options esdb.DeleteStreamOptions) (*esdb.DeleteResult, error) {
	return doFor(ctx, c, repeatableWrite, func(ctx context.Context, client eventStoreClient) (*esdb.DeleteResult, error) {
		return client.DeleteStream(ctx, stream, options)
	})
}

// ReadStream starts reading a stream.
func (c *connection) ReadStream(ctx context.Context, stream string, options esdb.ReadStreamOptions, count uint64) (*esdb.ReadStream, error) {
	return doFor(ctx, c, readCall, func(ctx context.Context, client eventStoreClient) (*esdb.ReadStream, error) {
		return client.ReadStream(ctx, stream, options, count)
	})
}

// ReadAll starts reading $all.
func (c *connection) ReadAll(ctx context.Context, options esdb.ReadAllOptions, count uint64) (*esdb.ReadStream, error) {
	return doFor(ctx, c, readCall, func(ctx context.Context, client eventStoreClient) (*esdb.ReadStream, error) {
		return client.ReadAll(ctx, options, count)
	})
}

// SubscribeToAll starts a subscription to $all.
func (c *connection) SubscribeToAll(ctx context.Context, options esdb.SubscribeToAllOptions) (*esdb.Subscription, error) {
	return doFor(ctx, c, readCall, func(ctx context.Context, client eventStoreClient) (*esdb.Subscription, error) {
		return client.SubscribeToAll(ctx, options)
	})
}
