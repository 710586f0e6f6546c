package main

import (
	"context"
	"fmt"
)

// runDoctor checks every store the ledger keeps and says what is wrong and
// what repairs it; the exit status tells a script whether all is well.
func runDoctor(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "doctor", "[--json]\n\nChecks every store the ledger keeps (the log, the projection checkpoint, the tree file, the signed checkpoints,\n"+
		"the personal-data keys, the data directory's secrets), says what is wrong in plain words and what command repairs it.\n"+
		"Exits 1 when anything is wrong. It changes nothing.")
	asJSON := flags.Bool("json", false, "print the findings as JSON")
	opened, err := openParsed(ctx, env, flags, store, args, 0, "")
	if err != nil {
		return err
	}
	defer opened.Close()
	findings, err := opened.Doctor(ctx)
	if err != nil {
		return err
	}
	problems := 0
	for _, finding := range findings {
		if finding.Problem {
			problems++
		}
	}
	if *asJSON {
		if err := printJSON(env, findings); err != nil {
			return err
		}
	} else {
		for _, finding := range findings {
			mark := "ok     "
			if finding.Problem {
				mark = "PROBLEM"
			}
			fmt.Fprintf(env.stdout, "%s  %s: %s\n", mark, finding.Store, finding.What)
			if finding.Repair != "" {
				fmt.Fprintf(env.stdout, "         repair: %s\n", finding.Repair)
			}
		}
	}
	if problems > 0 {
		return fmt.Errorf("problems found: %d", problems)
	}
	if !*asJSON {
		fmt.Fprintln(env.stdout, "all well")
	}
	return nil
}

// runRepair mends what the log can mend of what the doctor finds, then
// runs the doctor again.
func runRepair(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "repair", "\n\nMends what the log can mend of what `ledger doctor` finds: rebuilds a damaged projection checkpoint, makes a\n"+
		"damaged tree file again from the log, makes the data directory's secrets their owner's alone. Then runs the doctor.")
	opened, err := openParsed(ctx, env, flags, store, args, 0, "")
	if err != nil {
		return err
	}
	done, err := opened.Repair(ctx)
	for _, action := range done {
		fmt.Fprintf(env.stdout, "repaired: %s\n", action)
	}
	opened.Close()
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintln(env.stdout, "nothing the log can mend")
	}
	return runDoctor(ctx, env, args)
}
