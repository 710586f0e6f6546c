package node_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/node"
)

// A credential is handed out only for the watcher and the runtime, the
// runtime's marked as the ledger's own; a data directory without
// credentials says how to make them.
func TestHandOut(t *testing.T) {
	dataDir := t.TempDir()
	if _, err := node.HandOut(dataDir, "watcher"); !errors.Is(err, node.ErrNoCredentials) ||
		!strings.Contains(err.Error(), "start `ledger serve --data "+dataDir+"` once, or run `ledger nats-credentials init`") {
		t.Fatalf("no credentials yet: %v", err)
	}
	if _, err := node.MakeCredentials(dataDir); err != nil {
		t.Fatal(err)
	}
	watcher, err := node.HandOut(dataDir, "watcher")
	if err != nil || watcher.LedgersOwn || watcher.Role != "watcher" || !bytes.HasPrefix(watcher.Seed, []byte("SU")) {
		t.Fatalf("watcher: %+v, %v", watcher, err)
	}
	runtime, err := node.HandOut(dataDir, node.RoleRuntime)
	if err != nil || !runtime.LedgersOwn || bytes.Equal(runtime.Seed, watcher.Seed) {
		t.Fatalf("runtime: %+v, %v", runtime, err)
	}
	if handed, err := node.HandOut(dataDir, "operator"); err == nil || len(handed.Seed) > 0 {
		t.Fatalf("the operator's credential was handed out: %+v, %v", handed, err)
	}
}
