package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
)

// heldWriter is a live stream's response whose first write waits until
// the test lets it go, as a client that stops reading makes it wait.
type heldWriter struct {
	header  http.Header
	mu      sync.Mutex
	written strings.Builder
	once    sync.Once
	held    chan struct{}
	release chan struct{}
}

func (w *heldWriter) Header() http.Header { return w.header }
func (w *heldWriter) WriteHeader(int)     {}
func (w *heldWriter) Flush()              {}

func (w *heldWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		close(w.held)
		<-w.release
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written.Write(p)
}

// A client dropped while it is replayed (its buffer overflowed with live
// entries it will never get) is sent no totals: their id, the head, would
// make its reconnect skip the entries it lost. Its stream ends with no id
// past the last entry sent, and it resumes from there.
func TestLiveClientDroppedWhileReplayedGetsNoTotals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), liveWaitSecondsInternal*time.Second)
	defer cancel()
	connection := natsjstest.Connect(t, natsjstest.RunServer(t, t.TempDir(), false))
	store := natsjstest.Open(t, connection, natsjs.Options{})
	checkpoints, err := natsjs.OpenCheckpoints(ctx, connection, 1)
	if err != nil {
		t.Fatal(err)
	}
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock})
	record := func(from, to int) {
		t.Helper()
		var events []domain.Event
		for i := from; i <= to; i++ {
			events = append(events, eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", i), 100))
		}
		if _, err := service.Record(ctx, events); err != nil {
			t.Fatal(err)
		}
	}
	record(1, 3)
	use := app.New(app.Parts{Store: store, Service: service, Catalog: service.Catalog(), Checkpoints: checkpoints})
	h := &hub{server: &Server{options: Options{Ledger: use}}, logger: slog.New(slog.DiscardHandler), clients: map[*liveClient]struct{}{},
		perToken: map[string]int{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.totals = h.totalsMessage
	projection := projections.NewTotalsProjection()
	runner := projections.NewRunner(store, checkpoints, projection, projections.RunnerOptions{OnApply: h.publish})
	use.Follow(runner, projection, nil)
	if err := runner.Load(ctx); err != nil {
		t.Fatal(err)
	}
	following, stopFollowing := context.WithCancel(ctx)
	followed := make(chan error, 1)
	go func() { followed <- runner.Follow(following) }()
	defer func() { stopFollowing(); <-followed }()
	totalsAt := func(want uint64) func() error {
		return func() error {
			answer, err := use.Totals(ctx, app.TotalsRequest{})
			if err != nil || answer.Position != want {
				return fmt.Errorf("totals at %d (%v), want %d", answer.Position, err, want)
			}
			return nil
		}
	}
	natsjstest.CheckFor(t, liveWaitSecondsInternal*time.Second, totalsAt(3))

	writer := &heldWriter{header: http.Header{}, held: make(chan struct{}), release: make(chan struct{})}
	request := httptest.NewRequest("GET", "/api/v1/live", nil).WithContext(ctx)
	request.Header.Set("Last-Event-ID", "1")
	served := make(chan error, 1)
	go func() { served <- h.serve(writer, request, identity{name: "viewer", role: RoleViewer}) }()
	select {
	case <-writer.held:
	case <-ctx.Done():
		t.Fatal("the replay wrote nothing")
	}
	// While the first replayed entry waits to be written, more entries are
	// appended than the client's buffer holds, and the totals count them.
	head := 3 + liveClientBufferMessages + 1
	record(4, 3+liveClientBufferMessages/2)
	record(4+liveClientBufferMessages/2, head)
	natsjstest.CheckFor(t, liveWaitSecondsInternal*time.Second, totalsAt(uint64(head)))
	if h.droppedCount() != 1 {
		t.Fatalf("%d clients dropped, want the one replayed", h.droppedCount())
	}
	close(writer.release)
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("the stream of the dropped client did not end")
	}
	writer.mu.Lock()
	written := writer.written.String()
	writer.mu.Unlock()
	lines := bufio.NewScanner(strings.NewReader(written))
	for lines.Scan() {
		line := lines.Text()
		if line == "event: totals" {
			t.Errorf("the dropped client was sent the totals:\n%s", written)
		}
		if id, found := strings.CutPrefix(line, "id: "); found {
			if position, _ := strconv.ParseUint(id, 10, 64); position > 3 {
				t.Errorf("the dropped client was sent id %d, past the entries it got", position)
			}
		}
	}
}
