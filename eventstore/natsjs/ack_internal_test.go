package natsjs

import (
	"encoding/json"
	"reflect"
	"testing"
)

// ackSamples are acknowledgements as JetStream sends them, and some it
// does not, for the tests of readAck.
var ackSamples = []string{
	`{"stream":"LEDGER","seq":42}`,
	`{"stream":"LEDGER","domain":"hub","seq":7,"duplicate":true}`,
	`{"stream":"LEDGER","seq":1000,"batch":"0b5e3f7c-4d1e-4c7e-9a57-0d6a1c2b3e4f","count":1000}`,
	`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"},"stream":"LEDGER","seq":0}`,
	`{"stream":"LEDGER","seq":42,"seq":43}`,
	`{"stream":"LED\u0047ER","seq":42}`,
	`{"Stream":"LEDGER","seq":42}`,
	`{"stream":"LEDGER","seq":4.2}`,
	`{"stream":"LEDGER","seq":-1}`,
	`{"stream":"LEDGER","seq":042}`,
	`{"stream":"LEDGER","seq":18446744073709551616}`,
	`{"stream":"LEDGER","seq":42,"duplicate":null}`,
	`{"stream":"LEDGER","seq":42} trailing`,
	` { "stream" : "LEDGER" , "seq" : 42 } `,
	`{}`,
	``,
}

// FuzzReadAck holds the hand-written reading of an acknowledgement to
// encoding/json: whatever readAck reads, json.Unmarshal reads the same.
func FuzzReadAck(f *testing.F) {
	for _, sample := range ackSamples {
		f.Add([]byte(sample))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAck(t, data)
	})
}

func TestReadAck(t *testing.T) {
	for _, sample := range ackSamples {
		checkAck(t, []byte(sample))
	}
	for _, plain := range ackSamples[:3] {
		if _, ok := readAck([]byte(plain)); !ok {
			t.Errorf("readAck gave up on the plain acknowledgement %s", plain)
		}
	}
	if _, ok := readAck([]byte(ackSamples[3])); ok {
		t.Errorf("readAck read an error answer itself: %s", ackSamples[3])
	}
}

func checkAck(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := readAck(data)
	if !ok {
		return
	}
	var strict ackResponse
	if err := json.Unmarshal(data, &strict); err != nil {
		t.Fatalf("readAck read %q, which encoding/json refuses: %v", data, err)
	}
	if !reflect.DeepEqual(fast, strict) {
		t.Fatalf("readAck read %q as %+v, encoding/json as %+v", data, fast, strict)
	}
}
