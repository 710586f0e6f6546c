package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
)

var runCheckpoint = ledgerCommand(cli.Spec{Name: "checkpoint", Args: cli.AnyArgs,
	Usage: "\n\nSigns the Merkle tree over the whole log and stores the checkpoint in the append-only checkpoint stream."},
	func(flags *flag.FlagSet) action {
		var witnesses witnessFlags
		witnesses.register(flags)
		return func(c *call) error {
			c.ledger.Cosign = witnesses.cosigner(c.Env.Logger)
			signed, err := c.ledger.Checkpoint(c.Ctx, time.Now())
			if err != nil {
				return err
			}
			c.Printf("%s", signed)
			return nil
		}
	})

// runPubkey reads the key from the data directory: it needs no ledger,
// and it never makes a key (integrity.DataDirVerifierKey).
var runPubkey = storeCommand(cli.Spec{Name: "pubkey", Args: cli.AnyArgs, Usage: "\n\n" +
	"Prints the verifier key auditors check checkpoints, proofs and bundles with: from the signing key, or from the data directory's\n" +
	"integrity/verifier.key when it has no signing key (a restore without it). Makes no key: a directory with neither is refused."},
	func(*flag.FlagSet) action {
		return func(c *call) error {
			key, err := integrity.DataDirVerifierKey(c.store.dataDir, c.store.signingKey)
			if err != nil {
				return err
			}
			c.Printf("%s\n", key)
			return nil
		}
	})

var runProof = ledgerCommand(cli.Spec{Name: "proof", Args: 1, ArgsWanted: "give one ID", Usage: "ID [--out FILE]\n\n" +
	"Prints an inclusion proof of the event (an event id, or the latest event of an entry id) against the latest checkpoint."},
	func(flags *flag.FlagSet) action {
		var out cli.Output
		out.Register(flags, "write the proof to this new file (mode 0600) instead of standard output")
		return func(c *call) error {
			proof, err := c.ledger.Prove(c.Ctx, c.Arg(0))
			if err != nil {
				return err
			}
			encoded, err := integrity.MarshalIndent(proof)
			if err != nil {
				return err
			}
			return out.Write(c.Env, append(encoded, '\n'))
		}
	})

var runVerifyProof = plainCommand(cli.Spec{Name: "verify-proof", Args: cli.AnyArgs, Usage: "FILE --key KEY\n\n" +
	"Checks an inclusion proof offline with nothing but the verifier key (the key text, or a file holding it)."},
	func(flags *flag.FlagSet) action {
		key := flags.String("key", "", "the verifier key, or a file holding it")
		return func(c *call) error {
			if c.Flags.NArg() != 1 || *key == "" {
				return cli.Usagef("give one FILE and --key")
			}
			verifier, err := integrity.NewVerifier(*key)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			proven, err := integrity.CheckProofFile(c.Arg(0), verifier)
			if err != nil {
				return err
			}
			checkpoint := proven.Checkpoint
			c.Printf("OK: event %s (%s) at position %d is in the log of %d events with root %s, checkpoint signed %s by %s\n", proven.Event.ID,
				proven.Event.Type, proven.Proof.Position, checkpoint.Size, checkpoint.Root, checkpoint.Time.Format(time.RFC3339), verifier.Name())
			return nil
		}
	})

// runVerify reads --key, --trusted and the witness policy only once the
// ledger is open, as it always has: a ledger that cannot be opened is
// named before them.
var runVerify = ledgerCommand(cli.Spec{Name: "verify", Args: cli.AnyArgs,
	Usage: "[--key KEY] [--trusted CHECKPOINT_FILE] [--witness KEY... [--witness-quorum N]] [--json]\n\n" +
		"Recomputes the Merkle tree from the raw log and checks every checkpoint and every event; names the first bad position.\n" +
		"Fails when signed checkpoints this data directory saw are gone, and when the log is not consistent with a --trusted checkpoint.\n" +
		"Folds the totals from the log to the projection checkpoint's position, and fails when its figures are not the log's."},
	func(flags *flag.FlagSet) action {
		key := flags.String("key", "", "verifier key to check checkpoints with (default: the data directory's)")
		var trusted []string
		flags.Func("trusted", "a signed checkpoint `FILE` you kept (as ledger checkpoint prints it); the log must be consistent with it (repeatable)", func(path string) error {
			trusted = append(trusted, path)
			return nil
		})
		asJSON := flags.Bool("json", false, "print the report as JSON")
		var witnesses witnessPolicyFlags
		witnesses.register(flags)
		return func(c *call) error {
			var request node.VerifyRequest
			var err error
			if request.Witnesses, err = witnesses.policy(); err != nil {
				return err
			}
			if *key != "" {
				if request.Verifier, err = integrity.NewVerifier(*key); err != nil {
					return cli.Usagef("%v", err)
				}
			}
			var notCheckpoint *integrity.NotACheckpointError
			for _, path := range trusted {
				checkpoint, opened, err := integrity.ReadTrustedCheckpoint(path)
				switch {
				case !opened:
					return cli.Usagef("--trusted: %v", err)
				case errors.As(err, &notCheckpoint):
					return cli.Usagef("--trusted %s: %s", path, notCheckpoint.Detail())
				case err != nil:
					return fmt.Errorf("--trusted %s: %w", path, err)
				}
				request.Trusted = append(request.Trusted, checkpoint)
			}
			request.Progress = cli.Progress(c.Env, "verify")
			verified, err := c.ledger.Verify(c.Ctx, request)
			if err != nil {
				return err
			}
			return c.verification(verified.Report, *asJSON, func(out io.Writer) {
				report.VerifiedText(out, verified.Report, len(request.Trusted), request.Witnesses != nil)
				if verified.Totals != "" {
					fmt.Fprintf(out, "%s\n", verified.Totals)
				}
			})
		}
	})

