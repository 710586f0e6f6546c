package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/eventstore/natsjs"
)

// The README's project structure names every package of the module, and
// ARCHITECTURE.md's table every top-level package: a package added without
// a word in the docs fails here.
func TestDocsNameEveryPackage(t *testing.T) {
	listed, err := exec.Command("go", "list", "github.com/ordos-union/ledger/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	architecture, err := os.ReadFile("../../docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	packages := strings.Fields(string(listed))
	if len(packages) < 15 {
		t.Fatalf("go list named only %d packages: %v", len(packages), packages)
	}
	for _, path := range packages {
		path = strings.TrimPrefix(path, "github.com/ordos-union/ledger/")
		if path == "github.com/ordos-union/ledger" || strings.HasPrefix(path, "bench") || strings.HasPrefix(path, "examples/") {
			continue
		}
		if !strings.Contains(string(readme), "`"+path+"/`") && !strings.Contains(string(readme), "`"+path+"`") &&
			!strings.Contains(string(readme), path) {
			t.Errorf("README.md does not name %s", path)
		}
		if !strings.Contains(path, "/") && !strings.Contains(string(architecture), "| `"+path+"` |") {
			t.Errorf("docs/ARCHITECTURE.md's table has no row for %s", path)
		}
	}
}

// The README and docs/OPERATIONS.md state the nats-server version the
// ledger checks for (TestOldNATSServerIsRefusedClearly and
// TestClusterNodeTooOldIsRefused show what happens below it).
func TestDocsStateMinimumNATSServer(t *testing.T) {
	for _, document := range []string{"../../README.md", "../../docs/OPERATIONS.md"} {
		content, err := os.ReadFile(document)
		if err != nil {
			t.Fatal(err)
		}
		want := "nats-server " + natsjs.MinServerVersion() + " or later"
		if !strings.Contains(strings.Join(strings.Fields(string(content)), " "), want) {
			t.Errorf("%s does not say %q", document, want)
		}
	}
}
