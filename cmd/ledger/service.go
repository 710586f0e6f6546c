package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/service"
)

const serviceSynopsis = "install --data DIR [--name NAME] [serve flags...] | uninstall [--name NAME]"

// runService installs `ledger serve --service` with the Windows Service
// Control Manager, or removes it. The work is package service's; this
// parses the command line. It is no plainCommand: the serve flags after
// install pass through to the service's command line unparsed
// (parseServiceArgs), which a flag set would refuse, and its help is not
// a flag set's.
func runService(ctx context.Context, env *cli.Environment, args []string) error {
	if len(args) == 0 {
		return cli.Usagef("give install or uninstall: ledger service %s", serviceSynopsis)
	}
	action, rest := args[0], args[1:]
	if action == "-h" || action == "--help" || action == "help" {
		fmt.Fprintf(env.Stderr, "Usage: ledger service %s\n\n"+
			"install registers `ledger serve --service --data DIR [serve flags...]` to start with Windows under the\n"+
			"account NT SERVICE\\NAME (default name: ledger), restarted after a failure, and lets only that account\n"+
			"and Administrators into DIR. uninstall removes the stopped service and leaves DIR. See docs/OPERATIONS.md.\n", serviceSynopsis)
		return nil
	}
	options, err := parseServiceArgs(rest)
	if err != nil {
		return err
	}
	switch action {
	case "install":
		if options.dataDir == "" {
			return cli.Usagef("service install needs --data DIR: the service's data directory")
		}
		executable, err := os.Executable()
		if err != nil {
			return err
		}
		serveArgs := append([]string{"serve", "--service", "--data", options.dataDir}, options.serveArgs...)
		err = service.Install(service.Installation{Name: options.name, Executable: executable, DataDir: options.dataDir, Args: serveArgs})
		if err != nil {
			return serviceError(err)
		}
		fmt.Fprintf(env.Stdout, "installed service %s: %s %s\n"+
			"it starts with Windows; start it now with `sc.exe start %s`; its log is %s\n",
			options.name, executable, strings.Join(serveArgs, " "), options.name, filepath.Join(options.dataDir, service.LogName))
	case "uninstall":
		if options.dataDir != "" || len(options.serveArgs) > 0 {
			return cli.Usagef("service uninstall takes only --name")
		}
		if err := service.Uninstall(options.name); err != nil {
			return serviceError(err)
		}
		fmt.Fprintf(env.Stdout, "removed service %s; its data directory is left as it was\n", options.name)
	default:
		return cli.Usagef("unknown action %q: ledger service %s", action, serviceSynopsis)
	}
	return nil
}

// serviceError says where there is no Service Control Manager what to use
// instead.
func serviceError(err error) error {
	if errors.Is(err, service.ErrUnsupported) {
		return cli.Usagef("service installs ledger with the Windows Service Control Manager; on Linux use the systemd unit in docs/OPERATIONS.md")
	}
	return err
}

type serviceOptions struct {
	name, dataDir string
	serveArgs     []string
}

// parseServiceArgs takes --data and --name and leaves every other
// argument to serve, which checks them when the service starts: serve's
// flags are many, and repeating them here would let the two drift apart.
// The data directory is made absolute here, where the operator's working
// directory is known: a service starts in the system directory.
func parseServiceArgs(args []string) (serviceOptions, error) {
	options := serviceOptions{name: "ledger"}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") || (flagName != "data" && flagName != "name" && flagName != "service") {
			options.serveArgs = append(options.serveArgs, arg)
			continue
		}
		if flagName == "service" {
			return options, cli.Usagef("--service is added to the service's command line; leave it out")
		}
		if !hasValue {
			if i+1 == len(args) {
				return options, cli.Usagef("flag needs an argument: %s", arg)
			}
			i++
			value = args[i]
		}
		switch flagName {
		case "data":
			absolute, err := filepath.Abs(value)
			if err != nil {
				return options, cli.Usagef("--data %q: %v", value, err)
			}
			options.dataDir = absolute
		case "name":
			if value == "" || strings.ContainsAny(value, `\/ `) {
				return options, cli.Usagef("--name %q: a service name has no spaces or slashes", value)
			}
			options.name = value
		}
	}
	return options, nil
}
