package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Every idempotency key the ledger writes or reads is remembered with the
// content hash of its event, so the hash is computed once per appended
// event and once per keyed event a campaign's state reads back. Encoding
// the hashed content with encoding/json (reflection over the envelope, an
// interface payload and the MarshalJSON methods of time and money) was the
// largest part of the campaign's own work on a single append. The common
// payloads, with plain strings, are encoded here by hand into the bytes
// encoding/json writes; anything else (another payload type, goods items,
// personal data, a string with characters encoding/json escapes, a time or
// an amount it would refuse) goes to encoding/json, which decides as it
// always did. FuzzFastEncoders holds the two to the same bytes.

// contentHashBytesMax is the stack room for the content of a common
// event; a longer one grows onto the heap and still takes the fast path.
const contentHashBytesMax = 512

// hashedContent is what the content hash encodes: what an event says,
// leaving out what the ledger adds and request bookkeeping.
type hashedContent struct {
	Type       EventType      `json:"type"`
	Aggregate  AggregateRef   `json:"aggregate"`
	County     string         `json:"county"`
	OccurredAt time.Time      `json:"occurred_at"`
	Actor      string         `json:"actor"`
	Data       Payload        `json:"data"`
	Personal   *Personal      `json:"personal,omitempty"`
	Sealed     []sealedDigest `json:"sealed,omitempty"`
}

// contentOf is the hashed content of the event. Where a void's or a
// correction's target sits is the ledger's addition, not the client's
// content: a retry without it is the same request.
func contentOf(e Event) hashedContent {
	data := e.Data
	switch p := data.(type) {
	case EntryVoided:
		p.TargetLocation = TargetLocation{}
		data = p
	case *EntryCorrected:
		copied := *p
		copied.TargetLocation = TargetLocation{}
		data = &copied
	}
	return hashedContent{e.Type, e.Aggregate, e.County, e.OccurredAt.UTC(), e.Actor, data, e.Personal, sealedDigests(e.Sealed)}
}

