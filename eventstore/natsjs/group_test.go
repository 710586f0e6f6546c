package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
)

// closeRaceRounds is how many stores TestGroupAppendAroundClose opens and
// closes: the append that raced Close lost about every other round before
// the fix, so this many rounds catch it with near certainty.
const closeRaceRounds = 200

// closeRaceDeadline bounds each append of TestGroupAppendAroundClose. An
// answer takes milliseconds; only an append nobody answers reaches it.
const closeRaceDeadline = 10 * time.Second

// groupDonation is a donation to a campaign of its own (a new aggregate,
// so nothing it is written beside conflicts with it), ready for
// Store.Append as ledger.Service would hand it over.
func groupDonation(campaign string) eventstore.AggregateAppend {
	event := eventstoretest.Donation(campaign, "150626", "D-1", 100)
	event.ID = uuid.Must(uuid.NewV7())
	event.RecordedAt = time.Now().UTC()
	event.SchemaVersion = domain.CurrentVersion(event.Type)
	event.Aggregate = domain.AggregateOf(event.Data)
	return eventstore.AggregateAppend{Aggregate: event.Aggregate, Events: []domain.Event{event}}
}

// A group-commit store answers every append around Close: one racing
// Close is written or fails as closed, and one after Close fails at once
// as closed (natsjs.ErrClosed, an domain.ErrUnavailable), never waiting for
// its deadline for an answer the stopped writer will not send.
func TestGroupAppendAroundClose(t *testing.T) {
	connection := natsjstest.Connect(t, natsjstest.RunServer(t, t.TempDir(), false))
	options := natsjs.Options{StreamName: "CLOSE", SubjectPrefix: "close.events", GroupCommit: true, Storage: natsjs.MemoryStorage}
	closedOrWritten := func(err error) bool {
		return err == nil || errors.Is(err, natsjs.ErrClosed) && errors.Is(err, domain.ErrUnavailable)
	}
	for round := range closeRaceRounds {
		store, err := natsjs.Open(context.Background(), connection, options)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), closeRaceDeadline)
		racing := make(chan error, 1)
		go func() {
			_, err := store.Append(ctx, groupDonation(fmt.Sprintf("race%d", round)))
			racing <- err
		}()
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		_, after := store.Append(ctx, groupDonation(fmt.Sprintf("after%d", round)))
		raced := <-racing
		deadlineReached := ctx.Err() != nil
		cancel()
		if deadlineReached {
			t.Fatalf("round %d: an append waited %s for an answer (racing Close: %v; after Close: %v)", round, closeRaceDeadline, raced, after)
		}
		if !errors.Is(after, natsjs.ErrClosed) || !errors.Is(after, domain.ErrUnavailable) {
			t.Fatalf("round %d: append after Close: %v, want the store-closed error", round, after)
		}
		if !closedOrWritten(raced) {
			t.Fatalf("round %d: append racing Close: %v, want it written or the store-closed error", round, raced)
		}
	}
}

// An append the group-commit store never sent says so
// (eventstore.ErrNotWritten), so a caller knows none of its events were
// written: one given an ended context, and one after Close (also
// ErrClosed). An append that was sent is no such error.
func TestGroupAppendNeverSentIsNotWritten(t *testing.T) {
	connection := natsjstest.Connect(t, natsjstest.RunServer(t, t.TempDir(), false))
	options := natsjs.Options{StreamName: "UNSENT", SubjectPrefix: "unsent.events", GroupCommit: true, Storage: natsjs.MemoryStorage}
	store, err := natsjs.Open(context.Background(), connection, options)
	if err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := store.Append(ended, groupDonation("ended")); !errors.Is(err, eventstore.ErrNotWritten) || !errors.Is(err, context.Canceled) {
		t.Fatalf("append with an ended context: %v, want ErrNotWritten and context.Canceled", err)
	}
	if _, err := store.Append(context.Background(), groupDonation("written")); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = store.Append(context.Background(), groupDonation("closed"))
	if !errors.Is(err, eventstore.ErrNotWritten) || !errors.Is(err, natsjs.ErrClosed) || !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("append after Close: %v, want ErrNotWritten, ErrClosed and ErrUnavailable", err)
	}
	if head, err := store.Head(context.Background()); err != nil || head != 1 {
		t.Fatalf("the log's head is %d (%v), want the one append that was sent", head, err)
	}
}
