package httpapi

import (
	"embed"
	"io/fs"
	"net/http"
	"path"

	"github.com/ordos-union/ledger/report"
)

//go:embed web
var webFiles embed.FS

// webHandler serves the dashboard, embedded in the binary: no CDN, no
// internet. The page itself needs no token; it asks the user for one.
func webHandler() http.Handler {
	files, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err)
	}
	fileServer := http.FileServer(http.FS(files))
	// The dashboard opens a printable report as a blob: URL (trends.js),
	// and such a page keeps the policy of the page that made it: the
	// report's one inline style sheet is let through by its hash, and no
	// other inline style.
	policy := "default-src 'self'; img-src 'self' data:; style-src 'self' " + report.PaperStyleHash() + "; script-src 'self'; connect-src 'self'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		switch path.Ext(r.URL.Path) {
		case ".webmanifest":
			w.Header().Set("Content-Type", "application/manifest+json")
		case ".js":
			// The service worker must be fetched fresh to be updated.
			w.Header().Set("Cache-Control", "no-cache")
		}
		fileServer.ServeHTTP(w, r)
	})
}
