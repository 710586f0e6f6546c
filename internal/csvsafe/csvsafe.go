// Package csvsafe keeps the text cells of the ledger's CSV files from
// being run as formulas by the spreadsheet that opens them.
package csvsafe

// Text returns a text cell as a CSV file should carry it. A bank remark,
// a counterparty or a name comes from outside the ledger, and Excel, WPS
// and LibreOffice evaluate a cell that starts with "=", "+", "-" or "@"
// (and, after a leading tab or carriage return, still may): a remark
// "=HYPERLINK(…)" would become a live link in the finance officer's
// spreadsheet. Such a cell is prefixed with a single quote, as OWASP's
// guidance on CSV injection advises, which shows the text as it is.
//
// Only text goes through Text: an amount or a count is written as the
// number it is, so that "-5.00" stays a negative number a sum can add.
func Text(value string) string {
	if value == "" {
		return value
	}
	switch value[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + value
	}
	return value
}

// Texts applies Text to every cell of a row of text cells.
func Texts(values ...string) []string {
	out := make([]string, len(values))
	for i, value := range values {
		out[i] = Text(value)
	}
	return out
}
