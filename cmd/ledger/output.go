package main

import (
	"errors"
	"flag"
	"io/fs"
	"os"

	"github.com/ordos-union/ledger/internal/atomicfile"
)

// writeOutput writes a command's report, proof or key to a file. It
// refuses an existing file unless force, never writes through a symbolic
// link (another user could point one at a file of ours), and makes the file
// readable by its owner only: reports can hold names. The file is written
// whole beside the name and renamed over it (atomicfile.Write): a rename
// replaces a link put in its place meanwhile instead of following it.
func writeOutput(path string, content []byte, force bool) error {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		return usagef("--out %s is a symbolic link: write to the file itself", path)
	case err == nil && !info.Mode().IsRegular():
		return usagef("--out %s exists and is not a regular file", path)
	case err == nil && !force:
		return usagef("--out %s exists: give --force to replace it", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return atomicfile.Write(path, content, 0o600)
}

// outputFlags are --out FILE and --force: the file a command writes its
// report, proof or key to, through writeOutput.
type outputFlags struct {
	path  string
	force bool
}

// register declares --out with usage, and --force.
func (o *outputFlags) register(flags *flag.FlagSet, usage string) {
	flags.StringVar(&o.path, "out", "", usage)
	flags.BoolVar(&o.force, "force", false, "replace an existing --out file")
}

// write writes content to --out, or to standard output when none was given.
func (o *outputFlags) write(env *environment, content []byte) error {
	if o.path == "" {
		_, err := env.stdout.Write(content)
		return err
	}
	return writeOutput(o.path, content, o.force)
}

// actorFlag declares --actor: who the command acts as, LEDGER_ACTOR or else
// the login name or else fallback.
func actorFlag(flags *flag.FlagSet, fallback, usage string) *string {
	return flags.String("actor", actorNamed(fallback), usage)
}

// actorNamed is LEDGER_ACTOR, or else the login name, or else fallback.
func actorNamed(fallback string) string { return envOr("LEDGER_ACTOR", envOr("USER", fallback)) }
