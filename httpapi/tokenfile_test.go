package httpapi_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/httpapi"
)

// A tokens file that group or other users may read or write is refused,
// the data directory's own and --tokens FILE alike: whoever read a token
// acts with its role, and whoever may write the file gives themselves one.
// The error names the file, its mode and the fix.
func TestServerTokensFileOthersCanReadIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not access control on Windows")
	}
	dir := t.TempDir()
	tokens, _, admin, err := httpapi.LoadServerTokens("", "", dir)
	if err != nil || tokens == nil || admin == "" {
		t.Fatalf("new tokens: %v %v %q", tokens, err, admin)
	}
	path := filepath.Join(dir, "tokens.json")
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("new tokens file: %v %v, want mode 0600", info, err)
	}
	if tokens, _, _, err := httpapi.LoadServerTokens("", "", dir); err != nil || tokens == nil {
		t.Fatalf("the tokens file of mode 0600: %v", err)
	}
	given := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(given, []byte(`{"tokens":[{"name":"a","role":"admin","token":"0123456789abcdef0123"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if tokens, note, _, err := httpapi.LoadServerTokens(given, "", dir); err != nil || tokens == nil || !strings.Contains(note, given) {
		t.Fatalf("--tokens FILE of mode 0600: %v %q", err, note)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o666, 0o602} {
		for _, file := range []string{path, given} {
			if err := os.Chmod(file, mode); err != nil {
				t.Fatal(err)
			}
		}
		for name, load := range map[string]func() (*httpapi.Tokens, error){
			"the data directory's tokens.json": func() (*httpapi.Tokens, error) {
				tokens, _, _, err := httpapi.LoadServerTokens("", "", dir)
				return tokens, err
			},
			"--tokens FILE": func() (*httpapi.Tokens, error) {
				tokens, _, _, err := httpapi.LoadServerTokens(given, "", dir)
				return tokens, err
			},
		} {
			file := path
			if name == "--tokens FILE" {
				file = given
			}
			tokens, err := load()
			if err == nil || tokens != nil {
				t.Fatalf("%s of mode %04o was used", name, mode)
			}
			perm := mode.Perm()
			octal := string([]byte{'0', '0' + byte(perm>>6&7), '0' + byte(perm>>3&7), '0' + byte(perm&7)})
			for _, part := range []string{file, "is mode " + octal, "chmod 600 " + file} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("%s of mode %04o: the error %q does not say %q", name, mode, err, part)
				}
			}
		}
	}
}
