package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ordos-union/ledger/report"
)

// AnyArgs is Spec.Args for a command that takes any number of positional
// arguments.
const AnyArgs = -1

// Spec says how a command is called.
type Spec struct {
	// Name is what follows the program's name, subcommand included
	// ("reconcile import").
	Name string
	// Usage is the synopsis, then a blank line and what the command does.
	Usage string
	// Args is how many positional arguments it wants: 0 none, AnyArgs any.
	Args int
	// ArgsWanted says what to give when the arguments are not what it
	// wants ("give one ID").
	ArgsWanted string
}

// NewFlags is the command's flag set, named for the program and the
// command, its help starting with the synopsis.
func (s Spec) NewFlags(env *Environment, program string) *flag.FlagSet {
	return NewFlags(env, program+" "+s.Name, s.Usage)
}

// Call is one run of a command: what it was called with, and what it
// opened, closed when it ends.
type Call struct {
	Ctx   context.Context
	Env   *Environment
	Flags *flag.FlagSet
	// closers close what the call opened, last first, when it ends.
	closers []func()
}

// NewCall is a run of the command whose flags are flags.
func NewCall(ctx context.Context, env *Environment, flags *flag.FlagSet) *Call {
	return &Call{Ctx: ctx, Env: env, Flags: flags}
}

// Run parses args as spec wants them and runs act, then closes what the
// call opened.
func (c *Call) Run(spec Spec, args []string, act func() error) error {
	defer c.Close()
	if err := ParseArgs(c.Flags, args, spec.Args, spec.ArgsWanted); err != nil {
		return err
	}
	return act()
}

// OnClose has close called when the call ends.
func (c *Call) OnClose(close func()) { c.closers = append(c.closers, close) }

// Close closes what the call opened, last first. Closing twice is safe:
// a command may close what it opened early, to hand a directory on.
func (c *Call) Close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i]()
	}
	c.closers = nil
}

// Arg is the i-th positional argument.
func (c *Call) Arg(i int) string { return c.Flags.Arg(i) }

// Printf prints to standard output.
func (c *Call) Printf(format string, args ...any) { fmt.Fprintf(c.Env.Stdout, format, args...) }

// Warnf prints to standard error.
func (c *Call) Warnf(format string, args ...any) { fmt.Fprintf(c.Env.Stderr, format, args...) }

// Answer prints a use case's answer unless it failed (Show).
func (c *Call) Answer(value any, err error, asJSON bool, text func(io.Writer)) error {
	if err != nil {
		return err
	}
	return c.Show(value, asJSON, text)
}

// Show prints a command's answer: as indented JSON when asJSON, else as
// text writes it for people.
func (c *Call) Show(value any, asJSON bool, text func(io.Writer)) error {
	if asJSON {
		return report.WriteJSON(c.Env.Stdout, value)
	}
	text(c.Env.Stdout)
	return nil
}
