package report_test

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// The demo's figures count in words: one entry voided is "1 entry voided",
// not "1 entries voided".
func TestDemoFiguresTextCounts(t *testing.T) {
	for voided, want := range map[int64]string{1: "; 1 entry voided, 2 corrected\n", 3: "; 3 entries voided, 2 corrected\n"} {
		var out bytes.Buffer
		report.DemoFiguresText(&out, projections.Figures{}, projections.Figures{}, projections.Figures{Voided: voided, Corrected: 2})
		if !strings.HasSuffix(out.String(), want) {
			t.Errorf("%d voided: %q, want it to end %q", voided, out.String(), want)
		}
	}
}

// A list of positions names the first ten and counts the rest, so that a
// log that lost thousands does not fill the screen.
func TestPositionListNamesTenAndCountsTheRest(t *testing.T) {
	var positions []uint64
	for position := uint64(1); position <= 13; position++ {
		positions = append(positions, position)
	}
	for _, c := range []struct {
		positions []uint64
		want      string
	}{
		{nil, ""},
		{positions[:1], "1"},
		{positions[:10], "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"},
		{positions, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and 3 more"},
	} {
		if got := report.PositionList(c.positions); got != c.want {
			t.Errorf("PositionList(%v) = %q, want %q", c.positions, got, c.want)
		}
	}
}

// A repair that mended nothing says so only when it ran to its end: a
// failed one has its error to say.
func TestRepairedTextSaysNothingWasMendedOnlyWhenFinished(t *testing.T) {
	text := func(done []string, finished bool) string {
		var out bytes.Buffer
		report.RepairedText(&out, done, finished)
		return out.String()
	}
	if got := text(nil, true); got != "nothing the log can mend\n" {
		t.Errorf("finished, nothing done: %q", got)
	}
	if got := text(nil, false); got != "" {
		t.Errorf("failed, nothing done: %q", got)
	}
	if got := text([]string{"a", "b"}, false); got != "repaired: a\nrepaired: b\n" {
		t.Errorf("failed after two actions: %q", got)
	}
}

// Where the lost positions came back from, and where the damaged log is
// kept, are said; a log that lost nothing says there was nothing to do.
func TestLostRestoredTextSaysWhatCameBackAndWhereTheDamageIsKept(t *testing.T) {
	var out bytes.Buffer
	report.LostRestoredText(&out, []uint64{7, 9}, 123, "/data/damaged-log-T")
	for _, want := range []string{"put back 2 lost position(s) (7, 9) from the backup; the rebuilt log of 123 events verifies",
		"kept in /data/damaged-log-T: delete them"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	report.LostRestoredText(&out, nil, 123, "")
	if out.String() != "the log lost no position: nothing to put back from the backup\n" {
		t.Errorf("nothing lost: %q", out.String())
	}
}

// A resync that failed after setting the node's copy aside still says
// where the copy is.
func TestReplicaResyncTextSaysWhereTheCopyIsEvenOnFailure(t *testing.T) {
	var out bytes.Buffer
	report.ReplicaResyncText(&out, "/data/damaged-replica-T", 0, false)
	if out.String() != "set this node's copy of the log aside in /data/damaged-replica-T\n" {
		t.Errorf("failed resync: %q", out.String())
	}
	out.Reset()
	report.ReplicaResyncText(&out, "/data/damaged-replica-T", 121, true)
	if !strings.Contains(out.String(), "holds all 121 events again, taken from its peers; delete /data/damaged-replica-T") {
		t.Errorf("resync:\n%s", out.String())
	}
	out.Reset()
	report.ReplicaResyncText(&out, "", 0, false)
	if out.String() != "" {
		t.Errorf("nothing set aside: %q", out.String())
	}
}

// The version names the commit the go command stamped, and says unknown
// when there is none.
func TestVersionTextNamesTheStampedCommit(t *testing.T) {
	var out bytes.Buffer
	report.VersionText(&out, "v1.2.3", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}})
	if !strings.HasPrefix(out.String(), "ledger v1.2.3\ncommit abc (with uncommitted changes)\ndate 2026-01-02T03:04:05Z\ngo") {
		t.Errorf("stamped build:\n%s", out.String())
	}
	out.Reset()
	report.VersionText(&out, "dev", nil)
	if !strings.HasPrefix(out.String(), "ledger dev\ncommit unknown\ndate unknown\n") {
		t.Errorf("unstamped build:\n%s", out.String())
	}
}

// Handing out the ledger's own credential warns each time and says how
// another node uses it; the watcher's needs no warning and says how the
// live totals are watched with it.
func TestCredentialTexts(t *testing.T) {
	var warned, written bytes.Buffer
	report.CredentialWarningText(&warned, false)
	report.CredentialWrittenText(&written, "watcher", false, "w.nk", "ledger_totals")
	if warned.Len() != 0 || written.String() != "wrote the watcher credential to w.nk; e.g. nats --server nats://127.0.0.1:4222 --nkey w.nk sub 'ledger_totals.>'\n" {
		t.Fatalf("watcher: warned %q, wrote %q", warned.String(), written.String())
	}
	written.Reset()
	report.CredentialWarningText(&warned, true)
	report.CredentialWrittenText(&written, "runtime", true, "r.nk", "ledger_totals")
	if !strings.Contains(warned.String(), "the runtime credential is this ledger's own") ||
		written.String() != "wrote the runtime credential to r.nk; e.g. ledger serve --nats URL --nats-creds r.nk\n" {
		t.Fatalf("runtime: warned %q, wrote %q", warned.String(), written.String())
	}
}
