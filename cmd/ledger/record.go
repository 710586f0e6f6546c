package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/report"
)

func runRecord(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "donation", "allocation", "delivery", "training", "service", "void":
			return runRecordShortcut(ctx, env, args[0], args[1:])
		}
	}
	flags, store := newLedgerFlags(env, "record", "FILE|- [--skip-invalid]\n       ledger record donation|allocation|delivery|training|service|void --help\n\n"+
		"FILE holds events as JSON Lines, a JSON array or one JSON object (see docs/EVENTS.md).\n"+
		"Every line is checked first: one bad line writes nothing (unless --skip-invalid).\n"+
		"Events are then written in atomic batches of up to 1000.")
	skipInvalid := flags.Bool("skip-invalid", false, "write the valid lines and report the invalid ones, instead of writing nothing")
	asJSON := flags.Bool("json", false, "print results as JSON lines")
	if err := parseArgs(flags, args, 1, "give one FILE, or - for standard input"); err != nil {
		return err
	}
	input := env.stdin
	if name := flags.Arg(0); name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		input = file
	}
	lines, err := ledger.ReadEvents(input)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("no events in the input")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	return recordLines(ctx, env, opened.App, lines, recordOptions{skipInvalid: *skipInvalid, asJSON: *asJSON})
}

// recordOptions say how recordLines works and reports.
type recordOptions struct {
	skipInvalid, asJSON bool
	// where names a line's field for people ("line 7: data.amount");
	// nil is that form.
	where func(number int, field string) string
	// dryRun checks every line and writes nothing.
	dryRun bool
}

func recordLines(ctx context.Context, env *environment, use *app.Ledger, lines []ledger.Line, options recordOptions) error {
	if options.where == nil {
		options.where = report.LineWhere
	}
	recorded, err := use.RecordLines(ctx, lines, app.LinesOptions{SkipInvalid: options.skipInvalid, DryRun: options.dryRun})
	for _, outcome := range recorded.Outcomes {
		switch {
		case outcome.Err != nil:
			report.LineErrorText(env.stderr, outcome.Number, outcome.Err, options.where)
		case outcome.Result.EventID != uuid.Nil:
			if err := report.RecordedText(env.stdout, outcome.Number, outcome.Event, outcome.Result, options.asJSON); err != nil {
				return err
			}
		}
	}
	var batch *app.BatchError
	switch {
	case errors.Is(err, app.ErrInvalidLines):
		return fmt.Errorf("%d of %d lines are invalid; nothing was written (fix them, or use --skip-invalid)", recorded.Invalid, len(lines))
	case errors.As(err, &batch) && batch.Written == 0 && len(batch.Lines) == len(lines)-recorded.Invalid:
		return fmt.Errorf("nothing was written: %s", renumber(batch.Err, batch.Lines, options.where))
	case errors.As(err, &batch):
		return fmt.Errorf("lines %d-%d (none of them written; %d earlier events were): %s",
			batch.Lines[0], batch.Lines[len(batch.Lines)-1], batch.Written, renumber(batch.Err, batch.Lines, options.where))
	case err != nil:
		return err
	}
	if options.dryRun {
		fmt.Fprintf(env.stdout, "%d lines are valid; nothing was written (dry run)\n", len(lines)-recorded.Invalid)
		return nil
	}
	fmt.Fprintf(env.stderr, "recorded %d events, %d already recorded (same idempotency key), %d invalid skipped\n",
		recorded.Recorded, recorded.Duplicates, recorded.Invalid)
	if recorded.Invalid > 0 {
		return fmt.Errorf("%d invalid lines were skipped", recorded.Invalid)
	}
	return nil
}

// renumber names each problem of a batch's error by the input line its
// event came from.
func renumber(err error, numbers []int, where func(number int, field string) string) string {
	return domain.DescribeAt(err, func(event int, field string) string {
		if event > len(numbers) {
			return fmt.Sprintf("events[%d]", event-1)
		}
		return where(numbers[event-1], field)
	})
}

