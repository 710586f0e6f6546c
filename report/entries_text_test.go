package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// What became of the lines is printed line by line, and the command's
// failure names the lines by their own numbers: a refused batch's events
// are numbered from 1 within the batch.
func TestRecordedLinesText(t *testing.T) {
	id := uuid.MustParse("0194e2a0-0000-7000-8000-000000000001")
	event := domain.Event{Type: domain.TypeDonationReceived}
	mine := domain.Event{Type: domain.TypeDonationReceived, Actor: "clerk-2"}
	invalid := app.LineOutcome{Number: 2, Err: &domain.ValidationError{Violations: []domain.Violation{{Field: "data.amount", Rule: "must be positive"}}}}
	written := app.LineOutcome{Number: 1, Event: event, Result: ledger.Result{EventID: id, Position: 7}}
	unwritten := app.LineOutcome{Number: 3, Event: event}
	refused := &domain.RuleError{Event: 2, Field: "amount", Rule: "more than the county holds"}
	for _, test := range []struct {
		name          string
		recorded      app.LinesReport
		err           error
		shown         report.LinesShown
		out, problems string
		failure       string
	}{
		{name: "an invalid line writes nothing", recorded: app.LinesReport{Outcomes: []app.LineOutcome{unwritten, invalid}, Invalid: 1},
			err:      fmt.Errorf("1 of 2 lines: %w", app.ErrInvalidLines),
			problems: "line 2: data.amount: must be positive\n",
			failure:  "1 of 2 lines are invalid; nothing was written (fix them, or use --skip-invalid)"},
		{name: "the only batch refused", recorded: app.LinesReport{Outcomes: []app.LineOutcome{unwritten, invalid, {Number: 4}}, Invalid: 1},
			err: &app.BatchError{Lines: []int{3, 4}, Err: refused}, problems: "line 2: data.amount: must be positive\n",
			failure: "nothing was written: rejected: line 4: amount: more than the county holds"},
		{name: "a later batch refused", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written, unwritten, {Number: 4}}, Recorded: 1},
			err:     &app.BatchError{Lines: []int{3, 4}, Written: 1, Err: refused},
			shown:   report.LinesShown{Where: func(row int, field string) string { return strings.TrimSpace(fmt.Sprintf("row %d %s", row, field)) }},
			out:     "row 1: recorded donation_received " + id.String() + " at position 7\n",
			failure: "lines 3-4 (none of them written; 1 earlier events were): rejected: row 4 amount: more than the county holds"},
		{name: "the only batch of unknown outcome", recorded: app.LinesReport{Outcomes: []app.LineOutcome{unwritten, {Number: 4}}},
			err: &app.BatchError{Lines: []int{3, 4}, Unknown: true, Err: errors.New("append: context deadline exceeded")},
			failure: "lines 3-4 (outcome unknown: they may have been written; recording the same lines again is safe, " +
				"their idempotency keys find those written; 0 earlier events were written): append: context deadline exceeded"},
		{name: "a later batch of unknown outcome, a line without a key", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written, unwritten,
			{Number: 4}}, Recorded: 1},
			err: &app.BatchError{Lines: []int{3, 4}, Written: 1, Unknown: true, Unkeyed: 1, Err: errors.New("append: context deadline exceeded")},
			out: "line 1: recorded donation_received " + id.String() + " at position 7\n",
			failure: "lines 3-4 (outcome unknown: they may have been written; recording the same lines again is safe, " +
				"their idempotency keys find those written, but 1 of them have no idempotency key: look in the log before sending those again; " +
				"1 earlier events were written): append: context deadline exceeded"},
		{name: "a dry run", recorded: app.LinesReport{Outcomes: []app.LineOutcome{unwritten, invalid}, Invalid: 1},
			shown: report.LinesShown{DryRun: true}, out: "1 lines are valid; nothing was written (dry run)\n",
			problems: "line 2: data.amount: must be positive\n"},
		{name: "a dry run of lines recorded before, by another", recorded: app.LinesReport{Outcomes: []app.LineOutcome{
			{Number: 1, Event: event, Result: ledger.Result{EventID: id, Position: 7, Duplicate: true, RecordedBy: "clerk-1"}}, unwritten,
			{Number: 3, Event: mine, Result: ledger.Result{EventID: id, Position: 8, Duplicate: true, RecordedBy: "clerk-2"}}},
			Duplicates: 2},
			shown: report.LinesShown{DryRun: true},
			out: "line 1: already recorded donation_received " + id.String() + " at position 7 by clerk-1\n" +
				"line 3: already recorded donation_received " + id.String() + " at position 8\n" +
				"3 lines are valid, 2 of them already recorded; nothing was written (dry run)\n"},
		{name: "invalid lines skipped", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written, invalid}, Recorded: 1, Invalid: 1},
			out:      "line 1: recorded donation_received " + id.String() + " at position 7\n",
			problems: "line 2: data.amount: must be positive\nrecorded 1 event, 0 already recorded (same idempotency key), 1 invalid skipped\n",
			failure:  "1 invalid lines were skipped"},
		{name: "every line recorded", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written}, Recorded: 1},
			out:      "line 1: recorded donation_received " + id.String() + " at position 7\n",
			problems: "recorded 1 event, 0 already recorded (same idempotency key), 0 invalid skipped\n"},
		{name: "one entry from flags", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written}, Recorded: 1},
			shown: report.LinesShown{One: true}, out: "recorded donation_received " + id.String() + " at position 7\n"},
		{name: "one entry from flags refused", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 1}}},
			err:     &app.BatchError{Lines: []int{1}, Err: &domain.RuleError{Event: 1, Rule: "campaign C: county 150626 would hold -1.00 yuan"}},
			shown:   report.LinesShown{One: true},
			failure: "nothing was written: rejected: campaign C: county 150626 would hold -1.00 yuan"},
		{name: "another error", recorded: app.LinesReport{Outcomes: []app.LineOutcome{unwritten}}, err: errors.New("store unavailable"),
			failure: "store unavailable"},
	} {
		var out, problems bytes.Buffer
		err := report.RecordedLinesText(&out, &problems, test.recorded, test.err, test.shown)
		failure := ""
		if err != nil {
			failure = err.Error()
		}
		if out.String() != test.out || problems.String() != test.problems || failure != test.failure {
			t.Errorf("%s: printed\n%q\nand\n%q\nfailing with %q; want\n%q\nand\n%q\nfailing with %q", test.name, out.String(), problems.String(),
				failure, test.out, test.problems, test.failure)
		}
	}
}

