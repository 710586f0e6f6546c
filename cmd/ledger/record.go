package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

func runRecord(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "donation", "allocation", "delivery", "training", "service", "void":
			return runRecordShortcut(ctx, env, args[0], args[1:])
		}
	}
	flags := newFlags(env, "record", "FILE|- [--skip-invalid]\n       ledger record donation|allocation|delivery|training|service|void --help\n\n"+
		"FILE holds events as JSON Lines, a JSON array or one JSON object (see docs/EVENTS.md).\n"+
		"Every line is checked first: one bad line writes nothing (unless --skip-invalid).\n"+
		"Events are then written in atomic batches of up to 1000.")
	var store storeFlags
	store.register(flags)
	skipInvalid := flags.Bool("skip-invalid", false, "write the valid lines and report the invalid ones, instead of writing nothing")
	asJSON := flags.Bool("json", false, "print results as JSON lines")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one FILE, or - for standard input")
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

func lineWhere(number int, field string) string {
	if field == "" || field == "$" {
		return fmt.Sprintf("line %d", number)
	}
	return fmt.Sprintf("line %d: %s", number, field)
}

func recordLines(ctx context.Context, env *environment, use *app.Ledger, lines []ledger.Line, options recordOptions) error {
	if options.where == nil {
		options.where = lineWhere
	}
	report, err := use.RecordLines(ctx, lines, app.LinesOptions{SkipInvalid: options.skipInvalid, DryRun: options.dryRun})
	for _, outcome := range report.Outcomes {
		switch {
		case outcome.Err != nil:
			printLineError(env, outcome.Number, outcome.Err, options.where)
		case outcome.Result.EventID != uuid.Nil:
			printResult(env, outcome.Number, outcome.Event, outcome.Result, options.asJSON)
		}
	}
	var batch *app.BatchError
	switch {
	case errors.Is(err, app.ErrInvalidLines):
		return fmt.Errorf("%d of %d lines are invalid; nothing was written (fix them, or use --skip-invalid)", report.Invalid, len(lines))
	case errors.As(err, &batch) && batch.Written == 0 && len(batch.Lines) == len(lines)-report.Invalid:
		return fmt.Errorf("nothing was written: %s", renumber(batch.Err, batch.Lines, options.where))
	case errors.As(err, &batch):
		return fmt.Errorf("lines %d-%d (none of them written; %d earlier events were): %s",
			batch.Lines[0], batch.Lines[len(batch.Lines)-1], batch.Written, renumber(batch.Err, batch.Lines, options.where))
	case err != nil:
		return err
	}
	if options.dryRun {
		fmt.Fprintf(env.stdout, "%d lines are valid; nothing was written (dry run)\n", len(lines)-report.Invalid)
		return nil
	}
	fmt.Fprintf(env.stderr, "recorded %d events, %d already recorded (same idempotency key), %d invalid skipped\n",
		report.Recorded, report.Duplicates, report.Invalid)
	if report.Invalid > 0 {
		return fmt.Errorf("%d invalid lines were skipped", report.Invalid)
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

func printLineError(env *environment, number int, err error, where func(number int, field string) string) {
	var validation *domain.ValidationError
	if errors.As(err, &validation) {
		for _, violation := range validation.Violations {
			fmt.Fprintf(env.stderr, "%s: %s\n", where(number, violation.Field), violation.Rule)
		}
		return
	}
	fmt.Fprintf(env.stderr, "%s: %v\n", where(number, ""), err)
}

func printResult(env *environment, number int, event domain.Event, result ledger.Result, asJSON bool) {
	if asJSON {
		line, _ := json.Marshal(struct {
			Line int `json:"line"`
			ledger.Result
		}{number, result})
		fmt.Fprintln(env.stdout, string(line))
		return
	}
	state := "recorded"
	if result.Duplicate {
		state = "already recorded"
	}
	fmt.Fprintf(env.stdout, "line %d: %s %s %s at position %d\n", number, state, event.Type, result.EventID, result.Position)
}

// findEvent returns the event with an event id.
func findEvent(ctx context.Context, opened *opened, id string) (domain.Event, error) {
	if _, err := uuid.Parse(id); err != nil {
		return domain.Event{}, usagef("--target %q is not an event id (a UUID)", id)
	}
	record, err := opened.App.Find(ctx, id)
	if err != nil {
		return domain.Event{}, err
	}
	return record.Event, nil
}

// entryFlags are the flags the shortcuts share.
type entryFlags struct {
	campaign, county, occurredAt, actor, key, note string
}

func (e *entryFlags) register(flags *flag.FlagSet) {
	flags.StringVar(&e.campaign, "campaign", "general", "campaign code (see the catalog)")
	flags.StringVar(&e.county, "county", "", "region code, e.g. 150626 for 乌审旗 Uxin")
	flags.StringVar(&e.occurredAt, "occurred-at", "", "when it happened, RFC 3339 or YYYY-MM-DD (default: now)")
	flags.StringVar(&e.actor, "actor", envOr("LEDGER_ACTOR", envOr("USER", "cli")), "who records it (env LEDGER_ACTOR)")
	flags.StringVar(&e.key, "key", "", "idempotency key: repeating the command with the same key records once (no personal data)")
	flags.StringVar(&e.note, "note", "", "free note")
}

func (e *entryFlags) envelope(eventType domain.EventType, data domain.Payload, now time.Time) (domain.Event, error) {
	occurred := now
	if e.occurredAt == "" && e.key != "" {
		// "now" differs on every run, so a repeated command would carry
		// different content under the same key and be refused.
		return domain.Event{}, usagef("--key needs --occurred-at, so that repeating the command records the same entry")
	}
	if e.occurredAt != "" {
		var err error
		occurred, err = time.Parse(time.RFC3339, e.occurredAt)
		if err != nil {
			occurred, err = time.ParseInLocation("2006-01-02", e.occurredAt, time.Local)
			if err != nil {
				return domain.Event{}, usagef("--occurred-at %q: use RFC 3339 (2022-06-15T09:30:00+08:00) or YYYY-MM-DD", e.occurredAt)
			}
		}
	}
	return domain.Event{Type: eventType, County: e.county, OccurredAt: occurred, Actor: e.actor, IdempotencyKey: e.key, Data: data}, nil
}

// entityID derives the entity's id from the idempotency key, so a repeated
// command builds the same entry, or makes a fresh one.
func (e *entryFlags) entityID(prefix string) string {
	if e.key != "" {
		return prefix + "-" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(e.key)).String()[:18]
	}
	return prefix + "-" + uuid.Must(uuid.NewV7()).String()
}

// parseItems reads "drinking-water:100:3000.00,sunscreen:50:1500" as
// item:quantity:value-in-yuan.
func parseItems(text string) ([]domain.GoodsItem, error) {
	if text == "" {
		return nil, nil
	}
	var items []domain.GoodsItem
	for _, field := range strings.Split(text, ",") {
		parts := strings.Split(strings.TrimSpace(field), ":")
		if len(parts) != 3 {
			return nil, usagef("--items %q: each item is item:quantity:value, e.g. drinking-water:100:3000.00", field)
		}
		quantity, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return nil, usagef("--items %q: quantity must be an integer", field)
		}
		value, err := domain.ParseYuan(parts[2])
		if err != nil {
			return nil, usagef("--items %q: value: %v", field, err)
		}
		items = append(items, domain.GoodsItem{Item: parts[0], Quantity: quantity, Value: value})
	}
	return items, nil
}

