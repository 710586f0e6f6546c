//go:build windows

package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// Recovery after a failure, unit last: restart after a minute, three
// times, the count of failures forgotten after a day without one.
const (
	restartDelaySeconds = 60
	failureResetSeconds = 24 * 60 * 60
)

// modifyAccess is what icacls calls M: read, write, execute and delete,
// but not changing the access list or taking ownership.
const modifyAccess = "0x1301bf"

// Install registers the service to start with the system under its own
// virtual account (NT SERVICE\Name, no password to keep), restarted after
// a failure (an exit code other than 0 counts, not only a crash), and
// makes the data directory private to that account and Administrators.
func Install(installation Installation) error {
	if !filepath.IsAbs(installation.DataDir) || !filepath.IsAbs(installation.Executable) {
		return fmt.Errorf("service: the data directory and the executable must be full paths")
	}
	manager, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service: connect to the Service Control Manager (run as Administrator): %w", err)
	}
	defer manager.Disconnect()
	if existing, err := manager.OpenService(installation.Name); err == nil {
		existing.Close()
		return fmt.Errorf("service: %s is installed already (ledger service uninstall --name %s removes it)", installation.Name, installation.Name)
	}
	account := `NT SERVICE\` + installation.Name
	created, err := manager.CreateService(installation.Name, installation.Executable, mgr.Config{
		DisplayName:      "Union welfare activity ledger",
		Description:      "Union welfare activity ledger: NATS JetStream, HTTP API and dashboard (ledger serve --service)",
		StartType:        mgr.StartAutomatic,
		ServiceStartName: account,
		// The service's own SID is in its token, so the data directory's
		// access list can name the service alone.
		SidType: windows.SERVICE_SID_TYPE_UNRESTRICTED,
	}, installation.Args...)
	if err != nil {
		return fmt.Errorf("service: create %s: %w", installation.Name, err)
	}
	defer created.Close()
	// A half-installed service is removed again: the next install starts
	// from nothing.
	undo := func(err error) error {
		return errors.Join(err, created.Delete())
	}
	restart := mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: restartDelaySeconds * time.Second}
	if err := created.SetRecoveryActions([]mgr.RecoveryAction{restart, restart, restart}, failureResetSeconds); err != nil {
		return undo(fmt.Errorf("service: recovery actions: %w", err))
	}
	if err := created.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return undo(fmt.Errorf("service: recovery on failures: %w", err))
	}
	if err := restrictDataDir(installation.DataDir, account); err != nil {
		return undo(err)
	}
	return nil
}

// restrictDataDir makes dir if missing and replaces its access list, and
// its files', with one that lets in only account (modify) and
// Administrators (full control), nothing inherited from the parent: file
// modes are no access control on Windows, and a folder made under C:\
// inherits access for every user.
func restrictDataDir(dir, account string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("service: data directory: %w", err)
	}
	sid, _, _, err := windows.LookupSID("", account)
	if err != nil {
		return fmt.Errorf("service: look up %s: %w", account, err)
	}
	// P: protected from the parent's entries; OICI: inherited by every file
	// and folder within; BA: the Administrators group.
	descriptor, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;BA)(A;OICI;" + modifyAccess + ";;;" + sid.String() + ")")
	if err != nil {
		return fmt.Errorf("service: data directory access list: %w", err)
	}
	dacl, _, err := descriptor.DACL()
	if err != nil {
		return fmt.Errorf("service: data directory access list: %w", err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("service: set the data directory's access list: %w", err)
	}
	return nil
}

// Uninstall removes the service, which must be stopped; the data directory
// is left as it is.
func Uninstall(name string) error {
	manager, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service: connect to the Service Control Manager (run as Administrator): %w", err)
	}
	defer manager.Disconnect()
	installed, err := manager.OpenService(name)
	if err != nil {
		return fmt.Errorf("service: open %s: %w", name, err)
	}
	defer installed.Close()
	status, err := installed.Query()
	if err != nil {
		return fmt.Errorf("service: query %s: %w", name, err)
	}
	// Deleting a running service only marks it: it would linger until
	// stopped. Stopping is the operator's step, so it is not a surprise.
	if status.State != svc.Stopped {
		return fmt.Errorf("service: %s is not stopped: stop it first (sc.exe stop %s)", name, name)
	}
	if err := installed.Delete(); err != nil {
		return fmt.Errorf("service: delete %s: %w", name, err)
	}
	return nil
}
