package esdb

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/metadata"

	"github.com/ordos-union/ledger/domain"
)

// clientError makes the client's own error with a code. The client has no
// constructor for it (its fields are unexported), and only a server gives
// most codes, so the code is set through reflection; the check below fails
// the test if the client's layout ever changes.
func clientError(t *testing.T, code esdb.ErrorCode) error {
	t.Helper()
	made := &esdb.Error{}
	field := reflect.ValueOf(made).Elem().FieldByName("code")
	reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem().Set(reflect.ValueOf(code))
	if made.Code() != code {
		t.Fatalf("esdb.Error took code %d, not %d", made.Code(), code)
	}
	return made
}

// closedClientError is what a real client answers once it has closed: the
// same error it gives after a failed rediscovery.
func closedClientError(t *testing.T) error {
	t.Helper()
	config, err := esdb.ParseConnectionString("esdb://127.0.0.1:1?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	config.Logger = clientLogging(nil)
	client, err := esdb.NewClient(config)
	if err != nil {
		t.Fatal(err)
	}
	_ = client.Close()
	_, err = client.ReadAll(context.Background(), esdb.ReadAllOptions{}, 1)
	if code, ok := clientErrorCode(err); !ok || code != esdb.ErrorCodeConnectionClosed {
		t.Fatalf("a closed client answered %v, want ConnectionClosed", err)
	}
	return err
}

// The state machine's decisions, one failure at a time.
func TestReconnectDecisions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name           string
		err            error
		kind           callKind
		redial, repeat bool
		unavailable    bool
	}{
		{"a closed client is replaced and the read repeated", closedClientError(t), readCall, true, true, false},
		{"a closed client is replaced and even a blind write repeated: nothing was sent", closedClientError(t), blindWrite, true, true, false},
		{"an unavailable node: new client, read repeated", clientError(t, esdb.ErrorUnavailable), readCall, true, true, false},
		{"an unavailable node: an append expecting a revision is repeated", clientError(t, esdb.ErrorUnavailable), repeatableWrite, true, true, false},
		{"an unavailable node: a blind append is not, it may have been written", clientError(t, esdb.ErrorUnavailable), blindWrite, true, false, true},
		{"not the leader: same client, repeated", clientError(t, esdb.ErrorCodeNotLeader), blindWrite, false, true, false},
		{"no answer in time: a repeatable write is repeated", clientError(t, esdb.ErrorCodeDeadlineExceeded), repeatableWrite, false, true, false},
		{"no answer in time: a blind write is not", clientError(t, esdb.ErrorCodeDeadlineExceeded), blindWrite, false, false, true},
		{"a conflict is the server's answer", clientError(t, esdb.ErrorCodeWrongExpectedVersion), repeatableWrite, false, false, false},
		{"access denied is the server's answer", clientError(t, esdb.ErrorCodeAccessDenied), readCall, false, false, false},
		{"an error not the client's is passed on", errors.New("decode failed"), readCall, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := newReconnectState(time.Minute).next(c.err, c.kind, now)
			if next.redial != c.redial || next.repeat != c.repeat {
				t.Fatalf("redial %v repeat %v, want %v %v", next.redial, next.repeat, c.redial, c.repeat)
			}
			if c.repeat {
				if next.pause != reconnectPauseMinMs*time.Millisecond || next.err != nil {
					t.Fatalf("first repeat pauses %s with error %v, want %dms and none", next.pause, next.err, reconnectPauseMinMs)
				}
				return
			}
			if !errors.Is(next.err, c.err) || errors.Is(next.err, domain.ErrUnavailable) != c.unavailable {
				t.Fatalf("error %v: want it to wrap %v, unavailable %v", next.err, c.err, c.unavailable)
			}
		})
	}
}

