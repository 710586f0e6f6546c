package node_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/node"
)

// ParseCluster makes the cluster config of a node's settings, and refuses
// settings that cannot work as a configuration error naming the flag; no
// cluster name joins no cluster, whatever the other settings say.
func TestParseCluster(t *testing.T) {
	settings := node.ClusterSettings{ServerName: "n1", Name: "ordos", Listen: "127.0.0.1:6222",
		Routes: "nats://127.0.0.1:6222,nats://127.0.0.1:6223"}
	cluster, err := node.ParseCluster(settings)
	if err != nil {
		t.Fatal(err)
	}
	if cluster.Name != "ordos" || cluster.ServerName != "n1" || cluster.Host != "127.0.0.1" || cluster.Port != 6222 ||
		!slices.Equal(cluster.Routes, []string{"nats://127.0.0.1:6222", "nats://127.0.0.1:6223"}) || cluster.TLS != nil {
		t.Fatalf("cluster %+v", cluster)
	}
	withTLS := settings
	withTLS.CertFile, withTLS.KeyFile, withTLS.CAFile = "node.pem", "node.key", "ca.pem"
	if cluster, err := node.ParseCluster(withTLS); err != nil || cluster.TLS == nil || cluster.TLS.CAFile != "ca.pem" {
		t.Fatalf("with TLS: %+v, %v", cluster, err)
	}
	if cluster, err := node.ParseCluster(node.ClusterSettings{ServerName: "ledger", Listen: "no port"}); err != nil ||
		cluster.Name != "" || cluster.ServerName != "ledger" {
		t.Fatalf("no cluster: %+v, %v", cluster, err)
	}
	refused := map[string]func(*node.ClusterSettings){
		`--cluster-listen "127.0.0.1"`:  func(s *node.ClusterSettings) { s.Listen = "127.0.0.1" },
		"port is not a number":          func(s *node.ClusterSettings) { s.Listen = "127.0.0.1:route" },
		"--cluster-name needs --routes": func(s *node.ClusterSettings) { s.Routes = "" },
		"--cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca go together": func(s *node.ClusterSettings) { s.KeyFile = "node.key" },
	}
	for want, change := range refused {
		changed := settings
		change(&changed)
		_, err := node.ParseCluster(changed)
		var configError *node.ConfigError
		if !errors.As(err, &configError) || !strings.Contains(configError.Message, want) {
			t.Errorf("%+v: %v, want a configuration error saying %q", changed, err, want)
		}
	}
}