// shortcutFlagNames names the flag behind each field of a shortcut's errors.
var shortcutFlagNames = map[string]string{"amount": "--amount", "items": "--items", "occurred_at": "--occurred-at",
	"key": "--key", "target": "--target", "kind": "KIND"}

// registerShortcut binds the flags of `ledger record KIND` to the entry's
// fields.
func registerShortcut(flags *flag.FlagSet, s *app.Shortcut) {
	flags.StringVar(&s.Campaign, "campaign", "general", "campaign code (see the catalog)")
	flags.StringVar(&s.County, "county", "", "region code, e.g. 150626 for 乌审旗 Uxin")
	flags.StringVar(&s.OccurredAt, "occurred-at", "", "when it happened, RFC 3339 or YYYY-MM-DD in Beijing time (default: now)")
	flags.StringVar(&s.Actor, "actor", actorNamed("cli"), "who records it (env LEDGER_ACTOR)")
	flags.StringVar(&s.Key, "key", "", "idempotency key: repeating the command with the same key records once (no personal data)")
	flags.StringVar(&s.Note, "note", "", "free note")
	flags.StringVar(&s.Amount, "amount", "", "amount in yuan, e.g. 5000.00 (donation, allocation); spent or cost for delivery, training, service")
	flags.StringVar(&s.Items, "items", "", "goods as item:quantity:value-yuan, comma separated (donation of goods, delivery)")
	flags.StringVar(&s.DonorKind, "donor-kind", "enterprise", "donation: enterprise, organisation, union-allocation or individual")
	flags.StringVar(&s.DonorOrg, "donor-org", "", "donation: the donating organisation's name")
	flags.StringVar(&s.DonorName, "donor-name", "", "donation by an individual: name (personal data, erasable)")
	flags.StringVar(&s.DonorPhone, "donor-phone", "", "donation by an individual: phone (personal data, erasable)")
	flags.StringVar(&s.BankRef, "bank-ref", "", "donation: bank serial number")
	flags.StringVar(&s.From, "from", "", "allocation: region the money leaves (default: the city level)")
	flags.StringVar(&s.Group, "group", "", "delivery, training, service: beneficiary group")
	flags.Int64Var(&s.Headcount, "headcount", 0, "delivery: people reached")
	flags.StringVar(&s.SiteKind, "site-kind", "", "delivery, service: site kind")
	flags.StringVar(&s.SiteName, "site", "", "delivery, service: site name")
	flags.StringVar(&s.Topic, "topic", "", "training: topic code")
	flags.StringVar(&s.Title, "title", "", "training: title")
	flags.StringVar(&s.Format, "format", "offline", "training: online, offline or both")
	flags.Int64Var(&s.Participants, "participants", 0, "training: participants")
	flags.Int64Var(&s.Minutes, "minutes", 0, "training: duration in minutes")
	flags.StringVar(&s.Venue, "venue", "", "training: venue")
	flags.StringVar(&s.Service, "kind", "", "service: health-checkup, legal-consultation, visit, station-opened or assistance")
	flags.Int64Var(&s.Count, "count", 0, "service: how many services")
	flags.Int64Var(&s.PersonTimes, "person-times", 0, "service: person-times served (人次)")
	flags.StringVar(&s.Target, "target", "", "void: id of the event to void")
	flags.StringVar(&s.Reason, "reason", "", "void: why")
}

func runRecordShortcut(ctx context.Context, env *environment, kind string, args []string) error {
	flags, store := newLedgerFlags(env, "record "+kind, "[flags]")
	shortcut := app.Shortcut{Kind: kind}
	registerShortcut(flags, &shortcut)
	opened, err := openParsed(ctx, env, flags, store, args, 0, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	event, err := opened.App.ShortcutEvent(ctx, shortcut)
	if err != nil {
		return flagged(err, shortcutFlagNames)
	}
	return recordLines(ctx, env, opened.App, []ledger.Line{{Number: 1, Event: event}}, recordOptions{})
}
