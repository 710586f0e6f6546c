package main

import (
	"bytes"
	"context"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
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

// placeholderWord is what a flag's help may show after its name: an
// upper-case word (FILE, KEY, DIR, YYYY-MM).
var placeholderWord = regexp.MustCompile(`^[A-Z][A-Z0-9_-]*$`)

// goPlaceholders are the names the flag package shows for a flag whose
// usage names no placeholder in back quotes: its value's type, or
// nothing for a switch.
var goPlaceholders = []string{"", "string", "int", "uint", "float", "duration", "value"}

// Every flag of every command shows a placeholder that is a word in
// capitals, or the flag package's own type name, or none. The flag
// package takes the first back-quoted text of a flag's usage as its
// placeholder, so a usage that quoted a command (`ledger pubkey`) showed
// "-key ledger pubkey" before.
func TestEveryFlagPlaceholderIsAWord(t *testing.T) {
	missing := t.TempDir() + "/none"
	walked := 0
	for _, name := range ledgerProgram().Paths() {
		if name[0] == "service" {
			continue // its help is no flag set's (runService)
		}
		var out bytes.Buffer
		env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
		env.Helped = func(flags *flag.FlagSet) {
			walked++
			flags.VisitAll(func(f *flag.Flag) {
				placeholder, usage := flag.UnquoteUsage(f)
				quoted := strings.Contains(f.Usage, "`")
				switch {
				case quoted && !placeholderWord.MatchString(placeholder):
					t.Errorf("ledger %s --%s shows placeholder %q: want a word in capitals (FILE, KEY, DIR)", strings.Join(name, " "), f.Name, placeholder)
				case !quoted && !slices.Contains(goPlaceholders, placeholder):
					t.Errorf("ledger %s --%s shows placeholder %q", strings.Join(name, " "), f.Name, placeholder)
				case strings.Contains(usage, "`"):
					t.Errorf("ledger %s --%s: its usage has a back quote left: %s", strings.Join(name, " "), f.Name, usage)
				}
			})
		}
		args := append(append([]string{}, name...), "--help", "--data", missing)
		if code := run(context.Background(), env, args); code != cli.ExitOK {
			t.Errorf("ledger %s: exit %d; output:\n%s", strings.Join(args, " "), code, out.String())
		}
	}
	if walked < 45 {
		t.Errorf("walked the flags of %d commands only", walked)
	}
}

// Each `ledger record KIND` takes the flags its kind records and no
// other, and its help says what it records. Before, every kind listed
// every kind's flags (record void offered --items and --headcount) and
// had no description.
func TestRecordShortcutHelpListsItsKindsFlags(t *testing.T) {
	common := []string{"actor", "catalog", "data", "key", "nats", "nats-creds", "occurred-at", "replicas", "signing-key", "store", "sync"}
	own := map[string][]string{
		"donation": {"amount", "bank-ref", "campaign", "county", "donation-id", "donor-kind", "donor-name", "donor-org", "donor-phone",
			"items", "note"},
		"allocation": {"amount", "campaign", "county", "from", "note"},
		"delivery":   {"amount", "campaign", "county", "group", "headcount", "items", "note", "site", "site-kind"},
		"training":   {"amount", "campaign", "county", "format", "group", "minutes", "participants", "title", "topic", "venue"},
		"service":    {"amount", "campaign", "count", "county", "group", "kind", "note", "person-times", "site", "site-kind"},
		"void":       {"campaign", "closed-period", "reason", "target"},
	}
	description := map[string]string{"donation": "Records one donation received", "allocation": "Records one allocation",
		"delivery": "Records one delivery", "training": "Records one training session", "service": "Records services given",
		"void": "Voids an entry recorded by mistake"}
	for _, kind := range app.ShortcutKinds {
		var out bytes.Buffer
		var listed []string
		env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
		env.Helped = func(flags *flag.FlagSet) {
			flags.VisitAll(func(f *flag.Flag) { listed = append(listed, f.Name) })
		}
		if code := run(context.Background(), env, []string{"record", kind, "--help"}); code != cli.ExitOK {
			t.Fatalf("record %s --help: exit %d\n%s", kind, code, out.String())
		}
		want := append(slices.Clone(common), own[kind]...)
		slices.Sort(want)
		if !slices.Equal(listed, want) {
			t.Errorf("record %s takes %v, want %v", kind, listed, want)
		}
		if !strings.Contains(out.String(), "Usage: ledger record "+kind+" [flags]\n\n"+description[kind]) {
			t.Errorf("record %s --help says nothing of what it records:\n%s", kind, out.String())
		}
	}
}
