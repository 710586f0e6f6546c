package node

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ordos-union/ledger/eventstore/natsjs"
)

// ClusterTLS is TLS between the nodes of a cluster.
type ClusterTLS = natsjs.ClusterTLS

// LiveTotalsBucket is the key-value bucket of live totals programs watch.
const LiveTotalsBucket = natsjs.LiveTotalsBucket

// LiveTotalsSubject is where every write of the live totals is
// republished (LiveTotalsSubject.<county>.<campaign>): what dashboards
// follow, taking no consumer place on the server.
const LiveTotalsSubject = natsjs.LiveTotalsSubject

// ErrNoCredentials says the data directory has no NATS credentials yet.
var ErrNoCredentials = natsjs.ErrNoCredentials

// MakeCredentials makes the embedded NATS server's credentials in the data
// directory (operator, runtime, watcher and the cluster route secret) and
// says where. Credentials already there are kept, never replaced.
func MakeCredentials(dataDir string) (string, error) {
	if _, err := natsjs.LoadCredentials(dataDir); err == nil {
		return "", fmt.Errorf("%s already holds NATS credentials; they are kept, never replaced", natsjs.CredentialsDir(dataDir))
	} else if !errors.Is(err, natsjs.ErrNoCredentials) {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	if _, _, err := natsjs.LoadOrCreateCredentials(dataDir); err != nil {
		return "", err
	}
	return natsjs.CredentialsDir(dataDir), nil
}

// HandedOutRoles are the NATS users whose credential may be given out:
// the watcher (reads the live totals bucket), for any program, and the
// runtime (what the ledger's commands run as), for another node of the
// same ledger only, which needs it to run against the federation's own
// NATS. The runtime reads every personal-data key and may destroy keys one
// at a time (forget needs both), so it is the ledger's own credential, not
// a program's; docs/OPERATIONS.md says so. The operator's stays in the
// data directory.
var HandedOutRoles = []string{string(natsjs.RoleWatcher), RoleRuntime}

// RoleRuntime names the runtime user, whose credential is handed out with
// a warning.
const RoleRuntime = string(natsjs.RoleRuntime)

// Credential is the nkey seed of one handed-out role.
func Credential(dataDir, role string) ([]byte, error) {
	allowed := false
	for _, handed := range HandedOutRoles {
		allowed = allowed || handed == role
	}
	if !allowed {
		return nil, fmt.Errorf("the %s credential is not handed out", role)
	}
	credentials, err := natsjs.LoadCredentials(dataDir)
	if err != nil {
		return nil, err
	}
	return credentials.Seed(natsjs.Role(role))
}

// HandedOut is a role's credential as it leaves the data directory.
type HandedOut struct {
	Role string
	// Seed is the role's nkey seed.
	Seed []byte
	// LedgersOwn says it is the runtime's credential: whoever holds it
	// reads everyone's personal-data keys and can destroy them one by
	// one, so it goes only to another node of this ledger, and the person
	// handing it out is told so each time.
	LedgersOwn bool
}

// HandOut is the credential of a handed-out role (Credential). A data
// directory without credentials yet (ErrNoCredentials) says how they are
// made.
func HandOut(dataDir, role string) (HandedOut, error) {
	seed, err := Credential(dataDir, role)
	if errors.Is(err, ErrNoCredentials) {
		return HandedOut{}, fmt.Errorf("%w: start `ledger serve --data %s` once, or run `ledger nats-credentials init`", err, dataDir)
	}
	if err != nil {
		return HandedOut{}, err
	}
	return HandedOut{Role: role, Seed: seed, LedgersOwn: role == RoleRuntime}, nil
}

// ServerEnvironment is what docs/examples/nats-accounts.conf reads from
// the environment: the public nkeys of the data directory's users, as
// NAME=VALUE. A public key is safe to print; the seeds stay in the folder.
func ServerEnvironment(dataDir string) ([]string, error) {
	credentials, err := natsjs.LoadCredentials(dataDir)
	if err != nil {
		return nil, err
	}
	var environment []string
	for _, role := range natsjs.Roles {
		environment = append(environment, "LEDGER_"+strings.ToUpper(string(role))+"_NKEY="+credentials.PublicKey(role))
	}
	return environment, nil
}
