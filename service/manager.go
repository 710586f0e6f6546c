package service

import (
	"context"
	"errors"
	"io"
)

// Program is what RunUnderManager runs: RunFunc with the service's log, to
// which it writes what it would print on a console.
type Program func(ctx context.Context, log io.Writer, ready func()) error

// ErrUnsupported is RunUnderManager's answer where there is no Service
// Control Manager: every system but Windows.
var ErrUnsupported = errors.New("service: the Service Control Manager is Windows's")

// ErrNotUnderManager is RunUnderManager's answer on Windows when the
// process was started from a console rather than by the Service Control
// Manager.
var ErrNotUnderManager = errors.New("service: not started by the Service Control Manager")

// Installation says what Install registers with the Service Control
// Manager.
type Installation struct {
	// Name is the service's name, also its virtual account's: NT
	// SERVICE\Name.
	Name string
	// Executable is the full path of ledger.exe; Args follow it on the
	// service's command line ("serve", "--service", "--data", DataDir,
	// ...).
	Executable string
	Args       []string
	// DataDir, a full path, is made if missing and given an access list
	// that lets only the service's account and Administrators in.
	DataDir string
}
