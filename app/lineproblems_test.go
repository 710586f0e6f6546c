package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

// readLines reads JSON lines as `ledger record FILE` does.
func readLines(t *testing.T, lines ...string) []ledger.Line {
	t.Helper()
	read, err := ledger.ReadEvents(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return read
}

// A line whose occurred_at is malformed is refused with every other
// problem of the line too, each named once, and nothing is written.
func TestRecordLinesReportsEveryProblemOfALineAtOnce(t *testing.T) {
	use := openLedger(t)
	bad := `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-07-06","actor":"x","idempotency_key":"k-bad-1",` +
		`"data":{"delivery_id":"V-X1","campaign":"2022-summer-cooling","items":[{"item":"water","quantity":1}],` +
		`"beneficiary_group":"outdoor-workers","headcount":3,"site":{"kind":"street","name":"a"},"spent":12}}`
	recorded, err := use.RecordLines(context.Background(), readLines(t, bad), app.LinesOptions{})
	if !errors.Is(err, app.ErrInvalidLines) || recorded.Invalid != 1 {
		t.Fatalf("RecordLines = %d invalid, %v; want the line invalid", recorded.Invalid, err)
	}
	var validation *domain.ValidationError
	if !errors.As(recorded.Outcomes[0].Err, &validation) {
		t.Fatalf("the line's error is %v, want a *domain.ValidationError", recorded.Outcomes[0].Err)
	}
	var fields []string
	for _, violation := range validation.Violations {
		fields = append(fields, violation.Field)
	}
	want := "occurred_at data.site.kind data.items[0].item data.items[0].value data.spent"
	if got := strings.Join(fields, " "); got != want {
		t.Fatalf("the line's problems are at %s, want %s", got, want)
	}
	problems, said := failure(recorded, err)
	for _, line := range []string{
		"line 1: occurred_at: must be an RFC 3339 time such as 2022-06-15T09:30:00+08:00\n",
		`line 1: data.site.kind: unknown site kind "street"`,
		`line 1: data.items[0].item: unknown item kind "water"`,
		"line 1: data.items[0].value: must be > 0\n",
		`line 1: data.spent: must be a string of yuan such as "1250.50"`,
	} {
		if !strings.Contains(problems, line) {
			t.Errorf("the problems printed lack %q:\n%s", line, problems)
		}
	}
	if strings.Count(problems, "occurred_at") != 1 || strings.Contains(problems, "is required") {
		t.Errorf("occurred_at is named again, or as missing:\n%s", problems)
	}
	if !strings.HasPrefix(said, "1 of 1 lines are invalid; nothing was written") {
		t.Errorf("the command fails with %q", said)
	}
	if got := head(t, use); got != 0 {
		t.Fatalf("a refused line wrote %d events", got)
	}
}
