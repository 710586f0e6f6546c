package integrity

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// InclusionProof shows that one stored event is in the log a signed
// checkpoint commits to. Anyone with the verifier key can check it offline.
type InclusionProof struct {
	// Checkpoint is the signed checkpoint note.
	Checkpoint string `json:"checkpoint"`
	// Position is the event's log position (leaf Position-1).
	Position uint64 `json:"position"`
	// StoredEvent is the event exactly as stored, base64: the leaf hashes
	// these bytes.
	StoredEvent string `json:"stored_event"`
	// Proof is the RFC 6962 audit path, leaf to root.
	Proof []tlog.Hash `json:"proof"`
}

// ProveInclusion builds the proof of the event at position against a signed
// checkpoint whose size covers it.
func ProveInclusion(tree *Tree, signed []byte, checkpoint Checkpoint, position uint64, stored []byte) (InclusionProof, error) {
	if position == 0 || int64(position) > checkpoint.Size {
		return InclusionProof{}, fmt.Errorf("position %d is not covered by the checkpoint of size %d; run ledger checkpoint", position, checkpoint.Size)
	}
	proof, err := tree.ProveInclusion(checkpoint.Size, int64(position)-1)
	if err != nil {
		return InclusionProof{}, err
	}
	return InclusionProof{Checkpoint: string(signed), Position: position,
		StoredEvent: base64.StdEncoding.EncodeToString(stored), Proof: proof}, nil
}

// Check verifies the proof with nothing but the verifier key, and returns
// the checkpoint it was checked against and the stored event.
func (p InclusionProof) Check(verifier note.Verifier) (Checkpoint, []byte, error) {
	checkpoint, err := OpenCheckpoint([]byte(p.Checkpoint), verifier)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	stored, err := base64.StdEncoding.DecodeString(p.StoredEvent)
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("stored event: %w", err)
	}
	if p.Position == 0 || int64(p.Position) > checkpoint.Size {
		return Checkpoint{}, nil, fmt.Errorf("position %d is outside the checkpoint's %d events", p.Position, checkpoint.Size)
	}
	if err := tlog.CheckRecord(p.Proof, checkpoint.Size, checkpoint.Root, int64(p.Position)-1, tlog.RecordHash(stored)); err != nil {
		return Checkpoint{}, nil, fmt.Errorf("the event is not in the log the checkpoint commits to: %w", err)
	}
	return checkpoint, stored, nil
}

// ConsistencyProof shows that the log a newer checkpoint commits to extends
// the one an older checkpoint commits to: nothing before was rewritten.
type ConsistencyProof struct {
	Older string      `json:"older"`
	Newer string      `json:"newer"`
	Proof []tlog.Hash `json:"proof"`
}

// ProveConsistency builds the proof between two signed checkpoints.
func ProveConsistency(tree *Tree, olderSigned []byte, older Checkpoint, newerSigned []byte, newer Checkpoint) (ConsistencyProof, error) {
	proof, err := tree.ProveConsistency(newer.Size, older.Size)
	if err != nil {
		return ConsistencyProof{}, err
	}
	return ConsistencyProof{Older: string(olderSigned), Newer: string(newerSigned), Proof: proof}, nil
}

// Check verifies both signatures and the proof.
func (p ConsistencyProof) Check(verifier note.Verifier) error {
	older, err := OpenCheckpoint([]byte(p.Older), verifier)
	if err != nil {
		return fmt.Errorf("older checkpoint: %w", err)
	}
	newer, err := OpenCheckpoint([]byte(p.Newer), verifier)
	if err != nil {
		return fmt.Errorf("newer checkpoint: %w", err)
	}
	if older.Size > newer.Size {
		return fmt.Errorf("the older checkpoint (%d) is larger than the newer (%d)", older.Size, newer.Size)
	}
	if older.Size == 0 {
		return nil
	}
	if err := tlog.CheckTree(p.Proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("the newer log does not extend the older: %w", err)
	}
	return nil
}

// MarshalIndent renders a proof for a file.
func MarshalIndent(value any) ([]byte, error) { return json.MarshalIndent(value, "", "  ") }
