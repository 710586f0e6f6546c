package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// waitSeconds bounds every wait in these tests: the machine answers in
// microseconds, so reaching the bound means it is stuck.
const waitSeconds = 10

// harness runs the machine with a fake manager (requests, ticks) and a fake
// program the test drives: it hands the test its context and ready
// function, and returns what the test sends on exit.
type harness struct {
	t        *testing.T
	requests chan Request
	ticks    chan time.Time
	statuses chan Status
	final    chan Status
	// ctx and ready are the program's, once it started.
	ctx   context.Context
	ready func()
	exit  chan error
}

func start(t *testing.T, parent context.Context, options Options) *harness {
	t.Helper()
	h := &harness{t: t, requests: make(chan Request), ticks: make(chan time.Time), statuses: make(chan Status, 16),
		final: make(chan Status, 1), exit: make(chan error, 1)}
	type started struct {
		ctx   context.Context
		ready func()
	}
	begun := make(chan started, 1)
	run := func(ctx context.Context, ready func()) error {
		begun <- started{ctx, ready}
		return <-h.exit
	}
	options.Tick = h.ticks
	go func() { h.final <- Run(parent, h.requests, func(s Status) { h.statuses <- s }, run, options) }()
	select {
	case s := <-begun:
		h.ctx, h.ready = s.ctx, s.ready
	case <-time.After(waitSeconds * time.Second):
		t.Fatal("the program was not started")
	}
	t.Cleanup(func() {
		// A test that failed half-way leaves the program running: end it
		// so the machine's goroutine ends too.
		select {
		case h.exit <- nil:
		default:
		}
	})
	return h
}

// next is the next status the machine reports.
func (h *harness) next() Status {
	h.t.Helper()
	select {
	case s := <-h.statuses:
		return s
	case <-time.After(waitSeconds * time.Second):
		h.t.Fatal("no status reported")
	}
	return Status{}
}

// expect checks the next status's state, whether it accepts Stop and its
// checkpoint.
func (h *harness) expect(state State, acceptsStop bool, checkPoint uint32) Status {
	h.t.Helper()
	s := h.next()
	if s.State != state || s.AcceptsStop != acceptsStop || s.CheckPoint != checkPoint {
		h.t.Fatalf("status %v (accepts stop %v, checkpoint %d), want %v (accepts stop %v, checkpoint %d)",
			s.State, s.AcceptsStop, s.CheckPoint, state, acceptsStop, checkPoint)
	}
	return s
}

func (h *harness) send(r Request) {
	h.t.Helper()
	select {
	case h.requests <- r:
	case <-time.After(waitSeconds * time.Second):
		h.t.Fatalf("request %v not taken", r)
	}
}

func (h *harness) tick() {
	h.t.Helper()
	select {
	case h.ticks <- time.Now():
	case <-time.After(waitSeconds * time.Second):
		h.t.Fatal("tick not taken")
	}
}

// cancelled waits until the program's context is cancelled.
func (h *harness) cancelled() {
	h.t.Helper()
	select {
	case <-h.ctx.Done():
	case <-time.After(waitSeconds * time.Second):
		h.t.Fatal("the program's context was not cancelled")
	}
}

func (h *harness) finished() Status {
	h.t.Helper()
	select {
	case s := <-h.final:
		return s
	case <-time.After(waitSeconds * time.Second):
		h.t.Fatal("Run did not return")
	}
	return Status{}
}

