// Package mirror keeps an auditor's copy of a ledger published as C2SP
// tlog-tiles (`ledger serve` under /tlog/, or `ledger tiles export` on a
// static web server): it fetches the signed checkpoint and the tiles it
// lacks, checks the signature with the verifier key it is given, every
// tile against the signed tree and the new checkpoint's consistency with
// the one it kept, and only then keeps them. The kept copy can be verified
// and totalled offline (Verify, Totals, Log).
//
// The directory is the tlog-tiles layout itself (checkpoint,
// tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]) plus checkpoints.note,
// every checkpoint the mirror accepted, so it can be served again as it
// is. The hashing is golang.org/x/mod/sumdb/tlog's, the library the ledger
// builds its tree with: no Merkle code of its own.
package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/internal/atomicfile"
	"github.com/ordos-union/ledger/internal/private"
)

// Sizes a mirror accepts from a server, so a hostile or broken one cannot
// exhaust its memory or disk.
const (
	// checkpointBytesMax bounds the signed checkpoint note.
	checkpointBytesMax = 64 << 10
	// tileBytesMax is a full hash tile: 256 hashes of 32 bytes.
	tileBytesMax = (1 << integrity.TileHeight) * tlog.HashSize
	// bundleBytesMax is a full entry bundle of the largest entries a
	// bundle can frame (two length bytes and at most 65535 bytes each).
	bundleBytesMax = (1 << integrity.TileHeight) * (2 + 0xFFFF)
	// leavesMax bounds the log a mirror takes on: the tree it rebuilds
	// keeps about 64 bytes an entry in memory.
	leavesMax = 1 << 24
)

// Timeouts of the default HTTP client: a whole request (a full entry
// bundle is at most 16 MiB), and the TLS handshake; connecting keeps
// net/http's default transport's own bound.
const (
	requestTimeoutSeconds   = 60
	handshakeTimeoutSeconds = 10
)

// Files of a mirror directory besides the tiles.
const (
	checkpointFile = "checkpoint"
	historyFile    = "checkpoints.note"
	historyDivider = "---\n"
	stagingPrefix  = ".incoming-"
	lockFile       = ".lock"
)

// modes are the modes of what a mirror writes. A log served to anyone may
// be mirrored for anyone to read (0644, directories 0755); one the server
// gives only for a token is not public, and its entry bundles are the
// stored events themselves, so its mirror is its owner's alone (0600,
// directories 0700).
type modes struct{ file, dir os.FileMode }

func modesFor(token string) modes {
	if token != "" {
		return modes{file: 0o600, dir: 0o700}
	}
	return modes{file: 0o644, dir: 0o755}
}

// ErrBusy says another run is updating the mirror directory.
var ErrBusy = errors.New("another mirror run is updating the directory")

// ErrInconsistent says the server's new checkpoint does not extend the
// one the mirror kept: history was rewritten, or the tree shrank. The
// mirror keeps its old checkpoint and tiles.
var ErrInconsistent = errors.New("not consistent with the kept checkpoint")

// ErrTileMismatch says a tile the server sent does not match the signed
// tree; the error names the tile.
var ErrTileMismatch = errors.New("does not match the signed tree")

// Options say what to mirror, where, and how to trust it.
type Options struct {
	// URL is the log's prefix: the address below which "checkpoint" and
	// "tile/" are served (https://ledger.example/tlog/).
	URL string
	// Dir is the mirror directory, made if missing.
	Dir string
	// Verifier checks the checkpoint's signature: the ledger's verifier
	// key, obtained from the ledger's operators, never from the server.
	Verifier note.Verifier
	// Token, if set, is sent as a bearer token (a server that serves
	// /tlog/ only to tokens that may read every event: finance, auditor,
	// admin).
	Token string
	// Client fetches; nil is a client with timeouts.
	Client *http.Client
}

// Result is what one Update did.
type Result struct {
	Checkpoint integrity.Checkpoint
	// Previous is the size of the checkpoint kept before (0: none).
	Previous int64
	// Fetched are the paths fetched from the server, the checkpoint first.
	Fetched []string
}

