package reconcile

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/csvsafe"
)

// Sheets of the export, in Chinese first (what finance reads), English after.
const (
	sheetSummary     = "汇总 Summary"
	sheetMatched     = "已匹配 Matched"
	sheetSuggested   = "待确认 Suggested"
	sheetVoided      = "已作废捐赠的匹配 Matched to voided"
	sheetLines       = "未匹配流水 Unmatched lines"
	sheetDonations   = "未到账捐赠 Unmatched donations"
	sheetDuplicates  = "疑似重复 Possible duplicates"
	sheetPrinted     = "银行重复打印 Printed twice"
	sheetRefunds     = "退回 Refunds"
	sheetFees        = "手续费 Fees"
	sheetWrittenOff  = "已核销 Written off"
	sheetOutstanding = "未兑现认捐 Outstanding pledges"
	// excelAmountFormat is Excel's built-in "#,##0.00".
	excelAmountFormat = 4
)

// row is one exported line: a section and its cells. Amount cells hold yuan
// as decimal text, written into numeric cells without passing through a
// float; number cells (counts, days, positions, similarities) are numeric
// cells too, so that a spreadsheet adds them up.
type row struct {
	section string
	cells   []cell
}

type cell struct {
	text   string
	amount bool
	// numeric is a number that is not money: a count, a day's age, a log
	// position or a similarity.
	numeric bool
}

func text(value string) cell         { return cell{text: value} }
func amount(value domain.Money) cell { return cell{text: value.String(), amount: true} }
func number(value int) cell          { return cell{text: strconv.Itoa(value), numeric: true} }
func date(value time.Time) cell      { return cell{text: value.In(domain.Beijing).Format(time.DateOnly)} }
func position(value uint64) cell     { return cell{text: strconv.FormatUint(value, 10), numeric: true} }
func similarity(value float64) cell {
	return cell{text: strconv.FormatFloat(value, 'f', 2, 64), numeric: true}
}

var headers = map[string][]string{
	sheetMatched:     {"匹配编号 Match", "规则 Rule", "银行流水 Line", "流水号 Serial", "日期 Date", "流水金额 Line amount", "对方户名 Counterparty", "捐赠编号 Donation", "活动 Campaign", "匹配金额 Matched", "捐赠金额 Of donation", "手续费 Fee", "确认事件 Decided by", "原因 Why", "确认说明 Note"},
	sheetSuggested:   {"建议编号 Suggestion", "规则 Rule", "银行流水 Line", "流水号 Serial", "日期 Date", "流水金额 Line amount", "对方户名 Counterparty", "捐赠编号 Donation", "活动 Campaign", "匹配金额 Matched", "捐赠金额 Of donation", "手续费 Fee", "名称相似度 Similarity"},
	sheetVoided:      {"匹配编号 Match", "规则 Rule", "银行流水 Line", "流水号 Serial", "日期 Date", "流水金额 Line amount", "对方户名 Counterparty", "捐赠编号 Donation", "活动 Campaign", "匹配金额 Matched", "捐赠金额 Of donation", "手续费 Fee", "确认事件 Decided by", "处理 What to do"},
	sheetLines:       {"银行流水 Line", "账户 Account", "流水号 Serial", "日期 Date", "金额 Amount", "对方户名 Counterparty", "摘要 Remark", "日志位置 Position"},
	sheetDonations:   {"捐赠编号 Donation", "活动 Campaign", "地区 County", "日期 Date", "金额 Amount", "未见到账 Not in the bank", "捐赠人 Donor", "银行参考号 Reference"},
	sheetDuplicates:  {"组 Group", "银行流水 Line", "流水号 Serial", "日期 Date", "金额 Amount", "对方户名 Counterparty", "摘要 Remark"},
	sheetOutstanding: {"捐赠编号 Donation", "活动 Campaign", "地区 County", "认捐日期 Pledged", "金额 Amount", "捐赠人 Donor", "账龄天数 Age (days)", "账龄 Bucket"},
	sheetPrinted:     {"银行流水 Line", "流水号 Serial", "日期 Date", "金额 Amount", "对方户名 Counterparty", "重复行 Printed again at", "原行 First printed at", "文件 File"},
	sheetRefunds:     {"编号 Pair", "银行流水 Line", "流水号 Serial", "日期 Date", "金额 Amount", "对方户名 Counterparty", "摘要 Remark", "说明 Note", "确认事件 Decided by"},
	sheetFees:        {"银行流水 Line", "流水号 Serial", "日期 Date", "手续费 Fee", "记录于 Recorded with", "匹配编号 Match", "事件 Event"},
	sheetWrittenOff:  {"银行流水 Line", "流水号 Serial", "日期 Date", "流水金额 Line amount", "核销金额 Written off", "类别 Kind", "原因 Reason", "经办 Actor", "事件 Event"},
	sheetSummary:     {"项目 Item", "笔数 Count", "收入 Money in", "支出 Money out", "手续费 Fees", "账面金额 Recorded, no bank line"},
}

