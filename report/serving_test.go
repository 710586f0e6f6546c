package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/report"
)

// The banner names the store the ledger serves, shows the admin's link
// once on a terminal and never under a service manager, and points to
// tokens.json when the tokens are the data directory's own.
func TestServingTextSaysWhereAndHowToSignIn(t *testing.T) {
	banner := func(serving report.Serving) string {
		var out bytes.Buffer
		report.ServingText(&out, serving)
		return out.String()
	}
	embedded := report.Serving{DataDir: "/data", Sync: "always", Head: 121, Embedded: true, NATSURL: "nats://127.0.0.1:4222",
		Address: "http://127.0.0.1:8080", TokenNote: "tokens made", FirstAdmin: "secret"}
	for _, want := range []string{"ledger serving /data (121 events) on NATS nats://127.0.0.1:4222; durability: sync always.",
		"Ctrl-C stops.", "http://127.0.0.1:8080/?token=secret"} {
		if got := banner(embedded); !strings.Contains(got, want) {
			t.Errorf("embedded banner lacks %q:\n%s", want, got)
		}
	}
	service := embedded
	service.AsService = true
	if got := banner(service); strings.Contains(got, "secret") || !strings.Contains(got, "The Service Control Manager stops it.") ||
		!strings.Contains(got, "sign in with the local-admin token in /data/tokens.json") {
		t.Errorf("service banner:\n%s", got)
	}
	given := report.Serving{DataDir: "/data", Head: 3, Location: "esdb://db:2113", Address: "http://a", TokensGiven: true}
	if got := banner(given); !strings.Contains(got, "ledger serving EventStoreDB at esdb://db:2113 (3 events)") || strings.Contains(got, "Dashboard") {
		t.Errorf("EventStoreDB banner with given tokens:\n%s", got)
	}
	client := given
	client.Client, client.Location = true, "nats://hub:4222"
	if got := banner(client); !strings.Contains(got, "ledger serving NATS nats://hub:4222 (3 events) as its client") {
		t.Errorf("client banner:\n%s", got)
	}
}

// The first start's banner lists the tokens it made and what each may do,
// on a terminal and under a service manager alike (no secret is in the
// list); a start with tokens already there lists none.
func TestServingTextListsTheTokensMade(t *testing.T) {
	made := []string{"local-admin    admin: everything", "local-finance  finance, personal data: imports bank statements"}
	for _, asService := range []bool{false, true} {
		var out bytes.Buffer
		report.ServingText(&out, report.Serving{DataDir: "/data", Embedded: true, Address: "http://a", FirstAdmin: "secret", TokensMade: made,
			AsService: asService})
		if !strings.Contains(out.String(), "Tokens made in /data/tokens.json, one a role") ||
			!strings.Contains(out.String(), "\n  local-finance  finance, personal data: imports bank statements\n") {
			t.Errorf("banner (service %v):\n%s", asService, out.String())
		}
	}
	var out bytes.Buffer
	report.ServingText(&out, report.Serving{DataDir: "/data", Embedded: true, Address: "http://a"})
	if strings.Contains(out.String(), "Tokens made") {
		t.Errorf("a later start's banner lists tokens made:\n%s", out.String())
	}
}
