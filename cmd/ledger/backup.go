package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
)

// A backup is a directory:
//
//	manifest.json     head, counts, time, and the SHA-256 of events.jsonl
//	events.jsonl      every message of the ledger stream in order: position,
//	                  subject, the ledger's headers, the stored bytes
//	checkpoints.note  every signed checkpoint, divided by lines of "---"
//	projections.json  the projection checkpoints (state and position)
//	keys.json         the personal-data keys, one per data subject
//	signing.key       the checkpoint signing key, only with --with-signing-key
//	verifier.key      the verifier key
//
// Encrypted to age recipients (--recipient), every file but the manifest is
// NAME.age; the manifest says so. A backup in the clear needs --plaintext.
const (
	backupManifest    = "manifest.json"
	backupEvents      = "events.jsonl"
	backupCheckpoints = "checkpoints.note"
	backupProjections = "projections.json"
	backupKeys        = "keys.json"
)

type backupManifestFile struct {
	Head          uint64    `json:"head"`
	Events        int       `json:"events"`
	Checkpoints   int       `json:"checkpoints"`
	Projections   int       `json:"projections"`
	CreatedAt     time.Time `json:"created_at"`
	EventsSHA256  string    `json:"events_sha256"`
	LedgerVersion int       `json:"schema_version"`
	// Encrypted: the other files are NAME.age, for age identities.
	Encrypted bool `json:"encrypted"`
	// SigningKey: the backup holds the checkpoint signing key.
	SigningKey bool `json:"signing_key"`
}

type backupEvent struct {
	Position uint64            `json:"position"`
	Subject  string            `json:"subject"`
	Headers  map[string]string `json:"headers"`
	Data     string            `json:"data"`
}

func runBackup(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "backup", "OUT --recipient AGE_PUBLIC_KEY\n\nWrites a consistent backup of the ledger stream, its checkpoints, projection checkpoints and personal-data keys to the\n"+
		"new directory OUT, encrypted with age to each --recipient (make a key pair with `ledger backup-key --out FILE`).")
	var store storeFlags
	store.register(flags)
	files := backupFiles{}
	flags.Func("recipient", "age public key (age1…) or a file of them to encrypt the backup to (repeatable)", func(value string) error {
		recipients, err := parseRecipient(value)
		files.recipients = append(files.recipients, recipients...)
		return err
	})
	plaintext := flags.Bool("plaintext", false, "write the backup in the clear: it then reveals every person's data to whoever reads it")
	withSigningKey := flags.Bool("with-signing-key", false, "include the checkpoint signing key: whoever holds the backup can then sign checkpoints as the ledger")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one OUT directory")
	}
	if err := store.jetStreamOnly("backup"); err != nil {
		return err
	}
	if len(files.recipients) == 0 && !*plaintext {
		return usagef("a backup holds the keys to every person's data: give --recipient AGE_PUBLIC_KEY (make one with " +
			"`ledger backup-key --out FILE`), or --plaintext to write it in the clear")
	}
	if len(files.recipients) > 0 && *plaintext {
		return usagef("--plaintext and --recipient exclude each other")
	}
	out := flags.Arg(0)
	files.dir = out
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: a backup goes to a new directory", out)
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	// Projection checkpoints first, then the log: every checkpoint then
	// reflects a position the backup holds.
	projections, err := opened.Checkpoints.Export(ctx)
	if err != nil {
		return err
	}
	head, err := opened.Store.Head(ctx)
	if err != nil {
		return err
	}
	eventsFile, err := files.create(backupEvents)
	if err != nil {
		return err
	}
	hash := sha256.New()
	writer := bufio.NewWriter(io.MultiWriter(eventsFile, hash))
	count := 0
	for raw, err := range opened.JetStream.Raw(ctx, 0) {
		if err != nil {
			eventsFile.Close()
			return err
		}
		if raw.Position > head {
			break
		}
		headers := map[string]string{}
		for name := range raw.Header {
			if !strings.HasPrefix(name, "Nats-") {
				headers[name] = raw.Header.Get(name)
			}
		}
		line, err := json.Marshal(backupEvent{Position: raw.Position, Subject: raw.Subject, Headers: headers, Data: base64.StdEncoding.EncodeToString(raw.Data)})
		if err != nil {
			eventsFile.Close()
			return err
		}
		writer.Write(line)
		writer.WriteByte('\n')
		count++
	}
	if err := writer.Flush(); err != nil {
		eventsFile.Close()
		return err
	}
	if err := eventsFile.Close(); err != nil {
		return err
	}
	signed, err := opened.Signed.All(ctx)
	if err != nil {
		return err
	}
	var covered [][]byte
	for _, text := range signed {
		if checkpoint, err := integrity.ParseCheckpointNote(text); err == nil && checkpoint.Size <= int64(head) {
			covered = append(covered, text)
		}
	}
	if err := files.write(backupCheckpoints, joinNotes(covered)); err != nil {
		return err
	}
	projectionsJSON, err := json.MarshalIndent(projections, "", "  ")
	if err != nil {
		return err
	}
	if err := files.write(backupProjections, projectionsJSON); err != nil {
		return err
	}
	// The personal-data keys go with the data: without them a restored
	// ledger could not read anyone's personal data.
	keys, err := opened.Keystore.Export(ctx)
	if err != nil {
		return err
	}
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	if err := files.write(backupKeys, keysJSON); err != nil {
		return err
	}
	keyFiles := []string{"verifier.key"}
	if *withSigningKey {
		keyFiles = append(keyFiles, "signing.key")
	}
	for _, name := range keyFiles {
		if content, err := os.ReadFile(filepath.Join(integrity.Dir(store.dataDir), name)); err == nil {
			if err := files.write(name, content); err != nil {
				return err
			}
		}
	}
	manifest := backupManifestFile{Head: head, Events: count, Checkpoints: len(covered), Projections: len(projections),
		CreatedAt: time.Now().UTC(), EventsSHA256: hex.EncodeToString(hash.Sum(nil)), LedgerVersion: domain.SchemaVersion,
		Encrypted: files.encrypted(), SigningKey: *withSigningKey}
	content, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, backupManifest), append(content, '\n'), 0o600); err != nil {
		return err
	}
	how := "in the clear"
	if files.encrypted() {
		how = fmt.Sprintf("encrypted to %d recipients", len(files.recipients))
	}
	fmt.Fprintf(env.stdout, "backed up %d events (head %d), %d checkpoints and %d projection checkpoints to %s, %s\n",
		count, head, len(covered), len(projections), out, how)
	return nil
}

