package report_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/report"
)

// pngChunk is a chunk of a PNG file: its type and its data.
type pngChunk struct {
	kind string
	data []byte
}

const pngURLPrefix = "data:image/png;base64,"

// pngOf is the PNG file a page's QR code's data: URL (as the page writes
// it, with its entities) holds.
func pngOf(t *testing.T, url string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.ReplaceAll(url, "&#43;", "+"), pngURLPrefix))
	if err != nil || !strings.HasPrefix(url, pngURLPrefix) {
		t.Fatalf("the QR code is not a PNG in a data: URL: %v", err)
	}
	return raw
}

// chunksOf splits a PNG file into its chunks.
func chunksOf(t *testing.T, file []byte) []pngChunk {
	t.Helper()
	var chunks []pngChunk
	rest := file[8:]
	for len(rest) >= 12 {
		size := binary.BigEndian.Uint32(rest)
		if uint64(len(rest)) < 12+uint64(size) {
			t.Fatal("a chunk runs past the file's end")
		}
		chunks = append(chunks, pngChunk{string(rest[4:8]), rest[8 : 8+size]})
		rest = rest[12+size:]
	}
	return chunks
}

// pngFile writes chunks as a PNG file, each with its right CRC, so only
// what the chunks say can make a page fail.
func pngFile(chunks []pngChunk) []byte {
	var file bytes.Buffer
	file.WriteString("\x89PNG\r\n\x1a\n")
	for _, chunk := range chunks {
		file.Write(binary.BigEndian.AppendUint32(nil, uint32(len(chunk.data))))
		file.WriteString(chunk.kind)
		file.Write(chunk.data)
		file.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(append([]byte(chunk.kind), chunk.data...))))
	}
	return file.Bytes()
}

func pngURL(file []byte) string { return pngURLPrefix + base64.StdEncoding.EncodeToString(file) }

// withChunk is chunks with one more inserted before the chunk of type
// before.
func withChunk(chunks []pngChunk, before string, added pngChunk) []pngChunk {
	var out []pngChunk
	for _, chunk := range chunks {
		if chunk.kind == before {
			out = append(out, added)
		}
		out = append(out, chunk)
	}
	return out
}

// apng is the security review's forgery: the genuine QR code stays the
// PNG's still image (which Go's decoder reads, and the only image it
// reads), and an APNG animation frame (acTL, fcTL, fdAT, which browsers
// draw over it) holds another seal's QR code.
func apng(t *testing.T, genuine, other []byte) []byte {
	t.Helper()
	var chunks []pngChunk
	seq := uint32(0)
	for _, chunk := range chunksOf(t, genuine) {
		switch chunk.kind {
		case "IHDR":
			chunks = append(chunks, chunk, pngChunk{"acTL", binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 1), 0)})
		case "IEND":
			control := make([]byte, 26)
			binary.BigEndian.PutUint32(control[0:], seq)
			copy(control[4:12], chunksOf(t, genuine)[0].data[:8])
			binary.BigEndian.PutUint16(control[20:], 1)
			binary.BigEndian.PutUint16(control[22:], 1)
			seq++
			chunks = append(chunks, pngChunk{"fcTL", control})
			for _, frame := range chunksOf(t, other) {
				if frame.kind == "IDAT" {
					chunks = append(chunks, pngChunk{"fdAT", append(binary.BigEndian.AppendUint32(nil, seq), frame.data...)})
					seq++
				}
			}
			chunks = append(chunks, chunk)
		default:
			chunks = append(chunks, chunk)
		}
	}
	return pngFile(chunks)
}

