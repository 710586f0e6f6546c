// Command ledger runs the union welfare activity ledger: an embedded NATS
// JetStream server, and the commands that record and read its events. This
// package only parses flags and wires the parts together.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ordos-union/ledger/internal/cli"
)

func commands() []cli.Command {
	return []cli.Command{
		{Name: "serve", Summary: "serve the HTTP API and dashboard over the ledger (embedded NATS JetStream, or --store esdb://) until interrupted", Run: runServe},
		{Name: "service", Summary: "install or uninstall `serve --service` as a Windows service (service install --data DIR [serve flags])", Run: runService},
		{Name: "record", Summary: "append events from a JSON/JSONL file, or one entry from flags (record donation|allocation|delivery|training|service|void)",
			Run: runRecordFile, Subcommands: []cli.Command{
				{Name: "donation", Summary: "one donation received or pledged, of money or goods", Run: recordShortcut("donation")},
				{Name: "allocation", Summary: "one allocation of campaign money from one region to another", Run: recordShortcut("allocation")},
				{Name: "delivery", Summary: "one delivery of supplies", Run: recordShortcut("delivery")},
				{Name: "training", Summary: "one training session or lecture", Run: recordShortcut("training")},
				{Name: "service", Summary: "services given: health checkups, legal consultations, visits, stations opened", Run: recordShortcut("service")},
				{Name: "void", Summary: "void an entry recorded by mistake, saying why", Run: recordShortcut("void")},
			}},
		{Name: "template", Summary: "write an empty spreadsheet (台账) for one entry type, with drop-down lists from the catalog", Run: runTemplate},
		{Name: "import", Summary: "record the entries of a filled spreadsheet (XLSX, or CSV in UTF-8 or GBK), all or nothing", Run: runImport},
		{Name: "events", Summary: "list events with filters, or follow new ones", Run: runEvents},
		{Name: "version", Summary: "print the version, commit and build date", Run: runVersion},
		{Name: "demo", Summary: "load the demo data set from the 2022 Ordos report and print totals per county", Run: runDemo},
		{Name: "totals", Summary: "print totals per county: money, goods, deliveries, people, sessions, services; as of any instant", Run: runTotals},
		{Name: "audit", Summary: "print the complete history of an entry, a donation, a campaign fund or a region", Run: runAudit},
		{Name: "trace", Summary: "follow a donation's money to what it paid for, or a delivery back to the donations", Run: runTrace},
		{Name: "projections", Summary: "show each projection's checkpoint and lag behind the log", Run: runProjections},
		{Name: "rebuild", Summary: "rebuild a projection from the whole log (totals)", Run: runRebuild},
		{Name: "reconcile", Summary: "finance: import bank statements, match them to donations, decide suggestions, export reports", Subcommands: []cli.Command{
			{Name: "import", Summary: "import a bank statement (CSV in GBK or UTF-8, CAMT.053 XML, XLSX)", Run: runReconcileImport},
			{Name: "report", Summary: "the reconciliation: matched, suggested, unmatched, fees, outstanding pledges", Run: runReconcileReport},
			{Name: "confirm", Summary: "confirm a suggested match", Run: reconcileDecision("confirm")},
			{Name: "reject", Summary: "reject a suggested match, saying why: it is not suggested again", Run: reconcileDecision("reject")},
			{Name: "write-off", Summary: "write off a bank line no donation explains (a fee, interest), saying why", Run: reconcileDecision("write-off")},
			{Name: "undo", Summary: "undo a decision, saying why", Run: reconcileDecision("undo")},
		}},
		{Name: "period", Summary: "finance: close or reopen a month (entries dated in a closed month are refused)", Subcommands: []cli.Command{
			{Name: "close", Summary: "close a month, Beijing time, once it has ended: entries dated in it are then refused", Run: changePeriod("close")},
			{Name: "reopen", Summary: "reopen a closed month, saying why", Run: changePeriod("reopen")},
		}},
		{Name: "pledges", Summary: "outstanding pledges with ageing per donor, campaign and county", Run: runPledges},
		{Name: "forget", Summary: "erase a data subject's personal data (destroys their key; totals and proofs stay)", Run: runForget},
		{Name: "backup", Summary: "write a consistent backup of the ledger to a directory, encrypted to age recipients", Run: runBackup},
		{Name: "backup-key", Summary: "make an age key pair for backups: the identity to a file (mode 0600), the recipient printed", Run: runBackupKey},
		{Name: "erasures", Summary: "list every erased data subject, for restore --erasures", Run: runErasures},
		{Name: "access-log", Summary: "list every recorded read of personal data (who, role, route or command, whose, when)", Run: runAccessLog},
		{Name: "restore", Summary: "restore a backup into an empty ledger and verify it", Run: runRestore},
		{Name: "migrate", Summary: "copy the whole history to another store (JetStream or EventStoreDB), resumable, checked by counts and hash", Run: runMigrate},
		{Name: "checkpoint", Summary: "sign the Merkle tree over the log and store the checkpoint", Run: runCheckpoint},
		{Name: "nats-credentials", Summary: "make the embedded NATS server's credentials, or print one for another program (watcher: read-only live totals)", Run: runNATSCredentials},
		{Name: "pubkey", Summary: "print the verifier key for checkpoints, proofs and bundles", Run: runPubkey},
		{Name: "proof", Summary: "print an inclusion proof of an event against the latest checkpoint", Run: runProof},
		{Name: "verify-proof", Summary: "check an inclusion proof offline with the verifier key", Run: runVerifyProof},
		{Name: "verify", Summary: "recompute the tree from the raw log; check every checkpoint and event", Run: runVerify},
		{Name: "witness", Summary: "run a C2SP tlog-witness that cosigns a ledger's checkpoints only when they extend the last it cosigned", Run: runWitness},
		{Name: "doctor", Summary: "check every store the ledger keeps and say what repairs what is wrong (exit 1 when anything is)", Run: runDoctor},
		{Name: "repair", Summary: "mend what the log can mend of what doctor finds (checkpoint, tree file, secrets' modes), then run doctor", Run: runRepair},
		{Name: "export-audit", Summary: "write a self-contained audit bundle for a period", Run: runExportAudit},
		{Name: "verify-bundle", Summary: "verify an audit bundle offline and recompute its totals", Run: runVerifyBundle},
		{Name: "tiles", Summary: "export the log in the C2SP tlog-tiles layout for mirrors (tiles export DIR)", Subcommands: []cli.Command{
			{Name: "export", Summary: "write the log's tlog-tiles for the newest signed checkpoint to a directory", Run: runTilesExport},
		}},
		{Name: "mirror", Summary: "keep a verified copy of a ledger's tlog-tiles (mirror URL DIR --key KEY); verify, totals, verify-report on it offline",
			Run: runMirrorUpdate, Subcommands: []cli.Command{
				{Name: "verify", Summary: "verify a mirror offline: every tile, entry and accepted checkpoint", Run: runMirrorVerify},
				{Name: "totals", Summary: "totals folded from a mirror's entries, offline", Run: runMirrorTotals},
				{Name: "verify-report", Summary: "check a printed report against a mirror, offline", Run: runMirrorVerifyReport},
			}},
		{Name: "report", Summary: "write the printable monthly report (A4 HTML, Chinese or English) bound to the signed log by a seal and QR code", Run: runReport},
		{Name: "verify-report", Summary: "check a printed report (its HTML or the seal its QR code carries) against the signed log", Run: runVerifyReport},
	}
}

func main() {
	env := &cli.Environment{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs the command args names and returns the exit code: 0 ok,
// 1 failure, 2 usage.
func run(ctx context.Context, env *cli.Environment, args []string) int {
	env.Logger = cli.NewLogger(env.Stderr, debugging())
	return ledgerProgram().Run(ctx, env, args)
}

// ledgerProgram is the binary's commands.
func ledgerProgram() cli.Program {
	return cli.Program{Name: program, Title: "ledger: the union welfare activity ledger (NATS JetStream)", Commands: commands()}
}

// debugging says whether LEDGER_DEBUG asks to log everything, not only
// warnings and errors.
func debugging() bool { return os.Getenv("LEDGER_DEBUG") != "" }
