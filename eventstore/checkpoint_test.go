package eventstore_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/eventstore"
)

func TestCheckpointEncodingRoundTrips(t *testing.T) {
	saved := time.Date(2022, 7, 1, 1, 0, 0, 0, time.UTC)
	checkpoint := eventstore.Checkpoint{Name: "totals", Version: 3, Position: 42, SavedAt: saved, State: []byte(`{"cells":[1,2,3]}`)}
	encoded, err := eventstore.EncodeCheckpoint(checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := eventstore.DecodeCheckpoint("totals", encoded)
	if err != nil {
		t.Fatal(err)
	}
	if decoded.Name != "totals" || decoded.Version != 3 || decoded.Position != 42 || !decoded.SavedAt.Equal(saved) || !bytes.Equal(decoded.State, checkpoint.State) {
		t.Fatalf("decoded %+v, want %+v", decoded, checkpoint)
	}
	if _, err := eventstore.DecodeCheckpoint("totals", []byte("not gzip")); err == nil || !strings.Contains(err.Error(), "checkpoint totals") {
		t.Fatalf("garbage decoded: %v", err)
	}
}

func TestLeaseHeldByOther(t *testing.T) {
	now := time.Date(2022, 7, 1, 1, 0, 0, 0, time.UTC)
	lease := eventstore.Lease{Holder: "node-1", Expires: now.Add(time.Second)}
	cases := []struct {
		holder string
		at     time.Time
		want   bool
	}{
		{"node-1", now, false},
		{"node-2", now, true},
		{"node-2", now.Add(time.Second), false},
	}
	for _, c := range cases {
		if got := lease.HeldByOther(c.holder, c.at); got != c.want {
			t.Errorf("HeldByOther(%s, %s) = %t, want %t", c.holder, c.at, got, c.want)
		}
	}
	if (eventstore.Lease{}).HeldByOther("node-1", now) {
		t.Error("an empty lease is held")
	}
}
