package natsjs

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/ordos-union/ledger/internal/private"
)

// Role names one NATS user of the embedded server. Each has its own nkey
// (a signing key pair; the server keeps only the public half) and its own
// permissions, so that a process holding one credential can do only what
// that role needs.
type Role string

const (
	// RoleOperator creates and configures the ledger's streams and buckets.
	// The ledger uses it only while it opens the store; it is never handed
	// to other programs.
	RoleOperator Role = "operator"
	// RoleRuntime is what the ledger's commands run as: it appends to and
	// reads the log and keeps the buckets, but may not delete, purge,
	// create or reconfigure the log or the signed-checkpoint stream, nor
	// delete or restore any stream.
	RoleRuntime Role = "runtime"
	// RoleWatcher may read the live totals bucket and nothing else: what a
	// dashboard program or `nats kv watch` needs.
	RoleWatcher Role = "watcher"
)

// Roles lists every role, operator first.
var Roles = []Role{RoleOperator, RoleRuntime, RoleWatcher}

// Subjects of the ledger's buckets and streams that permissions name.
const (
	// LiveTotalsStream is the stream behind the live totals bucket.
	LiveTotalsStream = "KV_" + LiveTotalsBucket
	// KeystoreStream is the stream behind the personal-data keys bucket.
	KeystoreStream = "KV_" + KeystoreBucket
	// RuntimeInboxPrefix is where replies to the ledger's own requests go.
	// It differs from the stock "_INBOX" so that the watcher, which may
	// subscribe to "_INBOX.>" for its own replies, never sees the ledger's
	// (a key fetched from LEDGER_KEYS travels in such a reply).
	RuntimeInboxPrefix = "_LEDGER_INBOX"
	// routeUser is the user cluster routes authenticate as.
	routeUser = "ledger-route"
	// routeSecretBytes is the size of the random route secret.
	routeSecretBytes = 32
	// credentialsDirName is the folder in the data directory holding the
	// credentials, mode 0700; every file in it is mode 0600.
	credentialsDirName = "nats"
	routeSecretFile    = "route.secret"
)

// Credentials are the embedded server's users and the secret its cluster
// routes share. They live only in the data directory.
type Credentials struct {
	dir         string
	users       map[Role]nkeys.KeyPair
	routeSecret string
	// ProtectedStreams may not be deleted, purged, created or updated by
	// the runtime user (default LEDGER and LEDGER_CHECKPOINTS).
	ProtectedStreams []string
}

// ErrNoCredentials says the data directory holds no NATS credentials yet.
var ErrNoCredentials = errors.New("no NATS credentials in the data directory")

// CredentialsDir is where a data directory keeps its NATS credentials.
func CredentialsDir(dataDir string) string { return filepath.Join(dataDir, credentialsDirName) }

// SeedFile is the file holding a role's nkey seed: what `nats --nkey FILE`
// and nats.NkeyOptionFromSeed read.
func SeedFile(dataDir string, role Role) string {
	return filepath.Join(CredentialsDir(dataDir), string(role)+".nk")
}

// LoadCredentials reads the data directory's credentials; ErrNoCredentials
// when there are none. Files that other users of the machine could read
// are refused: whoever reads a seed is that user.
func LoadCredentials(dataDir string) (*Credentials, error) {
	dir := CredentialsDir(dataDir)
	credentials := &Credentials{dir: dir, users: map[Role]nkeys.KeyPair{}, ProtectedStreams: defaultProtectedStreams()}
	for _, role := range Roles {
		path := SeedFile(dataDir, role)
		seed, err := private.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrNoCredentials)
		}
		if err != nil {
			return nil, err
		}
		pair, err := nkeys.FromSeed(bytes.TrimSpace(seed))
		if err != nil {
			return nil, fmt.Errorf("%s: not an nkey user seed: %w", path, err)
		}
		if public, err := pair.PublicKey(); err != nil || !nkeys.IsValidPublicUserKey(public) {
			return nil, fmt.Errorf("%s: not an nkey user seed", path)
		}
		credentials.users[role] = pair
	}
	secret, err := private.ReadFile(filepath.Join(dir, routeSecretFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, routeSecretFile), ErrNoCredentials)
	}
	if err != nil {
		return nil, err
	}
	credentials.routeSecret = strings.TrimSpace(string(secret))
	if len(credentials.routeSecret) < 2*routeSecretBytes {
		return nil, fmt.Errorf("%s: the route secret must be at least %d hex characters", filepath.Join(dir, routeSecretFile), 2*routeSecretBytes)
	}
	return credentials, nil
}

