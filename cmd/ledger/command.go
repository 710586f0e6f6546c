package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ordos-union/ledger/report"
)

// runFunc is how main runs a command with the arguments after its name.
type runFunc func(ctx context.Context, env *environment, args []string) error

// commandSpec says how a command is called.
type commandSpec struct {
	// name is what follows "ledger", subcommand included ("reconcile import").
	name string
	// usage is the synopsis, then a blank line and what the command does.
	usage string
	// args is how many positional arguments it wants: 0 none, -1 any number.
	args int
	// argsWanted says what to give when the arguments are not what it
	// wants ("give one ID").
	argsWanted string
}

// action is what a command does once its flags are parsed.
type action func(c *call) error

// call is one run of a command: what it was called with and, for a
// command on a ledger, the ledger.
type call struct {
	ctx   context.Context
	env   *environment
	flags *flag.FlagSet
	// store is the store flags of a command on a ledger; nil otherwise.
	store *storeFlags
	// ledger is the opened ledger of a ledgerCommand.
	ledger *opened
	// closers close what the call opened, last first, when it ends.
	closers []func()
}

// plainCommand is a command that works on no ledger: declare declares its
// flags and returns its action, which reads them once they are parsed.
func plainCommand(spec commandSpec, declare func(flags *flag.FlagSet) action) runFunc {
	return func(ctx context.Context, env *environment, args []string) error {
		c := &call{ctx: ctx, env: env, flags: newFlags(env, spec.name, spec.usage)}
		return c.run(spec, declare(c.flags), args)
	}
}

// storeCommand is a command on a ledger that checks its flags before it
// opens the ledger itself (call.open): the store flags are declared too.
func storeCommand(spec commandSpec, declare func(flags *flag.FlagSet) action) runFunc {
	return func(ctx context.Context, env *environment, args []string) error {
		c := &call{ctx: ctx, env: env}
		c.flags, c.store = newLedgerFlags(env, spec.name, spec.usage)
		return c.run(spec, declare(c.flags), args)
	}
}

// ledgerCommand is a command on a ledger: once the flags are parsed the
// ledger the store flags name is opened (call.ledger), and it is closed
// when the action returns.
func ledgerCommand(spec commandSpec, declare func(flags *flag.FlagSet) action) runFunc {
	return storeCommand(spec, func(flags *flag.FlagSet) action {
		act := declare(flags)
		return func(c *call) error {
			opened, err := c.open()
			if err != nil {
				return err
			}
			c.ledger = opened
			return act(c)
		}
	})
}

// run parses the arguments and runs act, then closes what it opened.
func (c *call) run(spec commandSpec, act action, args []string) error {
	defer c.close()
	if err := parseArgs(c.flags, args, spec.args, spec.argsWanted); err != nil {
		return err
	}
	return act(c)
}

// open opens the ledger the store flags name; the call closes it when it
// ends.
func (c *call) open() (*opened, error) { return c.openListening(serverOptions{}) }

// openListening is open with the embedded server listening as listen says.
func (c *call) openListening(listen serverOptions) (*opened, error) {
	opened, err := c.store.open(c.ctx, c.env, listen)
	if err != nil {
		return nil, err
	}
	c.closers = append(c.closers, func() { opened.Close() })
	return opened, nil
}

// close closes what the call opened, last first. Closing twice is safe:
// a command may close its ledger early to hand the data directory on.
func (c *call) close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i]()
	}
	c.closers = nil
}

// arg is the i-th positional argument.
func (c *call) arg(i int) string { return c.flags.Arg(i) }

// printf prints to standard output.
func (c *call) printf(format string, args ...any) { fmt.Fprintf(c.env.stdout, format, args...) }

// warnf prints to standard error.
func (c *call) warnf(format string, args ...any) { fmt.Fprintf(c.env.stderr, format, args...) }

// answer prints a use case's answer unless it failed: as indented JSON
// when asJSON, else as text writes it for people.
func (c *call) answer(value any, err error, asJSON bool, text func(io.Writer)) error {
	if err != nil {
		return err
	}
	return show(c.env, asJSON, value, text)
}

// show prints a command's answer: as indented JSON when asJSON, else as
// text writes it for people.
func show(env *environment, asJSON bool, value any, text func(io.Writer)) error {
	if asJSON {
		return report.WriteJSON(env.stdout, value)
	}
	text(env.stdout)
	return nil
}
