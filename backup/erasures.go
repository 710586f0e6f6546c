package backup

import (
	"fmt"
	"io"
	"strings"

	"github.com/ordos-union/ledger/internal/private"
)

// erasuresBytesMax bounds an erasure list read at restore.
const erasuresBytesMax = 16 << 20

// erasuresHeader opens an erasure list, saying what it is.
const erasuresHeader = "# data subjects erased from the ledger, one a line (ledger erasures)\n"

// ErasuresList is the list of erased subjects restore re-applies: one id
// a line, below a comment saying what it is.
func ErasuresList(subjects []string) []byte {
	var list strings.Builder
	list.WriteString(erasuresHeader)
	for _, subject := range subjects {
		list.WriteString(subject + "\n")
	}
	return []byte(list.String())
}

// ReadErasures reads a list of erased subjects: one id a line, blank lines
// and lines starting with # skipped. A backup taken before an erasure
// still holds the subject's key; restore destroys it again. A list other
// users may write is refused: one who took a line out would have a
// forgotten person's data back.
func ReadErasures(path string) ([]string, error) {
	file, err := private.OpenNotWritable(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	content, err := io.ReadAll(io.LimitReader(file, erasuresBytesMax+1))
	if err != nil {
		return nil, err
	}
	if len(content) > erasuresBytesMax {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, erasuresBytesMax)
	}
	var subjects []string
	for number, line := range strings.Split(string(content), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s line %d: one subject id a line, not %q", path, number+1, line)
		}
		subjects = append(subjects, line)
	}
	return subjects, nil
}
