package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The first `ledger serve` of a data directory says which tokens it made
// and what each may do, finance's with the personal-data grant; a later
// start lists none, as it makes none.
func TestEndToEndServeListsTheTokensItMade(t *testing.T) {
	data := t.TempDir()
	served := startServe(t, data)
	for _, line := range []string{"Tokens made in ", "  local-admin    admin: ", "  local-clerk    clerk: ",
		"  local-finance  finance, personal data: imports bank statements", "  local-auditor  auditor: ", "  local-viewer   viewer: "} {
		checkFor(t, 10*time.Second, func() error {
			if !strings.Contains(served.output.String(), line) {
				return fmt.Errorf("the banner lacks %q:\n%s", line, served.output.String())
			}
			return nil
		})
	}
	stop(t, served)
	served = startServe(t, data)
	checkFor(t, 10*time.Second, func() error {
		if !strings.Contains(served.output.String(), "sign in with the local-admin token in") {
			return fmt.Errorf("the restart's banner is not whole:\n%s", served.output.String())
		}
		return nil
	})
	if strings.Contains(served.output.String(), "Tokens made") {
		t.Fatalf("a restart lists tokens made:\n%s", served.output.String())
	}
	stop(t, served)
}
