package ledger_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

const lineA = `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"c","data":{"donation_id":"D-1","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"5000.00"}}`

func TestReadEventsFormats(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		numbers []int
		bad     []int
	}{
		{"jsonl with blank lines", lineA + "\n\n" + lineA + "\n", []int{1, 3}, nil},
		{"byte order mark", "\ufeff" + lineA + "\n", []int{1}, nil},
		{"array", "[" + lineA + "," + lineA + "]", []int{1, 2}, nil},
		{"one pretty object", strings.Replace(lineA, `,"county"`, ",\n  \"county\"", 1), []int{1}, nil},
		{"bad line kept with its number", lineA + "\n{\"type\":\"nope\"}\n" + lineA, []int{1, 2, 3}, []int{2}},
		{"unknown field", strings.Replace(lineA, `"actor"`, `"colour":"red","actor"`, 1), []int{1}, []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines, err := ledger.ReadEvents(strings.NewReader(tc.input))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(lines) != len(tc.numbers) {
				t.Fatalf("%d lines, want %d", len(lines), len(tc.numbers))
			}
			bad := map[int]bool{}
			for _, number := range tc.bad {
				bad[number] = true
			}
			for i, line := range lines {
				if line.Number != tc.numbers[i] {
					t.Errorf("line %d numbered %d, want %d", i, line.Number, tc.numbers[i])
				}
				if (line.Err != nil) != bad[line.Number] {
					t.Errorf("line %d: err = %v", line.Number, line.Err)
				}
				if line.Err != nil && !errors.Is(line.Err, domain.ErrInvalid) {
					t.Errorf("line %d: err %v is not ErrInvalid", line.Number, line.Err)
				}
			}
		})
	}
	if _, err := ledger.ReadEvents(strings.NewReader("[not json")); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("broken array: err = %v, want ErrInvalid", err)
	}
}

// A line over the event size limit is that line's error, with its number
// and the limit, not the end of the read.
func TestReadEventsNamesATooLongLine(t *testing.T) {
	good := `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","data":{"donation_id":"D-1","campaign":"general","donor_kind":"enterprise","donor_organisation":"某公司","form":"money","amount":"1.00"}}`
	long := strings.Replace(good, `"form":"money"`, `"note":"`+strings.Repeat("注", 70_000)+`","form":"money"`, 1)
	lines, err := ledger.ReadEvents(strings.NewReader(good + "\n" + long + "\n" + good + "\n"))
	if err != nil {
		t.Fatalf("the read ended: %v", err)
	}
	if len(lines) != 3 || lines[0].Err != nil || lines[2].Err != nil {
		t.Fatalf("lines: %+v", lines)
	}
	if lines[1].Number != 2 || lines[1].Err == nil || !strings.Contains(lines[1].Err.Error(), fmt.Sprintf("must be at most %d", domain.EventBytesMax)) {
		t.Fatalf("line 2: number %d, error %v", lines[1].Number, lines[1].Err)
	}
}
