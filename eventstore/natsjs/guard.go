package natsjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/ordos-union/ledger/internal/tick"
)

// Provision makes every stream and bucket the ledger uses, as the
// operator: the runtime user may not create the protected streams. Streams
// that exist with the right settings are left alone.
func Provision(ctx context.Context, connection *nats.Conn, options Options) error {
	store, err := Open(ctx, connection, options)
	if err != nil {
		return err
	}
	_ = store.Close()
	if _, err := OpenSignedCheckpoints(ctx, connection, options.Replicas); err != nil {
		return err
	}
	if _, err := OpenAccessLog(ctx, connection, options.Replicas); err != nil {
		return err
	}
	if _, err := OpenCheckpoints(ctx, connection, options.Replicas); err != nil {
		return err
	}
	if _, err := OpenKeystore(ctx, connection, options.Replicas); err != nil {
		return err
	}
	_, err = OpenLiveTotals(ctx, connection, options.Replicas, nil, nil)
	return err
}

// StreamExists tells whether the stream is there. Errors other than "not
// found" are returned: a store that cannot answer is not an empty one.
func StreamExists(ctx context.Context, connection *nats.Conn, name string) (bool, error) {
	js, err := jetstream.New(connection)
	if err != nil {
		return false, err
	}
	var exists bool
	err = whileForming(ctx, func(ctx context.Context) error {
		_, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			exists = false
			return nil
		}
		exists = err == nil
		return err
	})
	return exists, err
}

// guardedStream is what the guard remembers of a stream as it was opened.
type guardedStream struct {
	name     string
	config   jetstream.StreamConfig
	created  time.Time
	messages uint64
}

// Guard watches the streams that hold history (the log, the signed
// checkpoints, the access log) while the ledger runs. Permissions keep the runtime from
// deleting or reconfiguring them, but an operator credential, a server
// administrator or a misconfigured external server still can: the guard
// turns that into an error a person sees within seconds, in the log and in
// the readiness check, instead of a ledger that quietly starts again empty.
type Guard struct {
	js       jetstream.JetStream
	replicas int
	logger   *slog.Logger

	mu       sync.Mutex
	streams  []*guardedStream
	problem  error
	reported string
}

// NewGuard remembers the store's log and the append-only logs beside it
// (signed checkpoints, the access log) as they are now.
func NewGuard(ctx context.Context, store *Store, logger *slog.Logger, appendOnly ...*SignedCheckpoints) (*Guard, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	guard := &Guard{js: store.js, replicas: store.options.Replicas, logger: logger}
	streams := []jetstream.Stream{store.stream}
	for _, log := range appendOnly {
		streams = append(streams, log.stream)
	}
	for _, stream := range streams {
		info, err := leaderInfoRetried(ctx, stream, guard.replicas)
		if err != nil {
			return nil, fmt.Errorf("guard stream %s: %w", stream.CachedInfo().Config.Name, err)
		}
		guard.streams = append(guard.streams, &guardedStream{name: info.Config.Name, config: info.Config,
			created: info.Created, messages: info.State.Msgs})
	}
	return guard, nil
}

// leaderInfoRetried asks for a stream's state until its leader answers or
// the retry window passes.
func leaderInfoRetried(ctx context.Context, stream jetstream.Stream, replicas int) (*jetstream.StreamInfo, error) {
	deadline := time.Now().Add(retryWindowSecondsDefault * time.Second)
	for {
		info, err := leaderInfo(ctx, stream, replicas)
		if err == nil || time.Now().After(deadline) || errors.Is(err, jetstream.ErrStreamNotFound) {
			return info, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(readRetryIntervalMs * time.Millisecond):
		}
	}
}

// guardRequestSecondsMax bounds one stream info request of the guard.
const guardRequestSecondsMax = 5

// Check looks at every guarded stream once and returns what is wrong (nil
// when nothing is). A store that does not answer is not reported: that is
// unavailability, which the readiness check names on its own.
func (g *Guard) Check(ctx context.Context) error {
	var problems []string
	for _, guarded := range g.streams {
		requestCtx, cancel := context.WithTimeout(ctx, guardRequestSecondsMax*time.Second)
		problem, answered := g.checkStream(requestCtx, guarded)
		cancel()
		if !answered {
			g.mu.Lock()
			previous := g.problem
			g.mu.Unlock()
			return previous
		}
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	var problem error
	if len(problems) > 0 {
		problem = errors.New(strings.Join(problems, "; "))
	}
	g.mu.Lock()
	g.problem = problem
	report := problem != nil && problem.Error() != g.reported
	if problem != nil {
		g.reported = problem.Error()
	} else {
		g.reported = ""
	}
	g.mu.Unlock()
	if report {
		g.logger.Error("history stream changed behind the ledger's back", "problem", problem.Error())
	}
	return problem
}

func (g *Guard) checkStream(ctx context.Context, guarded *guardedStream) (problem string, answered bool) {
	stream, err := g.js.Stream(ctx, guarded.name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Sprintf("stream %s is missing: it was deleted; restore it from a backup (ledger restore)", guarded.name), true
	}
	if err != nil {
		return "", false
	}
	info, err := leaderInfo(ctx, stream, g.replicas)
	if err != nil {
		return "", false
	}
	if !info.Created.Equal(guarded.created) {
		return fmt.Sprintf("stream %s was deleted and made again at %s (it was made at %s)", guarded.name,
			info.Created.UTC().Format(time.RFC3339), guarded.created.UTC().Format(time.RFC3339)), true
	}
	if drift := StreamDrift(guarded.config, info.Config); len(drift) > 0 {
		return fmt.Sprintf("stream %s settings changed: %s", guarded.name, strings.Join(drift, ", ")), true
	}
	if info.State.Msgs < guarded.messages {
		return fmt.Sprintf("stream %s holds %d messages but held %d", guarded.name, info.State.Msgs, guarded.messages), true
	}
	guarded.messages = info.State.Msgs
	return "", true
}

// Problem is the last check's finding; nil when all was well.
func (g *Guard) Problem() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.problem
}

// Run checks every interval until ctx ends.
func (g *Guard) Run(ctx context.Context, interval time.Duration) {
	tick.Every(ctx, interval, func(time.Time) { _ = g.Check(ctx) })
}
