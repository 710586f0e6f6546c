package reconcile

// Withheld stands in for a person's name shown to a reader without the
// personal-data grant.
const Withheld = "（已隐去 withheld）"

// WithoutPersonal returns the result with every name that is personal data
// withheld: bank lines' counterparties (a transfer's sender is a person as
// often as not) and donors who gave as individuals. Organisations' names
// stay. Matching itself ran on the names, so the figures and suggestions
// are the same for every reader; only what is shown differs.
func (r Result) WithoutPersonal() Result {
	withheld := r
	withheld.Matched = withholdMatches(r.Matched)
	withheld.Suggested = withholdMatches(r.Suggested)
	withheld.VoidedMatches = withholdMatches(r.VoidedMatches)
	withheld.WrittenOff = withholdEach(r.WrittenOff, func(writeOff WriteOff) WriteOff {
		writeOff.Line = withholdLine(writeOff.Line)
		return writeOff
	})
	withheld.Refunds = withholdMatches(r.Refunds)
	withheld.PrintedTwice = withholdEach(r.PrintedTwice, func(row PrintedTwiceRow) PrintedTwiceRow {
		row.Line = withholdLine(row.Line)
		return row
	})
	withheld.UnmatchedLines = withholdLines(r.UnmatchedLines)
	withheld.UnmatchedDonations = withholdEach(r.UnmatchedDonations, withholdDonation)
	withheld.Duplicates = withholdEach(r.Duplicates, withholdLines)
	withheld.Outstanding = withholdEach(r.Outstanding, func(pledge Outstanding) Outstanding {
		pledge.Donation = withholdDonation(pledge.Donation)
		return pledge
	})
	return withheld
}

// withholdEach returns a copy of items with withhold applied to each. The
// result never shares its backing array with items, so withholding never
// changes the result the caller still holds; nil stays nil, so a list the
// JSON answer leaves out (null) is still left out.
func withholdEach[T any](items []T, withhold func(T) T) []T {
	if items == nil {
		return nil
	}
	out := make([]T, len(items))
	for i, item := range items {
		out[i] = withhold(item)
	}
	return out
}

func withholdMatches(matches []Match) []Match {
	return withholdEach(matches, func(match Match) Match {
		match.Lines = withholdLines(match.Lines)
		return match
	})
}

func withholdLines(lines []Line) []Line {
	return withholdEach(lines, withholdLine)
}

func withholdLine(line Line) Line {
	if line.Counterparty != "" {
		line.Counterparty = Withheld
	}
	line.CounterpartyAccount = ""
	return line
}

func withholdDonation(donation Donation) Donation {
	if donation.DonorPersonal && donation.Donor != "" {
		donation.Donor = Withheld
	}
	return donation
}

// WithoutPersonal returns the plan with the counterparties' names withheld.
func (p ImportPlan) WithoutPersonal() ImportPlan {
	withheld := p
	withheld.New = withholdEach(p.New, withholdPlanned)
	withheld.Already = withholdEach(p.Already, withholdPlanned)
	return withheld
}

func withholdPlanned(line PlannedLine) PlannedLine {
	if line.Counterparty != "" {
		line.Counterparty = Withheld
	}
	return line
}
