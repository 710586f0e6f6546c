package natsjs

import (
	"encoding/json"
	"fmt"
)

// Every single append waits for one JetStream acknowledgement, and decoding
// it with encoding/json (reflection over a struct with an embedded struct and
// an error pointer) was the largest part of the store's own work on that
// path. The acknowledgements of a successful publish have one plain shape,
// {"stream":"LEDGER","seq":42} with at times "duplicate", "domain", "batch"
// and "count", which readAck reads by hand. Anything else (an error, a key
// it does not know or that appears twice, an escape, a number it is not sure
// of) goes to encoding/json, which decides as it always did; FuzzReadAck
// holds the two to the same answer.

// ackResponse is a publish acknowledgement as JetStream sends it.
type ackResponse struct {
	publishAck
	Error *apiError `json:"error"`
}

// decodeAck reads an acknowledgement.
func decodeAck(data []byte) (ackResponse, error) {
	if response, ok := readAck(data); ok {
		return response, nil
	}
	var response ackResponse
	if err := json.Unmarshal(data, &response); err != nil {
		return ackResponse{}, fmt.Errorf("decode publish ack: %w", err)
	}
	return response, nil
}

// ackDigitsMax keeps a sequence or count far inside uint64 and int.
const ackDigitsMax = 18

// readAck reads the plain shape of a successful acknowledgement, or says
// it is not sure (ok false).
func readAck(data []byte) (response ackResponse, ok bool) {
	at := 0
	space := func() {
		for at < len(data) && (data[at] == ' ' || data[at] == '\t' || data[at] == '\n' || data[at] == '\r') {
			at++
		}
	}
	next := func(want byte) bool {
		space()
		if at < len(data) && data[at] == want {
			at++
			return true
		}
		return false
	}
	plain := func() (string, bool) {
		if !next('"') {
			return "", false
		}
		start := at
		for at < len(data) {
			switch c := data[at]; {
			case c == '"':
				at++
				return string(data[start : at-1]), true
			case c == '\\' || c < 0x20 || c >= 0x80:
				// Escapes, control characters and anything but ASCII
				// are encoding/json's to read.
				return "", false
			}
			at++
		}
		return "", false
	}
	number := func() (uint64, bool) {
		space()
		start, value := at, uint64(0)
		for at < len(data) && data[at] >= '0' && data[at] <= '9' {
			value = value*10 + uint64(data[at]-'0')
			at++
		}
		digits := at - start
		if digits == 0 || digits > ackDigitsMax || (digits > 1 && data[start] == '0') {
			return 0, false
		}
		if at < len(data) && (data[at] == '.' || data[at] == 'e' || data[at] == 'E') {
			return 0, false
		}
		return value, true
	}
	literal := func() (bool, bool) {
		space()
		for _, word := range [...]string{"true", "false"} {
			if len(data)-at >= len(word) && string(data[at:at+len(word)]) == word {
				at += len(word)
				return word == "true", true
			}
		}
		return false, false
	}
	const (
		seenStream = 1 << iota
		seenSeq
		seenDuplicate
		seenDomain
		seenBatch
		seenCount
	)
	seen := 0
	if !next('{') {
		return ackResponse{}, false
	}
	if !next('}') {
		for {
			key, isPlain := plain()
			if !isPlain || !next(':') {
				return ackResponse{}, false
			}
			var bit int
			var read bool
			switch key {
			case "stream":
				bit = seenStream
				response.Stream, read = plain()
			case "seq":
				bit = seenSeq
				response.Sequence, read = number()
			case "duplicate":
				bit = seenDuplicate
				response.Duplicate, read = literal()
			case "domain":
				// The domain is not kept; its value must still be plain.
				bit = seenDomain
				_, read = plain()
			case "batch":
				bit = seenBatch
				response.BatchID, read = plain()
			case "count":
				bit = seenCount
				var count uint64
				count, read = number()
				response.Count = int(count)
			}
			if bit == 0 || !read || seen&bit != 0 {
				return ackResponse{}, false
			}
			seen |= bit
			if next(',') {
				continue
			}
			if !next('}') {
				return ackResponse{}, false
			}
			break
		}
	}
	space()
	if at != len(data) || seen&seenStream == 0 || seen&seenSeq == 0 {
		return ackResponse{}, false
	}
	return response, true
}
