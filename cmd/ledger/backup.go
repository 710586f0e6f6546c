package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// runBackup checks its flags before it opens the ledger.
var runBackup = storeCommand(cli.Spec{Name: "backup", Args: 1, ArgsWanted: "give one OUT directory", Usage: "OUT --recipient AGE_PUBLIC_KEY\n\n" +
	"Writes a consistent backup of the ledger stream, its checkpoints and personal-data keys to the new directory OUT,\n" +
	"encrypted with age to each --recipient (make a key pair with `ledger backup-key --out FILE`), with a manifest that lists\n" +
	"every file's SHA-256 and is signed with the checkpoint signing key. Projection checkpoints are caches: a restore folds them again."},
	func(flags *flag.FlagSet) action {
		var options backup.Options
		flags.Func("recipient", "age public key (age1…) or a file of them to encrypt the backup to (repeatable)", func(value string) error {
			recipients, err := backup.ParseRecipient(value)
			options.Recipients = append(options.Recipients, recipients...)
			return err
		})
		plaintext := flags.Bool("plaintext", false, "write the backup in the clear: it then reveals every person's data to whoever reads it")
		flags.BoolVar(&options.WithSigningKey, "with-signing-key", false,
			"include the checkpoint signing key: whoever holds the backup can then sign checkpoints as the ledger")
		return func(c *call) error {
			if err := c.store.jetStreamOnly("backup"); err != nil {
				return err
			}
			if len(options.Recipients) == 0 && !*plaintext {
				return cli.Usagef("a backup holds the keys to every person's data: give --recipient AGE_PUBLIC_KEY (make one with " +
					"`ledger backup-key --out FILE`), or --plaintext to write it in the clear")
			}
			if len(options.Recipients) > 0 && *plaintext {
				return cli.Usagef("--plaintext and --recipient exclude each other")
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			manifest, err := backup.Write(c.Ctx, opened, c.Arg(0), options)
			if err != nil {
				return err
			}
			how := "in the clear"
			if manifest.Encrypted {
				how = "encrypted to " + report.Counted(len(options.Recipients), "recipient", "recipients")
			}
			c.Printf("backed up %s (head %d) and %s to %s, %s; the manifest lists every file and is signed with the "+
				"checkpoint signing key\n", report.Counted(int(manifest.Events), "event", "events"), manifest.Head,
				report.Counted(manifest.Checkpoints, "checkpoint", "checkpoints"), c.Arg(0), how)
			return nil
		}
	})

// runRestore checks its flags and opens the backup, checks who made it
// (checkBackup), and only then restores it (backup.RestoreLedger, which
// closes the ledger); then runs verify on the restored ledger.
var runRestore = storeCommand(cli.Spec{Name: "restore", Args: 1, ArgsWanted: "give one BACKUP directory",
	Usage: "BACKUP --data NEWDIR [--key VERIFIER_KEY] [--identity FILE] [--erasures FILE]\n\n" +
		"Restores a backup into an empty ledger: every event at its original position and the signed checkpoints; re-applies the\n" +
		"erasures listed in --erasures (`ledger erasures` on the live ledger writes the list); folds the totals from the restored log\n" +
		"(a backup's projection checkpoints are never restored); then verifies it. Every file must be as the backup's manifest lists\n" +
		"it, and with --key the manifest's signature and every signed checkpoint must hold under that key, or nothing is restored.\n" +
		"Without --key they are checked only against the backup's own verifier key, which proves nothing about who made it."},
	func(flags *flag.FlagSet) action {
		identity := flags.String("identity", "", "age identity `FILE` that opens an encrypted backup (as ledger backup-key wrote it)")
		erasures := flags.String("erasures", "", "the erased data subjects, one a line, in `FILE` as ledger erasures --out FILE writes it on the live ledger: "+
			"their keys are destroyed again and the erasures recorded")
		key := flags.String("key", "", "the ledger's verifier `KEY` (as ledger pubkey prints it), or a file holding it, kept apart from its backups: "+
			"the backup must be signed with it")
		return func(c *call) error {
			if err := c.store.jetStreamOnly("restore"); err != nil {
				return err
			}
			var erased []string
			if *erasures != "" {
				var err error
				if erased, err = backup.ReadErasures(*erasures); err != nil {
					return cli.Usagef("--erasures: %v", err)
				}
			}
			saved, err := openBackup(c.Arg(0), *identity)
			if err != nil {
				return err
			}
			verifierKey, err := checkBackup(c, saved, *key)
			if err != nil {
				return err
			}
			external := c.store.natsURL != ""
			keyPath := ""
			if !saved.Manifest.SigningKey && !external && c.store.signingKey == "" {
				keyPath = filepath.Join(integrity.Dir(c.store.dataDir), "signing.key")
				// The restore says once, in words, that the key is missing;
				// the projections would log it as a warning each time they
				// cannot save a checkpoint.
				c.Env = c.Env.Logging(slog.New(withoutNoSealKey{c.Env.Logger.Handler()}))
			}
			if err := restoreBackup(c, saved, backup.Erasures{Subjects: erased, Source: filepath.Base(*erasures)}, keyPath); err != nil {
				return err
			}
			c.Printf("verifying\n")
			verifyArgs := []string{"--data", c.store.dataDir}
			if external {
				verifyArgs = []string{"--nats", c.store.natsURL}
			}
			if verifierKey != "" {
				verifyArgs = append(verifyArgs, "--key", verifierKey)
			}
			return runVerify(c.Ctx, c.Env, verifyArgs)
		}
	})

// checkBackup checks who made the backup before anything of it is
// restored (backup.Backup.Check), and returns the verifier key the
// restored ledger is then verified with. With --key (keyFlag), the key
// from outside the backup: its manifest's signature and every signed
// checkpoint must hold under it, and an unsigned backup is refused, since
// nothing ties it to that key. Without, the backup's own verifier key:
// what it proves is only that the backup is whole, and a warning says so.
func checkBackup(c *call, saved *backup.Backup, keyFlag string) (string, error) {
	if keyFlag != "" {
		verifier, err := integrity.NewVerifier(keyFlag)
		if err != nil {
			return "", cli.Usagef("--key: %v", err)
		}
		given := integrity.KeyID(verifier.Name(), verifier.KeyHash())
		var wrong *backup.WrongKeyError
		switch err := saved.Check(verifier); {
		case errors.Is(err, backup.ErrUnsigned):
			return "", fmt.Errorf("%w (it was made before backups were signed): nothing ties it to --key %s; "+
				"restore it without --key only if you trust where it came from", err, given)
		case errors.As(err, &wrong):
			return "", report.WrongBackupKey(err, wrong.Given, wrong.Signers)
		case err != nil:
			return "", err
		}
		c.Printf("the backup is signed with %s: its manifest's signature, every file it lists and its signed checkpoints hold\n", given)
		return keyFlag, nil
	}
	own, found := saved.VerifierKey()
	if !found {
		c.Warnf("ledger restore: WARNING: the backup holds no verifier key and no --key was given: nothing says who made it\n")
		return "", nil
	}
	verifier, err := integrity.NewVerifier(own)
	if err != nil {
		return "", fmt.Errorf("the backup's verifier key: %w", err)
	}
	switch err := saved.Check(verifier); {
	case errors.Is(err, backup.ErrUnsigned):
		c.Warnf("ledger restore: WARNING: the backup is not signed (it was made before backups were signed): only its events' hash " +
			"was checked, and its signed checkpoints are checked against its own verifier key, which proves nothing about who made it; " +
			"give --key VERIFIER_KEY to refuse a backup that is not signed with the ledger's key\n")
	case err != nil:
		return "", err
	default:
		c.Warnf("ledger restore: WARNING: checked only against the backup's own verifier key, which proves nothing about who made " +
			"the backup (anyone can make one that passes); give --key VERIFIER_KEY, the ledger's, kept apart from its backups\n")
	}
	return own, nil
}

// restoreBackup restores the checked backup into the ledger the command
// names (backup.RestoreLedger), saying what each step did; keyPath, when
// set, is where the signing key the backup lacks goes.
func restoreBackup(c *call, saved *backup.Backup, erasures backup.Erasures, keyPath string) error {
	config, err := c.store.config(c.Env, serverOptions{})
	if err != nil {
		return err
	}
	err = saved.RestoreLedger(c.Ctx, config, erasures, backup.RestoreSteps{
		Restored: func(restored backup.Restored) {
			report.RestoredText(c.Env.Stdout, restored.Events, restored.Checkpoints, restored.IgnoredProjections)
		},
		Reapplied: func(done []app.Reapplied) { report.ReappliedText(c.Env.Stdout, done) },
		Rebuilt: func(status projections.Status) {
			report.TotalsRebuiltText(c.Env.Stdout, status.Position, status.CheckpointPosition == status.Position, keyPath)
		},
	})
	return configUsage(err)
}

// withoutNoSealKey passes every log record on but a warning that a
// checkpoint could not be sealed for want of a key (projections.ErrNoSealKey),
// for a command that says so itself.
type withoutNoSealKey struct{ slog.Handler }

func (h withoutNoSealKey) Handle(ctx context.Context, record slog.Record) error {
	noKey := false
	record.Attrs(func(attr slog.Attr) bool {
		err, isErr := attr.Value.Any().(error)
		noKey = isErr && errors.Is(err, projections.ErrNoSealKey)
		return !noKey
	})
	if noKey {
		return nil
	}
	return h.Handler.Handle(ctx, record)
}

func (h withoutNoSealKey) WithAttrs(attrs []slog.Attr) slog.Handler {
	return withoutNoSealKey{h.Handler.WithAttrs(attrs)}
}

func (h withoutNoSealKey) WithGroup(name string) slog.Handler {
	return withoutNoSealKey{h.Handler.WithGroup(name)}
}

// openBackup opens the backup in dir, with the age identity in the file
// identityFile when it is encrypted (backup.Open).
func openBackup(dir, identityFile string) (*backup.Backup, error) {
	var identities []age.Identity
	if identityFile != "" {
		var err error
		if identities, err = backup.ParseIdentities(identityFile); err != nil {
			return nil, cli.Usagef("--%v", err)
		}
	}
	saved, err := backup.Open(dir, identities)
	if errors.Is(err, backup.ErrEncrypted) {
		return nil, cli.Usagef("the backup is encrypted: give --identity FILE with the age identity of one of its recipients")
	}
	return saved, err
}

// runBackupKey makes an age key pair for backups: the identity goes to a
// new file only its owner can read, the recipient (public key) is printed
// for `ledger backup --recipient`.
var runBackupKey = plainCommand(cli.Spec{Name: "backup-key", Args: cli.AnyArgs, Usage: "--out FILE\n\n" +
	"Makes an age X25519 key pair: writes the identity (secret) to FILE, mode 0600, and prints the recipient (public key)\n" +
	"to give `ledger backup --recipient`. Keep the identity apart from the backups: it is what opens them."},
	func(flags *flag.FlagSet) action {
		var out cli.Output
		out.Register(flags, "file for the identity (required)")
		return func(c *call) error {
			if out.Path == "" || c.Flags.NArg() > 0 {
				return cli.Usagef("give --out FILE")
			}
			content, recipient, err := backup.NewIdentity(time.Now())
			if err != nil {
				return err
			}
			if err := out.Write(c.Env, []byte(content)); err != nil {
				return err
			}
			c.Printf("%s\n", recipient)
			return nil
		}
	})
