package node_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/node"
)

// The doctor of a data directory names a secret others may read as a
// problem with its repair, instead of failing because the ledger does
// not open with it; on a sound directory it checks the ledger and
// closes it.
func TestDoctorDataDir(t *testing.T) {
	ctx := context.Background()
	config := node.Config{DataDir: t.TempDir(), SyncAlways: true}
	ledger, err := node.Open(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	ledger.Close()
	findings, err := node.DoctorDataDir(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	if problems := app.Problems(findings); problems > 0 || len(findings) < 2 {
		t.Fatalf("a new ledger: %d problems in %+v", problems, findings)
	}
	// Closed by the doctor: the data directory opens again.
	ledger, err = node.Open(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	ledger.Close()

	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
	seed := filepath.Join(natsjs.CredentialsDir(config.DataDir), "runtime.nk")
	if err := os.Chmod(seed, 0o644); err != nil {
		t.Fatal(err)
	}
	findings, err = node.DoctorDataDir(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Store != "secrets" || !findings[0].Problem || !strings.Contains(findings[0].What, "runtime.nk") ||
		findings[0].Repair != "ledger repair --data "+config.DataDir {
		t.Fatalf("an exposed secret: %+v", findings)
	}
}
