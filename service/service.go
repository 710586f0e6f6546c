// Package service runs a long-running program under a service manager's
// control: the state machine here is plain Go, so its behaviour is tested on
// any system, and the Windows Service Control Manager adapter (windows.go) only
// translates between the SCM's requests and statuses and this machine's.
package service

import (
	"context"
	"errors"
	"sync"
	"time"
)

// State is where a service is in its life, as a service manager sees it.
type State int

const (
	// StartPending: the program is starting and does not serve yet.
	StartPending State = iota + 1
	// Running: the program said it is ready.
	Running
	// StopPending: the program was asked to stop and is draining.
	StopPending
	// Stopped: the program returned; Status.ExitCode says how.
	Stopped
)

func (s State) String() string {
	switch s {
	case StartPending:
		return "start pending"
	case Running:
		return "running"
	case StopPending:
		return "stop pending"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

// Request is what a service manager asks of the service.
type Request int

const (
	// Unknown stands for every request the machine does not act on (pause,
	// parameter change, device events, ...): it is ignored.
	Unknown Request = iota
	// Interrogate asks for the current status again.
	Interrogate
	// Stop asks the program to stop.
	Stop
	// Shutdown says the system is shutting down: the program stops as for
	// Stop.
	Shutdown
)

func (r Request) String() string {
	switch r {
	case Interrogate:
		return "interrogate"
	case Stop:
		return "stop"
	case Shutdown:
		return "shutdown"
	}
	return "unknown"
}

// Status is what the service tells its manager.
type Status struct {
	State State
	// AcceptsStop is true while Running only: a program that is starting
	// cannot be stopped half-way by the manager, and one that is stopping
	// needs no second request.
	AcceptsStop bool
	// CheckPoint grows while a start or a stop takes long, so the manager
	// knows the program is not hung; WaitHint is how long the manager
	// should wait for the next sign of progress.
	CheckPoint uint32
	WaitHint   time.Duration
	// ExitCode is 0 when the program stopped without an error; Err is the
	// error. Both are set on Stopped only.
	ExitCode uint32
	Err      error
}

// RunFunc is the program: it runs until ctx ends or it fails, and calls
// ready once it serves. ready may be called more than once.
type RunFunc func(ctx context.Context, ready func()) error

// Options tune the machine; the zero value works.
type Options struct {
	// Tick, while a start or a stop is pending, makes the machine report
	// the same state with a higher CheckPoint. The Windows adapter gives a
	// ticker; tests give a channel of their own. Nil never ticks.
	Tick <-chan time.Time
	// StartWaitHint and StopWaitHint are the WaitHints of the pending
	// states.
	StartWaitHint, StopWaitHint time.Duration
	// ExitCode turns the program's error into an exit code; by default an
	// error is 1 and nil is 0.
	ExitCode func(error) uint32
}

// Run starts run and reports every change of status until run returns:
// StartPending at once; Running when run calls ready; StopPending when a
// Stop or Shutdown request comes (or ctx ends), which cancels run's
// context; and Stopped, with the exit code of run's error, when run
// returns (0 for context.Canceled after a stop: the stop it was asked
// for). Interrogate reports the current status again; other requests
// are ignored. Run returns the final, Stopped status. report is called
// from Run's goroutine only, one status at a time.
func Run(ctx context.Context, requests <-chan Request, report func(Status), run RunFunc, options Options) Status {
	exitCode := options.ExitCode
	if exitCode == nil {
		exitCode = defaultExitCode
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// ready may be called from any goroutine and more than once; the
	// channel closes once and the loop hears of it once.
	readyCh := make(chan struct{})
	var once sync.Once
	ready := func() { once.Do(func() { close(readyCh) }) }
	done := make(chan error, 1)
	go func() { done <- run(runCtx, ready) }()

	current := Status{State: StartPending, WaitHint: options.StartWaitHint}
	report(current)
	// stopping is what a Stop request or the end of ctx does: cancel the
	// program and say so, once.
	stopping := func() {
		cancel()
		if current.State != StopPending {
			current = Status{State: StopPending, WaitHint: options.StopWaitHint}
			report(current)
		}
	}
	parent := ctx.Done()
	for {
		select {
		case err := <-done:
			final := Status{State: Stopped, ExitCode: exitCode(err), Err: err}
			// A program stopped while it was still starting may return
			// the cancellation itself: it did what it was asked, and an
			// exit code would make the manager's recovery restart it.
			if current.State == StopPending && errors.Is(err, context.Canceled) {
				final.ExitCode = 0
			}
			report(final)
			return final
		case <-readyCh:
			readyCh = nil
			// A program asked to stop before it was ready stays stopping:
			// telling the manager Running now would invite a second Stop.
			if current.State == StartPending {
				current = Status{State: Running, AcceptsStop: true}
				report(current)
			}
		case request, ok := <-requests:
			if !ok {
				// No manager will ask anything more; the program runs on
				// until it returns or ctx ends.
				requests = nil
				continue
			}
			switch request {
			case Interrogate:
				report(current)
			case Stop, Shutdown:
				stopping()
			}
		case <-parent:
			parent = nil
			stopping()
		case <-options.Tick:
			if current.State == StartPending || current.State == StopPending {
				current.CheckPoint++
				report(current)
			}
		}
	}
}

func defaultExitCode(err error) uint32 {
	if err != nil {
		return 1
	}
	return 0
}
