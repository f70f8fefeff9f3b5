// Package graphiql serves the Playground: a pinned GraphiQL release built
// from npm (package.json, package-lock.json, build.mjs, src/) into dist/
// and embedded in the binary, so the page loads with no network access
// beyond this server. dist/THIRD_PARTY_LICENSES.txt carries the licences of
// everything bundled. Rebuild with `npm ci && npm run build` in this
// directory and commit dist/.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
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

// file is one embedded file with its validator and gzip copy, both made on
// first use (the script is 5 MB, about a quarter of that compressed). The
// body is served from the binary's read-only data, never copied to the
// heap: a server whose Playground nobody opens keeps none of it in memory
// (issue 2's memory bound).
type file struct {
	path string // in dist
	size int64
	etag func() string
	gz   func() []byte
}

// open returns the embedded body (embed's files hold no resources to
// close).
func (f *file) open() (io.ReadSeeker, error) {
	r, err := dist.Open(f.path)
	if err != nil {
		return nil, err
	}
	rs, ok := r.(io.ReadSeeker) // embed's files are
	if !ok {
		_ = r.Close()
		return nil, fmt.Errorf("graphiql: %s is not seekable", f.path)
	}
	return rs, nil
}

func newFile(p string, size int64) *file {
	f := &file{path: p, size: size}
	f.etag = sync.OnceValue(func() string {
		h := sha256.New()
		if r, err := f.open(); err == nil {
			_, _ = io.Copy(h, r)
		}
		return hex.EncodeToString(h.Sum(nil)[:12])
	})
	f.gz = sync.OnceValue(func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if r, err := f.open(); err == nil {
			_, _ = io.Copy(zw, r)
		}
		_ = zw.Close()
		return buf.Bytes()
	})
	return f
}

// Handler serves the page (Page) and its assets (Asset).
type Handler struct{ files map[string]*file }

// files lists the embedded build once per process (names and sizes only).
var files = sync.OnceValue(func() map[string]*file {
	m := map[string]*file{}
	err := fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m[strings.TrimPrefix(p, "dist/")] = newFile(p, info.Size())
		return nil
	})
	if err != nil {
		panic("graphiql: reading the embedded build: " + err.Error())
	}
	return m
})

// New returns the handler of the embedded build.
func New() *Handler { return &Handler{files: files()} }

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
	w.Header().Add("Vary", "Accept-Encoding")
	etag := f.etag()
	if f.size > 1024 && acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("ETag", `"`+etag+`-gz"`)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.gz()))
		return
	}
	body, err := f.open()
	if err != nil {
		http.Error(w, "Playground file unreadable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, name, time.Time{}, body)
}

// acceptsGzip reports whether r lists gzip in Accept-Encoding.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
