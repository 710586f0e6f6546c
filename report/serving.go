package report

import (
	"fmt"
	"io"
	"path/filepath"
)

// Serving is what the banner of `ledger serve` says: where the ledger is,
// how many events it has, where the API is, how to sign in and how it
// stops.
type Serving struct {
	// DataDir is the data directory; Sync its durability setting.
	DataDir, Sync string
	// Head is how many events the ledger holds as far as it has folded.
	Head uint64
	// Embedded says the ledger runs its own NATS server, at NATSURL.
	Embedded bool
	NATSURL  string
	// Client says the ledger is a client of another NATS; with neither
	// Embedded nor Client it is on EventStoreDB.
	Client bool
	// Location names the store (a URL with its password left out).
	Location string
	// Address is the HTTP API's URL; TokenNote says where its tokens are.
	Address, TokenNote string
	// FirstAdmin is the local admin's token when it was just made.
	FirstAdmin string
	// TokensMade lists the tokens just made in DATA/tokens.json, one a
	// line: each holder's name, role and grant and what it may do (no
	// secret: a service's log gets it too).
	TokensMade []string
	// TokensGiven says the tokens come from a file or the environment,
	// not from DATA/tokens.json.
	TokensGiven bool
	// AsService says a service manager runs the ledger, not a terminal.
	AsService bool
}

// ServingText prints the banner.
func ServingText(out io.Writer, s Serving) {
	stops := "Ctrl-C stops."
	firstAdmin := s.FirstAdmin
	if s.AsService {
		stops = "The Service Control Manager stops it."
		// The admin's link is shown once on a terminal; a service has
		// none, and its log is no place for a token: the banner then
		// points to tokens.json instead.
		firstAdmin = ""
	}
	switch {
	case s.Embedded:
		fmt.Fprintf(out, "ledger serving %s (%d events) on NATS %s; durability: sync %s.\n", s.DataDir, s.Head, s.NATSURL, s.Sync)
		fmt.Fprintf(out, "NATS clients authenticate: the watcher's credential (live totals only) comes from `ledger nats-credentials watcher --data %s`.\n", s.DataDir)
	case s.Client:
		fmt.Fprintf(out, "ledger serving NATS %s (%d events) as its client; tokens, signing key and tree file in %s.\n", s.Location, s.Head, s.DataDir)
	default:
		fmt.Fprintf(out, "ledger serving EventStoreDB at %s (%d events); tokens and signing key in %s.\n", s.Location, s.Head, s.DataDir)
	}
	fmt.Fprintf(out, "HTTP API and dashboard on %s (%s). %s\n", s.Address, s.TokenNote, stops)
	tokens := filepath.Join(s.DataDir, "tokens.json")
	if len(s.TokensMade) > 0 {
		fmt.Fprintf(out, "Tokens made in %s, one a role (hand each to its holder; docs/OPERATIONS.md says how to add more):\n", tokens)
		for _, made := range s.TokensMade {
			fmt.Fprintf(out, "  %s\n", made)
		}
	}
	// The link carries the admin's token: it is shown once, when the
	// tokens are made, and never again in a log or on a terminal.
	if firstAdmin != "" {
		fmt.Fprintf(out, "Dashboard as the local admin (shown once; the token is in %s): %s/?token=%s\n", tokens, s.Address, firstAdmin)
	} else if !s.TokensGiven {
		fmt.Fprintf(out, "Dashboard: %s/ (sign in with the local-admin token in %s)\n", s.Address, tokens)
	}
}
