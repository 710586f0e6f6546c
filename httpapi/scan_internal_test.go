package httpapi

import "testing"

// A page of GET /api/v1/events reads at most 10,000 events of the log
// unless told otherwise, as README.md and openapi.json say.
func TestScannedEventsMaxDefaultIsTheDocumentedOne(t *testing.T) {
	server := New(Options{})
	defer server.Close()
	if server.options.ScannedEventsMax != 10_000 {
		t.Fatalf("a page reads at most %d events, the documents say 10000", server.options.ScannedEventsMax)
	}
}
