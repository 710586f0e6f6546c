// Command watch-totals follows the ledger's live totals from another
// program: it watches the LEDGER_LIVE_TOTALS KV bucket, where `ledger serve`
// keeps one key per region and campaign ("<county>.<campaign>") with that
// cell's figures as JSON. The server takes only authenticated clients: run
// it beside `ledger serve` with the watcher's credential, which may read
// this bucket and nothing else:
//
//	ledger nats-credentials watcher --out watcher.nk
//	go run ./examples/watch-totals --nats nats://127.0.0.1:4222 --nkey watcher.nk --key '150626.>'
//
// The same with the NATS CLI: nats --nkey watcher.nk kv watch LEDGER_LIVE_TOTALS '150626.>'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	url := flag.String("nats", "nats://127.0.0.1:4222", "NATS server of `ledger serve`")
	key := flag.String("key", ">", "keys to watch, e.g. 150626.> for one county or *.2022-summer-cooling for one campaign")
	seed := flag.String("nkey", "watcher.nk", "file with the watcher's nkey seed (ledger nats-credentials watcher --out FILE)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := watch(ctx, *url, *seed, *key); err != nil {
		fmt.Fprintln(os.Stderr, "watch-totals:", err)
		os.Exit(1)
	}
}

func watch(ctx context.Context, url, seed, key string) error {
	credential, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		return fmt.Errorf("watcher credential: %w", err)
	}
	connection, err := nats.Connect(url, credential)
	if err != nil {
		return err
	}
	defer connection.Close()
	js, err := jetstream.New(connection)
	if err != nil {
		return err
	}
	bucket, err := js.KeyValue(ctx, "LEDGER_LIVE_TOTALS")
	if err != nil {
		return fmt.Errorf("open bucket (is ledger serve running?): %w", err)
	}
	watcher, err := bucket.Watch(ctx, key)
	if err != nil {
		return err
	}
	defer watcher.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case entry := <-watcher.Updates():
			if entry == nil {
				fmt.Println("(caught up; now following)")
				continue
			}
			var figures struct {
				Received      string `json:"received"`
				Spent         string `json:"spent"`
				Deliveries    int64  `json:"deliveries"`
				PeopleReached int64  `json:"people_reached"`
			}
			if err := json.Unmarshal(entry.Value(), &figures); err != nil {
				return err
			}
			fmt.Printf("%-40s received ¥%s spent ¥%s deliveries %d reached %d\n", entry.Key(), figures.Received, figures.Spent,
				figures.Deliveries, figures.PeopleReached)
		}
	}
}
