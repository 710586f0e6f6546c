package report_test

import (
	"bytes"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/report"
)

// The doctor's findings print one store a line, a problem marked and
// followed by its repair, a well store with none.
func TestFindingsTextMarksProblemsAndRepairs(t *testing.T) {
	findings := []app.Finding{
		{Store: "log", What: "121 events, no position missing"},
		{Store: "tree file", Problem: true, What: "disagrees with the log", Repair: "remove DATA/integrity/hashes"},
	}
	var out bytes.Buffer
	report.FindingsText(&out, findings)
	want := "ok       log: 121 events, no position missing\n" +
		"PROBLEM  tree file: disagrees with the log\n" +
		"         repair: remove DATA/integrity/hashes\n"
	if out.String() != want {
		t.Errorf("FindingsText printed\n%s\nwant\n%s", out.String(), want)
	}
	if got := app.Problems(findings); got != 1 {
		t.Errorf("Problems = %d, want 1", got)
	}
}

// A verification prints its problems at their positions (a problem of no
// position alone), then its notes.
func TestVerificationTextPrintsProblemsThenNotes(t *testing.T) {
	verified := integrity.Report{
		Problems: []integrity.Problem{{Position: 7, What: "hash mismatch"}, {What: "checkpoint stream empty"}},
		Notes:    []integrity.Problem{{Position: 9, What: "erased subject"}},
	}
	var out bytes.Buffer
	report.VerificationText(&out, verified)
	want := "position 7: hash mismatch\ncheckpoint stream empty\nnote: erased subject\n"
	if out.String() != want {
		t.Errorf("VerificationText printed\n%q\nwant\n%q", out.String(), want)
	}
}