func joinNotes(notes [][]byte) []byte {
	var out []byte
	for i, note := range notes {
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, note...)
	}
	return out
}

func runRestore(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "restore", "BACKUP --data NEWDIR [--identity FILE] [--erasures FILE]\n\nRestores a backup into an empty ledger: every event at its original position, the checkpoints and the projection checkpoints;\n"+
		"re-applies the erasures listed in --erasures (`ledger erasures` on the live ledger writes the list); then verifies it.")
	var store storeFlags
	store.register(flags)
	identity := flags.String("identity", "", "age identity file that opens an encrypted backup (as `ledger backup-key` wrote it)")
	erasures := flags.String("erasures", "", "file of erased data subjects, one a line (`ledger erasures --out FILE` on the live ledger): their keys are destroyed again and the erasures recorded")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one BACKUP directory")
	}
	if err := store.jetStreamOnly("restore"); err != nil {
		return err
	}
	backup := flags.Arg(0)
	var manifest backupManifestFile
	content, err := os.ReadFile(filepath.Join(backup, backupManifest))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(content, &manifest); err != nil {
		return fmt.Errorf("%s: %w", backupManifest, err)
	}
	files := backupFiles{dir: backup}
	if manifest.Encrypted {
		if *identity == "" {
			return usagef("the backup is encrypted: give --identity FILE with the age identity of one of its recipients")
		}
		if files.identities, err = parseIdentities(*identity); err != nil {
			return err
		}
	}
	var erased []string
	if *erasures != "" {
		if erased, err = readErasures(*erasures); err != nil {
			return err
		}
	}
	eventsContent, err := files.read(backupEvents, manifest.Encrypted)
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(eventsContent); hex.EncodeToString(sum[:]) != manifest.EventsSHA256 {
		return fmt.Errorf("%s does not match the manifest's hash: the backup is damaged", backupEvents)
	}
	if store.natsURL == "" {
		if err := os.MkdirAll(integrity.Dir(store.dataDir), 0o700); err != nil {
			return err
		}
		for _, name := range []string{"signing.key", "verifier.key"} {
			if key, err := files.read(name, manifest.Encrypted); err == nil {
				if err := os.WriteFile(filepath.Join(integrity.Dir(store.dataDir), name), key, 0o600); err != nil {
					return err
				}
			}
		}
	}
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	if head, err := opened.Store.Head(ctx); err != nil || head != 0 {
		return fmt.Errorf("the target ledger is not empty (head %d): restore goes into an empty one", head)
	}
	js, err := jetstream.New(opened.Conn)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(eventsContent)), "\n")
	for i, line := range lines {
		if line == "" {
			continue
		}
		var event backupEvent
		if err := json.Unmarshal([]byte(line), &event); err != nil {
			return fmt.Errorf("%s line %d: %w", backupEvents, i+1, err)
		}
		data, err := base64.StdEncoding.DecodeString(event.Data)
		if err != nil {
			return fmt.Errorf("%s line %d: %w", backupEvents, i+1, err)
		}
		message := nats.NewMsg(event.Subject)
		for name, value := range event.Headers {
			message.Header.Set(name, value)
		}
		message.Header.Set("Nats-Msg-Id", fmt.Sprintf("restore-%d", event.Position))
		message.Data = data
		ack, err := js.PublishMsg(ctx, message)
		if err != nil {
			return fmt.Errorf("restore position %d: %w", event.Position, err)
		}
		if ack.Sequence != event.Position {
			return fmt.Errorf("restore: position %d landed at %d; the target was not empty", event.Position, ack.Sequence)
		}
	}
	notes, err := files.read(backupCheckpoints, manifest.Encrypted)
	if err != nil {
		return err
	}
	restoredNotes := 0
	if len(notes) > 0 {
		for _, note := range strings.Split(string(notes), "---\n") {
			if err := opened.Signed.Append(ctx, []byte(note)); err != nil {
				return err
			}
			restoredNotes++
		}
	}
	var projections []eventstore.Checkpoint
	if content, err := files.read(backupProjections, manifest.Encrypted); err == nil {
		if err := json.Unmarshal(content, &projections); err != nil {
			return fmt.Errorf("%s: %w", backupProjections, err)
		}
	}
	if err := opened.Checkpoints.Import(ctx, projections); err != nil {
		return err
	}
	var keys map[string][]byte
	if content, err := files.read(backupKeys, manifest.Encrypted); err == nil {
		if err := json.Unmarshal(content, &keys); err != nil {
			return fmt.Errorf("%s: %w", backupKeys, err)
		}
	}
	if err := opened.Keystore.Import(ctx, keys); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "restored %d events, %d checkpoints and %d projection checkpoints\n", len(lines), restoredNotes, len(projections))
	// A backup taken before someone was forgotten still holds their key:
	// the erasures since are applied again before anyone reads it.
	failed := 0
	for _, subject := range erased {
		outcome, _, err := eraseSubject(ctx, opened, subject, "erasure re-applied at restore from "+filepath.Base(*erasures), "ledger-restore")
		if err != nil {
			failed++
			fmt.Fprintf(env.stdout, "could not re-apply the erasure of %s: %v\n", subject, err)
			continue
		}
		fmt.Fprintf(env.stdout, "re-applied the erasure of %s: %s\n", subject, outcome)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d erasures could not be re-applied: do not hand this ledger out until they are (ledger forget SUBJECT)", failed, len(erased))
	}
	fmt.Fprintln(env.stdout, "verifying")
	opened.Close()
	verifyArgs := []string{"--data", store.dataDir}
	if store.natsURL != "" {
		verifyArgs = []string{"--nats", store.natsURL}
	}
	if key, err := files.read("verifier.key", manifest.Encrypted); err == nil {
		verifyArgs = append(verifyArgs, "--key", strings.TrimSpace(string(key)))
	}
	if !manifest.SigningKey && store.natsURL == "" {
		fmt.Fprintf(env.stdout, "the backup holds no signing key (taken without --with-signing-key): put the ledger's key in %s "+
			"or give serve --signing-key FILE, else new checkpoints are signed with a new key\n", filepath.Join(integrity.Dir(store.dataDir), "signing.key"))
	}
	return runVerify(ctx, env, verifyArgs)
}
