package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
)

// A listing keeps a campaign's events (the campaign is the aggregate they
// belong to) and a region's, and stops at its limit: what the command line
// and the API both ask.
func TestEventsFiltersAndStopsAtTheLimit(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	events := []domain.Event{
		eventstoretest.Donation("general", "150626", "D-1", 100000),
		eventstoretest.Donation("2022-summer-cooling", "150626", "D-2", 200000),
		eventstoretest.Donation("general", "150621", "D-3", 300000),
		eventstoretest.Donation("general", "150626", "D-4", 400000),
	}
	if _, err := ledger.App.Record(ctx, events); err != nil {
		t.Fatal(err)
	}
	// The donations are named by their ids: the ledger, not this test,
	// decides their positions within the batch.
	list := func(query app.EventsQuery) []string {
		t.Helper()
		var ids []string
		for listed, err := range ledger.App.Events(ctx, query) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, listed.Event.Data.(domain.DonationReceived).DonationID)
		}
		return ids
	}
	for name, test := range map[string]struct {
		query app.EventsQuery
		want  string
	}{
		"campaign":            {app.EventsQuery{Campaign: "general"}, "D-1 D-3 D-4"},
		"campaign and region": {app.EventsQuery{Campaign: "general", County: "150626"}, "D-1 D-4"},
		"limit":               {app.EventsQuery{Campaign: "general", Limit: 2}, "D-1 D-3"},
	} {
		if got := strings.Join(list(test.query), " "); got != test.want {
			t.Errorf("%s: listed %s, want %s", name, got, test.want)
		}
	}
	// After a position, the listing starts with the next one.
	all := list(app.EventsQuery{})
	if len(all) != 4 {
		t.Fatalf("all: listed %v, want 4 donations", all)
	}
	if got := list(app.EventsQuery{After: 1, Limit: 1}); len(got) != 1 || got[0] != all[1] {
		t.Errorf("after 1, limit 1: listed %v, want [%s]", got, all[1])
	}
}