// A validation error about named fields alone is about how the front end
// was called; one naming other fields too stays invalid input, and a
// refusal at a named field stays a refusal, said without the sentinel's
// words, and still matching what it matched.
func TestFieldsNamed(t *testing.T) {
	names := map[string]string{"reason": "--reason", "amount": "--amount", "kind": "KIND", "data.kind": "--kind", "items": "--items",
		"county": "--county", "to_county": "--county"}
	violations := func(fields ...string) error {
		invalid := &domain.ValidationError{}
		for _, field := range fields {
			invalid.Violations = append(invalid.Violations, domain.Violation{Field: field, Rule: "is required"})
		}
		return invalid
	}
	other := errors.New("store unavailable")
	for _, test := range []struct {
		err    error
		called bool
		named  string
		is     error
	}{
		{err: violations("reason", "data.amount"), called: true, named: "--reason is required; --amount is required"},
		{err: violations("reason", "occurred_at"), named: "--reason is required; occurred_at: is required: invalid input", is: domain.ErrInvalid},
		// The whole path first: a service's data.kind is not the command's KIND.
		{err: violations("data.kind", "kind"), called: true, named: "--kind is required; KIND is required"},
		// An element of a list is named as its list, then the element.
		{err: violations("data.items[0].value"), called: true, named: "--items[0].value is required"},
		// One flag behind two fields says the rule once.
		{err: violations("county", "data.to_county"), called: true, named: "--county is required"},
		// A refusal of what the ledger holds names the flag, and is no
		// usage error: the command was called right.
		{err: &domain.RuleError{Field: "data.amount", Rule: "more than the line"}, named: "--amount: more than the line", is: domain.ErrRejected},
		{err: &domain.RuleError{Field: "reason", Rule: "no event has the id X", Cause: domain.ErrNotFound}, named: "--reason: no event has the id X",
			is: domain.ErrNotFound},
		{err: fmt.Errorf("%w: %w", violations("reason"), domain.ErrConflict), named: "--reason: is required", is: domain.ErrConflict},
		{err: &domain.RuleError{Field: "occurred_at", Rule: "closed"}, named: "rejected: occurred_at: closed", is: domain.ErrRejected},
		{err: other, named: "store unavailable", is: other},
	} {
		called, named := report.FieldsNamed(test.err, names)
		if called != test.called || named.Error() != test.named || (test.is != nil && !errors.Is(named, test.is)) {
			t.Errorf("FieldsNamed(%v) = %v, %q; want %v, %q (is %v)", test.err, called, named, test.called, test.named, test.is)
		}
	}
	if called, named := report.FieldsNamed(nil, names); called || named != nil {
		t.Errorf("FieldsNamed(nil) = %v, %v; want false, nil", called, named)
	}
}

