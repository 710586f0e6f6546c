package service_test

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/service"
)

// service install keeps --data (made absolute: a service starts in the
// system directory) and --name, and hands every other argument to serve
// untouched, values that look like flags included.
func TestParseArguments(t *testing.T) {
	arguments, err := service.ParseArguments([]string{"--data", "rel/data", "--http", "0.0.0.0:8080", "--port", "-1",
		"--name=ledger-test", "--tlog-public", "--tokens", `C:\ledger\tokens.json`})
	if err != nil {
		t.Fatal(err)
	}
	wantData, err := filepath.Abs("rel/data")
	if err != nil {
		t.Fatal(err)
	}
	if arguments.DataDir != wantData || !filepath.IsAbs(arguments.DataDir) {
		t.Fatalf("data %q, want %q", arguments.DataDir, wantData)
	}
	if arguments.Name != "ledger-test" {
		t.Fatalf("name %q", arguments.Name)
	}
	want := []string{"--http", "0.0.0.0:8080", "--port", "-1", "--tlog-public", "--tokens", `C:\ledger\tokens.json`}
	if strings.Join(arguments.ServeArgs, "|") != strings.Join(want, "|") {
		t.Fatalf("serve arguments %q, want %q", arguments.ServeArgs, want)
	}
	if arguments, err := service.ParseArguments(nil); err != nil || arguments.Name != "ledger" || arguments.DataDir != "" {
		t.Fatalf("defaults: %+v, %v", arguments, err)
	}
	for _, args := range [][]string{{"--service"}, {"--data"}, {"--name", "two words"}, {"--name="}} {
		var usage *service.UsageError
		if _, err := service.ParseArguments(args); !errors.As(err, &usage) || !errors.Is(err, service.ErrUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// Install needs a data directory and uninstall takes only the name, both
// refused as usage errors before the Service Control Manager is asked;
// install puts serve --service --data DIR before the serve arguments.
// Off Windows there is no manager to ask: ErrUnsupported.
func TestInstallAndUninstallServe(t *testing.T) {
	var usage *service.UsageError
	if _, err := (service.Arguments{Name: "ledger"}).InstallServe(); !errors.As(err, &usage) ||
		usage.Message != "service install needs --data DIR: the service's data directory" {
		t.Fatalf("install without --data: %v", err)
	}
	dir := t.TempDir()
	if err := (service.Arguments{Name: "ledger", DataDir: dir}).UninstallServe(); !errors.As(err, &usage) ||
		usage.Message != "service uninstall takes only --name" {
		t.Fatalf("uninstall with --data: %v", err)
	}
	if err := (service.Arguments{Name: "ledger", ServeArgs: []string{"--http", ":8080"}}).UninstallServe(); !errors.As(err, &usage) {
		t.Fatalf("uninstall with serve arguments: %v", err)
	}
	if runtime.GOOS == "windows" {
		t.Skip("on Windows installing asks the Service Control Manager")
	}
	installation, err := (service.Arguments{Name: "ledger-test", DataDir: dir, ServeArgs: []string{"--http", ":8080"}}).InstallServe()
	if !errors.Is(err, service.ErrUnsupported) {
		t.Fatalf("install off Windows: %v, want ErrUnsupported", err)
	}
	want := []string{"serve", "--service", "--data", dir, "--http", ":8080"}
	if installation.Name != "ledger-test" || installation.DataDir != dir || !filepath.IsAbs(installation.Executable) ||
		strings.Join(installation.Args, "|") != strings.Join(want, "|") {
		t.Fatalf("installation %+v, want the arguments %q", installation, want)
	}
	if err := (service.Arguments{Name: "ledger-test"}).UninstallServe(); !errors.Is(err, service.ErrUnsupported) {
		t.Fatalf("uninstall off Windows: %v, want ErrUnsupported", err)
	}
}
