package report_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/report"
)

// A refused line names each violation at its field, or the line alone for
// an error that is no validation; a recorded one says where it went, in
// words or as a JSON line.
func TestRecordLinesText(t *testing.T) {
	var out bytes.Buffer
	invalid := &domain.ValidationError{Violations: []domain.Violation{{Field: "data.amount", Rule: "must be positive"}, {Field: "$", Rule: "is not an object"}}}
	report.LineErrorText(&out, 7, invalid, report.LineWhere)
	report.LineErrorText(&out, 8, errors.New("store unavailable"), report.LineWhere)
	want := "line 7: data.amount: must be positive\nline 7: is not an object\nline 8: store unavailable\n"
	if out.String() != want {
		t.Errorf("refusals printed\n%q\nwant\n%q", out.String(), want)
	}

	id := uuid.MustParse("0194e2a0-0000-7000-8000-000000000001")
	event := domain.Event{Type: domain.TypeDonationReceived}
	for _, test := range []struct {
		result ledger.Result
		asJSON bool
		want   string
	}{
		{ledger.Result{EventID: id, Position: 12}, false, "line 3: recorded donation_received " + id.String() + " at position 12\n"},
		{ledger.Result{EventID: id, Position: 12, Duplicate: true}, false, "line 3: already recorded donation_received " + id.String() + " at position 12\n"},
		{ledger.Result{EventID: id, Position: 12}, true, `{"line":3,"event_id":"` + id.String() + `","position":12,"duplicate":false}` + "\n"},
	} {
		out.Reset()
		if err := report.RecordedText(&out, 3, "line 3", event, test.result, test.asJSON); err != nil {
			t.Fatal(err)
		}
		if out.String() != test.want {
			t.Errorf("RecordedText(%+v, json %v) = %q, want %q", test.result, test.asJSON, out.String(), test.want)
		}
	}
}
