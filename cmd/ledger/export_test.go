package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// An audit bundle of a period given the wrong way round (--from after
// --to) is a usage error naming --to, and nothing is written.
func TestEndToEndExportAuditRefusesAReversedPeriod(t *testing.T) {
	data := t.TempDir()
	runLedger(t, goodLine+"\n", "record", "-", "--data", data).expect(t, 0)
	bundle := filepath.Join(t.TempDir(), "bundle")
	runLedger(t, "", "export-audit", "--data", data, "--from", "2022-06-30", "--to", "2022-06-01", bundle).
		expect(t, 2, "--to must not be before the start of the period (2022-06-30T00:00:00+08:00)")
	if _, err := os.Stat(bundle); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused export made %s: %v", bundle, err)
	}
	// One day, given as --from and --to alike, is a period, not a reversed one.
	runLedger(t, "", "export-audit", "--data", data, "--from", "2022-06-15", "--to", "2022-06-15", bundle).expect(t, 0, "1 events")
}
