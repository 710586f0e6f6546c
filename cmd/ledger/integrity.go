package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
)

func runCheckpoint(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "checkpoint", "\n\nSigns the Merkle tree over the whole log and stores the checkpoint in the append-only checkpoint stream.")
	var witnesses witnessFlags
	witnesses.register(flags)
	opened, err := openParsed(ctx, env, flags, store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	opened.Cosign = witnesses.cosigner(env.logger)
	signed, err := opened.Checkpoint(ctx, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprint(env.stdout, string(signed))
	return nil
}

func runPubkey(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "pubkey", "\n\nPrints the verifier key auditors check checkpoints, proofs and bundles with.")
	if err := parse(flags, args); err != nil {
		return err
	}
	keys, err := integrity.LoadDataDirKeys(store.dataDir, store.signingKey)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, keys.VerifierKey)
	return nil
}

func runProof(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "proof", "ID [--out FILE]\n\nPrints an inclusion proof of the event (an event id, or the latest event of an entry id) against the latest checkpoint.")
	var out outputFlags
	out.register(flags, "write the proof to this new file (mode 0600) instead of standard output")
	opened, err := openParsed(ctx, env, flags, store, args, 1, "give one ID")
	if err != nil {
		return err
	}
	defer opened.Close()
	proof, err := opened.Prove(ctx, flags.Arg(0))
	if err != nil {
		return err
	}
	encoded, err := integrity.MarshalIndent(proof)
	if err != nil {
		return err
	}
	return out.write(env, append(encoded, '\n'))
}

func runVerifyProof(_ context.Context, env *environment, args []string) error {
	flags := newFlags(env, "verify-proof", "FILE --key KEY\n\nChecks an inclusion proof offline with nothing but the verifier key (the key text, or a file holding it).")
	key := flags.String("key", "", "the verifier key, or a file holding it")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 || *key == "" {
		return usagef("give one FILE and --key")
	}
	verifier, err := integrity.NewVerifier(*key)
	if err != nil {
		return usagef("%v", err)
	}
	content, err := os.ReadFile(flags.Arg(0))
	if err != nil {
		return err
	}
	var proof integrity.InclusionProof
	if err := json.Unmarshal(content, &proof); err != nil {
		return fmt.Errorf("%s: not a proof: %w", flags.Arg(0), err)
	}
	checkpoint, stored, err := proof.Check(verifier)
	if err != nil {
		return err
	}
	event, err := domain.DecodeStoredEvent(stored)
	if err != nil {
		return fmt.Errorf("the proven bytes are not an event: %w", err)
	}
	fmt.Fprintf(env.stdout, "OK: event %s (%s) at position %d is in the log of %d events with root %s, checkpoint signed %s by %s\n",
		event.ID, event.Type, proof.Position, checkpoint.Size, checkpoint.Root, checkpoint.Time.Format(time.RFC3339), verifier.Name())
	return nil
}

func runVerify(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "verify", "[--key KEY] [--trusted CHECKPOINT_FILE] [--witness KEY... [--witness-quorum N]] [--json]\n\nRecomputes the Merkle tree from the raw log and checks every checkpoint and every event; names the first bad position.\n"+
		"Fails when signed checkpoints this data directory saw are gone, and when the log is not consistent with a --trusted checkpoint.")
	key := flags.String("key", "", "verifier key to check checkpoints with (default: the data directory's)")
	var trusted []string
	flags.Func("trusted", "a signed checkpoint you kept (as `ledger checkpoint` prints it); the log must be consistent with it (repeatable)", func(path string) error {
		trusted = append(trusted, path)
		return nil
	})
	asJSON := flags.Bool("json", false, "print the report as JSON")
	var witnesses witnessPolicyFlags
	witnesses.register(flags)
	opened, err := openParsed(ctx, env, flags, store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	var request node.VerifyRequest
	if request.Witnesses, err = witnesses.policy(); err != nil {
		return err
	}
	if *key != "" {
		if request.Verifier, err = integrity.NewVerifier(*key); err != nil {
			return usagef("%v", err)
		}
	}
	for _, path := range trusted {
		signed, err := readCheckpointFile(path)
		if err != nil {
			return err
		}
		request.Trusted = append(request.Trusted, integrity.TrustedCheckpoint{Source: "trusted checkpoint " + path, Signed: signed})
	}
	request.Progress = newProgress(env, "verify")
	report, err := opened.Verify(ctx, request)
	if err != nil {
		return err
	}
	if err := printVerification(env, report.Report, *asJSON); err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(env.stdout, "OK: %d events, %d checkpoints verified", report.Events, report.Checkpoints)
		if len(request.Trusted) > 0 {
			fmt.Fprintf(env.stdout, ", consistent with %d trusted checkpoints", len(request.Trusted))
		}
		if request.Witnesses != nil {
			fmt.Fprintf(env.stdout, ", the newest cosigned by %s", strings.Join(report.Cosigners, ", "))
		}
		fmt.Fprintf(env.stdout, "; tree root %s\n", report.Root)
	}
	return nil
}

