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

// RunFunc runs a command with the arguments after its name.
type RunFunc func(ctx context.Context, env *Environment, args []string) error

// Command is one command of a program: its name, the line the program's
// usage lists it with, and how it runs.
type Command struct {
	Name    string
	Summary string
	Run     RunFunc
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
		if command.Name != args[0] {
			continue
		}
		err := command.Run(ctx, env, args[1:])
		var usage UsageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.As(err, &usage):
			fmt.Fprintf(env.Stderr, "%s %s: %v\nRun '%s %s --help' for usage.\n", p.Name, command.Name, err, p.Name, command.Name)
			return ExitUsage
		default:
			fmt.Fprintf(env.Stderr, "%s %s: %v\n", p.Name, command.Name, err)
			return ExitFailure
		}
	}
	fmt.Fprintf(env.Stderr, "%s: unknown command %q\n\n", p.Name, args[0])
	p.printUsage(env.Stderr)
	return ExitUsage
}

// IsHelp says whether arg asks for help (-h, --help or help), for a
// command that reads its first argument before any flag set does.
func IsHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

func (p Program) printUsage(out io.Writer) {
	fmt.Fprintln(out, p.Title)
	fmt.Fprintf(out, "\nUsage: %s COMMAND [flags]\n\nCommands:\n", p.Name)
	for _, command := range p.Commands {
		fmt.Fprintf(out, "  %-8s %s\n", command.Name, command.Summary)
	}
	fmt.Fprintf(out, "\nRun '%s COMMAND --help' for a command's flags. Exit status: 0 ok, 1 failure, 2 usage.\n", p.Name)
}