// LoadOrCreateCredentials reads the data directory's credentials, making
// them at first start. It reports whether they were made now.
func LoadOrCreateCredentials(dataDir string) (*Credentials, bool, error) {
	credentials, err := LoadCredentials(dataDir)
	if !errors.Is(err, ErrNoCredentials) {
		return credentials, false, err
	}
	if entries, _ := os.ReadDir(CredentialsDir(dataDir)); len(entries) > 0 {
		// Part of a set is there: making the rest would give users that
		// do not match what others were handed.
		return nil, false, fmt.Errorf("%s holds some NATS credentials but not all (operator.nk, runtime.nk, watcher.nk, %s): restore the folder from where it was copied, or remove it to make a new set",
			CredentialsDir(dataDir), routeSecretFile)
	}
	if err := CreateCredentials(dataDir); err != nil {
		return nil, false, err
	}
	credentials, err = LoadCredentials(dataDir)
	return credentials, err == nil, err
}

// CreateCredentials writes a new set of credentials into an empty
// credentials folder of the data directory.
func CreateCredentials(dataDir string) error {
	dir := CredentialsDir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make NATS credentials: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("make NATS credentials: %w", err)
	}
	for _, role := range Roles {
		pair, err := nkeys.CreateUser()
		if err != nil {
			return fmt.Errorf("make NATS credentials: %w", err)
		}
		seed, err := pair.Seed()
		if err != nil {
			return fmt.Errorf("make NATS credentials: %w", err)
		}
		if err := writeSecretFile(SeedFile(dataDir, role), append(seed, '\n')); err != nil {
			return err
		}
	}
	secret := make([]byte, routeSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("make NATS credentials: %w", err)
	}
	return writeSecretFile(filepath.Join(dir, routeSecretFile), []byte(hex.EncodeToString(secret)+"\n"))
}

// writeSecretFile creates a file only its owner can read, refusing to
// overwrite one.
func writeSecretFile(path string, content []byte) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := file.Write(content); err != nil {
		_ = file.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := file.Sync(); err != nil {
		_ = file.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return file.Close()
}

func defaultProtectedStreams() []string {
	return []string{"LEDGER", SignedCheckpointStream, AccessLogStream}
}

// PublicKey is a role's public nkey, as the server knows the user.
func (c *Credentials) PublicKey(role Role) string {
	public, _ := c.users[role].PublicKey()
	return public
}

// Seed is a role's nkey seed: the credential itself.
func (c *Credentials) Seed(role Role) ([]byte, error) { return c.users[role].Seed() }

// ConnectOptions authenticate a connection as the role. Ledger roles take
// their replies on RuntimeInboxPrefix, apart from the watcher's.
func (c *Credentials) ConnectOptions(role Role) []nats.Option {
	pair := c.users[role]
	public, _ := pair.PublicKey()
	options := []nats.Option{nats.Nkey(public, pair.Sign)}
	if role != RoleWatcher {
		options = append(options, nats.CustomInboxPrefix(RuntimeInboxPrefix))
	}
	return options
}

// RouteSecret is what the cluster's routes authenticate with; every node
// of a cluster must have the same one.
func (c *Credentials) RouteSecret() string { return c.routeSecret }

// users lists the server's nkey users with their permissions.
func (c *Credentials) serverUsers() []*server.NkeyUser {
	return []*server.NkeyUser{
		{Nkey: c.PublicKey(RoleOperator)},
		{Nkey: c.PublicKey(RoleRuntime), Permissions: RuntimePermissions(c.ProtectedStreams)},
		{Nkey: c.PublicKey(RoleWatcher), Permissions: WatcherPermissions()},
	}
}

// RuntimePermissions let the ledger's runtime do everything but change
// what history is kept: it cannot delete, purge, create, update or restore
// the protected streams (the log and the signed checkpoints), delete any
// stream, or restore one from a snapshot. Deny-delete and deny-purge on
// the streams stop deleting messages; only these permissions stop deleting
// a whole stream.
//
// The personal-data keys (KeystoreStream) are not history but cannot be
// rebuilt either: losing them erases everyone. The runtime may not purge,
// create or reconfigure that stream (a smaller limit or a maximum age
// would evict every key), so it cannot empty it in one request. It keeps
// $JS.API.STREAM.MSG.DELETE on it, because that is how `forget` destroys
// one subject's key (Keystore.Destroy, a secure delete of one message);
// NATS permissions cannot tell one such delete from many, which is why the
// runtime credential is the ledger's own and not a program's. The other
// buckets (projection checkpoints, live totals) are caches the ledger
// rebuilds from the log, and stay the runtime's to keep.
func RuntimePermissions(protected []string) *server.Permissions {
	deny := []string{"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.RESTORE.>"}
	for _, stream := range protected {
		for _, operation := range []string{"CREATE", "UPDATE", "PURGE", "MSG.DELETE"} {
			deny = append(deny, "$JS.API.STREAM."+operation+"."+stream)
		}
	}
	for _, operation := range []string{"CREATE", "UPDATE", "PURGE"} {
		deny = append(deny, "$JS.API.STREAM."+operation+"."+KeystoreStream)
	}
	return &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: deny}}
}

