package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A transfer confirmed against two pledges: the answer names the receipts
// to record, and the pledges are no longer outstanding; an automatic match
// confirmed by mistake is refused with what it is; a statement whose
// opening balance disagrees is never said to agree.
func TestEndToEndPledgesPaidAndTheBalanceCheck(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pledges := write("p56.jsonl", `{"type":"donation_pledged","county":"150600","occurred_at":"2022-07-20T10:00:00+08:00","actor":"finance-city","data":{"donation_id":"D-P5","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"准格尔某物流有限公司","form":"money","amount":"1000.00"}}
{"type":"donation_pledged","county":"150600","occurred_at":"2022-07-20T10:00:00+08:00","actor":"finance-city","data":{"donation_id":"D-P6","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"准格尔某物流有限公司","form":"money","amount":"2000.00"}}
`)
	runLedger(t, "", "record", pledges, "--data", data).expect(t, 0, "recorded 2 events")
	header := "交易日期,交易流水号,摘要,对方户名,对方账号,借方发生额,贷方发生额,余额\n"
	august := write("aug.csv", header+"2022-08-05,GC002,认捐汇款,准格尔某物流有限公司,0602002209000045672,,3000.00,6700.00\n")
	runLedger(t, "", "reconcile", "import", august, "--account", "icbc-test", "--data", data).expect(t, 0, "1 line imported")
	var report struct {
		Suggested []struct {
			ID   string `json:"id"`
			Rule string `json:"rule"`
			Why  string `json:"why"`
		} `json:"suggested"`
	}
	if err := json.Unmarshal([]byte(runLedger(t, "", "reconcile", "report", "--format", "json", "--data", data).stdout), &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Suggested) != 1 || report.Suggested[0].Rule != "combined" || report.Suggested[0].Why == "" {
		t.Fatalf("suggested: %+v", report.Suggested)
	}
	receipt := "ledger record donation --donation-id D-P5 --campaign 2022-summer-cooling --county 150600 --amount 1000.00 --occurred-at 2022-08-05"
	runLedger(t, "", "reconcile", "confirm", report.Suggested[0].ID, "--data", data).expect(t, 0, "confirmed match "+report.Suggested[0].ID+" (match_confirmed, event ",
		"pays pledges D-P5, D-P6", "record their receipts", receipt,
		"ledger record donation --donation-id D-P6 --campaign 2022-summer-cooling --county 150600 --amount 2000.00 --occurred-at 2022-08-05")
	// The command the answer shows records the receipt: one left to record.
	command := append(strings.Fields(strings.TrimPrefix(receipt, "ledger ")), "--donor-org", "准格尔某物流有限公司", "--data", data)
	runLedger(t, "", command...).expect(t, 0, "recorded donation_received")
	var after struct {
		Matched []struct {
			ToReceive []string `json:"to_receive"`
		} `json:"matched"`
	}
	if err := json.Unmarshal([]byte(runLedger(t, "", "reconcile", "report", "--format", "json", "--data", data).stdout), &after); err != nil {
		t.Fatal(err)
	}
	if len(after.Matched) != 1 || strings.Join(after.Matched[0].ToReceive, ",") != "D-P6" {
		t.Fatalf("after recording D-P5's receipt: %+v", after.Matched)
	}
	// An allocation takes no --donation-id: only a donation has one.
	runLedger(t, "", "record", "allocation", "--donation-id", "D-P7", "--data", data).expect(t, 2, "flag provided but not defined: -donation-id")
	outstanding := runLedger(t, "", "pledges", "--json", "--data", data)
	outstanding.expect(t, 0)
	if strings.Contains(outstanding.stdout, "D-P5") || strings.Contains(outstanding.stdout, "D-P6") {
		t.Fatalf("the paid pledges are still outstanding:\n%s", outstanding.stdout)
	}
	// Decided already: a refusal of what the ledger holds (exit 1, naming
	// the ID), not a usage error pointing to the help.
	for _, decide := range [][]string{{"reject", report.Suggested[0].ID, "--reason", "错了"}, {"confirm", report.Suggested[0].ID}} {
		decided := runLedger(t, "", append(append([]string{"reconcile"}, decide...), "--data", data)...)
		decided.expect(t, 1, "ID: "+report.Suggested[0].ID+" is a match confirmed by event", "undo event")
		if strings.Contains(decided.stderr, "--help") {
			t.Errorf("reconcile %s: a refusal points to the help:\n%s", decide[0], decided.stderr)
		}
	}
	runLedger(t, "", "reconcile", "confirm", "S-nope", "--data", data).expect(t, 1,
		"ledger reconcile confirm: there is no suggestion or match S-nope: the reconciliation report lists their ids\n")
	runLedger(t, "", "reconcile", "reject", report.Suggested[0].ID, "--data", data).expect(t, 2, "--reason is required", "--help")

	// The next statement opens 100.00 below the ledger's balance.
	september := write("sep.csv", header+"2022-09-05,GC003,捐款,某公司,0602002209000045679,,10.00,6610.00\n")
	for _, accept := range [][]string{nil, {"--accept-balance-gap"}} {
		args := append([]string{"reconcile", "import", september, "--account", "icbc-test", "--dry-run", "--data", data}, accept...)
		run := runLedger(t, "", args...)
		if strings.Contains(run.stdout+run.stderr, "agrees") || !strings.Contains(run.stdout+run.stderr, "the statement opens at 6600.00") {
			t.Fatalf("%v:\nstdout:\n%s\nstderr:\n%s", accept, run.stdout, run.stderr)
		}
	}
}
