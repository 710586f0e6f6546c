package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/projections"
)

// refusedField is the one field a validation error names, or "" when err
// is not a validation error naming exactly one.
func refusedField(err error) string {
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || len(validation.Violations) != 1 {
		return ""
	}
	return validation.Violations[0].Field
}

// A read filtered by a code the ledger does not know (a mistyped region
// such as 150699, a campaign or event type that does not exist) is
// refused naming the field, not answered with empty figures or an empty
// listing that read as "nothing happened"; known codes still answer, even
// when nothing matches them.
func TestReadsRefuseUnknownCodes(t *testing.T) {
	ctx := context.Background()
	ledger, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	if _, err := ledger.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000)}); err != nil {
		t.Fatal(err)
	}
	for name, test := range map[string]struct {
		request app.TotalsRequest
		field   string
	}{
		"unknown region":               {app.TotalsRequest{County: "999999"}, "county"},
		"unknown campaign":             {app.TotalsRequest{Campaign: "nope"}, "campaign"},
		"unknown region, folded":       {app.TotalsRequest{County: "150699", AsOf: "2022-06-30"}, "county"},
		"unknown campaign, known at":   {app.TotalsRequest{Campaign: "nope", KnownAt: "2030-01-01"}, "campaign"},
		"a grouping, as before":        {app.TotalsRequest{By: "campaign"}, "by"},
		"known region, nothing in it":  {app.TotalsRequest{County: "150621"}, ""},
		"known campaign and region":    {app.TotalsRequest{County: "150626", Campaign: "general"}, ""},
		"the city, folded as of a day": {app.TotalsRequest{County: "150600", AsOf: "2022-06-30"}, ""},
	} {
		answer, err := ledger.App.Totals(ctx, test.request)
		switch {
		case test.field == "" && err != nil:
			t.Errorf("totals, %s: %v", name, err)
		case test.field != "" && (!errors.Is(err, domain.ErrInvalid) || refusedField(err) != test.field):
			t.Errorf("totals, %s: answered %+v, %v; want a refusal naming %s", name, answer.Rows, err, test.field)
		}
	}
	for name, test := range map[string]struct {
		query app.EventsQuery
		field string
	}{
		"unknown region":        {app.EventsQuery{County: "999999"}, "county"},
		"unknown campaign":      {app.EventsQuery{Campaign: "nope"}, "campaign"},
		"unknown type":          {app.EventsQuery{Type: "nope"}, "type"},
		"unknown type, follow":  {app.EventsQuery{Type: "nope", Follow: true}, "type"},
		"known type and region": {app.EventsQuery{Type: domain.TypeDonationReceived, County: "150626"}, ""},
		"a finance type":        {app.EventsQuery{Type: domain.TypeBankLineImported}, ""},
	} {
		// A listing that follows the log ends only with its context: one
		// that was let through ends here, failing the test.
		bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
		listed, failures := 0, []error{}
		for _, err := range ledger.App.Events(bounded, test.query) {
			if err != nil {
				failures = append(failures, err)
				continue
			}
			listed++
		}
		cancel()
		switch {
		case test.field == "" && len(failures) > 0:
			t.Errorf("events, %s: %v", name, failures)
		case test.field != "" && (listed != 0 || len(failures) != 1 || refusedField(failures[0]) != test.field):
			t.Errorf("events, %s: listed %d, errors %v; want only a refusal naming %s", name, listed, failures, test.field)
		}
	}
}

// The copies of a log that fold their own totals (a mirror) check a
// question with the ledger's own rule, against the catalog they are given.
func TestCheckTotalsQuery(t *testing.T) {
	catalog := domain.DefaultCatalog()
	for query, field := range map[projections.Query]string{
		{}: "",
		{County: "150626", Campaign: "2022-summer-cooling", By: projections.ByMonth}: "",
		{County: "999999"}: "county",
		{Campaign: "nope"}: "campaign",
		{By: "week"}:       "by",
	} {
		err := app.CheckTotalsQuery(catalog, query)
		if got := refusedField(err); got != field || (field == "") != (err == nil) {
			t.Errorf("%+v: %v; want the field %q named", query, err, field)
		}
	}
}
