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

// A correction whose replacement breaks a field rule is an invalid line,
// reported as any other field's problem is, whether the lines are written
// or only tried (a dry run, as an input of more than one batch is);
// nothing is written.
func TestRecordLinesReportsAReplacementsProblemsAsTheLines(t *testing.T) {
	ctx := context.Background()
	use := openLedger(t)
	donation := `{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-1",` +
		`"idempotency_key":"k-d1","data":{"donation_id":"D-1","campaign":"2022-summer-cooling","donor_kind":"enterprise",` +
		`"donor_organisation":"某公司","form":"money","amount":"5000.00"}}`
	deliveryData := `{"delivery_id":"V-X1","campaign":"2022-summer-cooling","items":[{"item":"drinking-water","quantity":1,"value":"12.00"}],` +
		`"beneficiary_group":"outdoor-workers","headcount":3,"site":{"kind":"community","name":"a"},"spent":"12.00"}`
	delivery := `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-07-06T10:00:00+08:00","actor":"x",` +
		`"idempotency_key":"k-v1","data":` + deliveryData + `}`
	written, err := use.RecordLines(ctx, readLines(t, donation, delivery), app.LinesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := written.Outcomes[1].Result.EventID.String()
	correction := func(replacement string) string {
		return `{"type":"entry_corrected","county":"150626","occurred_at":"2022-07-07T10:00:00+08:00","actor":"x",` +
			`"idempotency_key":"k-c1","data":{"campaign":"2022-summer-cooling","target_event_id":"` + target + `",` +
			`"reason":"fix","replacement":` + replacement + `}}`
	}
	valid := strings.Replace(donation, `"D-1"`, `"D-2"`, 1)
	valid = strings.Replace(valid, `"k-d1"`, `"k-d2"`, 1)
	for _, tc := range []struct {
		name, replacement, field, rule, code string
	}{
		{"an amount as a number", strings.Replace(deliveryData, `"spent":"12.00"`, `"spent":12`, 1),
			"data.replacement.spent", `must be a string of yuan such as "1250.50"`, domain.CodeYuan},
		{"a count as a string", strings.Replace(deliveryData, `"headcount":3`, `"headcount":"3"`, 1),
			"data.replacement.headcount", "must be an integer, not string", domain.CodeWholeNumber},
	} {
		for _, options := range []app.LinesOptions{{}, {DryRun: true}} {
			recorded, err := use.RecordLines(ctx, readLines(t, valid, correction(tc.replacement)), options)
			if !errors.Is(err, app.ErrInvalidLines) || recorded.Invalid != 1 || recorded.Outcomes[0].Err != nil {
				t.Fatalf("%s (dry run %t): RecordLines = %d invalid, %v; want the correction's line invalid", tc.name, options.DryRun,
					recorded.Invalid, err)
			}
			var validation *domain.ValidationError
			if !errors.As(recorded.Outcomes[1].Err, &validation) || len(validation.Violations) != 1 ||
				validation.Violations[0].Event != 0 || validation.Violations[0].Field != tc.field || validation.Violations[0].Code != tc.code {
				t.Fatalf("%s: the line's error is %#v, want %s (code %s) of the line alone", tc.name, recorded.Outcomes[1].Err, tc.field, tc.code)
			}
			problems, said := failure(recorded, err)
			if want := "line 2: " + tc.field + ": " + tc.rule; !strings.HasPrefix(problems, want) {
				t.Errorf("%s: the problems printed are\n%s\nwant\n%s", tc.name, problems, want)
			}
			if !strings.HasPrefix(said, "1 of 2 lines are invalid; nothing was written") {
				t.Errorf("%s: the command fails with %q", tc.name, said)
			}
		}
	}
	if got := head(t, use); got != 2 {
		t.Fatalf("%d events, want the 2 written before the refused corrections", got)
	}
}
