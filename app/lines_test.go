package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
)

// openLedger runs a ledger on a real embedded JetStream server in a
// temporary directory.
func openLedger(t *testing.T) *app.Ledger {
	t.Helper()
	opened, err := node.Open(context.Background(), node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { opened.Close() })
	return opened.App
}

// donationLines are numbered lines of donations D-0, D-1, … with ids, one
// a line; repeats gives a line (by number) the id of another.
func donationLines(count int, repeats map[int]int) []ledger.Line {
	lines := make([]ledger.Line, count)
	for i := range lines {
		id := i
		if other, ok := repeats[i+1]; ok {
			id = other - 1
		}
		lines[i] = ledger.Line{Number: i + 1, Event: eventstoretest.Donation("general", "150626", fmt.Sprintf("D-%d", id), 100)}
	}
	return lines
}

func head(t *testing.T, ledger *app.Ledger) uint64 {
	t.Helper()
	position, err := ledger.Store().Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return position
}

// failure is what the command line says of RecordLines' answer.
func failure(recorded app.LinesReport, err error) (problems, failure string) {
	var out, printed bytes.Buffer
	if err := report.RecordedLinesText(&out, &printed, recorded, err, report.LinesShown{}); err != nil {
		return printed.String(), err.Error()
	}
	return printed.String(), ""
}

// A line more than one batch on that breaks a rule of the ledger (a
// donation received again) writes nothing at all, and the refusal names
// it and the line it repeats; a dry run says the same; skipping invalid
// lines skips it and records the rest.
func TestRecordLinesTriesEveryBatchBeforeWriting(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	count := eventstore.BatchEventsMax + 501
	lines := donationLines(count, map[int]int{count: 1})

	recorded, err := use.RecordLines(ctx, lines, app.LinesOptions{})
	var batch *app.BatchError
	if !errors.As(err, &batch) || batch.Written != 0 || recorded.Recorded != 0 {
		t.Fatalf("RecordLines = %+v written, %v; want a refusal with nothing written", recorded.Recorded, err)
	}
	if got := head(t, use); got != 0 {
		t.Fatalf("a refused input wrote %d events", got)
	}
	_, said := failure(recorded, err)
	want := fmt.Sprintf("nothing was written: rejected: line %d: data.donation_id: donation D-0 is received twice in the same input; "+
		"a donation is received once (repeats line 1)", count)
	if said != want {
		t.Fatalf("the refusal says\n%s\nwant\n%s", said, want)
	}

	recorded, err = use.RecordLines(ctx, lines, app.LinesOptions{DryRun: true})
	if _, said := failure(recorded, err); said != want {
		t.Fatalf("the dry run says\n%s\nwant\n%s", said, want)
	}

	recorded, err = use.RecordLines(ctx, lines, app.LinesOptions{SkipInvalid: true})
	if err != nil || recorded.Recorded != count-1 || recorded.Invalid != 1 {
		t.Fatalf("skipping: %d recorded, %d invalid, %v; want %d, 1 and no error", recorded.Recorded, recorded.Invalid, err, count-1)
	}
	if got := head(t, use); got != uint64(count-1) {
		t.Fatalf("skipping wrote %d events, want %d", got, count-1)
	}
	problems, said := failure(recorded, err)
	wantProblem := fmt.Sprintf("line %d: data.donation_id: rejected: donation D-0 is received twice in the same input; "+
		"a donation is received once (repeats line 1)\n", count)
	if !strings.HasPrefix(problems, wantProblem) || said != "1 invalid lines were skipped" {
		t.Fatalf("skipping printed\n%s\nfailing with %q; want it to start with\n%s", problems, said, wantProblem)
	}
}

// A line breaking a rule of what is already written is refused the same
// way, a batch on; skipping stops after skippedLinesMax such lines and
// then writes nothing.
func TestRecordLinesSkipsRuleBreakersUpToTheLimit(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	if _, err := use.RecordLines(ctx, donationLines(1, nil), app.LinesOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every line after the first receives D-0, written already.
	repeats := map[int]int{}
	for number := 2; number <= 200; number++ {
		repeats[number] = 1
	}
	recorded, err := use.RecordLines(ctx, donationLines(300, repeats), app.LinesOptions{SkipInvalid: true})
	var skip *app.SkipError
	if !errors.As(err, &skip) || recorded.Recorded != 0 {
		t.Fatalf("RecordLines = %d recorded, %v; want a *app.SkipError and nothing recorded", recorded.Recorded, err)
	}
	if got := head(t, use); got != 1 {
		t.Fatalf("a refused input left %d events, want 1", got)
	}
	_, said := failure(recorded, err)
	if !strings.HasPrefix(said, fmt.Sprintf("more than %d lines break a rule of the ledger", skip.Max)) ||
		!strings.Contains(said, "nothing was written: rejected: line 1") || !strings.Contains(said, "donation D-0 was already received by event") {
		t.Fatalf("the refusal says %q", said)
	}
}

// Two lines of one input with the same donation id, or the same
// idempotency key, are refused naming the earlier line, not an event that
// was never written nor events[0].
func TestRecordLinesNamesTheLineARuleBreakRepeats(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	lines := donationLines(3, map[int]int{3: 2})
	recorded, err := use.RecordLines(ctx, lines, app.LinesOptions{})
	if _, said := failure(recorded, err); said != "nothing was written: rejected: line 3: data.donation_id: donation D-1 is received twice "+
		"in the same input; a donation is received once (repeats line 2)" {
		t.Fatalf("a donation received twice: %s", said)
	}
	var rule *domain.RuleError
	if !errors.As(err, &rule) || rule.Event != 3 || rule.Other != 2 {
		t.Fatalf("the refusal is %#v, want event 3 and other 2 of the batch", err)
	}

	lines = donationLines(3, nil)
	lines[0].Event.IdempotencyKey, lines[2].Event.IdempotencyKey = "k-1", "k-1"
	recorded, err = use.RecordLines(ctx, lines, app.LinesOptions{})
	if _, said := failure(recorded, err); said != "nothing was written: invalid input: line 3: idempotency_key: "+
		"is the key of another entry of the same input too (repeats line 1)" {
		t.Fatalf("a key used twice: %s", said)
	}
	if got := head(t, use); got != 0 {
		t.Fatalf("refused inputs wrote %d events", got)
	}
}
