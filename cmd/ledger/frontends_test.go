package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The command line and the HTTP API are front ends over the same use
// cases: the same totals question (live, grouped, as of a day, known at an
// instant), audit trail and trace give equal answers, tree stamp included,
// whether asked of `ledger serve` over HTTP or of the command line on the
// same data directory.
func TestCommandLineAndAPIGiveTheSameAnswers(t *testing.T) {
	data := t.TempDir()
	runLedger(t, "", "demo", "--data", data).expect(t, 0)
	served := startServe(t, data)
	for _, question := range []struct {
		api string
		cli []string
	}{
		{"/api/v1/totals", []string{"totals", "--format", "json"}},
		{"/api/v1/totals?county=150626&by=month", []string{"totals", "--county", "150626", "--by", "month", "--format", "json"}},
		{"/api/v1/totals?as_of=2022-06-30", []string{"totals", "--as-of", "2022-06-30", "--format", "json"}},
		{"/api/v1/totals?known_at=2030-01-01T00:00:00Z&campaign=2022-summer-cooling",
			[]string{"totals", "--known-at", "2030-01-01T00:00:00Z", "--campaign", "2022-summer-cooling", "--format", "json"}},
		{"/api/v1/audit/D-NW-01", []string{"audit", "D-NW-01", "--json"}},
		{"/api/v1/trace/D-NW-01", []string{"trace", "D-NW-01", "--json"}},
		{"/api/v1/trace/SV-NW-CHECKUP", []string{"trace", "SV-NW-CHECKUP", "--json"}},
	} {
		body, err := served.get(question.api)
		if err != nil {
			t.Fatalf("GET %s: %v", question.api, err)
		}
		outcome := runLedger(t, "", append(question.cli, "--data", data)...)
		outcome.expect(t, 0)
		var fromAPI, fromCLI any
		if err := json.Unmarshal(body, &fromAPI); err != nil {
			t.Fatalf("GET %s: %v: %s", question.api, err, body)
		}
		if err := json.Unmarshal([]byte(outcome.stdout), &fromCLI); err != nil {
			t.Fatalf("ledger %s: %v: %s", strings.Join(question.cli, " "), err, outcome.stdout)
		}
		if !reflect.DeepEqual(fromAPI, fromCLI) {
			t.Errorf("GET %s and ledger %s differ:\n%s\n%s", question.api, strings.Join(question.cli, " "), body, outcome.stdout)
		}
		if strings.HasPrefix(question.api, "/api/v1/totals") && !strings.Contains(string(body), `"root"`) {
			t.Errorf("GET %s has no tree stamp: %s", question.api, body)
		}
	}
}

// A read by a code the ledger does not know is refused by both front
// ends alike: the API names the query parameter and the rule, the command
// line the flag behind it and the same rule, as a usage error.
func TestCommandLineAndAPIRefuseTheSameReads(t *testing.T) {
	data := t.TempDir()
	runLedger(t, goodLine+"\n", "record", "-", "--data", data).expect(t, 0)
	served := startServe(t, data)
	for _, question := range []struct {
		api, field string
		cli        []string
	}{
		{"/api/v1/totals?county=999999", "county", []string{"totals", "--county", "999999"}},
		{"/api/v1/totals?campaign=nope&as_of=2022-06-30", "campaign", []string{"totals", "--campaign", "nope", "--as-of", "2022-06-30"}},
		{"/api/v1/events?county=150699", "county", []string{"events", "--county", "150699"}},
		{"/api/v1/events?type=nope", "type", []string{"events", "--type", "nope"}},
	} {
		body, err := served.get(question.api)
		if err != nil {
			t.Fatalf("GET %s: %v", question.api, err)
		}
		var refused struct {
			Error struct {
				Code       string
				Violations []struct{ Field, Rule string }
			}
		}
		if err := json.Unmarshal(body, &refused); err != nil || refused.Error.Code != "invalid" || len(refused.Error.Violations) != 1 ||
			refused.Error.Violations[0].Field != question.field {
			t.Fatalf("GET %s: %v: %s; want invalid naming %s", question.api, err, body, question.field)
		}
		runLedger(t, "", append(question.cli, "--data", data)...).expect(t, 2, "--"+question.field+" "+refused.Error.Violations[0].Rule)
	}
}
