package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The command line's reads of personal data say whose data they showed,
// as the API's do: `reconcile report` names the individual donor and the
// bank line's counterparty it lists, `events --personal` the subjects of
// the events it printed, `pledges` those of the pledges it printed (none
// in the demo), and `reconcile import` the counterparties of the lines it
// found already in the ledger. Each was recorded with no subjects at all.
func TestCommandLineReadsNameWhoseData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	runLedger(t, "", "demo", "--data", dir).expect(t, 0)
	file := filepath.Join(t.TempDir(), "g.csv")
	if err := os.WriteFile(file, []byte("日期,流水号,摘要,对方户名,对方账号,交易金额\n2022-06-23,,捐款,赵某某,,500.00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "reconcile", "import", file, "--account", "acct-g", "--data", dir).expect(t, 0, "1 line imported")
	listed := runLedger(t, "", "events", "--personal", "--json", "--type", "bank_line_imported", "--data", dir)
	listed.expect(t, 0, "赵某某")
	var line struct {
		Personal struct {
			Donor struct {
				SubjectID string `json:"subject_id"`
			}
		}
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(listed.stdout)), &line); err != nil || line.Personal.Donor.SubjectID == "" {
		t.Fatalf("the bank line: %v %s", err, listed.stdout)
	}
	sender := line.Personal.Donor.SubjectID
	runLedger(t, "", "reconcile", "import", file, "--account", "acct-g", "--dry-run", "--data", dir).expect(t, 0, "1 already")
	runLedger(t, "", "reconcile", "report", "--data", dir).expect(t, 0, "王某某", "赵某某")
	runLedger(t, "", "pledges", "--data", dir).expect(t, 0)

	log := runLedger(t, "", "access-log", "--json", "--data", dir)
	log.expect(t, 0)
	var records []struct {
		Reader, Role, Via string
		Subjects          []string
	}
	if err := json.Unmarshal([]byte(log.stdout), &records); err != nil {
		t.Fatalf("access log: %v %s", err, log.stdout)
	}
	want := []struct {
		via      string
		subjects []string
	}{
		{"ledger reconcile import", nil},
		{"ledger events --personal", []string{sender}},
		{"ledger reconcile import", []string{sender}},
		{"ledger reconcile report", []string{"donor-0001", sender}},
		{"ledger pledges", nil},
	}
	if len(records) != len(want) {
		t.Fatalf("access log: %d records, want %d: %s", len(records), len(want), log.stdout)
	}
	for i, record := range records {
		slices.Sort(record.Subjects)
		expected := slices.Clone(want[i].subjects)
		slices.Sort(expected)
		if record.Role != "operator" || record.Via != want[i].via || !slices.Equal(record.Subjects, expected) {
			t.Errorf("record %d: %s %s %v, want %s %v", i+1, record.Role, record.Via, record.Subjects, want[i].via, expected)
		}
	}
}