// The manager sees StartPending until the program says it is ready, then
// Running; Stop cancels the program's context and reports StopPending, and
// the program's clean return is Stopped with exit code 0.
func TestStartRunningStop(t *testing.T) {
	h := start(t, context.Background(), Options{StartWaitHint: 30 * time.Second, StopWaitHint: 40 * time.Second})
	if s := h.expect(StartPending, false, 0); s.WaitHint != 30*time.Second {
		t.Fatalf("start wait hint %v", s.WaitHint)
	}
	// Not ready yet: asking again still says StartPending, and a slow
	// start shows progress on every tick.
	h.send(Interrogate)
	h.expect(StartPending, false, 0)
	h.tick()
	h.expect(StartPending, false, 1)
	h.tick()
	h.expect(StartPending, false, 2)
	if h.ctx.Err() != nil {
		t.Fatal("the program's context ended before any stop")
	}

	h.ready()
	h.expect(Running, true, 0)
	// A second ready and a tick while running report nothing: the next
	// status is the answer to Interrogate, still Running.
	h.ready()
	h.tick()
	h.send(Interrogate)
	h.expect(Running, true, 0)

	h.send(Stop)
	if s := h.expect(StopPending, false, 0); s.WaitHint != 40*time.Second {
		t.Fatalf("stop wait hint %v", s.WaitHint)
	}
	h.cancelled()
	// The program drains; the manager sees progress.
	h.tick()
	h.expect(StopPending, false, 1)
	h.send(Interrogate)
	h.expect(StopPending, false, 1)
	h.exit <- nil
	stopped := h.expect(Stopped, false, 0)
	if stopped.ExitCode != 0 || stopped.Err != nil {
		t.Fatalf("clean stop: exit code %d, error %v", stopped.ExitCode, stopped.Err)
	}
	if final := h.finished(); final.State != Stopped || final.ExitCode != 0 {
		t.Fatalf("Run returned %+v", final)
	}
}

// An error the program returns while stopping becomes exit code 1, and the
// error is kept for the log.
func TestStopErrorIsExitCode(t *testing.T) {
	h := start(t, context.Background(), Options{})
	h.expect(StartPending, false, 0)
	h.ready()
	h.expect(Running, true, 0)
	h.send(Shutdown)
	h.expect(StopPending, false, 0)
	h.cancelled()
	failure := errors.New("final checkpoint: disk full")
	h.exit <- failure
	stopped := h.expect(Stopped, false, 0)
	if stopped.ExitCode != 1 || !errors.Is(stopped.Err, failure) {
		t.Fatalf("exit code %d, error %v; want 1, %v", stopped.ExitCode, stopped.Err, failure)
	}
	if final := h.finished(); final.ExitCode != 1 || !errors.Is(final.Err, failure) {
		t.Fatalf("Run returned %+v", final)
	}
}

// A program that fails while it runs, unasked, is Stopped with the exit
// code Options.ExitCode gives its error.
func TestFailureWhileRunning(t *testing.T) {
	failure := errors.New("http: listener closed")
	h := start(t, context.Background(), Options{ExitCode: func(err error) uint32 {
		if errors.Is(err, failure) {
			return 7
		}
		return 1
	}})
	h.expect(StartPending, false, 0)
	h.ready()
	h.expect(Running, true, 0)
	h.exit <- failure
	if stopped := h.expect(Stopped, false, 0); stopped.ExitCode != 7 || !errors.Is(stopped.Err, failure) {
		t.Fatalf("exit code %d, error %v", stopped.ExitCode, stopped.Err)
	}
	h.finished()
}

// A program that fails before it is ready (a locked data directory, say)
// goes from StartPending straight to Stopped with an exit code, never
// Running.
func TestFailureBeforeReady(t *testing.T) {
	h := start(t, context.Background(), Options{})
	h.expect(StartPending, false, 0)
	h.exit <- errors.New("data directory is locked by another process")
	if stopped := h.expect(Stopped, false, 0); stopped.ExitCode != 1 {
		t.Fatalf("exit code %d, want 1", stopped.ExitCode)
	}
	h.finished()
}

