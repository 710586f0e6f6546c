package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/report"
)

func runForget(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "forget", "SUBJECT --reason R\n\nErases a data subject: destroys the key their personal data is sealed with and records who, when and why.\n"+
		"Their entries, every total and every proof stay as they were; their personal fields read as erased everywhere.")
	reason := flags.String("reason", "", "why (required), e.g. 本人依《个人信息保护法》申请删除")
	actor := actorFlag(flags, "admin", "who erases")
	opened, err := openParsed(ctx, env, flags, store, args, 1, "give one SUBJECT id")
	if err != nil {
		return err
	}
	subject := flags.Arg(0)
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

// runErasures lists every subject the ledger has erased, for restore's
// --erasures.
func runErasures(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "erasures", "[--out FILE]\n\nLists every erased data subject, one a line: give the list to `ledger restore --erasures FILE` so that a\n"+
		"backup taken before an erasure does not bring the person back.")
	var out outputFlags
	out.register(flags, "write the list to this new file (mode 0600) instead of standard output")
	opened, err := openParsed(ctx, env, flags, store, args, -1, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	erased, err := opened.App.Erasures(ctx)
	if err != nil {
		return err
	}
	if err := out.write(env, backup.ErasuresList(erased)); err != nil || out.path == "" {
		return err
	}
	fmt.Fprintf(env.stderr, "wrote %d erased subjects to %s\n", len(erased), out.path)
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
	return show(env, *asJSON, records, func(out io.Writer) { report.AccessLogText(out, records) })
}
