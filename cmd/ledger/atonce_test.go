package main

import (
	"os"
	"path/filepath"
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
