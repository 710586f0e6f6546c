package main

import (
	"os"
	"time"

	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// newProgress shows long work's progress on standard error: a bar on a
// terminal, a plain line every few seconds in a file or a pipe.
func newProgress(env *environment, label string) projections.Progress {
	terminal := false
	if file, ok := env.stderr.(*os.File); ok {
		if info, err := file.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			terminal = true
		}
	}
	return report.Progress(env.stderr, terminal, label, time.Now)
}
