package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/report"
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
	if err := show(env, *asJSON, findings, func(out io.Writer) { report.FindingsText(out, findings) }); err != nil {
		return err
	}
	if problems := app.Problems(findings); problems > 0 {
		return fmt.Errorf("problems found: %d", problems)
	}
	if !*asJSON {
		fmt.Fprintln(env.stdout, "all well")
	}
	return nil
}

// runRepair mends what the log can mend of what the doctor finds, puts
// back from a backup the positions the log lost when asked, then runs the
// doctor again.
func runRepair(ctx context.Context, env *environment, args []string) error {
	flags, store := newLedgerFlags(env, "repair", "[--from-backup DIR [--identity FILE]] | --resync-replica CLUSTER FLAGS\n\nMends what the log can mend of what `ledger doctor` finds: rebuilds a damaged projection checkpoint, makes a\n"+
		"damaged tree file again from the log, makes the data directory's secrets their owner's alone. With --from-backup it also\n"+
		"puts back the positions the log lost, from a backup `ledger backup` wrote, when their bytes are the ones the signed\n"+
		"checkpoints commit to: the log is rebuilt beside the damaged one, verified, and swapped in; the damaged one is kept in\n"+
		"DATA/damaged-log-TIME for you to delete. Then runs the doctor.\n"+
		"With --resync-replica, on a stopped cluster node, it sets the node's copy of the log aside and takes it whole from its peers.")
	fromBackup := flags.String("from-backup", "", "backup `DIR` (made by ledger backup) to put the log's lost positions back from")
	identity := flags.String("identity", "", "age identity `FILE` that opens an encrypted --from-backup (as ledger backup-key wrote it)")
	resync := flags.Bool("resync-replica", false, "on a cluster node whose copy of the log is damaged, with ledger serve stopped and the node's cluster flags: "+
		"set its copy aside (DATA/damaged-replica-TIME) and take the log whole from its peers")
	var cluster clusterFlags
	cluster.register(flags)
	if err := parseArgs(flags, args, 0, ""); err != nil {
		return err
	}
	if *resync {
		return resyncReplica(ctx, env, store, cluster, *fromBackup != "")
	}
	// The cluster flags are for --resync-replica alone (their defaults
	// from the environment are not a request for it).
	if len(given(flags, func(name string) bool { return name == "server-name" || isClusterFlag(name) })) > 0 {
		return usagef("the cluster flags go with --resync-replica")
	}
	if *identity != "" && *fromBackup == "" {
		return usagef("--identity goes with --from-backup")
	}
	var saved *backup.Backup
	if *fromBackup != "" {
		if err := store.jetStreamOnly("repair --from-backup"); err != nil {
			return err
		}
		var err error
		if saved, err = openBackup(*fromBackup, *identity); err != nil {
			return err
		}
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	if saved != nil {
		if err := putBackLost(ctx, env, opened, saved); err != nil {
			opened.Close()
			return err
		}
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
	// The doctor is given the store flags the repair was given.
	var doctorArgs []string
	for _, set := range given(flags, func(name string) bool { return name != "from-backup" && name != "identity" }) {
		doctorArgs = append(doctorArgs, "--"+set.Name+"="+set.Value.String())
	}
	return runDoctor(ctx, env, doctorArgs)
}

// putBackLost puts back from a backup the positions the log lost
// (backup.RestoreLost) and says what it did.
func putBackLost(ctx context.Context, env *environment, opened *opened, saved *backup.Backup) error {
	restored, err := saved.RestoreLost(ctx, opened)
	if errors.Is(err, node.ErrConfig) {
		return usagef("%s", strings.TrimPrefix(err.Error(), node.ErrConfig.Error()+": "))
	}
	if err != nil {
		return err
	}
	if len(restored.Restored) == 0 {
		fmt.Fprintln(env.stdout, "the log lost no position: nothing to put back from the backup")
		return nil
	}
	fmt.Fprintf(env.stdout, "repaired: put back %d lost position(s) (%s) from the backup; the rebuilt log of %d events verifies against every signed checkpoint\n",
		len(restored.Restored), positionList(restored.Restored), restored.Events)
	fmt.Fprintf(env.stdout, "the damaged log's files are kept in %s: delete them once you are satisfied\n", restored.Kept)
	return nil
}

// positionListMax bounds the positions a message lists one by one.
const positionListMax = 10

func positionList(positions []uint64) string {
	var parts []string
	for i, position := range positions {
		if i == positionListMax {
			parts = append(parts, fmt.Sprintf("and %d more", len(positions)-positionListMax))
			break
		}
		parts = append(parts, strconv.FormatUint(position, 10))
	}
	return strings.Join(parts, ", ")
}

// resyncReplica heals a cluster node's damaged copy of the log from its
// peers (node.ResyncReplica).
func resyncReplica(ctx context.Context, env *environment, store *storeFlags, cluster clusterFlags, fromBackup bool) error {
	if fromBackup {
		return usagef("--resync-replica takes the log from the cluster's other nodes, --from-backup from a backup: give one")
	}
	if cluster.name == "" || store.natsURL != "" || store.store != "" {
		return usagef("--resync-replica works on a cluster node's --data with its --cluster-name, --cluster-listen, --routes and --server-name")
	}
	clusterConfig, err := cluster.config()
	if err != nil {
		return err
	}
	// The node listens on a free client port while it takes the log: its
	// routes are what its peers reach it by.
	config, err := store.config(env, serverOptions{Listen: true, Host: "127.0.0.1", Port: -1, Cluster: clusterConfig})
	if err != nil {
		return err
	}
	resynced, err := node.ResyncReplica(ctx, config)
	if errors.Is(err, node.ErrConfig) {
		return usagef("%s", strings.TrimPrefix(err.Error(), node.ErrConfig.Error()+": "))
	}
	if resynced.Kept != "" {
		fmt.Fprintf(env.stdout, "set this node's copy of the log aside in %s\n", resynced.Kept)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "repaired: this node's copy of the log holds all %d events again, taken from its peers; delete %s once you are satisfied\n",
		resynced.Events, resynced.Kept)
	return nil
}
