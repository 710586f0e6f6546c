package app

import (
	"errors"
	"fmt"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

// The problems of a line are reported together, whichever step finds them:
// the decoding, the rules check applies to what decoded, and the rules of
// a correction's replacement, which are checked once its target is found.

// refusedLine is a line's refusal by its decoding, with the problems check
// finds in what did decode when its payload did (line.Partial): a malformed
// occurred_at does not hide an unknown item kind on the same line.
func refusedLine(line ledger.Line, check func(domain.Event) (ledger.Checked, error)) error {
	if !line.Partial {
		return line.Err
	}
	_, err := check(line.Event)
	return domain.JoinChecked(line.Err, err)
}

// invalidLines makes the lines at valid that a refusal by their own field
// rules (*ledger.InvalidEventsError) is about invalid outcomes, as if check
// had found their problems, and returns the error RecordLines returns for
// invalid lines. It returns nil, and changes nothing, for any other
// refusal.
func invalidLines(report *LinesReport, valid []int, err error) error {
	var invalid *ledger.InvalidEventsError
	if !errors.As(err, &invalid) {
		return nil
	}
	refused := lineErrors(invalid.Err, lineNumbers(*report, valid))
	if refused == nil {
		return nil
	}
	for j, i := range valid {
		if lineErr, ok := refused[j+1]; ok {
			report.Outcomes[i].Err = lineErr
			report.Invalid++
		}
	}
	return fmt.Errorf("%d of %d lines: %w", report.Invalid, len(report.Outcomes), ErrInvalidLines)
}
