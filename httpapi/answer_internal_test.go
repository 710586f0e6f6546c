package httpapi

import (
	"bytes"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/ordos-union/ledger/ledger"
)

// TestRecordResponseEncodesAsJSON holds the hand-written answer of POST
// /api/v1/events to what writeJSON wrote with encoding/json: the same
// status, the same headers and the same bytes, for no results, one, and
// many, with ids, positions and flags at their edges. A field added to
// ledger.Result shows in encoding/json's answer and not in the hand-written
// one, so this fails until the hand-written one writes it too.
func TestRecordResponseEncodesAsJSON(t *testing.T) {
	random := rand.New(rand.NewPCG(18, 2026))
	randomID := func() uuid.UUID {
		var id uuid.UUID
		for i := range id {
			id[i] = byte(random.UintN(256))
		}
		return id
	}
	cases := [][]ledger.Result{
		nil,
		{},
		{{}},
		{{EventID: uuid.Max, Position: math.MaxUint64, Duplicate: true}},
		{{EventID: uuid.Must(uuid.NewV7()), Position: 1}},
	}
	for count := range 50 {
		results := make([]ledger.Result, count+1)
		for i := range results {
			results[i] = ledger.Result{EventID: randomID(), Position: random.Uint64N(1 << (1 + random.UintN(63))), Duplicate: random.UintN(2) == 1}
		}
		cases = append(cases, results)
	}
	for _, results := range cases {
		for _, status := range []int{http.StatusOK, http.StatusCreated} {
			want := httptest.NewRecorder()
			writeJSON(want, status, recordResponse{Results: results})
			got := httptest.NewRecorder()
			writeRecordResponse(got, status, results)
			if got.Code != want.Code {
				t.Fatalf("status %d, want %d", got.Code, want.Code)
			}
			for _, name := range []string{"Content-Type", "X-Content-Type-Options"} {
				if got.Header().Get(name) != want.Header().Get(name) || len(got.Header()[name]) != 1 {
					t.Fatalf("%s %q, want %q", name, got.Header()[name], want.Header()[name])
				}
			}
			if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
				t.Fatalf("answer\n%s\nwant, as encoding/json writes it:\n%s", got.Body.Bytes(), want.Body.Bytes())
			}
		}
	}
}

// TestJSONHeadersAreNotShared checks that the header values every JSON
// answer shares stay as they are when one answer's handler adds to or
// replaces its own headers afterwards.
func TestJSONHeadersAreNotShared(t *testing.T) {
	first := httptest.NewRecorder()
	setJSONHeaders(first.Header())
	first.Header().Add("Content-Type", "text/plain")
	first.Header().Set("X-Content-Type-Options", "other")
	second := httptest.NewRecorder()
	writeRecordResponse(second, http.StatusCreated, []ledger.Result{{Position: 1}})
	if got := second.Header()["Content-Type"]; len(got) != 1 || got[0] != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q after another answer added to its own", got)
	}
	if got := second.Result().Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Fatalf("X-Content-Type-Options %q after another answer replaced its own", got)
	}
}