// printVerification prints a verification's report, as JSON or as its
// problems and notes, and fails naming its first bad position.
func printVerification(env *environment, verified integrity.Report, asJSON bool) error {
	if err := show(env, asJSON, verified, func(out io.Writer) { report.VerificationText(out, verified) }); err != nil {
		return err
	}
	if first, bad := verified.FirstBad(); bad {
		return fmt.Errorf("verification failed: first bad position %d: %s", first.Position, first.What)
	}
	return nil
}

// readCheckpointFile reads a signed checkpoint note kept outside the
// ledger (integrity.ReadCheckpointNote); a file that cannot be opened or
// is no checkpoint is a usage error.
func readCheckpointFile(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usagef("--trusted: %v", err)
	}
	defer file.Close()
	content, err := integrity.ReadCheckpointNote(file)
	switch {
	case errors.Is(err, integrity.ErrBadCheckpoint):
		return nil, usagef("--trusted %s: %s", path, strings.TrimPrefix(err.Error(), integrity.ErrBadCheckpoint.Error()+": "))
	case err != nil:
		return nil, fmt.Errorf("--trusted %s: %w", path, err)
	}
	return content, nil
}

func runExportAudit(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "export-audit", "--from T --to T OUT\n\nWrites a self-contained audit bundle: events, checkpoints, consistency proofs, verifier key and the period's totals.")
	fromText := flags.String("from", "", "start of the period (RFC 3339, or a date: its start in Beijing time)")
	toText := flags.String("to", "", "end of the period (RFC 3339, or a date: its end in Beijing time)")
	force := flags.Bool("force", false, "write into an existing OUT directory, replacing its bundle files")
	var witnesses witnessFlags
	witnesses.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 || *fromText == "" || *toText == "" {
		return usagef("give --from, --to and one OUT directory")
	}
	if info, err := os.Lstat(flags.Arg(0)); err == nil && (info.Mode()&fs.ModeSymlink != 0 || !info.IsDir()) {
		return usagef("%s exists and is not a directory (a symbolic link is not followed)", flags.Arg(0))
	} else if err == nil && !*force {
		return usagef("%s exists: give --force to replace the bundle in it", flags.Arg(0))
	}
	to, err := domain.ParseInstant(*toText)
	if err != nil {
		return usagef("--to: %v", err)
	}
	from, err := domain.ParseStart(*fromText)
	if err != nil {
		return usagef("--from: %v", err)
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	opened.Cosign = witnesses.cosigner(env.logger)
	export, err := opened.ExportAudit(ctx, flags.Arg(0), from, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s: %d events, %d checkpoints, totals for %s to %s at tree size %d root %s\n", flags.Arg(0),
		export.Events, export.Checkpoints, from.Format(time.DateOnly), to.Format(time.DateOnly), export.Report.Tree.Size, export.Report.Tree.Root)
	return nil
}

func runVerifyBundle(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "verify-bundle", "DIR --key KEY [--witness KEY... [--witness-quorum N]]\n\nVerifies an audit bundle offline and recomputes its totals report.")
	key := flags.String("key", "", "the verifier key, or a file holding it (never the one inside the bundle)")
	var witnesses witnessPolicyFlags
	witnesses.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 || *key == "" {
		return usagef("give one DIR and --key")
	}
	policy, err := witnesses.policy()
	if err != nil {
		return err
	}
	verifier, err := integrity.NewVerifier(*key)
	if err != nil {
		return usagef("%v", err)
	}
	report, err := integrity.VerifyBundle(ctx, flags.Arg(0), verifier)
	if err != nil {
		return err
	}
	cosigned := ""
	if policy != nil {
		cosigners, err := integrity.CheckBundleWitnesses(flags.Arg(0), *policy)
		if err != nil {
			return err
		}
		cosigned = ", cosigned by " + strings.Join(cosigners, ", ")
	}
	fmt.Fprintf(env.stdout, "OK: %d events verified against the signed checkpoints; the totals report matches, tree size %d root %s%s\n",
		report.Tree.Size, report.Tree.Size, report.Tree.Root, cosigned)
	return nil
}