// Requests the machine does not know (pause, parameter change, ...) change
// nothing, and a second Stop while stopping reports nothing again.
func TestUnknownAndRepeatedRequestsIgnored(t *testing.T) {
	h := start(t, context.Background(), Options{})
	h.expect(StartPending, false, 0)
	h.ready()
	h.expect(Running, true, 0)
	h.send(Unknown)
	h.send(Request(99))
	if h.ctx.Err() != nil {
		t.Fatal("an unknown request cancelled the program")
	}
	// Requests are taken one at a time, so had the unknown ones reported
	// anything it would come before this answer.
	h.send(Interrogate)
	h.expect(Running, true, 0)

	h.send(Stop)
	h.expect(StopPending, false, 0)
	h.send(Stop)
	h.send(Shutdown)
	h.send(Interrogate)
	h.expect(StopPending, false, 0)
	h.exit <- nil
	h.expect(Stopped, false, 0)
	h.finished()
}

// A Stop that comes before the program is ready (Windows may send one, or
// the system shuts down) stops it; its late ready does not claim Running.
func TestStopBeforeReady(t *testing.T) {
	h := start(t, context.Background(), Options{})
	h.expect(StartPending, false, 0)
	h.send(Stop)
	h.expect(StopPending, false, 0)
	h.cancelled()
	h.ready()
	h.send(Interrogate)
	h.expect(StopPending, false, 0)
	h.exit <- nil
	h.expect(Stopped, false, 0)
	h.finished()
}

// A program stopped before it was ready may return the cancellation: that
// is the stop it was asked for, exit code 0 (a failure's code would make
// Windows restart it); the same error unasked is a failure.
func TestCancelledByStopIsClean(t *testing.T) {
	h := start(t, context.Background(), Options{})
	h.expect(StartPending, false, 0)
	h.send(Stop)
	h.expect(StopPending, false, 0)
	h.cancelled()
	h.exit <- fmt.Errorf("open store: %w", h.ctx.Err())
	if stopped := h.expect(Stopped, false, 0); stopped.ExitCode != 0 || !errors.Is(stopped.Err, context.Canceled) {
		t.Fatalf("exit code %d, error %v; want 0 and the cancellation kept", stopped.ExitCode, stopped.Err)
	}
	h.finished()

	h = start(t, context.Background(), Options{})
	h.expect(StartPending, false, 0)
	h.exit <- fmt.Errorf("open store: %w", context.Canceled)
	if stopped := h.expect(Stopped, false, 0); stopped.ExitCode != 1 {
		t.Fatalf("unasked cancellation: exit code %d, want 1", stopped.ExitCode)
	}
	h.finished()
}

// The end of the parent context (Ctrl-C on a console, say) stops the
// program as Stop does; a closed request channel does not.
func TestParentContextAndClosedRequests(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := start(t, parent, Options{})
	h.expect(StartPending, false, 0)
	h.ready()
	h.expect(Running, true, 0)
	close(h.requests)
	if h.ctx.Err() != nil {
		t.Fatal("closing the requests cancelled the program")
	}
	cancel()
	h.expect(StopPending, false, 0)
	h.cancelled()
	h.exit <- nil
	h.expect(Stopped, false, 0)
	h.finished()
}

// The log is made with mode 0600, appended to across starts, and kept as
// LogName.1 once it grew past its limit.
func TestOpenLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	write := func(text string) {
		t.Helper()
		file, err := OpenLog(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := file.WriteString(text); err != nil {
			t.Fatal(err)
		}
		if err := file.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("first\n")
	write("second\n")
	path := filepath.Join(dir, LogName)
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != "first\nsecond\n" {
		t.Fatalf("log %q", content)
	}
	if runtime.GOOS != "windows" {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("log mode %v, want 0600", info.Mode().Perm())
		}
	}
	// Past the limit (a sparse file costs no disk), the next start keeps
	// the old log aside and begins a new one.
	if err := os.Truncate(path, logMaxBytes+1); err != nil {
		t.Fatal(err)
	}
	write("third\n")
	if content, err = os.ReadFile(path); err != nil || string(content) != "third\n" {
		t.Fatalf("new log %q, %v", content, err)
	}
	if info, err := os.Stat(path + ".1"); err != nil || info.Size() != logMaxBytes+1 {
		t.Fatalf("previous log: %v, %v", info, err)
	}
}
