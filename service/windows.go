//go:build windows

package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows/svc"
)

// Timing of the reports to the Service Control Manager, unit last. The SCM
// takes a pending service whose CheckPoint stays the same for longer than
// its WaitHint to be hung; the machine reports progress every tick, well
// within the hint, for as long as a start (catching up a large log) or a
// stop (draining HTTP, signing the last checkpoint) takes.
const (
	tickSeconds     = 5
	waitHintSeconds = 30
)

// RunUnderManager runs program as the Windows service the Service Control
// Manager started, logging to LogName in dataDir; the machine in Run does
// the work, and the handler below only translates the SCM's requests and
// statuses. It returns once the SCM has been told the service stopped,
// with program's error when the exit code told was not 0. Started from a console, it returns
// ErrNotUnderManager; dataDir must be a full path.
func RunUnderManager(ctx context.Context, dataDir string, program Program) error {
	isService, err := svc.IsWindowsService()
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	if !isService {
		return ErrNotUnderManager
	}
	// A service starts in the Windows system directory: a relative data
	// directory would put the ledger there.
	if !filepath.IsAbs(dataDir) {
		return fmt.Errorf("service: the data directory %q is not a full path", dataDir)
	}
	log, err := OpenLog(dataDir)
	if err != nil {
		return err
	}
	defer log.Close()
	h := &handler{ctx: ctx, log: log, logger: slog.New(slog.NewTextHandler(log, nil)), program: program}
	// The name is ignored for a service that has its process to itself,
	// as this one has: the SCM knows which service it started.
	if err := svc.Run("ledger", h); err != nil {
		h.logger.Error("service dispatcher", "error", err)
		return fmt.Errorf("service: %w", err)
	}
	// The process's exit status agrees with what the SCM was told: a
	// cancellation after the stop asked for is no failure.
	if h.final.ExitCode == 0 {
		return nil
	}
	return h.final.Err
}

type handler struct {
	ctx     context.Context
	log     io.Writer
	logger  *slog.Logger
	program Program
	final   Status
}

// Execute is called by svc on its own goroutine for the life of the
// service.
func (h *handler) Execute(args []string, changes <-chan svc.ChangeRequest, statuses chan<- svc.Status) (bool, uint32) {
	// The SCM's requests, translated, go to the machine until Execute
	// returns; svc never closes its channel.
	requests := make(chan Request)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case change := <-changes:
				select {
				case requests <- request(change.Cmd):
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	ticker := time.NewTicker(tickSeconds * time.Second)
	defer ticker.Stop()
	var logged State
	report := func(status Status) {
		if status.State != logged {
			h.logger.Info("service", "state", status.State.String())
			logged = status.State
		}
		// svc reports Stopped itself once Execute returns, with the exit
		// code returned here; reporting it before would tell the SCM the
		// service stopped cleanly first.
		if status.State != Stopped {
			statuses <- toSvc(status)
		}
	}
	run := func(ctx context.Context, ready func()) error { return h.program(ctx, h.log, ready) }
	h.final = Run(h.ctx, requests, report, run, Options{Tick: ticker.C,
		StartWaitHint: waitHintSeconds * time.Second, StopWaitHint: waitHintSeconds * time.Second})
	if h.final.Err != nil {
		h.logger.Error("service stopped", "exit_code", h.final.ExitCode, "error", h.final.Err)
	}
	// The exit code is the ledger's own (1 for a failure), so it is
	// service-specific: Windows shows it as such rather than as a Win32
	// error number.
	return true, h.final.ExitCode
}

func request(cmd svc.Cmd) Request {
	switch cmd {
	case svc.Interrogate:
		return Interrogate
	case svc.Stop:
		return Stop
	case svc.Shutdown:
		return Shutdown
	}
	return Unknown
}

func toSvc(status Status) svc.Status {
	out := svc.Status{CheckPoint: status.CheckPoint, WaitHint: uint32(status.WaitHint / time.Millisecond)}
	switch status.State {
	case StartPending:
		out.State = svc.StartPending
	case Running:
		out.State = svc.Running
	case StopPending:
		out.State = svc.StopPending
	case Stopped:
		out.State = svc.Stopped
	}
	if status.AcceptsStop {
		out.Accepts = svc.AcceptStop | svc.AcceptShutdown
	}
	return out
}
