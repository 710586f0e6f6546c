package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/integrity"
)

// testLog is a ledger's tree and signing key, without a ledger around
// them: what a witness sees of a log is its signed checkpoints and proofs.
type testLog struct {
	t    *testing.T
	keys integrity.Keys
	tree *integrity.Tree
}

func newTestLog(t *testing.T, keys integrity.Keys) *testLog {
	t.Helper()
	tree, err := integrity.NewTree(&integrity.MemoryHashes{})
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{t: t, keys: keys, tree: tree}
}

func newKeys(t *testing.T) integrity.Keys {
	t.Helper()
	keys, err := integrity.LoadOrCreateKeys(t.TempDir(), "", integrity.Origin)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// append adds events first..last, each "<history> event <n>".
func (l *testLog) append(history string, first, last int) *testLog {
	for n := first; n <= last; n++ {
		if err := l.tree.Append(fmt.Appendf(nil, "%s event %d", history, n)); err != nil {
			l.t.Fatal(err)
		}
	}
	return l
}

// signed is the log's checkpoint over its whole tree, signed by its key.
func (l *testLog) signed() []byte {
	l.t.Helper()
	root, err := l.tree.Root(l.tree.Size())
	if err != nil {
		l.t.Fatal(err)
	}
	signed, err := integrity.Checkpoint{Origin: integrity.Origin, Size: l.tree.Size(), Root: root, Time: time.Now()}.Sign(l.keys.Signer)
	if err != nil {
		l.t.Fatal(err)
	}
	return signed
}

// runningWitness is a witness served over real HTTP.
type runningWitness struct {
	witness  *Witness
	server   *httptest.Server
	verifier note.Verifier
}

func startWitness(t *testing.T, dir string, logs ...note.Verifier) *runningWitness {
	t.Helper()
	w, err := Open(Config{Dir: dir, Name: "witness.example/w1", Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(w.Handler())
	running := &runningWitness{witness: w, server: server}
	t.Cleanup(running.stop)
	// The published verifier key file is what an auditor is given.
	if running.verifier, err = NewVerifier(filepath.Join(dir, verifierKeyFile)); err != nil {
		t.Fatal(err)
	}
	return running
}

func (r *runningWitness) stop() {
	r.server.Close()
	_ = r.witness.Close()
}

// post sends a raw add-checkpoint body and returns the answer.
func (r *runningWitness) post(t *testing.T, body string) (int, string, string) {
	t.Helper()
	response, err := http.Post(r.server.URL+"/add-checkpoint", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	answer, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response.StatusCode, string(answer), response.Header.Get("Content-Type")
}

// openCosigned opens the checkpoint with its cosignature lines through
// golang.org/x/mod/sumdb/note, with the log's key and the witness's, and
// says which keys' signatures verified.
func openCosigned(t *testing.T, signed, lines []byte, verifiers ...note.Verifier) []string {
	t.Helper()
	opened, err := note.Open(append(bytes.Clone(signed), lines...), note.VerifierList(verifiers...))
	if err != nil {
		t.Fatalf("the cosigned checkpoint does not open: %v\n%s%s", err, signed, lines)
	}
	var names []string
	for _, signature := range opened.Sigs {
		names = append(names, signature.Name)
	}
	return names
}

func TestWitnessCosignsOnlyConsistentGrowthAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	keys := newKeys(t)
	dir := t.TempDir()
	w := startWitness(t, dir, keys.Verifier)
	client := NewClient(w.server.URL, w.verifier)

	// The first checkpoint is cosigned without a proof; the cosignature
	// verifies with the witness's published key through x/mod's note.
	log := newTestLog(t, keys).append("true", 1, 5)
	first := log.signed()
	lines, err := client.Cosign(ctx, first, log.tree)
	if err != nil {
		t.Fatalf("first checkpoint: %v", err)
	}
	if names := openCosigned(t, first, lines, keys.Verifier, w.verifier); strings.Join(names, ",") != integrity.Origin+",witness.example/w1" {
		t.Fatalf("verified signatures %v, want the log's and the witness's", names)
	}
	// A cosignature is over the checkpoint's text: on another checkpoint
	// it does not verify.
	if _, err := note.Open(append(log.append("true", 6, 6).signed(), lines...), note.VerifierList(w.verifier)); err == nil {
		t.Fatal("the cosignature verified on a checkpoint the witness never saw")
	}

	// A larger tree that extends it is cosigned with the consistency proof.
	log.append("true", 7, 10)
	larger := log.signed()
	if _, err := client.Cosign(ctx, larger, log.tree); err != nil {
		t.Fatalf("consistent larger checkpoint: %v", err)
	}

	// A smaller tree: a client that does not know the witness's size is
	// told it (409, text/x.tlog.size); one that does is refused outright.
	status, answer, contentType := w.post(t, "old 0\n\n"+string(first))
	if status != http.StatusConflict || answer != "10\n" || contentType != ContentTypeSize {
		t.Fatalf("smaller tree from old 0: %d %q %q, want 409 \"10\\n\" %s", status, answer, contentType, ContentTypeSize)
	}
	if status, _, _ := w.post(t, "old 10\n\n"+string(first)); status != http.StatusBadRequest {
		t.Fatalf("smaller tree from old 10: %d, want 400", status)
	}
	if _, err := NewClient(w.server.URL, w.verifier).Cosign(ctx, first, log.tree); !errors.Is(err, ErrWitnessAhead) {
		t.Fatalf("a new client with the smaller tree: %v, want %v", err, ErrWitnessAhead)
	}

	// History rewritten from position 4 and signed again by the same key,
	// larger and of the same size: refused as inconsistent.
	rewritten := newTestLog(t, keys).append("true", 1, 3).append("rewritten", 4, 12)
	rewrittenSigned := rewritten.signed()
	sameSize := newTestLog(t, keys).append("true", 1, 3).append("rewritten", 4, 10)
	refusesRewrites := func(when string) {
		t.Helper()
		_, err := NewClient(w.server.URL, w.verifier).Cosign(ctx, rewrittenSigned, rewritten.tree)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "422") {
			t.Fatalf("%s: rewritten larger history: %v, want a 422 refusal", when, err)
		}
		if status, answer, _ := w.post(t, "old 10\n\n"+string(sameSize.signed())); status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: rewritten history of the same size: %d %q, want 422", when, status, answer)
		}
		if status, answer, _ := w.post(t, "old 0\n\n"+string(first)); status != http.StatusConflict || answer != "10\n" {
			t.Fatalf("%s: smaller tree: %d %q, want 409 10", when, status, answer)
		}
	}
	refusesRewrites("running")

	// After a restart from its directory the witness still refuses both,
	// and still cosigns the true log's growth from where it was.
	verifierKey := w.witness.VerifierKey()
	w.stop()
	w = startWitness(t, dir, keys.Verifier)
	if w.witness.VerifierKey() != verifierKey {
		t.Fatalf("the witness's key changed across the restart: %s, was %s", w.witness.VerifierKey(), verifierKey)
	}
	refusesRewrites("after a restart")
	log.append("true", 11, 15)
	grown := log.signed()
	lines, err = NewClient(w.server.URL, w.verifier).Cosign(ctx, grown, log.tree)
	if err != nil {
		t.Fatalf("after a restart, the true log's growth: %v", err)
	}
	openCosigned(t, grown, lines, w.verifier)

	// The key and the record of each log are the witness's alone.
	for _, pattern := range []string{signingKeyFile, logsDir + "/*.json"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		if len(matches) == 0 {
			t.Fatalf("no %s in the witness directory", pattern)
		}
		for _, path := range matches {
			if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %v %v, want mode 0600", path, info.Mode(), err)
			}
		}
	}
}

