// Package graphiql serves the Playground: a pinned GraphiQL release built
// from npm (package.json, package-lock.json, build.mjs, src/) into dist/
// and embedded in the binary, so the page loads with no network access
// beyond this server. dist/THIRD_PARTY_LICENSES.txt carries the licences of
// everything bundled. Rebuild with `npm ci && npm run build` in this
// directory and commit dist/.
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// AssetPrefix is the URL path the page loads its scripts, styles and
// workers from (see src/index.html).
const AssetPrefix = "/graphiql/"

// contentSecurityPolicy keeps every request of the page on this origin
// (HTTP and the subscription WebSocket); Monaco sets inline styles and
// GraphiQL inline images.
const contentSecurityPolicy = "default-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"font-src 'self' data:; style-src 'self' 'unsafe-inline'; worker-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// file is one embedded file with its validator.
type file struct {
	body []byte
	etag string
}

// Handler serves the page (Page) and its assets (Asset).
type Handler struct{ files map[string]file }

// New loads the embedded build.
func New() *Handler {
	h := &Handler{files: map[string]file{}}
	err := fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := dist.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.files[strings.TrimPrefix(p, "dist/")] = file{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("graphiql: reading the embedded build: " + err.Error())
	}
	return h
}

// Page serves the GraphiQL page (mounted at / and /playground).
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.serve(w, r, "index.html")
}

// Asset serves the file named by the path after AssetPrefix.
func (h *Handler) Asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), AssetPrefix)
	if name == "index.html" {
		http.NotFound(w, r)
		return
	}
	h.serve(w, r, name)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, name string) {
	f, ok := h.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Revalidated on every load (file names are stable across builds).
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}
