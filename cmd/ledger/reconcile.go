package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
	"github.com/ordos-union/ledger/report"
)

func runReconcile(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 {
		return usagef("reconcile needs a subcommand: import, report, confirm, reject, write-off or undo")
	}
	switch args[0] {
	case "import":
		return runReconcileImport(ctx, env, args[1:])
	case "report":
		return runReconcileReport(ctx, env, args[1:])
	case "confirm", "reject", "write-off", "undo":
		return runReconcileDecision(ctx, env, args[0], args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(env.stdout, "Usage: ledger reconcile import FILE --profile NAME --account ACCT | report [--format table|json|csv|xlsx] [--out FILE] |\n"+
			"       confirm SUGGESTION-ID | reject SUGGESTION-ID --reason R | write-off LINE-ID --reason R | undo EVENT-ID --reason R")
		return nil
	}
	return usagef("unknown reconcile subcommand %q", args[0])
}

func runReconcileImport(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "reconcile import", "FILE [--profile NAME] [--account ACCT] [--dry-run] [--strict] [--accept-balance-gap]\n\n"+
		"Imports a bank statement (CSV in GBK/GB18030 or UTF-8, CAMT.053 XML, or XLSX). A line is the bank's: importing the same\n"+
		"statement again, under any name, in any encoding or by any clerk, adds nothing; an overlapping statement adds only its\n"+
		"new lines. Balances must add up, and the opening balance must be the ledger's balance before the statement's first day.")
	profile := flags.String("profile", "", "column profile of CSV and XLSX statements: "+strings.Join(statement.ProfileNames(), ", ")+
		" (default: detected from the headers)")
	account := flags.String("account", "", "our bank account number (default: the one the statement states)")
	actor := actorFlag(flags, "finance", "who imports it")
	dryRun := flags.Bool("dry-run", false, "show what would be imported and write nothing")
	strict := flags.Bool("strict", false, "refuse a statement whose printed totals (合计) disagree with its lines")
	acceptGap := flags.Bool("accept-balance-gap", false, "import although the opening balance disagrees with the ledger (recorded with the import)")
	if err := parseArgs(flags, args, 1, "give one statement FILE"); err != nil {
		return err
	}
	data, err := statement.ReadFile(flags.Arg(0))
	if err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	result, parsed, err := opened.App.ImportStatement(ctx, app.StatementRequest{FileName: filepath.Base(flags.Arg(0)), Data: data,
		Profile: *profile, Account: *account, Actor: *actor, Strict: *strict, AcceptBalanceGap: *acceptGap, Preview: *dryRun})
	if err == nil && *dryRun {
		err = result.Refused()
	}
	report.ImportText(env.stdout, flags.Arg(0), parsed, result, *dryRun)
	return flagged(err, importFlags)
}

// importFlags names the flag behind each field of an import's errors.
var importFlags = map[string]string{"account": "--account"}

// flagged rewrites the fields of a validation error or refusal into the
// flags that set them ("--reason is required"), and makes it a usage error;
// an error about anything else is returned as it is.
func flagged(err error, names map[string]string) error {
	if err == nil {
		return nil
	}
	field := func(path string) (string, bool) {
		path = strings.TrimPrefix(path, "data.")
		name, ok := names[path]
		return name, ok
	}
	var validation *domain.ValidationError
	if errors.As(err, &validation) {
		var messages []string
		all := true
		for _, violation := range validation.Violations {
			if name, ok := field(violation.Field); ok {
				messages = append(messages, name+" "+violation.Rule)
			} else {
				all = false
				messages = append(messages, violation.String())
			}
		}
		if all {
			return usagef("%s", strings.Join(messages, "; "))
		}
		return fmt.Errorf("%s: %w", strings.Join(messages, "; "), domain.ErrInvalid)
	}
	var rule *domain.RuleError
	if errors.As(err, &rule) {
		if name, ok := field(rule.Field); ok {
			return fmt.Errorf("%s: %s: %w", name, rule.Rule, domain.ErrRejected)
		}
	}
	return err
}

// reconcileNow is the reconciliation with pledges aged as of --as-of; the
// read of the donors' data it holds is logged as the command's.
func reconcileNow(ctx context.Context, opened *opened, asOf, command string) (reconcile.Result, error) {
	_, result, err := opened.App.Reconciliation(ctx, asOf)
	if err != nil {
		return result, flagged(err, map[string]string{"as_of": "--as-of"})
	}
	return result, opened.RecordOperatorAccess(ctx, operator(), command)
}