// A problem that repeats another line names that line as the front end
// does, by its own number; skipping that stopped at its limit says so.
func TestRecordedLinesTextNamesTheLineAProblemRepeats(t *testing.T) {
	twice := &domain.RuleError{Event: 2, Field: "data.donation_id", Rule: "donation D-1 is received twice", Other: 1}
	recorded := app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, {Number: 5}}}
	shown := report.LinesShown{Where: func(row int, field string) string { return fmt.Sprintf("row %d %s", row, field) },
		Repeats: func(row int) string { return fmt.Sprintf("same as row %d", row) }}
	for _, test := range []struct {
		err     error
		failure string
	}{
		{&app.BatchError{Lines: []int{3, 5}, Err: twice}, "nothing was written: rejected: row 5 data.donation_id: donation D-1 is received twice (same as row 3)"},
		{&app.SkipError{Max: 100, Err: &app.BatchError{Lines: []int{3, 5}, Err: twice}}, "more than 100 lines break a rule of the ledger, " +
			"the most that are skipped; nothing was written: rejected: row 5 data.donation_id: donation D-1 is received twice (same as row 3)"},
	} {
		var out, problems bytes.Buffer
		if err := report.RecordedLinesText(&out, &problems, recorded, test.err, shown); err == nil || err.Error() != test.failure {
			t.Errorf("failing with %v, want %q", err, test.failure)
		}
	}
	// A skipped line's own refusal names the line it repeats by number.
	skipped := app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, {Number: 5, Err: &domain.RuleError{Field: "data.donation_id",
		Rule: "donation D-1 is received twice", Other: 3}}}, Invalid: 1}
	var out, problems bytes.Buffer
	_ = report.RecordedLinesText(&out, &problems, skipped, nil, report.LinesShown{})
	if want := "line 5: data.donation_id: rejected: donation D-1 is received twice (repeats line 3)\n"; !strings.HasPrefix(problems.String(), want) {
		t.Errorf("printed %q, want it to start with %q", problems.String(), want)
	}
}

// An event entered in another zone (2022-06-30T16:30:00Z) is listed in
// Beijing time, the day and month the totals count it in; --json prints it
// as stored.
func TestListedEventTextInBeijingTime(t *testing.T) {
	event := domain.Event{Type: domain.TypeDonationReceived, County: "150626", OccurredAt: time.Date(2022, 6, 30, 16, 30, 0, 0, time.UTC),
		Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"},
		Data:      domain.DonationReceived{DonationID: "D-1", Campaign: "general", DonorKind: "enterprise", Form: domain.FormMoney, Amount: 100}}
	stored := []byte(`{"occurred_at":"2022-06-30T16:30:00Z"}`)
	listed := app.ListedEvent{Record: eventstore.Record{Position: 29, Event: event, Data: stored}, Event: event}
	name := func(code string) string { return code }
	var text, asJSON bytes.Buffer
	if err := report.ListedEventText(&text, listed, name, false, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "  2022-07-01 00:30  ") {
		t.Errorf("listed as %q, want 2022-07-01 00:30 (Beijing)", text.String())
	}
	if err := report.ListedEventText(&asJSON, listed, name, false, true); err != nil {
		t.Fatal(err)
	}
	if asJSON.String() != string(stored)+"\n" {
		t.Errorf("--json printed %q, want the stored form", asJSON.String())
	}
}

// The listing and the audit trail show each event's id, the id a void or
// correction names, beside its position.
func TestEventAndAuditTextShowTheEventID(t *testing.T) {
	id := uuid.MustParse("01a231a9-5a45-772b-a411-ded49728227a")
	event := domain.Event{ID: id, Type: domain.TypeDonationReceived, County: "150626", OccurredAt: time.Date(2022, 6, 30, 9, 0, 0, 0, domain.Beijing),
		Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"},
		Data:      domain.DonationReceived{DonationID: "D-1", Campaign: "general", DonorKind: "enterprise", Form: domain.FormMoney, Amount: 100}}
	name := func(code string) string { return code }
	var listed, audited bytes.Buffer
	if err := report.ListedEventText(&listed, app.ListedEvent{Record: eventstore.Record{Position: 29, Event: event}, Event: event}, name, false, false); err != nil {
		t.Fatal(err)
	}
	if want := "    29  " + id.String() + "  2022-06-30 09:00  donation_received "; !strings.HasPrefix(listed.String(), want) {
		t.Errorf("listed as %q, want it to start %q", listed.String(), want)
	}
	report.AuditText(&audited, &projections.AuditTrail{Subject: "D-1", Kind: "entry", Position: 29,
		Entries: []projections.AuditEntry{{Position: 29, EventID: id.String(), Type: event.Type, Actor: "clerk", County: "150626"}}}, name)
	if want := "\n    29  " + id.String() + "  recorded "; !strings.Contains(audited.String(), want) {
		t.Errorf("audit trail %q, want a line starting %q", audited.String(), want)
	}
}

