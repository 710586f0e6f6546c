package main

import (
	"strings"
	"testing"
)

// An amount finer than a fen is named once, with its rule said once.
func TestEndToEndTooManyDecimalsSaidOnce(t *testing.T) {
	out := runLedger(t, "", "record", "donation", "--amount", "12.345", "--data", t.TempDir())
	out.expect(t, 2, `--amount "12.345" has more than two decimals`)
	if got := strings.Count(out.stderr, "more than two decimals"); got != 1 {
		t.Errorf("the rule is said %d times, want once:\n%s", got, out.stderr)
	}
}
