package app

import (
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

// The problems of a line are reported together, whichever step finds them:
// the decoding, and the rules check applies to what decoded.

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