func TestWitnessRefusesUnknownLogsAndBadRequests(t *testing.T) {
	keys := newKeys(t)
	w := startWitness(t, t.TempDir(), keys.Verifier)
	log := newTestLog(t, keys).append("true", 1, 4)
	signed := string(log.signed())

	// Another ledger's key under the same origin is no known log's.
	other := newTestLog(t, newKeys(t)).append("other", 1, 4)
	if status, _, _ := w.post(t, "old 0\n\n"+string(other.signed())); status != http.StatusForbidden {
		t.Fatalf("a checkpoint signed by an unknown key: %d, want 403", status)
	}
	// A forged signature by the known key.
	forged := strings.Replace(signed, "\n4\n", "\n5\n", 1)
	if status, _, _ := w.post(t, "old 0\n\n"+forged); status != http.StatusForbidden {
		t.Fatalf("a checkpoint whose signature fails: %d, want 403", status)
	}
	unknownOrigin := strings.Replace(signed, integrity.Origin+"\n", "example.com/log\n", 1)
	if status, _, _ := w.post(t, "old 0\n\n"+unknownOrigin); status != http.StatusNotFound {
		t.Fatalf("an unknown origin: %d, want 404", status)
	}
	for _, body := range []string{"\n\n" + signed, "old 01\n\n" + signed, "old 0\nnot-base64\n\n" + signed, "old 0\n" + signed} {
		if status, _, _ := w.post(t, body); status != http.StatusBadRequest {
			t.Fatalf("malformed body %q: %d, want 400", body[:12], status)
		}
	}
	if status, _, _ := w.post(t, "old 0\n\n"+signed+strings.Repeat("x", requestBytesMax)); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over %d bytes: %d, want 413", requestBytesMax, status)
	}
	hashLine := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	if status, _, _ := w.post(t, "old 1\n"+strings.Repeat(hashLine, proofLinesMax+1)+"\n"+signed); status != http.StatusBadRequest {
		t.Fatalf("%d proof lines: %d, want 400", proofLinesMax+1, status)
	}
	// A proof from the empty tree must be empty.
	if status, _, _ := w.post(t, "old 0\n"+hashLine+"\n"+signed); status != http.StatusUnprocessableEntity {
		t.Fatalf("a proof from size 0: %d, want 422", status)
	}
	// Nothing was cosigned by any of these.
	if status, answer, _ := w.post(t, "old 0\n\n"+signed); status != http.StatusOK || !strings.HasPrefix(answer, "— witness.example/w1 ") {
		t.Fatalf("the log's first checkpoint after the refusals: %d %q", status, answer)
	}
}