// TestQRCodeIsExactlyTheLedgersPNG: a page's QR code image must be the
// PNG the ledger draws for the seal, byte for byte. The security review's
// APNG forgery (the genuine QR code as the still image, which Go's
// decoder reads, and another seal's QR code as an animation frame, which
// browsers draw) fails naming the QR code's image and the chunks it adds,
// as does any chunk added to the genuine PNG (animation, colour
// management, text, private or unknown chunks, and a palette or a
// transparency the ledger does not write), data after IEND, and the same
// picture compressed otherwise. The genuine page passes.
func TestQRCodeIsExactlyTheLedgersPNG(t *testing.T) {
	monthly := scopedMonth()
	other := scopedMonth()
	other.Seal = strings.Replace(other.Seal, "size=121", "size=122", 1)
	page := paper(t, monthly, domain.DefaultCatalog(), "zh")
	url := qrOf(t, page)
	genuine := pngOf(t, url)
	otherPNG := pngOf(t, qrOf(t, paper(t, other, domain.DefaultCatalog(), "zh")))
	chunks := chunksOf(t, genuine)
	if kinds := chunkKinds(chunks); kinds != "IHDR IDAT IEND" {
		t.Fatalf("the ledger's QR code has chunks %s; the edits below add to IHDR IDAT IEND", kinds)
	}
	const named = "the footer, the QR code's image: the page prints a PNG"

	picture, err := png.Decode(bytes.NewReader(genuine))
	if err != nil {
		t.Fatal(err)
	}
	var recompressed bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&recompressed, picture); err != nil {
		t.Fatal(err)
	}
	forged := apng(t, genuine, otherPNG)
	// The forgery's still image is the genuine picture to Go's decoder,
	// which is what the comparison tolerated before.
	if still, err := png.Decode(bytes.NewReader(forged)); err != nil || still.Bounds() != picture.Bounds() {
		t.Fatalf("the forgery does not decode as the genuine picture: %v", err)
	}

	edits := []pageEdit{
		{"the review's APNG forgery", url, pngURL(forged), named + " of " + strconv.Itoa(len(forged)) + " bytes with chunks IHDR acTL IDAT fcTL fdAT"},
		{"the same picture compressed otherwise", url, pngURL(recompressed.Bytes()), named},
		{"data after IEND", url, pngURL(append(append([]byte{}, genuine...), "\x00\x00\x00\x00IDAT"...)), named},
		{"a second IEND", url, pngURL(pngFile(append(append([]pngChunk{}, chunks...), pngChunk{"IEND", nil}))), named},
	}
	for _, added := range []struct {
		before string
		chunk  pngChunk
	}{
		{"IDAT", pngChunk{"acTL", make([]byte, 8)}},
		{"IEND", pngChunk{"fcTL", make([]byte, 26)}},
		{"IEND", pngChunk{"fdAT", make([]byte, 4)}},
		{"IDAT", pngChunk{"iCCP", []byte("icc\x00\x00x\x9c\x03\x00\x00\x00\x00\x01")}},
		{"IDAT", pngChunk{"gAMA", binary.BigEndian.AppendUint32(nil, 100000)}},
		{"IDAT", pngChunk{"cHRM", make([]byte, 32)}},
		{"IDAT", pngChunk{"sRGB", []byte{0}}},
		{"IDAT", pngChunk{"tEXt", []byte("Comment\x00seal")}},
		{"IDAT", pngChunk{"zTXt", []byte("Comment\x00\x00x\x9c\x03\x00\x00\x00\x00\x01")}},
		{"IDAT", pngChunk{"iTXt", []byte("Comment\x00\x00\x00\x00\x00seal")}},
		{"IDAT", pngChunk{"pHYs", make([]byte, 9)}},
		{"IDAT", pngChunk{"PLTE", []byte{0, 0, 0, 255, 255, 255}}},
		{"IDAT", pngChunk{"tRNS", []byte{0, 0}}},
		{"IDAT", pngChunk{"prVt", []byte("another seal")}},
		{"IEND", pngChunk{"IDAT", nil}},
	} {
		file := pngFile(withChunk(chunks, added.before, added.chunk))
		edits = append(edits, pageEdit{"a " + added.chunk.kind + " chunk", url, pngURL(file), named + " of " + strconv.Itoa(len(file)) + " bytes with chunks "})
		if !strings.Contains(chunkKinds(chunksOf(t, file)), added.chunk.kind) {
			t.Fatalf("the %s chunk was not added", added.chunk.kind)
		}
	}
	checkEdits(t, monthly, page, edits)

	// The forgery fails as a *PageMismatchError, wrapping the mismatch.
	printed, err := report.ReadPrinted([]byte(strings.Replace(page, url, pngURL(forged), 1)))
	if err != nil {
		t.Fatal(err)
	}
	var differs *report.PageMismatchError
	if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), printed); !errors.As(err, &differs) || !errors.Is(err, app.ErrReportMismatch) ||
		differs.Place != "the footer, the QR code's image" || !strings.Contains(differs.Printed, "acTL") {
		t.Fatalf("the review's forgery: %v", err)
	}
}

