package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ordos-union/ledger/report"
)

func runForget(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "forget", "SUBJECT --reason R\n\nErases a data subject: destroys the key their personal data is sealed with and records who, when and why.\n"+
		"Their entries, every total and every proof stay as they were; their personal fields read as erased everywhere.")
	reason := flags.String("reason", "", "why (required), e.g. 本人依《个人信息保护法》申请删除")
	actor := flags.String("actor", envOr("LEDGER_ACTOR", envOr("USER", "admin")), "who erases")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one SUBJECT id")
	}
	subject := flags.Arg(0)
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	outcome, already, err := opened.App.Forget(ctx, subject, *reason, *actor)
	if err != nil {
		return err
	}
	if already {
		fmt.Fprintf(env.stdout, "%s was already erased; its key is gone\n", subject)
		return nil
	}
	fmt.Fprintf(env.stdout, "erased %s: %s\n", subject, outcome)
	return nil
}

// erasuresBytesMax bounds an erasure list read by restore.
const erasuresBytesMax = 16 << 20

// readErasures reads a list of erased subjects: one id a line, blank lines
// and lines starting with # skipped.
func readErasures(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usagef("--erasures: %v", err)
	}
	defer file.Close()
	content, err := io.ReadAll(io.LimitReader(file, erasuresBytesMax+1))
	if err != nil {
		return nil, err
	}
	if len(content) > erasuresBytesMax {
		return nil, usagef("--erasures %s: larger than %d bytes", path, erasuresBytesMax)
	}
	var subjects []string
	for number, line := range strings.Split(string(content), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, usagef("--erasures %s line %d: one subject id a line, not %q", path, number+1, line)
		}
		subjects = append(subjects, line)
	}
	return subjects, nil
}

// runErasures lists every subject the ledger has erased, for restore's
// --erasures.
func runErasures(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "erasures", "[--out FILE]\n\nLists every erased data subject, one a line: give the list to `ledger restore --erasures FILE` so that a\n"+
		"backup taken before an erasure does not bring the person back.")
	out := flags.String("out", "", "write the list to this new file (mode 0600) instead of standard output")
	force := flags.Bool("force", false, "replace an existing --out file")
	opened, err := openParsed(ctx, env, flags, store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	erased, err := opened.App.Erasures(ctx)
	if err != nil {
		return err
	}
	var list strings.Builder
	list.WriteString("# data subjects erased from the ledger, one a line (ledger erasures)\n")
	for _, subject := range erased {
		list.WriteString(subject + "\n")
	}
	count := len(erased)
	if *out == "" {
		fmt.Fprint(env.stdout, list.String())
		return nil
	}
	if err := writeOutput(*out, []byte(list.String()), *force); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "wrote %d erased subjects to %s\n", count, *out)
	return nil
}

// runAccessLog prints the recorded reads of personal data.
func runAccessLog(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "access-log", "[--json]\n\nLists every recorded read of personal data: when, who, in what role, through which route or command, whose data.")
	asJSON := flags.Bool("json", false, "print the records as JSON")
	opened, err := openParsed(ctx, env, flags, store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	records, err := opened.AccessLog.Records(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, records)
	}
	report.AccessLogText(env.stdout, records)
	return nil
}
