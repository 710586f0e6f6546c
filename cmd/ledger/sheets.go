package main

import (
	"bytes"
	"flag"
	"strings"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/report"
	"github.com/ordos-union/ledger/sheets"
)

func sheetTypes() string {
	var names []string
	for _, layout := range sheets.Layouts {
		names = append(names, string(layout.Type))
	}
	return strings.Join(names, ", ")
}

// runTemplate opens no ledger: the store flags only name the catalog.
var runTemplate = storeCommand(cli.Spec{Name: "template", Args: cli.AnyArgs, Usage: "--type TYPE --out FILE.xlsx\n\n" +
	"Writes an empty spreadsheet (台账) for one entry type: Chinese headers with English below, drop-down lists from the\n" +
	"catalog, money as yuan, dates as dates, and an instructions sheet with an example row. TYPE is one of " + sheetTypes() + "."},
	func(flags *flag.FlagSet) action {
		eventType := flags.String("type", "", "the entry type (required)")
		var out cli.Output
		out.Register(flags, "write the workbook to this new file, mode 0600 (required)")
		return func(c *call) error {
			if *eventType == "" || out.Path == "" || c.Flags.NArg() > 0 {
				return cli.Usagef("give --type TYPE and --out FILE")
			}
			if _, ok := sheets.LayoutOf(domain.EventType(*eventType)); !ok {
				return cli.Usagef("--type must be one of %s", sheetTypes())
			}
			catalog, err := c.store.loadCatalog()
			if err != nil {
				return err
			}
			var book bytes.Buffer
			if err := sheets.Template(&book, catalog, domain.EventType(*eventType)); err != nil {
				return err
			}
			if err := out.Write(c.Env, book.Bytes()); err != nil {
				return err
			}
			c.Printf("wrote the %s template to %s\n", *eventType, out.Path)
			return nil
		}
	})

// runImport reads the whole sheet before it opens the ledger, so that an
// unreadable one leaves the ledger alone.
var runImport = storeCommand(cli.Spec{Name: "import", Args: 1, ArgsWanted: "give one FILE",
	Usage: "FILE.xlsx|FILE.csv [--skip-invalid] [--dry-run] [--lang zh|en]\n\n" +
		"Records the entries of a filled template (ledger template), or of a CSV (UTF-8 or GBK) with the same headers.\n" +
		"Every row is checked first; one bad row writes nothing (unless --skip-invalid). Each row's idempotency key comes\n" +
		"from its content, so importing the same sheet again, or with rows added at the bottom, records only what is new."},
	func(flags *flag.FlagSet) action {
		skipInvalid := flags.Bool("skip-invalid", false, "record the valid rows and report the invalid ones, instead of recording nothing")
		dryRun := flags.Bool("dry-run", false, "check every row and record nothing")
		lang := flags.String("lang", "zh", "the language of the problems: zh or en")
		actor := flags.String("actor", operator(), "who records the entries")
		asJSON := flags.Bool("json", false, "print results as JSON lines")
		return func(c *call) error {
			if *lang != "zh" && *lang != "en" {
				return cli.Usagef("--lang must be zh or en")
			}
			layout, lines, err := sheets.ReadFile(c.Arg(0))
			if err != nil {
				return err
			}
			for i := range lines {
				lines[i].Event.Actor = *actor
			}
			opened, err := c.open()
			if err != nil {
				return err
			}
			where := func(row int, field string) string { return layout.Where(row, field, *lang) }
			repeats := func(row int) string { return layout.Repeats(row, *lang) }
			rule := func(violation domain.Violation) string { return layout.Rule(violation, *lang) }
			catalog := opened.App.Catalog()
			refusal := func(rule domain.RuleError) (string, string) { return layout.Refusal(rule, *lang, catalog) }
			return c.recordLines(opened.App.ImportSheet, lines, *skipInvalid, report.LinesShown{AsJSON: *asJSON, Where: where,
				Repeats: repeats, Rule: rule, Refusal: refusal, Words: report.SheetWords(*lang), DryRun: *dryRun})
		}
	})
