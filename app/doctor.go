package app

// Finding is what the doctor found in one store the ledger keeps: well, or
// a problem in plain words and the command that repairs it. It lives here,
// beside the use cases, so that the node that finds it and the renderers
// that show it (package report) both see it without one importing the
// other.
type Finding struct {
	Store   string `json:"store"`
	Problem bool   `json:"problem"`
	What    string `json:"what"`
	Repair  string `json:"repair,omitempty"`
}

// Problems counts the findings that are problems.
func Problems(findings []Finding) int {
	problems := 0
	for _, finding := range findings {
		if finding.Problem {
			problems++
		}
	}
	return problems
}
