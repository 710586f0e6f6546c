package report_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// A verification's summary names the trusted checkpoints only when there
// were some, and the cosigners only when a witness policy asked for them.
func TestVerifiedTextNamesWhatWasAsked(t *testing.T) {
	verified := integrity.Report{Events: 121, Checkpoints: 2, Root: tlog.Hash{1}, Cosigners: []string{"w1", "w2"}}
	root := verified.Root.String()
	for _, tc := range []struct {
		trusted   int
		witnessed bool
		want      string
	}{
		{0, false, "OK: 121 events, 2 checkpoints verified; tree root " + root + "\n"},
		{3, false, "OK: 121 events, 2 checkpoints verified, consistent with 3 trusted checkpoints; tree root " + root + "\n"},
		{1, true, "OK: 121 events, 2 checkpoints verified, consistent with 1 trusted checkpoint, the newest cosigned by w1, w2; tree root " + root + "\n"},
	} {
		var out bytes.Buffer
		report.VerifiedText(&out, verified, tc.trusted, tc.witnessed)
		if out.String() != tc.want {
			t.Errorf("trusted %d, witnessed %v:\n%q\nwant\n%q", tc.trusted, tc.witnessed, out.String(), tc.want)
		}
	}
}

// printedMonth is a report as a log recomputes it, and its page.
func printedMonth(t *testing.T) (*app.MonthReport, []byte) {
	t.Helper()
	monthly := &app.MonthReport{Month: "2022-06", County: "150626", Seal: "ledger-report/3 month=2022-06 county=150626 campaign= size=3 root=AAAA figures=00",
		Rows:       []projections.Row{{County: "150626", Figures: projections.Figures{Received: 123456, Deliveries: 2}}},
		All:        []projections.Row{{County: "all", Figures: projections.Figures{Received: 123456, Deliveries: 2}}},
		Checkpoint: integrity.Checkpoint{Origin: "test", Size: 3, Time: time.Date(2022, 7, 1, 8, 0, 0, 0, domain.Beijing)}}
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, domain.DefaultCatalog(), "en"); err != nil {
		t.Fatal(err)
	}
	return monthly, page.Bytes()
}

// A printed report is checked by its seal whether it is given as its page
// or as the seal alone, and a page whose figures differ from the log's, or
// a file that is no report, is refused, naming the file.
func TestVerifyPrintedTakesAPageOrASeal(t *testing.T) {
	monthly, page := printedMonth(t)
	dir := t.TempDir()
	pagePath := filepath.Join(dir, "report.html")
	if err := os.WriteFile(pagePath, page, 0o600); err != nil {
		t.Fatal(err)
	}
	var asked []string
	verify := func(recomputed *app.MonthReport) func(seal string) (*app.MonthReport, error) {
		return func(seal string) (*app.MonthReport, error) {
			asked = append(asked, seal)
			return recomputed, nil
		}
	}
	for _, given := range []string{pagePath, monthly.Seal} {
		got, err := report.VerifyPrinted(given, domain.DefaultCatalog(), verify(monthly))
		if err != nil || got != monthly {
			t.Errorf("%s: %v, %v; want the recomputed report", given, got, err)
		}
	}
	if len(asked) != 2 || asked[0] != monthly.Seal || asked[1] != monthly.Seal {
		t.Errorf("verify was asked for %q, want the seal twice", asked)
	}

	differs := *monthly
	differs.Rows = []projections.Row{{County: "150626", Figures: projections.Figures{Received: 999, Deliveries: 2}}}
	if _, err := report.VerifyPrinted(pagePath, domain.DefaultCatalog(), verify(&differs)); !errors.Is(err, app.ErrReportMismatch) {
		t.Errorf("a page the log disagrees with: %v, want ErrReportMismatch", err)
	}
	notReport := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notReport, []byte("no seal here"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := report.VerifyPrinted(notReport, domain.DefaultCatalog(), verify(monthly)); !errors.Is(err, app.ErrReportMismatch) || !strings.HasPrefix(err.Error(), notReport+": ") {
		t.Errorf("a file that is no report: %v, want ErrReportMismatch naming the file", err)
	}
	failed := errors.New("no such checkpoint")
	if _, err := report.VerifyPrinted(monthly.Seal, domain.DefaultCatalog(), func(string) (*app.MonthReport, error) { return nil, failed }); !errors.Is(err, failed) {
		t.Errorf("a seal the log does not know: %v, want verify's error", err)
	}
}

// A checked report says whose log it was checked against, under which
// checkpoint.
func TestPrintedVerifiedText(t *testing.T) {
	monthly, _ := printedMonth(t)
	// The signing time is said in Beijing time, as the page's footer says
	// it, whatever zone the checkpoint was read in.
	monthly.Checkpoint.Time = monthly.Checkpoint.Time.UTC()
	var out bytes.Buffer
	report.PrintedVerifiedText(&out, monthly, "the mirror's")
	want := "OK: the report of 2022-06 (150626) is what the mirror's first 3 events say, under the checkpoint signed by test at 2022-07-01 08:00:00 Beijing time\n"
	if out.String() != want {
		t.Errorf("printed\n%q\nwant\n%q", out.String(), want)
	}
	// A report of every region and campaign says so, not "()".
	monthly.County = ""
	out.Reset()
	report.PrintedVerifiedText(&out, monthly, "the mirror's")
	if want := "OK: the report of 2022-06 (the whole federation) is"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("printed\n%q\nwant it to start %q", out.String(), want)
	}
}

// Each re-applied erasure is a line: what became of it, or why it failed.
func TestReappliedText(t *testing.T) {
	var out bytes.Buffer
	report.ReappliedText(&out, []app.Reapplied{{Subject: "D-1", Outcome: "key destroyed"}, {Subject: "D-2", Err: errors.New("no such subject")}})
	want := "re-applied the erasure of D-1: key destroyed\ncould not re-apply the erasure of D-2: no such subject\n"
	if out.String() != want {
		t.Errorf("printed\n%q\nwant\n%q", out.String(), want)
	}
}

// A restore says in one line what it wrote, and in another that an old
// backup's projection checkpoints were left out.
func TestRestoredText(t *testing.T) {
	var out bytes.Buffer
	report.RestoredText(&out, 121, 2, 0)
	if want := "restored 121 events and 2 checkpoints\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	out.Reset()
	report.RestoredText(&out, 1, 1, 1)
	if want := "restored 1 event and 1 checkpoint\nthe backup's 1 projection checkpoint was not restored: " +
		"projections are folded from the restored log\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	out.Reset()
	report.RestoredText(&out, 121, 0, 2)
	if want := "restored 121 events and 0 checkpoints\nthe backup's 2 projection checkpoints were not restored: " +
		"projections are folded from the restored log\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}

// A mirror verified under a witness policy says who cosigned its newest
// checkpoint, as `ledger verify` does; without a policy it names nobody.
func TestMirrorVerifiedText(t *testing.T) {
	verified := integrity.Report{Events: 3, Checkpoints: 2, Cosigners: []string{"w1", "w2"}}
	var out bytes.Buffer
	report.MirrorVerifiedText(&out, verified, true)
	if want := "OK: 3 entries, 2 checkpoints verified offline, the newest cosigned by w1, w2; tree root "; !strings.HasPrefix(out.String(), want) {
		t.Errorf("printed %q, want it to start %q", out.String(), want)
	}
	out.Reset()
	report.MirrorVerifiedText(&out, verified, false)
	if strings.Contains(out.String(), "cosigned") {
		t.Errorf("printed %q without a policy", out.String())
	}
}
