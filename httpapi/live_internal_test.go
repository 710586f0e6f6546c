package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
)

// A client whose buffer is full is dropped at once: publishing never waits
// for a slow reader.
func TestSlowLiveClientIsDropped(t *testing.T) {
	h := &hub{logger: slog.New(slog.DiscardHandler), clients: map[*liveClient]struct{}{}}
	slow := &liveClient{messages: make(chan liveMessage, 2), gone: make(chan struct{})}
	fast := &liveClient{messages: make(chan liveMessage, 10), gone: make(chan struct{})}
	h.clients[slow], h.clients[fast] = struct{}{}, struct{}{}
	h.mu.Lock()
	for i := range 3 {
		for client := range h.clients {
			h.send(client, liveMessage{id: uint64(i + 1), event: "entry"})
		}
	}
	h.mu.Unlock()
	select {
	case <-slow.gone:
	default:
		t.Fatal("the slow client was not dropped")
	}
	if _, still := h.clients[slow]; still {
		t.Fatal("the dropped client is still registered")
	}
	if _, still := h.clients[fast]; !still || len(fast.messages) != 3 {
		t.Fatalf("the fast client lost messages: %d queued", len(fast.messages))
	}
	if h.droppedCount() != 1 {
		t.Fatalf("dropped count %d, want 1", h.droppedCount())
	}
}

// A change whose totals could not be computed is not lost: the hub tries
// again in the next window until the figure goes out.
func TestLiveTotalsRetriedAfterAFailure(t *testing.T) {
	h := &hub{logger: slog.New(slog.DiscardHandler), clients: map[*liveClient]struct{}{}, perToken: map[string]int{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	var calls atomic.Int64
	h.totals = func(context.Context, string, string) (liveMessage, error) {
		if calls.Add(1) <= 2 {
			return liveMessage{}, errors.New("the tree is not readable yet")
		}
		return liveMessage{id: 1, event: "totals"}, nil
	}
	client := &liveClient{messages: make(chan liveMessage, 10), gone: make(chan struct{})}
	h.clients[client] = struct{}{}
	go h.pushTotals()
	t.Cleanup(h.close)
	h.publish(eventstore.Record{Position: 1, Event: domain.Event{Aggregate: domain.AggregateRef{Kind: "finance"}}})
	select {
	case message := <-client.messages:
		if message.event != "totals" || message.id != 1 {
			t.Fatalf("got %+v, want the totals of position 1", message)
		}
	case <-time.After(liveWaitSecondsInternal * time.Second):
		t.Fatalf("no totals after %d tries", calls.Load())
	}
	if calls.Load() < 3 {
		t.Fatalf("totals computed %d times, want the two failures retried", calls.Load())
	}
}

// liveWaitSecondsInternal bounds a wait for the hub: generous, for a
// machine whose cores are busy with other work.
const liveWaitSecondsInternal = 30
