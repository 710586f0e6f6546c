package natsjs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/eventstore"
)

// serverVersionMin is the first nats-server release that has what every
// append relies on: atomic batch publish (all of a batch or none) and the
// expected-last-sequence check on a subject filter (one aggregate's many
// subjects). An older server ignores the headers it does not know, so a
// batch would be written message by message and a stale writer would not
// be stopped: the ledger refuses to append there rather than break its
// promises quietly.
var serverVersionMin = [3]int{2, 12, 0}

// ErrServerTooOld says the NATS server cannot keep the ledger's promises;
// it wraps eventstore.ErrUnsupported.
var ErrServerTooOld = fmt.Errorf("nats-server too old: %w", eventstore.ErrUnsupported)

// ServerTooOldError names the server, its version and what it lacks.
type ServerTooOldError struct {
	Server  string
	Version string
}

func (e *ServerTooOldError) Error() string {
	return fmt.Sprintf("nats-server %s%s cannot publish atomic batches or check an aggregate's expected version; "+
		"the ledger needs %d.%d or later to append (reads of an existing log work, read-only): upgrade the server",
		e.Version, e.Server, serverVersionMin[0], serverVersionMin[1])
}

// Unwrap makes errors.Is(err, ErrServerTooOld) and
// errors.Is(err, eventstore.ErrUnsupported) true.
func (e *ServerTooOldError) Unwrap() error { return ErrServerTooOld }

// checkServerVersion refuses a server older than serverVersionMin. A
// version that does not parse is refused too: the ledger cannot tell what
// the server will ignore.
func checkServerVersion(connection *nats.Conn) error {
	version := connection.ConnectedServerVersion()
	where := ""
	if url := connection.ConnectedUrlRedacted(); url != "" {
		where = " at " + url
	}
	parsed, ok := parseServerVersion(version)
	if !ok || compareVersions(parsed, serverVersionMin) < 0 {
		if version == "" {
			version = "(version unknown)"
		}
		return &ServerTooOldError{Server: where, Version: version}
	}
	return nil
}

// parseServerVersion reads "2.12.3" or "2.12.0-RC.1" (the pre-release
// counts as its release).
func parseServerVersion(text string) ([3]int, bool) {
	text = strings.TrimPrefix(text, "v")
	if cut, _, found := strings.Cut(text, "-"); found {
		text = cut
	}
	fields := strings.Split(text, ".")
	if len(fields) != 3 {
		return [3]int{}, false
	}
	var version [3]int
	for i, field := range fields {
		number, err := strconv.Atoi(field)
		if err != nil || number < 0 {
			return [3]int{}, false
		}
		version[i] = number
	}
	return version, true
}

func compareVersions(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// errReadOnly is the error of every append on a read-only store.
func (s *Store) errReadOnly() error {
	if s.readOnly == nil {
		return nil
	}
	return fmt.Errorf("append: %w", s.readOnly)
}

// ReadOnly says why the store refuses appends (nil: it does not).
func (s *Store) ReadOnly() error { return s.readOnly }
