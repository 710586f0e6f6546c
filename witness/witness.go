package witness

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"filippo.io/torchwood"
	"github.com/gofrs/flock"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Limits of a request, unit last.
const (
	// requestBytesMax bounds an add-checkpoint body: the old size, at most
	// proofLinesMax hashes and a checkpoint note with its signatures.
	requestBytesMax = 64 << 10
	// proofLinesMax is the specification's bound on consistency proof
	// lines: a proof between trees of up to 2^63 leaves needs no more.
	proofLinesMax = 63
)

// ContentTypeSize is the type of a 409 answer's body: the witness's size.
const ContentTypeSize = "text/x.tlog.size"

// Config says who a witness is and which logs it witnesses.
type Config struct {
	// Dir keeps the witness's key and its record of every log.
	Dir string
	// Name is the witness key's name, made at first start.
	Name string
	// Logs are the verifier keys of the logs it witnesses; a log's origin
	// is its key's name, as the ledger signs. No two keys may share an
	// origin (ErrSharedOrigin).
	Logs   []note.Verifier
	Logger *slog.Logger
}

// Witness cosigns checkpoints of the logs it knows (an http.Handler
// answering POST /add-checkpoint). Checking a checkpoint against the
// remembered one and remembering the new one happen under one lock, and
// the record is on disk before the cosignature is answered.
type Witness struct {
	dir    string
	signer *torchwood.CosignatureSigner
	// logs are the known logs by origin, one key each: see ErrSharedOrigin.
	logs   map[string]note.Verifier
	logger *slog.Logger
	lock   *flock.Flock

	mu     sync.Mutex
	states map[string]logState
}

// ErrDirInUse says another witness process holds the directory.
var ErrDirInUse = errors.New("witness directory in use")

// ErrSharedOrigin says the witness was given two logs of one origin, or a
// log whose origin its directory already witnessed for another key.
//
// A cosignature covers the checkpoint's text: its origin, size and root,
// never the key that signed it. Whatever the witness cosigned for one
// key of an origin therefore verifies, with that cosignature, for any
// other key of the origin that signs the same text. With the keys kept
// apart (a record per origin and key), a ledger's operator needs only to
// sign another ledger's cosigned checkpoint, or have another known key
// sign a fork first, to show a witnessed fork of their own ledger.
// Checking every key that signed the note does not close this: the
// witness never sees a signature added after it answered.
//
// So, as in c2sp.org/tlog-witness where an origin names one log, one
// witness keeps one history per origin: everything it cosigned for an
// origin is one consistent tree. The ledgers all sign with the origin
// integrity.Origin, so a witness directory (one witness key) witnesses
// one ledger; several ledgers need a witness directory each.
var ErrSharedOrigin = errors.New("one witness witnesses one log per origin")

// Open loads or makes the witness's key and takes its directory: a second
// process on the same records could cosign behind the first one's back.
func Open(config Config) (*Witness, error) {
	if len(config.Logs) == 0 {
		return nil, errors.New("witness: no log to witness: give the verifier key of each")
	}
	if config.Logger == nil {
		config.Logger = slog.New(slog.DiscardHandler)
	}
	// The configuration is checked before the directory is touched.
	logs := map[string]note.Verifier{}
	for _, log := range config.Logs {
		known, ok := logs[log.Name()]
		switch {
		case !ok:
			logs[log.Name()] = log
		case logID(known) != logID(log):
			return nil, fmt.Errorf("witness: the ledger keys %s and %s share the origin %q, and a cosignature does not name the key: "+
				"what the witness cosigned for one would verify for the other (%w); run a witness directory for each", logID(known), logID(log), log.Name(), ErrSharedOrigin)
		}
	}
	signer, err := LoadOrCreateSigner(config.Dir, config.Name)
	if err != nil {
		return nil, err
	}
	lock := flock.New(config.Dir + "/lock")
	held, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock witness directory: %w", err)
	}
	if !held {
		return nil, fmt.Errorf("%s: %w", config.Dir, ErrDirInUse)
	}
	if err := checkRecords(config.Dir, logs); err != nil {
		_ = lock.Unlock()
		return nil, err
	}
	return &Witness{dir: config.Dir, signer: signer, logs: logs, logger: config.Logger, lock: lock, states: map[string]logState{}}, nil
}

