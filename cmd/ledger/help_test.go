package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/internal/cli"
)

// Every command and subcommand answers --help with its usage and exit 0,
// and opens no ledger to do it (the data directory named does not exist).
func TestEveryCommandHasHelp(t *testing.T) {
	var called [][]string
	for _, command := range commands() {
		called = append(called, []string{command.Name})
	}
	called = append(called, []string{"reconcile", "import"}, []string{"reconcile", "confirm"}, []string{"period", "close"},
		[]string{"period", "reopen"}, []string{"tiles", "export"}, []string{"mirror", "verify"}, []string{"mirror", "totals"},
		[]string{"mirror", "verify-report"}, []string{"record", "donation"}, []string{"record", "void"},
		[]string{"service", "install"}, []string{"service", "uninstall"})
	missing := t.TempDir() + "/none"
	for _, name := range called {
		for _, help := range []string{"--help", "-h"} {
			var out bytes.Buffer
			env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
			args := append(append([]string{}, name...), help, "--data", missing)
			if code := run(context.Background(), env, args); code != cli.ExitOK || !strings.Contains(out.String(), usageOf(name)) {
				t.Errorf("ledger %s: exit %d, want 0 with its usage; output:\n%s", strings.Join(args, " "), code, out.String())
			}
		}
	}
}

// usageOf is the start of the usage name's help prints: the command's
// own, but service's one line for both its actions.
func usageOf(name []string) string {
	if name[0] == "service" {
		return "Usage: ledger service install --data DIR"
	}
	return "Usage: ledger " + strings.Join(name, " ")
}
