package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/service"
)

// serviceWaitSeconds bounds the waits for serve under the service machine:
// an embedded JetStream server starting on a busy two-core machine takes a
// few seconds, so reaching the bound means serve is stuck.
const serviceWaitSeconds = 120

// Off Windows, serve --service is a usage error that points to systemd,
// and nothing is opened or made.
func TestServeServiceRefusedOffWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows --service asks the Service Control Manager")
	}
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
	code := run(context.Background(), env, []string{"serve", "--service", "--data", dir})
	if code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, cli.ExitUsage, out.String())
	}
	want := "--service runs ledger under the Windows Service Control Manager; on Linux use the systemd unit in docs/OPERATIONS.md"
	if !strings.Contains(out.String(), want) {
		t.Fatalf("output lacks %q:\n%s", want, out.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the data directory was made: %v", err)
	}
}

// serve --service under a fake Service Control Manager that drives the
// same state machine as the Windows adapter: the manager hears Running
// only once the HTTP API answers, its Stop drains serve (stop pending, then
// stopped with exit code 0), the data directory's lock is released, and
// serve's console output is in the service log without the admin's token.
func TestServeUnderServiceMachine(t *testing.T) {
	requests := make(chan service.Request)
	statuses := make(chan service.Status, 64)
	underManager = func(ctx context.Context, dataDir string, program service.Program) error {
		log, err := service.OpenLog(dataDir)
		if err != nil {
			return err
		}
		defer log.Close()
		final := service.Run(ctx, requests, func(status service.Status) { statuses <- status },
			func(ctx context.Context, ready func()) error { return program(ctx, log, ready) }, service.Options{})
		return final.Err
	}
	t.Cleanup(func() { underManager = service.RunUnderManager })

	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
	exited := make(chan int, 1)
	go func() {
		exited <- run(context.Background(), env, []string{"serve", "--service", "--data", dir, "--port", "-1", "--http", "127.0.0.1:0"})
	}()
	next := func() service.Status {
		t.Helper()
		select {
		case status := <-statuses:
			return status
		case code := <-exited:
			t.Fatalf("serve exited with %d before the expected status\n%s", code, out.String())
		case <-time.After(serviceWaitSeconds * time.Second):
			t.Fatal("no status from the service machine")
		}
		return service.Status{}
	}
	if status := next(); status.State != service.StartPending {
		t.Fatalf("first status %v, want start pending", status.State)
	}
	if status := next(); status.State != service.Running || !status.AcceptsStop {
		t.Fatalf("status %+v, want running and accepting stop", status)
	}

	// Running means serving: the banner is in the log and the API answers.
	logPath := filepath.Join(dir, service.LogName)
	content, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	address := regexp.MustCompile(`HTTP API and dashboard on (http://[0-9.:]+)`).FindSubmatch(content)
	if address == nil {
		t.Fatalf("no banner in the service log:\n%s", content)
	}
	response, err := http.Get(string(address[1]) + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, response.Body)
	response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", response.StatusCode)
	}
	if bytes.Contains(content, []byte("token=")) {
		t.Fatalf("the service log holds a token:\n%s", content)
	}
	if bytes.Contains(content, []byte("Ctrl-C")) || !bytes.Contains(content, []byte("The Service Control Manager stops it.")) {
		t.Fatalf("the banner does not say the SCM stops the service:\n%s", content)
	}
	if !bytes.Contains(content, []byte("tokens.json")) {
		t.Fatalf("the banner does not point to tokens.json:\n%s", content)
	}
	// While it runs, the data directory is held.
	if _, _, err := natsjs.LockDataDir(dir); err == nil {
		t.Fatal("the data directory was not locked while serving")
	}

	select {
	case requests <- service.Stop:
	case <-time.After(serviceWaitSeconds * time.Second):
		t.Fatal("the machine did not take Stop")
	}
	if status := next(); status.State != service.StopPending {
		t.Fatalf("status %v after stop, want stop pending", status.State)
	}
	if status := next(); status.State != service.Stopped || status.ExitCode != 0 || status.Err != nil {
		t.Fatalf("status %+v, want stopped with exit code 0", status)
	}
	select {
	case code := <-exited:
		if code != cli.ExitOK {
			t.Fatalf("serve exited with %d\n%s", code, out.String())
		}
	case <-time.After(serviceWaitSeconds * time.Second):
		t.Fatal("serve did not return after stopping")
	}

	// Stopped cleanly: the lock is free, the HTTP server is gone, and the
	// log says serve shut down.
	lock, _, err := natsjs.LockDataDir(dir)
	if err != nil {
		t.Fatalf("the data directory is still locked: %v", err)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	if response, err := client.Get(string(address[1]) + "/healthz"); err == nil {
		response.Body.Close()
		t.Fatal("the HTTP API still answers after the stop")
	}
	if content, err = os.ReadFile(logPath); err != nil || !bytes.Contains(content, []byte("ledger: shutting down")) {
		t.Fatalf("the service log does not show the shutdown (%v):\n%s", err, content)
	}
}

// Off Windows, service install and uninstall are usage errors that point
// to systemd, and the data directory is not made; a missing or unknown
// action is a usage error everywhere.
func TestServiceCommandUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	type usageCase struct {
		args []string
		want string
	}
	cases := []usageCase{
		{[]string{"service"}, "give install or uninstall"},
		{[]string{"service", "start"}, `unknown action "start"`},
		{[]string{"service", "install"}, "service install needs --data DIR"},
		{[]string{"service", "uninstall", "--data", dir}, "service uninstall takes only --name"},
	}
	if runtime.GOOS != "windows" {
		systemd := "service installs ledger with the Windows Service Control Manager; on Linux use the systemd unit in docs/OPERATIONS.md"
		cases = append(cases, usageCase{[]string{"service", "install", "--data", dir, "--http", "0.0.0.0:8080"}, systemd},
			usageCase{[]string{"service", "uninstall"}, systemd})
	}
	for _, c := range cases {
		var out bytes.Buffer
		env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
		if code := run(context.Background(), env, c.args); code != cli.ExitUsage || !strings.Contains(out.String(), c.want) {
			t.Errorf("%q: exit %d, output:\n%s\nwant exit %d and %q", c.args, code, out.String(), cli.ExitUsage, c.want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the data directory was made: %v", err)
	}
}