var sheetOrder = []string{sheetSummary, sheetMatched, sheetSuggested, sheetVoided, sheetLines, sheetDonations, sheetRefunds, sheetFees, sheetWrittenOff,
	sheetPrinted, sheetDuplicates, sheetOutstanding}

func matchRows(section string, matches []Match, last ...func(Match) cell) []row {
	var rows []row
	for _, match := range matches {
		count := max(len(match.Lines), len(match.Donations))
		for i := range count {
			cells := []cell{text(match.ID), text(match.Rule)}
			if i < len(match.Lines) {
				line := match.Lines[i]
				cells = append(cells, text(line.LineID), text(line.Serial), date(line.Date), amount(line.Amount), text(line.Counterparty))
			} else {
				cells = append(cells, text(""), text(""), text(""), text(""), text(""))
			}
			if i < len(match.Donations) {
				donation := match.Donations[i]
				// The part matched, then the donation's whole amount: a
				// split covers part of it.
				cells = append(cells, text(donation.DonationID), text(donation.Campaign), amount(donation.Amount), amountIf(donation.Of != 0, donation.Of))
			} else {
				cells = append(cells, text(""), text(""), text(""), text(""))
			}
			cells = append(cells, amount(match.Fee))
			if i > 0 {
				cells[len(cells)-1] = text("")
			}
			for _, each := range last {
				if i == 0 {
					cells = append(cells, each(match))
				} else {
					cells = append(cells, text(""))
				}
			}
			rows = append(rows, row{section: section, cells: cells})
		}
	}
	return rows
}

