package main

import (
	"flag"
	"io"

	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/report"
)

var runForget = ledgerCommand(cli.Spec{Name: "forget", Args: 1, ArgsWanted: "give one SUBJECT id", Usage: "SUBJECT --reason R\n\n" +
	"Erases a data subject: destroys the key their personal data is sealed with and records who, when and why.\n" +
	"Their entries, every total and every proof stay as they were; their personal fields read as erased everywhere."},
	func(flags *flag.FlagSet) action {
		reason := flags.String("reason", "", "why (required), e.g. 本人依《个人信息保护法》申请删除")
		actor := actorFlag(flags, "admin", "who erases")
		return func(c *call) error {
			outcome, already, err := c.ledger.App.Forget(c.Ctx, c.Arg(0), *reason, *actor)
			switch {
			case err != nil:
				return err
			case already:
				c.Printf("%s was already erased; its key is gone\n", c.Arg(0))
			default:
				c.Printf("erased %s: %s\n", c.Arg(0), outcome)
			}
			return nil
		}
	})

// runErasures lists every subject the ledger has erased, for restore's
// --erasures.
var runErasures = ledgerCommand(cli.Spec{Name: "erasures", Args: cli.AnyArgs, Usage: "[--out FILE]\n\n" +
	"Lists every erased data subject, one a line: give the list to `ledger restore --erasures FILE` so that a\n" +
	"backup taken before an erasure does not bring the person back."},
	func(flags *flag.FlagSet) action {
		var out cli.Output
		out.Register(flags, "write the list to this new file (mode 0600) instead of standard output")
		return func(c *call) error {
			erased, err := c.ledger.App.Erasures(c.Ctx)
			if err != nil {
				return err
			}
			if err := out.Write(c.Env, backup.ErasuresList(erased)); err != nil || out.Path == "" {
				return err
			}
			c.Warnf("wrote %d erased subjects to %s\n", len(erased), out.Path)
			return nil
		}
	})

// runAccessLog prints the recorded reads of personal data.
var runAccessLog = ledgerCommand(cli.Spec{Name: "access-log", Args: cli.AnyArgs, Usage: "[--json]\n\n" +
	"Lists every recorded read of personal data: when, who, in what role, through which route or command, whose data."},
	func(flags *flag.FlagSet) action {
		asJSON := flags.Bool("json", false, "print the records as JSON")
		return func(c *call) error {
			records, err := c.ledger.AccessLog.Records(c.Ctx)
			return c.Answer(records, err, *asJSON, func(out io.Writer) { report.AccessLogText(out, records) })
		}
	})
