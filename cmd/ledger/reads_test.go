package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A read filtered by a code the ledger does not know (a mistyped region
// such as 150699, a campaign or event type that does not exist) is a
// usage error naming the flag, not an empty table or "0 events" that read
// as "nothing happened"; the same holds for a mirror's offline totals,
// against the catalog it is given.
func TestEndToEndReadsRefuseUnknownCodes(t *testing.T) {
	data := t.TempDir()
	runLedger(t, goodLine+"\n", "record", "-", "--data", data).expect(t, 0)
	for _, refused := range []struct {
		args []string
		want string
	}{
		{[]string{"totals", "--county", "999999"}, "--county must be a region code of the catalog"},
		{[]string{"totals", "--county", "150699", "--as-of", "2022-06-30"}, "--county must be a region code of the catalog"},
		{[]string{"totals", "--campaign", "nope"}, "--campaign must be a campaign code of the catalog"},
		{[]string{"events", "--county", "999999"}, "--county must be a region code of the catalog"},
		{[]string{"events", "--campaign", "nope"}, "--campaign must be a campaign code of the catalog"},
		{[]string{"events", "--type", "nope"}, "--type must be an event type: donation_pledged"},
		{[]string{"events", "--type", "nope", "--follow"}, "--type must be an event type"},
	} {
		out := runLedger(t, "", append(refused.args, "--data", data)...)
		out.expect(t, 2, refused.want)
		if out.stdout != "" || strings.Contains(out.stderr, "0 events") {
			t.Errorf("ledger %s printed an answer as well as refusing:\n%s%s", strings.Join(refused.args, " "), out.stdout, out.stderr)
		}
	}
	// A refused listing of personal data read nothing, so no read of it
	// is recorded.
	runLedger(t, "", "events", "--data", data, "--personal", "--county", "999999").expect(t, 2, "--county must be a region code")
	runLedger(t, "", "access-log", "--data", data).expect(t, 0, "0 reads of personal data recorded")
	// Known codes still answer, even when nothing matches them.
	runLedger(t, "", "totals", "--data", data, "--county", "150621").expect(t, 0, "As of log position 1")
	runLedger(t, "", "events", "--data", data, "--county", "150626", "--type", "supplies_delivered").expect(t, 0, "0 events")

	runLedger(t, "", "checkpoint", "--data", data).expect(t, 0)
	keyFile := filepath.Join(t.TempDir(), "ledger.pub")
	if err := os.WriteFile(keyFile, []byte(runLedger(t, "", "pubkey", "--data", data).stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "export")
	runLedger(t, "", "tiles", "export", export, "--data", data).expect(t, 0)
	dir := filepath.Join(t.TempDir(), "mirror")
	runLedger(t, "", "mirror", serveExport(t, export).url, dir, "--key", keyFile).expect(t, 0, "keeps 1 entries")
	runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--county", "999999").expect(t, 2, "--county must be a region code of the catalog")
	runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--campaign", "nope").expect(t, 2, "--campaign must be a campaign code of the catalog")
	runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--county", "150626").expect(t, 0, "5,000.00")
	// The mirror checks against the catalog it is given: a region only
	// another union's catalog lists is known there.
	catalog := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(catalog, []byte(`{"regions":[{"code":"150600","zh":"市","pinyin":"City","level":"city"},`+
		`{"code":"150626","zh":"乌审旗","pinyin":"Uxin","level":"county"},{"code":"150699","zh":"测试旗","pinyin":"Test","level":"county"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--catalog", catalog, "--county", "150699").expect(t, 0, "tree size 1")
	runLedger(t, "", "mirror", "totals", dir, "--key", keyFile, "--catalog", catalog, "--county", "150621").
		expect(t, 2, "--county must be a region code of the catalog")
}
