package report

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/ledger"
)

// LinesWords words what RecordedLinesText says of the lines as a whole
// (how many are valid, invalid, refused, written) and of each line
// written or refused: a file's lines in the ledger's English (nil, as
// `ledger record FILE` says them), or a sheet's rows in the sheet's
// language (SheetWords). Only this package words them.
type LinesWords interface {
	// invalid is the failure of lines some of which are invalid (a field
	// rule) or refused (a rule of the ledger), of lines in all: nothing
	// was written.
	invalid(invalid, refused, lines int) string
	// tooManyRefused is the failure of skipping that met more than most
	// lines refused by a rule of the ledger; problems names the one past.
	tooManyRefused(most int, problems string) string
	// unknown is the failure of a batch, lines first to last, written
	// without saying whether it wrote, after written earlier events.
	unknown(first, last, unkeyed, written int, problems string) string
	// nothingWritten is the failure of the only batch, refused.
	nothingWritten(problems string) string
	// notWritten is the failure of a later batch, refused.
	notWritten(first, last, written int, problems string) string
	// dryRun is what a dry run found: valid lines, duplicates of them
	// recorded before.
	dryRun(valid, duplicates int) string
	// counts is what a write did: recorded, found recorded before, and
	// skipped as invalid or refused.
	counts(recorded, duplicates, invalid, refused int) string
	// skipped is the failure of a write that skipped lines.
	skipped(invalid, refused int) string
	// written is what became of a written line, after where names it
	// (empty for one entry given by a command's flags).
	written(where string, event domain.Event, result ledger.Result) string
	// rejected begins a line's rule of the ledger.
	rejected() string
	// passes is the status of a line of a run that recorded nothing
	// which would have been recorded, or untried when the run could not
	// tell (app.LineOutcome.Untried).
	passes(where string, event domain.Event, untried bool) string
	// problems names each problem of a batch's refusal by the line its
	// event came from (numbers, by the event's place in the batch).
	problems(err error, numbers []int, shown LinesShown) string
}

// fileWords are a file's lines in the ledger's English, which `ledger
// record FILE` has always printed: a line that breaks a rule of the
// ledger and is skipped is counted with the invalid ones.
type fileWords struct{}

func (fileWords) invalid(invalid, refused, lines int) string {
	return fmt.Sprintf("%d of %d lines are invalid; nothing was written (fix them, or use --skip-invalid)", invalid+refused, lines)
}

func (fileWords) tooManyRefused(most int, problems string) string {
	return fmt.Sprintf("more than %d lines break a rule of the ledger, the most that are skipped; nothing was written: %s", most, problems)
}

func (fileWords) unknown(first, last, unkeyed, written int, problems string) string {
	return fmt.Sprintf("lines %d-%d (%s; %d earlier events were written): %s", first, last, app.UnknownAdvice(unkeyed), written, problems)
}

func (fileWords) nothingWritten(problems string) string { return "nothing was written: " + problems }

func (fileWords) notWritten(first, last, written int, problems string) string {
	return fmt.Sprintf("lines %d-%d (none of them written; %d earlier events were): %s", first, last, written, problems)
}

func (fileWords) dryRun(valid, duplicates int) string {
	if duplicates > 0 {
		return fmt.Sprintf("%d lines are valid, %d of them already recorded; nothing was written (dry run)", valid, duplicates)
	}
	return fmt.Sprintf("%d lines are valid; nothing was written (dry run)", valid)
}

func (fileWords) counts(recorded, duplicates, invalid, refused int) string {
	return fmt.Sprintf("recorded %s, %d already recorded (same idempotency key), %d invalid skipped", Counted(recorded, "event", "events"),
		duplicates, invalid+refused)
}

func (fileWords) skipped(invalid, refused int) string {
	return fmt.Sprintf("%d invalid lines were skipped", invalid+refused)
}

func (fileWords) written(where string, event domain.Event, result ledger.Result) string {
	state := "recorded"
	if result.Duplicate {
		state = "already recorded"
	}
	if where != "" {
		where += ": "
	}
	return fmt.Sprintf("%s%s %s %s at position %d%s", where, state, event.Type, result.EventID, result.Position, recordedBy(event, result, " by "))
}

func (fileWords) rejected() string { return "rejected: " }

func (fileWords) passes(where string, event domain.Event, untried bool) string {
	if untried {
		return where + ": not checked against the ledger (nothing was written)"
	}
	return fmt.Sprintf("%s: valid %s (nothing was written)", where, event.Type)
}

func (fileWords) problems(err error, numbers []int, shown LinesShown) string {
	return renumber(err, numbers, shown)
}

// recordedBy names who recorded a line found recorded before, after
// before, when it was someone else (a sheet imported before by another
// clerk): who recorded it is news only then.
func recordedBy(event domain.Event, result ledger.Result, before string) string {
	if result.Duplicate && result.RecordedBy != "" && result.RecordedBy != event.Actor {
		return before + result.RecordedBy
	}
	return ""
}