// A sheet's summaries are in the sheet's language, rows counted as rows
// in the right number, and a row that broke a rule of the ledger is
// called refused, not invalid; once a zh import said "1 lines are valid;
// nothing was written (dry run)" and "1 invalid lines were skipped" of a
// refused row. A file's lines keep their English (TestRecordedLinesText).
func TestSheetSummariesInTheSheetsLanguage(t *testing.T) {
	id := uuid.MustParse("0194e2a0-0000-7000-8000-000000000001")
	event := domain.Event{Type: domain.TypeSuppliesDelivered, Actor: "clerk-1"}
	written := app.LineOutcome{Number: 3, Event: event, Result: ledger.Result{EventID: id, Position: 141}}
	found := app.LineOutcome{Number: 4, Event: event, Result: ledger.Result{EventID: id, Position: 7, Duplicate: true, RecordedBy: "clerk-2"}}
	invalid := app.LineOutcome{Number: 5, Err: &domain.ValidationError{Violations: []domain.Violation{{Field: "data.spent", Rule: "must be > 0"}}}}
	refused := app.LineOutcome{Number: 6, Err: &domain.RuleError{Rule: "campaign general: county 150602 would hold -1.00 yuan"}}
	where := map[string]func(int, string) string{
		"zh": func(row int, _ string) string { return fmt.Sprintf("第 %d 行", row) },
		"en": func(row int, _ string) string { return fmt.Sprintf("row %d", row) },
	}
	for _, test := range []struct {
		lang     string
		recorded app.LinesReport
		err      error
		dryRun   bool
		out      string
		problems string
		failure  string
	}{
		{lang: "zh", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}}}, dryRun: true, out: "共 1 行有效，未写入（试运行）\n"},
		{lang: "en", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}}}, dryRun: true, out: "1 row is valid; nothing was written (dry run)\n"},
		{lang: "en", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, found}, Duplicates: 1}, dryRun: true,
			out: "row 4: already recorded supplies_delivered " + id.String() + " at position 7 by clerk-2\n" +
				"2 rows are valid (1 already recorded); nothing was written (dry run)\n"},
		{lang: "zh", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, found}, Duplicates: 1}, dryRun: true,
			out: "第 4 行: 此前已记录 supplies_delivered " + id.String() + "，日志位置 7，记录人 clerk-2\n" +
				"共 2 行有效，其中 1 行此前已记录；未写入（试运行）\n"},
		{lang: "zh", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, invalid, refused}, Invalid: 2},
			err:      fmt.Errorf("2 of 3 lines: %w", app.ErrInvalidLines),
			problems: "第 5 行: must be > 0\n第 6 行: 被拒：campaign general: county 150602 would hold -1.00 yuan\n",
			failure:  "共 3 行，其中 1 行无效、1 行违反台账规则被拒；未写入（请改正后重新导入，或使用 --skip-invalid）"},
		{lang: "en", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, invalid}, Invalid: 1},
			err:      fmt.Errorf("1 of 2 lines: %w", app.ErrInvalidLines),
			problems: "row 5: must be > 0\n",
			failure:  "1 of 2 rows is invalid; nothing was written (fix them, or use --skip-invalid)"},
		{lang: "en", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, invalid, refused}, Invalid: 2},
			err:      fmt.Errorf("2 of 3 lines: %w", app.ErrInvalidLines),
			problems: "row 5: must be > 0\nrow 6: refused: campaign general: county 150602 would hold -1.00 yuan\n",
			failure: "2 of 3 rows are invalid or refused (1 invalid, 1 refused by a rule of the ledger); nothing was written " +
				"(fix them, or use --skip-invalid)"},
		{lang: "zh", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written, refused}, Recorded: 1, Invalid: 1},
			out:      "第 3 行: 已记录 supplies_delivered " + id.String() + "，日志位置 141\n",
			problems: "第 6 行: 被拒：campaign general: county 150602 would hold -1.00 yuan\n已记录 1 条，0 条此前已记录（相同幂等键），跳过 1 行被拒\n",
			failure:  "已跳过 1 行违反台账规则被拒，这些行未写入"},
		{lang: "en", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written, invalid, refused}, Recorded: 1, Invalid: 2},
			out: "row 3: recorded supplies_delivered " + id.String() + " at position 141\n",
			problems: "row 5: must be > 0\nrow 6: refused: campaign general: county 150602 would hold -1.00 yuan\n" +
				"recorded 1 event, 0 already recorded (same idempotency key), skipped 1 invalid and 1 refused\n",
			failure: "1 invalid row and 1 row refused by a rule of the ledger were skipped"},
		{lang: "zh", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}, {Number: 4}}},
			err:     &app.BatchError{Lines: []int{3, 4}, Err: &domain.RuleError{Event: 2, Field: "data.spent", Rule: "too much"}},
			failure: "未写入：第 4 行: 被拒：too much"},
		{lang: "zh", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written, {Number: 4}}, Recorded: 1},
			err: &app.BatchError{Lines: []int{4}, Written: 1, Err: &domain.ValidationError{Violations: []domain.Violation{
				{Event: 1, Field: "data.spent", Rule: "must be > 0"}, {Event: 1, Field: "data.cost", Rule: "must be > 0"}}}},
			out:     "第 3 行: 已记录 supplies_delivered " + id.String() + "，日志位置 141\n",
			failure: "第 4 行均未写入（此前已写入 1 条）：第 4 行: must be > 0; 第 4 行: must be > 0"},
		{lang: "en", recorded: app.LinesReport{Outcomes: []app.LineOutcome{written, {Number: 4}, {Number: 5}}, Recorded: 1},
			err:     &app.BatchError{Lines: []int{4, 5}, Written: 1, Err: &domain.RuleError{Event: 2, Field: "data.spent", Rule: "too much"}},
			out:     "row 3: recorded supplies_delivered " + id.String() + " at position 141\n",
			failure: "rows 4-5 (none of them written; 1 event was written before): row 5: refused: too much"},
		{lang: "en", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}}},
			err: &app.SkipError{Max: 100, Err: &app.BatchError{Lines: []int{3}, Err: &domain.RuleError{Event: 1, Rule: "too much"}}},
			failure: "more than 100 rows are refused by a rule of the ledger, the most that are skipped; nothing was written: " +
				"row 3: refused: too much"},
		{lang: "zh", recorded: app.LinesReport{Outcomes: []app.LineOutcome{{Number: 3}}},
			err:     &app.BatchError{Lines: []int{3}, Unknown: true, Err: errors.New("append: context deadline exceeded")},
			failure: "第 3 行写入结果不明，可能已写入；再次导入同一表格是安全的，已写入的行会按其幂等键认出（此前已写入 0 条）：append: context deadline exceeded"},
	} {
		var out, problems bytes.Buffer
		shown := report.LinesShown{Where: where[test.lang], Words: report.SheetWords(test.lang), DryRun: test.dryRun}
		err := report.RecordedLinesText(&out, &problems, test.recorded, test.err, shown)
		failure := ""
		if err != nil {
			failure = err.Error()
		}
		if out.String() != test.out || problems.String() != test.problems || failure != test.failure {
			t.Errorf("%s: printed\n%q\nand\n%q\nfailing with %q; want\n%q\nand\n%q\nfailing with %q", test.lang, out.String(), problems.String(),
				failure, test.out, test.problems, test.failure)
		}
	}
}

// A listed event's money is grouped by thousands as the totals print it
// (¥500,000.00; before, ¥500000.00 beside totals' 5,100,000.00), while
// the summary printed reports carry keeps its words, which verify-report
// prints again to compare.
func TestEventLineGroupsMoneyAsTotalsDo(t *testing.T) {
	event := eventstoretest.Donation("general", "150626", "D-1", 50000000)
	event.ID = uuid.Must(uuid.NewV7())
	line := report.EventLine(eventstore.Record{Position: 7, Event: event}, func(code string) string { return code })
	if !strings.Contains(line, "D-1 received money ¥500,000.00 from ") {
		t.Errorf("listed as %q, want ¥500,000.00", line)
	}
	if summary := projections.Describe(event.Data); !strings.Contains(summary, "¥500000.00") {
		t.Errorf("the printed reports' summary changed to %q", summary)
	}
	for fen, want := range map[domain.Money]string{0: "0.00", 99: "0.99", 100000: "1,000.00", -512000000: "-5,120,000.00"} {
		if got := report.Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}
