package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

// LineWhere names an input line's field for people ("line 7:
// data.amount"), or the line alone when the problem is the whole event.
func LineWhere(number int, field string) string {
	if field == "" || field == "$" {
		return fmt.Sprintf("line %d", number)
	}
	return fmt.Sprintf("line %d: %s", number, field)
}

// LineErrorText prints why an input line was refused: each violation of a
// validation error, or the broken rule, at its field, as where names it,
// or the error whole. Another line the problem repeats is named "repeats "
// and where it is.
func LineErrorText(out io.Writer, number int, err error, where func(number int, field string) string) {
	lineErrorText(out, number, err, LinesShown{Where: where, Repeats: func(other int) string { return "repeats " + where(other, "") }})
}

// lineErrorText is LineErrorText with shown naming the other line a
// problem repeats (Repeats) and wording its rules (Rule).
func lineErrorText(out io.Writer, number int, err error, shown LinesShown) {
	where, repeats := shown.Where, shown.Repeats
	var validation *domain.ValidationError
	var rule *domain.RuleError
	switch {
	case errors.As(err, &validation):
		for _, violation := range validation.Violations {
			if shown.Rule != nil {
				violation.Rule = shown.Rule(violation)
			}
			fmt.Fprintf(out, "%s: %s\n", where(number, violation.Field), violation.RuleWith(repeats))
		}
	case errors.As(err, &rule) && rule.Event == 0:
		worded := *rule
		field := rule.Field
		if shown.Refusal != nil {
			field, worded.Rule = shown.Refusal(*rule)
		}
		rejected := "rejected: "
		if shown.Words != nil {
			rejected = shown.Words.rejected()
		}
		fmt.Fprintf(out, "%s: %s%s\n", where(number, field), rejected, worded.RuleWith(repeats))
	default:
		fmt.Fprintf(out, "%s: %v\n", where(number, ""), err)
	}
}

// RecordedText prints what became of a recorded input line: for people,
// after where, the line as the front end names it ("line 3", a sheet's
// "第 3 行"; empty for one entry given by a command's flags), or as one
// JSON object with the line's number and the write's result.
func RecordedText(out io.Writer, number int, where string, event domain.Event, result ledger.Result, asJSON bool) error {
	if asJSON {
		line, err := json.Marshal(struct {
			Line int `json:"line"`
			ledger.Result
		}{number, result})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, string(line))
		return err
	}
	_, err := fmt.Fprintln(out, fileWords{}.written(where, event, result))
	return err
}

// writtenText is RecordedText with words wording the line for people.
func writtenText(out io.Writer, number int, where string, event domain.Event, result ledger.Result, asJSON bool, words LinesWords) error {
	if asJSON {
		return RecordedText(out, number, where, event, result, true)
	}
	_, err := fmt.Fprintln(out, words.written(where, event, result))
	return err
}
