package httpapi

import (
	"log/slog"
	"testing"
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
