package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore/eventstoretest"
	"github.com/ordos-union/ledger/httpapi"
	"github.com/ordos-union/ledger/integrity"
)

// signCheckpoint signs the tree over the server's log as it stands.
func signCheckpoint(t *testing.T, server *testServer) {
	t.Helper()
	ctx := context.Background()
	keys, err := integrity.LoadOrCreateKeys(filepath.Join(t.TempDir(), "keys"), "", "test-ledger")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := integrity.CopyTree(ctx, server.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := integrity.WriteCheckpoint(ctx, server.Signed, integrity.StoreBytes(server.Store), tree, keys, time.Now(), "", nil); err != nil {
		t.Fatal(err)
	}
}

// The log is served as tlog-tiles under /tlog/: the checkpoint, hash
// tiles and entry bundles of the signed tree, to tokens that may read
// every event, or to anyone when the server is told to (--tlog-public); a tile
// beyond the signed tree is not found.
func TestTlogTilesOverHTTP(t *testing.T) {
	for _, public := range []bool{false, true} {
		server := startTestServer(t, func(options *httpapi.Options) { options.TlogPublic = public })
		for i := range 3 {
			donation := eventstoretest.Donation("general", "150626", "D-T-"+string(rune('1'+i)), 100)
			if i == 2 {
				// A person's donation: the entries carry it sealed.
				data := donation.Data.(domain.DonationReceived)
				data.DonorKind, data.DonorOrg = "individual", ""
				donation.Data = data
				donation.Personal = &domain.Personal{Donor: &domain.Person{SubjectID: "donor-t", Name: "王某某", Phone: "13900000009"}}
			}
			if _, err := server.Service.Record(context.Background(), []domain.Event{donation}); err != nil {
				t.Fatal(err)
			}
		}
		signCheckpoint(t, server)
		auditor := server.Tokens[httpapi.RoleAuditor]
		token := auditor
		if public {
			token = ""
		} else if reply := call(t, "GET", server.URL+"/tlog/checkpoint", "", ""); reply.status != http.StatusUnauthorized {
			t.Fatalf("a private log's checkpoint without a token: %d", reply.status)
		}
		checkpoint := call(t, "GET", server.URL+"/tlog/checkpoint", token, "")
		if checkpoint.status != http.StatusOK || !strings.HasPrefix(string(checkpoint.body), integrity.Origin+"\n3\n") {
			t.Fatalf("checkpoint (public %v): %d %q", public, checkpoint.status, checkpoint.body)
		}
		hashes := call(t, "GET", server.URL+"/tlog/tile/0/000.p/3", token, "")
		if hashes.status != http.StatusOK || len(hashes.body) != 3*32 || hashes.header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("hash tile: %d, %d bytes, %q", hashes.status, len(hashes.body), hashes.header.Get("Cache-Control"))
		}
		bundle := call(t, "GET", server.URL+"/tlog/tile/entries/000.p/3", token, "")
		entries, err := integrity.SplitBundle(bundle.body)
		if bundle.status != http.StatusOK || err != nil || len(entries) != 3 || !strings.Contains(string(entries[2]), "D-T-3") {
			t.Fatalf("entry bundle: %d, %d entries, %v", bundle.status, len(entries), err)
		}
		if strings.Contains(string(bundle.body), "王某某") || strings.Contains(string(bundle.body), "13900000009") {
			t.Fatal("the published entries show a person's name or phone: personal data must stay sealed")
		}
		if beyond := call(t, "GET", server.URL+"/tlog/tile/0/000.p/4", token, ""); beyond.status != http.StatusNotFound {
			t.Fatalf("a tile beyond the signed tree: %d, want 404", beyond.status)
		}
		if bad := call(t, "GET", server.URL+"/tlog/tile/8/0/000", token, ""); bad.status != http.StatusBadRequest {
			t.Fatalf("a Go checksum database path: %d, want 400", bad.status)
		}
	}
}

