// Package cli is the command-line harness of the ledger's binary: it runs
// a command by name, parses its flags before, between and after its
// positional arguments, tells a usage error (exit 2) from a failure
// (exit 1), prints answers as text or JSON, writes --out files, shows
// progress and serves HTTP until told to stop. It knows no ledger: the
// commands, their flags and how they reach a ledger are cmd/ledger's.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Exit codes of a command.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// UsageError marks an error in how a command was called: the caller gets
// exit 2 and a pointer to the command's help.
type UsageError struct{ Message string }

func (e UsageError) Error() string { return e.Message }

// Usagef is a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return UsageError{Message: fmt.Sprintf(format, args...)}
}

// Environment is what every command reads from and writes to; tests swap
// it for buffers.
type Environment struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Logger *slog.Logger
	// Helped, when set, is given a command's flag set when its help is
	// printed, every flag declared by then: a test walks every command's
	// flags with it, as the flag sets are made only when a command runs.
	Helped func(flags *flag.FlagSet)
}

// NewLogger logs warnings and errors to w, and everything when debug.
func NewLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// WritingTo is env with its output and its log sent to w, and nothing to
// read on its standard input: a service has no console.
func (env *Environment) WritingTo(w io.Writer, debug bool) *Environment {
	return &Environment{Stdin: strings.NewReader(""), Stdout: w, Stderr: w, Logger: NewLogger(w, debug)}
}

// Logging is env with its log sent to logger instead.
func (env *Environment) Logging(logger *slog.Logger) *Environment {
	logged := *env
	logged.Logger = logger
	return &logged
}

// RunFunc runs a command with the arguments after its name.
type RunFunc func(ctx context.Context, env *Environment, args []string) error

// Command is one command of a program: its name, the line the program's
// usage lists it with, and how it runs. A command with subcommands is a
// group: its first argument names the subcommand, and Run, when set, runs
// when it names none of them (`ledger record FILE` beside `ledger record
// donation`).
type Command struct {
	Name        string
	Summary     string
	Run         RunFunc
	Subcommands []Command
}

// Program is a binary's commands and the line its usage starts with.
type Program struct {
	// Name is what the user types ("ledger").
	Name string
	// Title is the first line of the usage.
	Title    string
	Commands []Command
}

// Run runs the command args name with the rest of args and returns the
// exit code: 0 when it succeeded or only its help was asked for, 2 for a
// usage error or an unknown command, 1 for any other failure, its message
// on standard error.
func (p Program) Run(ctx context.Context, env *Environment, args []string) int {
	if len(args) == 0 || IsHelp(args[0]) {
		p.printUsage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, command := range p.Commands {
		if command.Name == args[0] {
			return p.runCommand(ctx, env, command.Name, command, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "%s: unknown command %q\n\n", p.Name, args[0])
	p.printUsage(env.Stderr)
	return ExitUsage
}

// runCommand runs command, called by path ("reconcile import"), with args:
// a group hands them to the subcommand their first names.
func (p Program) runCommand(ctx context.Context, env *Environment, path string, command Command, args []string) int {
	if len(command.Subcommands) > 0 && len(args) > 0 {
		for _, sub := range command.Subcommands {
			if sub.Name == args[0] {
				return p.runCommand(ctx, env, path+" "+sub.Name, sub, args[1:])
			}
		}
	}
	err := p.runGroup(ctx, env, path, command, args)
	var usage UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &usage):
		fmt.Fprintf(env.Stderr, "%s %s: %v\nRun '%s %s --help' for usage.\n", p.Name, path, err, p.Name, path)
		return ExitUsage
	default:
		fmt.Fprintf(env.Stderr, "%s %s: %v\n", p.Name, path, err)
		return ExitFailure
	}
}

// runGroup runs command with args when they name none of its
// subcommands: a group's help lists its subcommands, and then gives the
// help of what runs without one, if anything does.
func (p Program) runGroup(ctx context.Context, env *Environment, path string, command Command, args []string) error {
	if len(command.Subcommands) == 0 {
		return command.Run(ctx, env, args)
	}
	asksHelp := len(args) > 0 && IsHelp(args[0])
	if asksHelp {
		p.printGroupUsage(env.Stdout, path, command)
	}
	switch {
	case command.Run != nil:
		return command.Run(ctx, env, args)
	case asksHelp:
		return nil
	case len(args) == 0:
		return Usagef("needs a subcommand: %s", subcommandNames(command))
	}
	return Usagef("unknown subcommand %q: give %s", args[0], subcommandNames(command))
}

// subcommandNames lists a group's subcommands for an error: "a, b or c".
func subcommandNames(command Command) string {
	names := make([]string, len(command.Subcommands))
	for i, sub := range command.Subcommands {
		names[i] = sub.Name
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Paths lists every command that runs, each as the words that call it
// ("reconcile import"), in the order of the usage: a group that runs
// without a subcommand is listed before its subcommands.
func (p Program) Paths() [][]string {
	var paths [][]string
	var walk func(prefix []string, commands []Command)
	walk = func(prefix []string, commands []Command) {
		for _, command := range commands {
			path := append(append([]string{}, prefix...), command.Name)
			if command.Run != nil {
				paths = append(paths, path)
			}
			walk(path, command.Subcommands)
		}
	}
	walk(nil, p.Commands)
	return paths
}

// IsHelp says whether arg asks for help (-h, --help or help), for a
// command that reads its first argument before any flag set does.
func IsHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

func (p Program) printUsage(out io.Writer) {
	fmt.Fprintln(out, p.Title)
	fmt.Fprintf(out, "\nUsage: %s COMMAND [flags]\n\nCommands:\n", p.Name)
	listCommands(out, p.Commands)
	fmt.Fprintf(out, "\nRun '%s COMMAND --help' for a command's flags. Exit status: 0 ok, 1 failure, 2 usage.\n", p.Name)
}

// listCommands lists commands a line each, their summaries in one column.
func listCommands(out io.Writer, commands []Command) {
	width := 8
	for _, command := range commands {
		width = max(width, len(command.Name))
	}
	for _, command := range commands {
		fmt.Fprintf(out, "  %-*s %s\n", width, command.Name, command.Summary)
	}
}

// printGroupUsage lists a group's subcommands.
func (p Program) printGroupUsage(out io.Writer, path string, command Command) {
	fmt.Fprintf(out, "Usage: %s %s SUBCOMMAND [flags]\n\n%s\n\nSubcommands:\n", p.Name, path, command.Summary)
	listCommands(out, command.Subcommands)
	fmt.Fprintf(out, "\nRun '%s %s SUBCOMMAND --help' for a subcommand's flags.\n", p.Name, path)
}
