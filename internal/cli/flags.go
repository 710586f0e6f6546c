package cli

import (
	"errors"
	"flag"
	"fmt"
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
