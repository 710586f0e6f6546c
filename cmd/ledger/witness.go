package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/witness"
)

// Limits of the witness's HTTP server, unit last: a client that sends its
// request slowly holds a connection no longer than this.
const (
	witnessReadHeaderTimeoutSeconds = 10
	witnessReadTimeoutSeconds       = 30
)

var runWitness = plainCommand(cli.Spec{Name: "witness", Args: cli.AnyArgs, Usage: "--dir DIR --log VERIFIERKEY... [--listen ADDRESS] [--name NAME]\n\n" +
	"Runs a C2SP tlog-witness (POST /add-checkpoint) for the ledger whose verifier key is given: it cosigns a checkpoint\n" +
	"only if it extends the last one it cosigned for that ledger, and remembers that one in DIR across restarts. The ledgers\n" +
	"share one origin and a cosignature does not name the key, so a witness DIR witnesses one ledger: run one for each."},
	func(flags *flag.FlagSet) action {
		listen := flags.String("listen", "127.0.0.1:8090", "address the witness listens on (port 0 picks a free one)")
		dir := flags.String("dir", "", "directory of the witness's key (made at first start, mode 0600) and its record of each ledger")
		name := flags.String("name", "ledger-witness", "the witness key's name, when the key is made")
		var logs []note.Verifier
		flags.Func("log", "a ledger's verifier key (as ledger pubkey prints it), or a file holding it (repeatable)", func(key string) error {
			verifier, err := integrity.NewVerifier(key)
			if err == nil {
				logs = append(logs, verifier)
			}
			return err
		})
		return func(c *call) error {
			if *dir == "" || len(logs) == 0 || c.Flags.NArg() > 0 {
				return cli.Usagef("give --dir and at least one --log")
			}
			w, err := witness.Open(witness.Config{Dir: *dir, Name: *name, Logs: logs, Logger: c.Env.Logger})
			if err != nil {
				return err
			}
			defer w.Close()
			server, err := cli.ServeHTTP(c.Ctx, *listen, &http.Server{Handler: w.Handler(), ReadHeaderTimeout: witnessReadHeaderTimeoutSeconds * time.Second,
				ReadTimeout: witnessReadTimeoutSeconds * time.Second})
			if err != nil {
				return err
			}
			c.Printf("witness %s on %s (ledger keys it witnesses: %d); its key (for serve --witness and verify --witness): %s\n",
				w.Name(), server.Address, len(logs), w.VerifierKey())
			select {
			case <-c.Ctx.Done():
			case err := <-server.Failed:
				return fmt.Errorf("http: %w", err)
			}
			return server.Shutdown(c.Ctx)
		}
	})

// witnessFlags name the witnesses a ledger sends its checkpoints to.
type witnessFlags struct{ witnesses witness.Witnesses }

func (f *witnessFlags) register(flags *flag.FlagSet) {
	flags.Func("witness", "a witness to cosign every checkpoint, as URL=KEY: its address and its cosignature key (repeatable)", func(value string) error {
		url, key, ok := strings.Cut(value, "=")
		if !ok || url == "" {
			return errors.New("want URL=KEY")
		}
		if len(f.witnesses) == witness.WitnessesMax {
			return fmt.Errorf("at most %d witnesses", witness.WitnessesMax)
		}
		verifier, err := witness.NewVerifier(key)
		if err == nil {
			f.witnesses = append(f.witnesses, witness.NewClient(url, verifier))
		}
		return err
	})
}

// cosigner is what the ledger calls with each new checkpoint; nil without
// witnesses.
func (f *witnessFlags) cosigner(logger *slog.Logger) integrity.Cosigner {
	return f.witnesses.Cosigner(logger)
}

// witnessPolicyFlags are an auditor's witness policy: at least a quorum of
// the given witness keys cosigned the newest checkpoint.
type witnessPolicyFlags struct {
	witnesses []note.Verifier
	quorum    int
}

func (f *witnessPolicyFlags) register(flags *flag.FlagSet) {
	flags.Func("witness", "a witness's cosignature key, or a file holding it, whose cosignature counts toward --witness-quorum (repeatable)", func(key string) error {
		verifier, err := witness.NewVerifier(key)
		if err == nil {
			f.witnesses = append(f.witnesses, verifier)
		}
		return err
	})
	flags.IntVar(&f.quorum, "witness-quorum", 1, "how many of the --witness keys must have cosigned the newest checkpoint")
}

// policy is the checked policy, or nil without --witness.
func (f *witnessPolicyFlags) policy() (*integrity.WitnessPolicy, error) {
	if len(f.witnesses) == 0 {
		return nil, nil
	}
	if f.quorum < 1 || f.quorum > len(f.witnesses) {
		return nil, cli.Usagef("--witness-quorum %d: give between 1 and the %d --witness keys", f.quorum, len(f.witnesses))
	}
	return &integrity.WitnessPolicy{Witnesses: f.witnesses, Quorum: f.quorum}, nil
}
