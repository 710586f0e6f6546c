package main

import "flag"

// actorFlag declares --actor: who the command acts as, LEDGER_ACTOR or else
// the login name or else fallback.
func actorFlag(flags *flag.FlagSet, fallback, usage string) *string {
	return flags.String("actor", actorNamed(fallback), usage)
}

// actorNamed is LEDGER_ACTOR, or else the login name, or else fallback.
func actorNamed(fallback string) string { return envOr("LEDGER_ACTOR", envOr("USER", fallback)) }