// Update brings the mirror up to the server's newest checkpoint. It
// fetches the checkpoint and every tile the mirror lacks (partial tiles
// are always fetched again: the server replaces them as the log grows),
// verifies them all, kept ones included, and only then keeps them: a
// failure leaves the mirror as it was.
func Update(ctx context.Context, options Options) (Result, error) {
	if options.Verifier == nil {
		return Result{}, errors.New("mirror: a verifier key is required")
	}
	base, err := url.Parse(options.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") {
		return Result{}, fmt.Errorf("mirror: %q is not an http(s) URL", options.URL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	modes := modesFor(options.Token)
	if err := makeDir(options.Dir, modes); err != nil {
		return Result{}, err
	}
	// One run at a time: a second would take the first's staged tiles
	// for leftovers and remove them.
	lock := flock.New(filepath.Join(options.Dir, lockFile))
	locked, err := lock.TryLock()
	if err != nil {
		return Result{}, fmt.Errorf("mirror: lock %s: %w", options.Dir, err)
	}
	if !locked {
		return Result{}, fmt.Errorf("mirror %s: %w", options.Dir, ErrBusy)
	}
	defer lock.Unlock()
	if err := removeLeftovers(options.Dir); err != nil {
		return Result{}, err
	}
	kept, keptSigned, err := readKept(options.Dir, options.Verifier)
	if err != nil {
		return Result{}, err
	}
	fetcher := &fetcher{base: base, token: options.Token, client: options.Client, modes: modes}
	if fetcher.client == nil {
		fetcher.client = defaultClient()
	}
	result := Result{Previous: kept.Size}
	signed, err := fetcher.get(ctx, checkpointFile, checkpointBytesMax)
	result.Fetched = append(result.Fetched, checkpointFile)
	if err != nil {
		return result, err
	}
	checkpoint, err := integrity.OpenCheckpoint(signed, options.Verifier)
	if err != nil {
		return result, fmt.Errorf("the server's checkpoint: %w", err)
	}
	result.Checkpoint = checkpoint
	if err := checkGrowth(keptSigned, kept, checkpoint); err != nil {
		return result, err
	}
	if checkpoint.Size > leavesMax {
		return result, fmt.Errorf("the checkpoint commits to %d entries, more than a mirror takes (%d)", checkpoint.Size, leavesMax)
	}
	staging, err := os.MkdirTemp(options.Dir, stagingPrefix)
	if err != nil {
		return result, fmt.Errorf("mirror: %w", err)
	}
	defer os.RemoveAll(staging)
	var reused []tlog.Tile
	for _, tile := range integrity.Tiles(checkpoint.Size) {
		if full(tile) && exists(filepath.Join(options.Dir, filepath.FromSlash(integrity.TilePath(tile)))) {
			reused = append(reused, tile)
			continue
		}
		if err := fetcher.stage(ctx, staging, tile, &result); err != nil {
			return result, err
		}
	}
	source := &tileFiles{dirs: []string{staging, options.Dir}}
	_, err = check(ctx, source, checkpoint, kept)
	if err != nil && !errors.Is(err, ErrInconsistent) && len(reused) > 0 {
		// The kept full tiles were checked against the kept checkpoint,
		// but a server that rewrote their history serves other ones: fetch
		// them too and check again, so the answer says whether the new
		// checkpoint extends the kept one, and a kept tile damaged on disk
		// is replaced by a verified one.
		for _, tile := range reused {
			if err := fetcher.stage(ctx, staging, tile, &result); err != nil {
				return result, err
			}
		}
		if _, again := check(ctx, source, checkpoint, kept); again == nil || errors.Is(again, ErrInconsistent) {
			err = again
		}
	}
	if err != nil {
		return result, err
	}
	if err := keep(options.Dir, staging, checkpoint, signed, keptSigned, modes); err != nil {
		return result, err
	}
	return result, nil
}

// makeDir makes the mirror directory. A private log's is made 0700, or an
// existing one made its owner's alone, which puts what it already holds
// out of others' reach too; one another user owns or may write is refused
// (private.OpenDir), for they could read the tiles through links or
// directories they put there.
func makeDir(dir string, modes modes) error {
	if modes.dir&0o077 != 0 {
		if err := os.MkdirAll(dir, modes.dir); err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
		return nil
	}
	root, err := private.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	return root.Close()
}

// checkGrowth refuses a checkpoint that cannot extend the kept one before
// anything is fetched: a smaller tree, another log, or the same size with
// another root.
func checkGrowth(keptSigned []byte, kept, checkpoint integrity.Checkpoint) error {
	switch {
	case keptSigned == nil:
		return nil
	case checkpoint.Origin != kept.Origin:
		return fmt.Errorf("the server's checkpoint is of log %q, the mirror keeps %q: %w", checkpoint.Origin, kept.Origin, ErrInconsistent)
	case checkpoint.Size < kept.Size:
		return fmt.Errorf("the server's checkpoint commits to %d entries, fewer than the %d of the kept one: %w", checkpoint.Size, kept.Size, ErrInconsistent)
	case checkpoint.Size == kept.Size && checkpoint.Root != kept.Root:
		return fmt.Errorf("the server's checkpoint of %d entries has root %s, the kept one %s: history was rewritten: %w",
			checkpoint.Size, checkpoint.Root, kept.Root, ErrInconsistent)
	}
	return nil
}

// full says a tile never changes once published.
func full(tile tlog.Tile) bool { return tile.W == 1<<integrity.TileHeight }

// tileLimit is the most bytes a tile may hold.
func tileLimit(tile tlog.Tile) int64 {
	if tile.L < 0 {
		return bundleBytesMax
	}
	return tileBytesMax
}

func exists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// readKept reads the checkpoint the mirror kept, which must carry the
// verifier's signature: a mirror never trusts what it cannot check.
func readKept(dir string, verifier note.Verifier) (integrity.Checkpoint, []byte, error) {
	signed, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return integrity.Checkpoint{}, nil, nil
	}
	if err != nil {
		return integrity.Checkpoint{}, nil, fmt.Errorf("mirror: %w", err)
	}
	checkpoint, err := integrity.OpenCheckpoint(signed, verifier)
	if err != nil {
		return integrity.Checkpoint{}, nil, fmt.Errorf("the mirror's kept checkpoint: %w", err)
	}
	return checkpoint, signed, nil
}

// removeLeftovers deletes what an interrupted run left: staged tiles
// never verified, and temporary files never renamed.
func removeLeftovers(dir string) error {
	return filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := entry.Name()
		if path != dir && (strings.HasPrefix(name, stagingPrefix) || strings.HasPrefix(name, atomicfile.TemporaryPrefix)) {
			if err := os.RemoveAll(path); err != nil {
				return fmt.Errorf("mirror: %w", err)
			}
			if entry.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
}

// keep moves the verified staged tiles into the mirror, then the
// checkpoint (last: a reader that finds it finds every tile it names),
// then removes partial tiles of the older tree, which no checkpoint the
// mirror keeps names any more.
func keep(dir, staging string, checkpoint integrity.Checkpoint, signed, keptSigned []byte, modes modes) error {
	wanted := map[string]bool{}
	for _, tile := range integrity.Tiles(checkpoint.Size) {
		wanted[integrity.TilePath(tile)] = true
	}
	for path := range wanted {
		from := filepath.Join(staging, filepath.FromSlash(path))
		if !exists(from) {
			continue
		}
		to := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(to), modes.dir); err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
		if err := os.Rename(from, to); err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
	}
	if !bytes.Equal(signed, keptSigned) {
		history, err := os.ReadFile(filepath.Join(dir, historyFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("mirror: %w", err)
		}
		if len(history) > 0 {
			history = append(history, historyDivider...)
		}
		if err := writeAtomic(filepath.Join(dir, historyFile), append(history, signed...), modes); err != nil {
			return err
		}
	}
	if err := writeAtomic(filepath.Join(dir, checkpointFile), signed, modes); err != nil {
		return err
	}
	tiles := filepath.Join(dir, "tile")
	return filepath.WalkDir(tiles, func(path string, entry fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || entry.IsDir() {
			return err
		}
		relative, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if name := filepath.ToSlash(relative); strings.Contains(name, ".p/") && !wanted[name] {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("mirror: %w", err)
			}
			// The ".p" directory goes too once empty; one still holding
			// a tile stays (Remove refuses it).
			_ = os.Remove(filepath.Dir(path))
		}
		return nil
	})
}

// writeAtomic writes a file under a temporary name, syncs it and renames
// it into place, so a crash leaves the old file or the new one, never
// half a tile; with the modes of the mirror's log.
func writeAtomic(path string, content []byte, modes modes) error {
	if err := os.MkdirAll(filepath.Dir(path), modes.dir); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	if err := atomicfile.Write(path, content, modes.file); err != nil {
		return fmt.Errorf("mirror: write %s: %w", path, err)
	}
	return nil
}

// stage fetches a tile into the staging directory.
func (f *fetcher) stage(ctx context.Context, staging string, tile tlog.Tile, result *Result) error {
	path := integrity.TilePath(tile)
	content, err := f.get(ctx, path, tileLimit(tile))
	result.Fetched = append(result.Fetched, path)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(staging, filepath.FromSlash(path)), content, f.modes)
}

