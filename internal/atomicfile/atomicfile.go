// Package atomicfile writes a file whole or not at all. Side files the
// ledger keeps beside its log (the record of seen checkpoints, a witness's
// state and key, a mirror's tiles) must never be left half written by a
// crash: a reader would trust a torn file or refuse to start.
package atomicfile

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// TemporaryPrefix begins the name of a file being written; one left by a
// crash can be removed by anyone who finds it.
const TemporaryPrefix = ".tmp-"

// Write writes content to path with mode: a temporary file in the same
// directory, synced and renamed over path, and the directory synced, so a
// crash leaves the old content or the new, never a part, and a restart
// sees what was written.
func Write(path string, content []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	temporary, err := os.CreateTemp(dir, TemporaryPrefix+"*")
	if err != nil {
		return err
	}
	// After the rename this removes nothing.
	defer os.Remove(temporary.Name())
	err = temporary.Chmod(mode)
	if err == nil {
		_, err = temporary.Write(content)
	}
	if err == nil {
		err = temporary.Sync()
	}
	if closeErr := temporary.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(temporary.Name(), path)
	}
	if err != nil {
		return err
	}
	directory, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer directory.Close()
	// Some systems cannot sync a directory; the rename is then as durable
	// as they make it.
	_ = directory.Sync()
	return nil
}

// WritePrivateJSON writes value as indented JSON, readable by its owner
// only, making the directory (owner only) if needed.
func WritePrivateJSON(path string, value any) error {
	content, err := json.MarshalIndent(value, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return Write(path, append(content, '\n'), 0o600)
}
