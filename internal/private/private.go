// Package private keeps what must be its owner's alone on this machine:
// the files that hold secrets (signing keys, API tokens, NATS credentials,
// a backup identity) and the directories the ledger writes secrets or
// personal data into. Another user of the host who can read a secret
// becomes the ledger, the witness or an administrator; one who can write
// into such a directory can plant a symbolic link or a file of theirs
// where the ledger will write or read. Every user of these files checks
// them through this one package, so the rule and its message are the same
// everywhere.
package private

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
)

// modesApply says whether POSIX file modes and owners are access control
// here. On Windows they are not (a file's access list is; the service
// installer sets the data directory's), so nothing is checked there.
var modesApply = runtime.GOOS != "windows"

// ExposedError is a secret file that group or other users may read or
// write, refused before its content is used.
type ExposedError struct {
	Path string
	Mode fs.FileMode
}

func (e *ExposedError) Error() string {
	return fmt.Sprintf("%s is mode %04o: a secret must be readable by its owner only (chmod 600 %s)", e.Path, e.Mode.Perm(), e.Path)
}

// checkSecret refuses a secret file with any group or other permission
// bit. Only the bits are asked: a secret handed over through a pipe of
// the caller's own (`--tokens <(…)`) is still one.
func checkSecret(path string, info fs.FileInfo) error {
	if modesApply && info.Mode().Perm()&0o077 != 0 {
		return &ExposedError{Path: path, Mode: info.Mode()}
	}
	return nil
}

// Open opens a secret file for reading, refusing one that group or other
// users may read or write (an ExposedError: the secret may already be
// known to them, or be theirs). The mode is checked on the opened file, so
// it is the mode of the very file that is read, whatever a link or a
// rename changed meanwhile. A missing file is fs.ErrNotExist, as os.Open
// says it.
func Open(path string) (*os.File, error) {
	return openChecked(path, checkSecret)
}

// openChecked opens path for reading and asks check about the opened
// file's mode, closing the file if check refuses it. Checking the file
// that was opened, rather than the name before the open, is what keeps a
// link or a rename from slipping another file in between.
func openChecked(path string, check func(path string, info fs.FileInfo) error) (*os.File, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err == nil {
		err = check(path, info)
	}
	if err != nil {
		_ = file.Close()
		return nil, err
	}
	return file, nil
}

// ReadFile reads a secret file whole, through Open.
func ReadFile(path string) ([]byte, error) {
	file, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return io.ReadAll(file)
}

// OpenDir makes the directory path (mode 0700, and its missing parents)
// or takes the one that is there, and opens it as a root that every file
// beneath is then made through. A directory that belongs to another user,
// or that group or other users may write, is refused: they could have put
// files or links in it, or put them there later, so what the ledger wrote
// there would no longer be its own. One of ours that others may only read
// or enter is made its owner's alone.
func OpenDir(path string) (*os.Root, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	if err := checkDir(path, root); err != nil {
		_ = root.Close()
		return nil, err
	}
	return root, nil
}

// checkDir checks the opened directory itself, not the name: a directory
// renamed into its place after the open is not the one written to.
func checkDir(path string, root *os.Root) error {
	if !modesApply {
		return nil
	}
	info, err := root.Stat(".")
	if err != nil {
		return err
	}
	mode := info.Mode().Perm()
	switch {
	case !ownedByUs(info):
		return fmt.Errorf("%s belongs to another user: give a directory of your own (or a new path, which is made mode 0700)", path)
	case mode&0o022 != 0:
		return fmt.Errorf("%s is mode %04o: other users can put files in it; give a directory only you can write (chmod 700 %s), "+
			"or a new path, which is made mode 0700", path, mode, path)
	case mode&0o077 != 0:
		if err := root.Chmod(".", 0o700); err != nil {
			return fmt.Errorf("%s is mode %04o: make it its owner's alone: %w", path, mode, err)
		}
	}
	return nil
}

// CheckNotWritable refuses a file or directory that group or other users
// may write: what the ledger reads from it (a backup to restore, a list of
// erasures) could be theirs, not what was written there.
func CheckNotWritable(path string, info fs.FileInfo) error {
	if modesApply && info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is mode %04o: other users of this machine can change it, so it cannot be trusted; "+
			"make it writable by its owner only (chmod go-w %s) if nobody else has changed it", path, info.Mode().Perm(), path)
	}
	return nil
}

// OpenNotWritable opens a file for reading, refusing one that group or
// other users may write (as CheckNotWritable says). The mode is checked on
// the opened file, as Open does for a secret, so it is the mode of the
// very file that is read. A missing file is fs.ErrNotExist, as os.Open
// says it.
func OpenNotWritable(path string) (*os.File, error) {
	return openChecked(path, CheckNotWritable)
}

// IsExposed reports whether err is (or wraps) an ExposedError.
func IsExposed(err error) bool {
	var exposed *ExposedError
	return errors.As(err, &exposed)
}
