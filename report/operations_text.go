package report

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/ordos-union/ledger/projections"
)

// positionListMax bounds the positions a message lists one by one: a log
// that lost thousands would otherwise fill the screen.
const positionListMax = 10

// PositionList lists log positions for a message, the first ten one by
// one and then how many more ("1, 2, and 3 more").
func PositionList(positions []uint64) string {
	var parts []string
	for i, position := range positions {
		if i == positionListMax {
			parts = append(parts, fmt.Sprintf("and %d more", len(positions)-positionListMax))
			break
		}
		parts = append(parts, strconv.FormatUint(position, 10))
	}
	return strings.Join(parts, ", ")
}

// LostRestoredText says what putting back the log's lost positions from a
// backup did: the positions put back (none when the log lost none), how
// many events the rebuilt log holds, and where the damaged log's files
// are kept, for the operator to delete.
func LostRestoredText(out io.Writer, restored []uint64, events uint64, kept string) {
	if len(restored) == 0 {
		fmt.Fprintln(out, "the log lost no position: nothing to put back from the backup")
		return
	}
	fmt.Fprintf(out, "repaired: put back %d lost position(s) (%s) from the backup; the rebuilt log of %d events verifies against every signed checkpoint\n",
		len(restored), PositionList(restored), events)
	fmt.Fprintf(out, "the damaged log's files are kept in %s: delete them once you are satisfied\n", kept)
}

// RepairedText says what a repair mended, one action a line. finished
// says the repair ran to its end: only then does having mended nothing
// mean there was nothing to mend.
func RepairedText(out io.Writer, done []string, finished bool) {
	for _, action := range done {
		fmt.Fprintf(out, "repaired: %s\n", action)
	}
	if finished && len(done) == 0 {
		fmt.Fprintln(out, "nothing the log can mend")
	}
}

// ReplicaResyncText says what resyncing a cluster node's copy of the log
// did: where the damaged copy was set aside (kept, empty when it was not),
// and, once resynced, how many events the node's copy holds again. The
// place is said even when the resync failed: the operator may need it.
func ReplicaResyncText(out io.Writer, kept string, events uint64, resynced bool) {
	if kept != "" {
		fmt.Fprintf(out, "set this node's copy of the log aside in %s\n", kept)
	}
	if resynced {
		fmt.Fprintf(out, "repaired: this node's copy of the log holds all %d events again, taken from its peers; delete %s once you are satisfied\n",
			events, kept)
	}
}

// DemoFiguresText shows the figures of the 2022 Ordos report as the ledger
// derives them from the demo's events, not as constants: lectures and april
// are the totals of its two campaigns, all those of the whole ledger.
func DemoFiguresText(out io.Writer, lectures, april, all projections.Figures) {
	fmt.Fprintf(out, "\nFrom the 2022 report, as derived from the events:\n")
	fmt.Fprintf(out, "  健康护航、法治随行 lectures: %d sessions, %d participants\n", lectures.Sessions, lectures.Participants)
	fmt.Fprintf(out, "  April service month: %d visits, %d health checkups, %d service stations, %d person-times\n",
		april.ServicesByKind["visit"].Count, april.ServicesByKind["health-checkup"].Count, april.ServicesByKind["station-opened"].Count, april.PersonTimes)
	fmt.Fprintf(out, "  Raised: ¥%s in money and ¥%s in goods; %s, %d corrected\n",
		Yuan(all.Received), Yuan(all.GoodsReceivedValue), Counted(int(all.Voided), "entry voided", "entries voided"), all.Corrected)
}

// VersionText prints the version, the commit and its date, and the Go and
// target the program was built with. The go command stamps the commit and
// its date into a build from a git checkout (info, nil when the program
// carries none); without them they read unknown.
func VersionText(out io.Writer, version string, info *debug.BuildInfo) {
	commit, built, modified := "unknown", "unknown", ""
	if info == nil {
		info = &debug.BuildInfo{}
	}
	for _, setting := range info.Settings {
		switch setting.Key {
		case "vcs.revision":
			commit = setting.Value
		case "vcs.time":
			built = setting.Value
		case "vcs.modified":
			if setting.Value == "true" {
				modified = " (with uncommitted changes)"
			}
		}
	}
	fmt.Fprintf(out, "ledger %s\ncommit %s%s\ndate %s\n%s %s/%s\n", version, commit, modified, built, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// CredentialWarningText warns, each time it leaves the data directory,
// that the ledger's own credential (the runtime's) reads every
// personal-data key and can destroy keys: it is for another node of this
// ledger only. Other credentials need no warning.
func CredentialWarningText(out io.Writer, ledgersOwn bool) {
	if ledgersOwn {
		fmt.Fprint(out, "the runtime credential is this ledger's own: it reads every personal-data key and can destroy keys one at a time; "+
			"give it only to another node of this ledger (--nats-creds), never to a dashboard or script (give those the watcher's)\n")
	}
}

// CredentialWrittenText says where a role's credential was written and how
// it is used: the ledger's own by another node of the ledger, any other
// with the nats command following the live totals on subject, where the
// server republishes them (a subscription takes no consumer place, which
// another holder of the credential could take from a `kv watch`).
func CredentialWrittenText(out io.Writer, role string, ledgersOwn bool, path, subject string) {
	if ledgersOwn {
		fmt.Fprintf(out, "wrote the runtime credential to %s; e.g. ledger serve --nats URL --nats-creds %s\n", path, path)
		return
	}
	fmt.Fprintf(out, "wrote the %s credential to %s; e.g. nats --server nats://127.0.0.1:4222 --nkey %s sub '%s.>'\n", role, path, path, subject)
}
