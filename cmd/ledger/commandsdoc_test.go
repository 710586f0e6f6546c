package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/internal/cli"
)

// updateCommandsDoc rewrites docs/COMMANDS.md from the commands' help:
// go test ./cmd/ledger -run TestCommandsDocIsCurrent -update-commands-doc
var updateCommandsDoc = flag.Bool("update-commands-doc", false, "rewrite docs/COMMANDS.md from the commands' help")

const commandsDocPath = "../../docs/COMMANDS.md"

// docs/COMMANDS.md is every command's --help, so the reference a user
// reads on the web is the one the binary prints: a flag added, renamed or
// explained anew without the document written again fails here.
func TestCommandsDocIsCurrent(t *testing.T) {
	written := commandsDoc(t)
	if *updateCommandsDoc {
		if err := os.WriteFile(commandsDocPath, written, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := os.ReadFile(commandsDocPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, written) {
		t.Fatalf("docs/COMMANDS.md is not the commands' help; write it again with\n" +
			"  go test ./cmd/ledger -run TestCommandsDocIsCurrent -update-commands-doc")
	}
}

// commandsDoc is the reference: the program's usage, then each command's
// help as `ledger COMMAND --help` prints it with no LEDGER_ variable set.
func commandsDoc(t *testing.T) []byte {
	// The defaults some flags take from the environment would otherwise
	// put this machine's settings into the document.
	for _, name := range []string{"USER", "LEDGER_ACTOR", "LEDGER_CATALOG", "LEDGER_CLUSTER_LISTEN", "LEDGER_CLUSTER_NAME",
		"LEDGER_CLUSTER_TLS_CA", "LEDGER_CLUSTER_TLS_CERT", "LEDGER_CLUSTER_TLS_KEY", "LEDGER_DATA", "LEDGER_DEBUG", "LEDGER_HTTP",
		"LEDGER_NATS_CREDS", "LEDGER_NATS_URL", "LEDGER_ROUTES", "LEDGER_SERVER_NAME", "LEDGER_SIGNING_KEY", "LEDGER_STORE",
		"LEDGER_TLOG_TOKEN", "LEDGER_TOKENS", "LEDGER_TOKENS_FILE"} {
		t.Setenv(name, "")
	}
	help := func(args ...string) string {
		var out bytes.Buffer
		env := &cli.Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
		if code := run(context.Background(), env, append(args, "--help")); code != cli.ExitOK {
			t.Fatalf("ledger %s --help: exit %d\n%s", strings.Join(args, " "), code, out.String())
		}
		return strings.TrimRight(out.String(), "\n")
	}
	var doc strings.Builder
	doc.WriteString("# Commands\n\n" +
		"Every command of `ledger`, as its `--help` prints it. This page is written from the binary's own help by\n" +
		"`go test ./cmd/ledger -run TestCommandsDocIsCurrent -update-commands-doc`, and that test fails when the two differ.\n" +
		"Defaults shown are those with no `LEDGER_` environment variable set.\n\n" +
		"```text\n" + help() + "\n```\n")
	section := func(path ...string) {
		doc.WriteString("\n## ledger " + strings.Join(path, " ") + "\n\n```text\n" + help(path...) + "\n```\n")
	}
	for _, command := range commands() {
		section(command.Name)
		for _, sub := range command.Subcommands {
			section(command.Name, sub.Name)
		}
	}
	return []byte(doc.String())
}
