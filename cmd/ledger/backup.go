package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/integrity"
)

func runBackup(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "backup", "OUT --recipient AGE_PUBLIC_KEY\n\nWrites a consistent backup of the ledger stream, its checkpoints, projection checkpoints and personal-data keys to the\n"+
		"new directory OUT, encrypted with age to each --recipient (make a key pair with `ledger backup-key --out FILE`).")
	var options backup.Options
	flags.Func("recipient", "age public key (age1…) or a file of them to encrypt the backup to (repeatable)", func(value string) error {
		recipients, err := backup.ParseRecipient(value)
		options.Recipients = append(options.Recipients, recipients...)
		return err
	})
	plaintext := flags.Bool("plaintext", false, "write the backup in the clear: it then reveals every person's data to whoever reads it")
	flags.BoolVar(&options.WithSigningKey, "with-signing-key", false, "include the checkpoint signing key: whoever holds the backup can then sign checkpoints as the ledger")
	if err := parseArgs(flags, args, 1, "give one OUT directory"); err != nil {
		return err
	}
	if err := store.jetStreamOnly("backup"); err != nil {
		return err
	}
	if len(options.Recipients) == 0 && !*plaintext {
		return usagef("a backup holds the keys to every person's data: give --recipient AGE_PUBLIC_KEY (make one with " +
			"`ledger backup-key --out FILE`), or --plaintext to write it in the clear")
	}
	if len(options.Recipients) > 0 && *plaintext {
		return usagef("--plaintext and --recipient exclude each other")
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	manifest, err := backup.Write(ctx, opened, flags.Arg(0), options)
	if err != nil {
		return err
	}
	how := "in the clear"
	if manifest.Encrypted {
		how = fmt.Sprintf("encrypted to %d recipients", len(options.Recipients))
	}
	fmt.Fprintf(env.stdout, "backed up %d events (head %d), %d checkpoints and %d projection checkpoints to %s, %s\n",
		manifest.Events, manifest.Head, manifest.Checkpoints, manifest.Projections, flags.Arg(0), how)
	return nil
}

func runRestore(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "restore", "BACKUP --data NEWDIR [--identity FILE] [--erasures FILE]\n\nRestores a backup into an empty ledger: every event at its original position, the checkpoints and the projection checkpoints;\n"+
		"re-applies the erasures listed in --erasures (`ledger erasures` on the live ledger writes the list); then verifies it.")
	identity := flags.String("identity", "", "age identity file that opens an encrypted backup (as `ledger backup-key` wrote it)")
	erasures := flags.String("erasures", "", "file of erased data subjects, one a line (`ledger erasures --out FILE` on the live ledger): their keys are destroyed again and the erasures recorded")
	if err := parseArgs(flags, args, 1, "give one BACKUP directory"); err != nil {
		return err
	}
	if err := store.jetStreamOnly("restore"); err != nil {
		return err
	}
	var erased []string
	if *erasures != "" {
		var err error
		if erased, err = backup.ReadErasures(*erasures); err != nil {
			return usagef("--erasures: %v", err)
		}
	}
	saved, err := openBackup(flags.Arg(0), *identity)
	if err != nil {
		return err
	}
	if store.natsURL == "" {
		if err := saved.WriteKeys(store.dataDir); err != nil {
			return err
		}
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	restored, err := saved.Restore(ctx, opened)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "restored %d events, %d checkpoints and %d projection checkpoints\n", restored.Events, restored.Checkpoints, restored.Projections)
	if err := reapplyErasures(ctx, env, opened, erased, *erasures); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "verifying")
	opened.Close()
	verifyArgs := []string{"--data", store.dataDir}
	if store.natsURL != "" {
		verifyArgs = []string{"--nats", store.natsURL}
	}
	if key, ok := saved.VerifierKey(); ok {
		verifyArgs = append(verifyArgs, "--key", key)
	}
	if !saved.Manifest.SigningKey && store.natsURL == "" {
		fmt.Fprintf(env.stdout, "the backup holds no signing key (taken without --with-signing-key): put the ledger's key in %s "+
			"or give serve --signing-key FILE, else new checkpoints are signed with a new key\n", filepath.Join(integrity.Dir(store.dataDir), "signing.key"))
	}
	return runVerify(ctx, env, verifyArgs)
}

// openBackup opens the backup in dir, with the age identity in the file
// identityFile when it is encrypted (backup.Open).
func openBackup(dir, identityFile string) (*backup.Backup, error) {
	var identities []age.Identity
	if identityFile != "" {
		var err error
		if identities, err = backup.ParseIdentities(identityFile); err != nil {
			return nil, usagef("--%v", err)
		}
	}
	saved, err := backup.Open(dir, identities)
	if errors.Is(err, backup.ErrEncrypted) {
		return nil, usagef("the backup is encrypted: give --identity FILE with the age identity of one of its recipients")
	}
	return saved, err
}

// reapplyErasures erases again the subjects erased since the backup was
// taken (app.ReapplyErasures) and says what became of each.
func reapplyErasures(ctx context.Context, env *environment, opened *opened, erased []string, listFile string) error {
	done, err := opened.App.ReapplyErasures(ctx, erased, filepath.Base(listFile), "ledger-restore")
	for _, reapplied := range done {
		if reapplied.Err != nil {
			fmt.Fprintf(env.stdout, "could not re-apply the erasure of %s: %v\n", reapplied.Subject, reapplied.Err)
		} else {
			fmt.Fprintf(env.stdout, "re-applied the erasure of %s: %s\n", reapplied.Subject, reapplied.Outcome)
		}
	}
	return err
}

// runBackupKey makes an age key pair for backups: the identity goes to a
// new file only its owner can read, the recipient (public key) is printed
// for `ledger backup --recipient`.
func runBackupKey(_ context.Context, env *environment, args []string) error {
	flags := newFlags(env, "backup-key", "--out FILE\n\nMakes an age X25519 key pair: writes the identity (secret) to FILE, mode 0600, and prints the recipient (public key)\n"+
		"to give `ledger backup --recipient`. Keep the identity apart from the backups: it is what opens them.")
	var out outputFlags
	out.register(flags, "file for the identity (required)")
	if err := parse(flags, args); err != nil {
		return err
	}
	if out.path == "" || flags.NArg() > 0 {
		return usagef("give --out FILE")
	}
	content, recipient, err := backup.NewIdentity(time.Now())
	if err != nil {
		return err
	}
	if err := out.write(env, []byte(content)); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, recipient)
	return nil
}
