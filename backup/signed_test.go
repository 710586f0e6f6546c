package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/backup"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/projections"
)

// backedUp is a ledger of two donations (1,000.00 yuan to 150626) with a
// signed checkpoint, backed up encrypted to a new age key pair: what the
// backup's owner holds, and what anyone may know (its public recipient).
type backedUp struct {
	dir        string
	identities []age.Identity
	recipient  string
	verifier   string
}

func backUp(t *testing.T, withSigningKey bool) backedUp {
	t.Helper()
	ctx := context.Background()
	original, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer original.Close()
	if _, err := original.App.Record(ctx, []domain.Event{eventstoretest.Donation("general", "150626", "D-1", 100000),
		eventstoretest.Donation("general", "150622", "D-2", 70000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := original.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The totals are read once, so the ledger holds a projection
	// checkpoint for a backup to carry (the old ones did).
	if _, err := original.App.Totals(ctx, app.TotalsRequest{}); err != nil {
		t.Fatal(err)
	}
	keys, err := original.Keys()
	if err != nil {
		t.Fatal(err)
	}
	identity, recipient, err := backup.NewIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	identities, err := age.ParseIdentities(strings.NewReader(identity))
	if err != nil {
		t.Fatal(err)
	}
	recipients, err := backup.ParseRecipient(recipient)
	if err != nil {
		t.Fatal(err)
	}
	saved := backedUp{dir: filepath.Join(t.TempDir(), "backup"), identities: identities, recipient: recipient, verifier: keys.VerifierKey}
	if _, err := backup.Write(ctx, original, saved.dir, backup.Options{Recipients: recipients, WithSigningKey: withSigningKey}); err != nil {
		t.Fatal(err)
	}
	return saved
}

// encryptTo writes content into path encrypted to the backup's public
// recipient: all a forger needs.
func (b backedUp) encryptTo(t *testing.T, name string, content []byte) {
	t.Helper()
	recipients, err := backup.ParseRecipient(b.recipient)
	if err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	writer, err := age.Encrypt(&sealed, recipients...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name), sealed.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// forgedProjections is a backup's projection checkpoints as the forger
// writes them from the clear manifest's head: the totals with one cell,
// 150626 received 8,888,888.00 yuan.
func forgedProjections(t *testing.T, dir string) []byte {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest backup.Manifest
	if err := json.Unmarshal(content, &manifest); err != nil {
		t.Fatal(err)
	}
	forged := projections.NewTotalsProjection()
	donation := eventstoretest.Donation("general", "150626", "FORGED", 888888800)
	donation.Aggregate = domain.AggregateRef{Kind: domain.AggregateCampaign, ID: "general"}
	if err := forged.Apply(context.Background(), eventstore.Record{Position: manifest.Head, Event: donation}, nil); err != nil {
		t.Fatal(err)
	}
	state, err := forged.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	checkpoints, err := json.Marshal([]eventstore.Checkpoint{{Name: "totals", Version: projections.TotalsVersion, Position: manifest.Head,
		SavedAt: time.Now().UTC(), State: state, StateSHA256: projections.StateDigest(state)}})
	if err != nil {
		t.Fatal(err)
	}
	return checkpoints
}

// restoreAndRead restores the backup into a new data directory and
// returns what 150626 received there, and the doctor's problems.
func (b backedUp) restoreAndRead(t *testing.T, opened *backup.Backup) (string, []app.Finding) {
	t.Helper()
	ctx := context.Background()
	config := node.Config{DataDir: filepath.Join(t.TempDir(), "restored"), SyncAlways: true}
	var rebuilt projections.Status
	if err := opened.RestoreLedger(ctx, config, backup.Erasures{}, backup.RestoreSteps{
		Rebuilt: func(status projections.Status) { rebuilt = status }}); err != nil {
		t.Fatal(err)
	}
	if rebuilt.Position != 2 || rebuilt.CheckpointPosition != 2 {
		t.Fatalf("the restore folded the totals to %+v, want position 2 saved", rebuilt)
	}
	restored, err := node.Open(ctx, config)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	answer, err := restored.App.Totals(ctx, app.TotalsRequest{County: "150626"})
	if err != nil || len(answer.All) != 1 {
		t.Fatalf("totals of the restored ledger: %+v %v", answer, err)
	}
	findings, err := restored.Doctor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var problems []app.Finding
	for _, finding := range findings {
		if finding.Problem {
			problems = append(problems, finding)
		}
	}
	return answer.All[0].Received.String(), problems
}

// The attack on a backup needs only its public age recipient and its
// clear manifest: a projection checkpoint of the forger's, encrypted to
// the recipient, put into the backup. A signed backup carries no
// projection checkpoint, and one put into it is a file its manifest does
// not list: the backup is refused whole. An old, unsigned backup, which
// lists no files and carried projections then, still restores, and its
// projection checkpoints are ignored. Either way the restored ledger
// folds its totals from the restored log, serves the log's figures, and
// the doctor finds nothing wrong.
func TestARestoreIgnoresProjectionCheckpointsInABackup(t *testing.T) {
	saved := backUp(t, true)
	verifier, err := integrity.NewVerifier(saved.verifier)
	if err != nil {
		t.Fatal(err)
	}
	forged := forgedProjections(t, saved.dir)

	t.Run("signed backup", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(saved.dir, "projections.json.age")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the backup holds projection checkpoints (%v)", err)
		}
		opened, err := backup.Open(saved.dir, saved.identities)
		if err != nil {
			t.Fatal(err)
		}
		if err := opened.Check(verifier); err != nil {
			t.Fatalf("the signed backup against the ledger's key: %v", err)
		}
		if got, problems := saved.restoreAndRead(t, opened); got != "1000.00" || len(problems) > 0 {
			t.Fatalf("restored: 150626 received %s, problems %+v; want the log's 1000.00 and none", got, problems)
		}
		saved.encryptTo(t, "projections.json.age", forged)
		if _, err := backup.Open(saved.dir, saved.identities); !errors.Is(err, backup.ErrChanged) ||
			!strings.Contains(err.Error(), "projections.json.age is not among the files the manifest lists") {
			t.Fatalf("a signed backup with projections put into it: %v, want ErrChanged", err)
		}
	})

	t.Run("unsigned backup made before backups were signed", func(t *testing.T) {
		// The backup as an older ledger wrote it: a manifest that lists no
		// files and counts its projection checkpoints, no signature.
		path := filepath.Join(saved.dir, "manifest.json")
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var manifest map[string]any
		if err := json.Unmarshal(content, &manifest); err != nil {
			t.Fatal(err)
		}
		delete(manifest, "files")
		manifest["projections"] = 1
		if content, err = json.MarshalIndent(manifest, "", "  "); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(saved.dir, "manifest.sig")); err != nil {
			t.Fatal(err)
		}
		opened, err := backup.Open(saved.dir, saved.identities)
		if err != nil {
			t.Fatal(err)
		}
		if err := opened.Check(verifier); !errors.Is(err, backup.ErrUnsigned) {
			t.Fatalf("an unsigned backup checked: %v, want ErrUnsigned", err)
		}
		if got, problems := saved.restoreAndRead(t, opened); got != "1000.00" || len(problems) > 0 {
			t.Fatalf("restored: 150626 received %s, problems %+v; want the log's 1000.00 and none", got, problems)
		}
	})
}

// Every file of a backup is listed in its manifest with its SHA-256, and
// the manifest is signed with the ledger's checkpoint signing key. A file
// replaced with one encrypted to the public recipient, a file added that
// the manifest does not list, and a listed file removed are each refused
// before anything is restored; a manifest edited to match no longer
// matches its signature; and a whole backup made with a key of the
// forger's passes against its own verifier key (which is why that proves
// nothing) but not against the ledger's.
func TestABackupIsSignedAndEveryFileChecked(t *testing.T) {
	saved := backUp(t, false)
	verifier, err := integrity.NewVerifier(saved.verifier)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := backup.Open(saved.dir, saved.identities)
	if err != nil {
		t.Fatal(err)
	}
	if err := opened.Check(verifier); err != nil {
		t.Fatalf("the backup against the ledger's key: %v", err)
	}
	copyBackup := func(t *testing.T) backedUp {
		copied := saved
		copied.dir = filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(copied.dir, os.DirFS(saved.dir)); err != nil {
			t.Fatal(err)
		}
		if err := filepath.WalkDir(copied.dir, func(path string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Chmod(path, 0o700)
		}); err != nil {
			t.Fatal(err)
		}
		return copied
	}
	restoreFails := func(t *testing.T, copied backedUp, want string) {
		t.Helper()
		opened, err := backup.Open(copied.dir, copied.identities)
		if err == nil {
			err = opened.RestoreLedger(context.Background(), node.Config{DataDir: filepath.Join(t.TempDir(), "restored"), SyncAlways: true},
				backup.Erasures{}, backup.RestoreSteps{})
		}
		if !errors.Is(err, backup.ErrChanged) || !strings.Contains(err.Error(), want) {
			t.Fatalf("restore: %v, want ErrChanged naming %q", err, want)
		}
	}

	t.Run("a file replaced", func(t *testing.T) {
		copied := copyBackup(t)
		copied.encryptTo(t, "keys.json.age", []byte(`{"donor-9":"AAAA"}`))
		restoreFails(t, copied, "keys.json.age does not match the manifest's hash")
	})
	t.Run("the events replaced", func(t *testing.T) {
		copied := copyBackup(t)
		copied.encryptTo(t, "events.jsonl.age", nil)
		restoreFails(t, copied, "events.jsonl.age does not match the manifest's hash")
	})
	t.Run("a file added", func(t *testing.T) {
		copied := copyBackup(t)
		copied.encryptTo(t, "signing.key.age", []byte("PRIVATE+KEY+forger+00000000+AAAA\n"))
		restoreFails(t, copied, "signing.key.age is not among the files the manifest lists")
	})
	t.Run("a file removed", func(t *testing.T) {
		copied := copyBackup(t)
		if err := os.Remove(filepath.Join(copied.dir, "keys.json.age")); err != nil {
			t.Fatal(err)
		}
		restoreFails(t, copied, "the manifest lists keys.json.age, but the backup lacks it")
	})
	t.Run("the manifest edited to match", func(t *testing.T) {
		copied := copyBackup(t)
		path := filepath.Join(copied.dir, "manifest.json")
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, bytes.Replace(content, []byte(`"events": 2`), []byte(`"events": 3`), 1), 0o600); err != nil {
			t.Fatal(err)
		}
		opened, err := backup.Open(copied.dir, copied.identities)
		if err != nil {
			t.Fatal(err)
		}
		if err := opened.Check(verifier); !errors.Is(err, backup.ErrBadSignature) || !strings.Contains(err.Error(), "signs another manifest") {
			t.Fatalf("an edited manifest: %v, want ErrBadSignature", err)
		}
	})
	t.Run("a whole backup of the forger's", func(t *testing.T) {
		forger := backUp(t, false)
		opened, err := backup.Open(forger.dir, forger.identities)
		if err != nil {
			t.Fatal(err)
		}
		own, err := integrity.NewVerifier(forger.verifier)
		if err != nil {
			t.Fatal(err)
		}
		if err := opened.Check(own); err != nil {
			t.Fatalf("the forger's backup against its own key: %v", err)
		}
		err = opened.Check(verifier)
		if !errors.Is(err, backup.ErrBadSignature) {
			t.Fatalf("the forger's backup against the ledger's key: %v, want ErrBadSignature", err)
		}
		// Both keys have the ledger's name: the refusal tells them apart
		// by their hashes.
		var wrong *backup.WrongKeyError
		given, signer := integrity.KeyID(verifier.Name(), verifier.KeyHash()), integrity.KeyID(own.Name(), own.KeyHash())
		if !errors.As(err, &wrong) || wrong.Given != given || len(wrong.Signers) != 1 || wrong.Signers[0] != signer || given == signer {
			t.Fatalf("the forger's backup against the ledger's key: %#v, want signed by %s, not %s", err, signer, given)
		}
		if want := "the backup is signed with the key " + signer + ", not with " + given; err.Error() != want {
			t.Errorf("said %q, want %q", err.Error(), want)
		}
	})
}