// WatcherPermissions allow reading the live totals bucket (bind, get,
// watch with an ephemeral consumer, follow its republished writes on
// LiveTotalsSubject) and nothing else: not the log, not the
// keys, not the checkpoints, no publishing but the JetStream requests this
// needs, and replies only on the stock inbox.
//
// A watcher's consumers do not stay: the live totals stream removes any
// consumer, durable or not, that has had no client for
// LiveTotalsConsumerIdle, and holds at most LiveTotalsConsumersMax
// (OpenLiveTotals). Subject permissions cannot do this alone: allowing
// only $JS.API.CONSUMER.CREATE.<stream>, on which the server refuses a
// durable name, would break `nats kv watch`, because nats.go (the stock
// CLI's too) names even its ephemeral ordered consumers and asks on
// $JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>, the subject a durable
// consumer is asked for on as well; which of the two it is, is in the
// request's body, which permissions do not see. Nor can permissions count
// requests: one holder may take every consumer place. So the watcher may
// also subscribe to LiveTotalsSubject, where the server republishes every
// write, which takes no place and which no flood of consumers can close.
func WatcherPermissions() *server.Permissions {
	stream := LiveTotalsStream
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.INFO",
			"$JS.API.STREAM.INFO." + stream,
			"$JS.API.STREAM.MSG.GET." + stream,
			"$JS.API.DIRECT.GET." + stream,
			"$JS.API.DIRECT.GET." + stream + ".>",
			"$JS.API.CONSUMER.CREATE." + stream,
			"$JS.API.CONSUMER.CREATE." + stream + ".>",
			"$JS.API.CONSUMER.INFO." + stream + ".*",
			"$JS.API.CONSUMER.DELETE." + stream + ".*",
			"$JS.API.CONSUMER.MSG.NEXT." + stream + ".*",
			"$JS.FC." + stream + ".>",
			"$JS.ACK." + stream + ".>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", LiveTotalsSubject + ".>"}},
	}
}

// ConnectOptionFromFile authenticates a connection to an external NATS
// with a credentials file: a JWT .creds file (decentralised auth) or an
// nkey seed file such as DATA/nats/runtime.nk.
func ConnectOptionFromFile(path string) (nats.Option, error) {
	content, err := private.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("NATS credentials: %w", err)
	}
	if bytes.Contains(content, []byte("BEGIN NATS USER JWT")) {
		return nats.UserCredentials(path), nil
	}
	option, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		return nil, fmt.Errorf("NATS credentials %s: neither a .creds file nor an nkey seed: %w", path, err)
	}
	return option, nil
}
