// Command ledger runs the union welfare activity ledger: an embedded NATS
// JetStream server, and the commands that record and read its events. This
// package only parses flags and wires the parts together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks an error in how the command was called (exit 2).
type usageError struct{ message string }

func (e usageError) Error() string { return e.message }

func usagef(format string, args ...any) error {
	return usageError{message: fmt.Sprintf(format, args...)}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what every command writes to; tests swap it.
type environment struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
}

func commands() []command {
	return []command{
		{"serve", "serve the HTTP API and dashboard over the ledger (embedded NATS JetStream, or --store esdb://) until interrupted", runServe},
		{"service", "install or uninstall `serve --service` as a Windows service (service install --data DIR [serve flags])", runService},
		{"record", "append events from a JSON/JSONL file, or one entry from flags (record donation|allocation|delivery|training|service|void)", runRecord},
		{"template", "write an empty spreadsheet (台账) for one entry type, with drop-down lists from the catalog", runTemplate},
		{"import", "record the entries of a filled spreadsheet (XLSX, or CSV in UTF-8 or GBK), all or nothing", runImport},
		{"events", "list events with filters, or follow new ones", runEvents},
		{"version", "print the version, commit and build date", runVersion},
		{"demo", "load the demo data set from the 2022 Ordos report and print totals per county", runDemo},
		{"totals", "print totals per county: money, goods, deliveries, people, sessions, services; as of any instant", runTotals},
		{"audit", "print the complete history of an entry, a donation, a campaign fund or a region", runAudit},
		{"trace", "follow a donation's money to what it paid for, or a delivery back to the donations", runTrace},
		{"projections", "show each projection's checkpoint and lag behind the log", runProjections},
		{"rebuild", "rebuild a projection from the whole log (totals)", runRebuild},
		{"reconcile", "finance: import bank statements, match them to donations, decide suggestions, export reports", runReconcile},
		{"period", "finance: close or reopen a month (entries dated in a closed month are refused)", runPeriod},
		{"pledges", "outstanding pledges with ageing per donor, campaign and county", runPledges},
		{"forget", "erase a data subject's personal data (destroys their key; totals and proofs stay)", runForget},
		{"backup", "write a consistent backup of the ledger to a directory, encrypted to age recipients", runBackup},
		{"backup-key", "make an age key pair for backups: the identity to a file (mode 0600), the recipient printed", runBackupKey},
		{"erasures", "list every erased data subject, for restore --erasures", runErasures},
		{"access-log", "list every recorded read of personal data (who, role, route or command, whose, when)", runAccessLog},
		{"restore", "restore a backup into an empty ledger and verify it", runRestore},
		{"migrate", "copy the whole history to another store (JetStream or EventStoreDB), resumable, checked by counts and hash", runMigrate},
		{"checkpoint", "sign the Merkle tree over the log and store the checkpoint", runCheckpoint},
		{"nats-credentials", "make the embedded NATS server's credentials, or print one for another program (watcher: read-only live totals)", runNATSCredentials},
		{"pubkey", "print the verifier key for checkpoints, proofs and bundles", runPubkey},
		{"proof", "print an inclusion proof of an event against the latest checkpoint", runProof},
		{"verify-proof", "check an inclusion proof offline with the verifier key", runVerifyProof},
		{"verify", "recompute the tree from the raw log; check every checkpoint and event", runVerify},
		{"witness", "run a C2SP tlog-witness that cosigns a ledger's checkpoints only when they extend the last it cosigned", runWitness},
		{"doctor", "check every store the ledger keeps and say what repairs what is wrong (exit 1 when anything is)", runDoctor},
		{"repair", "mend what the log can mend of what doctor finds (checkpoint, tree file, secrets' modes), then run doctor", runRepair},
		{"export-audit", "write a self-contained audit bundle for a period", runExportAudit},
		{"verify-bundle", "verify an audit bundle offline and recompute its totals", runVerifyBundle},
		{"tiles", "export the log in the C2SP tlog-tiles layout for mirrors (tiles export DIR)", runTiles},
		{"mirror", "keep a verified copy of a ledger's tlog-tiles (mirror URL DIR --key KEY); verify, totals, verify-report on it offline", runMirror},
		{"report", "write the printable monthly report (A4 HTML, Chinese or English) bound to the signed log by a seal and QR code", runReport},
		{"verify-report", "check a printed report (its HTML or the seal its QR code carries) against the signed log", runVerifyReport},
	}
}

func main() {
	env := &environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, env *environment, args []string) int {
	env.logger = newLogger(env.stderr)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name != args[0] {
			continue
		}
		err := cmd.run(ctx, env, args[1:])
		var usage usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &usage):
			fmt.Fprintf(env.stderr, "ledger %s: %v\nRun 'ledger %s --help' for usage.\n", cmd.name, err, cmd.name)
			return exitUsage
		default:
			fmt.Fprintf(env.stderr, "ledger %s: %v\n", cmd.name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(env.stderr, "ledger: unknown command %q\n\n", args[0])
	printUsage(env.stderr)
	return exitUsage
}

// newLogger logs warnings and errors to w, and everything with
// LEDGER_DEBUG set.
func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("LEDGER_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// writingTo is env with its output and its log sent to w: a service has no
// console, and nothing to read on its standard input.
func (env *environment) writingTo(w io.Writer) *environment {
	return &environment{stdin: strings.NewReader(""), stdout: w, stderr: w, logger: newLogger(w)}
}

func printUsage(out io.Writer) {
	fmt.Fprintln(out, "ledger: the union welfare activity ledger (NATS JetStream)")
	fmt.Fprintln(out, "\nUsage: ledger COMMAND [flags]\n\nCommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(out, "  %-8s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(out, "\nRun 'ledger COMMAND --help' for a command's flags. Exit status: 0 ok, 1 failure, 2 usage.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env *environment, name, synopsis string) *flag.FlagSet {
	flags := flag.NewFlagSet("ledger "+name, flag.ContinueOnError)
	flags.SetOutput(env.stderr)
	flags.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: ledger %s %s\n\nFlags:\n", name, synopsis)
		flags.PrintDefaults()
	}
	return flags
}

// given lists the flags set on the command line whose names match, in
// the order of their names.
func given(flags *flag.FlagSet, match func(name string) bool) []*flag.Flag {
	var set []*flag.Flag
	flags.Visit(func(f *flag.Flag) {
		if match(f.Name) {
			set = append(set, f)
		}
	})
	return set
}

// parse parses flags before, between and after positional arguments
// ("record FILE --data DIR" works), and turns parse errors into usage errors.
// Everything after "--" is positional.
func parse(flags *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{message: err.Error()}
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
