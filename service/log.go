package service

import (
	"fmt"
	"os"
	"path/filepath"
)

// LogName is the file in the data directory a service writes its log to:
// a service has no console, and a file beside the data it describes needs
// no registration with the system and travels with a backup of the folder.
const LogName = "ledger-service.log"

// logMaxBytes is the size past which OpenLog starts a fresh log, keeping
// the previous one as LogName.1: a service that runs for years must not
// fill its disk with its own log.
const logMaxBytes = 10 << 20

// OpenLog opens the service's log in dir for appending, made with mode
// 0600 (the log names the data directory's layout and clients' addresses).
// A log over logMaxBytes is first renamed to LogName.1, replacing an older
// one.
func OpenLog(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("service log: %w", err)
	}
	path := filepath.Join(dir, LogName)
	if info, err := os.Stat(path); err == nil && info.Size() > logMaxBytes {
		if err := os.Rename(path, path+".1"); err != nil {
			return nil, fmt.Errorf("service log: keep the previous log: %w", err)
		}
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("service log: %w", err)
	}
	return file, nil
}
