package reconcile

// Subjects are the data subjects whose personal data the result shows to
// a reader with the personal-data grant: the counterparties of the bank
// lines it lists and the donors who gave as individuals, each once, in
// the order first shown. Every list of matches is walked, the voided
// matches too: their lines stay shown, with what to do, until the match
// is undone. A person whose data was erased is not listed, as
// the result shows nothing of them. The access log records these as
// "whose data" a read of the reconciliation showed.
func (r Result) Subjects() []string {
	var s subjects
	for _, matches := range [][]Match{r.Matched, r.Suggested, r.VoidedMatches, r.Refunds} {
		for _, match := range matches {
			s.lines(match.Lines)
		}
	}
	for _, writeOff := range r.WrittenOff {
		s.line(writeOff.Line)
	}
	for _, row := range r.PrintedTwice {
		s.line(row.Line)
	}
	s.lines(r.UnmatchedLines)
	for _, donation := range r.UnmatchedDonations {
		s.donation(donation)
	}
	for _, lines := range r.Duplicates {
		s.lines(lines)
	}
	s.outstanding(r.Outstanding)
	return s.list
}

// PledgeSubjects are the subjects whose data the outstanding pledges alone
// show (GET /api/v1/pledges answers only those).
func (r Result) PledgeSubjects() []string {
	var s subjects
	s.outstanding(r.Outstanding)
	return s.list
}

// subjects collects subject ids once each.
type subjects struct {
	seen map[string]bool
	list []string
}

func (s *subjects) add(subject string) {
	if subject == "" || s.seen[subject] {
		return
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[subject] = true
	s.list = append(s.list, subject)
}

func (s *subjects) line(line Line) {
	if line.Counterparty != "" || line.CounterpartyAccount != "" {
		s.add(line.Subject)
	}
}

func (s *subjects) lines(lines []Line) {
	for _, line := range lines {
		s.line(line)
	}
}

func (s *subjects) donation(donation Donation) {
	if donation.DonorPersonal && donation.Donor != "" {
		s.add(donation.Subject)
	}
}

func (s *subjects) outstanding(pledges []Outstanding) {
	for _, pledge := range pledges {
		s.donation(pledge.Donation)
	}
}

// Subjects are the data subjects of the lines the plan found already in
// the ledger: their stored counterparties were compared with the file's,
// so an import or its preview reads them. Unlike a result's, the list
// keeps persons whose data was erased: whether a guessed name matched an
// erased person's line is itself what the access log must show.
func (p ImportPlan) Subjects() []string {
	var s subjects
	for _, line := range p.Already {
		s.add(line.Subject)
	}
	return s.list
}