func TestWitnessDirectoryHasOneProcess(t *testing.T) {
	keys := newKeys(t)
	dir := t.TempDir()
	first := startWitness(t, dir, keys.Verifier)
	if _, err := Open(Config{Dir: dir, Name: "witness.example/w1", Logs: []note.Verifier{keys.Verifier}}); !errors.Is(err, ErrDirInUse) {
		t.Fatalf("a second witness on the directory: %v, want %v", err, ErrDirInUse)
	}
	// Once the first stopped, the directory opens again, with the key it
	// holds: a new name does not make a new key.
	first.stop()
	again, err := Open(Config{Dir: dir, Name: "renamed.example/w2", Logs: []note.Verifier{keys.Verifier}})
	if err != nil {
		t.Fatalf("the directory after the first witness stopped: %v", err)
	}
	defer again.Close()
	if again.Name() != "witness.example/w1" || again.VerifierKey() != first.witness.VerifierKey() {
		t.Fatalf("reopened as %s with key %s, want the first key %s", again.Name(), again.VerifierKey(), first.witness.VerifierKey())
	}
}

func TestNewVerifierRefusesALedgerKey(t *testing.T) {
	if _, err := NewVerifier(newKeys(t).VerifierKey); !errors.Is(err, ErrBadKey) {
		t.Fatalf("a ledger's Ed25519 note key as a witness key: %v, want %v", err, ErrBadKey)
	}
}