// TestQRCodeIsCarriedNoOtherWay: the page cannot carry another seal's QR
// code beside the genuine one in a way the comparison tolerates: in
// another attribute of the image (srcset, a style's background or
// content, a src before the genuine one), in a style sheet, a second image, an SVG
// image, a picture's source, an object or an input; the whole-page
// comparison refuses each, naming the footer (or the head, for the style
// sheet).
func TestQRCodeIsCarriedNoOtherWay(t *testing.T) {
	monthly := scopedMonth()
	other := scopedMonth()
	other.Seal = strings.Replace(other.Seal, "size=121", "size=122", 1)
	page := paper(t, monthly, domain.DefaultCatalog(), "zh")
	url := qrOf(t, page)
	otherURL := qrOf(t, paper(t, other, domain.DefaultCatalog(), "zh"))
	image := `<img src="` + url + `" alt="seal">`
	if strings.Count(page, image) != 1 {
		t.Fatal("the page does not print its QR code's image once")
	}
	attribute := func(extra string) string { return `<img src="` + url + `" alt="seal" ` + extra + `>` }
	const footer = "the footer: the page prints "
	// A src after the genuine one is dropped by browsers and the tokenizer
	// alike (the HTML standard keeps an attribute's first value), so it
	// draws nothing and passes; only one before the genuine one is drawn,
	// and fails below.
	repeated, err := report.ReadPrinted([]byte(strings.Replace(page, image, attribute(`src="`+otherURL+`"`), 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.CheckPrinted(monthly, domain.DefaultCatalog(), repeated); err != nil {
		t.Fatalf("a src after the genuine one: %v", err)
	}
	checkEdits(t, monthly, page, []pageEdit{
		{"a srcset", image, attribute(`srcset="` + otherURL + ` 1x"`), footer + `"<img src=`},
		{"a style's background", image, attribute(`style="background-image:url(` + otherURL + `)"`), footer + `"<img src=`},
		{"a style's content", image, attribute(`style="content:url(` + otherURL + `)"`), footer + `"<img src=`},
		{"an image from elsewhere", image, `<img src="https://example.org/qr.png" alt="seal">`,
			`the footer, the QR code's image: the page prints an image from "https://example.org/qr.png" where`},
		{"the other src first", image, `<img src="` + otherURL + `" src="` + url + `" alt="seal">`, "the footer, the QR code's image: the page prints a PNG"},
		{"a style sheet", "</style>", "footer img { content: url(" + otherURL + ") }</style>", "the page's head: the page prints the text"},
		{"a second image", image, image + `<img src="` + otherURL + `" alt="seal">`, footer + `"<img src=`},
		{"an SVG image", image, image + `<svg><image href="` + otherURL + `"/></svg>`, footer + `"<svg>"`},
		{"a picture's source", image, `<picture><source srcset="` + otherURL + `">` + image + `</picture>`, footer + `"<picture>"`},
		{"an object", image, `<object data="` + otherURL + `">` + image + `</object>`, footer + `"<object`},
		{"an input", image, `<input type="image" src="` + otherURL + `">` + image, footer + `"<input`},
	})
}

func chunkKinds(chunks []pngChunk) string {
	kinds := make([]string, len(chunks))
	for i, chunk := range chunks {
		kinds[i] = chunk.kind
	}
	return strings.Join(kinds, " ")
}