// SheetWords are a sheet's rows in the sheet's language (zh or en): rows
// counted as rows, in the right number, and a row that broke a rule of
// the ledger called refused, not invalid (a cell or field rule).
func SheetWords(lang string) LinesWords {
	if lang == "en" {
		return sheetEnglish{}
	}
	return sheetChinese{}
}

// sheetProblems names each problem of a batch's refusal, as a sheet names
// a row's (lineErrorText), joined; a refusal about no one row of the
// batch is named as a file's lines are.
func sheetProblems(err error, numbers []int, shown LinesShown) string {
	lines, errs := batchLines(err, numbers)
	if len(lines) == 0 {
		return renumber(err, numbers, shown)
	}
	var said strings.Builder
	for i, line := range lines {
		lineErrorText(&said, line, errs[i], shown)
	}
	return strings.ReplaceAll(strings.TrimSuffix(said.String(), "\n"), "\n", "; ")
}

// batchLines splits a batch's refusal into the lines its events came from
// (numbers, by the event's place in the batch), in the order the refusal
// names them, and each line's own error, with any other event it names
// (Other) as its line. It returns none for a refusal that is not about
// events of the batch alone.
func batchLines(err error, numbers []int) ([]int, []error) {
	line := func(event int) int {
		if event < 1 || event > len(numbers) {
			return 0
		}
		return numbers[event-1]
	}
	var validation *domain.ValidationError
	var rule *domain.RuleError
	switch {
	case errors.As(err, &validation):
		var lines []int
		byLine := map[int]*domain.ValidationError{}
		for _, violation := range validation.Violations {
			number := line(violation.Event)
			if number == 0 {
				return nil, nil
			}
			if byLine[number] == nil {
				lines = append(lines, number)
				byLine[number] = &domain.ValidationError{}
			}
			violation.Event, violation.Other = 0, line(violation.Other)
			byLine[number].Violations = append(byLine[number].Violations, violation)
		}
		errs := make([]error, len(lines))
		for i, number := range lines {
			errs[i] = byLine[number]
		}
		return lines, errs
	case errors.As(err, &rule) && line(rule.Event) != 0:
		alone := *rule
		alone.Event, alone.Other, alone.OtherID = 0, line(rule.Other), uuid.Nil
		return []int{line(rule.Event)}, []error{&alone}
	}
	return nil, nil
}

// englishRows names rows first to last: "row 4", "rows 4-9".
func englishRows(first, last int) string {
	if first == last {
		return fmt.Sprintf("row %d", first)
	}
	return fmt.Sprintf("rows %d-%d", first, last)
}

// chineseRows names rows first to last: 第 4 行, 第 4-9 行.
func chineseRows(first, last int) string {
	if first == last {
		return fmt.Sprintf("第 %d 行", first)
	}
	return fmt.Sprintf("第 %d-%d 行", first, last)
}

type sheetEnglish struct{}

// rows counts rows in English: "1 row is", "2 rows are".
func rows(n int) string {
	if n == 1 {
		return "1 row is"
	}
	return fmt.Sprintf("%d rows are", n)
}

func (sheetEnglish) invalid(invalid, refused, lines int) string {
	verb := "are"
	if invalid+refused == 1 {
		verb = "is"
	}
	what := "invalid"
	switch {
	case invalid == 0:
		what = "refused by a rule of the ledger"
	case refused > 0:
		what = fmt.Sprintf("invalid or refused (%d invalid, %d refused by a rule of the ledger)", invalid, refused)
	}
	return fmt.Sprintf("%d of %s %s %s; nothing was written (fix them, or use --skip-invalid)", invalid+refused,
		Counted(lines, "row", "rows"), verb, what)
}

func (sheetEnglish) tooManyRefused(most int, problems string) string {
	return fmt.Sprintf("more than %d rows are refused by a rule of the ledger, the most that are skipped; nothing was written: %s", most, problems)
}

func (sheetEnglish) unknown(first, last, unkeyed, written int, problems string) string {
	advice := "importing the same sheet again is safe, each row's idempotency key finds it if it was written"
	if unkeyed > 0 {
		advice += fmt.Sprintf(", but %d of them have no idempotency key: look in the log before importing those again", unkeyed)
	}
	return fmt.Sprintf("%s (outcome unknown: they may have been written; %s; %s written before): %s", englishRows(first, last), advice,
		Counted(written, "event was", "events were"), problems)
}

func (sheetEnglish) nothingWritten(problems string) string { return "nothing was written: " + problems }

func (sheetEnglish) notWritten(first, last, written int, problems string) string {
	return fmt.Sprintf("%s (none of them written; %s written before): %s", englishRows(first, last), Counted(written, "event was", "events were"),
		problems)
}

func (sheetEnglish) dryRun(valid, duplicates int) string {
	if duplicates > 0 {
		return fmt.Sprintf("%s valid (%d already recorded); nothing was written (dry run)", rows(valid), duplicates)
	}
	return fmt.Sprintf("%s valid; nothing was written (dry run)", rows(valid))
}

