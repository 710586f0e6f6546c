package esdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/ordos-union/ledger/domain"
)

// recordingEraser answers like the EventStoreDB client, with the client's
// own result types, and records each call; failAt makes that call fail.
type recordingEraser struct {
	calls    []string
	written  [][]byte
	metadata []esdb.StreamMetadata
	failAt   string
	// revision is the stream's last revision before the marker.
	revision uint64
	// current is the stream's metadata before any call.
	current *esdb.StreamMetadata
}

func (r *recordingEraser) call(name string) error {
	r.calls = append(r.calls, name)
	if name == r.failAt {
		return fmt.Errorf("%s failed", name)
	}
	return nil
}

func (r *recordingEraser) AppendToStream(_ context.Context, stream string, _ esdb.AppendToStreamOptions, events ...esdb.EventData) (*esdb.WriteResult, error) {
	for _, event := range events {
		r.written = append(r.written, event.Data)
	}
	if err := r.call("append " + stream); err != nil {
		return nil, err
	}
	r.revision += uint64(len(events))
	return &esdb.WriteResult{NextExpectedVersion: r.revision}, nil
}

// GetStreamMetadata answers the metadata last set, or, before any, the
// stream's current (nil: the stream has none).
func (r *recordingEraser) GetStreamMetadata(_ context.Context, stream string, options esdb.ReadStreamOptions) (*esdb.StreamMetadata, error) {
	if err := r.call("read metadata " + stream); err != nil {
		return nil, err
	}
	if _, backwards := options.From.(esdb.End); !backwards || options.Direction != esdb.Backwards {
		return nil, fmt.Errorf("metadata read from %v %v: the one in force is the last", options.Direction, options.From)
	}
	if len(r.metadata) > 0 {
		last := r.metadata[len(r.metadata)-1]
		return &last, nil
	}
	if r.current != nil {
		return r.current, nil
	}
	return &esdb.StreamMetadata{}, nil
}

func (r *recordingEraser) SetStreamMetadata(_ context.Context, stream string, _ esdb.AppendToStreamOptions, metadata esdb.StreamMetadata) (*esdb.WriteResult, error) {
	r.metadata = append(r.metadata, metadata)
	if err := r.call("metadata " + stream); err != nil {
		return nil, err
	}
	return &esdb.WriteResult{}, nil
}

func (r *recordingEraser) DeleteStream(_ context.Context, stream string, _ esdb.DeleteStreamOptions) (*esdb.DeleteResult, error) {
	if err := r.call("delete " + stream); err != nil {
		return nil, err
	}
	return &esdb.DeleteResult{}, nil
}

// Erasure leaves a marker with nothing secret as the key stream's last
// event (the one a scavenge keeps), truncates the stream before it, and
// only then deletes the stream; a failed step stops the rest.
func TestDestroyKeyLeavesNothingSecretBehind(t *testing.T) {
	key := bytes.Repeat([]byte{0xAB}, 32)
	eraser := &recordingEraser{revision: 0}
	if err := destroyKeyStream(context.Background(), eraser, "ledger-key-41", "ledger"); err != nil {
		t.Fatal(err)
	}
	want := []string{"append ledger-key-41", "metadata ledger-key-41", "delete ledger-key-41"}
	if strings.Join(eraser.calls, "; ") != strings.Join(want, "; ") {
		t.Fatalf("calls %v, want %v", eraser.calls, want)
	}
	if len(eraser.written) != 1 || bytes.Contains(eraser.written[0], key[:4]) || len(eraser.written[0]) == 32 {
		t.Fatalf("the marker holds %q: it must hold nothing secret", eraser.written)
	}
	truncate := eraser.metadata[0].TruncateBefore()
	if truncate == nil || *truncate != 1 {
		t.Fatalf("truncate before %v, want the marker's revision 1 (the key at 0 goes)", truncate)
	}
	for _, failing := range want {
		eraser := &recordingEraser{failAt: failing}
		err := destroyKeyStream(context.Background(), eraser, "ledger-key-41", "ledger")
		if err == nil || eraser.calls[len(eraser.calls)-1] != failing {
			t.Fatalf("with %q failing: %v after %v; want an error and no call after it", failing, err, eraser.calls)
		}
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("with %q failing: %v, want domain.ErrUnavailable", failing, err)
		}
	}
}

// An append over the server's MaxAppendSize is refused whole, before any
// call to the server, with the sizes in the message; one at the limit
// passes.
func TestAppendOverTheServersSizeIsRefused(t *testing.T) {
	event := esdb.EventData{EventType: "donation_received", Data: bytes.Repeat([]byte("x"), 1000), Metadata: bytes.Repeat([]byte("m"), 200)}
	events := []esdb.EventData{event, event, event}
	size := AppendBytes(events)
	if size != 3*(1000+200+len("donation_received")) {
		t.Fatalf("AppendBytes = %d", size)
	}
	if err := checkAppendSize(events, size); err != nil {
		t.Fatalf("an append at the limit: %v", err)
	}
	err := checkAppendSize(events, size-1)
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("%d bytes", size)) || !strings.Contains(err.Error(), "MaxAppendSize") {
		t.Fatalf("an append over the limit: %v", err)
	}
}
