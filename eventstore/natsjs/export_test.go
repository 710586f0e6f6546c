package natsjs

// AllowAppendsForTest lifts the version gate of a store on an old server,
// so a test can show what the ledger reports when a server does not keep a
// batch whole: the safety net behind the gate.
func AllowAppendsForTest(s *Store) { s.readOnly = nil }
