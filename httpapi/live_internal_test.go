package httpapi

import (
	"context"
	"errors"
	"fmt"
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
	h.publish(eventstore.Record{Position: 1, Event: domain.Event{Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"}}})
	// The entry goes out first, then the totals once computing them works.
	if message := <-client.messages; message.event != "entry" || message.id != 1 {
		t.Fatalf("got %+v, want the entry at position 1", message)
	}
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

// Finance's events (a bank line, a reconciliation decision, a period
// close, an erasure) send a live client nothing: no entry, and no totals,
// which at each decision would tell every screen when finance acted. A
// client whose token may read the reconciliation hears only that one was
// recorded, by its position, so its finance page follows the log. A
// campaign's entry sends its entry and marks the totals changed.
func TestFinanceEventsSendNoLiveTotals(t *testing.T) {
	h := &hub{logger: slog.New(slog.DiscardHandler), clients: map[*liveClient]struct{}{}, perToken: map[string]int{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	client := &liveClient{messages: make(chan liveMessage, 10), gone: make(chan struct{})}
	finance := &liveClient{reconciles: true, messages: make(chan liveMessage, 10), gone: make(chan struct{})}
	h.clients[client], h.clients[finance] = struct{}{}, struct{}{}
	events := []domain.Event{
		{Type: domain.TypeBankLineImported, County: "150600", Aggregate: domain.AggregateOf(domain.BankLineImported{Account: "icbc-0602001109000012345"}),
			Data: domain.BankLineImported{Account: "icbc-0602001109000012345"}},
		{Type: domain.TypeMatchConfirmed, County: "150600", Aggregate: domain.AggregateOf(domain.MatchConfirmed{Account: "icbc-0602001109000012345"}),
			Data: domain.MatchConfirmed{Account: "icbc-0602001109000012345"}},
		{Type: domain.TypePeriodClosed, County: "150600", Aggregate: domain.AggregateOf(domain.PeriodClosed{Month: "2022-06"}),
			Data: domain.PeriodClosed{Month: "2022-06"}},
		{Type: domain.TypeSubjectErased, County: "150600", Aggregate: domain.AggregateOf(domain.SubjectErased{SubjectID: "donor-1"}),
			Data: domain.SubjectErased{SubjectID: "donor-1"}},
	}
	for i, event := range events {
		h.publish(eventstore.Record{Position: uint64(i + 1), Event: event})
	}
	select {
	case <-h.wake:
		t.Fatal("finance's events woke the totals")
	default:
	}
	if h.dirty || len(client.messages) != 0 {
		t.Fatalf("finance's events marked the totals changed (%v) or queued %d messages", h.dirty, len(client.messages))
	}
	for i := range events {
		if message := <-finance.messages; message.event != "reconciliation" || message.id != uint64(i+1) ||
			string(message.data) != fmt.Sprintf(`{"position":%d}`, i+1) {
			t.Fatalf("a client that reconciles got %+v for position %d, want the reconciliation's notice", message, i+1)
		}
	}
	donation := domain.DonationReceived{DonationID: "D-1", Campaign: "general", Form: domain.FormMoney, Amount: 100}
	h.publish(eventstore.Record{Position: 5, Event: domain.Event{Type: domain.TypeDonationReceived, County: "150626",
		Aggregate: domain.AggregateOf(donation), Data: donation}})
	if !h.dirty || len(client.messages) != 1 || len(finance.messages) != 1 {
		t.Fatalf("a campaign's entry: totals changed %v, %d messages queued; want true and its entry", h.dirty, len(client.messages))
	}
	if message := <-client.messages; message.event != "entry" || message.id != 5 {
		t.Fatalf("a campaign's entry queued %+v", message)
	}
}

// liveWaitSecondsInternal bounds a wait for the hub: generous, for a
// machine whose cores are busy with other work.
const liveWaitSecondsInternal = 30
