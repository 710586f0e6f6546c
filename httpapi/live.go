package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/projections"
)

// Limits of live streams, unit last.
const (
	// liveClientsMax bounds concurrent streams.
	liveClientsMax = 1000
	// liveClientsPerTokenMax bounds the streams one token holds at once.
	liveClientsPerTokenMax = 8
	// liveClientBufferMessages bounds what waits for one client. A client
	// that falls this far behind is dropped: a slow reader never slows the
	// ledger; it reconnects with Last-Event-ID and catches up.
	liveClientBufferMessages = 1024
	// liveReplayEventsMax bounds the entries one stream replays to a
	// resuming client. One further behind is sent event "resync" after
	// them, and the stream ends (sendResync): each connection's replay is
	// bounded, and the client learns that there is more.
	liveReplayEventsMax = 1000
	// liveTotalsIntervalMs is the window in which changed totals are
	// coalesced: the first change after a quiet window is pushed at once,
	// and what follows within the window goes out together at its end, so
	// a burst of appends costs one computation per window and a single
	// append shows without waiting.
	liveTotalsIntervalMs = 50
	// liveHeartbeatSeconds keeps idle streams open through proxies.
	liveHeartbeatSeconds = 15
)

// FeedEntry is an entry as the live feed shows it: no personal data.
type FeedEntry struct {
	Position   uint64    `json:"position"`
	EventID    string    `json:"event_id"`
	Type       string    `json:"type"`
	County     string    `json:"county"`
	Campaign   string    `json:"campaign"`
	OccurredAt time.Time `json:"occurred_at"`
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"actor"`
	Summary    string    `json:"summary"`
}

func feedEntry(record eventstore.Record) FeedEntry {
	event := record.Event
	return FeedEntry{Position: record.Position, EventID: event.ID.String(), Type: string(event.Type), County: event.County,
		Campaign: event.Aggregate.ID, OccurredAt: event.OccurredAt, RecordedAt: event.RecordedAt, Actor: event.Actor,
		Summary: projections.Describe(event.Data)}
}

type liveMessage struct {
	id    uint64
	event string
	data  []byte
}

type liveClient struct {
	county, campaign string
	// reconciles says the client's token may read the reconciliation
	// (finance, auditors, admins): it alone hears that one of finance's
	// events was recorded, so that its finance page follows the log.
	reconciles bool
	messages   chan liveMessage
	gone       chan struct{}
	goneOnce   sync.Once
}

func (c *liveClient) drop() { c.goneOnce.Do(func() { close(c.gone) }) }

func (c *liveClient) wants(county, campaign string) bool {
	return (c.county == "" || c.county == county) && (c.campaign == "" || c.campaign == campaign)
}

// hub fans events and totals out to live clients.
type hub struct {
	server  *Server
	logger  *slog.Logger
	mu      sync.Mutex
	clients map[*liveClient]struct{}
	// perToken counts each token's open streams.
	perToken map[string]int
	dirty    bool
	closed   bool
	// totals computes a filter's totals message: totalsMessage, or a
	// test's stand-in that fails.
	totals  func(ctx context.Context, county, campaign string) (liveMessage, error)
	dropped atomic.Uint64
	wake    chan struct{}
	done    chan struct{}
}

func newHub(server *Server, logger *slog.Logger) *hub {
	h := &hub{server: server, logger: logger, clients: map[*liveClient]struct{}{}, perToken: map[string]int{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.totals = h.totalsMessage
	go h.pushTotals()
	return h
}

func (h *hub) clientCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

func (h *hub) droppedCount() uint64 { return h.dropped.Load() }

// send queues a message for a client, or drops the client if its buffer is
// full. Called with h.mu held.
func (h *hub) send(client *liveClient, message liveMessage) {
	select {
	case client.messages <- message:
	default:
		h.dropped.Add(1)
		client.drop()
		delete(h.clients, client)
		h.logger.Warn("live client dropped: too slow", "county", client.county, "campaign", client.campaign)
	}
}

// publish tells the clients that want it about a new entry, then marks the
// totals changed: the entry is queued before the totals it changes can be,
// so a client sees an append's entry before its figure. An event the feed
// does not show (shownLive: finance's) marks no totals changed: it changes
// no campaign's figure, and a totals message at each of finance's
// decisions would tell every live client when finance acted. Only the
// clients that may read the reconciliation hear of it (sendReconciliation).
func (h *hub) publish(record eventstore.Record) {
	if !shownLive(record) {
		h.sendReconciliation(record)
		return
	}
	h.mu.Lock()
	// With no client connected the entry is not encoded at all: every
	// append passes here, and most servers have no live client most of the
	// time. A client that connects after this check has missed nothing it
	// was promised: one that names its last seen entry is replayed from the
	// log after it registers, and one that does not gets entries from its
	// arrival on.
	listening := len(h.clients) > 0
	h.mu.Unlock()
	if listening {
		h.sendEntry(record)
	}
	h.mu.Lock()
	h.dirty = true
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// sendReconciliation queues, for the clients that may read the
// reconciliation and no other, an event "reconciliation" saying only the
// position of one of finance's events: their finance page reads the
// reconciliation again, as it does when the totals change.
func (h *hub) sendReconciliation(record eventstore.Record) {
	message := liveMessage{id: record.Position, event: "reconciliation", data: []byte(fmt.Sprintf(`{"position":%d}`, record.Position))}
	h.mu.Lock()
	defer h.mu.Unlock()
	for client := range h.clients {
		if client.reconciles {
			h.send(client, message)
		}
	}
}

// sendEntry queues an entry for the clients whose filter it passes.
func (h *hub) sendEntry(record eventstore.Record) {
	data, err := json.Marshal(feedEntry(record))
	if err != nil {
		h.logger.Error("live entry", "position", record.Position, "error", err)
		return
	}
	message := liveMessage{id: record.Position, event: "entry", data: data}
	h.mu.Lock()
	defer h.mu.Unlock()
	for client := range h.clients {
		if client.wants(record.Event.County, record.Event.Aggregate.ID) {
			h.send(client, message)
		}
	}
}

// pushTotals sends changed totals as soon as they change, at most once
// every liveTotalsIntervalMs (leading edge, then the rest of the window
// coalesced), computing each distinct filter once.
func (h *hub) pushTotals() {
	window := liveTotalsIntervalMs * time.Millisecond
	timer := time.NewTimer(window)
	defer timer.Stop()
	var last time.Time
	for {
		select {
		case <-h.done:
			return
		case <-h.wake:
		case <-timer.C:
		}
		if wait := window - time.Since(last); wait > 0 {
			timer.Reset(wait)
			continue
		}
		pushed, failed := h.pushChanged()
		if pushed {
			last = time.Now()
		}
		if failed {
			// The totals stay marked changed; the next window tries again.
			timer.Reset(window)
		}
	}
}

// pushChanged sends the totals to every client when something changed, and
// says whether it did, and whether computing them failed for any client
// (the totals are then marked changed again, so no change is lost).
func (h *hub) pushChanged() (pushed, failed bool) {
	h.mu.Lock()
	if !h.dirty || len(h.clients) == 0 {
		h.mu.Unlock()
		return false, false
	}
	h.dirty = false
	filters := map[[2]string][]*liveClient{}
	for client := range h.clients {
		key := [2]string{client.county, client.campaign}
		filters[key] = append(filters[key], client)
	}
	h.mu.Unlock()
	for key, clients := range filters {
		message, err := h.totals(context.Background(), key[0], key[1])
		if err != nil {
			h.logger.Error("live totals", "error", err)
			h.mu.Lock()
			h.dirty, failed = true, true
			h.mu.Unlock()
			continue
		}
		h.mu.Lock()
		for _, client := range clients {
			if _, still := h.clients[client]; still {
				h.send(client, message)
			}
		}
		h.mu.Unlock()
	}
	return true, failed
}

func (h *hub) totalsMessage(ctx context.Context, county, campaign string) (liveMessage, error) {
	answer, err := h.server.liveTotals(ctx, projections.Query{County: county, Campaign: campaign})
	if err != nil {
		return liveMessage{}, err
	}
	data, err := json.Marshal(answer)
	if err != nil {
		return liveMessage{}, err
	}
	return liveMessage{id: answer.Position, event: "totals", data: data}, nil
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	for client := range h.clients {
		client.drop()
		delete(h.clients, client)
	}
}

// serve streams entries and totals as Server-Sent Events. Event "entry"
// carries a FeedEntry, event "totals" a totals answer; every id is a log
// position, so a client that reconnects with Last-Event-ID gets the entries
// it missed: up to liveReplayEventsMax of them per connection, then event
// "resync" and the end of the stream, with no id past the last entry sent.
// shownLive is the one rule for what the live feed carries, live and in a
// replay alike: the campaigns' entries. Finance's bank lines and decisions
// are for finance's page, not public screens.
func shownLive(record eventstore.Record) bool { return record.Event.Aggregate.Kind == "campaign" }

func (h *hub) serve(w http.ResponseWriter, r *http.Request, who identity) error {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("live: response writer cannot flush")
	}
	query := r.URL.Query()
	client := &liveClient{county: query.Get("county"), campaign: query.Get("campaign"), reconciles: who.role.allows(accessFinance),
		messages: make(chan liveMessage, liveClientBufferMessages), gone: make(chan struct{})}
	// The stream's totals are a totals question: a region or campaign the
	// catalog does not list is refused here, as GET /api/v1/totals refuses
	// it, before the client is registered; registered, its totals would
	// fail at every push.
	if err := app.CheckTotalsQuery(h.server.options.Ledger.Catalog(), projections.Query{County: client.county, Campaign: client.campaign}); err != nil {
		return err
	}
	lastSeen, err := uintParameter(firstOf(r.Header.Get("Last-Event-ID"), query.Get("last_event_id")), "Last-Event-ID", 0)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if h.closed || len(h.clients) >= liveClientsMax {
		h.mu.Unlock()
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", message: "no room for another live client"}
	}
	// One token cannot take every slot: each holds at most
	// liveClientsPerTokenMax streams at once.
	if h.perToken[who.name] >= liveClientsPerTokenMax {
		h.mu.Unlock()
		return &apiError{status: http.StatusTooManyRequests, code: "too_many_live_streams",
			message: fmt.Sprintf("this token already holds %d live streams, the most one token may hold at once; close one first", liveClientsPerTokenMax)}
	}
	h.perToken[who.name]++
	h.clients[client] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.clients, client)
		if h.perToken[who.name]--; h.perToken[who.name] <= 0 {
			delete(h.perToken, who.name)
		}
		h.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(message liveMessage) error {
		_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", message.id, message.event, message.data)
		flusher.Flush()
		return err
	}
	// Registered first, then caught up: nothing falls between the replay
	// and the live messages, and duplicates are skipped by position.
	if lastSeen > 0 {
		var outcome replayOutcome
		lastSeen, outcome = h.replay(r.Context(), client, lastSeen, write)
		switch outcome {
		case replayCut:
			h.sendResync(r.Context(), lastSeen, write)
			return nil
		case replayFailed, replayGone:
			// The stream ends with no id past the last entry sent, so the
			// client's reconnect (EventSource's own, after its retry
			// delay) resumes from there.
			return nil
		}
	}
	// The first totals are queued, not written: they go out behind the
	// live entries queued while the client was replayed, rather than with
	// their id (the totals' position) ahead of those, and a client dropped
	// meanwhile, whose queue lost entries, gets none.
	if initial, err := h.totals(r.Context(), client.county, client.campaign); err == nil {
		h.mu.Lock()
		if _, still := h.clients[client]; still {
			h.send(client, initial)
		}
		h.mu.Unlock()
	}
	heartbeat := time.NewTicker(liveHeartbeatSeconds * time.Second)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-client.gone:
			return nil
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return nil
			}
			flusher.Flush()
		case message := <-client.messages:
			if message.event == "entry" && message.id <= lastSeen {
				continue
			}
			if write(message) != nil {
				return nil
			}
		}
	}
}

// replayOutcome says how a replay ended.
type replayOutcome int

const (
	// replayDone: every entry after the client's last seen one was sent.
	replayDone replayOutcome = iota
	// replayCut: liveReplayEventsMax entries were sent and more are left.
	replayCut
	// replayFailed: the log could not be read to its end.
	replayFailed
	// replayGone: the client went away or was dropped.
	replayGone
)

// replay sends the client the entries after lastSeen that it wants, at
// most liveReplayEventsMax of them, and says the position of the last one
// sent (lastSeen if none) and how the replay ended. The stream must then
// carry no id past that position until the rest is sent: an id is where a
// reconnect resumes, and a later one would skip what was never sent.
func (h *hub) replay(ctx context.Context, client *liveClient, lastSeen uint64, write func(liveMessage) error) (uint64, replayOutcome) {
	filter := eventstore.Filter{County: client.county}
	if client.campaign != "" {
		filter.AggregateKind, filter.AggregateID = "campaign", client.campaign
	}
	replayed := 0
	for record, err := range h.server.options.Ledger.Store().Read(ctx, lastSeen, filter) {
		if err != nil {
			if ctx.Err() != nil {
				return lastSeen, replayGone
			}
			h.logger.Warn("live replay: the log could not be read; the stream ends at the last entry sent, and the client resumes from it",
				"after", lastSeen, "error", err)
			return lastSeen, replayFailed
		}
		if !shownLive(record) {
			continue
		}
		if replayed == liveReplayEventsMax {
			return lastSeen, replayCut
		}
		select {
		case <-client.gone:
			return lastSeen, replayGone
		default:
		}
		data, _ := json.Marshal(feedEntry(record))
		if write(liveMessage{id: record.Position, event: "entry", data: data}) != nil {
			return lastSeen, replayGone
		}
		lastSeen = record.Position
		replayed++
	}
	return lastSeen, replayDone
}

// sendResync tells a client whose replay was cut short that more entries
// followed than one stream replays: event "resync", its id the last entry
// sent, its data the log's head ({"position"}; 0 when the head could not
// be read). The stream then ends. A client that reconnects with
// Last-Event-ID is replayed the next liveReplayEventsMax entries, so a
// program that wants every entry gets them all, one bounded replay per
// connection; the dashboard instead starts its feed again from the
// newest entries, which is all it shows.
func (h *hub) sendResync(ctx context.Context, lastSent uint64, write func(liveMessage) error) {
	head, err := h.server.options.Ledger.Store().Head(ctx)
	if err != nil {
		head = 0
	}
	_ = write(liveMessage{id: lastSent, event: "resync", data: fmt.Appendf(nil, `{"position":%d}`, head)})
}

func firstOf(values ...string) string {
	for _, value := range values {
		if value != "" {
			return value
		}
	}
	return ""
}
