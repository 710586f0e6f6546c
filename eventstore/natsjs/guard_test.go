package natsjs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/eventstore/natsjs"
)

// The guard names a history stream whose settings were changed, or that
// was deleted and made again, and is quiet while they are as opened.
func TestGuardNoticesChangedOrRemadeStreams(t *testing.T) {
	ctx := context.Background()
	natsServer, credentials := authServer(t)
	runtime := connectAs(t, natsServer, credentials, natsjs.RoleRuntime)
	store, err := natsjs.Open(ctx, runtime, natsjs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := natsjs.OpenSignedCheckpoints(ctx, runtime, 1)
	if err != nil {
		t.Fatal(err)
	}
	access, err := natsjs.OpenAccessLog(ctx, runtime, 1)
	if err != nil {
		t.Fatal(err)
	}
	guard, err := natsjs.NewGuard(ctx, store, nil, signed, access)
	if err != nil {
		t.Fatal(err)
	}
	if err := guard.Check(ctx); err != nil || guard.Problem() != nil {
		t.Fatalf("untouched streams: %v", err)
	}
	if err := signed.Append(ctx, []byte("a checkpoint")); err != nil {
		t.Fatal(err)
	}
	if err := guard.Check(ctx); err != nil {
		t.Fatalf("a stream that grew: %v", err)
	}

	operator := connectAs(t, natsServer, credentials, natsjs.RoleOperator)
	js, err := jetstream.New(operator)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, "LEDGER")
	if err != nil {
		t.Fatal(err)
	}
	config := stream.CachedInfo().Config
	config.MaxAge = 24 * time.Hour
	if _, err := js.UpdateStream(ctx, config); err != nil {
		t.Fatal(err)
	}
	if err := guard.Check(ctx); err == nil || !strings.Contains(err.Error(), "stream LEDGER settings changed: max_age") {
		t.Fatalf("a changed max age: %v", err)
	}
	if problem := guard.Problem(); problem == nil || !strings.Contains(problem.Error(), "max_age") {
		t.Fatalf("the problem kept: %v", problem)
	}

	if err := js.DeleteStream(ctx, natsjs.SignedCheckpointStream); err != nil {
		t.Fatal(err)
	}
	if err := guard.Check(ctx); err == nil || !strings.Contains(err.Error(), "stream LEDGER_CHECKPOINTS is missing") {
		t.Fatalf("a deleted stream: %v", err)
	}
	if _, err := natsjs.OpenSignedCheckpoints(ctx, operator, 1); err != nil {
		t.Fatal(err)
	}
	if err := guard.Check(ctx); err == nil || !strings.Contains(err.Error(), "stream LEDGER_CHECKPOINTS was deleted and made again") {
		t.Fatalf("a stream made again: %v", err)
	}
	if err := js.DeleteStream(ctx, natsjs.AccessLogStream); err != nil {
		t.Fatal(err)
	}
	if err := guard.Check(ctx); err == nil || !strings.Contains(err.Error(), "stream LEDGER_ACCESS is missing") {
		t.Fatalf("a deleted access log: %v", err)
	}
}