func runReconcileReport(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "reconcile report", "[--format table|json|csv|xlsx] [--out FILE] [--as-of DATE]")
	asOfText := flags.String("as-of", "", "age outstanding pledges as of this day (YYYY-MM-DD, Beijing time; default now)")
	format := flags.String("format", "table", "table, json, csv (Chinese headers, UTF-8 with BOM) or xlsx")
	var out outputFlags
	out.register(flags, "write to this new file, mode 0600 (required for xlsx)")
	if err := parse(flags, args); err != nil {
		return err
	}
	if *format == "xlsx" && out.path == "" {
		return usagef("--format xlsx needs --out FILE")
	}
	switch *format {
	case "table", "json", "csv", "xlsx":
	default:
		return usagef("--format must be table, json, csv or xlsx")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	result, err := reconcileNow(ctx, opened, *asOfText, "ledger reconcile report")
	if err != nil {
		return err
	}
	var written bytes.Buffer
	if err := report.WriteReconciliation(&written, result, *format); err != nil {
		return err
	}
	return out.write(env, written.Bytes())
}

// decisionFlags names the flag or argument behind each field of a
// decision's errors.
var decisionFlags = map[string]string{"reason": "--reason", "note": "--note", "amount": "--amount", "id": "ID", "line_id": "ID",
	"decision_event_id": "ID", "actor": "--actor"}

func runReconcileDecision(ctx context.Context, env *environment, kind string, args []string) error {
	flags, store := newLedgerFlags(env, "reconcile "+kind, "ID [--reason R] [--note N]")
	reason := flags.String("reason", "", "why (required for reject, write-off and undo)")
	note := flags.String("note", "", "a note on a confirmation")
	actor := actorFlag(flags, "finance", "who decides")
	amountText := flags.String("amount", "", "write-off: the amount (default: the whole line)")
	if err := parseArgs(flags, args, 1, "give one ID"); err != nil {
		return err
	}
	if (kind == "reject" || kind == "write-off" || kind == "undo") && strings.TrimSpace(*reason) == "" {
		return usagef("--reason is required: say why you %s it", kind)
	}
	id := flags.Arg(0)
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	request := reconcile.DecisionRequest{Action: kind, ID: id, Reason: *reason, Note: *note}
	if *amountText != "" {
		amount, err := domain.ParseYuan(*amountText)
		if err != nil {
			return usagef("--amount: %v", err)
		}
		request.Amount = &amount
	}
	event, result, err := opened.App.Decide(ctx, *actor, request)
	if err != nil {
		return flagged(err, decisionFlags)
	}
	fmt.Fprintf(env.stdout, "recorded %s %s at position %d\n", event.Type, result.EventID, result.Position)
	return nil
}

func runPeriod(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || (args[0] != "close" && args[0] != "reopen") {
		return usagef("period needs close YYYY-MM or reopen YYYY-MM --reason R")
	}
	kind := args[0]
	flags, store := newLedgerFlags(env, "period "+kind, "YYYY-MM [--reason R] [--note N]")
	reason := flags.String("reason", "", "why it is reopened (required for reopen)")
	note := flags.String("note", "", "a note on the close")
	actor := actorFlag(flags, "finance", "who closes or reopens")
	if err := parse(flags, args[1:]); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one month YYYY-MM")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	text := *note
	if kind == "reopen" {
		text = *reason
	}
	change, err := opened.ChangePeriod(ctx, kind == "reopen", flags.Arg(0), text, *actor)
	if err != nil {
		return flagged(err, map[string]string{"month": "YYYY-MM", "reason": "--reason", "note": "--note", "actor": "--actor"})
	}
	fmt.Fprintf(env.stdout, "recorded %s %s at position %d\n", change.Event.Type, change.Result.EventID, change.Result.Position)
	if change.Checkpoint != nil {
		fmt.Fprintf(env.stdout, "checkpoint of %d events signed at the close\n", change.Checkpoint.Size)
	} else if change.CheckpointErr != nil {
		fmt.Fprintf(env.stderr, "ledger period: the close is recorded but no checkpoint was signed: %v\n", change.CheckpointErr)
	}
	return nil
}

func runPledges(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "pledges", "[--json] [--as-of DATE]\n\nOutstanding pledges with ageing (0-30, 31-90, 90+ days) per donor, campaign and county,\n"+
		"as of a day (closing June: --as-of 2022-06-30): later pledges are left out, and a pledge received later was still outstanding.")
	asJSON := flags.Bool("json", false, "print as JSON")
	asOfText := flags.String("as-of", "", "age pledges as of this day (YYYY-MM-DD, Beijing time; default now)")
	opened, err := openParsed(ctx, env, flags, store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	result, err := reconcileNow(ctx, opened, *asOfText, "ledger pledges")
	if err != nil {
		return err
	}
	return show(env, *asJSON, result.Outstanding, func(out io.Writer) { report.PledgesTable(out, result, opened.Catalog.RegionName) })
}
