package natsjs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

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

// MinServerVersion is the oldest nats-server release the ledger appends
// on, as the docs state it ("2.12").
func MinServerVersion() string { return fmt.Sprintf("%d.%d", serverVersionMin[0], serverVersionMin[1]) }

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
	return checkVersion(where, version)
}

func checkVersion(where, version string) error {
	parsed, ok := parseServerVersion(version)
	if !ok || compareVersions(parsed, serverVersionMin) < 0 {
		if version == "" {
			version = "(version unknown)"
		}
		return &ServerTooOldError{Server: where, Version: version}
	}
	return nil
}

// ServerNode is one NATS server whose version the store checked.
type ServerNode struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Asking a cluster's nodes for their versions, unit last.
const (
	// nodeAnswersWaitMsMax bounds the wait for the nodes' answers; a node
	// that has not answered by then is not checked (it is down, or too far
	// away to hold the stream's leader well).
	nodeAnswersWaitMsMax = 3000
	// nodeAnswersQuietMs ends the wait once this long passed without a new
	// answer: the nodes of a cluster answer within milliseconds of each
	// other, and every command that opens the store waits this long.
	nodeAnswersQuietMs = 300
	// nodeAnswersQueueMax is how many answers may wait to be read; a
	// cluster has far fewer nodes.
	nodeAnswersQueueMax = 256
)

// accountStatzPingSubject is the request every account may make of every
// server: the system account exports it to each account, which sees only
// its own statistics, and each server answers with its name and version.
// A user whose permissions deny publishing to it cannot ask.
const accountStatzPingSubject = "$SYS.REQ.ACCOUNT.PING.STATZ"

// checkServerVersions checks the connected server's version and, when it
// is one node of a cluster, every node's that answers: JetStream may place
// the stream's leader on any node, and an old one would break a batch
// there. It returns the nodes it checked (the connected server first), why
// the other nodes could not be asked ("" when they were, or when there are
// none), and the refusal (nil: every checked node is new enough).
func checkServerVersions(ctx context.Context, connection *nats.Conn) ([]ServerNode, string, error) {
	nodes := []ServerNode{{Name: connection.ConnectedServerName(), Version: connection.ConnectedServerVersion()}}
	if err := checkServerVersion(connection); err != nil {
		return nodes, "", err
	}
	cluster := connection.ConnectedClusterName()
	if cluster == "" {
		return nodes, "", nil
	}
	answered, err := askNodeVersions(ctx, connection, cluster)
	if err != nil {
		return nodes, fmt.Sprintf("the versions of cluster %s's other nodes could not be read (%v): only the connected server's was checked", cluster, err), nil
	}
	for _, node := range answered {
		if node.Name == nodes[0].Name {
			continue
		}
		nodes = append(nodes, node)
		if err := checkVersion(fmt.Sprintf(" on node %s of cluster %s", node.Name, cluster), node.Version); err != nil {
			return nodes, "", err
		}
	}
	if len(answered) == 0 {
		return nodes, fmt.Sprintf("no node of cluster %s answered %s (the account may not ask, or the server has no system account): "+
			"only the connected server's version was checked", cluster, accountStatzPingSubject), nil
	}
	return nodes, "", nil
}

// askNodeVersions asks every server of the cluster for its name and
// version, and collects the answers until they stop coming.
func askNodeVersions(ctx context.Context, connection *nats.Conn, cluster string) ([]ServerNode, error) {
	inbox := connection.NewInbox()
	answers := make(chan *nats.Msg, nodeAnswersQueueMax)
	subscription, err := connection.ChanSubscribe(inbox, answers)
	if err != nil {
		return nil, err
	}
	defer func() { _ = subscription.Unsubscribe() }()
	// include_unused makes a server answer even where the account has no
	// connection; the filter keeps the nodes of other clusters (behind a
	// gateway) out, since the stream is placed in this one.
	request, err := json.Marshal(map[string]any{"include_unused": true, "cluster": cluster, "exact_match": true})
	if err != nil {
		return nil, err
	}
	if err := connection.PublishRequest(accountStatzPingSubject, inbox, request); err != nil {
		return nil, err
	}
	deadline := time.NewTimer(nodeAnswersWaitMsMax * time.Millisecond)
	defer deadline.Stop()
	var quiet <-chan time.Time
	seen := map[string]bool{}
	var nodes []ServerNode
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nodes, nil
		case <-quiet:
			return nodes, nil
		case message := <-answers:
			var answer struct {
				Server struct {
					Name    string `json:"name"`
					Version string `json:"ver"`
				} `json:"server"`
			}
			if json.Unmarshal(message.Data, &answer) != nil || answer.Server.Name == "" || seen[answer.Server.Name] {
				continue
			}
			seen[answer.Server.Name] = true
			nodes = append(nodes, ServerNode{Name: answer.Server.Name, Version: answer.Server.Version})
			quiet = time.After(nodeAnswersQuietMs * time.Millisecond)
		}
	}
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

// ServerNodes are the NATS servers whose versions the store checked when
// it opened, the connected one first.
func (s *Store) ServerNodes() []ServerNode { return s.nodes }

// VersionNote says which servers' versions the store could not check, and
// why ("" when it checked every node that answered).
func (s *Store) VersionNote() string { return s.versionNote }
