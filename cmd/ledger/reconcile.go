package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/reconcile"
	"github.com/ordos-union/ledger/reconcile/statement"
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
	flags := newFlags(env, "reconcile import", "FILE --profile NAME --account ACCT\n\n"+
		"Imports a bank statement (CSV in GBK/GB18030 or UTF-8, CAMT.053 XML, or XLSX). Each line becomes an event;\n"+
		"importing the same or an overlapping statement again adds nothing. Balances must add up where given.")
	var store storeFlags
	store.register(flags)
	profile := flags.String("profile", "generic", "column profile of CSV and XLSX statements: generic, icbc, ccb, abc or boc")
	account := flags.String("account", "", "our bank account number (default: the one the statement states)")
	actor := flags.String("actor", envOr("LEDGER_ACTOR", envOr("USER", "finance")), "who imports it")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one statement FILE")
	}
	data, err := os.ReadFile(flags.Arg(0))
	if err != nil {
		return err
	}
	parsed, err := statement.Parse(flags.Arg(0), data, *profile)
	if err != nil {
		return err
	}
	if *account == "" {
		*account = parsed.Account
	}
	if *account == "" {
		return usagef("the statement does not say its account: give --account")
	}
	imported, err := reconcile.BuildImport(parsed, *account, *actor, flags.Arg(0), time.Now())
	if err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	written, already := 0, 0
	for start := 0; start < len(imported.Events); start += 1000 {
		batch := imported.Events[start:min(start+1000, len(imported.Events))]
		for i := range batch {
			batch[i].County = opened.catalog.CityCode()
		}
		results, err := opened.service.Record(ctx, batch)
		if err != nil {
			return fmt.Errorf("import (lines %d-%d; %d earlier lines were written): %w", start+1, start+len(batch), written, err)
		}
		for _, result := range results {
			if result.Duplicate {
				already++
			} else {
				written++
			}
		}
	}
	fmt.Fprintf(env.stdout, "%s (%s, account %s): %d lines imported, %d already imported, %d printed twice by the bank and skipped\n",
		flags.Arg(0), parsed.Format, reconcile.AccountCode(*account), written, already, len(imported.Repeats))
	return nil
}

func reconcileNow(ctx context.Context, opened *opened) (reconcile.Result, error) {
	book, err := reconcile.BuildBook(ctx, opened.store, opened.unseal())
	if err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Reconcile(book, reconcile.Options{Now: time.Now()}), nil
}

func runReconcileReport(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "reconcile report", "[--format table|json|csv|xlsx] [--out FILE]")
	var store storeFlags
	store.register(flags)
	format := flags.String("format", "table", "table, json, csv (Chinese headers, UTF-8 with BOM) or xlsx")
	out := flags.String("out", "", "write to this new file, mode 0600 (required for xlsx)")
	force := flags.Bool("force", false, "replace an existing --out file")
	if err := parse(flags, args); err != nil {
		return err
	}
	if *format == "xlsx" && *out == "" {
		return usagef("--format xlsx needs --out FILE")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	result, err := reconcileNow(ctx, opened)
	if err != nil {
		return err
	}
	if err := opened.recordOperatorAccess(ctx, "ledger reconcile report"); err != nil {
		return err
	}
	writer := env.stdout
	if *out != "" {
		file, err := createOutput(*out, *force)
		if err != nil {
			return err
		}
		defer file.Close()
		writer = file
	}
	switch *format {
	case "json":
		encoded, err := json.MarshalIndent(result, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(writer, string(encoded))
		return err
	case "csv":
		return result.WriteCSV(writer)
	case "xlsx":
		return result.WriteXLSX(writer)
	case "table":
	default:
		return usagef("--format must be table, json, csv or xlsx")
	}
	var rows [][]string
	for _, summary := range result.Summaries() {
		rows = append(rows, []string{summary.Item, itoa(int64(summary.Count)), yuan(summary.Amount)})
	}
	writeTable(writer, [][]string{{"项目 Item", "笔数 Count", "金额 Amount ¥"}}, rows)
	fmt.Fprintf(writer, "\nAs of log position %d.\n", result.Position)
	if len(result.Suggested) > 0 {
		fmt.Fprintln(writer, "\nSuggested (ledger reconcile confirm ID / reject ID --reason ...):")
		for _, match := range result.Suggested {
			var lines, donations []string
			for _, line := range match.Lines {
				lines = append(lines, fmt.Sprintf("%s %s ¥%s %s", line.Date.Format(time.DateOnly), line.LineID, yuan(line.Amount), line.Counterparty))
			}
			for _, donation := range match.Donations {
				donations = append(donations, fmt.Sprintf("%s ¥%s", donation.DonationID, yuan(donation.Amount)))
			}
			fee := ""
			if match.Fee > 0 {
				fee = " fee ¥" + yuan(match.Fee)
			}
			fmt.Fprintf(writer, "  %s  %-16s %s  ⇄  %s%s\n", match.ID, match.Rule, strings.Join(lines, "; "), strings.Join(donations, ", "), fee)
		}
	}
	if len(result.UnmatchedLines) > 0 {
		fmt.Fprintln(writer, "\nBank lines no donation explains:")
		for _, line := range result.UnmatchedLines {
			fmt.Fprintf(writer, "  %s %s ¥%s %s %s\n", line.Date.Format(time.DateOnly), line.LineID, yuan(line.Amount), line.Counterparty, line.Remark)
		}
	}
	if len(result.UnmatchedDonations) > 0 {
		fmt.Fprintln(writer, "\nDonations recorded as received with no bank line:")
		for _, donation := range result.UnmatchedDonations {
			fmt.Fprintf(writer, "  %s %s ¥%s %s\n", donation.Date.In(beijingZone).Format(time.DateOnly), donation.DonationID, yuan(donation.Amount), donation.Donor)
		}
	}
	return nil
}

var beijingZone = time.FixedZone("CST", 8*3600)

func runReconcileDecision(ctx context.Context, env *environment, kind string, args []string) error {
	flags := newFlags(env, "reconcile "+kind, "ID [--reason R] [--note N]")
	var store storeFlags
	store.register(flags)
	reason := flags.String("reason", "", "why (required for reject, write-off and undo)")
	note := flags.String("note", "", "a note on a confirmation")
	actor := flags.String("actor", envOr("LEDGER_ACTOR", envOr("USER", "finance")), "who decides")
	amountText := flags.String("amount", "", "write-off: the amount (default: the whole line)")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one ID")
	}
	id := flags.Arg(0)
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	book, err := reconcile.BuildBook(ctx, opened.store, opened.unseal())
	if err != nil {
		return err
	}
	request := reconcile.DecisionRequest{Action: kind, ID: id, Reason: *reason, Note: *note}
	if *amountText != "" {
		amount, err := domain.ParseYuan(*amountText)
		if err != nil {
			return usagef("--amount: %v", err)
		}
		request.Amount = &amount
	}
	data, err := reconcile.Reconcile(book, reconcile.Options{Now: time.Now()}).Decision(book, request)
	if err != nil {
		return err
	}
	event := domain.Event{Type: data.EventType(), County: opened.catalog.CityCode(), OccurredAt: time.Now(), Actor: *actor, Data: data}
	results, err := opened.service.Record(ctx, []domain.Event{event})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "recorded %s %s at position %d\n", event.Type, results[0].EventID, results[0].Position)
	return nil
}

