package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/eventstore/natsjs/natsjstest"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/projections"
)

// testServer is a real HTTP server on a random port over a real embedded
// JetStream, with the live totals runner following the log.
type testServer struct {
	URL     string
	Tokens  map[httpapi.Role]string
	Store   eventstore.Store
	Service *ledger.Service
	API     *httpapi.Server
	// Signed keeps the signed checkpoints reports are bound to.
	Signed eventstore.SignedCheckpointLog
	// Ledger is the use cases the API runs on, for a test to act as the
	// operator does (forget a person, say).
	Ledger *app.Ledger
	// HTTP is the listening server, for a test to cut its clients off as
	// a network failure would.
	HTTP *httptest.Server
}

// testTokens holds one token per role.
var testTokens = map[httpapi.Role]string{
	httpapi.RoleViewer:  "viewer-token-0123456789",
	httpapi.RoleClerk:   "clerk-token-0123456789",
	httpapi.RoleFinance: "finance-token-0123456789",
	httpapi.RoleAuditor: "auditor-token-0123456789",
	httpapi.RoleAdmin:   "admin-token-0123456789",
}

func startTestServer(t testing.TB, options ...func(*httpapi.Options)) *testServer {
	t.Helper()
	return startServerOn(t, nil, options...)
}

// startServerOn is startTestServer with the store as wrap makes it from
// the JetStream store (nil: as it is), for a test that watches appends.
func startServerOn(t testing.TB, wrap func(*natsjs.Store) eventstore.Store, options ...func(*httpapi.Options)) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	natsServer := natsjstest.RunServer(t, t.TempDir(), false)
	connection := natsjstest.Connect(t, natsServer)
	var store eventstore.Store = natsjstest.Open(t, connection, natsjs.Options{})
	if wrap != nil {
		store = wrap(store.(*natsjs.Store))
	}
	checkpoints, err := natsjs.OpenCheckpoints(ctx, connection, 1)
	if err != nil {
		t.Fatal(err)
	}
	accessLog, err := natsjs.OpenAccessLog(ctx, connection, 1)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := natsjs.OpenSignedCheckpoints(ctx, connection, 1)
	if err != nil {
		t.Fatal(err)
	}
	keys := privacy.NewMemoryKeystore()
	sealer := privacy.NewSealer(keys, nil)
	service := ledger.New(store, ledger.Options{Clock: eventstoretest.Clock, Sealer: sealer})
	var tokens []httpapi.Token
	for role, token := range testTokens {
		tokens = append(tokens, httpapi.Token{Name: "test-" + string(role), Role: role, Token: token, Personal: role == httpapi.RoleAuditor || role == httpapi.RoleFinance})
	}
	checked, err := httpapi.NewTokens(tokens)
	if err != nil {
		t.Fatal(err)
	}
	projection := projections.NewTotalsProjection()
	var api *httpapi.Server
	runner := projections.NewRunner(store, checkpoints, projection, projections.RunnerOptions{
		OnApply: func(record eventstore.Record) { api.OnApply(record) },
	})
	apiOptions := httpapi.Options{Tokens: checked, Clock: eventstoretest.Clock}
	for _, option := range options {
		option(&apiOptions)
	}
	// The use cases run on the API's clock: a test that moves it moves
	// what decisions are dated.
	use := app.New(app.Parts{Store: store, Service: service, Catalog: service.Catalog(), Sealer: sealer, Keystore: keys, Checkpoints: checkpoints,
		AccessLog: privacy.NewAccessLog(accessLog, eventstoretest.Clock), Clock: apiOptions.Clock, Signed: signed,
		Tree: func(ctx context.Context) (*integrity.Tree, error) { return integrity.CopyTree(ctx, store, "") }})
	use.Follow(runner, projection, nil)
	apiOptions.Ledger = use
	api = httpapi.New(apiOptions)
	if err := runner.Load(ctx); err != nil {
		t.Fatal(err)
	}
	following := make(chan error, 1)
	go func() { following <- runner.Follow(ctx) }()
	server := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		api.Close()
		server.Close()
		cancel()
		<-following
	})
	return &testServer{URL: server.URL, Tokens: testTokens, Store: store, Service: service, API: api, Signed: signed, Ledger: use, HTTP: server}
}

// recordMade writes events the ledger makes itself (bank lines, the
// reconciliation's decisions) straight through the service, as the
// statement import and the decisions use case write them: the generic
// record path (POST /api/v1/events) refuses them. body is one event or a
// JSON array of them, recorded as actor's.
func recordMade(t testing.TB, server *testServer, actor, body string) {
	t.Helper()
	raws := []json.RawMessage{json.RawMessage(body)}
	if strings.HasPrefix(strings.TrimSpace(body), "[") {
		if err := json.Unmarshal([]byte(body), &raws); err != nil {
			t.Fatal(err)
		}
	}
	events := make([]domain.Event, len(raws))
	for i, raw := range raws {
		event, err := domain.DecodeEvent(raw)
		if err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		event.Actor = actor
		events[i] = event
	}
	if _, err := server.Service.Record(context.Background(), events); err != nil {
		t.Fatalf("record %s: %v", body, err)
	}
}
