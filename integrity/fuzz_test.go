package integrity_test

import (
	"encoding/json"
	"testing"

	"github.com/ordos-union/ledger/integrity"
)

// FuzzInclusionProof checks proofs from outside: whatever the bytes, Check
// answers with an error or a verified event, never a panic.
func FuzzInclusionProof(f *testing.F) {
	keys, err := integrity.LoadOrCreateKeys(f.TempDir(), "", "fuzz-ledger")
	if err != nil {
		f.Fatal(err)
	}
	tree, _ := integrity.NewTree(&integrity.MemoryHashes{})
	for i := range 5 {
		_ = tree.Append([]byte{byte(i)})
	}
	root, _ := tree.Root(5)
	checkpoint := integrity.Checkpoint{Origin: "fuzz-ledger", Size: 5, Root: root}
	signed, _ := checkpoint.Sign(keys.Signer)
	proof, _ := integrity.ProveInclusion(tree, signed, checkpoint, 3, []byte{2})
	seed, _ := json.Marshal(proof)
	f.Add(seed)
	f.Add([]byte(`{"checkpoint":"x\n1\nAAAA\n","position":1,"stored_event":"AA==","proof":[]}`))
	f.Add([]byte(`{"position":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var candidate integrity.InclusionProof
		if json.Unmarshal(data, &candidate) != nil {
			return
		}
		if _, stored, err := candidate.Check(keys.Verifier); err == nil && stored == nil {
			t.Fatal("a proof checked without the bytes it proves")
		}
	})
}

// FuzzParseCheckpoint reads checkpoint bodies from outside.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add("ordos-union-ledger\n121\nv1oc0iQMTPjQE2U/8Ld+QXoDnxkg4vCuaeMmd67t9+k=\ntime 2026-11-29T01:20:01Z\n")
	f.Add("x\n-1\n\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		checkpoint, err := integrity.ParseCheckpoint(text)
		if err == nil && checkpoint.Size < 0 {
			t.Fatalf("negative size accepted from %q", text)
		}
	})
}
