package bench

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every comparison of appends and every live line names the fsync setting
// it ran with, as README and docs/BENCHMARKS.md say: a figure without it
// cannot be compared with another. The rows are read from the benchmarks'
// source, where their titles are written, so that the check runs without
// running the benchmarks.
func TestEveryAppendRowNamesItsFsyncSetting(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no benchmark sources: %v", err)
	}
	// A ratio's title, or a LIVE line's format.
	row := regexp.MustCompile(`ratio\(b, .*|summarize\(fmt\.Sprintf\("LIVE .*`)
	rows := 0
	for _, file := range files {
		source, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range row.FindAllString(string(source), -1) {
			rows++
			// The single append's title is built with its setting.
			if !strings.Contains(line, "fsync") && !strings.Contains(line, "+setting+") {
				t.Errorf("%s: a row without its fsync setting: %s", file, strings.TrimSpace(line))
			}
		}
	}
	if rows < 10 {
		t.Fatalf("found %d rows; the pattern no longer finds the benchmarks' rows", rows)
	}
}

// A ratio of unequal numbers of writers is refused, as README says the
// rows compare equal numbers: ratio fails the benchmark on sameWriters.
func TestRatioRefusesUnequalWriters(t *testing.T) {
	if err := sameWriters(measurement{writers: durableWritersCount}, measurement{}); err == nil {
		t.Fatal("32 ledger writers against one raw writer were compared")
	}
	if err := sameWriters(measurement{writers: durableWritersCount}, measurement{writers: durableWritersCount}); err != nil {
		t.Fatalf("equal writers refused: %v", err)
	}
	if err := sameWriters(measurement{}, measurement{writers: 1}); err != nil {
		t.Fatalf("one writer each refused: %v", err)
	}
}
