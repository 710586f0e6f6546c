package report

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"html/template"
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

// The QR code Paper draws for a seal is the same PNG every time, whatever
// level it falls back to, so a page printed again draws the page's own
// bytes (which verify-report requires); two seals draw two PNGs.
func TestQRCodeIsTheSameForTheSameSeal(t *testing.T) {
	previous := template.URL("")
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
		if first == previous {
			t.Fatalf("two seals drew the same picture")
		}
		previous = first
	}
}

// pinnedQRSeal's QR code is pinned to its PNG's SHA-256: verify-report
// requires the exact bytes the ledger draws, so a Go release (or a
// gozxing version) that drew or compressed the same seal otherwise would
// make genuine pages printed before it fail. This test sees that before
// such a build ships.
const (
	pinnedQRSeal   = "ledger-report/3 month=2022-06 county=150626 campaign= size=121 root=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= figures=00"
	pinnedQRSHA256 = "22b037993f6a0caa3004392c159be051e0a325dcce9dbb1f80b1861dbf841e7f"
)

func TestQRCodeBytesArePinned(t *testing.T) {
	url, err := qrDataURL(pinnedQRSeal)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(url), "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != pinnedQRSHA256 {
		t.Fatalf("the seal's QR code is drawn as a PNG of SHA-256 %x, not the pinned %s: pages printed before would no longer verify", sum, pinnedQRSHA256)
	}
}
