// Package backup writes a consistent backup of a JetStream ledger to a
// directory, encrypted with age, and restores one into an empty ledger.
package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/ordos-union/ledger/internal/private"
)

// files writes and reads the files of a backup directory. An
// encrypted backup keeps each file as NAME.age, encrypted with age to every
// recipient given (X25519 keys): whoever takes a copy without one of the
// matching identities reads nothing of it but the manifest's counts.
type files struct {
	dir string
	// root is the directory being written, opened once it was found to be
	// its owner's alone (private.OpenDir): every file is made through it,
	// so a directory renamed into its name meanwhile is not written to.
	root       *os.Root
	recipients []age.Recipient
	identities []age.Identity
}

// backupAgeSuffix ends the name of an encrypted backup file.
const backupAgeSuffix = ".age"

func (b files) encrypted() bool { return len(b.recipients) > 0 }

// open makes a new file of the backup, mode 0600. O_EXCL makes it never
// an existing one: not a file someone put there, and not a symbolic link
// (with O_CREATE|O_EXCL the system refuses a link, wherever it points),
// so a backup never writes through one into a file of someone else's.
func (b files) open(name string) (*os.File, error) {
	return b.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// create makes a new file of the backup (through open); what is written to
// it is encrypted when the backup is.
func (b files) create(name string) (io.WriteCloser, error) {
	path := name
	if b.encrypted() {
		path += backupAgeSuffix
	}
	file, err := b.open(path)
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

// write writes a new file of the backup, encrypted when the backup is.
func (b files) write(name string, content []byte) error {
	writer, err := b.create(name)
	if err != nil {
		return err
	}
	return writeAll(writer, content)
}

// writeClear writes a new file of the backup in the clear whatever the
// backup is: the manifest, which says how to read the rest.
func (b files) writeClear(name string, content []byte) error {
	file, err := b.open(name)
	if err != nil {
		return err
	}
	return writeAll(syncedFile{file}, content)
}

func writeAll(writer io.WriteCloser, content []byte) error {
	if _, err := writer.Write(content); err != nil {
		_ = writer.Close()
		return err
	}
	return writer.Close()
}

// read returns a file's content, decrypted with the identities when the
// backup is encrypted. A missing file is fs.ErrNotExist either way. A
// file that other users may write is refused: its content could be theirs
// (age encrypts to a public key, so anyone can make a file it opens).
func (b files) read(name string, encrypted bool) ([]byte, error) {
	path := filepath.Join(b.dir, name)
	if encrypted {
		path += backupAgeSuffix
	}
	file, err := private.OpenNotWritable(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if !encrypted {
		return io.ReadAll(file)
	}
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

// ParseRecipient reads an age recipient: the key itself (age1…) or a file
// of them, one a line.
func ParseRecipient(value string) ([]age.Recipient, error) {
	if strings.HasPrefix(value, "age1") {
		recipient, err := age.ParseX25519Recipient(value)
		if err != nil {
			return nil, fmt.Errorf("recipient %q: %w", value, err)
		}
		return []age.Recipient{recipient}, nil
	}
	content, err := os.ReadFile(value)
	if err != nil {
		return nil, fmt.Errorf("recipient %q is neither an age public key (age1…) nor a file of them: %w", value, err)
	}
	recipients, err := age.ParseRecipients(bytes.NewReader(content))
	if err != nil {
		return nil, fmt.Errorf("recipient %s: %w", value, err)
	}
	return recipients, nil
}

// ParseIdentities reads an age identity file (as `ledger backup-key`
// writes it, mode 0600). One that group or other users may read or write
// is refused (private.ExposedError): it opens every backup, and with it
// every person's data.
func ParseIdentities(path string) ([]age.Identity, error) {
	file, err := private.Open(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	defer file.Close()
	identities, err := age.ParseIdentities(file)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", path, err)
	}
	return identities, nil
}

// NewIdentity makes an age X25519 key pair: the identity file's content
// (the secret, with a comment naming the public key) and the recipient
// (public key) to give Write.
func NewIdentity(now time.Time) (content string, recipient string, err error) {
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	content = fmt.Sprintf("# ledger backup identity, made %s\n# public key: %s\n%s\n", now.UTC().Format(time.RFC3339),
		identity.Recipient(), identity)
	return content, identity.Recipient().String(), nil
}
