package report

import (
	"fmt"
	"io"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/integrity"
)

// FindingsText prints the doctor's findings for people, one store a line
// marked ok or PROBLEM, with the repair under each problem that has one.
func FindingsText(out io.Writer, findings []app.Finding) {
	for _, finding := range findings {
		mark := "ok     "
		if finding.Problem {
			mark = "PROBLEM"
		}
		fmt.Fprintf(out, "%s  %s: %s\n", mark, finding.Store, finding.What)
		if finding.Repair != "" {
			fmt.Fprintf(out, "         repair: %s\n", finding.Repair)
		}
	}
}

// VerificationText prints a verification's problems, each at its position
// when it has one, then its notes, then the damage it found in the tree
// file, each line marked as the file's so that no one reads it as the
// log's.
func VerificationText(out io.Writer, verified integrity.Report) {
	for _, problem := range verified.Problems {
		if problem.Position > 0 {
			fmt.Fprintf(out, "position %d: %s\n", problem.Position, problem.What)
		} else {
			fmt.Fprintf(out, "%s\n", problem.What)
		}
	}
	for _, note := range verified.Notes {
		fmt.Fprintf(out, "note: %s\n", note.What)
	}
	for _, damage := range verified.TreeFile {
		fmt.Fprintf(out, "tree file damaged: %s\n", damage.What)
	}
}
