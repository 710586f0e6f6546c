package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ordos-union/ledger/domain"
)

// FuzzRecordBody feeds request bodies to the reader of POST /api/v1/events:
// it must answer with events or a validation error, never panic.
func FuzzRecordBody(f *testing.F) {
	f.Add([]byte(`{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","data":{"donation_id":"D-1","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"5000.00"}}`))
	f.Add([]byte(`{"events":[{"type":"donation_received"},{"type":"entry_voided"}]}`))
	f.Add([]byte(`[{"type":"period_closed","county":"150600","occurred_at":"2022-06-30T18:00:00+08:00","data":{"month":"2022-06"}}]`))
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"events":{}}`))
	f.Add([]byte("\xff\xfe"))
	f.Add([]byte(`{"\u0065vents":[]}`))
	f.Add([]byte(`{"events":[],"events":[]}`))
	f.Add([]byte(`{"type":"x","events":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		raws, batch, err := splitEvents(body)
		// The shortcut for a single event decides as the decoding into a
		// map it spares did.
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
			var probe map[string]json.RawMessage
			if json.Unmarshal(trimmed, &probe) == nil {
				_, hasEvents := probe["events"]
				single := !hasEvents || len(probe) != 1
				if single && (err != nil || batch || len(raws) != 1 || !bytes.Equal(raws[0], trimmed)) {
					t.Fatalf("a single event read as batch %v, %d events, error %v: %q", batch, len(raws), err, body)
				}
				if !single && err == nil && !batch {
					t.Fatalf("a batch read as a single event: %q", body)
				}
			}
		}
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		for _, raw := range raws {
			if _, err := domain.DecodeEvent(raw); err != nil && !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("decode error %v is not ErrInvalid", err)
			}
		}
	})
}
