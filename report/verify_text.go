package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
)

// VerifiedText writes the line a ledger's verification ends with when it
// found nothing bad: the events and checkpoints verified, how many trusted
// checkpoints the log is consistent with, who cosigned the newest
// checkpoint when a witness policy asked (witnessed), and the tree root;
// then, when the tree file alone is damaged, that the log verified and
// what repairs the file.
func VerifiedText(out io.Writer, verified integrity.Report, trusted int, witnessed bool) {
	fmt.Fprintf(out, "OK: %s, %s verified", Counted(int(verified.Events), "event", "events"), Counted(verified.Checkpoints, "checkpoint", "checkpoints"))
	if trusted > 0 {
		fmt.Fprintf(out, ", consistent with %s", Counted(trusted, "trusted checkpoint", "trusted checkpoints"))
	}
	if witnessed {
		fmt.Fprintf(out, ", the newest cosigned by %s", strings.Join(verified.Cosigners, ", "))
	}
	fmt.Fprintf(out, "; tree root %s\n", verified.Root)
	if len(verified.TreeFile) > 0 {
		// The log passed: the line says so before it names the cache,
		// since an auditor must not take the file's damage for the log's.
		fmt.Fprintln(out, "The log verified; only the tree file, a cache of its hashes, is damaged (above): "+
			"`ledger repair` makes it again from the log, and `ledger doctor` names it until then.")
	}
}

// MirrorVerifiedText says that a mirror verified offline, and by whom its
// newest checkpoint is cosigned when a witness policy was given.
func MirrorVerifiedText(out io.Writer, verified integrity.Report, witnessed bool) {
	fmt.Fprintf(out, "OK: %s, %s verified offline", Counted(int(verified.Events), "entry", "entries"), Counted(verified.Checkpoints, "checkpoint", "checkpoints"))
	if witnessed {
		fmt.Fprintf(out, ", the newest cosigned by %s", strings.Join(verified.Cosigners, ", "))
	}
	fmt.Fprintf(out, "; tree root %s\n", verified.Root)
}

// VerifyPrinted checks a printed report, given as its HTML file or as the
// seal its QR code carries: verify recomputes the report the seal names
// from a log, and the page must be what Paper prints of the recomputed
// report under catalog, the verifier's (CheckPrinted). What is not a
// readable file is taken for a seal, since a seal typed in from paper
// names no file.
func VerifyPrinted(fileOrSeal string, catalog *domain.Catalog, verify func(seal string) (*app.MonthReport, error)) (*app.MonthReport, error) {
	seal, fromPage := fileOrSeal, false
	var printed Printed
	if file, err := os.Open(fileOrSeal); err == nil {
		// One byte past a report's limit is read, so ReadPrinted can say
		// the file is too large without reading all of it.
		page, readErr := io.ReadAll(io.LimitReader(file, maxPrintedPage+1))
		file.Close()
		if readErr == nil {
			if printed, err = ReadPrinted(page); err != nil {
				return nil, fmt.Errorf("%s: %w", fileOrSeal, err)
			}
			seal, fromPage = printed.Seal, true
		}
	}
	monthly, err := verify(seal)
	if err != nil {
		return nil, err
	}
	if fromPage {
		if err := CheckPrinted(monthly, catalog, printed); err != nil {
			return nil, err
		}
	}
	return monthly, nil
}

// PrintedVerifiedText writes that a printed report is what a log (whose:
// "the log's") says, under which signed checkpoint.
func PrintedVerifiedText(out io.Writer, monthly *app.MonthReport, whose string) {
	scope := strings.TrimSpace(monthly.County + " " + monthly.Campaign)
	if scope == "" {
		scope = "the whole federation"
	}
	fmt.Fprintf(out, "OK: the report of %s (%s) is what %s first %d events say, under the checkpoint signed by %s at %s\n",
		monthly.Month, scope, whose, monthly.Checkpoint.Size, monthly.Checkpoint.Origin, BeijingTime(monthly.Checkpoint.Time))
}

// RestoredText says what a restore wrote into the empty ledger
// (backup.Backup.Restore): its events and checkpoints, and that the
// projection checkpoints an old backup held (ignored) were not restored.
func RestoredText(out io.Writer, events, checkpoints, ignored int) {
	fmt.Fprintf(out, "restored %s and %s\n", Counted(events, "event", "events"), Counted(checkpoints, "checkpoint", "checkpoints"))
	if ignored > 0 {
		fmt.Fprintf(out, "the backup's %s not restored: projections are folded from the restored log\n",
			Counted(ignored, "projection checkpoint was", "projection checkpoints were"))
	}
}

// TotalsRebuiltText says that a restore folded the totals from the
// restored log to position, and whether their checkpoint was saved. When
// the restore knows why it was not, for the backup held no signing key,
// keyPath is where the key goes, and that is said once, here.
func TotalsRebuiltText(out io.Writer, position uint64, saved bool, keyPath string) {
	switch {
	case keyPath != "":
		fmt.Fprintf(out, "folded the totals from the restored log to position %d; the backup holds no signing key (it was taken "+
			"without --with-signing-key): until the ledger's signing key is at %s (or given with --signing-key FILE), no checkpoint "+
			"is signed and the totals' checkpoint is not saved, so every read folds the totals from the log\n", position, keyPath)
	case saved:
		fmt.Fprintf(out, "folded the totals from the restored log to position %d and saved their checkpoint, sealed\n", position)
	default:
		fmt.Fprintf(out, "folded the totals from the restored log to position %d; their checkpoint was not saved, so every read "+
			"folds them from the log until it is\n", position)
	}
}

// WrongBackupKey rewords a restore's refusal of a backup signed with
// another key than --key (err, a backup.WrongKeyError: given, and the
// signers), each key named with its hash: every ledger's key has the same
// name, so the name alone tells nothing.
func WrongBackupKey(err error, given string, signers []string) error {
	return &Reworded{Err: err, Text: fmt.Sprintf("the backup is signed with the key %s, not with --key %s: every ledger's key "+
		"has that name and only the hash after it differs, so the backup is another ledger's, or --key is; give the key ledger pubkey "+
		"prints on the ledger the backup was taken from", strings.Join(signers, " and "), given)}
}

// ReappliedText writes what became of each erasure a restore applied
// again (app.Ledger.ReapplyErasures), one subject a line.
func ReappliedText(out io.Writer, done []app.Reapplied) {
	for _, reapplied := range done {
		if reapplied.Err != nil {
			fmt.Fprintf(out, "could not re-apply the erasure of %s: %v\n", reapplied.Subject, reapplied.Err)
		} else {
			fmt.Fprintf(out, "re-applied the erasure of %s: %s\n", reapplied.Subject, reapplied.Outcome)
		}
	}
}

// BeijingTime is an instant as the ledger prints it for people: to the
// second, in Beijing time, saying so.
func BeijingTime(instant time.Time) string {
	return instant.In(domain.Beijing).Format("2006-01-02 15:04:05") + " Beijing time"
}