// Pauses double up to the cap, and the window ends the tries.
func TestReconnectBacksOffWithinTheWindow(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	state := newReconnectState(10 * time.Second)
	now := start
	var pauses []time.Duration
	for range 100 {
		next := state.next(clientError(t, esdb.ErrorUnavailable), readCall, now)
		if !next.repeat {
			if !errors.Is(next.err, domain.ErrUnavailable) || !strings.Contains(next.err.Error(), "reconnect window") {
				t.Fatalf("the window ended with %v, want ErrUnavailable naming the window", next.err)
			}
			break
		}
		pauses = append(pauses, next.pause)
		now = now.Add(next.pause)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000, 2000, 900}
	if len(pauses) != len(want) {
		t.Fatalf("pauses %v, want %v ms", pauses, want)
	}
	for i := range want {
		if pauses[i] != want[i]*time.Millisecond {
			t.Fatalf("pauses %v, want %v ms", pauses, want)
		}
	}
	if now.Sub(start) != 10*time.Second {
		t.Fatalf("gave up after %s, want the 10s window", now.Sub(start))
	}
}

// fakeClient answers each call with the next of its errors (nil: success)
// and records the contexts it was given.
type fakeClient struct {
	mutex    sync.Mutex
	errs     []error
	calls    int
	closed   bool
	contexts []context.Context
	// deadlines are the appends' per-attempt deadlines.
	deadlines []time.Duration
}

func (f *fakeClient) answer(ctx context.Context) error {
	f.mutex.Lock()
	defer f.mutex.Unlock()
	f.contexts = append(f.contexts, ctx)
	f.calls++
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func (f *fakeClient) AppendToStream(ctx context.Context, _ string, options esdb.AppendToStreamOptions, _ ...esdb.EventData) (*esdb.WriteResult, error) {
	f.mutex.Lock()
	if options.Deadline != nil {
		f.deadlines = append(f.deadlines, *options.Deadline)
	}
	f.mutex.Unlock()
	if err := f.answer(ctx); err != nil {
		return nil, err
	}
	return &esdb.WriteResult{NextExpectedVersion: 7}, nil
}

func (f *fakeClient) SetStreamMetadata(ctx context.Context, _ string, _ esdb.AppendToStreamOptions, _ esdb.StreamMetadata) (*esdb.WriteResult, error) {
	if err := f.answer(ctx); err != nil {
		return nil, err
	}
	return &esdb.WriteResult{}, nil
}

func (f *fakeClient) DeleteStream(ctx context.Context, _ string, _ esdb.DeleteStreamOptions) (*esdb.DeleteResult, error) {
	if err := f.answer(ctx); err != nil {
		return nil, err
	}
	return &esdb.DeleteResult{}, nil
}

func (f *fakeClient) GetStreamMetadata(ctx context.Context, _ string, _ esdb.ReadStreamOptions) (*esdb.StreamMetadata, error) {
	if err := f.answer(ctx); err != nil {
		return nil, err
	}
	return &esdb.StreamMetadata{}, nil
}

func (f *fakeClient) ReadStream(ctx context.Context, _ string, _ esdb.ReadStreamOptions, _ uint64) (*esdb.ReadStream, error) {
	return nil, f.answer(ctx)
}

func (f *fakeClient) ReadAll(ctx context.Context, _ esdb.ReadAllOptions, _ uint64) (*esdb.ReadStream, error) {
	return nil, f.answer(ctx)
}

func (f *fakeClient) SubscribeToAll(ctx context.Context, _ esdb.SubscribeToAllOptions) (*esdb.Subscription, error) {
	return nil, f.answer(ctx)
}

func (f *fakeClient) Close() error {
	f.mutex.Lock()
	defer f.mutex.Unlock()
	f.closed = true
	return nil
}

// fakeConnection dials the clients given in turn, on a clock that a pause
// moves on instead of sleeping.
func fakeConnection(clients ...*fakeClient) (*connection, *[]time.Duration, *int) {
	dials := 0
	var pauses []time.Duration
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newConnection(func() (eventStoreClient, error) {
		client := clients[min(dials, len(clients)-1)]
		dials++
		return client, nil
	}, slog.New(slog.DiscardHandler))
	c.now = func() time.Time { return clock }
	c.pause = func(_ context.Context, d time.Duration) error {
		pauses = append(pauses, d)
		clock = clock.Add(d)
		return nil
	}
	return c, &pauses, &dials
}

// A client that closed itself for good is replaced, and the call goes
// through on the new one.
func TestConnectionReplacesAClosedClient(t *testing.T) {
	gaveUp := &fakeClient{errs: []error{closedClientError(t)}}
	fresh := &fakeClient{}
	c, pauses, dials := fakeConnection(gaveUp, fresh)
	result, err := c.AppendToStream(context.Background(), "ledger-campaign-1", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(6)})
	if err != nil {
		t.Fatal(err)
	}
	if result.NextExpectedVersion != 7 || *dials != 2 || !gaveUp.closed || fresh.closed || fresh.calls != 1 || len(*pauses) != 1 {
		t.Fatalf("result %v, %d dials, old closed %v, new closed %v, new calls %d, pauses %v",
			result, *dials, gaveUp.closed, fresh.closed, fresh.calls, *pauses)
	}
	// The new client stays the connection's.
	if _, err := c.SetStreamMetadata(context.Background(), "s", esdb.AppendToStreamOptions{}, esdb.StreamMetadata{}); err != nil || *dials != 2 || fresh.calls != 2 {
		t.Fatalf("second call: %v, %d dials, %d calls", err, *dials, fresh.calls)
	}
}