// Rows lays the result out as the sheets' rows.
func (r Result) rows() map[string][]row {
	out := map[string][]row{}
	out[sheetMatched] = matchRows(sheetMatched, r.Matched, func(m Match) cell { return text(m.DecidedBy) },
		func(m Match) cell { return text(m.Why) }, func(m Match) cell { return text(m.Note) })
	out[sheetSuggested] = matchRows(sheetSuggested, r.Suggested, func(m Match) cell { return similarity(m.Similarity) })
	out[sheetVoided] = matchRows(sheetVoided, r.VoidedMatches, func(m Match) cell { return text(m.DecidedBy) },
		func(m Match) cell { return text(m.Why) })
	for _, line := range r.UnmatchedLines {
		out[sheetLines] = append(out[sheetLines], row{sheetLines, []cell{text(line.LineID), text(line.Account), text(line.Serial),
			date(line.Date), amount(line.Amount), text(line.Counterparty), text(line.Remark), position(line.Position)}})
	}
	for _, donation := range r.UnmatchedDonations {
		out[sheetDonations] = append(out[sheetDonations], row{sheetDonations, []cell{text(donation.DonationID), text(donation.Campaign),
			text(donation.County), date(donation.Date), amount(donation.Amount), amount(unmatchedPart(donation)), text(donation.Donor), text(donation.Reference)}})
	}
	for i, group := range r.Duplicates {
		for _, line := range group {
			out[sheetDuplicates] = append(out[sheetDuplicates], row{sheetDuplicates, []cell{number(i + 1), text(line.LineID),
				text(line.Serial), date(line.Date), amount(line.Amount), text(line.Counterparty), text(line.Remark)}})
		}
	}
	for _, pair := range r.Refunds {
		for _, line := range pair.Lines {
			out[sheetRefunds] = append(out[sheetRefunds], row{sheetRefunds, []cell{text(pair.ID), text(line.LineID), text(line.Serial),
				date(line.Date), amount(line.Amount), text(line.Counterparty), text(line.Remark), text(pair.Why), text(pair.DecidedBy)}})
		}
	}
	for _, fee := range r.Fees {
		out[sheetFees] = append(out[sheetFees], row{sheetFees, []cell{text(fee.LineID), text(fee.Serial), date(fee.Date), amount(fee.Amount),
			text(fee.Source), text(fee.MatchID), text(fee.DecidedBy)}})
	}
	for _, written := range r.WrittenOff {
		out[sheetWrittenOff] = append(out[sheetWrittenOff], row{sheetWrittenOff, []cell{text(written.LineID), text(written.Serial),
			date(written.Date), amount(written.Amount), amount(written.WrittenOff), text(written.Kind), text(written.Reason),
			text(written.Actor), text(written.DecidedBy)}})
	}
	for _, printed := range r.PrintedTwice {
		out[sheetPrinted] = append(out[sheetPrinted], row{sheetPrinted, []cell{text(printed.LineID), text(printed.Serial), date(printed.Date),
			amount(printed.Amount), text(printed.Counterparty), text(printed.Where), text(printed.Of), text(printed.File)}})
	}
	for _, pledge := range r.Outstanding {
		out[sheetOutstanding] = append(out[sheetOutstanding], row{sheetOutstanding, []cell{text(pledge.DonationID), text(pledge.Campaign),
			text(pledge.County), date(pledge.Date), amount(pledge.Amount), text(pledge.Donor), number(pledge.AgeDays), text(pledge.Bucket)}})
	}
	out[sheetSummary] = r.summaryRows()
	return out
}

// Summary is one part of the result: how many it holds, and its money in
// the column the money belongs to.
//
// In and Out are the bank's money: what the part's bank lines moved into
// and out of the account, apart (a refund pair of 3,000 in and 3,000 out
// is 3,000.00 in and 3,000.00 out, never a net 0.00). The parts that hold
// bank lines (Column ColumnInOut) hold each imported line's money once: a line in
// several suggestions counts once, and a charge written off in part counts
// its written-off part under written off and the rest where the line is
// listed. So over the whole summary In adds up to the statements' credits
// and Out to their debits. The other parts hold no money of the account:
// the fees part has its money in Fees, the donations and pledges with no
// bank line theirs in Recorded, and the rows printed twice and the
// possible duplicates are counted only, their money being their lines'.
type Summary struct {
	// Key is stable ("matched", "suggested", ...); Item is the label.
	Key   string `json:"key"`
	Item  string `json:"item"`
	Count int    `json:"count"`
	// Column names where the part's money is: ColumnInOut, ColumnFees,
	// ColumnRecorded, or "" for a part that is counted only. The other
	// money columns are not the part's: a table leaves them blank.
	Column string       `json:"column"`
	In     domain.Money `json:"money_in"`
	Out    domain.Money `json:"money_out"`
	// Amount is In + Out: the bank money the part moved either way.
	Amount domain.Money `json:"amount"`
	// Fees, on the fees part alone, is every bank fee: those deducted from
	// a donation on its way (the line is the donation less the fee, which
	// never was the account's money) and the charges written off as fees
	// (their money out is the written-off part's, counted there once).
	Fees domain.Money `json:"fees"`
	// Recorded is money the ledger records that no bank line shows: the
	// donations recorded as received with no line, the pledges outstanding.
	Recorded domain.Money `json:"recorded"`
}

// The money columns of a summary.
const (
	// ColumnInOut is bank lines' money, In and Out.
	ColumnInOut = "in_out"
	// ColumnFees is bank fees, deducted on the way or charged.
	ColumnFees = "fees"
	// ColumnRecorded is money recorded with no bank line.
	ColumnRecorded = "recorded"
)

