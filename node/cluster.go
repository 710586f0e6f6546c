package node

import (
	"net"
	"strconv"
	"strings"
)

// ClusterSettings are a cluster node's settings as the operator gives
// them, as text (the command line's flags and their environment
// variables); ParseCluster checks them and makes the ClusterConfig.
type ClusterSettings struct {
	// ServerName names this node; it is distinct on every node of a
	// cluster.
	ServerName string
	// Name is the cluster's name; empty joins no cluster, and the other
	// settings but ServerName are not read.
	Name string
	// Listen is the HOST:PORT this node's cluster routes listen on.
	Listen string
	// Routes are the comma-separated routes to every node.
	Routes string
	// CertFile, KeyFile and CAFile are the PEM files of TLS between the
	// nodes: all three or none.
	CertFile, KeyFile, CAFile string
}

// ParseCluster checks a node's cluster settings and makes its
// ClusterConfig. A setting that cannot work is a ConfigError naming the
// command line's flag, as the front end that reads them shows it: the
// settings are checked before anything is opened, so the operator hears
// of a mistyped address before a server starts with half a cluster.
func ParseCluster(settings ClusterSettings) (ClusterConfig, error) {
	cluster := ClusterConfig{Name: settings.Name, ServerName: settings.ServerName}
	if settings.Name == "" {
		return cluster, nil
	}
	clusterHost, clusterPort, err := net.SplitHostPort(settings.Listen)
	if err != nil {
		return cluster, configf("--cluster-listen %q: %v", settings.Listen, err)
	}
	if cluster.Port, err = strconv.Atoi(clusterPort); err != nil {
		return cluster, configf("--cluster-listen %q: port is not a number", settings.Listen)
	}
	cluster.Host = clusterHost
	if settings.Routes == "" {
		return cluster, configf("--cluster-name needs --routes to the nodes")
	}
	cluster.Routes = strings.Split(settings.Routes, ",")
	switch {
	case settings.CertFile != "" && settings.KeyFile != "" && settings.CAFile != "":
		cluster.TLS = &ClusterTLS{CertFile: settings.CertFile, KeyFile: settings.KeyFile, CAFile: settings.CAFile}
	case settings.CertFile != "" || settings.KeyFile != "" || settings.CAFile != "":
		return cluster, configf("--cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca go together")
	}
	return cluster, nil
}