func runPeriod(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || (args[0] != "close" && args[0] != "reopen") {
		return usagef("period needs close YYYY-MM or reopen YYYY-MM --reason R")
	}
	kind := args[0]
	flags := newFlags(env, "period "+kind, "YYYY-MM [--reason R] [--note N]")
	var store storeFlags
	store.register(flags)
	reason := flags.String("reason", "", "why it is reopened (required for reopen)")
	note := flags.String("note", "", "a note on the close")
	actor := flags.String("actor", envOr("LEDGER_ACTOR", envOr("USER", "finance")), "who closes or reopens")
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
	var data domain.Payload = domain.PeriodClosed{Month: flags.Arg(0), Note: *note}
	if kind == "reopen" {
		data = domain.PeriodReopened{Month: flags.Arg(0), Reason: *reason}
	}
	event := domain.Event{Type: data.EventType(), County: opened.catalog.CityCode(), OccurredAt: time.Now(), Actor: *actor, Data: data}
	results, err := opened.service.Record(ctx, []domain.Event{event})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "recorded %s %s at position %d\n", event.Type, results[0].EventID, results[0].Position)
	if kind == "close" {
		// Every month close gets a checkpoint. The close itself is recorded
		// either way; a checkpoint that could not be signed is said, and
		// `ledger checkpoint` signs one later.
		keys, tree, err := opened.signingTree(ctx, &store)
		if err == nil {
			var checkpoint integrity.Checkpoint
			if checkpoint, _, err = writeCheckpoint(ctx, opened, tree, keys, time.Now()); err == nil {
				fmt.Fprintf(env.stdout, "checkpoint of %d events signed at the close\n", checkpoint.Size)
			}
		}
		if err != nil {
			fmt.Fprintf(env.stderr, "ledger period: the close is recorded but no checkpoint was signed: %v\n", err)
		}
	}
	return nil
}

func runPledges(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "pledges", "[--json]\n\nOutstanding pledges with ageing (0-30, 31-90, 90+ days) per donor, campaign and county.")
	var store storeFlags
	store.register(flags)
	asJSON := flags.Bool("json", false, "print as JSON")
	if err := parse(flags, args); err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	result, err := reconcileNow(ctx, opened)
	if err != nil {
		return err
	}
	if err := opened.recordOperatorAccess(ctx, "ledger pledges"); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, result.Outstanding)
	}
	var rows [][]string
	totals := map[string]domain.Money{}
	for _, pledge := range result.Outstanding {
		rows = append(rows, []string{pledge.Donor, pledge.Campaign, opened.catalog.RegionName(pledge.County), pledge.DonationID,
			yuan(pledge.Amount), itoa(int64(pledge.AgeDays)), pledge.Bucket})
		totals[pledge.Bucket] += pledge.Amount
	}
	writeTable(env.stdout, [][]string{{"捐赠人 Donor", "活动 Campaign", "地区 County", "编号 Donation", "金额 Amount ¥", "天数 Days", "账龄 Bucket"}}, rows)
	fmt.Fprintf(env.stdout, "\n0-30 days ¥%s · 31-90 days ¥%s · 90+ days ¥%s\n", yuan(totals[reconcile.Bucket0to30]),
		yuan(totals[reconcile.Bucket31to90]), yuan(totals[reconcile.BucketOver90]))
	return nil
}