// logID names a log by its origin and key hash, as its record does.
func logID(log note.Verifier) string { return fmt.Sprintf("%s+%08x", log.Name(), log.KeyHash()) }

// Close releases the directory.
func (w *Witness) Close() error { return w.lock.Unlock() }

// Name is the witness key's name: the one it was made with, whatever name
// a later start is given.
func (w *Witness) Name() string { return w.signer.Name() }

// VerifierKey is the witness's cosignature verifier key, for auditors.
func (w *Witness) VerifierKey() string { return w.signer.Verifier().String() }

// Handler answers the tlog-witness add-checkpoint call.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.addCheckpoint)
	return mux
}

// refusal is an answer other than a cosignature: the status and why.
type refusal struct {
	status int
	reason string
	// size is the witness's size, for a 409.
	size int64
}

func (r *refusal) Error() string { return r.reason }

func refuse(status int, format string, args ...any) *refusal {
	return &refusal{status: status, reason: fmt.Sprintf(format, args...)}
}

func (w *Witness) addCheckpoint(response http.ResponseWriter, request *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(response, request.Body, requestBytesMax))
	if err != nil {
		http.Error(response, fmt.Sprintf("request body: %v", err), http.StatusRequestEntityTooLarge)
		return
	}
	cosignature, err := w.AddCheckpoint(body)
	var refused *refusal
	switch {
	case errors.As(err, &refused) && refused.status == http.StatusConflict:
		response.Header().Set("Content-Type", ContentTypeSize)
		response.WriteHeader(http.StatusConflict)
		fmt.Fprintf(response, "%d\n", refused.size)
	case errors.As(err, &refused):
		http.Error(response, refused.reason, refused.status)
	case err != nil:
		w.logger.Error("witness", "error", err)
		http.Error(response, "the witness could not record the checkpoint", http.StatusInternalServerError)
	default:
		response.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = response.Write(cosignature)
	}
}

// AddCheckpoint checks an add-checkpoint request body ("old <size>", the
// consistency proof's hashes one a line, an empty line and the signed
// checkpoint) and answers the witness's cosignature line. A refusal
// carries the HTTP status the specification gives it.
func (w *Witness) AddCheckpoint(body []byte) ([]byte, error) {
	old, proof, signed, refused := parseRequest(body)
	if refused != nil {
		return nil, refused
	}
	origin, _, _ := strings.Cut(string(signed), "\n")
	log, ok := w.logs[origin]
	if !ok {
		return nil, refuse(http.StatusNotFound, "unknown log origin %q", origin)
	}
	// The origin's one key must have signed; signatures by other keys,
	// known elsewhere or not, are ignored, as the specification says. The
	// checkpoint is checked against the origin's record whoever else signed
	// it, since the cosignature will verify with any of them.
	opened, err := note.Open(signed, note.VerifierList(log))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, refuse(http.StatusForbidden, "the checkpoint carries no signature of a known key of %q", origin)
	case errors.As(err, &invalid):
		return nil, refuse(http.StatusForbidden, "the checkpoint's signature by %s does not verify", invalid.Name)
	case err != nil:
		return nil, refuse(http.StatusBadRequest, "the checkpoint is no signed note: %v", err)
	}
	checkpoint, err := torchwood.ParseCheckpoint(opened.Text)
	if err != nil || checkpoint.Origin != origin {
		return nil, refuse(http.StatusBadRequest, "the note is no checkpoint")
	}
	if old > checkpoint.N {
		return nil, refuse(http.StatusBadRequest, "old size %d is larger than the checkpoint's %d", old, checkpoint.N)
	}
	if checkpoint.N == 0 && checkpoint.Hash != emptyTreeHash() {
		return nil, refuse(http.StatusUnprocessableEntity, "a checkpoint of size 0 must have the empty tree's hash")
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	path := stateFile(w.dir, origin, log)
	state, err := w.state(path)
	if err != nil {
		return nil, err
	}
	if old != state.Size {
		return nil, &refusal{status: http.StatusConflict, size: state.Size,
			reason: fmt.Sprintf("the witness has cosigned a tree of %d, not %d", state.Size, old)}
	}
	switch {
	case old == 0 && len(proof) > 0:
		return nil, refuse(http.StatusUnprocessableEntity, "a proof from the empty tree must be empty")
	case old == checkpoint.N && checkpoint.Hash != state.Root:
		w.logger.Warn("witness: same size, different root", "origin", origin, "size", old)
		return nil, refuse(http.StatusUnprocessableEntity, "the tree of %d the witness cosigned has another root: the history was rewritten", old)
	case old > 0 && old < checkpoint.N:
		if err := tlog.CheckTree(proof, checkpoint.N, checkpoint.Hash, old, state.Root); err != nil {
			w.logger.Warn("witness: inconsistent checkpoint", "origin", origin, "old", old, "size", checkpoint.N, "error", err)
			return nil, refuse(http.StatusUnprocessableEntity, "the checkpoint is not consistent with the tree of %d the witness cosigned: %v", old, err)
		}
	}
	line, err := w.cosign(opened.Text)
	if err != nil {
		return nil, err
	}
	next := logState{Origin: origin, LogKey: logID(log), Size: checkpoint.N,
		Root: checkpoint.Hash, Checkpoint: string(signed) + string(line)}
	if err := next.save(path); err != nil {
		return nil, err
	}
	w.states[path] = next
	return line, nil
}

