package projections

import (
	"fmt"
	"strings"
)

// gapRangesMax bounds the stretches of missing positions a reader
// remembers; the count of missing positions stays exact.
const gapRangesMax = 16

// Gaps are the positions a reader of the whole log found missing. The log
// has no gaps of its own making (nothing is deleted, and a refused append
// takes no position), so a missing position is damage: a message the
// server dropped when it found it damaged on disk.
type Gaps struct {
	ranges  [][2]uint64
	missing uint64
}

// observe notes the positions between the last one read and the next.
func (g *Gaps) observe(last, next uint64) {
	if next <= last+1 {
		return
	}
	g.missing += next - last - 1
	if len(g.ranges) < gapRangesMax {
		g.ranges = append(g.ranges, [2]uint64{last + 1, next - 1})
	}
}

// Missing is how many positions were missing.
func (g Gaps) Missing() uint64 { return g.missing }

// First is the first missing position (0: none).
func (g Gaps) First() uint64 {
	if len(g.ranges) == 0 {
		return 0
	}
	return g.ranges[0][0]
}

// Err says what is missing and what to do, or nil.
func (g Gaps) Err() error {
	if g.missing == 0 {
		return nil
	}
	var places []string
	for _, stretch := range g.ranges {
		if stretch[0] == stretch[1] {
			places = append(places, fmt.Sprint(stretch[0]))
		} else {
			places = append(places, fmt.Sprintf("%d-%d", stretch[0], stretch[1]))
		}
	}
	more := ""
	if len(g.ranges) == gapRangesMax {
		more = " and more"
	}
	return fmt.Errorf("the log lacks %d position(s) (%s%s): the store lost them, figures leave them out; "+
		"run `ledger verify` and `ledger doctor`, and restore from a backup", g.missing, strings.Join(places, ", "), more)
}
