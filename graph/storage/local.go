package storage

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"chaoqer/graph/kvstore"
)

// LocalPathPrefix is the path under which the local store takes uploads
// (PUT) and serves objects (GET, HEAD).
const LocalPathPrefix = "/uploads/"

// DefaultMaxUpload bounds one uploaded object.
const DefaultMaxUpload = 10 << 20

// localKeyName is the kv entry holding the generated signing key, so every
// instance on the same database signs and verifies alike.
const localKeyName = "storage:local-upload-key"

// LocalConfig configures the local store.
type LocalConfig struct {
	// Dir holds the objects.
	Dir string
	// BaseURL is the public origin of this server, e.g. http://localhost:8080.
	BaseURL string
	// Key signs upload URLs (HMAC-SHA256); see LocalKey.
	Key []byte
	// MaxBytes bounds one object; 0 means DefaultMaxUpload.
	MaxBytes int64
}

// Local keeps objects in a directory and accepts uploads through expiring
// URLs signed with a server key. It stands in for object storage on a
// developer machine or a single server; several instances need Dir on a
// shared volume.
type Local struct {
	dir     string
	base    string
	key     []byte
	maxSize int64
	now     func() time.Time
}

// NewLocal returns a local store; the directory is created on the first
// upload.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if len(cfg.Key) < 16 {
		return nil, errors.New("local storage: signing key shorter than 16 bytes")
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil || cfg.BaseURL == "" {
		return nil, fmt.Errorf("local storage: bad base URL %q", cfg.BaseURL)
	}
	maxSize := cfg.MaxBytes
	if maxSize <= 0 {
		maxSize = DefaultMaxUpload
	}
	return &Local{dir: cfg.Dir, base: strings.TrimRight(cfg.BaseURL, "/"), key: cfg.Key, maxSize: maxSize, now: time.Now}, nil
}

// SetClock replaces the time source (tests).
func (l *Local) SetClock(now func() time.Time) { l.now = now }

// LocalKey returns the signing key shared by the instances on kv's database,
// creating it on first use.
func LocalKey(ctx context.Context, kv *kvstore.Store) ([]byte, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	const forever = 100 * 365 * 24 * time.Hour
	if _, err := kv.SetIfAbsent(ctx, localKeyName, hex.EncodeToString(buf), forever); err != nil {
		return nil, err
	}
	v, ok, err := kv.Get(ctx, localKeyName)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("local storage: signing key vanished")
	}
	return hex.DecodeString(v)
}

// segment is one path element of an object key: no empty, dot-leading or
// traversal elements.
var segment = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]*$`)

// validKey reports whether key is a safe relative object path.
func validKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for _, s := range strings.Split(key, "/") {
		if !segment.MatchString(s) || strings.Contains(s, "..") {
			return false
		}
	}
	return true
}

// signature is the hex HMAC of what an upload URL allows.
func (l *Local) signature(key, contentType string, expires int64) string {
	m := hmac.New(sha256.New, l.key)
	_, _ = fmt.Fprintf(m, "PUT\n%s\n%s\n%d", key, contentType, expires) // a hash.Hash never fails a write
	return hex.EncodeToString(m.Sum(nil))
}

// PresignPut returns {base}/uploads/{key}?expires=…&signature=….
func (l *Local) PresignPut(_ context.Context, key, contentType string, expires time.Time) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("local storage: invalid key %q", key)
	}
	exp := expires.Unix()
	q := url.Values{}
	q.Set("expires", strconv.FormatInt(exp, 10))
	q.Set("signature", l.signature(key, contentType, exp))
	return l.base + LocalPathPrefix + key + "?" + q.Encode(), nil
}

// URL returns {base}/uploads/{key}.
func (l *Local) URL(key string) string { return l.base + LocalPathPrefix + key }

// file is the path of key inside the store's directory.
func (l *Local) file(key string) string { return filepath.Join(l.dir, filepath.FromSlash(key)) }

// ServeHTTP takes uploads (PUT) and serves objects (GET, HEAD) under
// LocalPathPrefix.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutPrefix(r.URL.Path, LocalPathPrefix)
	if !ok || !validKey(key) {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodPut:
		l.put(w, r, key)
	case http.MethodGet, http.MethodHead:
		l.get(w, r, key)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// put checks the URL's signature and expiry, the Content-Type it was made
// for and the size, then stores the body (atomically: readers never see a
// partial object).
func (l *Local) put(w http.ResponseWriter, r *http.Request, key string) {
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		http.Error(w, "missing or malformed expires", http.StatusForbidden)
		return
	}
	contentType := strings.TrimSpace(r.Header.Get("Content-Type"))
	want := l.signature(key, contentType, exp)
	if !hmac.Equal([]byte(want), []byte(q.Get("signature"))) {
		http.Error(w, "signature does not match (the Content-Type must be the one the URL was made for)", http.StatusForbidden)
		return
	}
	if l.now().Unix() > exp {
		http.Error(w, "upload URL expired", http.StatusForbidden)
		return
	}
	if r.ContentLength > l.maxSize {
		http.Error(w, "object too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, l.maxSize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "object too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	if path.Ext(key) == ".jpg" && !bytes.HasPrefix(body, []byte{0xFF, 0xD8, 0xFF}) {
		http.Error(w, "not a JPEG image", http.StatusBadRequest)
		return
	}
	if err := l.write(key, body); err != nil {
		http.Error(w, "storing the object failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (l *Local) write(key string, body []byte) error {
	dst := l.file(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".upload-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	if _, err := tmp.Write(body); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// get serves a stored object. Its type comes from the key's extension and
// browsers must not sniff another one: an uploaded file is never served as
// a page.
func (l *Local) get(w http.ResponseWriter, r *http.Request, key string) {
	f, err := os.Open(l.file(key))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer func() { _ = f.Close() }() // opened read-only
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	ct := "application/octet-stream"
	if path.Ext(key) == ".jpg" {
		ct = ContentTypeJPEG
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
