package natsjs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ordos-union/ledger/eventstore"
)

// ServerOptions configure the embedded NATS server.
type ServerOptions struct {
	// DataDir holds the JetStream store (DataDir/jetstream).
	DataDir string
	// Host and Port the server listens on for other processes. Port -1
	// picks a free port; Listen false serves the in-process connection only.
	Host   string
	Port   int
	Listen bool
	// SyncAlways fsyncs every write before JetStream acknowledges it, so an
	// acknowledged event survives a power loss. Without it JetStream fsyncs
	// every two minutes and an acknowledged event survives a crash of the
	// process but maybe not of the machine.
	SyncAlways bool
	// ServerName names the server (default "ledger").
	ServerName string
	// ReadyTimeout bounds start-up, store recovery included (default 30 s).
	ReadyTimeout time.Duration
	// Memory keeps JetStream in memory only (tests); DataDir is then unused.
	Memory bool
	// MaxStoreBytes caps JetStream's file storage (0: no cap but the disk).
	MaxStoreBytes int64
	// Cluster joins this server to a JetStream cluster: every node has the
	// same ClusterName, its own ServerName, DataDir and ClusterPort, and
	// Routes to all nodes (its own included is fine).
	ClusterName string
	ClusterHost string
	ClusterPort int
	Routes      []string
	// Credentials, if set, make every client authenticate as one of their
	// users (in-process connections too) and cluster routes authenticate
	// with their route secret. Without them the server is open: tests only.
	Credentials *Credentials
	// ClusterTLS, if set, encrypts and authenticates cluster routes with
	// certificates on top of the route secret.
	ClusterTLS *ClusterTLS
}

// ClusterTLS names the PEM files for TLS between cluster nodes: this
// node's certificate and key, and the CA every node's certificate is
// checked against.
type ClusterTLS struct {
	CertFile, KeyFile, CAFile string
}

// clusterTLSTimeoutSeconds bounds a route's TLS handshake.
const clusterTLSTimeoutSeconds = 5

// StartServer runs a NATS server with JetStream in this process and waits
// until it accepts connections and has recovered its store.
func StartServer(options ServerOptions) (*server.Server, error) {
	if options.ServerName == "" {
		options.ServerName = "ledger"
	}
	if options.ReadyTimeout == 0 {
		options.ReadyTimeout = 30 * time.Second
	}
	serverOptions := &server.Options{
		ServerName: options.ServerName,
		JetStream:  true,
		StoreDir:   options.DataDir,
		Host:       options.Host,
		Port:       options.Port,
		NoSigs:     true,
		NoLog:      true,
		SyncAlways: options.SyncAlways,
		DontListen: !options.Listen,
		// Room for projection checkpoints (eventstore.CheckpointBytesMax) above the
		// 1 MiB default; events themselves stay capped at 65 KiB.
		MaxPayload: eventstore.CheckpointBytesMax + 64<<10,
	}
	if options.MaxStoreBytes > 0 {
		serverOptions.JetStreamMaxStore = options.MaxStoreBytes
	}
	if options.Memory {
		serverOptions.StoreDir = ""
		serverOptions.JetStreamMaxStore = 0
	}
	if options.ClusterName != "" {
		serverOptions.Cluster.Name = options.ClusterName
		serverOptions.Cluster.Host = options.ClusterHost
		serverOptions.Cluster.Port = options.ClusterPort
		if serverOptions.Cluster.Host == "" {
			serverOptions.Cluster.Host = "127.0.0.1"
		}
		if options.Credentials != nil {
			// Routes authenticate both ways: this server accepts only
			// routes that know the secret, and presents it to the others.
			serverOptions.Cluster.Username = routeUser
			serverOptions.Cluster.Password = options.Credentials.RouteSecret()
		}
		if options.ClusterTLS != nil {
			config, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: options.ClusterTLS.CertFile,
				KeyFile: options.ClusterTLS.KeyFile, CaFile: options.ClusterTLS.CAFile, Verify: true})
			if err != nil {
				return nil, fmt.Errorf("cluster TLS: %w", err)
			}
			// A node both accepts routes and dials them: the CA checks
			// the certificates it is shown either way.
			if config.RootCAs == nil {
				config.RootCAs = config.ClientCAs
			}
			serverOptions.Cluster.TLSConfig = config
			serverOptions.Cluster.TLSTimeout = clusterTLSTimeoutSeconds
		}
		for _, route := range options.Routes {
			parsed, err := url.Parse(route)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", route, err)
			}
			if options.Credentials != nil && parsed.User == nil {
				parsed.User = url.UserPassword(routeUser, options.Credentials.RouteSecret())
			}
			serverOptions.Routes = append(serverOptions.Routes, parsed)
		}
	}
	if options.Credentials != nil {
		serverOptions.Nkeys = options.Credentials.serverUsers()
	}
	if serverOptions.Host == "" {
		serverOptions.Host = "127.0.0.1"
	}
	if serverOptions.Port == 0 && options.Listen {
		serverOptions.Port = server.RANDOM_PORT
	}
	natsServer, err := server.NewServer(serverOptions)
	if err != nil {
		return nil, fmt.Errorf("start nats server: %w", err)
	}
	go natsServer.Start()
	if !natsServer.ReadyForConnections(options.ReadyTimeout) {
		natsServer.Shutdown()
		return nil, fmt.Errorf("start nats server: not ready within %s", options.ReadyTimeout)
	}
	return natsServer, nil
}

