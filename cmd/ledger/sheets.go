package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/sheets"
)

func sheetTypes() string {
	var names []string
	for _, layout := range sheets.Layouts {
		names = append(names, string(layout.Type))
	}
	return strings.Join(names, ", ")
}

func runTemplate(_ context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "template", "--type TYPE --out FILE.xlsx\n\n"+
		"Writes an empty spreadsheet (台账) for one entry type: Chinese headers with English below, drop-down lists from the\n"+
		"catalog, money as yuan, dates as dates, and an instructions sheet with an example row. TYPE is one of "+sheetTypes()+".")
	eventType := flags.String("type", "", "the entry type (required)")
	var out outputFlags
	out.register(flags, "write the workbook to this new file, mode 0600 (required)")
	if err := parse(flags, args); err != nil {
		return err
	}
	if *eventType == "" || out.path == "" || flags.NArg() > 0 {
		return usagef("give --type TYPE and --out FILE")
	}
	if _, ok := sheets.LayoutOf(domain.EventType(*eventType)); !ok {
		return usagef("--type must be one of %s", sheetTypes())
	}
	catalog, err := store.loadCatalog()
	if err != nil {
		return err
	}
	var book bytes.Buffer
	if err := sheets.Template(&book, catalog, domain.EventType(*eventType)); err != nil {
		return err
	}
	if err := out.write(env, book.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote the %s template to %s\n", *eventType, out.path)
	return nil
}

func runImport(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "import", "FILE.xlsx|FILE.csv [--skip-invalid] [--dry-run] [--lang zh|en]\n\n"+
		"Records the entries of a filled template (ledger template), or of a CSV (UTF-8 or GBK) with the same headers.\n"+
		"Every row is checked first; one bad row writes nothing (unless --skip-invalid). Each row's idempotency key comes\n"+
		"from its content, so importing the same sheet again, or with rows added at the bottom, records only what is new.")
	skipInvalid := flags.Bool("skip-invalid", false, "record the valid rows and report the invalid ones, instead of recording nothing")
	dryRun := flags.Bool("dry-run", false, "check every row and record nothing")
	lang := flags.String("lang", "zh", "the language of the problems: zh or en")
	actor := flags.String("actor", operator(), "who records the entries")
	asJSON := flags.Bool("json", false, "print results as JSON lines")
	if err := parseArgs(flags, args, 1, "give one FILE"); err != nil {
		return err
	}
	if *lang != "zh" && *lang != "en" {
		return usagef("--lang must be zh or en")
	}
	layout, lines, err := sheets.ReadFile(flags.Arg(0))
	if err != nil {
		return err
	}
	for i := range lines {
		lines[i].Event.Actor = *actor
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	where := func(row int, field string) string { return layout.Where(row, field, *lang) }
	return recordLines(ctx, env, opened.App, lines, recordOptions{skipInvalid: *skipInvalid, asJSON: *asJSON, where: where, dryRun: *dryRun})
}
