package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/natsjs"
	"github.com/ordos-union/ledger/projections"
)

// forgedTotalsState is the totals state a forger writes: one cell,
// 150626 received 8,888,888.00 yuan, at position.
func forgedTotalsState(t *testing.T, position uint64) []byte {
	t.Helper()
	forged := projections.NewTotalsProjection()
	event := domain.Event{Type: domain.TypeDonationReceived, County: "150626", OccurredAt: time.Date(2022, 6, 20, 10, 0, 0, 0, domain.Beijing),
		Aggregate: domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "2022-summer-cooling"},
		Data: domain.DonationReceived{DonationID: "FORGED", Campaign: "2022-summer-cooling", DonorKind: "enterprise", DonorOrg: "forger",
			Form: domain.FormMoney, Amount: 888888800}}
	if err := forged.Apply(context.Background(), eventstore.Record{Position: position, Event: event}, nil); err != nil {
		t.Fatal(err)
	}
	state, err := forged.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// forgeBucket writes a forged totals checkpoint into the stopped data
// directory's LEDGER_PROJECTIONS, as `nats kv put LEDGER_PROJECTIONS
// totals` with the runtime credential does: the genuine checkpoint with
// the forger's state and a checksum that matches it.
func forgeBucket(t *testing.T, dir string) {
	t.Helper()
	rewrite(t, dir, func(ctx context.Context, js jetstream.JetStream, _ *nats.Conn, _ []natsjs.RawMessage) {
		bucket, err := js.KeyValue(ctx, natsjs.CheckpointBucket)
		if err != nil {
			t.Fatal(err)
		}
		entry, err := bucket.Get(ctx, "totals")
		if err != nil {
			t.Fatal(err)
		}
		checkpoint, err := eventstore.DecodeCheckpoint("totals", entry.Value())
		if err != nil {
			t.Fatal(err)
		}
		checkpoint.State = forgedTotalsState(t, checkpoint.Position)
		checkpoint.StateSHA256 = projections.StateDigest(checkpoint.State)
		value, err := eventstore.EncodeCheckpoint(checkpoint)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bucket.Put(ctx, "totals", value); err != nil {
			t.Fatal(err)
		}
	})
}

// The attack through the bucket, as the review ran it: the checkpoint
// forged with the runtime credential. `ledger doctor` and `ledger verify`
// fold the log to its position and say which figure is forged and that
// `ledger repair` mends it; `ledger totals` serves the log's figures
// meanwhile (and saves a sealed checkpoint of them); `ledger repair`
// mends a forged one, after which the doctor says all is well.
func TestForgedBucketCheckpointIsCaught(t *testing.T) {
	dir := copyDataDir(t, verifiedDataDir(t))
	original := runLedger(t, "", "totals", "--data", dir, "--county", "150626", "--format", "json")
	original.expect(t, 0)
	runLedger(t, "", "doctor", "--data", dir).expect(t, 0, "ok       projection checkpoint (totals): at position 121 of 121, sealed", "all well")

	forgeBucket(t, dir)
	runLedger(t, "", "doctor", "--data", dir).expect(t, 1, "PROBLEM  projection checkpoint (totals): at position 121 of 121",
		"received is 8888888.00 in the checkpoint", "its seal does not hold", "repair: `ledger repair`")
	runLedger(t, "", "verify", "--data", dir).expect(t, 1, "projection checkpoint (totals) at position 121 of 121",
		"received is 8888888.00 in the checkpoint", "`ledger repair`", "verification failed")
	served := runLedger(t, "", "totals", "--data", dir, "--county", "150626", "--format", "json")
	served.expect(t, 0)
	if served.stdout != original.stdout || strings.Contains(served.stdout, "8888888.00") {
		t.Fatalf("totals after the forgery:\n%s\nwant\n%s", served.stdout, original.stdout)
	}
	runLedger(t, "", "doctor", "--data", dir).expect(t, 0, "all well")

	forgeBucket(t, dir)
	runLedger(t, "", "repair", "--data", dir).expect(t, 0, "rebuilt the totals from the log and saved their checkpoint, sealed", "all well")
	runLedger(t, "", "verify", "--data", dir).expect(t, 0, "OK: 121 events",
		"projection checkpoint (totals) at position 121 of 121, sealed, and the log folded to that position gives its figures")
}

