package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBodyReadsAsReadAll holds readBody, which sizes its buffer from
// the announced length, to io.ReadAll, which the append handler used
// before: the same bytes for bodies around every size where the buffer
// must grow, announced or not and arriving a byte at a time or whole, and
// the same error when the body breaks its limit or ends before its
// announced length.
func TestReadBodyReadsAsReadAll(t *testing.T) {
	const limit = 100 << 10
	sizes := []int{0, 1, 511, 512, 513, 1000, bodyPresizeBytesMax - 1, bodyPresizeBytesMax, bodyPresizeBytesMax + 1, limit, limit + 1, 3 * limit}
	for _, size := range sizes {
		content := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		for _, announced := range []int64{int64(size), -1, int64(size) + 10} {
			for _, trickle := range []bool{false, true} {
				request := func() *http.Request {
					var body io.Reader = bytes.NewReader(content)
					if trickle {
						body = iotest.OneByteReader(body)
					}
					request := httptest.NewRequest("POST", "/api/v1/events", body)
					request.ContentLength = announced
					if announced > int64(size) {
						// The body ends before the length it announced, as
						// net/http's reader reports a body cut short.
						request.Body = io.NopCloser(io.MultiReader(body, iotest.ErrReader(io.ErrUnexpectedEOF)))
					}
					request.Body = http.MaxBytesReader(httptest.NewRecorder(), request.Body, limit)
					return request
				}
				want, wantErr := io.ReadAll(request().Body)
				got, gotErr := readBody(request())
				var wantTooLarge, gotTooLarge *http.MaxBytesError
				if errors.As(wantErr, &wantTooLarge) != errors.As(gotErr, &gotTooLarge) || (wantErr == nil) != (gotErr == nil) ||
					(wantErr != nil && wantErr.Error() != gotErr.Error()) {
					t.Fatalf("size %d, announced %d, trickle %v: error %v, want %v", size, announced, trickle, gotErr, wantErr)
				}
				if wantErr == nil && !bytes.Equal(got, want) {
					t.Fatalf("size %d, announced %d, trickle %v: read %d bytes, want %d", size, announced, trickle, len(got), len(want))
				}
			}
		}
	}
}

// TestReadBodyDoesNotTrustTheAnnouncedLength checks that a client that
// announces a huge body does not get that much set aside before it sends
// it.
func TestReadBodyDoesNotTrustTheAnnouncedLength(t *testing.T) {
	request := httptest.NewRequest("POST", "/api/v1/events", strings.NewReader("{}"))
	request.ContentLength = 1 << 40
	body, err := readBody(request)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != "{}" || cap(body) > bodyPresizeBytesMax+1 {
		t.Fatalf("read %q into a buffer of %d bytes", body, cap(body))
	}
}
