package integrity_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
)

const testOrigin = "test-ledger"

// checkpointTime is a signing time with no sub-second part, as the note
// keeps it.
var checkpointTime = time.Date(2022, 7, 1, 1, 2, 3, 0, time.UTC)

func newKeys(t *testing.T) integrity.Keys {
	t.Helper()
	keys, err := integrity.LoadOrCreateKeys(t.TempDir(), "", testOrigin)
	if err != nil {
		t.Fatalf("LoadOrCreateKeys: %v", err)
	}
	return keys
}

// signAt signs the checkpoint of the tree's first size leaves.
func signAt(t *testing.T, keys integrity.Keys, tree *integrity.Tree, size int64) (integrity.Checkpoint, []byte) {
	t.Helper()
	root, err := tree.Root(size)
	if err != nil {
		t.Fatalf("Root(%d): %v", size, err)
	}
	return signCheckpoint(t, keys, integrity.Checkpoint{Origin: testOrigin, Size: size, Root: root, Time: checkpointTime})
}

func signCheckpoint(t *testing.T, keys integrity.Keys, checkpoint integrity.Checkpoint) (integrity.Checkpoint, []byte) {
	t.Helper()
	signed, err := checkpoint.Sign(keys.Signer)
	if err != nil {
		t.Fatalf("sign checkpoint of size %d: %v", checkpoint.Size, err)
	}
	return checkpoint, signed
}

func sameCheckpoint(a, b integrity.Checkpoint) bool {
	return a.Origin == b.Origin && a.Size == b.Size && a.Root == b.Root && a.Time.Equal(b.Time)
}

func proofData(n int) []byte {
	return []byte(fmt.Sprintf(`{"id":"event-%d","amount":"%d.00"}`, n, 100+n))
}

