package migrate

import (
	"testing"

	"github.com/ordos-union/ledger/eventstore"
)

// Runs close at the event count the contract allows and before their
// bytes (with each event's envelope) would pass runBytesMax: a run of the
// largest events a client may send stays under EventStoreDB's default
// MaxAppendSize.
func TestRunsCloseByCountAndBytes(t *testing.T) {
	if runFull(0, 0, runBytesMax*2) {
		t.Fatal("an empty run takes any one event")
	}
	if !runFull(eventstore.BatchEventsMax, 0, 1) {
		t.Fatal("a run of BatchEventsMax events takes another")
	}
	small := 600
	events, bytes := 0, 0
	for !runFull(events, bytes, small) {
		events++
		bytes += small + runEventOverheadBytes
	}
	if bytes > runBytesMax || bytes+small+runEventOverheadBytes <= runBytesMax {
		t.Fatalf("a run of %d events of %d bytes closed at %d bytes, limit %d", events, small, bytes, runBytesMax)
	}
	large := 64 << 10
	events, bytes = 0, 0
	for !runFull(events, bytes, large) {
		events++
		bytes += large + runEventOverheadBytes
	}
	if events != runBytesMax/(large+runEventOverheadBytes) || bytes > 1<<20 {
		t.Fatalf("a run of %d-byte events closed at %d events, %d bytes", large, events, bytes)
	}
}
