package natsjs

import "context"

// FillUpToForTest is LiveTotals.Fill with limit in place of liveCellsMax,
// so a test can pass the limit with a few cells.
func FillUpToForTest(ctx context.Context, l *LiveTotals, cells []LiveCell, limit int) {
	l.fill(ctx, cells, limit)
}

// AllowAppendsForTest lifts the version gate of a store on an old server,
// so a test can show what the ledger reports when a server does not keep a
// batch whole: the safety net behind the gate.
func AllowAppendsForTest(s *Store) { s.readOnly = nil }
