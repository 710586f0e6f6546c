package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Schema versions. Every event type starts at version 1; a type whose
// payload changes gets the next version and an upcaster that turns the
// version before into it. Old versions are read, never written: the ledger
// writes the current version only, and readers only ever see the current
// shape. docs/EVENTS.md lists every version and its upcaster.
var currentVersions = map[EventType]int{
	// training_held v2: format is a code (online, offline, both); v1 let
	// clerks write the Chinese words 线上, 线下 and 线上线下.
	TypeTrainingHeld: 2,
}

// CurrentVersion is the version the ledger writes for an event type.
func CurrentVersion(eventType EventType) int {
	if version, ok := currentVersions[eventType]; ok {
		return version
	}
	return SchemaVersion
}

// upcaster turns a payload of one version into the next, in place. Each is
// idempotent, so it may also run on a payload already in the newer shape
// (the replacement inside an old correction carries no version of its own).
type upcaster func(data map[string]json.RawMessage) (changed bool, err error)

// upcasters[type][v] turns version v into version v+1.
var upcasters = map[EventType]map[int]upcaster{
	TypeTrainingHeld: {1: trainingFormatWordsToCodes},
}

// upcasterPrefilters[type][v] says whether the upcaster from v can change a
// payload at all, from its bytes: one that cannot is left as it is without
// decoding it into a map, which replaying a log of old events would do for
// every one of them. A step without a prefilter is always run.
var upcasterPrefilters = map[EventType]map[int]func(raw []byte) bool{
	TypeTrainingHeld: {1: mayHoldFormatWords},
}

// mayHoldFormatWords: every word trainingFormatWordsToCodes replaces holds
// 线, written as it is or escaped (and an escape may also spell the key).
func mayHoldFormatWords(raw []byte) bool {
	return bytes.Contains(raw, []byte("线")) || bytes.Contains(raw, []byte(`\u`))
}

var trainingFormatCodes = map[string]string{"线上": FormatOnline, "线下": FormatOffline, "线上线下": FormatBoth, "线上+线下": FormatBoth}

func trainingFormatWordsToCodes(data map[string]json.RawMessage) (bool, error) {
	raw, ok := data["format"]
	if !ok {
		return false, nil
	}
	var format string
	if err := json.Unmarshal(raw, &format); err != nil {
		return false, nil
	}
	code, ok := trainingFormatCodes[format]
	if !ok {
		return false, nil
	}
	encoded, _ := json.Marshal(code)
	data["format"] = encoded
	return true, nil
}

// upcast brings a payload of version from up to the current version of its
// type.
func upcast(eventType EventType, from int, raw json.RawMessage) (json.RawMessage, error) {
	current := CurrentVersion(eventType)
	if from >= current {
		return raw, nil
	}
	mayChange := false
	for version := from; version < current; version++ {
		if upcasters[eventType][version] == nil {
			return nil, fmt.Errorf("no upcaster from %s v%d to v%d", eventType, version, version+1)
		}
		prefilter := upcasterPrefilters[eventType][version]
		mayChange = mayChange || prefilter == nil || prefilter(raw)
	}
	if !mayChange {
		return raw, nil
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil {
		return raw, nil
	}
	changed := false
	for version := from; version < current; version++ {
		step := upcasters[eventType][version]
		if step == nil {
			return nil, fmt.Errorf("no upcaster from %s v%d to v%d", eventType, version, version+1)
		}
		stepChanged, err := step(data)
		if err != nil {
			return nil, fmt.Errorf("upcast %s v%d: %w", eventType, version, err)
		}
		changed = changed || stepChanged
	}
	if !changed {
		// Untouched payloads keep their bytes (and their field order).
		return raw, nil
	}
	return json.Marshal(data)
}
