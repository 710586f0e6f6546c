//go:build !windows

package service

import "context"

// RunUnderManager runs program as a Windows service; elsewhere it refuses
// with ErrUnsupported (use the system's own service manager, e.g. systemd,
// which runs the program as it runs on a console).
func RunUnderManager(ctx context.Context, dataDir string, program Program) error {
	return ErrUnsupported
}