func proofTree(t *testing.T, size int) *integrity.Tree {
	t.Helper()
	tree, err := integrity.NewTree(&integrity.MemoryHashes{})
	if err != nil {
		t.Fatal(err)
	}
	for position := 1; position <= size; position++ {
		if err := tree.Append(proofData(position)); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

func TestInclusionProofs(t *testing.T) {
	const size = 37
	keys, other := newKeys(t), newKeys(t)
	tree := proofTree(t, size)
	checkpoint, signed := signAt(t, keys, tree, size)
	_, signed36 := signAt(t, keys, tree, size-1)
	_, otherSigned := signCheckpoint(t, other, checkpoint)
	root36, _ := tree.Root(size - 1)
	tampered := bytes.Replace(signed, []byte(checkpoint.Root.String()), []byte(root36.String()), 1)
	if bytes.Equal(tampered, signed) {
		t.Fatal("setup: the root line was not found in the note")
	}

	for position := uint64(1); position <= size; position++ {
		data := proofData(int(position))
		proof, err := integrity.ProveInclusion(tree, signed, checkpoint, position, data)
		if err != nil {
			t.Fatalf("ProveInclusion(%d): %v", position, err)
		}
		got, stored, err := proof.Check(keys.Verifier)
		if err != nil {
			t.Fatalf("position %d: a good proof fails: %v", position, err)
		}
		if !sameCheckpoint(got, checkpoint) || !bytes.Equal(stored, data) {
			t.Fatalf("position %d: Check returned %+v, %q; want %+v, %q", position, got, stored, checkpoint, data)
		}
		// A proof survives its trip through a file.
		encoded, err := integrity.MarshalIndent(proof)
		if err != nil {
			t.Fatal(err)
		}
		var decoded integrity.InclusionProof
		if err := json.Unmarshal(encoded, &decoded); err != nil {
			t.Fatalf("position %d: decode proof: %v", position, err)
		}
		if _, _, err := decoded.Check(keys.Verifier); err != nil {
			t.Fatalf("position %d: the proof read back from JSON fails: %v", position, err)
		}

		mustFail := func(what string, proof integrity.InclusionProof, wantBadCheckpoint bool) {
			t.Helper()
			_, _, err := proof.Check(keys.Verifier)
			if err == nil {
				t.Fatalf("position %d: %s passed", position, what)
			}
			if errors.Is(err, integrity.ErrBadCheckpoint) != wantBadCheckpoint {
				t.Fatalf("position %d: %s: err = %v; ErrBadCheckpoint %v expected", position, what, err, wantBadCheckpoint)
			}
		}
		for _, i := range []int{0, len(data) / 2, len(data) - 1} {
			wrong := bytes.Clone(data)
			wrong[i] ^= 0x01
			bad := proof
			bad.StoredEvent = base64.StdEncoding.EncodeToString(wrong)
			mustFail(fmt.Sprintf("a leaf with byte %d changed", i), bad, false)
		}
		for _, other := range []uint64{position%size + 1, size + 1 - position, 0, size + 1} {
			if other == position {
				continue
			}
			bad := proof
			bad.Position = other
			mustFail(fmt.Sprintf("the proof moved to position %d", other), bad, false)
		}
		if position < size {
			bad := proof
			bad.Checkpoint = string(signed36)
			mustFail("the size-37 proof against the size-36 checkpoint", bad, false)
		}
		bad := proof
		bad.Checkpoint = string(otherSigned)
		mustFail("a checkpoint signed by another key", bad, true)
		bad.Checkpoint = string(tampered)
		mustFail("a checkpoint whose root line was edited", bad, true)
		bad = proof
		bad.Proof = append([]tlog.Hash(nil), proof.Proof...)
		bad.Proof[len(bad.Proof)/2][0] ^= 0x80
		mustFail("an audit path with one hash changed", bad, false)
	}

	// The size-36 checkpoint proves its own leaves, and not leaf 37.
	checkpoint36, err := integrity.ParseCheckpointNote(signed36)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := integrity.ProveInclusion(tree, signed36, checkpoint36, 36, proofData(36))
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := proof.Check(keys.Verifier); err != nil || got.Size != 36 {
		t.Fatalf("proof against the size-36 checkpoint: %+v, %v", got, err)
	}
	for _, position := range []uint64{0, 37} {
		if _, err := integrity.ProveInclusion(tree, signed36, checkpoint36, position, proofData(37)); err == nil {
			t.Errorf("ProveInclusion of position %d against a checkpoint of 36 succeeded", position)
		}
	}
}

func TestConsistencyProofs(t *testing.T) {
	const size = 37
	keys, other := newKeys(t), newKeys(t)
	tree := proofTree(t, size)
	newer, newerSigned := signAt(t, keys, tree, size)
	_, newerOther := signCheckpoint(t, other, newer)

	for older := int64(1); older <= size; older++ {
		olderCheckpoint, olderSigned := signAt(t, keys, tree, older)
		proof, err := integrity.ProveConsistency(tree, olderSigned, olderCheckpoint, newerSigned, newer)
		if err != nil {
			t.Fatalf("ProveConsistency(%d, %d): %v", older, size, err)
		}
		if err := proof.Check(keys.Verifier); err != nil {
			t.Fatalf("%d -> %d: a good proof fails: %v", older, size, err)
		}
		encoded, _ := integrity.MarshalIndent(proof)
		var decoded integrity.ConsistencyProof
		if err := json.Unmarshal(encoded, &decoded); err != nil {
			t.Fatal(err)
		}
		if err := decoded.Check(keys.Verifier); err != nil {
			t.Fatalf("%d -> %d: the proof read back from JSON fails: %v", older, size, err)
		}

		// The older checkpoint, properly signed, commits to a wrong root.
		wrongRoot := olderCheckpoint
		wrongRoot.Root[3] ^= 0x10
		_, wrongSigned := signCheckpoint(t, keys, wrongRoot)
		bad, err := integrity.ProveConsistency(tree, wrongSigned, wrongRoot, newerSigned, newer)
		if err != nil {
			t.Fatal(err)
		}
		if err := bad.Check(keys.Verifier); err == nil || errors.Is(err, integrity.ErrBadCheckpoint) {
			t.Fatalf("%d -> %d: an older checkpoint with a wrong root: err = %v, want a proof failure", older, size, err)
		}
		if older > 1 {
			// A root of the right log at the wrong size.
			shifted := olderCheckpoint
			shifted.Root, _ = tree.Root(older - 1)
			_, shiftedSigned := signCheckpoint(t, keys, shifted)
			bad := proof
			bad.Older = string(shiftedSigned)
			if err := bad.Check(keys.Verifier); err == nil {
				t.Fatalf("%d -> %d: an older checkpoint carrying the root of size %d passed", older, size, older-1)
			}
		}

		// Signed by another key, older or newer.
		_, olderOther := signCheckpoint(t, other, olderCheckpoint)
		for _, bad := range []integrity.ConsistencyProof{
			{Older: string(olderOther), Newer: string(newerSigned), Proof: proof.Proof},
			{Older: string(olderSigned), Newer: string(newerOther), Proof: proof.Proof},
		} {
			if err := bad.Check(keys.Verifier); !errors.Is(err, integrity.ErrBadCheckpoint) {
				t.Fatalf("%d -> %d: a checkpoint signed by another key: err = %v, want ErrBadCheckpoint", older, size, err)
			}
		}
		if err := proof.Check(other.Verifier); !errors.Is(err, integrity.ErrBadCheckpoint) {
			t.Fatalf("%d -> %d: checked with another key: err = %v, want ErrBadCheckpoint", older, size, err)
		}

		// The proof swapped around: older is larger than newer.
		if older < size {
			swapped := integrity.ConsistencyProof{Older: string(newerSigned), Newer: string(olderSigned), Proof: proof.Proof}
			if err := swapped.Check(keys.Verifier); err == nil || !strings.Contains(err.Error(), "larger") {
				t.Fatalf("%d -> %d swapped: err = %v, want the older-is-larger failure", older, size, err)
			}
			if _, err := integrity.ProveConsistency(tree, newerSigned, newer, olderSigned, olderCheckpoint); err == nil {
				t.Fatalf("ProveConsistency from %d back to %d succeeded", size, older)
			}
		}
	}
}

func TestCheckpointBodyRoundTrip(t *testing.T) {
	keys := newKeys(t)
	tree := proofTree(t, 9)
	checkpoint, signed := signAt(t, keys, tree, 9)
	root := base64.StdEncoding.EncodeToString(checkpoint.Root[:])
	wantBody := testOrigin + "\n9\n" + root + "\ntime 2022-07-01T01:02:03Z\n"
	if body := checkpoint.Body(); body != wantBody {
		t.Fatalf("Body() = %q, want %q", body, wantBody)
	}
	if !bytes.HasPrefix(signed, []byte(wantBody+"\n\u2014 "+testOrigin+" ")) {
		t.Fatalf("signed note does not start with the body and a signature line:\n%s", signed)
	}
	for name, parse := range map[string]func() (integrity.Checkpoint, error){
		"ParseCheckpoint":     func() (integrity.Checkpoint, error) { return integrity.ParseCheckpoint(checkpoint.Body()) },
		"ParseCheckpointNote": func() (integrity.Checkpoint, error) { return integrity.ParseCheckpointNote(signed) },
		"OpenCheckpoint":      func() (integrity.Checkpoint, error) { return integrity.OpenCheckpoint(signed, keys.Verifier) },
	} {
		got, err := parse()
		if err != nil || !sameCheckpoint(got, checkpoint) {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, checkpoint)
		}
	}
	// A zone other than UTC is signed as UTC, the same instant.
	local := checkpoint
	local.Time = checkpointTime.In(time.FixedZone("CST", 8*3600))
	if local.Body() != wantBody {
		t.Errorf("Body in CST = %q, want the UTC body", local.Body())
	}
}

func TestCheckpointMalformed(t *testing.T) {
	keys := newKeys(t)
	root := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	bodies := map[string]string{
		"empty":           "",
		"origin only":     "origin\n",
		"no root":         "origin\n5\n",
		"size not number": "origin\nfive\n" + root + "\n",
		"size negative":   "origin\n-1\n" + root + "\n",
		"size fraction":   "origin\n1.5\n" + root + "\n",
		"size overflow":   "origin\n99999999999999999999\n" + root + "\n",
		"root not base64": "origin\n5\nnot*base64\n",
		"root short":      "origin\n5\n" + base64.StdEncoding.EncodeToString(make([]byte, 31)) + "\n",
		"root long":       "origin\n5\n" + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n",
		"lines swapped":   "origin\n" + root + "\n5\n",
	}
	for name, body := range bodies {
		if got, err := integrity.ParseCheckpoint(body); !errors.Is(err, integrity.ErrBadCheckpoint) {
			t.Errorf("ParseCheckpoint(%s) = %+v, %v; want ErrBadCheckpoint", name, got, err)
		}
		if body == "" {
			continue // a note cannot be empty
		}
		// Signed by the right key, still refused for what it says.
		signed, err := note.Sign(&note.Note{Text: body}, keys.Signer)
		if err != nil {
			t.Fatalf("%s: sign: %v", name, err)
		}
		if got, err := integrity.OpenCheckpoint(signed, keys.Verifier); !errors.Is(err, integrity.ErrBadCheckpoint) {
			t.Errorf("OpenCheckpoint(%s signed) = %+v, %v; want ErrBadCheckpoint", name, got, err)
		}
	}
	good := "origin\n5\n" + root + "\n"
	if got, err := integrity.ParseCheckpoint(good); err != nil || got.Size != 5 || got.Origin != "origin" || got.Root != tlog.Hash(bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("ParseCheckpoint(good, no time line) = %+v, %v", got, err)
	}
	for name, signed := range map[string][]byte{
		"no signature":   []byte(good),
		"body and blank": []byte(good + "\n"),
		"garbage":        []byte("not a note at all"),
		"bad signature":  []byte(good + "\n\u2014 " + testOrigin + " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"),
	} {
		if got, err := integrity.OpenCheckpoint(signed, keys.Verifier); !errors.Is(err, integrity.ErrBadCheckpoint) {
			t.Errorf("OpenCheckpoint(%s) = %+v, %v; want ErrBadCheckpoint", name, got, err)
		}
	}
}

func TestKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "integrity")
	keys, err := integrity.LoadOrCreateKeys(dir, "", testOrigin)
	if err != nil {
		t.Fatalf("LoadOrCreateKeys: %v", err)
	}
	signingPath, verifierPath := filepath.Join(dir, "signing.key"), filepath.Join(dir, "verifier.key")
	info, err := os.Stat(signingPath)
	if err != nil {
		t.Fatalf("signing.key not created: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("signing.key mode = %v, want 0600", info.Mode().Perm())
	}
	signingKey, _ := os.ReadFile(signingPath)
	if !strings.HasPrefix(string(signingKey), "PRIVATE+KEY+"+testOrigin+"+") {
		t.Errorf("signing.key = %q..., want a note private key named %s", signingKey[:min(len(signingKey), 20)], testOrigin)
	}
	verifierFile, err := os.ReadFile(verifierPath)
	if err != nil {
		t.Fatalf("verifier.key not created: %v", err)
	}
	if string(verifierFile) != keys.VerifierKey+"\n" {
		t.Errorf("verifier.key = %q, want %q", verifierFile, keys.VerifierKey+"\n")
	}
	if !strings.HasPrefix(keys.VerifierKey, testOrigin+"+") || keys.Verifier.Name() != testOrigin ||
		keys.Signer.Name() != testOrigin || keys.Verifier.KeyHash() != keys.Signer.KeyHash() {
		t.Errorf("keys disagree: verifier %q (%s %08x), signer %s %08x", keys.VerifierKey,
			keys.Verifier.Name(), keys.Verifier.KeyHash(), keys.Signer.Name(), keys.Signer.KeyHash())
	}

	again, err := integrity.LoadOrCreateKeys(dir, "", testOrigin)
	if err != nil {
		t.Fatalf("second LoadOrCreateKeys: %v", err)
	}
	if again.VerifierKey != keys.VerifierKey {
		t.Errorf("second call has verifier key %q, want %q", again.VerifierKey, keys.VerifierKey)
	}
	if after, _ := os.ReadFile(signingPath); !bytes.Equal(after, signingKey) {
		t.Error("the second call rewrote signing.key")
	}
	fromFile, err := integrity.LoadOrCreateKeys(t.TempDir(), signingPath, testOrigin)
	if err != nil || fromFile.VerifierKey != keys.VerifierKey {
		t.Errorf("LoadOrCreateKeys with the key file = %q, %v; want %q", fromFile.VerifierKey, err, keys.VerifierKey)
	}
	missingDir := t.TempDir()
	if _, err := integrity.LoadOrCreateKeys(missingDir, filepath.Join(missingDir, "nope.key"), testOrigin); err == nil {
		t.Error("LoadOrCreateKeys with a missing key file succeeded")
	}
	if _, err := os.Stat(filepath.Join(missingDir, "nope.key")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a missing key file given by name was created")
	}
	corrupt := filepath.Join(t.TempDir(), "corrupt.key")
	os.WriteFile(corrupt, []byte("PRIVATE+KEY+x+00000000+AAAA\n"), 0o600)
	if _, err := integrity.LoadOrCreateKeys(t.TempDir(), corrupt, testOrigin); err == nil {
		t.Error("LoadOrCreateKeys accepted a corrupt signing key")
	}

	// Whatever signs, the derived verifier key and every form of it verify.
	tree := proofTree(t, 3)
	checkpoint, signed := signAt(t, again, tree, 3)
	derived, err := note.NewVerifier(keys.VerifierKey)
	if err != nil {
		t.Fatalf("the derived verifier key does not parse: %v", err)
	}
	verifiers := map[string]note.Verifier{"Keys.Verifier": keys.Verifier, "note.NewVerifier(VerifierKey)": derived}
	for name, key := range map[string]string{"key text": keys.VerifierKey, "key text with newline": keys.VerifierKey + "\n",
		"key file path": verifierPath} {
		verifier, err := integrity.NewVerifier(key)
		if err != nil {
			t.Fatalf("NewVerifier(%s): %v", name, err)
		}
		verifiers["NewVerifier("+name+")"] = verifier
	}
	for name, verifier := range verifiers {
		if got, err := integrity.OpenCheckpoint(signed, verifier); err != nil || !sameCheckpoint(got, checkpoint) {
			t.Errorf("%s: OpenCheckpoint = %+v, %v", name, got, err)
		}
	}
	other := newKeys(t)
	if other.VerifierKey == keys.VerifierKey {
		t.Fatal("two key directories made the same key")
	}
	if _, err := integrity.OpenCheckpoint(signed, other.Verifier); !errors.Is(err, integrity.ErrBadCheckpoint) {
		t.Errorf("another key opened the checkpoint: %v", err)
	}
	for _, bad := range []string{"", "not a key", filepath.Join(t.TempDir(), "missing.key"), string(signingKey)} {
		if _, err := integrity.NewVerifier(bad); err == nil {
			t.Errorf("NewVerifier(%.30q) succeeded", bad)
		}
	}
}

// A checkpoint handed in from outside reads back as it was signed; a file
// too large to be one, or that is no checkpoint, is refused as a bad
// checkpoint rather than read whole.
func TestReadCheckpointNote(t *testing.T) {
	keys := newKeys(t)
	_, signed := signAt(t, keys, proofTree(t, 3), 3)
	got, err := integrity.ReadCheckpointNote(bytes.NewReader(signed))
	if err != nil || !bytes.Equal(got, signed) {
		t.Fatalf("ReadCheckpointNote = %q, %v; want the note", got, err)
	}
	for name, content := range map[string][]byte{
		"not a checkpoint": []byte(`{"tokens":[]}`),
		"too large":        bytes.Repeat([]byte("x"), integrity.CheckpointFileBytesMax+1),
	} {
		if _, err := integrity.ReadCheckpointNote(bytes.NewReader(content)); !errors.Is(err, integrity.ErrBadCheckpoint) {
			t.Errorf("%s: want ErrBadCheckpoint, got %v", name, err)
		}
	}
}