// state is the remembered state of the log at path, read from disk at its
// first use.
func (w *Witness) state(path string) (logState, error) {
	if state, ok := w.states[path]; ok {
		return state, nil
	}
	state, _, err := loadState(path)
	if err != nil {
		return logState{}, err
	}
	w.states[path] = state
	return state, nil
}

// cosign is the witness's signature line over the checkpoint's text.
func (w *Witness) cosign(text string) ([]byte, error) {
	signature, err := w.signer.Sign([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("cosign: %w", err)
	}
	prefixed := binary.BigEndian.AppendUint32(nil, w.signer.KeyHash())
	return fmt.Appendf(nil, "— %s %s\n", w.signer.Name(), base64.StdEncoding.EncodeToString(append(prefixed, signature...))), nil
}

// parseRequest splits an add-checkpoint body.
func parseRequest(body []byte) (old int64, proof tlog.TreeProof, signed []byte, refused *refusal) {
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	value, isOld := strings.CutPrefix(string(line), "old ")
	if !ok || !isOld {
		return 0, nil, nil, refuse(http.StatusBadRequest, "the body must start with an \"old <size>\" line")
	}
	old, err := strconv.ParseInt(value, 10, 64)
	if err != nil || old < 0 || strconv.FormatInt(old, 10) != value {
		return 0, nil, nil, refuse(http.StatusBadRequest, "old size %q", value)
	}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return 0, nil, nil, refuse(http.StatusBadRequest, "the proof must end with an empty line")
		}
		if len(line) == 0 {
			return old, proof, rest, nil
		}
		if len(proof) == proofLinesMax {
			return 0, nil, nil, refuse(http.StatusBadRequest, "more than %d proof lines", proofLinesMax)
		}
		hash, err := base64.StdEncoding.DecodeString(string(line))
		if err != nil || len(hash) != tlog.HashSize {
			return 0, nil, nil, refuse(http.StatusBadRequest, "proof line %d is no base64 hash", len(proof)+1)
		}
		proof = append(proof, tlog.Hash(hash))
	}
}

// emptyTreeHash is RFC 6962's hash of the empty tree: SHA-256 of nothing.
func emptyTreeHash() tlog.Hash {
	hash, _ := tlog.TreeHash(0, nil)
	return hash
}