// Through an outage longer than the window, clients are made again and
// again with pauses between, and the call ends with ErrUnavailable.
func TestConnectionGivesUpAfterTheWindow(t *testing.T) {
	var clients []*fakeClient
	for range 20 {
		clients = append(clients, &fakeClient{errs: []error{clientError(t, esdb.ErrorUnavailable)}})
	}
	c, pauses, dials := fakeConnection(clients...)
	c.window = 3 * time.Second
	_, err := c.ReadAll(context.Background(), esdb.ReadAllOptions{}, 1)
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "reconnect window") {
		t.Fatalf("got %v, want ErrUnavailable naming the window", err)
	}
	total := time.Duration(0)
	for _, pause := range *pauses {
		total += pause
	}
	if total != 3*time.Second || *dials != len(*pauses)+1 {
		t.Fatalf("paused %s over %v with %d dials", total, *pauses, *dials)
	}
}

// An append expecting any revision is not repeated after a failure that
// may have come after the server wrote it; one expecting a revision is.
func TestConnectionRepeatsOnlyRecognisableWrites(t *testing.T) {
	blind := &fakeClient{errs: []error{clientError(t, esdb.ErrorUnavailable)}}
	c, _, _ := fakeConnection(blind, &fakeClient{})
	if _, err := c.AppendToStream(context.Background(), "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}); !errors.Is(err, domain.ErrUnavailable) || blind.calls != 1 {
		t.Fatalf("blind append: %v after %d calls, want ErrUnavailable after one", err, blind.calls)
	}
	expecting := &fakeClient{errs: []error{clientError(t, esdb.ErrorCodeDeadlineExceeded)}}
	c, _, _ = fakeConnection(expecting)
	if _, err := c.AppendToStream(context.Background(), "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}); err != nil || expecting.calls != 2 {
		t.Fatalf("append expecting no stream: %v after %d calls, want success after two", err, expecting.calls)
	}
}