// flows adds signed amounts up as money in and money out.
type flows struct{ in, out domain.Money }

func (f *flows) add(amount domain.Money) {
	if amount >= 0 {
		f.in += amount
	} else {
		f.out -= amount
	}
}

// bankLines is a part of bank lines: how many it holds (count), and the
// signed money of each of its items added up as money in and money out.
func bankLines[T any](key, item string, count int, items []T, amount func(T) domain.Money) Summary {
	var f flows
	for _, each := range items {
		f.add(amount(each))
	}
	return Summary{Key: key, Item: item, Count: count, Column: ColumnInOut, In: f.in, Out: f.out, Amount: f.in + f.out}
}

// recorded is a part of money the ledger records with no bank line.
func recorded[T any](key, item string, items []T, amount func(T) domain.Money) Summary {
	summary := Summary{Key: key, Item: item, Count: len(items), Column: ColumnRecorded}
	for _, each := range items {
		summary.Recorded += amount(each)
	}
	return summary
}

// linesOf is every bank line of the matches, each once: a match counts as
// one, but its lines move money in or out each by its own sign, and a line
// suggested for several donations is still one line of the statement.
func linesOf(matches []Match) []Line {
	var lines []Line
	seen := map[string]bool{}
	for _, match := range matches {
		for _, line := range match.Lines {
			if seen[line.LineID] {
				continue
			}
			seen[line.LineID] = true
			lines = append(lines, line)
		}
	}
	return lines
}

// open is the money of a line still open (unmatched or suggested), signed:
// what is left of it once the part written off is taken out, that part
// being counted under written off. A result not made by Reconcile (read
// back from JSON) does not know what is left, and counts the whole line.
func (r Result) open(line Line) domain.Money {
	left, ok := r.left[line.LineID]
	if !ok {
		return line.Amount
	}
	if line.Amount < 0 {
		return -left
	}
	return left
}

// unmatchedPart is the money of an unmatched donation no confirmed match
// covers. A result not made by Reconcile (read back from JSON before the
// part was said) counts the whole donation.
func unmatchedPart(donation Donation) domain.Money {
	if donation.Unmatched > 0 {
		return donation.Unmatched
	}
	return donation.Amount
}

// Summaries adds each part of the result up.
func (r Result) Summaries() []Summary {
	lineAmount := func(line Line) domain.Money { return line.Amount }
	fees := Summary{Key: "fees", Item: "手续费 fees", Count: len(r.Fees), Column: ColumnFees}
	for _, fee := range r.Fees {
		fees.Fees += fee.Amount
	}
	return []Summary{
		bankLines("matched", "已匹配 matched", len(r.Matched), linesOf(r.Matched), lineAmount),
		bankLines("suggested", "待确认 suggested", len(r.Suggested), linesOf(r.Suggested), r.open),
		// A line matched to a donation voided since is explained by
		// nothing until its match is undone.
		bankLines("voided_matches", "已作废捐赠的匹配 matched to voided donations", len(r.VoidedMatches), linesOf(r.VoidedMatches), lineAmount),
		bankLines("unmatched_lines", "未匹配流水 unmatched lines", len(r.UnmatchedLines), r.UnmatchedLines, r.open),
		recorded("unmatched_donations", "未到账捐赠 unmatched donations", r.UnmatchedDonations,
			unmatchedPart),
		bankLines("refunds", "退回 refunds", len(r.Refunds), linesOf(r.Refunds), lineAmount),
		// A fee is not a line of its own: one deducted on the way is the
		// difference between a donation and its line, and a charge is the
		// line written off, counted there.
		fees,
		// A charge written off is money out, money in written off is in.
		bankLines("written_off", "已核销 written off", len(r.WrittenOff), r.WrittenOff, func(line WriteOff) domain.Money {
			if line.Amount < 0 {
				return -line.WrittenOff
			}
			return line.WrittenOff
		}),
		// A row printed twice was imported once: its money is its line's.
		{Key: "printed_twice", Item: "银行重复打印 printed twice", Count: len(r.PrintedTwice)},
		// Possible duplicates are counted, not added up: each is a
		// question, not money that moved.
		{Key: "duplicates", Item: "疑似重复 possible duplicates", Count: len(r.Duplicates)},
		recorded("outstanding_pledges", "未兑现认捐 outstanding pledges", r.Outstanding,
			func(pledge Outstanding) domain.Money { return pledge.Amount }),
	}
}

