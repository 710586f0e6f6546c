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
// tiles and entry bundles of the signed tree, to tokens that may inspect
// the log, or to anyone when the server is told to (--tlog-public); a tile
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
