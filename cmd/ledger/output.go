package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/ordos-union/ledger/internal/atomicfile"
)

// writeOutput writes a command's report, proof or key to a file. It
// refuses an existing file unless force, never writes through a symbolic
// link (another user could point one at a file of ours), and makes the file
// readable by its owner only: reports can hold names. The file is written
// whole beside the name and renamed over it (atomicfile.Write): a rename
// replaces a link put in its place meanwhile instead of following it.
func writeOutput(path string, content []byte, force bool) error {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		return usagef("--out %s is a symbolic link: write to the file itself", path)
	case err == nil && !info.Mode().IsRegular():
		return usagef("--out %s exists and is not a regular file", path)
	case err == nil && !force:
		return usagef("--out %s exists: give --force to replace it", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return atomicfile.Write(path, content, 0o600)
}