// A full tile never changes, so it is served to be cached for good.
func TestFullTileIsImmutable(t *testing.T) {
	server := startTestServer(t)
	events := make([]domain.Event, 256)
	for i := range events {
		events[i] = eventstoretest.Donation("general", "150626", fmt.Sprintf("D-F-%d", i), 100)
	}
	if _, err := server.Service.Record(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	signCheckpoint(t, server)
	auditor := server.Tokens[httpapi.RoleAuditor]
	for _, path := range []string{"/tlog/tile/0/000", "/tlog/tile/entries/000"} {
		reply := call(t, "GET", server.URL+path, auditor, "")
		if reply.status != http.StatusOK || reply.header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
			t.Fatalf("%s: %d, Cache-Control %q", path, reply.status, reply.header.Get("Cache-Control"))
		}
	}
	if hashes := call(t, "GET", server.URL+"/tlog/tile/0/000", auditor, ""); len(hashes.body) != 256*32 {
		t.Fatalf("a full hash tile holds %d bytes, want %d", len(hashes.body), 256*32)
	}
}

// Only the tiles of the signed tree are served: a tile at a level or an
// index that a log of 257 events does not have is not found, naming its
// path, at every level up to tlog-tiles' highest (63), and a level beyond
// that is no tile path. A tile at level 8 or above once "fit" any tree
// (its leaves, multiplied out, wrapped to 0) and was served as 8 KB of one
// repeated hash, marked immutable; one at level 40 or 63 answered 500.
func TestTilesBeyondTheTreeAreNotFound(t *testing.T) {
	server := startTestServer(t)
	events := make([]domain.Event, 257)
	for i := range events {
		events[i] = eventstoretest.Donation("general", "150626", fmt.Sprintf("D-E-%d", i), 100)
	}
	if _, err := server.Service.Record(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	signCheckpoint(t, server)
	auditor := server.Tokens[httpapi.RoleAuditor]
	// What the tree of 257 leaves has: a full tile at level 0 and its
	// entries, a partial one of 1 beyond them, and at level 1 a partial
	// tile of 1 (the hash of the first 256 leaves).
	for path, want := range map[string]struct {
		bytes     int
		immutable bool
	}{
		"tile/0/000":           {256 * 32, true},
		"tile/0/001.p/1":       {32, false},
		"tile/1/000.p/1":       {32, false},
		"tile/entries/000":     {-1, true},
		"tile/entries/001.p/1": {-1, false},
	} {
		reply := call(t, "GET", server.URL+"/tlog/"+path, auditor, "")
		cache := reply.header.Get("Cache-Control")
		if reply.status != http.StatusOK || (want.bytes >= 0 && len(reply.body) != want.bytes) || strings.Contains(cache, "immutable") != want.immutable {
			t.Errorf("%s: %d, %d bytes, Cache-Control %q; want 200, %d bytes, immutable %v", path, reply.status, len(reply.body), cache, want.bytes, want.immutable)
		}
	}
	notFound := []string{
		"tile/0/001", "tile/0/001.p/2", "tile/0/002.p/1", "tile/entries/001", "tile/entries/001.p/2", "tile/entries/002.p/1",
		"tile/1/000", "tile/1/000.p/2", "tile/1/001.p/1", "tile/0/x999/x999/x999/x999/x999/999",
	}
	for level := 2; level <= integrity.TileLevelMax; level++ {
		notFound = append(notFound, fmt.Sprintf("tile/%d/000", level), fmt.Sprintf("tile/%d/000.p/1", level))
	}
	for _, path := range notFound {
		reply := call(t, "GET", server.URL+"/tlog/"+path, auditor, "")
		if reply.status != http.StatusNotFound || !strings.Contains(string(reply.body), path) || strings.Contains(reply.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %.100q, Cache-Control %q; want 404 naming the path", path, reply.status, reply.body, reply.header.Get("Cache-Control"))
		}
	}
	for _, path := range []string{"tile/64/000", "tile/99/000", "tile/64/000.p/1"} {
		reply := call(t, "GET", server.URL+"/tlog/"+path, auditor, "")
		if reply.status != http.StatusBadRequest || !strings.Contains(string(reply.body), path) {
			t.Errorf("%s: %d %.100q; want 400 naming the path", path, reply.status, reply.body)
		}
	}
}

// The tiles are the log as stored, bank lines included, so /tlog/ is
// served only to the roles that read every event (finance, auditors and
// admins): a clerk, who may not read the bank lines in the log, is refused
// naming who reads it, as a viewer is. Published with --tlog-public, the
// entries show anyone the bank line's account, serial, date, amount,
// balance and remark, and its counterparty stays sealed. A clerk read every bank line in the entry
// bundles.
func TestTlogIsServedOnlyToWhoReadsEveryEvent(t *testing.T) {
	const bankLine = `{"type":"bank_line_imported","county":"150600","occurred_at":"2022-06-20T00:00:00+08:00","data":{"account":"icbc-0602001109000012345","line_id":"L-T-1","serial":"CN-20220620-0001","booked_on":"2022-06-20","amount":"300.00","balance":"12345.67","remark":"捐款","statement":"icbc-2022-06.csv"},"personal":{"donor":{"subject_id":"sender-1","name":"赵某某","bank_account":"6222000011112222"}}}`
	for _, public := range []bool{false, true} {
		server := startTestServer(t, func(options *httpapi.Options) { options.TlogPublic = public })
		donation := eventstoretest.Donation("general", "150626", "D-T-1", 100)
		if _, err := server.Service.Record(context.Background(), []domain.Event{donation}); err != nil {
			t.Fatal(err)
		}
		recordMade(t, server, "test-finance", bankLine)
		signCheckpoint(t, server)
		readers := []httpapi.Role{httpapi.RoleFinance, httpapi.RoleAuditor, httpapi.RoleAdmin}
		if public {
			readers = append(readers, httpapi.RoleClerk, httpapi.RoleViewer)
		} else {
			for _, role := range []httpapi.Role{httpapi.RoleClerk, httpapi.RoleViewer} {
				for _, path := range []string{"/tlog/checkpoint", "/tlog/tile/entries/000.p/2", "/tlog/tile/0/000.p/2"} {
					got := call(t, "GET", server.URL+path, server.Tokens[role], "")
					if got.status != http.StatusForbidden || !strings.Contains(string(got.body), "finance, auditors and admins") ||
						strings.Contains(string(got.body), "icbc-0602001109000012345") {
						t.Errorf("a %s's %s: %d %s, want 403 naming who reads it", role, path, got.status, got.body)
					}
				}
			}
		}
		for _, role := range readers {
			token := server.Tokens[role]
			if public && (role == httpapi.RoleClerk || role == httpapi.RoleViewer) {
				token = ""
			}
			bundle := call(t, "GET", server.URL+"/tlog/tile/entries/000.p/2", token, "")
			entries, err := integrity.SplitBundle(bundle.body)
			if bundle.status != http.StatusOK || err != nil || len(entries) != 2 {
				t.Fatalf("%s's entry bundle (public %v): %d, %d entries, %v", role, public, bundle.status, len(entries), err)
			}
			for _, plain := range []string{"icbc-0602001109000012345", "CN-20220620-0001", "2022-06-20", "300.00", "12345.67", "捐款"} {
				if !strings.Contains(string(entries[1]), plain) {
					t.Errorf("the stored bank line does not show %q in the clear (public %v): %s", plain, public, entries[1])
				}
			}
			for _, sealed := range []string{"赵某某", "6222000011112222"} {
				if strings.Contains(string(bundle.body), sealed) {
					t.Errorf("the published entries show the counterparty's %q: it must stay sealed", sealed)
				}
			}
		}
	}
}