// ContentHash identifies what an event says, leaving out what the ledger adds
// (id, recorded-at) and request bookkeeping (correlation and causation ids).
// A retry with the same idempotency key must have the same content hash.
func (e Event) ContentHash() (string, error) {
	content := contentOf(e)
	if !fastPathOff {
		var scratch [contentHashBytesMax]byte
		if encoded, ok := appendContentFast(scratch[:0], content); ok {
			sum := sha256.Sum256(encoded)
			var text [2 * sha256.Size]byte
			return string(hex.AppendEncode(text[:0], sum[:])), nil
		}
	}
	// The encoding goes straight into the digest: the same bytes as
	// encoding into a buffer and hashing that, without the buffer.
	digest := sha256.New()
	if err := encodeContentStrict(digest, content); err != nil {
		return "", err
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(digest.Sum(sum[:0])), nil
}

// encodeContentStrict writes the content as encoding/json does, with the
// newline its encoder ends with: the definition of the hashed bytes.
func encodeContentStrict(writer interface{ Write([]byte) (int, error) }, content hashedContent) error {
	encoder := json.NewEncoder(writer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(content); err != nil {
		return fmt.Errorf("content hash: %w", err)
	}
	return nil
}

// contentBytesStrict is the hashed bytes as encoding/json writes them, for
// the tests that hold the fast path to them.
func contentBytesStrict(content hashedContent) ([]byte, error) {
	var buffer bytes.Buffer
	err := encodeContentStrict(&buffer, content)
	return buffer.Bytes(), err
}

// appendContentFast appends the bytes encodeContentStrict writes, or says
// it is not sure of them (ok false).
func appendContentFast(buffer []byte, content hashedContent) ([]byte, bool) {
	if content.Personal != nil || len(content.Sealed) > 0 {
		return nil, false
	}
	ok := true
	buffer = append(buffer, `{"type":`...)
	buffer, ok = appendPlainString(buffer, string(content.Type), ok)
	buffer = append(buffer, `,"aggregate":{"kind":`...)
	buffer, ok = appendPlainString(buffer, content.Aggregate.Kind, ok)
	buffer = append(buffer, `,"id":`...)
	buffer, ok = appendPlainString(buffer, content.Aggregate.ID, ok)
	buffer = append(buffer, `},"county":`...)
	buffer, ok = appendPlainString(buffer, content.County, ok)
	buffer = append(buffer, `,"occurred_at":`...)
	buffer, ok = appendTime(buffer, content.OccurredAt, ok)
	buffer = append(buffer, `,"actor":`...)
	buffer, ok = appendPlainString(buffer, content.Actor, ok)
	buffer = append(buffer, `,"data":`...)
	buffer, ok = appendPayloadFast(buffer, content.Data, ok)
	if !ok {
		return nil, false
	}
	return append(buffer, "}\n"...), true
}

// appendPayloadFast appends the payloads of money entries without goods:
// the ones a ledger records most.
func appendPayloadFast(buffer []byte, payload Payload, ok bool) ([]byte, bool) {
	switch p := payload.(type) {
	case DonationReceived:
		if len(p.Items) > 0 {
			return buffer, false
		}
		return appendDonationFast(buffer, p.DonationID, p.Campaign, p.DonorKind, p.DonorOrg, p.Form, p.Amount, p.BankReference, p.Note, ok)
	case DonationPledged:
		if len(p.Items) > 0 {
			return buffer, false
		}
		// A pledge has no bank reference: left empty, it is left out as
		// encoding/json leaves out an empty one.
		return appendDonationFast(buffer, p.DonationID, p.Campaign, p.DonorKind, p.DonorOrg, p.Form, p.Amount, "", p.Note, ok)
	case FundsAllocated:
		buffer = append(buffer, `{"allocation_id":`...)
		buffer, ok = appendPlainString(buffer, p.AllocationID, ok)
		buffer, ok = appendField(buffer, `,"campaign":`, p.Campaign, ok)
		buffer, ok = appendField(buffer, `,"from_county":`, p.FromCounty, ok)
		buffer, ok = appendField(buffer, `,"to_county":`, p.ToCounty, ok)
		buffer = append(buffer, `,"amount":`...)
		buffer, ok = appendMoney(buffer, p.Amount, ok)
		buffer, ok = appendFieldOmitEmpty(buffer, `,"purpose":`, p.Purpose, ok)
		return append(buffer, '}'), ok
	case EntryVoided:
		if p.TargetLocation != (TargetLocation{}) {
			return buffer, false
		}
		buffer = append(buffer, `{"campaign":`...)
		buffer, ok = appendPlainString(buffer, p.Campaign, ok)
		buffer, ok = appendField(buffer, `,"target_event_id":`, p.TargetEventID, ok)
		buffer, ok = appendField(buffer, `,"reason":`, p.Reason, ok)
		buffer, ok = appendFieldOmitEmpty(buffer, `,"closed_period":`, p.ClosedPeriod, ok)
		return append(buffer, '}'), ok
	}
	return buffer, false
}

// appendDonationFast writes a donation received or pledged without goods:
// the two share their fields but for the bank reference.
func appendDonationFast(buffer []byte, id, campaign, donorKind, donorOrganisation, form string, amount Money, bankReference, note string,
	ok bool) ([]byte, bool) {
	buffer = append(buffer, `{"donation_id":`...)
	buffer, ok = appendPlainString(buffer, id, ok)
	buffer, ok = appendField(buffer, `,"campaign":`, campaign, ok)
	buffer, ok = appendField(buffer, `,"donor_kind":`, donorKind, ok)
	buffer, ok = appendFieldOmitEmpty(buffer, `,"donor_organisation":`, donorOrganisation, ok)
	buffer, ok = appendField(buffer, `,"form":`, form, ok)
	buffer, ok = appendMoneyOmitEmpty(buffer, `,"amount":`, amount, ok)
	buffer, ok = appendFieldOmitEmpty(buffer, `,"bank_reference":`, bankReference, ok)
	buffer, ok = appendFieldOmitEmpty(buffer, `,"note":`, note, ok)
	return append(buffer, '}'), ok
}

func appendField(buffer []byte, key, value string, ok bool) ([]byte, bool) {
	buffer = append(buffer, key...)
	return appendPlainString(buffer, value, ok)
}

func appendFieldOmitEmpty(buffer []byte, key, value string, ok bool) ([]byte, bool) {
	if value == "" {
		return buffer, ok
	}
	return appendField(buffer, key, value, ok)
}

func appendMoneyOmitEmpty(buffer []byte, key string, amount Money, ok bool) ([]byte, bool) {
	if amount == 0 {
		return buffer, ok
	}
	buffer = append(buffer, key...)
	return appendMoney(buffer, amount, ok)
}

// appendMoney writes what Money.MarshalJSON writes; a sentinel, which it
// refuses, is left to encoding/json to refuse.
func appendMoney(buffer []byte, amount Money, ok bool) ([]byte, bool) {
	if amount.sentinel() {
		return buffer, false
	}
	buffer = append(buffer, '"')
	buffer = amount.appendYuan(buffer)
	return append(buffer, '"'), ok
}

// appendTime writes what time.Time.MarshalJSON writes for a time in UTC;
// a year it refuses is left to encoding/json to refuse.
func appendTime(buffer []byte, at time.Time, ok bool) ([]byte, bool) {
	if year := at.Year(); year < 0 || year > 9999 || at.Location() != time.UTC {
		return buffer, false
	}
	buffer = append(buffer, '"')
	buffer = at.AppendFormat(buffer, time.RFC3339Nano)
	return append(buffer, '"'), ok
}

// appendPlainString writes a string that encoding/json writes as it is,
// between quotes: printable ASCII other than the quote and the backslash,
// and valid UTF-8 other than the line and paragraph separators. Any other
// string is left to encoding/json, which escapes it.
func appendPlainString(buffer []byte, value string, ok bool) ([]byte, bool) {
	for i := 0; i < len(value); {
		c := value[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
				return buffer, false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(value[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return buffer, false
		}
		i += size
	}
	buffer = append(buffer, '"')
	buffer = append(buffer, value...)
	return append(buffer, '"'), ok
}

// ContentKeyPrefix begins an idempotency key made from an entry's content
// rather than chosen by a client: a spreadsheet row's (sheets). Such a key
// names the entry itself, so whoever sends it again is sending the entry
// that is there.
const ContentKeyPrefix = "sheet-"

// ContentKeyed says whether key was made from its entry's content
// (ContentKeyPrefix).
func ContentKeyed(key string) bool { return strings.HasPrefix(key, ContentKeyPrefix) }

// SameRetry says whether event, sent under an idempotency key that already
// wrote record, is the entry that key wrote. Its content must hash as the
// written one did. A key made from the content (ContentKeyed) leaves out
// who sends it: two clerks importing the same sheet send the same rows,
// and the second finds them recorded by the first, so the event is
// compared as if its actor were the recorder. A key a client chose names
// that client's request, and another actor's content under it is another
// request: two clerks' clients may number their requests alike, and
// taking the second one's entry, identical but for its author, for the
// first one's would lose it.
func SameRetry(record KeyRecord, event Event) (bool, error) {
	if ContentKeyed(event.IdempotencyKey) {
		event.Actor = record.Actor
	}
	hash, err := event.ContentHash()
	if err != nil {
		return false, err
	}
	return hash == record.ContentHash, nil
}
