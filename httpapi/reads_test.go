package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordos-union/ledger/httpapi"
)

// A read filtered by a code the ledger does not know (a mistyped region,
// a campaign or event type that does not exist) is refused with 400
// naming the query parameter, not answered 200 with no rows or no events
// that read as "nothing happened"; a known code still answers, even when
// nothing matches it.
func TestReadsRefuseUnknownCodes(t *testing.T) {
	server := startTestServer(t)
	viewer, clerk := server.Tokens[httpapi.RoleViewer], server.Tokens[httpapi.RoleClerk]
	for _, tc := range []struct {
		path, token string
		field       string
	}{
		{"/api/v1/totals?county=999999", viewer, "county"},
		{"/api/v1/totals?county=150699&as_of=2022-06-30", viewer, "county"},
		{"/api/v1/totals?campaign=nope", viewer, "campaign"},
		{"/api/v1/events?county=999999", clerk, "county"},
		{"/api/v1/events?campaign=nope", clerk, "campaign"},
		{"/api/v1/events?type=nope", clerk, "type"},
		{"/api/v1/events?type=nope&county=999999", clerk, "county"},
	} {
		got := call(t, "GET", server.URL+tc.path, tc.token, "")
		if got.status != 400 {
			t.Errorf("GET %s: %d %s; want 400", tc.path, got.status, got.body)
			continue
		}
		code, violations := got.errorOf(t)
		if code != "invalid" || len(violations) != 1 || violations[0]["field"] != tc.field {
			t.Errorf("GET %s: %s; want invalid naming %s", tc.path, got.body, tc.field)
		}
	}
	// The live stream's totals are a totals question too. Its answer is
	// read only as far as the status, within a bound: a stream that was
	// let through would never end.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, "GET", server.URL+"/api/v1/live?campaign=nope", nil)
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Authorization", "Bearer "+viewer)
	live, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	if live.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /api/v1/live?campaign=nope: %d; want 400", live.StatusCode)
	} else if body, err := io.ReadAll(live.Body); err != nil || !strings.Contains(string(body), `"field":"campaign"`) {
		t.Errorf("GET /api/v1/live?campaign=nope: %s, %v; want campaign named", body, err)
	}
	live.Body.Close()
	for _, tc := range []struct{ path, token, want string }{
		{"/api/v1/totals?county=150621", viewer, `"rows":[]`},
		{"/api/v1/totals?campaign=2022-winter-warmth&county=150626", viewer, `"rows":[]`},
		{"/api/v1/events?type=supplies_delivered&county=150626", clerk, `"events":[]`},
	} {
		if got := call(t, "GET", server.URL+tc.path, tc.token, ""); got.status != 200 || !strings.Contains(string(got.body), tc.want) {
			t.Errorf("GET %s: %d %s; want 200 with %s", tc.path, got.status, got.body, tc.want)
		}
	}
}
