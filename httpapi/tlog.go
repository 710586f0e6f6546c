package httpapi

import (
	"net/http"
)

// logFile serves the log in the C2SP tlog-tiles layout under /tlog/: the
// newest signed checkpoint, hash tiles and entry bundles. A full tile
// never changes, so it may be cached for good; the checkpoint and partial
// tiles change as the log grows.
func (s *Server) logFile(w http.ResponseWriter, r *http.Request, _ identity) error {
	path := r.PathValue("path")
	content, immutable, err := s.options.Ledger.LogFile(r.Context(), path)
	if err != nil {
		return err
	}
	scope := "private"
	if s.options.TlogPublic {
		scope = "public"
	}
	if immutable {
		w.Header().Set("Cache-Control", scope+", max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if path == "checkpoint" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	_, err = w.Write(content)
	return err
}
