package domain

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// Field paths such as "data.items[0].value" name what a violation is
// about. Validation builds one for every field it checks, and only the
// few that break a rule are ever read: replaying a log validates every
// event, so each path is built once and then reused.

// fieldPathsMax bounds the paths kept, in paths: those of the catalogue's
// fields and of lists' first elements. Beyond it paths are built afresh.
const fieldPathsMax = 4096

// fieldPathKey is a path as its parts: a parent path, an optional list
// index (negative: none) and an optional field ("": none).
type fieldPathKey struct {
	parent string
	index  int
	field  string
}

var (
	// fieldPaths is read without a lock and replaced whole when a path
	// is added, which happens only until every path is known.
	fieldPaths      atomic.Pointer[map[fieldPathKey]string]
	fieldPathsAdder sync.Mutex
)

// fieldPath is parent, then "[index]" when index is not negative, then
// "." and field when field is given.
func fieldPath(parent string, index int, field string) string {
	key := fieldPathKey{parent: parent, index: index, field: field}
	if known := fieldPaths.Load(); known != nil {
		if path, ok := (*known)[key]; ok {
			return path
		}
	}
	path := parent
	if index >= 0 {
		path += "[" + strconv.Itoa(index) + "]"
	}
	if field != "" {
		path += "." + field
	}
	fieldPathsAdder.Lock()
	defer fieldPathsAdder.Unlock()
	known := fieldPaths.Load()
	if known != nil && len(*known) >= fieldPathsMax {
		return path
	}
	grown := make(map[fieldPathKey]string, 1+len(mapOrEmpty(known)))
	for k, v := range mapOrEmpty(known) {
		grown[k] = v
	}
	grown[key] = path
	fieldPaths.Store(&grown)
	return path
}

func mapOrEmpty(known *map[fieldPathKey]string) map[fieldPathKey]string {
	if known == nil {
		return nil
	}
	return *known
}
