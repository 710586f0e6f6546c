package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/internal/cli"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
)

// runDoctor checks every store the ledger keeps and says what is wrong and
// what repairs it; the exit status tells a script whether all is well.
var runDoctor = storeCommand(cli.Spec{Name: "doctor", Usage: "[--json]\n\n" +
	"Checks every store the ledger keeps (the log, the projection checkpoint, the tree file, the signed checkpoints,\n" +
	"the personal-data keys, the data directory's secrets), says what is wrong in plain words and what command repairs it.\n" +
	"The projection checkpoint must be sealed with this ledger's key and have the figures of the log folded to its position\n" +
	"(one more read and fold of the log). Exits 1 when anything is wrong. It changes nothing."},
	func(flags *flag.FlagSet) action {
		asJSON := flags.Bool("json", false, "print the findings as JSON")
		return func(c *call) error {
			config, err := c.store.config(c.Env, serverOptions{})
			if err != nil {
				return err
			}
			findings, err := node.DoctorDataDir(c.Ctx, config)
			if err != nil {
				return configUsage(err)
			}
			return c.findings(findings, *asJSON)
		}
	})

// findings prints the doctor's findings and fails on any problem.
func (c *call) findings(findings []app.Finding, asJSON bool) error {
	if err := c.Answer(findings, nil, asJSON, func(out io.Writer) { report.FindingsText(out, findings) }); err != nil {
		return err
	}
	if problems := app.Problems(findings); problems > 0 {
		return fmt.Errorf("problems found: %d", problems)
	}
	if !asJSON {
		c.Printf("all well\n")
	}
	return nil
}

// runRepair mends what the log can mend of what the doctor finds, puts
// back from a backup the positions the log lost when asked, then runs the
// doctor again.
var runRepair = storeCommand(cli.Spec{Name: "repair", Usage: "[--from-backup DIR [--identity FILE]] | --resync-replica CLUSTER FLAGS\n\n" +
	"Mends what the log can mend of what `ledger doctor` finds: rebuilds a damaged or forged projection checkpoint, makes a\n" +
	"damaged tree file again from the log, makes the data directory's secrets their owner's alone. With --from-backup it also\n" +
	"puts back the positions the log lost, from a backup `ledger backup` wrote, when their bytes are the ones the signed\n" +
	"checkpoints commit to: the log is rebuilt beside the damaged one, verified, and swapped in; the damaged one is kept in\n" +
	"DATA/damaged-log-TIME for you to delete. Then runs the doctor.\n" +
	"With --resync-replica, on a stopped cluster node, it sets the node's copy of the log aside and takes it whole from its peers."},
	func(flags *flag.FlagSet) action {
		fromBackup := flags.String("from-backup", "", "backup `DIR` (made by ledger backup) to put the log's lost positions back from")
		identity := flags.String("identity", "", "age identity `FILE` that opens an encrypted --from-backup (as ledger backup-key wrote it)")
		resync := flags.Bool("resync-replica", false, "on a cluster node whose copy of the log is damaged, with ledger serve stopped and the node's cluster flags: "+
			"set its copy aside (DATA/damaged-replica-TIME) and take the log whole from its peers")
		var cluster clusterFlags
		cluster.register(flags)
		return func(c *call) error {
			if *resync {
				return resyncReplica(c, cluster, *fromBackup != "")
			}
			// The cluster flags are for --resync-replica alone (their
			// defaults from the environment are not a request for it).
			if len(cli.Given(c.Flags, func(name string) bool { return name == "server-name" || isClusterFlag(name) })) > 0 {
				return cli.Usagef("the cluster flags go with --resync-replica")
			}
			if *identity != "" && *fromBackup == "" {
				return cli.Usagef("--identity goes with --from-backup")
			}
			var saved *backup.Backup
			if *fromBackup != "" {
				if err := c.store.jetStreamOnly("repair --from-backup"); err != nil {
					return err
				}
				var err error
				if saved, err = openBackup(*fromBackup, *identity); err != nil {
					return err
				}
			}
			return repair(c, saved)
		}
	})

// repair runs the whole repair (node.RepairDataDir), putting back from
// saved, when given, the positions the log lost, and prints what each step
// did as it is done and then the doctor's findings on the mended ledger.
func repair(c *call, saved *backup.Backup) error {
	config, err := c.store.config(c.Env, serverOptions{})
	if err != nil {
		return err
	}
	var lost node.LostSource
	if saved != nil {
		lost = saved.Event
	}
	findings, err := node.RepairDataDir(c.Ctx, config, lost, node.RepairSteps{
		Tightened: func(actions []string) {
			for _, action := range actions {
				c.Printf("repaired: %s\n", action)
			}
		},
		LostRestored: func(restored node.LogRestored) {
			report.LostRestoredText(c.Env.Stdout, restored.Restored, restored.Events, restored.Kept)
		},
		Repaired: func(done []string, finished bool) { report.RepairedText(c.Env.Stdout, done, finished) },
	})
	if err != nil {
		return configUsage(err)
	}
	return c.findings(findings, false)
}

// resyncReplica heals a cluster node's damaged copy of the log from its
// peers (node.ResyncReplica).
func resyncReplica(c *call, cluster clusterFlags, fromBackup bool) error {
	if fromBackup {
		return cli.Usagef("--resync-replica takes the log from the cluster's other nodes, --from-backup from a backup: give one")
	}
	if cluster.name == "" || c.store.natsURL != "" || c.store.store != "" {
		return cli.Usagef("--resync-replica works on a cluster node's --data with its --cluster-name, --cluster-listen, --routes and --server-name")
	}
	clusterConfig, err := cluster.config()
	if err != nil {
		return err
	}
	// The node listens on a free client port while it takes the log: its
	// routes are what its peers reach it by.
	config, err := c.store.config(c.Env, serverOptions{Listen: true, Host: "127.0.0.1", Port: -1, Cluster: clusterConfig})
	if err != nil {
		return err
	}
	resynced, err := node.ResyncReplica(c.Ctx, config)
	if errors.Is(err, node.ErrConfig) {
		return configUsage(err)
	}
	report.ReplicaResyncText(c.Env.Stdout, resynced.Kept, resynced.Events, err == nil)
	return err
}

// configUsage makes a configuration that cannot work (node.ConfigError)
// a usage error in the use case's words; other errors stay as they are.
// A configuration error a use case wrapped keeps the context it was
// wrapped in.
func configUsage(err error) error {
	var configError *node.ConfigError
	switch {
	case !errors.As(err, &configError):
		return err
	case error(configError) == err:
		return cli.Usagef("%s", configError.Message)
	}
	return cli.Usagef("%s", err)
}