func TestPolicyCountsValidCosignaturesOnly(t *testing.T) {
	keys := newKeys(t)
	w := startWitness(t, t.TempDir(), keys.Verifier)
	log := newTestLog(t, keys).append("true", 1, 3)
	signed := log.signed()
	lines, err := NewClient(w.server.URL, w.verifier).Cosign(context.Background(), signed, log.tree)
	if err != nil {
		t.Fatal(err)
	}
	cosigned := append(bytes.Clone(signed), lines...)
	other, err := LoadOrCreateSigner(t.TempDir(), "other.example/witness")
	if err != nil {
		t.Fatal(err)
	}

	policy := integrity.WitnessPolicy{Witnesses: []note.Verifier{w.verifier, other.Verifier(), w.verifier}, Quorum: 1}
	if cosigners, err := policy.Check(cosigned); err != nil || strings.Join(cosigners, ",") != "witness.example/w1" {
		t.Fatalf("quorum 1: %v %v", cosigners, err)
	}
	// The same witness named twice counts once.
	policy.Quorum = 2
	if _, err := policy.Check(cosigned); !errors.Is(err, integrity.ErrWitnessQuorum) || !strings.Contains(err.Error(), "no cosignature of other.example/witness+") {
		t.Fatalf("quorum 2 with one cosignature: %v, want %v naming the other witness", err, integrity.ErrWitnessQuorum)
	}
	// A cosignature line of a policy key that does not verify is named.
	policy.Quorum = 1
	forged := bytes.Replace(cosigned, []byte("\n3\n"), []byte("\n4\n"), 1)
	if _, err := policy.Check(forged); err == nil || !strings.Contains(err.Error(), "the cosignature of witness witness.example/w1 does not verify") {
		t.Fatalf("a cosignature over another checkpoint: %v", err)
	}
	// The bare checkpoint has none.
	if _, err := policy.Check(signed); !errors.Is(err, integrity.ErrWitnessQuorum) {
		t.Fatalf("no cosignature: %v, want %v", err, integrity.ErrWitnessQuorum)
	}
}

// Checking a request against the remembered size and remembering the new
// one happen together: of requests racing from every size to the next, the
// witness ends at the largest it cosigned, never rolled back.
func TestWitnessNeverRollsBackUnderConcurrentRequests(t *testing.T) {
	keys := newKeys(t)
	w := startWitness(t, t.TempDir(), keys.Verifier)
	const sizeMax = 24
	log := newTestLog(t, keys)
	bodies := make([]string, sizeMax+1)
	for size := 1; size <= sizeMax; size++ {
		log.append("true", size, size)
		body := fmt.Sprintf("old %d\n", size-1)
		if size > 1 {
			proof, err := log.tree.ProveConsistency(int64(size), int64(size-1))
			if err != nil {
				t.Fatal(err)
			}
			for _, hash := range proof {
				body += hash.String() + "\n"
			}
		}
		bodies[size] = body + "\n" + string(log.signed())
	}
	type answer struct{ size, status int }
	answers := make(chan answer, sizeMax)
	for size := 1; size <= sizeMax; size++ {
		go func() {
			response, err := http.Post(w.server.URL+"/add-checkpoint", "text/plain", strings.NewReader(bodies[size]))
			if err != nil {
				answers <- answer{size, 0}
				return
			}
			response.Body.Close()
			answers <- answer{size, response.StatusCode}
		}()
	}
	largest := 0
	for range sizeMax {
		got := <-answers
		switch got.status {
		case http.StatusOK:
			largest = max(largest, got.size)
		case http.StatusConflict:
		default:
			t.Fatalf("size %d: %d, want 200 or 409", got.size, got.status)
		}
	}
	if largest == 0 {
		t.Fatal("no request was cosigned")
	}
	// The witness holds the largest size it cosigned: a request from it
	// is answered 409 with exactly that size.
	if status, body, _ := w.post(t, "old 0\n\n"+bodies[1][strings.Index(bodies[1], "\n\n")+2:]); status != http.StatusConflict || body != fmt.Sprintf("%d\n", largest) {
		t.Fatalf("after the race the witness holds %q (%d), want %d", body, status, largest)
	}
}