func (r Result) summaryRows() []row {
	var rows []row
	for _, summary := range r.Summaries() {
		lines := summary.Column == ColumnInOut
		cells := []cell{text(summary.Item), number(summary.Count), amountIf(lines, summary.In), amountIf(lines, summary.Out),
			amountIf(summary.Column == ColumnFees, summary.Fees), amountIf(summary.Column == ColumnRecorded, summary.Recorded)}
		rows = append(rows, row{sheetSummary, cells})
	}
	return rows
}

// amountIf is the amount, or a blank cell where the column is not the
// part's: a blank says "not this part's money", 0.00 "none of it".
func amountIf(filled bool, value domain.Money) cell {
	if !filled {
		return text("")
	}
	return amount(value)
}

// WriteXLSX writes the result as a workbook finance opens in Excel or WPS:
// one sheet a part, Chinese and English headers, amounts as numbers with
// two decimals.
func (r Result) WriteXLSX(out io.Writer) error {
	book := excelize.NewFile()
	defer book.Close()
	style, err := book.NewStyle(&excelize.Style{NumFmt: excelAmountFormat})
	if err != nil {
		return err
	}
	rows := r.rows()
	for i, sheet := range sheetOrder {
		if i == 0 {
			if err := book.SetSheetName("Sheet1", sheet); err != nil {
				return err
			}
		} else if _, err := book.NewSheet(sheet); err != nil {
			return err
		}
		header := make([]any, len(headers[sheet]))
		for j, title := range headers[sheet] {
			header[j] = title
		}
		if err := book.SetSheetRow(sheet, "A1", &header); err != nil {
			return err
		}
		for number, line := range rows[sheet] {
			for column, value := range line.cells {
				name, err := excelize.CoordinatesToCellName(column+1, number+2)
				if err != nil {
					return err
				}
				switch {
				case value.amount || value.numeric:
					// A number cell holds the decimal text as it is: no
					// float rounds it on the way.
					if err := book.SetCellDefault(sheet, name, value.text); err != nil {
						return err
					}
					if !value.amount {
						continue
					}
					if err := book.SetCellStyle(sheet, name, name, style); err != nil {
						return err
					}
				case value.text == "":
					// A blank is left unset: a spreadsheet's SUM and COUNT
					// pass it by.
					continue
				default:
					if err := book.SetCellStr(sheet, name, value.text); err != nil {
						return err
					}
				}
			}
		}
	}
	if _, err := book.WriteTo(out); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// WriteCSV writes the result as one CSV: a section column, then the
// section's cells, with a UTF-8 byte order mark so Excel and WPS read the
// Chinese headers. Text cells (remarks, counterparties, names: much of it
// from bank statements) go through csvsafe.Text, so that none is run as a
// formula; amounts are written as the numbers they are.
func (r Result) WriteCSV(out io.Writer) error {
	if _, err := out.Write([]byte("\ufeff")); err != nil {
		return err
	}
	writer := csv.NewWriter(out)
	rows := r.rows()
	for _, sheet := range sheetOrder {
		if err := writer.Write(append([]string{"部分 Section"}, headers[sheet]...)); err != nil {
			return err
		}
		for _, line := range rows[sheet] {
			record := []string{sheet}
			for _, value := range line.cells {
				if value.amount || value.numeric {
					record = append(record, value.text)
				} else {
					record = append(record, csvsafe.Text(value.text))
				}
			}
			if err := writer.Write(record); err != nil {
				return err
			}
		}
	}
	writer.Flush()
	return writer.Error()
}
