package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/ordos-union/ledger/report"
)

// NewFlags returns a flag set for the command name (program and command:
// "ledger totals") that reports errors instead of exiting, its help
// starting with the synopsis.
func NewFlags(env *Environment, name, synopsis string) *flag.FlagSet {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	flags.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: %s %s\n\nFlags:\n", name, synopsis)
		flags.PrintDefaults()
		if env.Helped != nil {
			env.Helped(flags)
		}
	}
	return flags
}

// Given lists the flags set on the command line whose names match, in
// the order of their names.
func Given(flags *flag.FlagSet, match func(name string) bool) []*flag.Flag {
	var set []*flag.Flag
	flags.Visit(func(f *flag.Flag) {
		if match(f.Name) {
			set = append(set, f)
		}
	})
	return set
}

// Parse parses flags before, between and after positional arguments
// ("record FILE --data DIR" works), and turns parse errors into usage
// errors. Everything after "--" is positional.
func Parse(flags *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return UsageError{Message: err.Error()}
		}
		rest := flags.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Parse the positional arguments back in so flags.Args returns them.
	return flags.Parse(append([]string{"--"}, positional...))
}

// ParseArgs is Parse for a command that wants exactly positional
// arguments (0: none; AnyArgs: any number); wanted says what to give
// when the arguments are wrong ("give one ID").
func ParseArgs(flags *flag.FlagSet, args []string, positional int, wanted string) error {
	if err := Parse(flags, args); err != nil {
		return err
	}
	switch {
	case positional == 0 && flags.NArg() > 0:
		return Usagef("unexpected arguments %v", flags.Args())
	case positional > 0 && flags.NArg() != positional:
		return Usagef("%s", wanted)
	}
	return nil
}

// Flagged rewrites the fields a validation error or refusal names into
// the flags that set them (names maps a field to its flag: "reason" to
// "--reason is required"), and makes it a usage error (exit 2) when it is
// a validation error about those flags alone: a flag missing or
// malformed. A refusal of what the ledger holds (a target not found, a
// match decided already: report.FieldsNamed) stays a failure (exit 1)
// with its flag named, as the command was called right; an error about
// anything else comes back with what fields it could name rewritten.
func Flagged(err error, names map[string]string) error {
	called, named := report.FieldsNamed(err, names)
	if called {
		return Usagef("%s", named)
	}
	return named
}

// RefusedFlags makes err a usage error naming the flags when it refuses
// those flags alone (as Flagged does), and returns any other error as it
// is: a command that also reads the log keeps a read error's own words
// (the position of an event that does not decode, say), which Flagged
// would rewrite.
func RefusedFlags(err error, names map[string]string) error {
	if called, named := report.FieldsNamed(err, names); called {
		return Usagef("%s", named)
	}
	return err
}
