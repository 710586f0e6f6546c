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
	if r.WrittenOff != nil {
		withheld.WrittenOff = make([]WriteOff, len(r.WrittenOff))
		for i, writeOff := range r.WrittenOff {
			writeOff.Line = withholdLine(writeOff.Line)
			withheld.WrittenOff[i] = writeOff
		}
	}
	withheld.Refunds = withholdMatches(r.Refunds)
	if r.PrintedTwice != nil {
		withheld.PrintedTwice = make([]PrintedTwiceRow, len(r.PrintedTwice))
		for i, row := range r.PrintedTwice {
			row.Line = withholdLine(row.Line)
			withheld.PrintedTwice[i] = row
		}
	}
	withheld.UnmatchedLines = withholdLines(r.UnmatchedLines)
	withheld.UnmatchedDonations = withholdDonations(r.UnmatchedDonations)
	if r.Duplicates != nil {
		withheld.Duplicates = make([][]Line, len(r.Duplicates))
		for i, group := range r.Duplicates {
			withheld.Duplicates[i] = withholdLines(group)
		}
	}
	if r.Outstanding != nil {
		withheld.Outstanding = make([]Outstanding, len(r.Outstanding))
		for i, pledge := range r.Outstanding {
			pledge.Donation = withholdDonation(pledge.Donation)
			withheld.Outstanding[i] = pledge
		}
	}
	return withheld
}

func withholdMatches(matches []Match) []Match {
	if matches == nil {
		return nil
	}
	out := make([]Match, len(matches))
	for i, match := range matches {
		match.Lines = withholdLines(match.Lines)
		out[i] = match
	}
	return out
}

func withholdLines(lines []Line) []Line {
	if lines == nil {
		return nil
	}
	out := make([]Line, len(lines))
	for i, line := range lines {
		out[i] = withholdLine(line)
	}
	return out
}

func withholdLine(line Line) Line {
	if line.Counterparty != "" {
		line.Counterparty = Withheld
	}
	line.CounterpartyAccount = ""
	return line
}

func withholdDonations(donations []Donation) []Donation {
	if donations == nil {
		return nil
	}
	out := make([]Donation, len(donations))
	for i, donation := range donations {
		out[i] = withholdDonation(donation)
	}
	return out
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
	withheld.New = withholdPlanned(p.New)
	withheld.Already = withholdPlanned(p.Already)
	return withheld
}

func withholdPlanned(lines []PlannedLine) []PlannedLine {
	if lines == nil {
		return nil
	}
	out := make([]PlannedLine, len(lines))
	for i, line := range lines {
		if line.Counterparty != "" {
			line.Counterparty = Withheld
		}
		out[i] = line
	}
	return out
}
