package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/httpapi"
)

// liveEventsHeldMax bounds the events untilEnd keeps.
const liveEventsHeldMax = 4096

// untilEnd reads the stream's events until the server ends it, and fails
// the test if it has not ended within the deadline.
func (l *liveStream) untilEnd(t *testing.T, deadline time.Duration) []sseEvent {
	t.Helper()
	events := make(chan sseEvent, liveEventsHeldMax)
	go func() {
		defer close(events)
		var current sseEvent
		for {
			line, err := l.reader.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "id: "):
				current.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				current.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				current.data = strings.TrimPrefix(line, "data: ")
			case line == "" && current.event != "":
				events <- current
				current = sseEvent{}
			}
		}
	}()
	var got []sseEvent
	timeout := time.After(deadline)
	for {
		select {
		case event, open := <-events:
			if !open {
				return got
			}
			got = append(got, event)
		case <-timeout:
			var last []string
			for _, event := range got[max(0, len(got)-3):] {
				last = append(last, event.event+" "+event.id)
			}
			t.Fatalf("the stream did not end within %s: %d events, the last %s", deadline, len(got), strings.Join(last, ", "))
		}
	}
}

// recordDonations records donations from to to (their numbers name their
// keys and ids) through the API, 600 a request, and waits until the
// totals count them all.
func recordDonations(t *testing.T, server *testServer, from, to int) {
	t.Helper()
	clerk, viewer := server.Tokens[httpapi.RoleClerk], server.Tokens[httpapi.RoleViewer]
	for start := from; start <= to; start += 600 {
		var parts []string
		for i := start; i < start+600 && i <= to; i++ {
			parts = append(parts, donation(fmt.Sprintf("k-%d", i), fmt.Sprintf("D-%d", i), "1.00"))
		}
		if got := call(t, "POST", server.URL+"/api/v1/events", clerk, "["+strings.Join(parts, ",")+"]"); got.status != 201 {
			t.Fatalf("record: %d %s", got.status, got.body)
		}
	}
	natsjstest.CheckFor(t, liveWaitSeconds*time.Second, func() error {
		got := call(t, "GET", server.URL+"/api/v1/projections", viewer, "")
		if !strings.Contains(string(got.body), `"lag_events":0`) {
			return fmt.Errorf("the totals are behind: %s", got.body)
		}
		return nil
	})
}

// A client that resumes more entries behind than one stream replays is
// sent the first 1000, then event resync (its id the last entry sent, its
// data the log's head), and the stream ends: no totals, whose id (the
// head) would make its reconnect skip the entries never sent. Reconnecting
// from the last entry sent replays the rest, then the totals.
func TestLiveResumeFarBehindIsToldToResync(t *testing.T) {
	server := startTestServer(t)
	viewer := server.Tokens[httpapi.RoleViewer]
	recordDonations(t, server, 1, 1200)

	first := openLive(t, server.URL+"/api/v1/live?access_token="+viewer, http.Header{"Last-Event-ID": []string{"1"}})
	events := first.untilEnd(t, liveWaitSeconds*time.Second)
	if len(events) != 1001 {
		t.Fatalf("the first stream sent %d events, want 1000 entries and the resync; the last: %+v", len(events), events[len(events)-1])
	}
	for i, event := range events[:1000] {
		if want := strconv.Itoa(i + 2); event.event != "entry" || event.id != want {
			t.Fatalf("event %d is %s %s, want entry %s", i, event.event, event.id, want)
		}
	}
	if resync := events[1000]; resync.event != "resync" || resync.id != "1001" || resync.data != `{"position":1200}` {
		t.Fatalf("the stream ended with %+v, want resync, id 1001, data {\"position\":1200}", resync)
	}

	rest := openLive(t, server.URL+"/api/v1/live?access_token="+viewer, http.Header{"Last-Event-ID": []string{"1001"}})
	next := 1002
	totals := rest.next(t, liveWaitSeconds*time.Second, func(e sseEvent) bool {
		if e.event == "entry" {
			if e.id != strconv.Itoa(next) {
				t.Errorf("entry %s, want %d", e.id, next)
			}
			next++
		}
		return e.event == "totals"
	})
	if next != 1201 || totals.id != "1200" {
		t.Fatalf("the second stream replayed up to %d and sent totals with id %s, want every entry to 1200, then the totals at 1200", next-1, totals.id)
	}
}

// A replay that cannot read the log to its end (here a stored message that
// does not decode, at position 4) ends the stream after the last entry it
// sent, with no totals: their id would make the reconnect skip what was
// never read. The reconnect resumes from the last entry sent.
func TestLiveReplayThatCannotReadEndsAtTheLastEntrySent(t *testing.T) {
	server := startTestServer(t)
	viewer := server.Tokens[httpapi.RoleViewer]
	recordDonations(t, server, 1, 3)
	store, ok := server.Store.(*natsjs.Store)
	if !ok {
		t.Fatalf("the test server's store is %T", server.Store)
	}
	ctx, cancel := context.WithTimeout(context.Background(), liveWaitSeconds*time.Second)
	defer cancel()
	third, err := store.Get(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.RestoreRaw(ctx, natsjs.RawMessage{Position: 4, Subject: store.Subject(third.Event), Data: []byte("not an event")}); err != nil {
		t.Fatal(err)
	}
	for record, err := range store.Read(ctx, 3, eventstore.Filter{}) {
		if err == nil {
			t.Fatalf("position %d reads as an event; the test needs one that does not", record.Position)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		break
	}

	stream := openLive(t, server.URL+"/api/v1/live?access_token="+viewer, http.Header{"Last-Event-ID": []string{"1"}})
	var heard []string
	for _, event := range stream.untilEnd(t, liveWaitSeconds*time.Second) {
		heard = append(heard, event.event+" "+event.id)
	}
	if strings.Join(heard, ", ") != "entry 2, entry 3" {
		t.Fatalf("the stream sent %s, then ended; want entry 2, entry 3, then the end", strings.Join(heard, ", "))
	}
}
