package esdb

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/ordos-union/ledger/domain"
)

// leaseClient has no lease stream yet, takes the lease's append as the
// stream's first event, and refuses the stream's metadata.
type leaseClient struct {
	fakeClient
	t *testing.T
}

func (l *leaseClient) ReadStream(_ context.Context, _ string, _ esdb.ReadStreamOptions, _ uint64) (*esdb.ReadStream, error) {
	return nil, clientError(l.t, esdb.ErrorCodeResourceNotFound)
}

func (l *leaseClient) AppendToStream(_ context.Context, _ string, _ esdb.AppendToStreamOptions, _ ...esdb.EventData) (*esdb.WriteResult, error) {
	return &esdb.WriteResult{NextExpectedVersion: 0}, nil
}

func (l *leaseClient) SetStreamMetadata(_ context.Context, _ string, _ esdb.AppendToStreamOptions, _ esdb.StreamMetadata) (*esdb.WriteResult, error) {
	l.mutex.Lock()
	l.calls++
	l.mutex.Unlock()
	return nil, clientError(l.t, esdb.ErrorCodeAccessDenied)
}

// A claim whose lease event was appended holds the lease even when the
// stream's cap could not be set: it answers (true, nil), never (true, err),
// which callers read as not held, and logs the cap's failure.
func TestClaimHeldWhenOnlyTheCapFails(t *testing.T) {
	client := &leaseClient{t: t}
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	store := newStore(newConnection(func() (eventStoreClient, error) { return client, nil }, logger), DefaultStreamPrefix, logger, appendBytesMaxDefault)
	held, err := store.Checkpoints().Claim(context.Background(), "totals", "node-1", time.Minute, time.Now())
	if !held || err != nil {
		t.Fatalf("Claim = %v, %v; want true, nil", held, err)
	}
	if client.calls != 1 || !strings.Contains(logged.String(), "cap was not set") {
		t.Fatalf("%d metadata calls, log %q: want the cap tried once and its failure logged", client.calls, logged.String())
	}
}

// A subscription after a position beyond the log waits for it: it starts
// after the log's last event (or at the start of an empty log) rather than
// failing and retrying forever.
func TestSubscribeBeyondTheLogWaits(t *testing.T) {
	positions := []esdb.Position{{Commit: 100, Prepare: 100}, {Commit: 250, Prepare: 250}}
	cases := []struct {
		last uint64
		want esdb.AllPosition
	}{
		{0, esdb.Start{}},
		{1, positions[0]},
		{2, positions[1]},
		{9, positions[1]},
	}
	for _, c := range cases {
		if got := subscribeStart(c.last, positions); got != c.want {
			t.Errorf("after %d: start %v, want %v", c.last, got, c.want)
		}
	}
	if got := subscribeStart(5, nil); got != (esdb.Start{}) {
		t.Errorf("after 5 in an empty log: start %v, want the start", got)
	}
}

// A key stream is closed to every user but administrators and the
// ledger's own before the key is written, and stays so when erasure
// truncates it.
func TestKeyStreamsAreClosedToOtherUsers(t *testing.T) {
	eraser := &recordingEraser{}
	key := bytes.Repeat([]byte{0x5A}, 32)
	if err := putKey(context.Background(), eraser, "meta-ledger-key-41", "ledger", key); err != nil {
		t.Fatal(err)
	}
	want := []string{"read metadata meta-ledger-key-41", "metadata meta-ledger-key-41", "append meta-ledger-key-41"}
	if !slices.Equal(eraser.calls, want) {
		t.Fatalf("calls %v, want %v: the ACL before the key", eraser.calls, want)
	}
	roles := []string{keyStreamAdminRole, "ledger"}
	checkACL := func(metadata esdb.StreamMetadata) {
		t.Helper()
		acl := metadata.StreamAcl()
		if acl == nil {
			t.Fatal("no $acl")
		}
		for name, got := range map[string][]string{"read": acl.ReadRoles(), "write": acl.WriteRoles(), "delete": acl.DeleteRoles(),
			"metadata read": acl.MetaReadRoles(), "metadata write": acl.MetaWriteRoles()} {
			if !slices.Equal(got, roles) {
				t.Errorf("%s roles %v, want %v", name, got, roles)
			}
		}
	}
	checkACL(eraser.metadata[0])
	if err := destroyKeyStream(context.Background(), eraser, "meta-ledger-key-41", "ledger"); err != nil {
		t.Fatal(err)
	}
	checkACL(eraser.metadata[1])
	if acl := keyStreamACL(""); !slices.Equal(acl.ReadRoles(), []string{keyStreamAdminRole}) {
		t.Fatalf("without a user the readers are %v, want administrators only", acl.ReadRoles())
	}
	// A subject whose key was erased gets a new key; the old stream's
	// truncation stays in force, or the old key would be readable again.
	var erased esdb.StreamMetadata
	erased.SetTruncateBefore(2)
	again := &recordingEraser{current: &erased}
	if err := putKey(context.Background(), again, "meta-ledger-key-41", "ledger", key); err != nil {
		t.Fatal(err)
	}
	if truncate := again.metadata[0].TruncateBefore(); truncate == nil || *truncate != 2 {
		t.Fatalf("truncate before %v after a new key, want the erasure's 2 kept", truncate)
	}
	checkACL(again.metadata[0])
	failing := &recordingEraser{failAt: "metadata meta-ledger-key-41"}
	if err := putKey(context.Background(), failing, "meta-ledger-key-41", "ledger", key); err == nil || len(failing.written) != 0 {
		t.Fatalf("with the ACL refused: %v, wrote %d events; want an error and no key written", err, len(failing.written))
	} else if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("with the ACL refused: %v, want ErrUnavailable", err)
	}
}
