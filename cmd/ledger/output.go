package main

import (
	"errors"
	"io/fs"
	"os"
)

// createOutput opens a file a command writes its report or proof to. It
// refuses an existing file unless force, never writes through a symbolic
// link (another user could point one at a file of ours), and makes the file
// readable by its owner only: reports can hold names.
func createOutput(path string, force bool) (*os.File, error) {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		return nil, usagef("--out %s is a symbolic link: write to the file itself", path)
	case err == nil && !info.Mode().IsRegular():
		return nil, usagef("--out %s exists and is not a regular file", path)
	case err == nil && !force:
		return nil, usagef("--out %s exists: give --force to replace it", path)
	case err == nil:
		// Replaced, not truncated: a new file gets the new mode, and
		// O_EXCL below then refuses a link put in its place meanwhile.
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	// O_EXCL with O_CREATE fails on any existing name, a symbolic link
	// included, so nothing is followed.
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// writeOutput writes content to a new file as createOutput makes it.
func writeOutput(path string, content []byte, force bool) error {
	file, err := createOutput(path, force)
	if err != nil {
		return err
	}
	if _, err := file.Write(content); err != nil {
		_ = file.Close()
		return err
	}
	return file.Close()
}
