package natsjs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// A server that names a cluster is asked for every node's version; a user
// whose permissions deny the request gets the connected server checked
// alone, and the note says so rather than pretending the cluster was
// checked.
func TestNodeVersionsNeedTheAccountToAsk(t *testing.T) {
	denied := &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: []string{accountStatzPingSubject}}}
	natsServer, err := server.NewServer(&server.Options{ServerName: "solo", Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true,
		Cluster: server.ClusterOpts{Name: "lone", Host: "127.0.0.1", Port: -1},
		Users:   []*server.User{{Username: "asks", Password: "asks-password"}, {Username: "denied", Password: "denied-password", Permissions: denied}}})
	if err != nil {
		t.Fatal(err)
	}
	go natsServer.Start()
	t.Cleanup(func() { natsServer.Shutdown(); natsServer.WaitForShutdown() })
	if !natsServer.ReadyForConnections(60 * time.Second) {
		t.Fatal("the server did not start")
	}
	check := func(user string) ([]ServerNode, string, error) {
		connection, err := nats.Connect(natsServer.ClientURL(), nats.UserInfo(user, user+"-password"),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			t.Fatal(err)
		}
		defer connection.Close()
		if connection.ConnectedClusterName() != "lone" {
			t.Fatalf("the server names cluster %q, want lone", connection.ConnectedClusterName())
		}
		return checkServerVersions(context.Background(), connection)
	}
	nodes, note, err := check("asks")
	if err != nil || note != "" || len(nodes) != 1 || nodes[0].Name != "solo" {
		t.Fatalf("a user who may ask: nodes %v, note %q, %v; want solo checked and no note", nodes, note, err)
	}
	nodes, note, err = check("denied")
	if err != nil || len(nodes) != 1 || !strings.Contains(note, "only the connected server's version was checked") {
		t.Fatalf("a user who may not ask: nodes %v, note %q, %v; want the connected server checked and a note saying so", nodes, note, err)
	}
}