func parseMoneyFlag(name, text string) (domain.Money, error) {
	if text == "" {
		return 0, nil
	}
	value, err := domain.ParseYuan(text)
	if err != nil {
		return 0, usagef("--%s: %v", name, err)
	}
	return value, nil
}

// shortcutFlags are the entry fields of `ledger record KIND`.
type shortcutFlags struct {
	amount, items, donorKind, donorOrg, donorName, donorPhone, bankRef, from, group string
	siteKind, siteName, topic, title, format, venue, service, target, reason        string
	headcount, people, minutes, count, times                                        int64
}

func (f *shortcutFlags) register(flags *flag.FlagSet) {
	flags.StringVar(&f.amount, "amount", "", "amount in yuan, e.g. 5000.00 (donation, allocation); spent or cost for delivery, training, service")
	flags.StringVar(&f.items, "items", "", "goods as item:quantity:value-yuan, comma separated (donation of goods, delivery)")
	flags.StringVar(&f.donorKind, "donor-kind", "enterprise", "donation: enterprise, organisation, union-allocation or individual")
	flags.StringVar(&f.donorOrg, "donor-org", "", "donation: the donating organisation's name")
	flags.StringVar(&f.donorName, "donor-name", "", "donation by an individual: name (personal data, erasable)")
	flags.StringVar(&f.donorPhone, "donor-phone", "", "donation by an individual: phone (personal data, erasable)")
	flags.StringVar(&f.bankRef, "bank-ref", "", "donation: bank serial number")
	flags.StringVar(&f.from, "from", "", "allocation: region the money leaves (default: the city level)")
	flags.StringVar(&f.group, "group", "", "delivery, training, service: beneficiary group")
	flags.Int64Var(&f.headcount, "headcount", 0, "delivery: people reached")
	flags.StringVar(&f.siteKind, "site-kind", "", "delivery, service: site kind")
	flags.StringVar(&f.siteName, "site", "", "delivery, service: site name")
	flags.StringVar(&f.topic, "topic", "", "training: topic code")
	flags.StringVar(&f.title, "title", "", "training: title")
	flags.StringVar(&f.format, "format", "offline", "training: online, offline or both")
	flags.Int64Var(&f.people, "participants", 0, "training: participants")
	flags.Int64Var(&f.minutes, "minutes", 0, "training: duration in minutes")
	flags.StringVar(&f.venue, "venue", "", "training: venue")
	flags.StringVar(&f.service, "kind", "", "service: health-checkup, legal-consultation, visit, station-opened or assistance")
	flags.Int64Var(&f.count, "count", 0, "service: how many services")
	flags.Int64Var(&f.times, "person-times", 0, "service: person-times served (人次)")
	flags.StringVar(&f.target, "target", "", "void: id of the event to void")
	flags.StringVar(&f.reason, "reason", "", "void: why")
}

