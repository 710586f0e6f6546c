package report

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// qrSealsTried is how many random seals the QR test draws: about one in
// 27 drawn at one fixed level did not read back, so 300 find that with
// near certainty.
const qrSealsTried = 300

// Every seal's QR code, as printed, reads back as the seal with ZXing's
// reader, whatever the seal's root and digest.
func TestEverySealsQRCodeReadsBack(t *testing.T) {
	for range qrSealsTried {
		root, digest := make([]byte, 32), make([]byte, 32)
		if _, err := rand.Read(root); err != nil {
			t.Fatal(err)
		}
		if _, err := rand.Read(digest); err != nil {
			t.Fatal(err)
		}
		seal := "ledger-report/1 month=2022-06 county= campaign= size=122 root=" + base64.StdEncoding.EncodeToString(root) +
			" figures=" + hex.EncodeToString(digest)
		url, err := qrDataURL(seal)
		if err != nil {
			t.Fatalf("%s: %v", seal, err)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(url), "data:image/png;base64,"))
		if err != nil {
			t.Fatal(err)
		}
		picture, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		bitmap, err := gozxing.NewBinaryBitmapFromImage(picture)
		if err != nil {
			t.Fatal(err)
		}
		read, err := qrcode.NewQRCodeReader().Decode(bitmap, nil)
		if err != nil || read.GetText() != seal {
			t.Fatalf("the QR code of %q reads %v, %v", seal, read, err)
		}
	}
}