func (sheetEnglish) counts(recorded, duplicates, invalid, refused int) string {
	said := fmt.Sprintf("recorded %s, %d already recorded (same idempotency key)", Counted(recorded, "event", "events"), duplicates)
	if invalid+refused > 0 {
		said += fmt.Sprintf(", skipped %d invalid and %d refused", invalid, refused)
	}
	return said
}

func (sheetEnglish) skipped(invalid, refused int) string {
	var parts []string
	if invalid > 0 {
		parts = append(parts, Counted(invalid, "invalid row", "invalid rows"))
	}
	if refused > 0 {
		parts = append(parts, Counted(refused, "row refused by a rule of the ledger", "rows refused by a rule of the ledger"))
	}
	verb := " was skipped"
	if invalid+refused > 1 {
		verb = " were skipped"
	}
	return strings.Join(parts, " and ") + verb
}

func (sheetEnglish) written(where string, event domain.Event, result ledger.Result) string {
	return fileWords{}.written(where, event, result)
}

func (sheetEnglish) rejected() string { return "refused: " }

func (sheetEnglish) passes(where string, event domain.Event, untried bool) string {
	return fileWords{}.passes(where, event, untried)
}

func (sheetEnglish) problems(err error, numbers []int, shown LinesShown) string {
	return sheetProblems(err, numbers, shown)
}

type sheetChinese struct{}

func (sheetChinese) invalid(invalid, refused, lines int) string {
	var parts []string
	if invalid > 0 {
		parts = append(parts, fmt.Sprintf("%d 行无效", invalid))
	}
	if refused > 0 {
		parts = append(parts, fmt.Sprintf("%d 行违反台账规则被拒", refused))
	}
	return fmt.Sprintf("共 %d 行，其中 %s；未写入（请改正后重新导入，或使用 --skip-invalid）", lines, strings.Join(parts, "、"))
}

func (sheetChinese) tooManyRefused(most int, problems string) string {
	return fmt.Sprintf("超过 %d 行违反台账规则被拒（最多跳过 %d 行）；未写入：%s", most, most, problems)
}

func (sheetChinese) unknown(first, last, unkeyed, written int, problems string) string {
	advice := "再次导入同一表格是安全的，已写入的行会按其幂等键认出"
	if unkeyed > 0 {
		advice += fmt.Sprintf("，但其中 %d 行没有幂等键：再次导入前请先在日志中查找", unkeyed)
	}
	return fmt.Sprintf("%s写入结果不明，可能已写入；%s（此前已写入 %d 条）：%s", chineseRows(first, last), advice, written, problems)
}

func (sheetChinese) nothingWritten(problems string) string { return "未写入：" + problems }

func (sheetChinese) notWritten(first, last, written int, problems string) string {
	return fmt.Sprintf("%s均未写入（此前已写入 %d 条）：%s", chineseRows(first, last), written, problems)
}

func (sheetChinese) dryRun(valid, duplicates int) string {
	if duplicates > 0 {
		return fmt.Sprintf("共 %d 行有效，其中 %d 行此前已记录；未写入（试运行）", valid, duplicates)
	}
	return fmt.Sprintf("共 %d 行有效，未写入（试运行）", valid)
}

func (sheetChinese) counts(recorded, duplicates, invalid, refused int) string {
	said := fmt.Sprintf("已记录 %d 条，%d 条此前已记录（相同幂等键）", recorded, duplicates)
	if invalid > 0 {
		said += fmt.Sprintf("，跳过 %d 行无效", invalid)
	}
	if refused > 0 {
		said += fmt.Sprintf("，跳过 %d 行被拒", refused)
	}
	return said
}

func (sheetChinese) skipped(invalid, refused int) string {
	var parts []string
	if invalid > 0 {
		parts = append(parts, fmt.Sprintf("%d 行无效", invalid))
	}
	if refused > 0 {
		parts = append(parts, fmt.Sprintf("%d 行违反台账规则被拒", refused))
	}
	return "已跳过 " + strings.Join(parts, "、") + "，这些行未写入"
}

func (sheetChinese) written(where string, event domain.Event, result ledger.Result) string {
	state := "已记录"
	if result.Duplicate {
		state = "此前已记录"
	}
	if where != "" {
		where += ": "
	}
	by := recordedBy(event, result, "，记录人 ")
	return fmt.Sprintf("%s%s %s %s，日志位置 %d%s", where, state, event.Type, result.EventID, result.Position, by)
}

func (sheetChinese) rejected() string { return "被拒：" }

func (sheetChinese) passes(where string, event domain.Event, untried bool) string {
	if untried {
		return where + ": 未能与台账核对（未写入）"
	}
	return fmt.Sprintf("%s: 有效 %s（未写入）", where, event.Type)
}

func (sheetChinese) problems(err error, numbers []int, shown LinesShown) string {
	return sheetProblems(err, numbers, shown)
}