func runRecordShortcut(ctx context.Context, env *environment, kind string, args []string) error {
	flags := newFlags(env, "record "+kind, "[flags]")
	var store storeFlags
	store.register(flags)
	var entry entryFlags
	entry.register(flags)
	var fields shortcutFlags
	fields.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments %v", flags.Args())
	}
	money, err := parseMoneyFlag("amount", fields.amount)
	if err != nil {
		return err
	}
	goods, err := parseItems(fields.items)
	if err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	if kind == "void" {
		// A clerk knows the entry's id, not its campaign and county: look
		// them up in the log.
		original, err := findEvent(ctx, opened, fields.target)
		if err != nil {
			return err
		}
		entry.county = original.County
		entry.campaign = original.Aggregate.ID
	}
	eventType, data, personal := fields.payload(kind, &entry, money, goods, opened.Catalog.CityCode())
	event, err := entry.envelope(eventType, data, time.Now())
	if err != nil {
		return err
	}
	event.Personal = personal
	return recordLines(ctx, env, opened.App, []ledger.Line{{Number: 1, Event: event}}, recordOptions{})
}

// payload builds the entry a shortcut records.
func (f *shortcutFlags) payload(kind string, entry *entryFlags, money domain.Money, goods []domain.GoodsItem,
	cityCode string) (domain.EventType, domain.Payload, *domain.Personal) {
	var site *domain.Site
	if f.siteKind != "" || f.siteName != "" {
		site = &domain.Site{Kind: f.siteKind, Name: f.siteName}
	}
	switch kind {
	case "donation":
		form := domain.FormMoney
		if len(goods) > 0 {
			form = domain.FormGoods
		}
		var personal *domain.Personal
		if f.donorName != "" || f.donorPhone != "" {
			personal = &domain.Personal{Donor: &domain.Person{Name: f.donorName, Phone: f.donorPhone}}
		}
		return domain.TypeDonationReceived, domain.DonationReceived{DonationID: entry.entityID("D"), Campaign: entry.campaign,
			DonorKind: f.donorKind, DonorOrg: f.donorOrg, Form: form, Amount: money, Items: goods, BankReference: f.bankRef,
			Note: entry.note}, personal
	case "allocation":
		source := f.from
		if source == "" {
			source = cityCode
		}
		return domain.TypeFundsAllocated, domain.FundsAllocated{AllocationID: entry.entityID("A"), Campaign: entry.campaign,
			FromCounty: source, ToCounty: entry.county, Amount: money, Purpose: entry.note}, nil
	case "delivery":
		delivery := domain.SuppliesDelivered{DeliveryID: entry.entityID("V"), Campaign: entry.campaign,
			BeneficiaryGroup: f.group, Headcount: f.headcount, Items: goods, Spent: money, Note: entry.note}
		if site != nil {
			delivery.Site = *site
		}
		return domain.TypeSuppliesDelivered, delivery, nil
	case "training":
		return domain.TypeTrainingHeld, domain.TrainingHeld{SessionID: entry.entityID("S"), Campaign: entry.campaign, Topic: f.topic,
			Title: f.title, Format: f.format, Participants: f.people, DurationMinutes: f.minutes, Venue: f.venue,
			BeneficiaryGroup: f.group, Cost: money}, nil
	case "service":
		return domain.TypeServiceProvided, domain.ServiceProvided{ServiceID: entry.entityID("SV"), Campaign: entry.campaign,
			Kind: f.service, BeneficiaryGroup: f.group, Count: f.count, PersonTimes: f.times, Site: site, Cost: money, Note: entry.note}, nil
	}
	// void: the campaign is the voided entry's.
	return domain.TypeEntryVoided, domain.EntryVoided{Campaign: entry.campaign, TargetEventID: f.target, Reason: f.reason}, nil
}
