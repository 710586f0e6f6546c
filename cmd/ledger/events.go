package main

import (
	"context"
	"fmt"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/report"
)

func runEvents(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "events", "[--county CODE] [--campaign CODE] [--type TYPE] [--after POSITION] [--follow] [--json]")
	county := flags.String("county", "", "only events of this region")
	campaign := flags.String("campaign", "", "only events of this campaign")
	eventType := flags.String("type", "", "only events of this type, e.g. donation_received")
	after := flags.Uint64("after", 0, "start after this log position")
	since := flags.String("since", "", "only events recorded at or after this instant (RFC 3339, or a day: its start in Beijing time)")
	limit := flags.Int("limit", 0, "stop after this many events (0: no limit)")
	follow := flags.Bool("follow", false, "keep printing new events until interrupted")
	asJSON := flags.Bool("json", false, "print each event as stored, one JSON object a line")
	personal := flags.Bool("personal", false, "open sealed personal data (erased persons read as erased); with --json, prints events with their personal part")
	if err := parseArgs(flags, args, 0, ""); err != nil {
		return err
	}
	query := app.EventsQuery{After: *after, County: *county, Campaign: *campaign, Type: domain.EventType(*eventType), Limit: *limit,
		Follow: *follow, Personal: *personal}
	if *since != "" {
		parsed, err := domain.ParseStart(*since)
		if err != nil {
			return usagef("--since: %v", err)
		}
		query.RecordedFrom = parsed
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	if *personal {
		if err := opened.RecordOperatorAccess(ctx, operator(), "ledger events --personal"); err != nil {
			return err
		}
	}
	printed := 0
	for listed, err := range opened.App.Events(ctx, query) {
		if err != nil {
			return err
		}
		if err := printEvent(env, listed, opened.Catalog.RegionName, *personal, *asJSON); err != nil {
			return err
		}
		printed++
	}
	if !*asJSON && !*follow {
		fmt.Fprintf(env.stderr, "%d events\n", printed)
	}
	return nil
}

// printEvent prints one listed event: as a line for people or as JSON,
// with its personal part opened when personal (and the read logged).
func printEvent(env *environment, listed app.ListedEvent, name report.RegionName, personal, asJSON bool) error {
	if personal {
		env.logger.Info("personal data read", "event", listed.Event.ID.String(), "subjects", listed.Subjects)
	}
	switch {
	case personal && asJSON:
		line, err := listed.Event.Marshal()
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, string(line))
	case personal:
		fmt.Fprintln(env.stdout, report.EventLine(listed.Record, name), report.PersonalSummary(listed.Event.Personal))
	case asJSON:
		fmt.Fprintln(env.stdout, string(listed.Data))
	default:
		fmt.Fprintln(env.stdout, report.EventLine(listed.Record, name))
	}
	return nil
}
