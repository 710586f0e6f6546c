package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeLines writes JSON lines to a file of their own.
func writeLines(t *testing.T, lines ...string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "entries.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// `ledger record FILE` reports every problem of a line at once: a
// malformed occurred_at does not hide the payload's problems, and is named
// once, not also as missing.
func TestRecordReportsEveryProblemOfALineAtOnce(t *testing.T) {
	data := t.TempDir()
	file := writeLines(t, `{"type":"supplies_delivered","county":"150626","occurred_at":"2022-07-06","actor":"x",`+
		`"idempotency_key":"k-bad-1","data":{"delivery_id":"V-X1","campaign":"2022-summer-cooling",`+
		`"items":[{"item":"water","quantity":1}],"beneficiary_group":"outdoor-workers","headcount":3,`+
		`"site":{"kind":"street","name":"a"},"spent":12}}`)
	out := runLedger(t, "", "record", file, "--data", data)
	out.expect(t, 1,
		"line 1: occurred_at: must be an RFC 3339 time such as 2022-06-15T09:30:00+08:00\n",
		`line 1: data.site.kind: unknown site kind "street"`,
		`line 1: data.items[0].item: unknown item kind "water"`,
		"line 1: data.items[0].value: must be > 0\n",
		`line 1: data.spent: must be a string of yuan such as "1250.50"`,
		"1 of 1 lines are invalid; nothing was written")
	if strings.Count(out.stderr, "occurred_at") != 1 || strings.Contains(out.stderr, "is required") {
		t.Fatalf("occurred_at is named again, or as missing:\n%s", out.stderr)
	}
	if got := countEvents(t, "--data", data); got != 0 {
		t.Fatalf("%d events written from a refused line", got)
	}
}

// A correction whose replacement breaks a field rule is an invalid line,
// its problem named under data.replacement as any other field's is, not a
// refusal of the whole input.
func TestRecordReportsAReplacementsProblemAsTheLines(t *testing.T) {
	data := t.TempDir()
	deliveryData := `{"delivery_id":"V-X1","campaign":"2022-summer-cooling","items":[{"item":"drinking-water","quantity":1,"value":"12.00"}],` +
		`"beneficiary_group":"outdoor-workers","headcount":3,"site":{"kind":"community","name":"a"},"spent":"12.00"}`
	entries := writeLines(t,
		`{"type":"donation_received","county":"150626","occurred_at":"2022-06-15T09:30:00+08:00","actor":"clerk-1",`+
			`"data":{"donation_id":"D-1","campaign":"2022-summer-cooling","donor_kind":"enterprise","donor_organisation":"某公司",`+
			`"form":"money","amount":"5000.00"}}`,
		`{"type":"supplies_delivered","county":"150626","occurred_at":"2022-07-06T10:00:00+08:00","actor":"x","data":`+deliveryData+`}`)
	written := runLedger(t, "", "record", entries, "--data", data)
	written.expect(t, 0, "recorded 2 events")
	target := regexp.MustCompile(`line 2: recorded supplies_delivered (\S+) `).FindStringSubmatch(written.stdout)
	if target == nil {
		t.Fatalf("no delivery recorded in:\n%s", written.stdout)
	}
	correction := writeLines(t, `{"type":"entry_corrected","county":"150626","occurred_at":"2022-07-07T10:00:00+08:00","actor":"x",`+
		`"data":{"campaign":"2022-summer-cooling","target_event_id":"`+target[1]+`","reason":"fix","replacement":`+
		strings.Replace(deliveryData, `"spent":"12.00"`, `"spent":12`, 1)+`}}`)
	out := runLedger(t, "", "record", correction, "--data", data)
	out.expect(t, 1, `line 1: data.replacement.spent: must be a string of yuan such as "1250.50"`,
		"1 of 1 lines are invalid; nothing was written")
	if strings.Contains(out.stderr, "invalid input") {
		t.Fatalf("the line's problem is reported as a refusal of the input:\n%s", out.stderr)
	}
	if got := countEvents(t, "--data", data); got != 2 {
		t.Fatalf("%d events, want the 2 written before the refused correction", got)
	}
}

// docs/EVENTS.md's rejected input is refused as the document says, every
// problem at once.
func TestEventsDocRejectedInputIsWhatRecordPrints(t *testing.T) {
	content, err := os.ReadFile("../../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(content), "\n## A rejected input\n")
	if !found {
		t.Fatal("docs/EVENTS.md has no section A rejected input")
	}
	block := func(fence string) string {
		_, rest, found := strings.Cut(section, "\n"+fence+"\n")
		text, _, closed := strings.Cut(rest, "\n```\n")
		if !found || !closed {
			t.Fatalf("A rejected input has no %s block", fence)
		}
		return text
	}
	out := runLedger(t, "", "record", writeLines(t, block("```json")), "--data", t.TempDir())
	out.expect(t, 1)
	if got, want := strings.TrimSpace(out.stderr), block("```text"); got != want {
		t.Fatalf("ledger record printed\n%s\nwhere docs/EVENTS.md says\n%s", got, want)
	}
}