// fetcher GETs files below the log's prefix.
type fetcher struct {
	base   *url.URL
	token  string
	client *http.Client
	// modes are those of the staged tiles, kept as they are staged.
	modes modes
}

func defaultClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSHandshakeTimeout = handshakeTimeoutSeconds * time.Second
	transport.ResponseHeaderTimeout = requestTimeoutSeconds * time.Second
	return &http.Client{Timeout: requestTimeoutSeconds * time.Second, Transport: transport}
}

// get fetches one file of at most limit bytes.
func (f *fetcher) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	address := f.base.ResolveReference(&url.URL{Path: path})
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, address.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", path, err)
	}
	if f.token != "" {
		request.Header.Set("Authorization", "Bearer "+f.token)
	}
	reply, err := f.client.Do(request)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", path, err)
	}
	defer reply.Body.Close()
	if reply.StatusCode != http.StatusOK {
		hint := ""
		if reply.StatusCode == http.StatusUnauthorized || reply.StatusCode == http.StatusForbidden {
			hint = " (the server wants a token that may read every event, an auditor's: --token)"
		}
		return nil, fmt.Errorf("fetch %s: %s%s", path, reply.Status, hint)
	}
	content, err := io.ReadAll(io.LimitReader(reply.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", path, err)
	}
	if int64(len(content)) > limit {
		return nil, fmt.Errorf("fetch %s: more than %d bytes", path, limit)
	}
	return content, nil
}
