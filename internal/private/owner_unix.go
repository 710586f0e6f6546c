//go:build unix

package private

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByUs says the file belongs to the effective user: only its owner
// can change a file's mode, and the owner can always change it back.
func ownedByUs(info fs.FileInfo) bool {
	stat, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(stat.Uid) == os.Geteuid()
}