// verification prints a verification's report, as JSON or as its problems
// and notes, and fails naming its first bad position; when none is bad,
// text also gets ok, the summary.
func (c *call) verification(verified integrity.Report, asJSON bool, ok func(io.Writer)) error {
	if err := c.Show(verified, asJSON, func(out io.Writer) { report.VerificationText(out, verified) }); err != nil {
		return err
	}
	if first, bad := verified.FirstBad(); bad {
		// Position 0 is no event: the problem is the checkpoints' or the
		// witnesses', which the message says.
		if first.Position == 0 {
			return fmt.Errorf("verification failed: %s", first.What)
		}
		return fmt.Errorf("verification failed: first bad position %d: %s", first.Position, first.What)
	}
	if !asJSON {
		ok(c.Env.Stdout)
	}
	return nil
}

// runExportAudit checks its flags and OUT before it opens the ledger.
var runExportAudit = storeCommand(cli.Spec{Name: "export-audit", Args: cli.AnyArgs, Usage: "--from T --to T OUT\n\n" +
	"Writes a self-contained audit bundle: events, checkpoints, consistency proofs, verifier key and the period's totals.\n" +
	"It ends at the newest signed checkpoint, with its cosignatures, when nothing was appended to the log since;\n" +
	"otherwise, or with --witness, it signs a new checkpoint of the whole log (cosigned by the witnesses given)."},
	func(flags *flag.FlagSet) action {
		fromText := flags.String("from", "", "start of the period (RFC 3339, or a date: its start in Beijing time)")
		toText := flags.String("to", "", "end of the period (RFC 3339, or a date: its end in Beijing time)")
		force := flags.Bool("force", false, "write into an existing OUT directory, replacing its bundle files")
		var witnesses witnessFlags
		witnesses.register(flags)
		return func(c *call) error {
			out := c.Arg(0)
			if c.Flags.NArg() != 1 || *fromText == "" || *toText == "" {
				return cli.Usagef("give --from, --to and one OUT directory")
			}
			switch err := integrity.CheckBundleDir(out, *force); {
			case errors.Is(err, integrity.ErrBundleDirExists):
				return cli.Usagef("%v: give --force to replace the bundle in it", err)
			case err != nil:
				return cli.Usagef("%v", err)
			}
			to, err := domain.ParseInstant(*toText)
			if err != nil {
				return cli.Usagef("--to: %v", err)
			}
			from, err := domain.ParseStart(*fromText)
			if err != nil {
				return cli.Usagef("--from: %v", err)
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			opened.Cosign = witnesses.cosigner(c.Env.Logger)
			export, err := opened.ExportAudit(c.Ctx, out, from, to)
			if err != nil {
				return cli.RefusedFlags(err, map[string]string{"from": "--from", "to": "--to"})
			}
			c.Printf("wrote %s: %d events, %d checkpoints, totals for %s to %s at tree size %d root %s\n", out, export.Events,
				export.Checkpoints, from.Format(time.DateOnly), to.Format(time.DateOnly), export.Report.Tree.Size, export.Report.Tree.Root)
			return nil
		}
	})

var runVerifyBundle = plainCommand(cli.Spec{Name: "verify-bundle", Args: cli.AnyArgs, Usage: "DIR --key KEY [--witness KEY... [--witness-quorum N]]\n\n" +
	"Verifies an audit bundle offline and recomputes its totals report."},
	func(flags *flag.FlagSet) action {
		key := flags.String("key", "", "the verifier key, or a file holding it (never the one inside the bundle)")
		var witnesses witnessPolicyFlags
		witnesses.register(flags)
		return func(c *call) error {
			if c.Flags.NArg() != 1 || *key == "" {
				return cli.Usagef("give one DIR and --key")
			}
			policy, err := witnesses.policy()
			if err != nil {
				return err
			}
			verifier, err := integrity.NewVerifier(*key)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			verified, err := integrity.VerifyBundle(c.Ctx, c.Arg(0), verifier)
			if err != nil {
				return err
			}
			cosigned := ""
			if policy != nil {
				cosigners, err := integrity.CheckBundleWitnesses(c.Arg(0), *policy)
				if err != nil {
					return err
				}
				cosigned = ", cosigned by " + strings.Join(cosigners, ", ")
			}
			c.Printf("OK: %d events verified against the signed checkpoints; the totals report matches, tree size %d root %s%s\n",
				verified.Tree.Size, verified.Tree.Size, verified.Tree.Root, cosigned)
			return nil
		}
	})
