package esdb_test

import (
	"bytes"
	"testing"

	"github.com/ordos-union/ledger/eventstore/esdb"
)

func TestCheckpointPartsRoundTrip(t *testing.T) {
	for _, size := range []int{1, 512 << 10, 512<<10 + 1, 3<<20 + 17} {
		value := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		parts := esdb.SplitCheckpoint(value)
		for i, part := range parts {
			if len(part) > 512<<10 || len(part) == 0 {
				t.Fatalf("size %d: part %d holds %d bytes", size, i, len(part))
			}
		}
		manifest := esdb.NewCheckpointManifest(7, parts)
		if manifest.FirstRevision != 7 || manifest.Parts != len(parts) || manifest.Bytes != size {
			t.Fatalf("size %d: manifest %+v", size, manifest)
		}
		joined, err := manifest.Join(parts)
		if err != nil || !bytes.Equal(joined, value) {
			t.Fatalf("size %d: joined %d bytes, %v", size, len(joined), err)
		}
	}
}

func TestCheckpointPartsFromAnotherSaveAreRefused(t *testing.T) {
	value := bytes.Repeat([]byte{1}, 2<<20)
	parts := esdb.SplitCheckpoint(value)
	manifest := esdb.NewCheckpointManifest(0, parts)
	other := append([][]byte(nil), parts...)
	other[1] = bytes.Repeat([]byte{2}, len(parts[1]))
	if _, err := manifest.Join(other); err == nil {
		t.Fatal("a part of another save was joined")
	}
	if _, err := manifest.Join(parts[:len(parts)-1]); err == nil {
		t.Fatal("a missing part went unnoticed")
	}
}
