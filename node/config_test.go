package node_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ordos-union/ledger/node"
)

// ConfigForURL keeps the base configuration and replaces only the store's
// place: a data directory (dir:PATH or a plain path), a running NATS, an
// EventStoreDB; another scheme is a configuration error. The data
// directory it names opens as every command opens one.
func TestConfigForURL(t *testing.T) {
	base := node.Config{DataDir: "base-data", NATSURL: "nats://base:4222", NATSCreds: "runtime.nk", Replicas: 3, SyncAlways: true}
	cases := map[string]node.Config{
		"dir:copy":                        {DataDir: "copy"},
		"copy":                            {DataDir: "copy"},
		"nats://127.0.0.1:4222":           {NATSURL: "nats://127.0.0.1:4222"},
		"tls://127.0.0.1:4222":            {NATSURL: "tls://127.0.0.1:4222"},
		"esdb://127.0.0.1:2113?tls=false": {Store: "esdb://127.0.0.1:2113?tls=false", DataDir: "base-data"},
		"esdb+discover://cluster:2113":    {Store: "esdb+discover://cluster:2113", DataDir: "base-data"},
	}
	for url, want := range cases {
		config, err := node.ConfigForURL(base, url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if config.Store != want.Store || config.DataDir != want.DataDir || config.NATSURL != want.NATSURL {
			t.Errorf("%s: store %q, data %q, NATS %q; want %q, %q, %q", url, config.Store, config.DataDir, config.NATSURL,
				want.Store, want.DataDir, want.NATSURL)
		}
		if config.NATSCreds != base.NATSCreds || config.Replicas != base.Replicas || !config.SyncAlways {
			t.Errorf("%s: the base's other settings were not kept: %+v", url, config)
		}
	}
	var configError *node.ConfigError
	if _, err := node.ConfigForURL(base, "ftp://user:secret@host/x"); !errors.As(err, &configError) ||
		configError.Message != `unknown store "ftp://user:xxxxx@host/x": use dir:PATH, nats://HOST:PORT or esdb://HOST:PORT` {
		t.Fatalf("unknown scheme: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "copy")
	config, err := node.ConfigForURL(node.Config{SyncAlways: true}, "dir:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := node.Open(context.Background(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	if ledger.DataDir != dir || ledger.JetStream == nil {
		t.Fatalf("opened %s (JetStream %v), want the embedded ledger in %s", ledger.DataDir, ledger.JetStream != nil, dir)
	}
}
