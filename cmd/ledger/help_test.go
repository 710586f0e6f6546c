package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/internal/cli"
)

// Every command and subcommand answers --help with its usage and exit 0,
// and opens no ledger to do it (the data directory named does not exist).
func TestEveryCommandHasHelp(t *testing.T) {
	called := ledgerProgram().Paths()
	// The groups that run nothing of their own list their subcommands.
	for _, command := range commands() {
		if command.Run == nil {
			called = append(called, []string{command.Name})
		}
	}
	if len(called) < 45 {
		t.Fatalf("only %d commands: %v", len(called), called)
	}
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
	switch {
	case name[0] == "service":
		return "Usage: ledger service install --data DIR"
	case len(name) == 1 && slices.ContainsFunc(commands(), func(c cli.Command) bool { return c.Name == name[0] && c.Run == nil }):
		return "Usage: ledger " + name[0] + " SUBCOMMAND"
	}
	return "Usage: ledger " + strings.Join(name, " ")
}
