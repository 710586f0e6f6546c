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