// ConnectInProcess connects to an embedded server without a socket; a
// server with credentials needs the options of one of their roles.
func ConnectInProcess(natsServer *server.Server, name string, options ...nats.Option) (*nats.Conn, error) {
	connection, err := nats.Connect("", append([]nats.Option{nats.InProcessServer(natsServer), nats.Name(name)}, options...)...)
	if err != nil {
		return nil, fmt.Errorf("connect in process: %w", err)
	}
	return connection, nil
}

// ErrDataDirInUse says another ledger process holds the data directory.
var ErrDataDirInUse = errors.New("data directory in use")

// DataDirHolder is what the holder of a data directory tells others.
type DataDirHolder struct {
	PID     int    `json:"pid"`
	NATSURL string `json:"nats_url,omitempty"`
}

// DataDirLock is an exclusive lock on a data directory. Two processes writing
// one JetStream store would corrupt it; the lock turns that into a message.
type DataDirLock struct {
	file       *flock.Flock
	holderPath string
}

// The lock file is locked; the holder file says who holds it. They are
// apart because on Windows a locked file cannot be read by others.
const (
	lockFileName   = "ledger.lock"
	holderFileName = "ledger.holder"
)

// LockDataDir takes the directory's lock, creating the directory. If another
// process holds it, the error wraps ErrDataDirInUse and the holder says who.
// The lock is the operating system's (flock on Unix, LockFileEx on
// Windows): it goes with the process, so a crash never leaves it held.
func LockDataDir(dir string) (*DataDirLock, DataDirHolder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, DataDirHolder{}, fmt.Errorf("lock data directory: %w", err)
	}
	// The directory holds the JetStream store, personal-data keys and
	// credentials in files other users of the machine must not read: only
	// its owner may enter it.
	if info, err := os.Stat(dir); err == nil && info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, info.Mode().Perm()&0o700); err != nil {
			return nil, DataDirHolder{}, fmt.Errorf("lock data directory: make it private: %w", err)
		}
	}
	file := flock.New(filepath.Join(dir, lockFileName), flock.SetPermissions(0o600))
	locked, err := file.TryLock()
	if err != nil {
		return nil, DataDirHolder{}, fmt.Errorf("lock data directory: %w", err)
	}
	holderPath := filepath.Join(dir, holderFileName)
	if !locked {
		var holder DataDirHolder
		content, _ := os.ReadFile(holderPath)
		_ = json.Unmarshal(content, &holder)
		return nil, holder, fmt.Errorf("data directory %s is used by another ledger process (pid %d): %w", dir, holder.PID, ErrDataDirInUse)
	}
	lock := &DataDirLock{file: file, holderPath: holderPath}
	if err := lock.Announce(DataDirHolder{PID: os.Getpid()}); err != nil {
		_ = lock.Release()
		return nil, DataDirHolder{}, err
	}
	return lock, DataDirHolder{}, nil
}

// Announce records who holds the lock and where it serves NATS, so a CLI
// started on the same directory can connect instead of failing. The file
// is replaced whole, so a reader never sees half of it.
func (l *DataDirLock) Announce(holder DataDirHolder) error {
	content, err := json.Marshal(holder)
	if err != nil {
		return fmt.Errorf("announce data directory holder: %w", err)
	}
	next := l.holderPath + ".next"
	if err := os.WriteFile(next, content, 0o600); err != nil {
		return fmt.Errorf("announce data directory holder: %w", err)
	}
	if err := os.Rename(next, l.holderPath); err != nil {
		return fmt.Errorf("announce data directory holder: %w", err)
	}
	return nil
}

// Release gives the lock up.
func (l *DataDirLock) Release() error {
	if l == nil || l.file == nil {
		return nil
	}
	_ = os.Remove(l.holderPath)
	err := l.file.Unlock()
	l.file = nil
	return err
}

// FreeStoreBytes reports how much file storage an embedded server has left
// under its JetStream limit: the store's capacity guard uses it.
func FreeStoreBytes(natsServer *server.Server) func() (int64, bool) {
	return func() (int64, bool) {
		config := natsServer.JetStreamConfig()
		info, err := natsServer.Jsz(nil)
		if config == nil || err != nil || config.MaxStore <= 0 {
			return 0, false
		}
		return config.MaxStore - int64(info.JetStreamStats.Store), true
	}
}
