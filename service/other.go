//go:build !windows

package service

import "context"

// RunUnderManager runs program as a Windows service; elsewhere it refuses
// with ErrUnsupported (use the system's own service manager, e.g. systemd,
// which runs the program as it runs on a console).
func RunUnderManager(ctx context.Context, dataDir string, program Program) error {
	return ErrUnsupported
}

// Install registers a Windows service; elsewhere it refuses with
// ErrUnsupported.
func Install(installation Installation) error {
	return ErrUnsupported
}

// Uninstall removes a Windows service; elsewhere it refuses with
// ErrUnsupported.
func Uninstall(name string) error {
	return ErrUnsupported
}
