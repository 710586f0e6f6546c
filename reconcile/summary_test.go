package reconcile

import (
	"testing"

	"github.com/ordos-union/ledger/domain"
)

// Each part of a result adds up by the sign of what moved: a match counts
// once but its lines each by their own sign, a line in two suggestions
// once, a charge written off is money out. Fees are in their own column,
// donations and pledges with no bank line are recorded money, rows printed
// twice and possible duplicates are counted and not added up.
func TestSummariesAddEachPartUpBySign(t *testing.T) {
	line := func(id string, amount domain.Money) Line { return Line{LineID: id, Amount: amount} }
	result := Result{
		Matched:            []Match{{Lines: []Line{line("L1", 500), line("L2", -20)}}},
		Suggested:          []Match{{Lines: []Line{line("L3", 300)}}, {Lines: []Line{line("L4", 100)}}, {Lines: []Line{line("L3", 300)}}},
		VoidedMatches:      []Match{{Lines: []Line{line("L5", 250)}}},
		WrittenOff:         []WriteOff{{Line: line("L6", -15), WrittenOff: 15}, {Line: line("L7", 40), WrittenOff: 40}},
		Refunds:            []Match{{Lines: []Line{line("L8", 70), line("L9", -70)}}},
		Fees:               []Fee{{Amount: 5}, {Amount: 15}},
		PrintedTwice:       []PrintedTwiceRow{{Line: line("L10", 60)}},
		UnmatchedLines:     []Line{line("L10", 60), line("L11", 9), line("L12", -4)},
		UnmatchedDonations: []Donation{{Amount: 800}},
		Duplicates:         [][]Line{{line("L13", 1), line("L14", 1)}},
		Outstanding:        []Outstanding{{Donation: Donation{Amount: 1000}}},
	}
	want := map[string]Summary{
		"matched":             {Count: 1, Column: ColumnInOut, In: 500, Out: 20},
		"suggested":           {Count: 3, Column: ColumnInOut, In: 400},
		"voided_matches":      {Count: 1, Column: ColumnInOut, In: 250},
		"unmatched_lines":     {Count: 3, Column: ColumnInOut, In: 69, Out: 4},
		"unmatched_donations": {Count: 1, Column: ColumnRecorded, Recorded: 800},
		"refunds":             {Count: 1, Column: ColumnInOut, In: 70, Out: 70},
		"fees":                {Count: 2, Column: ColumnFees, Fees: 20},
		"written_off":         {Count: 2, Column: ColumnInOut, In: 40, Out: 15},
		"printed_twice":       {Count: 1},
		"duplicates":          {Count: 1},
		"outstanding_pledges": {Count: 1, Column: ColumnRecorded, Recorded: 1000},
	}
	summaries := result.Summaries()
	if len(summaries) != len(want) {
		t.Fatalf("%d summaries, want %d", len(summaries), len(want))
	}
	for _, got := range summaries {
		expected, ok := want[got.Key]
		if !ok {
			t.Errorf("unexpected summary %q", got.Key)
			continue
		}
		expected.Key, expected.Item, expected.Amount = got.Key, got.Item, expected.In+expected.Out
		if got != expected {
			t.Errorf("%s: %+v; want %+v", got.Key, got, expected)
		}
	}
}
