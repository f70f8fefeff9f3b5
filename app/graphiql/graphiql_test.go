package graphiql

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(h http.HandlerFunc, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h(w, req)
	return w
}

// TestPageLoadsOnlyLocalAssets: every script and style the page names is
// embedded and served from this origin; the policy forbids any other.
func TestPageLoadsOnlyLocalAssets(t *testing.T) {
	h := New()
	page := serve(h.Page, "/", nil)
	if page.Code != 200 || !strings.Contains(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Fatalf("policy: %q", csp)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page.Body.String(), -1)
	if len(refs) < 2 {
		t.Fatalf("page names no assets: %s", page.Body)
	}
	for _, m := range refs {
		if !strings.HasPrefix(m[1], AssetPrefix) {
			t.Fatalf("asset outside %s: %s", AssetPrefix, m[1])
		}
		if w := serve(h.Asset, m[1], nil); w.Code != 200 || w.Body.Len() == 0 {
			t.Fatalf("%s: %d", m[1], w.Code)
		}
	}
	for _, name := range []string{"workers/editor.worker.js", "workers/json.worker.js", "workers/graphql.worker.js", "THIRD_PARTY_LICENSES.txt"} {
		if w := serve(h.Asset, AssetPrefix+name, nil); w.Code != 200 {
			t.Fatalf("%s: %d", name, w.Code)
		}
	}
	if w := serve(h.Asset, AssetPrefix+"../graphiql.go", nil); w.Code != 404 {
		t.Fatalf("outside the build: %d", w.Code)
	}
	js := serve(h.Asset, AssetPrefix+"main.js", nil)
	if !strings.Contains(js.Header().Get("Content-Type"), "javascript") {
		t.Fatalf("script type %q", js.Header().Get("Content-Type"))
	}
	if again := serve(h.Asset, AssetPrefix+"main.js", http.Header{"If-None-Match": {js.Header().Get("ETag")}}); again.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", again.Code)
	}
}

// TestAssetsGzip: clients that accept gzip get the compressed script, with
// its own validator; the bytes decompress to the embedded file.
func TestAssetsGzip(t *testing.T) {
	h := New()
	plain := serve(h.Asset, AssetPrefix+"main.js", nil)
	gz := serve(h.Asset, AssetPrefix+"main.js", http.Header{"Accept-Encoding": {"br, gzip"}})
	if gz.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header().Get("Content-Type"), "javascript") ||
		gz.Header().Get("ETag") == plain.Header().Get("ETag") || gz.Body.Len() >= plain.Body.Len()/2 {
		t.Fatalf("gzip: %v, %d of %d bytes", gz.Header(), gz.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if !bytes.Equal(b, plain.Body.Bytes()) {
		t.Fatal("decompressed script differs")
	}
	if w := serve(h.Asset, AssetPrefix+"main.js", http.Header{"Accept-Encoding": {"gzip;q=0"}}); w.Header().Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 refuses gzip")
	}
}
