package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/service"
)

const serviceSynopsis = "install --data DIR [--name NAME] [serve flags...] | uninstall [--name NAME]"

// runService installs `ledger serve --service` with the Windows Service
// Control Manager, or removes it. The work, reading the command line
// included, is package service's; this dispatches the action and prints.
// It is no plainCommand: the serve flags after install pass through to the
// service's command line unparsed (service.ParseArguments), which a flag
// set would refuse, and its help is not a flag set's.
func runService(ctx context.Context, env *cli.Environment, args []string) error {
	if len(args) == 0 {
		return cli.Usagef("give install or uninstall: ledger service %s", serviceSynopsis)
	}
	action, rest := args[0], args[1:]
	// Help asked for after the action (`service install --help`) is help
	// too: no serve flag is called so.
	if cli.IsHelp(action) || slices.ContainsFunc(rest, func(arg string) bool { return arg != "help" && cli.IsHelp(arg) }) {
		fmt.Fprintf(env.Stderr, "Usage: ledger service %s\n\n"+
			"install registers `ledger serve --service --data DIR [serve flags...]` to start with Windows under the\n"+
			"account NT SERVICE\\NAME (default name: ledger), restarted after a failure, and lets only that account\n"+
			"and Administrators into DIR. uninstall removes the stopped service and leaves DIR. See docs/OPERATIONS.md.\n", serviceSynopsis)
		return nil
	}
	arguments, err := service.ParseArguments(rest)
	if err != nil {
		return serviceError(err)
	}
	switch action {
	case "install":
		installation, err := arguments.InstallServe()
		if err != nil {
			return serviceError(err)
		}
		fmt.Fprintf(env.Stdout, "installed service %s: %s %s\n"+
			"it starts with Windows; start it now with `sc.exe start %s`; its log is %s\n", installation.Name, installation.Executable,
			strings.Join(installation.Args, " "), installation.Name, filepath.Join(installation.DataDir, service.LogName))
	case "uninstall":
		if err := arguments.UninstallServe(); err != nil {
			return serviceError(err)
		}
		fmt.Fprintf(env.Stdout, "removed service %s; its data directory is left as it was\n", arguments.Name)
	default:
		return cli.Usagef("unknown action %q: ledger service %s", action, serviceSynopsis)
	}
	return nil
}

// serviceError makes a command line package service refuses
// (service.UsageError) a usage error, and says where there is no Service
// Control Manager what to use instead.
func serviceError(err error) error {
	var usage *service.UsageError
	switch {
	case errors.As(err, &usage):
		return cli.Usagef("%s", usage.Message)
	case errors.Is(err, service.ErrUnsupported):
		return cli.Usagef("service installs ledger with the Windows Service Control Manager; on Linux use the systemd unit in docs/OPERATIONS.md")
	}
	return err
}
