package reconcile

import (
	"testing"

	"github.com/ordos-union/ledger/domain"
)

// Each part of a result adds up by the sign of what moved: a match counts
// once but its lines each by their own sign, a fee and a charge written
// off are money out, possible duplicates are counted and not added up.
func TestSummariesAddEachPartUpBySign(t *testing.T) {
	line := func(amount domain.Money) Line { return Line{Amount: amount} }
	result := Result{
		Matched:            []Match{{Lines: []Line{line(500), line(-20)}}},
		Suggested:          []Match{{Lines: []Line{line(300)}}, {Lines: []Line{line(100)}}},
		VoidedMatches:      []Match{{Lines: []Line{line(250)}}},
		WrittenOff:         []WriteOff{{Line: line(-15), WrittenOff: 15}, {Line: line(40), WrittenOff: 40}},
		Refunds:            []Match{{Lines: []Line{line(70), line(-70)}}},
		Fees:               []Fee{{Amount: 5}},
		PrintedTwice:       []PrintedTwiceRow{{Line: line(60)}},
		UnmatchedLines:     []Line{line(9), line(-4)},
		UnmatchedDonations: []Donation{{Amount: 800}},
		Duplicates:         [][]Line{{line(1), line(1)}},
		Outstanding:        []Outstanding{{Donation: Donation{Amount: 1000}}},
	}
	want := map[string]Summary{
		"matched":             {Count: 1, In: 500, Out: 20},
		"suggested":           {Count: 2, In: 400},
		"voided_matches":      {Count: 1, In: 250},
		"unmatched_lines":     {Count: 2, In: 9, Out: 4},
		"unmatched_donations": {Count: 1, In: 800},
		"refunds":             {Count: 1, In: 70, Out: 70},
		"fees":                {Count: 1, Out: 5},
		"written_off":         {Count: 2, In: 40, Out: 15},
		"printed_twice":       {Count: 1, In: 60},
		"duplicates":          {Count: 1},
		"outstanding_pledges": {Count: 1, In: 1000},
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
		if got.Count != expected.Count || got.In != expected.In || got.Out != expected.Out || got.Amount != expected.In+expected.Out {
			t.Errorf("%s: count %d in %d out %d amount %d; want count %d in %d out %d", got.Key, got.Count, got.In, got.Out, got.Amount,
				expected.Count, expected.In, expected.Out)
		}
	}
}
