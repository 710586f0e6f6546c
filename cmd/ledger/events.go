package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/report"
)

func runEvents(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "events", "[--county CODE] [--campaign CODE] [--type TYPE] [--after POSITION] [--follow] [--json]")
	county := flags.String("county", "", "only events of this region")
	campaign := flags.String("campaign", "", "only events of this campaign")
	eventType := flags.String("type", "", "only events of this type, e.g. donation_received")
	after := flags.Uint64("after", 0, "start after this log position")
	since := flags.String("since", "", "only events recorded at or after this time (RFC 3339)")
	limit := flags.Int("limit", 0, "stop after this many events (0: no limit)")
	follow := flags.Bool("follow", false, "keep printing new events until interrupted")
	asJSON := flags.Bool("json", false, "print each event as stored, one JSON object a line")
	personal := flags.Bool("personal", false, "open sealed personal data (erased persons read as erased); with --json, prints events with their personal part")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("unexpected arguments %v", flags.Args())
	}
	filter := eventstore.Filter{County: *county, Type: domain.EventType(*eventType)}
	if *campaign != "" {
		filter.AggregateKind, filter.AggregateID = domain.AggregateCampaign, *campaign
	}
	if *since != "" {
		parsed, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			return usagef("--since %q: use RFC 3339, e.g. 2022-06-01T00:00:00+08:00", *since)
		}
		filter.RecordedFrom = parsed
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
	read := opened.Store.Read
	if *follow {
		read = opened.Store.Subscribe
	}
	printed := 0
	for record, err := range read(ctx, *after, filter) {
		if err != nil {
			return err
		}
		if *personal {
			event := record.Event
			if err := opened.Sealer.Unseal(ctx, &event); err != nil {
				return err
			}
			env.logger.Info("personal data read", "event", event.ID.String(), "subjects", privacy.Subjects(event))
			event.Sealed = nil
			if *asJSON {
				line, err := event.Marshal()
				if err != nil {
					return err
				}
				fmt.Fprintln(env.stdout, string(line))
			} else {
				fmt.Fprintln(env.stdout, report.EventLine(record, opened.Catalog.RegionName), report.PersonalSummary(event.Personal))
			}
		} else if *asJSON {
			fmt.Fprintln(env.stdout, string(record.Data))
		} else {
			fmt.Fprintln(env.stdout, report.EventLine(record, opened.Catalog.RegionName))
		}
		printed++
		if *limit > 0 && printed >= *limit {
			break
		}
	}
	if !*asJSON && !*follow {
		fmt.Fprintf(env.stderr, "%d events\n", printed)
	}
	return nil
}
