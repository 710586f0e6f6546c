package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
)

// An amount finer than a fen is named once, with its rule said once.
func TestEndToEndTooManyDecimalsSaidOnce(t *testing.T) {
	out := runLedger(t, "", "record", "donation", "--amount", "12.345", "--data", t.TempDir())
	out.expect(t, 2, `--amount "12.345" has more than two decimals`)
	if got := strings.Count(out.stderr, "more than two decimals"); got != 1 {
		t.Errorf("the rule is said %d times, want once:\n%s", got, out.stderr)
	}
}

// Every flag of `ledger record KIND` is the name of a field its errors
// may be about, so no error of a shortcut names a field the clerk never
// typed.
func TestShortcutFlagsNameTheirFields(t *testing.T) {
	named := map[string]bool{}
	for _, name := range shortcutFlagNames {
		named[name] = true
	}
	for _, kind := range app.ShortcutKinds {
		flags := flag.NewFlagSet("record "+kind, flag.ContinueOnError)
		registerShortcut(flags, &app.Shortcut{Kind: kind})
		flags.VisitAll(func(f *flag.Flag) {
			if !named["--"+f.Name] {
				t.Errorf("record %s --%s names no field in shortcutFlagNames", kind, f.Name)
			}
		})
	}
}

// The entry's own rules, checked when it is recorded, name the flags too:
// a training session without --minutes says --minutes, as a bad --amount
// says --amount.
func TestEndToEndShortcutRulesNameFlags(t *testing.T) {
	data := t.TempDir()
	out := runLedger(t, "", "record", "training", "--data", data, "--campaign", "general", "--county", "150626", "--topic", "safety",
		"--title", "安全生产讲座", "--participants", "30", "--venue", "职工之家")
	out.expect(t, 2, "--minutes must be > 0")
	for _, kind := range []string{"donation", "delivery"} {
		out := runLedger(t, "", "record", kind, "--data", data, "--items", "sunscreen:1:-5")
		if out.code != 2 || !strings.Contains(out.stderr, "--items") || strings.Contains(out.stderr, "data.") || strings.Contains(out.stderr, "line 1") {
			t.Errorf("record %s: exit %d, names a field or a line:\n%s", kind, out.code, out.stderr)
		}
	}
}
