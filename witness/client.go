package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
)

// Limits of the client, unit last.
const (
	// requestTimeoutSeconds bounds one add-checkpoint call: a witness that
	// does not answer delays the checkpoint, never stops it.
	requestTimeoutSeconds = 10
	// responseBytesMax bounds a witness's answer: signature lines, or a
	// size, or a short reason.
	responseBytesMax = 16 << 10
)

// WitnessesMax bounds the witnesses a ledger names: each adds a signature
// line to every stored checkpoint, and golang.org/x/mod/sumdb/note opens
// a note of at most 100 signatures.
const WitnessesMax = 32

// Prover proves the tree of size newer extends the one of size older
// (integrity.Tree does).
type Prover interface {
	ProveConsistency(newer, older int64) (tlog.TreeProof, error)
}

// Errors of a witness's answer.
var (
	// ErrWitnessAhead says the witness cosigned a larger tree than the
	// checkpoint: the log lost events, or another log signs with its key.
	ErrWitnessAhead = errors.New("the witness cosigned a larger tree")
	// ErrRefused is any other refusal.
	ErrRefused = errors.New("the witness refused the checkpoint")
)

// Client asks one witness to cosign checkpoints. It remembers the size
// the witness last cosigned, learning it from a 409 answer after a
// restart.
type Client struct {
	// URL is the witness's submission prefix.
	URL      string
	Verifier note.Verifier
	HTTP     *http.Client

	mu   sync.Mutex
	size int64
}

// NewClient is a client of the witness at url whose cosignature key is
// verifier.
func NewClient(url string, verifier note.Verifier) *Client {
	return &Client{URL: strings.TrimSuffix(url, "/"), Verifier: verifier, HTTP: http.DefaultClient}
}

// Cosign sends the signed checkpoint with a consistency proof from the
// tree the witness last cosigned, and returns the witness's verified
// cosignature lines. A 409 answer (the witness holds another size) is
// retried once from the size it names.
func (c *Client) Cosign(ctx context.Context, signed []byte, prover Prover) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	text := noteText(signed)
	checkpoint, err := torchwood.ParseCheckpoint(text)
	if err != nil {
		return nil, fmt.Errorf("witness %s: not a checkpoint: %w", c.URL, err)
	}
	old := c.size
	for attempt := 0; ; attempt++ {
		if old > checkpoint.N {
			return nil, fmt.Errorf("witness %s has cosigned a tree of %d events, this checkpoint has %d: %w", c.URL, old, checkpoint.N, ErrWitnessAhead)
		}
		var proof tlog.TreeProof
		if old > 0 && old < checkpoint.N {
			if proof, err = prover.ProveConsistency(checkpoint.N, old); err != nil {
				return nil, fmt.Errorf("witness %s: consistency proof from %d to %d: %w", c.URL, old, checkpoint.N, err)
			}
		}
		status, answer, err := c.post(ctx, old, proof, signed)
		if err != nil {
			return nil, err
		}
		switch {
		case status == http.StatusOK:
			lines, err := c.verified(text, answer)
			if err != nil {
				return nil, err
			}
			c.size = checkpoint.N
			return lines, nil
		case status == http.StatusConflict && attempt == 0:
			size, err := strconv.ParseInt(strings.TrimSuffix(string(answer), "\n"), 10, 64)
			if err != nil || size < 0 {
				return nil, fmt.Errorf("witness %s: 409 without a size: %q: %w", c.URL, answer, ErrRefused)
			}
			old, c.size = size, size
		default:
			return nil, fmt.Errorf("witness %s answered %d: %s: %w", c.URL, status, strings.TrimSpace(string(answer)), ErrRefused)
		}
	}
}

// post sends one add-checkpoint request.
func (c *Client) post(ctx context.Context, old int64, proof tlog.TreeProof, signed []byte) (int, []byte, error) {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", old)
	for _, hash := range proof {
		fmt.Fprintf(&body, "%s\n", base64.StdEncoding.EncodeToString(hash[:]))
	}
	body.WriteString("\n")
	body.Write(signed)
	ctx, cancel := context.WithTimeout(ctx, requestTimeoutSeconds*time.Second)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/add-checkpoint", &body)
	if err != nil {
		return 0, nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	response, err := c.HTTP.Do(request)
	if err != nil {
		return 0, nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	defer response.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(response.Body, responseBytesMax))
	if err != nil {
		return 0, nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	return response.StatusCode, answer, nil
}

// verified keeps the answer's signature lines by this witness's key that
// verify over the checkpoint; a witness must answer at least one.
func (c *Client) verified(text string, answer []byte) ([]byte, error) {
	var lines []byte
	for line := range strings.Lines(string(answer)) {
		opened, err := note.Open([]byte(text+"\n"+line), note.VerifierList(c.Verifier))
		if err == nil && len(opened.Sigs) == 1 {
			lines = append(lines, line...)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("witness %s answered no valid cosignature by %s: %w", c.URL, c.Verifier.Name(), ErrRefused)
	}
	return lines, nil
}

// noteText is a signed note's text, without its signatures.
func noteText(signed []byte) string {
	if i := bytes.LastIndex(signed, []byte("\n\n")); i >= 0 {
		return string(signed[:i+1])
	}
	return string(signed)
}

// Witnesses are the witnesses a ledger sends its checkpoints to.
type Witnesses []*Client

// Cosign asks every witness at once and returns the checkpoint with every
// cosignature it got appended, and why the others gave none.
func (ws Witnesses) Cosign(ctx context.Context, signed []byte, prover Prover) ([]byte, error) {
	lines := make([][]byte, len(ws))
	errs := make([]error, len(ws))
	var wait sync.WaitGroup
	for i, client := range ws {
		wait.Go(func() { lines[i], errs[i] = client.Cosign(ctx, signed, prover) })
	}
	wait.Wait()
	cosigned := bytes.Clone(signed)
	for _, line := range lines {
		cosigned = append(cosigned, line...)
	}
	return cosigned, errors.Join(errs...)
}

// Cosigner is what the ledger calls with each new checkpoint: a witness
// that fails is logged, and the checkpoint is stored with the
// cosignatures the others gave.
func (ws Witnesses) Cosigner(logger *slog.Logger) integrity.Cosigner {
	if len(ws) == 0 {
		return nil
	}
	return func(ctx context.Context, signed []byte, tree *integrity.Tree) []byte {
		cosigned, err := ws.Cosign(ctx, signed, tree)
		if err != nil {
			logger.Warn("witness", "error", err)
		}
		return cosigned
	}
}