// encryptInto writes content into the backup file name, encrypted to
// recipient: all a forger of a backup needs.
func encryptInto(t *testing.T, dir, name, recipient string, content []byte) {
	t.Helper()
	parsed, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	writer, err := age.Encrypt(&sealed, parsed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), sealed.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The attack through a backup, as the review ran it: with only the
// backup's public recipient, a forged projection checkpoint at the clear
// manifest's head is encrypted into the backup. A signed backup with it
// is refused whole (its manifest does not list it); an old, unsigned one
// restores with a warning, its projection checkpoint ignored. Either way
// no restored ledger serves the forged figures, and the doctor says all
// is well. `restore --key` checks the backup's signature against the
// ledger's verifier key: it passes for the ledger's own backup and
// refuses one made with another key, and an unsigned one; without --key
// restore says that it checked only the backup's own key.
func TestForgedBackupIsNotRestored(t *testing.T) {
	dir := verifiedDataDir(t)
	original := runLedger(t, "", "totals", "--data", dir, "--format", "json")
	original.expect(t, 0)
	key := strings.TrimSpace(runLedger(t, "", "pubkey", "--data", dir).stdout)
	identity := filepath.Join(t.TempDir(), "backup.identity")
	recipient := strings.TrimSpace(runLedger(t, "", "backup-key", "--out", identity).stdout)
	saved := filepath.Join(t.TempDir(), "bk")
	runLedger(t, "", "backup", saved, "--data", dir, "--recipient", recipient, "--with-signing-key").expect(t, 0, "backed up 121 events",
		"signed with the checkpoint signing key")
	if _, err := os.Stat(filepath.Join(saved, "projections.json.age")); !os.IsNotExist(err) {
		t.Fatalf("the backup holds projection checkpoints (%v)", err)
	}
	restoredTotals := func(restored string) {
		t.Helper()
		copied := runLedger(t, "", "totals", "--data", restored, "--format", "json")
		copied.expect(t, 0)
		if copied.stdout != original.stdout {
			t.Fatalf("totals of the restored ledger:\n%s\nwant the original's\n%s", copied.stdout, original.stdout)
		}
		runLedger(t, "", "doctor", "--data", restored).expect(t, 0, "all well")
	}

	withKey := filepath.Join(t.TempDir(), "with-key")
	runLedger(t, "", "restore", saved, "--data", withKey, "--identity", identity, "--key", key).expect(t, 0,
		"the backup is signed with "+keyID(key)+":", "restored 121 events and 1 checkpoint\n",
		"folded the totals from the restored log to position 121 and saved their checkpoint, sealed", "OK: 121 events")
	restoredTotals(withKey)
	withoutKey := filepath.Join(t.TempDir(), "without-key")
	runLedger(t, "", "restore", saved, "--data", withoutKey, "--identity", identity).expect(t, 0,
		"checked only against the backup's own verifier key, which proves nothing about who made the backup", "OK: 121 events")

	// A projection checkpoint put into the signed backup.
	manifest, err := os.ReadFile(filepath.Join(saved, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var head struct{ Head uint64 }
	if err := json.Unmarshal(manifest, &head); err != nil {
		t.Fatal(err)
	}
	state := forgedTotalsState(t, head.Head)
	forged, err := json.Marshal([]eventstore.Checkpoint{{Name: "totals", Version: projections.TotalsVersion, Position: head.Head,
		SavedAt: time.Now().UTC(), State: state, StateSHA256: projections.StateDigest(state)}})
	if err != nil {
		t.Fatal(err)
	}
	encryptInto(t, saved, "projections.json.age", recipient, forged)
	runLedger(t, "", "restore", saved, "--data", filepath.Join(t.TempDir(), "d3"), "--identity", identity).expect(t, 1,
		"projections.json.age is not among the files the manifest lists")

	// The same backup as a ledger before signed backups wrote it: no
	// signature, no list of files, and projection checkpoints.
	var fields map[string]any
	if err := json.Unmarshal(manifest, &fields); err != nil {
		t.Fatal(err)
	}
	delete(fields, "files")
	fields["projections"] = 1
	old, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(saved, "manifest.json"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(saved, "manifest.sig")); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "restore", saved, "--data", filepath.Join(t.TempDir(), "refused"), "--identity", identity, "--key", key).expect(t, 1,
		"the backup is not signed", "nothing ties it to --key")
	unsigned := filepath.Join(t.TempDir(), "unsigned")
	runLedger(t, "", "restore", saved, "--data", unsigned, "--identity", identity).expect(t, 0, "the backup is not signed",
		"the backup's 1 projection checkpoint was not restored", "OK: 121 events")
	restoredTotals(unsigned)

	// A whole backup made by another ledger, with a key of its own.
	other := filepath.Join(t.TempDir(), "other")
	runLedger(t, "", "demo", "--data", other).expect(t, 0)
	runLedger(t, "", "checkpoint", "--data", other).expect(t, 0)
	forgedBackup := filepath.Join(t.TempDir(), "forged")
	runLedger(t, "", "backup", forgedBackup, "--data", other, "--recipient", recipient).expect(t, 0)
	// Both keys are named ordos-union-ledger: the refusal tells them apart
	// by their hashes, where it said "manifest.sig does not open with the
	// key ordos-union-ledger: note has no verifiable signatures" before.
	otherKey := strings.TrimSpace(runLedger(t, "", "pubkey", "--data", other).stdout)
	forgedOut := runLedger(t, "", "restore", forgedBackup, "--data", filepath.Join(t.TempDir(), "e"), "--identity", identity, "--key", key)
	forgedOut.expect(t, 1, "the backup is signed with the key "+keyID(otherKey)+", not with --key "+keyID(key)+":",
		"the backup is another ledger's, or --key is")
	if strings.Contains(forgedOut.stderr, "verifiable") || keyID(otherKey) == keyID(key) {
		t.Errorf("the refusal speaks the library's words, or the keys are one:\n%s", forgedOut.stderr)
	}
}

// keyID is a verifier key's name and hash, the part of its text that
// tells one ledger's key from another's ("ordos-union-ledger+22e1c02a").
func keyID(verifierKey string) string {
	parts := strings.SplitN(verifierKey, "+", 3)
	if len(parts) < 3 {
		return verifierKey
	}
	return parts[0] + "+" + parts[1]
}
