// Package backup writes a consistent backup of a JetStream ledger to a
// directory, encrypted with age, and restores one into an empty ledger.
package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
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
	// sums gathers, while a backup is written, the SHA-256 of each file
	// as stored (NAME or NAME.age), for the manifest.
	sums map[string]string
	// listed is, while a backup is read, the manifest's list of the
	// files and their SHA-256 as stored: every file read must be listed
	// and match, and a listed file must be there. Nil for a backup
	// written before manifests listed the files.
	listed map[string]string
}

// ErrChanged marks a backup file that is not as its manifest lists it:
// another content, a file the manifest does not list, or a listed file
// that is gone. Nothing of such a backup is used.
var ErrChanged = errors.New("the backup does not match its manifest")

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
	stored := &hashedFile{file: syncedFile{file}, hash: sha256.New(), name: path, sums: b.sums}
	if !b.encrypted() {
		return stored, nil
	}
	sealed, err := age.Encrypt(stored, b.recipients...)
	if err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("encrypt %s: %w", name, err)
	}
	return sealedFile{WriteCloser: sealed, file: stored}, nil
}

// hashedFile is a backup file being written, hashed as it is stored, its
// SHA-256 put into sums under its name once it is closed whole.
type hashedFile struct {
	file io.WriteCloser
	hash hash.Hash
	name string
	sums map[string]string
}

func (f *hashedFile) Write(content []byte) (int, error) {
	written, err := f.file.Write(content)
	f.hash.Write(content[:written])
	return written, err
}

func (f *hashedFile) Close() error {
	if err := f.file.Close(); err != nil {
		return err
	}
	if f.sums != nil {
		f.sums[f.name] = hex.EncodeToString(f.hash.Sum(nil))
	}
	return nil
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
//
// When the manifest lists the backup's files (listed), the file must be
// listed and its stored bytes must have the listed SHA-256, or it is
// ErrChanged; a listed file that is gone is ErrChanged too, not
// fs.ErrNotExist. The content is returned only once the whole file was
// read and found to match.
func (b files) read(name string, encrypted bool) ([]byte, error) {
	stored := name
	if encrypted {
		stored += backupAgeSuffix
	}
	path := filepath.Join(b.dir, stored)
	want, listed := b.listed[stored]
	file, err := private.OpenNotWritable(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && listed:
		return nil, fmt.Errorf("%w: the manifest lists %s, but the backup lacks it", ErrChanged, stored)
	case err != nil:
		return nil, err
	}
	defer file.Close()
	if b.listed != nil && !listed {
		return nil, fmt.Errorf("%w: %s is not among the files the manifest lists: it was put there after the backup was made", ErrChanged, stored)
	}
	hash := sha256.New()
	content, decryptErr := b.decrypt(io.TeeReader(file, hash), stored, encrypted)
	// Whatever was left unread counts too (age stops at its last chunk,
	// a failed decryption anywhere): the whole file is what the manifest
	// hashed, and a file that is not the manifest's is named as such
	// rather than as one that does not decrypt.
	if _, err := io.Copy(hash, file); err != nil {
		return nil, errors.Join(decryptErr, err)
	}
	if b.listed != nil && hex.EncodeToString(hash.Sum(nil)) != want {
		return nil, fmt.Errorf("%w: %s does not match the manifest's hash: the backup is damaged, or was changed after it was made", ErrChanged, stored)
	}
	if decryptErr != nil {
		return nil, decryptErr
	}
	return content, nil
}

// backupFileNames are the files a backup may hold besides its manifest
// and its signature, by their names in the clear.
var backupFileNames = []string{eventsName, checkpointsName, projectionsName, keysName, signingKeyName, verifierKeyName}

// checkAll checks, when the manifest lists the backup's files, that every
// listed file is there with the listed SHA-256 and that no file a backup
// may hold is there unlisted, before anything of the backup is used: a
// restore that found a replaced file halfway would leave a ledger half
// restored. Each file is checked again as it is read.
func (b files) checkAll(encrypted bool) error {
	if b.listed == nil {
		return nil
	}
	for _, name := range backupFileNames {
		stored := name
		if encrypted {
			stored += backupAgeSuffix
		}
		if _, listed := b.listed[stored]; !listed {
			if _, err := os.Lstat(filepath.Join(b.dir, stored)); !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%w: %s is not among the files the manifest lists: it was put there after the backup was made", ErrChanged, stored)
			}
		}
	}
	for stored, want := range b.listed {
		if err := b.checkFile(stored, want); err != nil {
			return err
		}
	}
	return nil
}

// checkFile checks one listed file's stored bytes against its SHA-256.
func (b files) checkFile(stored, want string) error {
	if filepath.Base(stored) != stored {
		return fmt.Errorf("%w: the manifest lists %q, which is no file of the backup directory", ErrChanged, stored)
	}
	file, err := private.OpenNotWritable(filepath.Join(b.dir, stored))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: the manifest lists %s, but the backup lacks it", ErrChanged, stored)
	}
	if err != nil {
		return err
	}
	defer file.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, file); err != nil {
		return err
	}
	if hex.EncodeToString(hash.Sum(nil)) != want {
		return fmt.Errorf("%w: %s does not match the manifest's hash: the backup is damaged, or was changed after it was made", ErrChanged, stored)
	}
	return nil
}

// decrypt reads a backup file's content from stored, decrypting it with
// the identities when the backup is encrypted.
func (b files) decrypt(file io.Reader, stored string, encrypted bool) ([]byte, error) {
	if !encrypted {
		return io.ReadAll(file)
	}
	name := strings.TrimSuffix(stored, backupAgeSuffix)
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
	file io.WriteCloser
}

func (f sealedFile) Close() error {
	if err := f.WriteCloser.Close(); err != nil {
		_ = f.file.Close()
		return err
	}
	return f.file.Close()
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
