package cli

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"time"

	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/report"
)

// WriteFile writes a command's report, proof or key to a file. It
// refuses an existing file unless force, never writes through a symbolic
// link (another user could point one at a file of ours), and makes the
// file readable by its owner only: reports can hold names. The file is
// written whole beside the name and renamed over it (atomicfile.Write): a
// rename replaces a link put in its place meanwhile instead of following
// it.
func WriteFile(path string, content []byte, force bool) error {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		return Usagef("--out %s is a symbolic link: write to the file itself", path)
	case err == nil && !info.Mode().IsRegular():
		return Usagef("--out %s exists and is not a regular file", path)
	case err == nil && !force:
		return Usagef("--out %s exists: give --force to replace it", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return atomicfile.Write(path, content, 0o600)
}

// Output is --out FILE and --force: the file a command writes its
// report, proof or key to, through WriteFile.
type Output struct {
	Path  string
	Force bool
}

// Register declares --out with usage, and --force.
func (o *Output) Register(flags *flag.FlagSet, usage string) {
	flags.StringVar(&o.Path, "out", "", usage)
	flags.BoolVar(&o.Force, "force", false, "replace an existing --out file")
}

// Write writes content to --out, or to standard output when none was
// given.
func (o *Output) Write(env *Environment, content []byte) error {
	if o.Path == "" {
		_, err := env.Stdout.Write(content)
		return err
	}
	return WriteFile(o.Path, content, o.Force)
}

// Progress shows long work's progress on standard error: a bar on a
// terminal, a plain line every few seconds in a file or a pipe.
func Progress(env *Environment, label string) projections.Progress {
	terminal := false
	if file, ok := env.Stderr.(*os.File); ok {
		if info, err := file.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			terminal = true
		}
	}
	return report.Progress(env.Stderr, terminal, label, time.Now)
}
