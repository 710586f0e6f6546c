package natsjstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore/natsjs"
)

// DebianNATSServer is where Debian's nats-server package (2.9.10 on
// bookworm, older than the ledger needs) puts the server; .ci/run installs
// it.
const DebianNATSServer = "/usr/sbin/nats-server"

// RunExternalServer starts binary as a separate nats-server process with
// JetStream, storing in a temporary directory on a random port, and
// returns its client URL. The process is stopped at the end of the test.
func RunExternalServer(tb testing.TB, binary string) string {
	tb.Helper()
	url, _ := RunExternalServerIn(tb, binary, filepath.Join(tb.TempDir(), "store"))
	return url
}

// RunExternalServerIn is RunExternalServer storing in storeDir, and
// returns a function that stops the server (at most once; the end of the
// test stops it too), so another server can take the same store over.
func RunExternalServerIn(tb testing.TB, binary, storeDir string) (url string, stop func()) {
	tb.Helper()
	return runExternal(tb, binary, []string{"-js", "-a", "127.0.0.1", "-p", "-1", "-sd", storeDir}, nil)
}

// RunExternalConfig starts binary as a separate nats-server process with
// the config file, whose $NAME variables the server reads from env (added
// to the test's environment), and returns its client URL and a function
// that kills it (at most once; the end of the test kills it too). The
// config should listen on port -1: the URL is read from the ports file the
// server writes.
func RunExternalConfig(tb testing.TB, binary, configFile string, env []string) (url string, stop func()) {
	tb.Helper()
	return runExternal(tb, binary, []string{"-c", configFile}, env)
}

// externalStartSecondsMax bounds the wait for a server to listen; it is
// generous because the test machine's cores may all be busy.
const externalStartSecondsMax = 120

func runExternal(tb testing.TB, binary string, args, env []string) (url string, stop func()) {
	tb.Helper()
	if _, err := os.Stat(binary); err != nil {
		tb.Fatalf("the test needs the nats-server at %s (Debian: apt-get install -y nats-server; .ci/run installs it): %v", binary, err)
	}
	dir := tb.TempDir()
	command := exec.Command(binary, append(args, "--ports_file_dir", dir)...)
	command.Env = append(os.Environ(), env...)
	command.Stdout, command.Stderr = os.Stderr, os.Stderr
	if err := command.Start(); err != nil {
		tb.Fatalf("start %s: %v", binary, err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = command.Process.Kill()
			_ = command.Wait()
		})
	}
	tb.Cleanup(stop)
	// The server writes its ports to a file named for its process once it
	// listens.
	portsFile := filepath.Join(dir, fmt.Sprintf("%s_%d.ports", filepath.Base(binary), command.Process.Pid))
	CheckFor(tb, externalStartSecondsMax*time.Second, func() error {
		content, err := os.ReadFile(portsFile)
		if err != nil {
			return fmt.Errorf("%s has not written its ports: %w", binary, err)
		}
		var ports struct {
			Nats []string `json:"nats"`
		}
		if err := json.Unmarshal(content, &ports); err != nil || len(ports.Nats) == 0 {
			return fmt.Errorf("ports file %s: %q", portsFile, content)
		}
		url = ports.Nats[0]
		return nil
	})
	return url, stop
}

// FreePorts finds count TCP ports free on 127.0.0.1 now, for the cluster
// routes a config must name before its servers start.
func FreePorts(tb testing.TB, count int) []int {
	tb.Helper()
	var ports []int
	var listeners []net.Listener
	for range count {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		listeners = append(listeners, listener)
		ports = append(ports, listener.Addr().(*net.TCPAddr).Port)
	}
	for _, listener := range listeners {
		_ = listener.Close()
	}
	return ports
}

// PinnedServer builds the nats-server that go.mod pins as a program of its
// own, in a temporary directory of the test, and returns its path: a
// user's own server, reached over TCP, at the version the ledger embeds.
func PinnedServer(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "nats-server")
	if output, err := exec.Command("go", "build", "-o", path, "github.com/nats-io/nats-server/v2").CombinedOutput(); err != nil {
		tb.Fatalf("build the pinned nats-server: %v\n%s", err, output)
	}
	return path
}

// WriteClusterCertificates makes a CA and one certificate for 127.0.0.1
// that every node uses, as PEM files in dir.
func WriteClusterCertificates(t testing.TB, dir string) *natsjs.ClusterTLS {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notBefore := time.Now().Add(-time.Hour)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ledger test CA"},
		NotBefore: notBefore, NotAfter: notBefore.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	nodeKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	node := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ledger node"},
		NotBefore: notBefore, NotAfter: notBefore.Add(48 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	nodeDER, err := x509.CreateCertificate(rand.Reader, node, ca, &nodeKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	nodeKeyDER, err := x509.MarshalECPrivateKey(nodeKey)
	if err != nil {
		t.Fatal(err)
	}
	files := &natsjs.ClusterTLS{CertFile: filepath.Join(dir, "node.pem"), KeyFile: filepath.Join(dir, "node-key.pem"), CAFile: filepath.Join(dir, "ca.pem")}
	for path, block := range map[string]*pem.Block{
		files.CAFile:   {Type: "CERTIFICATE", Bytes: caDER},
		files.CertFile: {Type: "CERTIFICATE", Bytes: nodeDER},
		files.KeyFile:  {Type: "EC PRIVATE KEY", Bytes: nodeKeyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}
