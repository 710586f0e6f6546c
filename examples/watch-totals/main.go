// Command watch-totals follows the ledger's live totals from another
// program. `ledger serve` keeps one key per region and campaign
// ("<county>.<campaign>") in the LEDGER_LIVE_TOTALS KV bucket, with that
// cell's figures as JSON, and the NATS server republishes every write of
// it on the plain subject LEDGER_LIVE_TOTALS.<county>.<campaign>. This
// program reads the current values with one direct get and then follows
// that subject: neither makes the server keep anything for it (no
// consumer), so no other holder of the credential can lock it out by
// taking every consumer place of the bucket, as a flood of `kv watch`
// consumers can. The server takes only authenticated clients: run it
// beside `ledger serve` with the watcher's credential, which may read
// this bucket and nothing else:
//
//	ledger nats-credentials watcher --out watcher.nk
//	go run ./examples/watch-totals --nats nats://127.0.0.1:4222 --nkey watcher.nk --key '150626.>'
//
// The same with the NATS CLI: nats --nkey watcher.nk sub 'LEDGER_LIVE_TOTALS.150626.>'
// follows the changes (`nats --nkey watcher.nk kv get LEDGER_LIVE_TOTALS
// 150626.general` reads one value).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// The bucket, its stream, and the subject its writes are republished on.
const (
	bucket         = "LEDGER_LIVE_TOTALS"
	stream         = "KV_" + bucket
	kvPrefix       = "$KV." + bucket + "."
	followPrefix   = bucket + "."
	directGet      = "$JS.API.DIRECT.GET." + stream
	snapshotWait   = 10 * time.Second
	updatesPending = 4096
)

func main() {
	url := flag.String("nats", "nats://127.0.0.1:4222", "NATS server of `ledger serve`")
	key := flag.String("key", ">", "keys to watch, e.g. 150626.> for one county or *.2022-summer-cooling for one campaign")
	seed := flag.String("nkey", "watcher.nk", "file with the watcher's nkey seed (ledger nats-credentials watcher --out FILE)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := watch(ctx, *url, *seed, *key, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "watch-totals:", err)
		os.Exit(1)
	}
}

// watch prints the current figures of the keys, then every change, until
// ctx ends.
func watch(ctx context.Context, url, seed, key string, out io.Writer) error {
	credential, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		return fmt.Errorf("watcher credential: %w", err)
	}
	connection, err := nats.Connect(url, credential)
	if err != nil {
		return err
	}
	defer connection.Close()
	// Subscribe before reading the current values, so that no write falls
	// between the two; a write seen twice is told by its sequence.
	updates := make(chan *nats.Msg, updatesPending)
	subscription, err := connection.ChanSubscribe(followPrefix+key, updates)
	if err != nil {
		return err
	}
	defer subscription.Unsubscribe()
	seen := map[string]uint64{}
	if err := snapshot(ctx, connection, key, func(m *nats.Msg) error { return show(out, seen, m) }); err != nil {
		return err
	}
	fmt.Fprintln(out, "(caught up; now following)")
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-updates:
			if err := show(out, seen, m); err != nil {
				return err
			}
		}
	}
}

// snapshot reads the newest value of every key matching key with one
// direct get of the stream ("multi_last"), which the server answers with
// the messages and then an end-of-batch status, or 404 when no key
// matches. A server answers at most 1024 keys a request (413 beyond):
// then follow fewer keys at a time.
func snapshot(ctx context.Context, connection *nats.Conn, key string, each func(*nats.Msg) error) error {
	inbox := connection.NewInbox()
	replies, err := connection.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer replies.Unsubscribe()
	request, err := json.Marshal(map[string]any{"multi_last": []string{kvPrefix + key}})
	if err != nil {
		return err
	}
	if err := connection.PublishRequest(directGet, inbox, request); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, snapshotWait)
	defer cancel()
	for {
		m, err := replies.NextMsgWithContext(wait)
		if err != nil {
			return fmt.Errorf("read the current totals (is ledger serve running?): %w", err)
		}
		switch status := m.Header.Get("Status"); status {
		case "":
			if err := each(m); err != nil {
				return err
			}
		case "204": // the end of the batch
			return nil
		case "404": // no key yet
			return nil
		case "413":
			return errors.New("more keys match " + key + " than one request reads (1024): watch fewer keys, e.g. one county")
		default:
			return fmt.Errorf("read the current totals: status %s %s", status, m.Header.Get("Description"))
		}
	}
}

// show prints one value, from the snapshot or republished, unless a
// newer one of its key was printed already.
func show(out io.Writer, seen map[string]uint64, m *nats.Msg) error {
	if m.Header.Get("KV-Operation") != "" {
		return nil // a deletion: the ledger never deletes a total
	}
	// A value's key and sequence are in the headers the server's republish
	// and direct get set, never in the subject it came on: any holder of
	// the watcher's credential can have the server deliver the bucket's
	// messages on the subject this program follows (a push consumer's
	// deliver subject is not checked against its creator's permissions),
	// and such a delivery, which carries neither header, is passed over.
	key, found := strings.CutPrefix(m.Header.Get("Nats-Subject"), kvPrefix)
	sequence, err := strconv.ParseUint(m.Header.Get("Nats-Sequence"), 10, 64)
	if !found || err != nil {
		return nil
	}
	if sequence <= seen[key] {
		return nil
	}
	seen[key] = sequence
	var figures struct {
		Received      string `json:"received"`
		Spent         string `json:"spent"`
		Deliveries    int64  `json:"deliveries"`
		PeopleReached int64  `json:"people_reached"`
	}
	if err := json.Unmarshal(m.Data, &figures); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%-40s received ¥%s spent ¥%s deliveries %d reached %d\n", key, figures.Received, figures.Spent,
		figures.Deliveries, figures.PeopleReached)
	return err
}