// Every call asks for the leader with the header gRPC sends (outgoing
// metadata), which the client's own RequiresLeader does not.
func TestEveryCallRequiresTheLeader(t *testing.T) {
	client := &fakeClient{}
	c, _, _ := fakeConnection(client)
	ctx := context.Background()
	_, _ = c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{})
	_, _ = c.SetStreamMetadata(ctx, "s", esdb.AppendToStreamOptions{}, esdb.StreamMetadata{})
	_, _ = c.DeleteStream(ctx, "s", esdb.DeleteStreamOptions{})
	_, _ = c.GetStreamMetadata(ctx, "s", esdb.ReadStreamOptions{})
	_, _ = c.ReadStream(ctx, "s", esdb.ReadStreamOptions{}, 1)
	_, _ = c.ReadAll(ctx, esdb.ReadAllOptions{}, 1)
	_, _ = c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{})
	if len(client.contexts) != 7 {
		t.Fatalf("%d calls reached the client, want 7", len(client.contexts))
	}
	for i, called := range client.contexts {
		outgoing, _ := metadata.FromOutgoingContext(called)
		if got := outgoing.Get(requiresLeaderHeader); len(got) != 1 || got[0] != "true" {
			t.Fatalf("call %d sends %s=%v, want [true] once", i, requiresLeaderHeader, got)
		}
	}
}

// Against a real client and no server: the client answers its first call
// with the failed discovery and closes itself for good, as v4.2.0 does;
// the connection makes new clients through the window and then names the
// outage. A closed store refuses calls without dialling.
func TestConnectionOutlivesARealClientThatGaveUp(t *testing.T) {
	config, err := esdb.ParseConnectionString("esdb://127.0.0.1:1?tls=false&maxDiscoverAttempts=1&discoveryInterval=1")
	if err != nil {
		t.Fatal(err)
	}
	config.Logger = clientLogging(nil)
	var made []*esdb.Client
	c := newConnection(func() (eventStoreClient, error) {
		client, err := esdb.NewClient(config)
		made = append(made, client)
		return client, err
	}, slog.New(slog.DiscardHandler))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return clock }
	c.pause = func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }
	c.window = time.Second

	_, err = c.ReadAll(context.Background(), esdb.ReadAllOptions{}, 1)
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "reconnect window") {
		t.Fatalf("got %v, want ErrUnavailable naming the window", err)
	}
	if len(made) < 2 {
		t.Fatalf("%d clients made, want a new one after the first gave up", len(made))
	}
	// The first client closed itself (and was closed): it answers
	// ConnectionClosed, which is why the connection had to replace it.
	if _, err := made[0].ReadAll(context.Background(), esdb.ReadAllOptions{}, 1); err == nil {
		t.Fatal("the first client still answers")
	} else if code, _ := clientErrorCode(err); code != esdb.ErrorCodeConnectionClosed {
		t.Fatalf("the first client answers %v, want ConnectionClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	dialled := len(made)
	if _, err := c.ReadAll(context.Background(), esdb.ReadAllOptions{}, 1); !errors.Is(err, errClosed) || len(made) != dialled {
		t.Fatalf("after Close: %v with %d new clients", err, len(made)-dialled)
	}
}

// A repeated append that meets its first attempt not yet replicated gets
// no answer; each attempt is bounded by appendAttemptDeadlineSeconds, not
// the client's ten seconds, and the repeat that follows gets the answer.
// A deadline the caller set is kept.
func TestEachAppendAttemptIsBounded(t *testing.T) {
	client := &fakeClient{errs: []error{clientError(t, esdb.ErrorCodeDeadlineExceeded)}}
	c, _, _ := fakeConnection(client)
	if _, err := c.AppendToStream(context.Background(), "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(3)}); err != nil {
		t.Fatal(err)
	}
	want := appendAttemptDeadlineSeconds * time.Second
	if len(client.deadlines) != 2 || client.deadlines[0] != want || client.deadlines[1] != want {
		t.Fatalf("attempt deadlines %v, want two of %s", client.deadlines, want)
	}
	own := time.Second
	if _, err := c.AppendToStream(context.Background(), "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(3), Deadline: &own}); err != nil {
		t.Fatal(err)
	}
	if client.deadlines[2] != own {
		t.Fatalf("the caller's deadline became %s", client.deadlines[2])
	}
}
