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

// The QR code Paper draws for a seal is the same every time, whatever
// level it falls back to, so a page printed again draws the page's own
// picture; a picture compressed otherwise passes as the same, another
// seal's does not.
func TestQRCodeIsTheSameForTheSameSeal(t *testing.T) {
	previous := ""
	for range qrSealsTried / 10 {
		root := make([]byte, 32)
		if _, err := rand.Read(root); err != nil {
			t.Fatal(err)
		}
		seal := "ledger-report/3 month=2022-06 county= campaign= size=122 root=" + base64.StdEncoding.EncodeToString(root) + " figures=00"
		first, err := qrDataURL(seal)
		if err != nil {
			t.Fatal(err)
		}
		again, err := qrDataURL(seal)
		if err != nil {
			t.Fatal(err)
		}
		if first != again {
			t.Fatalf("the seal %q drew two pictures", seal)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(first), "data:image/png;base64,"))
		if err != nil {
			t.Fatal(err)
		}
		picture, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var recompressed bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&recompressed, picture); err != nil {
			t.Fatal(err)
		}
		other := "data:image/png;base64," + base64.StdEncoding.EncodeToString(recompressed.Bytes())
		if other == string(first) || !samePicture(string(first), other) {
			t.Fatalf("the picture compressed otherwise is not taken for the same")
		}
		if previous != "" && samePicture(string(first), previous) {
			t.Fatalf("two seals' pictures are taken for the same")
		}
		previous = string(first)
	}
}
