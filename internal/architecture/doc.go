// Package architecture holds the tests that keep the module's shape: the
// direction of its dependencies (domain at the bottom, the store clients
// only in their adapters and the node that wires them) and a thin
// cmd/ledger. It has no code of its own.
package architecture
