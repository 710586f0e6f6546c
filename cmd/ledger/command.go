package main

import (
	"context"
	"flag"

	"github.com/ordos-union/ledger/internal/cli"
)

// program is what the usage and the errors call the binary.
const program = "ledger"

// action is what a command does once its flags are parsed.
type action func(c *call) error

// call is one run of a command (cli.Call) and, for a command on a
// ledger, its store flags and the ledger.
type call struct {
	*cli.Call
	// store is the store flags of a command on a ledger; nil otherwise.
	store *storeFlags
	// ledger is the opened ledger of a ledgerCommand.
	ledger *opened
}

// plainCommand is a command that works on no ledger: declare declares its
// flags and returns its action, which reads them once they are parsed.
func plainCommand(spec cli.Spec, declare func(flags *flag.FlagSet) action) cli.RunFunc {
	return func(ctx context.Context, env *cli.Environment, args []string) error {
		c := &call{Call: cli.NewCall(ctx, env, spec.NewFlags(env, program))}
		act := declare(c.Flags)
		return c.Run(spec, args, func() error { return act(c) })
	}
}

// storeCommand is a command on a ledger that checks its flags before it
// opens the ledger itself (call.open): the store flags are declared too.
func storeCommand(spec cli.Spec, declare func(flags *flag.FlagSet) action) cli.RunFunc {
	return func(ctx context.Context, env *cli.Environment, args []string) error {
		c := &call{Call: cli.NewCall(ctx, env, spec.NewFlags(env, program)), store: &storeFlags{}}
		c.store.register(c.Flags)
		act := declare(c.Flags)
		return c.Run(spec, args, func() error { return act(c) })
	}
}

// ledgerCommand is a command on a ledger: once the flags are parsed the
// ledger the store flags name is opened (call.ledger), and it is closed
// when the action returns.
func ledgerCommand(spec cli.Spec, declare func(flags *flag.FlagSet) action) cli.RunFunc {
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

// open opens the ledger the store flags name; the call closes it when it
// ends.
func (c *call) open() (*opened, error) { return c.openListening(serverOptions{}) }

// openListening is open with the embedded server listening as listen says.
func (c *call) openListening(listen serverOptions) (*opened, error) {
	opened, err := c.store.open(c.Ctx, c.Env, listen)
	if err != nil {
		return nil, err
	}
	c.OnClose(func() { opened.Close() })
	return opened, nil
}
