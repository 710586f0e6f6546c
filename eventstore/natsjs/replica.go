package natsjs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// setAsideDirPrefix starts the name of the directory a replica's damaged
// copy of a stream is moved to, inside the data directory, for the
// operator to delete once the replica has healed.
const setAsideDirPrefix = "damaged-replica-"

// SetAsideReplica moves a stopped cluster node's own copy of a stream out
// of its JetStream store in dataDir, into dataDir/damaged-replica-TIME,
// and returns where. When the node starts again it finds the stream
// assigned to it but holds none of it, and takes it whole from its peers.
//
// This is how a replica whose block file was damaged heals. JetStream does
// not notice such damage when the node starts: the store's index says
// every message is there, and the damaged one is found missing only when
// its block is read, by which time the replica answers reads without it
// ("message not found") and no peer resends it. The node must be stopped:
// its server holds the files.
func SetAsideReplica(dataDir, stream string) (string, error) {
	dirs, err := filepath.Glob(filepath.Join(dataDir, "jetstream", "*", "streams", stream))
	if err != nil {
		return "", err
	}
	if len(dirs) != 1 {
		return "", fmt.Errorf("set aside the replica of %s: found %d copies of it under %s, want 1: %w", stream, len(dirs), dataDir,
			errors.New("not a node of a cluster that holds the stream"))
	}
	kept := filepath.Join(dataDir, setAsideDirPrefix+time.Now().UTC().Format("20060102T150405.000Z"))
	if err := os.MkdirAll(kept, 0o700); err != nil {
		return "", err
	}
	target := filepath.Join(kept, stream)
	if err := os.Rename(dirs[0], target); err != nil {
		return "", fmt.Errorf("set aside the replica of %s: %w", stream, err)
	}
	return target, nil
}
