package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// backupFiles writes and reads the files of a backup directory. An
// encrypted backup keeps each file as NAME.age, encrypted with age to every
// recipient given (X25519 keys): whoever takes a copy without one of the
// matching identities reads nothing of it but the manifest's counts.
type backupFiles struct {
	dir        string
	recipients []age.Recipient
	identities []age.Identity
}

// backupAgeSuffix ends the name of an encrypted backup file.
const backupAgeSuffix = ".age"

func (b backupFiles) encrypted() bool { return len(b.recipients) > 0 }

// create makes a new file of the backup (mode 0600, never over an existing
// one); what is written to it is encrypted when the backup is.
func (b backupFiles) create(name string) (io.WriteCloser, error) {
	path := filepath.Join(b.dir, name)
	if b.encrypted() {
		path += backupAgeSuffix
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if !b.encrypted() {
		return syncedFile{file}, nil
	}
	sealed, err := age.Encrypt(file, b.recipients...)
	if err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("encrypt %s: %w", name, err)
	}
	return sealedFile{WriteCloser: sealed, file: file}, nil
}

func (b backupFiles) write(name string, content []byte) error {
	writer, err := b.create(name)
	if err != nil {
		return err
	}
	if _, err := writer.Write(content); err != nil {
		_ = writer.Close()
		return err
	}
	return writer.Close()
}

// read returns a file's content, decrypted with the identities when the
// backup is encrypted. A missing file is fs.ErrNotExist either way.
func (b backupFiles) read(name string, encrypted bool) ([]byte, error) {
	path := filepath.Join(b.dir, name)
	if !encrypted {
		return os.ReadFile(path)
	}
	file, err := os.Open(path + backupAgeSuffix)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	plain, err := age.Decrypt(file, b.identities...)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, fmt.Errorf("%s: none of the --identity keys can open this backup (it was encrypted to other recipients)", name+backupAgeSuffix)
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", name+backupAgeSuffix, err)
	}
	content, err := io.ReadAll(plain)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: the file is damaged: %w", name+backupAgeSuffix, err)
	}
	return content, nil
}

// syncedFile is a plain backup file, on disk before it is closed.
type syncedFile struct{ *os.File }

func (f syncedFile) Close() error {
	if err := f.Sync(); err != nil {
		_ = f.File.Close()
		return err
	}
	return f.File.Close()
}

// sealedFile finishes the age stream, then the file under it.
type sealedFile struct {
	io.WriteCloser
	file *os.File
}

func (f sealedFile) Close() error {
	if err := f.WriteCloser.Close(); err != nil {
		_ = f.file.Close()
		return err
	}
	return syncedFile{f.file}.Close()
}

// parseRecipient reads an age recipient: the key itself (age1…) or a file
// of them, one a line.
func parseRecipient(value string) ([]age.Recipient, error) {
	if strings.HasPrefix(value, "age1") {
		recipient, err := age.ParseX25519Recipient(value)
		if err != nil {
			return nil, usagef("--recipient %q: %v", value, err)
		}
		return []age.Recipient{recipient}, nil
	}
	content, err := os.ReadFile(value)
	if err != nil {
		return nil, usagef("--recipient %q is neither an age public key (age1…) nor a file of them: %v", value, err)
	}
	recipients, err := age.ParseRecipients(bytes.NewReader(content))
	if err != nil {
		return nil, usagef("--recipient %s: %v", value, err)
	}
	return recipients, nil
}

// parseIdentities reads an age identity file (as `ledger backup-key`
// writes it).
func parseIdentities(path string) ([]age.Identity, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usagef("--identity: %v", err)
	}
	defer file.Close()
	identities, err := age.ParseIdentities(file)
	if err != nil {
		return nil, usagef("--identity %s: %v", path, err)
	}
	return identities, nil
}

// runBackupKey makes an age key pair for backups: the identity goes to a
// new file only its owner can read, the recipient (public key) is printed
// for `ledger backup --recipient`.
func runBackupKey(_ context.Context, env *environment, args []string) error {
	flags := newFlags(env, "backup-key", "--out FILE\n\nMakes an age X25519 key pair: writes the identity (secret) to FILE, mode 0600, and prints the recipient (public key)\n"+
		"to give `ledger backup --recipient`. Keep the identity apart from the backups: it is what opens them.")
	out := flags.String("out", "", "file for the identity (required)")
	force := flags.Bool("force", false, "replace an existing --out file")
	if err := parse(flags, args); err != nil {
		return err
	}
	if *out == "" || flags.NArg() > 0 {
		return usagef("give --out FILE")
	}
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	content := fmt.Sprintf("# ledger backup identity, made %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339),
		identity.Recipient(), identity)
	if err := writeOutput(*out, []byte(content), *force); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, identity.Recipient().String())
	return nil
}
