package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
)

// genericStatement is a statement in the generic profile's CSV layout (as
// statement/testdata/utf8-bom-generic.csv) of lines money-in lines of
// 10.00 yuan in June 2022, balances adding up; account gives line n's
// (1-based) counterparty account. Its line n is csv line n+genericRowsBefore.
func genericStatement(lines int, account func(n int) string) []byte {
	var text strings.Builder
	text.WriteString("\ufeff账户交易明细导出\n账号：6222 0206 0201 2345 678,币种：人民币\n\"期初余额：1,000.00\"\n\n")
	text.WriteString("日期,流水号,摘要,对方户名,对方账号,交易金额,余额,备注\n")
	balance := domain.Money(100000)
	for n := 1; n <= lines; n++ {
		balance += 1000
		day := time.Date(2022, 6, 1, 0, 0, 0, 0, cst).AddDate(0, 0, (n-1)*29/lines)
		fmt.Fprintf(&text, "%s,GN%08d,会费收入,鄂尔多斯市某单位%d,%s,+10.00,%s,\n", day.Format("2006/01/02"), n, n, account(n), balance)
	}
	fmt.Fprintf(&text, "\"期末余额：%s\"\n", balance)
	return []byte(text.String())
}

// genericRowsBefore is how many CSV lines come before genericStatement's
// first statement line.
const genericRowsBefore = 5

func plainAccount(n int) string { return fmt.Sprintf("0602 0022 0900 %04d 678", n) }

// preview plans an import as the CLI's --dry-run and the API's preview do.
func (b *books) preview(name string, data []byte) reconcile.ImportPlan {
	b.t.Helper()
	parsed, err := statement.Parse(name, data, "generic")
	if err != nil {
		b.t.Fatalf("parse %s: %v", name, err)
	}
	book, err := reconcile.BuildBook(context.Background(), b.store, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	plan, err := reconcile.PlanImport(book, parsed, reconcile.ImportRequest{FileName: name, County: "150600", Actor: "finance",
		Now: clock(), LineIDs: b.ids, Check: func(event domain.Event) error {
			_, err := b.service.Check(event)
			return err
		}})
	if err != nil {
		b.t.Fatalf("plan %s: %v", name, err)
	}
	return plan
}

// A bank prints a counterparty's account masked (6222****1222): the
// preview and the import agree that the line is fine, and the line keeps
// the account as the bank printed it.
func TestMaskedCounterpartyAccountImportsAsPrinted(t *testing.T) {
	b := newBooks(t)
	data := genericStatement(6, func(n int) string {
		if n == 4 {
			return "6222****1222"
		}
		return plainAccount(n)
	})
	if plan := b.preview("masked.csv", data); plan.Refused() != nil || len(plan.New) != 6 {
		t.Fatalf("preview: %d new, refused: %v", len(plan.New), plan.Refused())
	}
	result, err := b.importData("masked.csv", data, "generic", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || result.Written != 6 {
		t.Fatalf("import wrote %d lines: %v", result.Written, err)
	}
	book, _ := b.reconcile()
	masked := 0
	for _, line := range book.Lines {
		if line.CounterpartyAccount == "6222****1222" {
			masked++
		}
	}
	if masked != 1 {
		t.Fatalf("%d lines hold the masked account as printed, want 1", masked)
	}
}

// A statement of more than one part (400 lines) whose line 900 breaks a
// rule of the ledger writes nothing, in the preview as in the import, and
// the refusal names the line's cell in the file, not an event's field.
func TestLateBadLineOfALargeStatementWritesNothing(t *testing.T) {
	const lines, bad = 3 * domain.StatementPartLinesMax, 900
	b := newBooks(t)
	data := genericStatement(lines, func(n int) string {
		if n == bad {
			return "1222" // too short to be an account, masked or not
		}
		return plainAccount(n)
	})
	where := fmt.Sprintf("csv line %d, column 5 (对方账号)", bad+genericRowsBefore)
	plan := b.preview("large.csv", data)
	if len(plan.Invalid) != 1 || plan.Invalid[0].Line != bad || plan.Invalid[0].Where != where || len(plan.Batches) != 0 {
		t.Fatalf("preview: invalid %+v, %d batches", plan.Invalid, len(plan.Batches))
	}
	head := headOf(t, b)
	result, err := b.importData("large.csv", data, "generic", reconcile.ImportRequest{Actor: "finance"})
	if after := headOf(t, b); after != head || result.Written != 0 {
		t.Fatalf("the refused import wrote %d lines, moved the log from %d to %d: %v", result.Written, head, after, err)
	}
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 1 {
		t.Fatalf("import: %v", err)
	}
	violation := validation.Violations[0]
	if violation.Field != where || violation.Event != 0 || !strings.HasPrefix(violation.Rule, "counterparty account must be") {
		t.Fatalf("violation %+v, want the field %q", violation, where)
	}
	if strings.Contains(err.Error(), "events[") || strings.Contains(err.Error(), "personal.") {
		t.Fatalf("the error names the event, not the statement: %v", err)
	}
	// The same statement with the line put right imports whole, in parts.
	fixed := genericStatement(lines, plainAccount)
	result, err = b.importData("large.csv", fixed, "generic", reconcile.ImportRequest{Actor: "finance"})
	if err != nil || result.Written != lines {
		t.Fatalf("the statement put right wrote %d lines: %v", result.Written, err)
	}
	if book, _ := b.reconcile(); len(book.Imports) != 3 {
		t.Fatalf("the statement put right was recorded in %d parts, want 3", len(book.Imports))
	}
}

// A column the ledger cannot take breaks a rule on every line; the
// refusal names the first 10 and counts the rest.
func TestEveryLineBadNamesABoundedList(t *testing.T) {
	const lines, shown = 1000, 10
	b := newBooks(t)
	data := genericStatement(lines, func(n int) string { return fmt.Sprintf("%04d", n) })
	plan := b.preview("short-accounts.csv", data)
	if len(plan.Invalid) != shown || plan.InvalidMore != lines-shown || len(plan.Problems) != shown+1 {
		t.Fatalf("preview: %d named, %d more, %d problems", len(plan.Invalid), plan.InvalidMore, len(plan.Problems))
	}
	_, err := b.importData("short-accounts.csv", data, "generic", reconcile.ImportRequest{Actor: "finance"})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != shown+1 {
		t.Fatalf("import: %v", err)
	}
	for i, violation := range validation.Violations[:shown] {
		if want := fmt.Sprintf("csv line %d, column 5 (对方账号)", i+1+genericRowsBefore); violation.Field != want {
			t.Fatalf("violation %d names %q, want %q", i, violation.Field, want)
		}
	}
	if last := validation.Violations[shown]; !strings.HasPrefix(last.Rule, fmt.Sprintf("and %d more", lines-shown)) {
		t.Fatalf("the last violation is %+v", last)
	}
	if head := headOf(t, b); head != 0 {
		t.Fatalf("the refused import moved the log to %d", head)
	}
}

// A rule that the import breaks alike on every line (the actor's name is
// too long) is named once, by its field, not once per line.
func TestARuleOfTheImportIsNamedOnce(t *testing.T) {
	b := newBooks(t)
	data := genericStatement(domain.StatementPartLinesMax+1, plainAccount)
	_, err := b.importData("actor.csv", data, "generic", reconcile.ImportRequest{Actor: strings.Repeat("财", 65)})
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 1 || validation.Violations[0].Field != "actor" {
		t.Fatalf("import: %v", err)
	}
	if head := headOf(t, b); head != 0 {
		t.Fatalf("the refused import moved the log to %d", head)
	}
}
